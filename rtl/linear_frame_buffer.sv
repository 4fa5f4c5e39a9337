// Copyright dualspike contributors.
//
// linear_frame_buffer: the double-buffered input frame store of the sparse linear core.
//
// Receives a spike stream (docs/cores.md section 1: one beat per (pixel, timestep), pixels in
// raster order, time-inner, C bits per beat) and stores it in the linear core's fan-in order,
// pixel-major: the bit of channel c at pixel p = y*W + x and timestep t is position
//   k = p*C + c                 of timestep t
// (SPEC section 1 orders the fan-in i = c*Pixels + p; the core sums over a permutation of it,
// the weights and bitmaps written in the same order: golden.cores.pixel_major_order,
// docs/sparse_linear_core.md). The reader sees, per timestep t, the positions cut into
// NG = ceil(F / G) groups of G (F = Channels * Pixels); the padding positions k >= F of the last
// group always read 0.
//   rd_bits_o = { in[t][g*G + G-1], ..., in[t][g*G] }
// for the position (t, g) the reader holds, read a cycle ahead into a register (the memory's
// read register: the store's multiplexer and the detector behind it do not share a cycle): the
// reader gives its position (rd_t_i, rd_g_i) and the one after a step (rd_step_t_i,
// rd_step_g_i; in the other buffer when rd_step_swap_i: the held group is the frame's last, so
// the step releases this buffer), all from its registers, and rd_step_i, which comes late,
// says which of the two is read at the next edge (in the RAM layouts both are read, from a copy
// of the store each, and a register of rd_step_i picks one behind the read registers).
// Golden: golden.layers.flatten_chw, golden.cores.pixel_major_order, golden.sparsity.groups.
//
// Two frame buffers (ping-pong): the writer fills one while the reader computes on the other, so
// the next frame streams in while the current one is computed (a single buffer would stall the
// input for the whole compute of a frame, because the input is time-inner and the compute
// time-outer). Cost: 2 * T * F bits (twice that in the RAM layouts: the held and the stepped
// position's copies).
//
// Store: in pixel-major order a beat is C consecutive positions, so it is a memory word write
// (rtl/sdp_ram.sv: block or LUT RAM, synchronous read, no reset) when the words line up with
// the groups:
//   - C a multiple of G, or one pixel (a layer after a linear layer): a word per beat at
//     {b, t, p}, zero-extended to S = ceil(C / G) groups; group g is slice g mod S of word
//     (b, t, g / S) (digits28 layer 4: C = G = 32, one 32-bit word a beat);
//   - G a multiple of C: B = G / C memories of C-bit words, memory j holding the beats
//     p = j (mod B) at {b, t, p / B}; group g is word (b, t, g) of every memory, beats past the
//     last pixel masked to 0 (never written) (the events network's layer 2: C = 8, G = 32);
//   - otherwise flip-flops: one F-bit row per (b, t), a beat written at positions wpix*C ..
//     wpix*C + C - 1 inside constant loops over (b, t), read by a row then a group
//     multiplexer. (In SPEC order a beat's C bits landed in up to C groups, so no layout was
//     RAM, and the digits28 layer-4 store was 12,544 flip-flops: docs/synthesis.md.)
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
// F inputs per row (about F/3 LUTs each, 2*T of them). rd_complete_o: the read buffer holds
// a complete frame (from the cycle after its last beat); rd_all_silent_o: ... and none of its
// beats had a spike (the reader replays such a frame, rtl/sparse_linear_core.sv);
// rd_silent0_o: timestep 0 of the read buffer had no spike so far. The three are registers
// (loaded from the next state, so they say the same as a decode of the state would): the
// reader's stage load, which selects the read address, takes them (docs/synthesis.md).
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
  output logic                                                            rd_complete_o,
  output logic                                                            rd_all_silent_o,
  output logic                                                            rd_silent0_o,
  input  logic                                                            rd_release_i
);

  localparam int FanIn    = Channels * Pixels;
  localparam int Groups   = (FanIn + GroupWidth - 1) / GroupWidth;
  localparam int Padded   = Groups * GroupWidth;               // positions per timestep
  localparam int TBits    = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int PixBits  = (Pixels > 1) ? $clog2(Pixels) : 1;
  localparam int GBits    = (Groups > 1) ? $clog2(Groups) : 1;

  localparam logic [TBits-1:0]   LastT   = TBits'(Timesteps - 1);
  localparam logic [PixBits-1:0] LastPix = PixBits'(Pixels - 1);

  // The store's layout (see the header): a word per beat (BeatWords), a group of beats per
  // word in G / C memories (GroupWords), else rows of flip-flops.
  localparam bit BeatWords  = (Pixels == 1) || (Channels % GroupWidth == 0);
  localparam bit GroupWords = !BeatWords && (GroupWidth % Channels == 0);
  // BeatWords: groups per beat (the word is Slices * G bits, the top ones 0 past C).
  localparam int Slices     = (Channels + GroupWidth - 1) / GroupWidth;
  localparam int SliceBits  = (Slices > 1) ? $clog2(Slices) : 1;
  // GroupWords: beats per group, one memory of C-bit words each.
  localparam int Beats      = GroupWords ? GroupWidth / Channels : 1;
  localparam int BeatBits   = (Beats > 1) ? $clog2(Beats) : 1;
  // The word index inside (buffer, timestep): the pixel (BeatWords) or the group (GroupWords).
  localparam int WordBits   = BeatWords ? PixBits : GBits;
  localparam int Depth      = 2 << (TBits + WordBits);       // {buffer, t, word} addresses

  localparam int AddrBits   = 1 + TBits + WordBits;

  // The memory address {buffer, t, word} of position (t, g) of buffer b.
  function automatic logic [AddrBits-1:0] group_address(input logic b,
                                                        input logic [TBits-1:0] t,
                                                        input logic [GBits-1:0] g);
    logic [WordBits-1:0] word;
    word = BeatWords ? WordBits'(int'(g) / Slices) : WordBits'(g);
    return {b, t, word};
  endfunction

  function automatic logic [SliceBits-1:0] group_slice(input logic [GBits-1:0] g);
    return SliceBits'(int'(g) % Slices);
  endfunction

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
  logic               rd_step_buffer;     // the buffer of the stepped position

  assign in_ready_o     = ~full_q[wsel_q];
  assign in_fire        = in_valid_i & in_ready_o;
  assign wr_frame_end   = (wpix_q == LastPix) && (wt_q == LastT);
  // A step from the frame's last group goes on in the other buffer.
  assign rd_step_buffer = rsel_q ^ rd_step_swap_i;
  assign rd_silent_o    = rsel_q ? silent_q[1][rd_t_i] : silent_q[0][rd_t_i];
  // Complete from the cycle after its last beat (a cycle before rd_avail_o says so for its
  // last timestep, which waits for the read register: the replay reads no group); the silent
  // flags of a complete frame are final. Registered from the next state of full, rsel and the
  // silent flags.
  logic [1:0][Timesteps-1:0] silent_d;  // packed: Icarus 11 assigns no whole unpacked array
  logic                 rd_complete_q, rd_all_silent_q, rd_silent0_q;
  assign rd_complete_o   = rd_complete_q;
  assign rd_all_silent_o = rd_all_silent_q;
  assign rd_silent0_o    = rd_silent0_q;

  if (BeatWords || GroupWords) begin : g_memory
    // The position read at the next edge is the stepped one when the reader steps: the store
    // is read at both and rd_step_i picks one behind the read registers (held_step_ram says
    // why: rd_step_i comes late).
    logic [AddrBits-1:0] held_addr, step_addr, waddr;
    logic [GBits-1:0] rg;
    assign rg        = rd_step_i ? rd_step_g_i : rd_g_i;
    assign held_addr = group_address(rsel_q, rd_t_i, rd_g_i);
    assign step_addr = group_address(rd_step_buffer, rd_step_t_i, rd_step_g_i);

    if (BeatWords) begin : g_beat_words
      // Word (b, t, pixel) = the beat, zero-extended to Slices groups; group g is slice
      // g mod Slices of word g / Slices.
      logic [Slices*GroupWidth-1:0]             word;
      logic [Slices-1:0][GroupWidth-1:0]        word_slices;
      logic [SliceBits-1:0]                     slice_q;
      assign waddr = {wsel_q, wt_q, WordBits'(wpix_q)};
      held_step_ram #(
        .Width (Slices * GroupWidth),
        .Depth (Depth)
      ) u_store (
        .clk_i,
        .rst_ni,
        .we_i        (in_fire),
        .waddr_i     (waddr),
        .wdata_i     ((Slices * GroupWidth)'(in_data_i)),
        .held_addr_i (held_addr),
        .step_addr_i (step_addr),
        .step_i      (rd_step_i),
        .rdata_o     (word)
      );
      // No reset: rd_bits_o is only used while rd_avail_o is high, by then loaded.
      always_ff @(posedge clk_i) begin : p_slice
        slice_q <= group_slice(rg);
      end
      assign word_slices = word;
      assign rd_bits_o   = word_slices[slice_q];
    end else begin : g_group_words
      // Memory j holds the beats p = j mod Beats, word (b, t, p / Beats): group g is the
      // words (b, t, g) of every memory, beat j of it at bits j*C; beats past the frame's
      // last pixel are never written and read as 0.
      logic [BeatBits-1:0]             wbeat_q;   // wpix_q mod Beats
      logic [GBits-1:0]                wgroup_q;  // wpix_q / Beats
      logic [Beats-1:0]                present_q; // beat j of the group read is a pixel
      assign waddr = {wsel_q, wt_q, WordBits'(wgroup_q)};
      for (genvar j = 0; j < Beats; j++) begin : g_beat
        logic [Channels-1:0] data;
        logic                we;
        // A wire, not the expression in the port: Icarus 11 then took j for a net in the
        // part select below.
        assign we = in_fire && int'(wbeat_q) == j;
        held_step_ram #(
          .Width (Channels),
          .Depth (Depth)
        ) u_store (
          .clk_i,
          .rst_ni,
          .we_i        (we),
          .waddr_i     (waddr),
          .wdata_i     (in_data_i),
          .held_addr_i (held_addr),
          .step_addr_i (step_addr),
          .step_i      (rd_step_i),
          .rdata_o     (data)
        );
        assign rd_bits_o[j * Channels +: Channels] = present_q[j] ? data : '0;
      end
      always_ff @(posedge clk_i) begin : p_present
        for (int beat = 0; beat < Beats; beat++) begin
          present_q[beat] <= int'(rg) * Beats + beat < Pixels;
        end
      end
      // The pixel's place in its group, counted beside wpix_q (a division otherwise).
      always_ff @(posedge clk_i or negedge rst_ni) begin : p_wbeat
        if (!rst_ni) begin
          wbeat_q  <= '0;
          wgroup_q <= '0;
        end else if (in_fire && wt_q == LastT) begin
          if (wpix_q == LastPix || int'(wbeat_q) == Beats - 1) begin
            wbeat_q <= '0;
          end else begin
            wbeat_q <= wbeat_q + BeatBits'(1);
          end
          if (wpix_q == LastPix) begin
            wgroup_q <= '0;
          end else if (int'(wbeat_q) == Beats - 1) begin
            wgroup_q <= wgroup_q + GBits'(1);
          end
        end
      end
    end
  end else begin : g_registers
    // Row (b, t) of the store: bit k = position k of timestep t of buffer b. A beat writes the
    // C positions wpix*C .. wpix*C + C - 1 of row (wsel_q, wt_q) (a shift of the beat, not C
    // scattered bits). Per buffer b: the group (rd_t_i, rd_g_i) and the stepped position's
    // group; the buffer is selected last, on G bits (selected first it fanned out to every bit
    // of both buffers, the linear core's critical path, docs/synthesis.md).
    logic [FanIn-1:0]            store_q [2][Timesteps];
    logic [1:0][GroupWidth-1:0]  rd_group, rd_step_group;
    logic [GroupWidth-1:0]       rd_bits_q;
    for (genvar b = 0; b < 2; b++) begin : g_read_buffer
      // Rows zero-extended to Padded bits, so a group read past F sees zeros.
      logic [Groups-1:0][GroupWidth-1:0] row, step_row;
      assign row              = Padded'(store_q[b][rd_t_i]);
      assign step_row         = Padded'(store_q[b][rd_step_t_i]);
      assign rd_group[b]      = row[rd_g_i];
      assign rd_step_group[b] = step_row[rd_step_g_i];
    end
    // No reset: rd_bits_o is only used while rd_avail_o is high, by then loaded.
    always_ff @(posedge clk_i) begin : p_read
      rd_bits_q <= rd_step_i ? rd_step_group[rd_step_buffer] : rd_group[rsel_q];
    end
    assign rd_bits_o = rd_bits_q;

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
              store_q[b][t][int'(wpix_q) * Channels +: Channels] <= in_data_i;
            end
          end
        end
      end
    end
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

  // A frame's first pixel restarts its timestep's flag: every timestep gets that beat first.
  // (Continuous assigns over constant indices: Icarus 11 takes no variable index into a
  // packed array written in a process.)
  for (genvar b = 0; b < 2; b++) begin : g_silent_next
    for (genvar t = 0; t < Timesteps; t++) begin : g_step
      assign silent_d[b][t] = (in_fire && int'(wsel_q) == b && int'(wt_q) == t)
                              ? ((wpix_q == '0) || silent_q[b][t]) && (in_data_i == '0)
                              : silent_q[b][t];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_silent
    if (!rst_ni) begin
      silent_q[0]     <= '1;
      silent_q[1]     <= '1;
      rd_complete_q   <= 1'b0;
      rd_all_silent_q <= 1'b0;
      rd_silent0_q    <= 1'b1;
    end else begin
      silent_q[0]     <= silent_d[0];
      silent_q[1]     <= silent_d[1];
      rd_complete_q   <= full_d[rsel_d];
      rd_all_silent_q <= full_d[rsel_d] && (rsel_d ? &silent_d[1] : &silent_d[0]);
      rd_silent0_q    <= rsel_d ? silent_d[1][0] : silent_d[0][0];
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
