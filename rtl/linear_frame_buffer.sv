// Copyright dualspike contributors.
//
// linear_frame_buffer: the double-buffered input frame store of the sparse linear core.
//
// Receives a spike stream (docs/cores.md section 1: one beat per (pixel, timestep), pixels in
// raster order, time-inner, C bits per beat) and stores it flattened in (c, y, x) order
// (SPEC section 1): the bit of channel c at pixel p = y*W + x and timestep t is fan-in position
//   i = c*Pixels + p            of timestep t.
// The reader sees, per timestep t, the fan-in cut into NG = ceil(F / G) groups of G positions
// (F = Channels * Pixels); the padding positions i >= F of the last group always read 0.
//   rd_bits_o = { in[t][g*G + G-1], ..., in[t][g*G] }
// for the position (t, g) the reader holds, read a cycle ahead into a register (so that the
// store's multiplexer and the detector behind it do not share a cycle): the reader gives its
// position (rd_t_i, rd_g_i) and the one after a step (rd_step_t_i, rd_step_g_i; in the other
// buffer when rd_step_swap_i: the held group is the frame's last, so the step releases this
// buffer), all from its registers; the store is read at both
// and rd_step_i, which comes late, picks one (a 2:1 multiplexer before the register).
// Golden: golden.layers.flatten_chw, golden.sparsity.groups.
//
// Two frame buffers (ping-pong): the writer fills one while the reader computes on the other, so
// the next frame streams in while the current one is computed. Cost: 2 * T * F flops (a single
// buffer would stall the input for the whole compute of a frame, because the input is time-inner
// and the compute time-outer).
//
// Store: one F-bit row per (buffer b, timestep t), in fan-in order, in an array indexed by
// (b, t). A beat writes positions c*Pixels + wpix of row (wsel, wt), one bit per channel, inside
// constant loops over (b, t): synthesis sees a demultiplexer of each channel's bit over the
// positions c*Pixels + 0 .. 2^PixBits-1 of a row (a shared pixel decode), not over the whole store
// (when Pixels is not a power of two, the top ones overlap channel c+1's first positions, which
// then need a data multiplexer: measured +2.2k LUTs at digits28 L4). (Written as C writes at
// computed indices of one flat store, it became C demultiplexers over the whole store, which
// Yosys could not build for the 28x28 layer; one process per store bit made the simulation models
// huge.) A read selects row (rsel, rd_t), zero-extends it to NG*G bits and takes group g: a row
// multiplexer and a group multiplexer, no address arithmetic. Not RAM: a beat's C bits land in up
// to C different groups, which no RAM word write per beat can do (docs/synthesis.md).
//
// Early start: timestep t of the frame being written is complete as soon as the last pixel's beat
// of timestep t has been accepted, so the reader may start on it before the frame's last beat:
//   rd_avail_o = full[rd] || (writing rd && pixel == Pixels-1 && beat t already written),
// evaluated on the writer's state of the previous cycle (the *_dly registers): the read register
// holds the store as it was a cycle ago, so a beat accepted at edge k reaches rd_bits_o in the
// cycle after k+1, and availability waits for it. For Pixels = 1 (a linear layer after a linear
// layer) timestep t is computed while beat t+2 arrives.
//
// Silence: per (buffer, timestep) a flag that no beat of that timestep carried a spike, kept
// as the beats are written (the first pixel's beat starts it); rd_silent_o gives it for
// (read buffer, rd_t_i), valid with rd_avail_o. The reader skips the groups of a silent
// timestep (rtl/sparse_linear_core.sv): an OR over the store row instead would cost a tree of
// F inputs per row (about F/3 LUTs each, 2*T of them).
//
// Handshakes:
//   in_ready_o = !full[wr]: a beat is accepted whenever the write buffer is not full.
//   rd_release_i: the reader has taken its last group from the read buffer; the buffer is freed
//   (and may be written again from the next cycle) and the reader moves to the other buffer.
//   It comes with rd_step_i, and with rd_step_swap_i unless the reader does not step to the
//   next group at once (a skipped silent timestep: it waits a cycle, in which rd_bits_o reloads
//   from its new position).
//   The release must only be given when rd_avail_o = 1 for t = T-1 (the frame is complete).
//
// Parameters: Channels C >= 1, Pixels H*W >= 1, Timesteps T >= 1, GroupWidth G >= 1.
// Latency: a beat accepted at edge k is readable (rd_avail_o, rd_bits_o) from the cycle after
// k+1 (two cycles; golden.cycles.sparse_linear).
// Throughput: one beat per cycle while a buffer is free.

`include "dualspike_macros.svh"

module linear_frame_buffer #(
  parameter int Channels   = 4,
  parameter int Pixels     = 1,
  parameter int Timesteps  = 4,
  parameter int GroupWidth = 8
) (
  input  logic                                                            clk_i,
  input  logic                                                            rst_ni,
  // Spike stream in.
  input  logic                                                            in_valid_i,
  output logic                                                            in_ready_o,
  input  logic [Channels-1:0]                                             in_data_i,
  input  logic                                                            in_last_i,
  // Read port: the position the reader holds (rd_t_i also decides rd_avail_o), the one after
  // a step, and the step (the reader holds the stepped position in the next cycle). rd_bits_o
  // gives the group of the position held.
  input  logic [((Timesteps > 1) ? $clog2(Timesteps) : 1)-1:0]            rd_t_i,
  input  logic [((((Channels * Pixels + GroupWidth - 1) / GroupWidth) > 1)
                 ? $clog2((Channels * Pixels + GroupWidth - 1) / GroupWidth) : 1)-1:0] rd_g_i,
  input  logic                                                            rd_step_i,
  input  logic [((Timesteps > 1) ? $clog2(Timesteps) : 1)-1:0]            rd_step_t_i,
  input  logic [((((Channels * Pixels + GroupWidth - 1) / GroupWidth) > 1)
                 ? $clog2((Channels * Pixels + GroupWidth - 1) / GroupWidth) : 1)-1:0]
                                                                          rd_step_g_i,
  input  logic                                                            rd_step_swap_i,
  output logic [GroupWidth-1:0]                                           rd_bits_o,
  output logic                                                            rd_avail_o,
  output logic                                                            rd_silent_o,
  input  logic                                                            rd_release_i
);

  localparam int FanIn    = Channels * Pixels;
  localparam int Groups   = (FanIn + GroupWidth - 1) / GroupWidth;
  localparam int Padded   = Groups * GroupWidth;               // positions per timestep
  localparam int TBits    = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int PixBits  = (Pixels > 1) ? $clog2(Pixels) : 1;

  localparam logic [TBits-1:0]   LastT   = TBits'(Timesteps - 1);
  localparam logic [PixBits-1:0] LastPix = PixBits'(Pixels - 1);

  // Row (b, t) of the store: bit i = fan-in position i of timestep t of buffer b.
  logic [FanIn-1:0]                  store_q [2][Timesteps];
  // Per buffer b: the group (rd_t_i, rd_g_i) and the stepped position's group. The buffer is
  // selected last, on G bits: selected first (store_q[rsel_q][...]) it fanned out to every bit
  // of both buffers, the linear core's critical path (docs/synthesis.md).
  logic [1:0][GroupWidth-1:0]        rd_group, rd_step_group;
  logic [GroupWidth-1:0]             rd_bits, rd_step_bits;
  logic [GroupWidth-1:0]             rd_bits_q;
  // silent_q[b][t]: no beat of timestep t written to buffer b so far in its frame had a spike.
  logic [Timesteps-1:0]              silent_q [2];
  // The writer's state of the previous cycle, for rd_avail_o.
  logic [1:0]         full_dly_q;
  logic               wsel_dly_q;
  logic [1:0]         full_d, full_q;     // buffer b holds a complete frame
  logic               wsel_d, wsel_q;     // buffer being written
  logic               rsel_d, rsel_q;     // buffer being read
  logic [PixBits-1:0] wpix_d, wpix_q;     // pixel of the next beat
  logic [TBits-1:0]   wt_d, wt_q;         // timestep of the next beat
  logic [PixBits-1:0] wpix_dly_q;
  logic [TBits-1:0]   wt_dly_q;

  logic               in_fire;
  logic               wr_frame_end;       // the accepted beat is the frame's last

  assign in_ready_o   = ~full_q[wsel_q];
  assign in_fire      = in_valid_i & in_ready_o;
  assign wr_frame_end = (wpix_q == LastPix) && (wt_q == LastT);

  for (genvar b = 0; b < 2; b++) begin : g_read_buffer
    // Rows zero-extended to Padded bits, so a group read past F sees zeros.
    logic [Groups-1:0][GroupWidth-1:0] row, step_row;
    assign row              = Padded'(store_q[b][rd_t_i]);
    assign step_row         = Padded'(store_q[b][rd_step_t_i]);
    assign rd_group[b]      = row[rd_g_i];
    assign rd_step_group[b] = step_row[rd_step_g_i];
  end
  // A step from the frame's last group goes on in the other buffer.
  assign rd_bits      = rsel_q ? rd_group[1] : rd_group[0];
  assign rd_step_bits = (rsel_q ^ rd_step_swap_i) ? rd_step_group[1] : rd_step_group[0];
  assign rd_bits_o    = rd_bits_q;
  assign rd_silent_o  = rsel_q ? silent_q[1][rd_t_i] : silent_q[0][rd_t_i];

  // No reset: rd_bits_o is only used while rd_avail_o is high, by then loaded.
  always_ff @(posedge clk_i) begin : p_read
    rd_bits_q <= rd_step_i ? rd_step_bits : rd_bits;
  end

  // Timestep rd_t_i of the read buffer was complete in the previous cycle: the frame was, or the
  // writer was on the same buffer, at the last pixel, past timestep rd_t_i.
  assign rd_avail_o = full_dly_q[rsel_q] ||
                      ((wsel_dly_q == rsel_q) && (wpix_dly_q == LastPix) && (wt_dly_q > rd_t_i));

  `DUALSPIKE_ALWAYS_COMB begin : p_write
    full_d  = full_q;
    wsel_d  = wsel_q;
    wpix_d  = wpix_q;
    wt_d    = wt_q;
    rsel_d  = rsel_q;
    if (in_fire) begin
      wt_d = wt_q + TBits'(1);
      if (wt_q == LastT) begin
        wt_d   = '0;
        wpix_d = wpix_q + PixBits'(1);
        if (wpix_q == LastPix) begin
          wpix_d         = '0;
          full_d[wsel_q] = 1'b1;
          wsel_d         = ~wsel_q;
        end
      end
    end
    // The reader frees its buffer; never the one completed above (that one is not yet read).
    if (rd_release_i) begin
      full_d[rsel_q] = 1'b0;
      rsel_d         = ~rsel_q;
    end
  end

  // The beat goes to position c*Pixels + wpix_q of row (wsel_q, wt_q), for every channel c.
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_store
    if (!rst_ni) begin
      for (int b = 0; b < 2; b++) begin
        for (int t = 0; t < Timesteps; t++) begin
          store_q[b][t] <= '0;
        end
      end
    end else begin
      for (int b = 0; b < 2; b++) begin
        for (int t = 0; t < Timesteps; t++) begin
          if (in_fire && int'(wsel_q) == b && int'(wt_q) == t) begin
            for (int c = 0; c < Channels; c++) begin
              store_q[b][t][c*Pixels + int'(wpix_q)] <= in_data_i[c];
            end
          end
        end
      end
    end
  end

  // A frame's first pixel restarts its timestep's flag: every timestep gets that beat first.
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_silent
    if (!rst_ni) begin
      silent_q[0] <= '1;
      silent_q[1] <= '1;
    end else begin
      for (int b = 0; b < 2; b++) begin
        for (int t = 0; t < Timesteps; t++) begin
          if (in_fire && int'(wsel_q) == b && int'(wt_q) == t) begin
            silent_q[b][t] <= ((wpix_q == '0) || silent_q[b][t]) && (in_data_i == '0);
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      full_q  <= '0;
      wsel_q  <= 1'b0;
      rsel_q  <= 1'b0;
      wpix_q  <= '0;
      wt_q    <= '0;
      full_dly_q <= '0;
      wsel_dly_q <= 1'b0;
      wpix_dly_q <= '0;
      wt_dly_q   <= '0;
    end else begin
      full_q  <= full_d;
      wsel_q  <= wsel_d;
      rsel_q  <= rsel_d;
      wpix_q  <= wpix_d;
      wt_q    <= wt_d;
      full_dly_q <= full_q;
      wsel_dly_q <= wsel_q;
      wpix_dly_q <= wpix_q;
      wt_dly_q   <= wt_q;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (Channels < 1 || Pixels < 1 || Timesteps < 1 || GroupWidth < 1) begin : g_bad_params
    $error("linear_frame_buffer: Channels, Pixels, Timesteps and GroupWidth must be >= 1");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  `DUALSPIKE_SVA_ARMED

  always @(posedge clk_i) begin : p_sva
    if (sva_armed_q) begin
      // InLastMatches_A: the stream's last marks pixel Pixels-1, timestep T-1, and only it.
      if (in_fire) begin
        assert (in_last_i == wr_frame_end)
          else $error("InLastMatches_A: in_last_i = %0d on pixel %0d timestep %0d", in_last_i,
                      wpix_q, wt_q);
      end
      // ReleaseComplete_A: only a complete frame is released.
      if (rd_release_i) begin
        assert (full_q[rsel_q])
          else $error("ReleaseComplete_A: buffer %0d released before it was complete", rsel_q);
      end
      // ReleaseIsSwapStep_A: a step into the other buffer releases this one, and a release is a
      // step (from the frame's last group; without the swap when the reader skipped a silent
      // timestep's last row and reloads the read register in the next cycle).
      assert (rd_release_i ? rd_step_i : !(rd_step_i && rd_step_swap_i))
        else $error("ReleaseIsSwapStep_A: release %0d, step %0d, swap %0d", rd_release_i,
                    rd_step_i, rd_step_swap_i);
    end
  end
`else
  logic unused_in_last;
  assign unused_in_last = in_last_i;
`endif

endmodule
