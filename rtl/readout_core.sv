// Copyright dualspike contributors.
//
// readout_core: the readout of the last layer (SPEC section 2, docs/cores.md section 1).
//
// Input: the last layer's output stream, one beat per (pixel, timestep), time-inner, Pixels
// pixels per frame (1 after a linear layer):
//   Mode 0 (count):      a spike stream, C bits;              out[c] = sum_t s[t][c]
//   Mode 1 (accumulate): a current stream, C x CurrentBits;   out[c] = sum_t I[t][c]
//                        (two's complement, exact: no saturation)
// Output: the readout stream, one beat per pixel, channel c's readout (two's complement) at
//   [c*ReadoutBits +: ReadoutBits]; last on the frame's final pixel.
// Golden: golden.layers.readout_count / readout_accumulate.
//
// ReadoutBits (derived, do not override): count clog2(T+1) + 1 (a count in [0, T] and a sign
// bit, so every readout stream reads as two's complement); accumulate CurrentBits + clog2(T).
// (golden.cycles.readout.readout_bits.)
//
// Structure: per channel an accumulator; the pixel's last timestep adds into the output register
// directly (acc + x), and the accumulators restart at 0, so the next pixel accumulates while the
// readout beat waits on the output.
// Latency: the readout beat of a pixel is valid the cycle after its last input beat is accepted.
// Throughput: one input beat per cycle; the input stalls only on the last timestep of a pixel
// while the previous readout beat is still held by the sink:
//   in_ready_o = (t != T-1) || !out_valid_o || out_ready_i.
// Cycles (golden.cycles.readout): Pixels * T per frame with free-running streams.
//
// Parameters: Channels C >= 1, Pixels >= 1, Timesteps T >= 1, Mode 0/1, CurrentBits >= 2 (Mode 1;
// ignored for Mode 0).
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_READOUT_SKIP_FIRST_STEP
// ignores the beat of timestep 0 of every pixel.

`include "dualspike_macros.svh"

module readout_core #(
  parameter int Channels    = 10,
  parameter int Pixels      = 1,
  parameter int Timesteps   = 4,
  parameter int Mode        = 0,
  parameter int CurrentBits = 16,
  // Derived (do not override).
  parameter int ReadoutBits = (Mode == 0) ? $clog2(Timesteps + 1) + 1
                                          : CurrentBits + $clog2(Timesteps)
) (
  input  logic                                                     clk_i,
  input  logic                                                     rst_ni,
  // Spike stream (Mode 0) or current stream (Mode 1) in.
  input  logic                                                     in_valid_i,
  output logic                                                     in_ready_o,
  input  logic [Channels*((Mode == 0) ? 1 : CurrentBits)-1:0]      in_data_i,
  input  logic                                                     in_last_i,
  // Readout stream out.
  output logic                                                     out_valid_o,
  input  logic                                                     out_ready_i,
  output logic [Channels*ReadoutBits-1:0]                          out_data_o,
  output logic                                                     out_last_o
);

  localparam int InBits  = (Mode == 0) ? 1 : CurrentBits;   // width of one input value
  localparam int RB      = ReadoutBits;
  localparam int TBits   = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int PixBits = (Pixels > 1) ? $clog2(Pixels) : 1;

  localparam logic [TBits-1:0]   LastT   = TBits'(Timesteps - 1);
  localparam logic [PixBits-1:0] LastPix = PixBits'(Pixels - 1);

  logic [TBits-1:0]            t_d, t_q;          // timestep of the next beat
  logic [PixBits-1:0]          pix_d, pix_q;      // pixel of the next beat
  logic [Channels*RB-1:0]      acc_d, acc_q;      // sums of the pixel's earlier beats
  logic [Channels*RB-1:0]      sum;               // acc_q + this beat
  logic [Channels*RB-1:0]      out_data_d, out_data_q;
  logic                        out_valid_d, out_valid_q;
  logic                        out_last_d, out_last_q;
  logic                        in_fire;
  logic                        last_step;         // the beat is the pixel's last timestep
  logic                        take;              // this beat counts (always, but for the bug)

  assign last_step  = (t_q == LastT);
  assign in_ready_o = ~last_step | ~out_valid_q | out_ready_i;
  assign in_fire    = in_valid_i & in_ready_o;

`ifdef DUALSPIKE_BUG_READOUT_SKIP_FIRST_STEP
  assign take = (t_q != '0);  // PLANTED BUG: the beat of timestep 0 is ignored
`else
  assign take = 1'b1;
`endif

  // Per channel: the input value sign-extended (Mode 1) or zero-extended (Mode 0) to RB bits.
  for (genvar c = 0; c < Channels; c++) begin : g_channel
    logic [InBits-1:0] value;
    logic [RB-1:0]     wide;
    assign value = in_data_i[c*InBits +: InBits];
    if (Mode == 0) begin : g_count
      assign wide = RB'(value);
    end else begin : g_accumulate
      assign wide = RB'($signed(value));
    end
    assign sum[c*RB +: RB] = acc_q[c*RB +: RB] + (take ? wide : '0);
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_next
    t_d         = t_q;
    pix_d       = pix_q;
    acc_d       = acc_q;
    out_valid_d = out_valid_q;
    out_data_d  = out_data_q;
    out_last_d  = out_last_q;
    if (out_valid_q && out_ready_i) begin
      out_valid_d = 1'b0;
    end
    if (in_fire) begin
      acc_d = sum;
      t_d   = t_q + TBits'(1);
      if (last_step) begin
        acc_d       = '0;
        t_d         = '0;
        pix_d       = (pix_q == LastPix) ? '0 : pix_q + PixBits'(1);
        out_valid_d = 1'b1;
        out_data_d  = sum;
        out_last_d  = (pix_q == LastPix);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      t_q         <= '0;
      pix_q       <= '0;
      acc_q       <= '0;
      out_valid_q <= 1'b0;
      out_data_q  <= '0;
      out_last_q  <= 1'b0;
    end else begin
      t_q         <= t_d;
      pix_q       <= pix_d;
      acc_q       <= acc_d;
      out_valid_q <= out_valid_d;
      out_data_q  <= out_data_d;
      out_last_q  <= out_last_d;
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;
  assign out_last_o  = out_last_q;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (Channels < 1 || Pixels < 1 || Timesteps < 1) begin : g_bad_sizes
    $error("readout_core: Channels, Pixels and Timesteps must be >= 1");
  end
  if (Mode != 0 && Mode != 1) begin : g_bad_mode
    $error("readout_core: Mode must be 0 (count) or 1 (accumulate), got %0d", Mode);
  end
  if (Mode == 1 && CurrentBits < 2) begin : g_bad_current_bits
    $error("readout_core: CurrentBits must be >= 2, got %0d", CurrentBits);
  end
  if (ReadoutBits < ((Mode == 0) ? $clog2(Timesteps + 1) + 1
                                 : CurrentBits + $clog2(Timesteps))) begin : g_bad_readout_bits
    $error("readout_core: ReadoutBits is derived; do not override it below the exact width");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  // OutValidHeld / OutDataStable: a stalled output beat stays offered, unchanged.
  `DUALSPIKE_CHECK_OUT_STREAM(Channels * RB + 1)

  always @(posedge clk_i) begin : p_sva
    if (sva_armed) begin
      // InLastMatches_A: the input's last marks the frame's final beat, and only it.
      if (in_fire) begin
        assert (in_last_i == (last_step && pix_q == LastPix))
          else $error("InLastMatches_A: in_last_i = %0d on pixel %0d timestep %0d", in_last_i,
                      pix_q, t_q);
      end
    end
  end
`else
  logic unused_in_last;
  assign unused_in_last = in_last_i;
`endif

endmodule
