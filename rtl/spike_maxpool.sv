// Copyright dualspike contributors.
//
// spike_maxpool: spike max-pool, kernel = stride = S (SPEC section 2), on spike streams.
//
// Equation: out[t][c][oy][ox] = OR over dy, dx < S of in[t][c][S*oy+dy][S*ox+dx].
// Golden: golden.layers.maxpool_spikes.
//
// Streams (docs/cores.md "Spike stream"): input one beat per (pixel, t) of the H x W frame, raster
// order, time-inner, C bits; output the same for the pooled H/S x W/S frame; last on the frame's
// final beat.
//
// Structure: a row buffer of W/S entries x T timesteps x C bits of OR partials. An input beat
// (y, x, t) updates entry ox = x / S at t: partial = (first pixel of the window (dy = dx = 0) ?
// 0 : partial) | in. The window's last input beat (dy = dx = S-1, t = T-1) completes it; its T
// output beats then leave from the entry (entry ox, t = 0 .. T-1), while the input goes on.
// Input stalls (only under output backpressure, or S = 1 with back-to-back completions):
//   - a completing beat while another window is still being emitted;
//   - a beat that would overwrite a partial of the entry being emitted that has not left yet
//     (t > emitted t, or t == emitted t without the output handshake in this cycle).
//
// Latency: the first output beat of a window is valid the cycle after its last input beat is
// accepted. Throughput: one input beat per cycle; with a free-running output the input never
// stalls, so a frame takes H*W*T + T cycles from its first input beat to its last output beat
// (golden/cycles/maxpool.py).
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_MAXPOOL_DROP_LAST_ROW_OF_WINDOW
// ignores the input of the window's last row (dy = S-1).

`include "dualspike_macros.svh"

module spike_maxpool #(
  parameter int Channels  = 2,  // C
  parameter int Height    = 4,  // H, divisible by Pool
  parameter int Width     = 4,  // W, divisible by Pool
  parameter int Pool      = 2,  // S
  parameter int Timesteps = 2   // T
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // Input spike stream.
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [Channels-1:0] in_data_i,
  input  logic                in_last_i,
  // Output spike stream (pooled frame).
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [Channels-1:0] out_data_o,
  output logic                out_last_o
);

  localparam int OutW     = Width / Pool;
  localparam int OutH     = Height / Pool;
  localparam int Depth    = OutW * Timesteps;
  localparam int TBits    = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int PoolBits = (Pool > 1) ? $clog2(Pool) : 1;
  localparam int OxBits   = (OutW > 1) ? $clog2(OutW) : 1;
  localparam int OyBits   = (OutH > 1) ? $clog2(OutH) : 1;
  localparam int AddrBits = (Depth > 1) ? $clog2(Depth) : 1;

  localparam logic [TBits-1:0]    TLast    = TBits'(Timesteps - 1);
  localparam logic [PoolBits-1:0] PoolLast = PoolBits'(Pool - 1);
  localparam logic [OxBits-1:0]   OxLast   = OxBits'(OutW - 1);
  localparam logic [OyBits-1:0]   OyLast   = OyBits'(OutH - 1);

  // ---------------------------------------------------------------------------------------------
  // Input position: (oy, dy, ox, dx, t) of the next input beat
  // ---------------------------------------------------------------------------------------------
  logic [TBits-1:0]    in_t_d, in_t_q;
  logic [PoolBits-1:0] in_dx_d, in_dx_q;
  logic [OxBits-1:0]   in_ox_d, in_ox_q;
  logic [PoolBits-1:0] in_dy_d, in_dy_q;
  logic [OyBits-1:0]   in_oy_d, in_oy_q;

  // Emission: entry, timestep, and whether it is the frame's last output pixel.
  logic                emit_active_d, emit_active_q;
  logic [OxBits-1:0]   emit_ox_d, emit_ox_q;
  logic [TBits-1:0]    emit_t_d, emit_t_q;
  logic                emit_last_d, emit_last_q;

  logic                in_fire, out_fire, emit_end;
  logic                first, complete, frame_end, pixel_end;
  logic                busy_after, conflict;
  logic [AddrBits-1:0] in_addr, emit_addr;
  logic [Channels-1:0] partial, in_bits;

  assign pixel_end = in_t_q == TLast;
  assign first     = (in_dx_q == '0) && (in_dy_q == '0);
  assign complete  = (in_dx_q == PoolLast) && (in_dy_q == PoolLast) && pixel_end;
  assign frame_end = complete && (in_ox_q == OxLast) && (in_oy_q == OyLast);

  assign out_fire   = emit_active_q & out_ready_i;
  assign emit_end   = out_fire & (emit_t_q == TLast);
  assign busy_after = emit_active_q & ~emit_end;
  // Overwriting the emitted entry is safe for timesteps that have already left (or leave now).
  assign conflict   = emit_active_q && (in_ox_q == emit_ox_q) &&
                      !((in_t_q < emit_t_q) || ((in_t_q == emit_t_q) && out_fire));
  assign in_ready_o = !(complete && busy_after) && !conflict;
  assign in_fire    = in_valid_i & in_ready_o;

  // ---------------------------------------------------------------------------------------------
  // Row buffer of partials (storage, no reset: an entry is written by its window's first beat
  // before anything reads it)
  // ---------------------------------------------------------------------------------------------
  logic [Channels-1:0] part_q [Depth];

  assign in_addr   = AddrBits'(int'(in_ox_q) * Timesteps + int'(in_t_q));
  assign emit_addr = AddrBits'(int'(emit_ox_q) * Timesteps + int'(emit_t_q));
  assign partial   = part_q[in_addr];

`ifdef DUALSPIKE_BUG_MAXPOOL_DROP_LAST_ROW_OF_WINDOW
  assign in_bits = (in_dy_q == PoolLast) ? '0 : in_data_i;  // PLANTED BUG: last row lost
`else
  assign in_bits = in_data_i;
`endif

  always_ff @(posedge clk_i) begin : p_part
    if (in_fire) begin
      part_q[in_addr] <= first ? in_bits : (partial | in_bits);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Next state
  // ---------------------------------------------------------------------------------------------
  `DUALSPIKE_ALWAYS_COMB begin : p_input
    in_t_d  = in_t_q;
    in_dx_d = in_dx_q;
    in_ox_d = in_ox_q;
    in_dy_d = in_dy_q;
    in_oy_d = in_oy_q;
    if (in_fire) begin
      in_t_d = in_t_q + TBits'(1);
      if (pixel_end) begin
        in_t_d  = '0;
        in_dx_d = in_dx_q + PoolBits'(1);
        if (in_dx_q == PoolLast) begin
          in_dx_d = '0;
          in_ox_d = in_ox_q + OxBits'(1);
          if (in_ox_q == OxLast) begin
            in_ox_d = '0;
            in_dy_d = in_dy_q + PoolBits'(1);
            if (in_dy_q == PoolLast) begin
              in_dy_d = '0;
              in_oy_d = (in_oy_q == OyLast) ? '0 : in_oy_q + OyBits'(1);
            end
          end
        end
      end
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_emit
    emit_active_d = emit_active_q;
    emit_ox_d     = emit_ox_q;
    emit_t_d      = emit_t_q;
    emit_last_d   = emit_last_q;
    if (out_fire) begin
      emit_t_d = emit_t_q + TBits'(1);
      if (emit_t_q == TLast) begin
        emit_active_d = 1'b0;
        emit_t_d      = '0;
      end
    end
    if (in_fire && complete) begin
      emit_active_d = 1'b1;
      emit_ox_d     = in_ox_q;
      emit_t_d      = '0;
      emit_last_d   = frame_end;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      in_t_q        <= '0;
      in_dx_q       <= '0;
      in_ox_q       <= '0;
      in_dy_q       <= '0;
      in_oy_q       <= '0;
      emit_active_q <= 1'b0;
      emit_ox_q     <= '0;
      emit_t_q      <= '0;
      emit_last_q   <= 1'b0;
    end else begin
      in_t_q        <= in_t_d;
      in_dx_q       <= in_dx_d;
      in_ox_q       <= in_ox_d;
      in_dy_q       <= in_dy_d;
      in_oy_q       <= in_oy_d;
      emit_active_q <= emit_active_d;
      emit_ox_q     <= emit_ox_d;
      emit_t_q      <= emit_t_d;
      emit_last_q   <= emit_last_d;
    end
  end

  assign out_valid_o = emit_active_q;
  assign out_data_o  = part_q[emit_addr];
  assign out_last_o  = emit_active_q & (emit_t_q == TLast) & emit_last_q;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (Pool < 1 || Height % Pool != 0 || Width % Pool != 0) begin : g_bad_pool
    $error("spike_maxpool: Pool must divide Height and Width, got %0d (%0d x %0d)", Pool,
           Height, Width);
  end
  if (Channels < 1 || Timesteps < 1) begin : g_bad_sizes
    $error("spike_maxpool: Channels and Timesteps must be >= 1");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  // OutValidHeld / OutDataStable: a stalled output beat stays offered, unchanged.
  `DUALSPIKE_CHECK_OUT_STREAM(Channels + 1)

  always @(posedge clk_i) begin : p_sva
    if (sva_armed) begin
      // InLastMatches_A: the input's last marks the frame's final beat.
      if (in_fire) begin
        assert (in_last_i == (complete && (in_ox_q == OxLast) && (in_oy_q == OyLast)))
          else $error("InLastMatches_A: in_last_i = %0d", in_last_i);
      end
    end
  end
`endif

endmodule
