// Copyright dualspike contributors.
//
// dense_input_core: the first layer of a direct-coded (multi-bit pixel) network: a conv layer
// (stride 1, zero padding K//2, odd K) with a neuron, computing each output pixel's current ONCE
// and running the neuron T times on it (the DATE'25 hybrid architecture recomputes it per
// timestep). Interfaces: docs/cores.md (pixel stream in, spike or current stream out, the
// configuration write port); design and schedule: docs/dense_input_core.md.
//
// Equation (SPEC section 2, the same pixel frame x at every t):
//   I[co][y][x] = b[co] + sum_{ci,ky,kx} w[co][ci][ky][kx] * x[ci][y+ky-P][x+kx-P]  (0 outside)
//   HasNeuron = 1: per output neuron, v = 0 at the pixel's start, for t = 0 .. T-1:
//     "if":  u = sat_V(v + I);  "lif": u = sat_V(v + ((I - v) >>> k));  s[t] = u >= theta;
//     hard: v = s ? 0 : u;  soft: v = s ? u - theta : u               (lif_unit)
//   HasNeuron = 0 ("readout": "accumulate"): beat t carries I (the same for every t).
// Golden: golden.layers.conv_currents(x broadcast over T) + golden.neuron.run_neuron.
// CurrentBits (exact): |I| <= 2^(V-1) + F * (2^A - 1) * 2^(B-1) =: M, F = C*K*K, so
//   CurrentBits = $clog2(M) + 1 (the golden's config.current_bounds; -M itself is reachable).
//
// Dual-side sparsity on pixels: per group of G fan-in positions the weight bitmap is ANDed with
// the window's non-zero-pixel bitmap (zero pixels and padding are skipped like absent spikes);
// each effectual pair multiplies the pixel by its packed weight (dense_bank).
//
// Schedule (all stages overlap; free-running streams):
//   input    dense_line_buffer: one pixel per cycle into K row slots;
//   window   taken when its pixels are in, every bank has accepted the last group of the previous
//            window and the next current buffer of the ring is free; registered with its
//            non-zero map;
//   banks    P banks (channel co in bank co % P, row co / P) each walk their rows x NG groups
//            through a sparsity_detector: max(1, ceil(pairs / L)) cycles per group, banks
//            independent within a pixel, synchronised only when the next window is taken;
//   currents a ring of N = CurrentBuffers buffers: pixel n's Co currents go to buffer n % N;
//   neuron   once a buffer is complete, Co lif_units emit the T beats of the pixel (time-inner),
//            buffers in ring order, while the banks compute the next pixels into the others: with
//            N > 2 fast pixels run up to N - 1 pixels ahead of the emission behind a slow one;
//            with NeuronStages = 2 a beat every two cycles (charge, then fire and offer);
//            with WideBeat = 1 the pixel enters a chain of T neuron stages instead (stage t runs
//            timestep t: T x Co lif_units, a pixel per cycle) and leaves in one beat of T x Co
//            bits: the emission no longer costs T cycles per pixel.
// Cycles per pixel ~ max(S*T, max over banks of the beats of its groups), S = NeuronStages (+
// pipeline latency at the start of a frame; WideBeat = 1: max(1, ...)):
// golden/cycles/dense_input.py models them exactly.
// Latency: window taken at edge e -> first group accepted at e+1 -> beats e+2.. -> currents
// complete two cycles after the last beat (the bank's address and weight registers) -> first
// output beat valid the cycle after that.
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_DENSE_LOST_LAST_TIMESTEP
// repeats the previous beat's data at t = T-1 (the spikes of T-2, or for T = 1 the previous
// pixel's beat).

`include "dualspike_macros.svh"

module dense_input_core #(
  parameter int InChannels   = 1,   // C
  parameter int PixelBits    = 8,   // A, 1..16
  parameter int OutChannels  = 4,   // Co
  parameter int Height       = 4,   // H
  parameter int Width        = 4,   // W
  parameter int Kernel       = 3,   // K, odd
  parameter int Timesteps    = 2,   // T
  parameter int Parallel     = 2,   // P, any (need not divide Co)
  parameter int Lanes        = 2,   // L
  parameter int GroupWidth   = 8,   // G, 1..32 (a bitmap word goes through cfg_data_i)
  parameter int WeightBits   = 4,   // B, 2..8
  parameter int MembraneBits = 16,  // V, 4..32
  parameter int HasNeuron    = 1,   // 0: emit the current stream ("readout": "accumulate")
  // N >= 2 current buffers in a ring: Co * CurrentBits * N flip-flops (2 = ping-pong).
  parameter int CurrentBuffers = 2,
  // 1: a neuron step per cycle (lif_unit); 2: the step registered between its charge and fire
  // halves, a beat every two cycles, so the membrane loop holds half the LIF (HasNeuron = 1;
  // golden.cores chooses 2 where the banks' floor of Rows x NumGroups cycles per pixel hides
  // the 2T cycles of an emission).
  parameter int NeuronStages = 1,
  // 1: one beat per pixel carrying its T timesteps (bit t*Co + co = the spike of channel co at
  // timestep t; HasNeuron = 1, NeuronStages = 1), from a chain of T neuron stages; 0: T beats
  // of Co bits (the spike stream of docs/cores.md).
  parameter int WideBeat     = 0,
  // "" = memories loaded by the configuration port; else $readmemh images {InitPrefix}bias.mem,
  // {InitPrefix}bitmap_b<pp>.mem, {InitPrefix}weight_b<pp>.mem (pp = bank, two digits) at
  // time 0 (docs/vectors.md, "Preloading memories"); the neuron registers still need the port.
  parameter     InitPrefix   = ""
) (
  input  logic clk_i,
  input  logic rst_ni,
  // Configuration write port (docs/cores.md section 3). BankBits = max(1, clog2(P));
  // AddrBits = clog2(max(4, Co, ceil(Co/P) * C*K*K)) (the expressions below: Icarus 11 has no
  // localparam in a port list).
  input  logic                                                  cfg_valid_i,
  input  logic [1:0]                                            cfg_sel_i,
  input  logic [((Parallel > 1) ? $clog2(Parallel) : 1)-1:0]    cfg_bank_i,
  input  logic [$clog2(
      ((((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel) > OutChannels)
        ? ((((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel) > 4
           ? (((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel) : 4)
        : ((OutChannels > 4) ? OutChannels : 4))-1:0]            cfg_addr_i,
  input  logic [31:0]                                           cfg_data_i,
  // Pixel stream: channel c unsigned at [c*A +: A]; last on pixel H*W-1.
  input  logic                                                  in_valid_i,
  output logic                                                  in_ready_o,
  input  logic [InChannels*PixelBits-1:0]                       in_data_i,
  input  logic                                                  in_last_i,
  // Output stream, T beats per pixel: HasNeuron = 1: Co spike bits; HasNeuron = 0: Co currents
  // of CurrentBits (two's complement) at [co*CurrentBits +: CurrentBits]. WideBeat = 1: one
  // beat per pixel, T x Co spike bits.
  output logic                                                  out_valid_o,
  input  logic                                                  out_ready_i,
  output logic [((HasNeuron != 0) ? OutChannels * ((WideBeat != 0) ? Timesteps : 1)
                                  : OutChannels * ($clog2(
      (64'd1 << (MembraneBits - 1)) + 64'(InChannels * Kernel * Kernel) *
      ((64'd1 << PixelBits) - 64'd1) * (64'd1 << (WeightBits - 1))) + 1))-1:0] out_data_o,
  output logic                                                  out_last_o
);

  // ---------------------------------------------------------------------------------------------
  // Derived sizes
  // ---------------------------------------------------------------------------------------------
  localparam int FanIn       = InChannels * Kernel * Kernel;
  localparam int NumGroups   = (FanIn + GroupWidth - 1) / GroupWidth;
  localparam int WinPixels   = NumGroups * GroupWidth;
  localparam int Rows        = (OutChannels + Parallel - 1) / Parallel;
  localparam int RowBits     = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int CoBits      = (OutChannels > 1) ? $clog2(OutChannels) : 1;
  localparam int BankBits    = (Parallel > 1) ? $clog2(Parallel) : 1;
  localparam int WeightDepth = Rows * FanIn;
  localparam int AddrSpan    = (WeightDepth > OutChannels)
                               ? ((WeightDepth > 4) ? WeightDepth : 4)
                               : ((OutChannels > 4) ? OutChannels : 4);
  localparam int AddrBits    = $clog2(AddrSpan);
  localparam longint CurrentBound = (64'd1 << (MembraneBits - 1)) + 64'(FanIn) *
                                    ((64'd1 << PixelBits) - 64'd1) * (64'd1 << (WeightBits - 1));
  localparam int CurrentBits = $clog2(CurrentBound) + 1;
  localparam int ShiftBits   = $clog2(MembraneBits);
  localparam int TBits       = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int OutBits     = (HasNeuron != 0) ? OutChannels * ((WideBeat != 0) ? Timesteps : 1)
                                                : OutChannels * CurrentBits;
  localparam int BufBits     = (CurrentBuffers > 1) ? $clog2(CurrentBuffers) : 1;

  localparam logic [BufBits-1:0] BufLast = BufBits'(CurrentBuffers - 1);

  localparam logic [TBits-1:0] TLast = TBits'(Timesteps - 1);

  // Banks p >= Co hold no channel; the others hold rows 0 .. ceil((Co - p) / P) - 1.
  function automatic int bank_rows(int p);
    return (p < OutChannels) ? (OutChannels - p + Parallel - 1) / Parallel : 0;
  endfunction


  // ---------------------------------------------------------------------------------------------
  // Configuration: bias (a copy per bank, below) and neuron registers (bitmap and weight
  // memories live in the banks)
  // ---------------------------------------------------------------------------------------------
  logic bias_we;

  assign bias_we = cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelBias)
                   && (int'(cfg_addr_i) < OutChannels);

  // ---------------------------------------------------------------------------------------------
  // Line buffer and window
  // ---------------------------------------------------------------------------------------------
  logic                             win_avail;
  logic                             take;
  logic [WinPixels*PixelBits-1:0]   win_pixels;
  logic                             win_frame_last;
  logic [WinPixels*PixelBits-1:0]   window_d, window_q;
  logic [WinPixels-1:0]             win_nonzero;
  logic [WinPixels-1:0]             nonzero_d, nonzero_q;
  logic [BufBits-1:0]               win_buf_d, win_buf_q;  // buffer of the window being fed

  dense_line_buffer #(
    .InChannels   (InChannels),
    .PixelBits    (PixelBits),
    .Height       (Height),
    .Width        (Width),
    .Kernel       (Kernel),
    .WindowPixels (WinPixels)
  ) u_line_buffer (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .in_valid_i       (in_valid_i),
    .in_ready_o       (in_ready_o),
    .in_data_i        (in_data_i),
    .in_last_i        (in_last_i),
    .win_valid_o      (win_avail),
    .win_take_i       (take),
    .win_pixels_o     (win_pixels),
    .win_frame_last_o (win_frame_last)
  );

  for (genvar j = 0; j < WinPixels; j++) begin : g_nonzero
    assign win_nonzero[j] = |win_pixels[j * PixelBits +: PixelBits];
  end

  // ---------------------------------------------------------------------------------------------
  // Banks
  // ---------------------------------------------------------------------------------------------
  logic [Parallel-1:0]                   feed_done_next;
  logic [Parallel-1:0]                   bank_wr_valid;
  logic [Parallel-1:0][RowBits-1:0]      bank_wr_row;
  logic [Parallel-1:0][BufBits-1:0]      bank_wr_buf;
  logic [Parallel-1:0][CurrentBits-1:0]  bank_wr_current;
  logic [Parallel-1:0]                   bank_pix_done;
  logic [Parallel-1:0]                   bank_empty;  // constant: the bank holds no channel

  for (genvar p = 0; p < Parallel; p++) begin : g_bank
    if (bank_rows(p) > 0) begin : g_active
      logic                    bitmap_we;
      logic                    weight_we;
      logic [RowBits-1:0]      bias_row;
      logic [MembraneBits-1:0] bias;
      logic                    feed_done;

      assign bank_empty[p] = 1'b0;

      assign bitmap_we = cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelBitmap)
                         && (cfg_bank_i == BankBits'(p));
      assign weight_we = cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelWeight)
                         && (cfg_bank_i == BankBits'(p));

      // The bank's copy of the biases (sdp_ram: block or LUT RAM), read at the row the bank's
      // MAC takes at the next edge (bias_row_o names it a cycle ahead).
      sdp_ram #(
        .Width    (MembraneBits),
        .Depth    (OutChannels),
        .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "bias.mem"}),
        .CollisionFree (1'b1)  // configuration memory: written while idle
      ) u_bias_mem (
        .clk_i,
        .we_i    (bias_we),
        .waddr_i (cfg_addr_i[CoBits-1:0]),
        .wdata_i (cfg_data_i[MembraneBits-1:0]),
        .re_i    (1'b1),
        .raddr_i (CoBits'(int'(bias_row) * Parallel + p)),
        .rdata_o (bias)
      );

      // Preload image names: "_b" and the bank in two decimal digits (docs/vectors.md).
      localparam logic [31:0] BankTag = {"_b", 8'(48 + p / 10), 8'(48 + p % 10)};

      dense_bank #(
        .PixelBits    (PixelBits),
        .WeightBits   (WeightBits),
        .GroupWidth   (GroupWidth),
        .Lanes        (Lanes),
        .FanIn        (FanIn),
        .NumGroups    (NumGroups),
        .Rows         (Rows),
        .BankRows     (bank_rows(p)),
        .MembraneBits (MembraneBits),
        .CurrentBits  (CurrentBits),
        .CfgAddrBits  (AddrBits),
        .BufBits      (BufBits),
        .InitBitmapFile ((InitPrefix == "") ? "" : {InitPrefix, "bitmap", BankTag, ".mem"}),
        .InitWeightFile ((InitPrefix == "") ? "" : {InitPrefix, "weight", BankTag, ".mem"})
      ) u_bank (
        .clk_i            (clk_i),
        .rst_ni           (rst_ni),
        .bitmap_we_i      (bitmap_we),
        .weight_we_i      (weight_we),
        .cfg_addr_i       (cfg_addr_i),
        .cfg_data_i       (cfg_data_i),
        .start_i          (take),
        .buf_i            (win_buf_q),
        .win_pixels_i     (window_q),
        .win_nonzero_i    (nonzero_q),
        .feed_done_o      (feed_done),
        .feed_done_next_o (feed_done_next[p]),
        .bias_row_o       (bias_row),
        .bias_i           (bias),
        .wr_valid_o       (bank_wr_valid[p]),
        .wr_row_o         (bank_wr_row[p]),
        .wr_buf_o         (bank_wr_buf[p]),
        .wr_current_o     (bank_wr_current[p]),
        .pix_done_o       (bank_pix_done[p])
      );

      logic unused_feed_done;
      assign unused_feed_done = feed_done;
    end else begin : g_empty
      assign bank_empty[p]      = 1'b1;
      assign feed_done_next[p]  = 1'b1;
      assign bank_wr_valid[p]   = 1'b0;
      assign bank_wr_row[p]     = '0;
      assign bank_wr_buf[p]     = '0;
      assign bank_wr_current[p] = '0;
      assign bank_pix_done[p]   = 1'b0;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Current buffers: per channel a CurrentBuffers-word memory (LUT RAM: one write port, the
  // channel's bank; one asynchronous read port, the buffer whose emission starts). Not reset: a
  // buffer is emitted only once complete. The emitted pixel's current is copied into a register
  // when its emission starts, so the neuron loop (membrane -> lif_unit -> membrane) reads a
  // flip-flop and not the LUT RAM through the buffer index (the dense input core's critical
  // path, docs/synthesis.md). The pixel's last row may be written at that very edge: bypassed.
  // The buffer an emission starts from is known from registers alone (start_buf: the waiting
  // buffer when idle, else the one after the emitted one, since an active emission starts the
  // next only as it frees its own): the read does not wait for the start decision (the
  // emission logic into the read address was the core's critical path).
  // With NeuronStages = 2 the read is registered in every cycle (prefetch, no enable) and the
  // emitted copy loads from it in the pixel's first charge cycle, in which the LIF units take
  // the prefetch register itself: the start decision, late behind out_ready_i and the banks'
  // done flags, then enables no wide register (it enabled every channel's copy, a net of 640
  // loads on the dense input core's critical path at digits layer 0, docs/synthesis.md).
  // ---------------------------------------------------------------------------------------------
  logic [OutChannels-1:0][CurrentBits-1:0] cur_emit;  // the emitted pixel's currents
  logic [BufBits-1:0]                      emit_buf_d, emit_buf_q;
  logic                                    emit_active_d, emit_active_q;
  logic                                    emit_free;   // the emitted buffer is released now
  logic                                    emit_start;  // a buffer's emission starts now
  logic [BufBits-1:0]                      start_buf;   // ... from this buffer (emit_buf_d)
  // NeuronStages = 2: the cycle after emit_start, the pixel's first charge cycle (one copy per
  // channel, below).
  logic [OutChannels-1:0]                  emit_first_q;

  for (genvar co = 0; co < OutChannels; co++) begin : g_cur
    logic                   we;
    logic [CurrentBits-1:0] cur_mem [CurrentBuffers];
    assign we = bank_wr_valid[co % Parallel] &&
                (int'(bank_wr_row[co % Parallel]) == co / Parallel);
    always_ff @(posedge clk_i) begin : p_cur
      if (we) begin
        cur_mem[bank_wr_buf[co % Parallel]] <= bank_wr_current[co % Parallel];
      end
    end

    // The first-charge flag, a copy per channel so that none drives more than one channel's
    // current and membrane selects (`keep`: synthesis would merge the equal registers back
    // into one, as it would a `keep` on the declaration only).
    (* keep *)
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_emit_first
      if (!rst_ni) begin
        emit_first_q[co] <= 1'b0;
      end else begin
        emit_first_q[co] <= emit_start;
      end
    end

    logic [CurrentBits-1:0] cur_start;  // the current of buffer start_buf after this edge
    logic [CurrentBits-1:0] cur_d, cur_q;
    assign cur_start = (we && bank_wr_buf[co % Parallel] == start_buf)
                     ? bank_wr_current[co % Parallel] : cur_mem[start_buf];
    if (NeuronStages == 2) begin : g_prefetch
      logic [CurrentBits-1:0] pre_q;
      always_ff @(posedge clk_i or negedge rst_ni) begin : p_prefetch
        if (!rst_ni) begin
          pre_q <= '0;
        end else begin
          pre_q <= cur_start;
        end
      end
      assign cur_d        = emit_first_q[co] ? pre_q : cur_q;
      assign cur_emit[co] = emit_first_q[co] ? pre_q : cur_q;
    end else begin : g_load_at_start
      logic unused_emit_first;  // the membranes are cleared by emit_start itself
      assign unused_emit_first = emit_first_q[co];
      assign cur_d        = emit_start ? cur_start : cur_q;
      assign cur_emit[co] = cur_q;
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_cur_emit_reg
      if (!rst_ni) begin
        cur_q <= '0;
      end else begin
        cur_q <= cur_d;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Buffer bookkeeping and window take
  // ---------------------------------------------------------------------------------------------
  logic [CurrentBuffers-1:0]                busy_d, busy_q;  // allocated, not yet emitted
  logic [CurrentBuffers-1:0]                last_d, last_q;  // the pixel is its frame's last
  logic [CurrentBuffers-1:0][Parallel-1:0]  done_d, done_q;  // bank p wrote the pixel's last row
  logic [CurrentBuffers-1:0][Parallel-1:0]  done_now;
  logic [CurrentBuffers-1:0]                full;            // complete (after this edge)
  logic [BufBits-1:0]                       next_buf;
  logic [TBits-1:0]                         t_d, t_q;
  logic                                     out_fire;
  logic                                     emit_fire;   // the emitter hands its beat on
  logic                                     beat_last;   // ... the pixel's last
  logic                                     chain_adv;   // WideBeat = 1: the chain moves
  // NeuronStages = 2: the emitted beat's charge half is registered (its fire half is offered).
  logic                                     charged_d, charged_q;
  logic                                     beat_ready;  // the beat of t_q is offered

  // Ring successor of a buffer index (CurrentBuffers need not be a power of two). The banks take
  // windows and the emitter empties buffers in the same ring order, so pixels leave in order.
  function automatic logic [BufBits-1:0] ring_next(logic [BufBits-1:0] b);
    return (b == BufLast) ? '0 : b + BufBits'(1);
  endfunction

  assign next_buf   = ring_next(win_buf_q);
  assign beat_ready = (NeuronStages == 1) || charged_q;
  assign out_fire   = out_valid_o & out_ready_i;
  // WideBeat = 0 the emitter's beat is the output's (T per pixel); WideBeat = 1 it is the pixel
  // entering the neuron chain, once, when the chain moves.
  assign emit_fire  = (WideBeat != 0) ? (emit_active_q & chain_adv) : out_fire;
  assign beat_last  = (WideBeat != 0) || (t_q == TLast);
  assign emit_free = emit_fire & beat_last;
  assign emit_start = emit_active_d && (!emit_active_q || emit_free);
  assign start_buf  = emit_active_q ? ring_next(emit_buf_q) : emit_buf_q;
  assign take      = win_avail && (&feed_done_next) &&
                     !(busy_q[next_buf] && !(emit_free && (emit_buf_q == next_buf)));

  for (genvar b = 0; b < CurrentBuffers; b++) begin : g_full
    for (genvar p = 0; p < Parallel; p++) begin : g_done_now
      assign done_now[b][p] = bank_pix_done[p] && (bank_wr_buf[p] == BufBits'(b));
    end
    assign full[b] = busy_q[b] && (&(done_q[b] | done_now[b] | bank_empty));
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_window
    window_d  = window_q;
    nonzero_d = nonzero_q;
    win_buf_d = win_buf_q;
    if (take) begin
      window_d  = win_pixels;
      nonzero_d = win_nonzero;
      win_buf_d = next_buf;
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_buffers
    busy_d = busy_q;
    last_d = last_q;
    done_d = done_q | done_now;
    if (emit_free) begin
      busy_d[emit_buf_q] = 1'b0;
    end
    if (take) begin
      busy_d[next_buf] = 1'b1;
      last_d[next_buf] = win_frame_last;
      done_d[next_buf] = '0;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Emission: T beats per pixel from a complete buffer
  // ---------------------------------------------------------------------------------------------
  logic [OutBits-1:0]                      beat_data;

  `DUALSPIKE_ALWAYS_COMB begin : p_emit
    emit_active_d = emit_active_q;
    emit_buf_d    = emit_buf_q;
    t_d           = t_q;
    charged_d     = charged_q;
    if (emit_active_q && !charged_q) begin
      charged_d = 1'b1;
    end
    if (emit_fire) begin
      t_d       = t_q + TBits'(1);
      charged_d = 1'b0;
      if (beat_last) begin
        emit_active_d = 1'b0;
        emit_buf_d    = ring_next(emit_buf_q);
      end
    end
    if (!emit_active_d && full[emit_buf_d]) begin
      emit_active_d = 1'b1;
      t_d           = '0;
    end
  end

  if (HasNeuron != 0) begin : g_neuron
    logic [MembraneBits-1:0] threshold_q;
    logic [ShiftBits-1:0]    leak_shift_q;
    logic                    model_lif_q, reset_soft_q;

    neuron_params #(
      .MembraneBits (MembraneBits),
      .CfgAddrBits  (AddrBits)
    ) u_params (
      .clk_i,
      .rst_ni,
      .cfg_valid_i,
      .cfg_sel_i,
      .cfg_addr_i,
      .cfg_data_i,
      .threshold_o  (threshold_q),
      .leak_shift_o (leak_shift_q),
      .model_lif_o  (model_lif_q),
      .reset_soft_o (reset_soft_q)
    );

    // A copy of the neuron configuration per channel (rtl/neuron_config_copy.sv), which both
    // neuron stages below read: one register each fanned out to every channel's shifters and
    // operand selects (2,181 loads at digits layer 0) was a 7 ns net on the core's critical path.
    logic [OutChannels-1:0][MembraneBits-1:0] threshold_c;
    logic [OutChannels-1:0][ShiftBits-1:0]    leak_shift_c;
    logic [OutChannels-1:0]                   model_lif_c, reset_soft_c;
    for (genvar co = 0; co < OutChannels; co++) begin : g_config
      neuron_config_copy #(
        .MembraneBits (MembraneBits)
      ) u_config (
        .clk_i        (clk_i),
        .rst_ni       (rst_ni),
        .threshold_i  (threshold_q),
        .leak_shift_i (leak_shift_q),
        .model_lif_i  (model_lif_q),
        .reset_soft_i (reset_soft_q),
        .threshold_o  (threshold_c[co]),
        .leak_shift_o (leak_shift_c[co]),
        .model_lif_o  (model_lif_c[co]),
        .reset_soft_o (reset_soft_c[co])
      );
    end

    if (WideBeat == 0) begin : g_step
      logic [OutChannels-1:0][MembraneBits-1:0]  v_d, v_q, v_next;
      logic [OutChannels-1:0]                    spikes;

      // NeuronStages = 2: charge in the cycle after the membrane settles (emit_active_q &
      // !charged_q), fire in the cycle the beat is offered (lif_unit registers u and u - theta
      // between the halves).
      // Per channel, copies of the charge enable (emit_active_q & !charged_q) and of the membrane
      // write enable (charged_q), loaded from their next values: one register each fanned out to
      // every channel's charge registers and membranes (about 40 clock enables per channel) was
      // the core's critical path placed and routed (13.7 ns, 13.0 of it wire across the die,
      // docs/synthesis.md). `keep`: synthesis would merge the equal registers.
      logic [OutChannels-1:0] charge_c_q, charged_c_q;
      for (genvar co = 0; co < OutChannels; co++) begin : g_lif
        logic [MembraneBits-1:0] v_charge;  // the membrane the charge half reads
        (* keep *)
        always_ff @(posedge clk_i or negedge rst_ni) begin : p_enable_copy
          if (!rst_ni) begin
            charge_c_q[co]  <= 1'b0;
            charged_c_q[co] <= 1'b0;
          end else begin
            charge_c_q[co]  <= emit_active_d & ~charged_d;
            charged_c_q[co] <= charged_d;
          end
        end
        // The membrane is 0 at the start of every pixel (no membrane survives a pixel): with
        // NeuronStages = 2 the first charge reads 0 instead of the register, which is not cleared.
        assign v_charge = (NeuronStages == 2 && emit_first_q[co]) ? '0 : v_q[co];

        lif_unit #(
          .MembraneBits (MembraneBits),
          .CurrentBits  (CurrentBits),
          .Stages       (NeuronStages)
        ) u_lif (
          .clk_i        (clk_i),
          .load_i       (charge_c_q[co]),
          .model_lif_i  (model_lif_c[co]),
          .reset_soft_i (reset_soft_c[co]),
          .leak_shift_i (leak_shift_c[co]),
          .threshold_i  (threshold_c[co]),
          .v_i          (v_charge),
          .current_i    (cur_emit[co]),
          .spike_o      (spikes[co]),
          .v_o          (v_next[co])
        );
      end

      // NeuronStages = 2: the fire half's membranes are written in every cycle the beat is
      // offered (they depend only on the charge registers, held while the beat waits), so the
      // write does not wait for out_ready_i; the first charge of a pixel reads 0 (above).
      // NeuronStages = 1: written when the beat leaves, cleared at the start of a pixel.
      `DUALSPIKE_ALWAYS_COMB begin : p_membrane
        v_d = v_q;
        if (NeuronStages == 2) begin
          for (int co = 0; co < OutChannels; co++) begin
            if (charged_c_q[co]) begin
              v_d[co] = v_next[co];
            end
          end
        end else begin
          if (out_fire) begin
            v_d = v_next;
          end
          if (emit_start) begin
            v_d = '0;
          end
        end
      end

      always_ff @(posedge clk_i or negedge rst_ni) begin : p_membrane_reg
        if (!rst_ni) begin
          v_q <= '0;
        end else begin
          v_q <= v_d;
        end
      end

      assign beat_data = spikes;
    end else begin : g_chain
      // WideBeat = 1: per channel a chain of T neuron steps, one per stage. Stage t's registers
      // (loaded when the chain moves, chain_adv) hold the spikes of timesteps 0..t of the pixel
      // in it and, for t < T-1, the membrane after timestep t and the current (the same at every
      // t: the input is direct-coded). Stage 0 steps the emitted pixel's current (cur_emit,
      // loaded at emit_start) from a membrane of 0. No loop: a membrane goes to the next stage,
      // never back, so the chain takes a pixel per cycle.
      logic [OutChannels-1:0][Timesteps-1:0] chain_spikes;  // the last stage's, per channel
      for (genvar co = 0; co < OutChannels; co++) begin : g_lif
        logic [Timesteps-1:0][MembraneBits-1:0] stage_v;    // membrane into stage t's step
        logic [Timesteps-1:0][CurrentBits-1:0]  stage_cur;  // current of stage t's step
        logic [Timesteps-1:0][Timesteps-1:0]    stage_spk;  // spikes of the steps before t
        assign stage_v[0]   = '0;
        assign stage_cur[0] = cur_emit[co];
        assign stage_spk[0] = '0;
        for (genvar t = 0; t < Timesteps; t++) begin : g_stage
          logic                    spike;
          logic [MembraneBits-1:0] v_after;
          logic [Timesteps-1:0]    spk_q;
          lif_unit #(
            .MembraneBits (MembraneBits),
            .CurrentBits  (CurrentBits),
            .Stages       (1)
          ) u_lif (
            .clk_i        (clk_i),
            .load_i       (1'b0),
            .model_lif_i  (model_lif_c[co]),
            .reset_soft_i (reset_soft_c[co]),
            .leak_shift_i (leak_shift_c[co]),
            .threshold_i  (threshold_c[co]),
            .v_i          (stage_v[t]),
            .current_i    (stage_cur[t]),
            .spike_o      (spike),
            .v_o          (v_after)
          );
          always_ff @(posedge clk_i or negedge rst_ni) begin : p_stage_spikes
            if (!rst_ni) begin
              spk_q <= '0;
            end else if (chain_adv) begin
              spk_q <= stage_spk[t] | (Timesteps'(spike) << t);
            end
          end
          if (t + 1 < Timesteps) begin : g_pass
            logic [MembraneBits-1:0] v_q;
            logic [CurrentBits-1:0]  cur_q;
            always_ff @(posedge clk_i or negedge rst_ni) begin : p_stage
              if (!rst_ni) begin
                v_q   <= '0;
                cur_q <= '0;
              end else if (chain_adv) begin
                v_q   <= v_after;
                cur_q <= stage_cur[t];
              end
            end
            assign stage_v[t + 1]   = v_q;
            assign stage_cur[t + 1] = cur_q;
            assign stage_spk[t + 1] = spk_q;
          end else begin : g_end
            logic unused_v_after;  // the membrane after the last timestep is not kept
            assign unused_v_after = ^v_after;
            assign chain_spikes[co] = spk_q;
          end
        end
      end
      // The beat: bit t*Co + co = channel co's spike at timestep t.
      for (genvar t = 0; t < Timesteps; t++) begin : g_beat_t
        for (genvar co = 0; co < OutChannels; co++) begin : g_beat_co
          assign beat_data[t * OutChannels + co] = chain_spikes[co][t];
        end
      end
    end

  end else begin : g_current
    assign beat_data = cur_emit;
  end

`ifdef DUALSPIKE_BUG_DENSE_LOST_LAST_TIMESTEP
  // PLANTED BUG: the last timestep repeats the previous beat.
  logic [OutBits-1:0] bug_prev_d, bug_prev_q;
  assign bug_prev_d = out_fire ? out_data_o : bug_prev_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_bug_reg
    if (!rst_ni) begin
      bug_prev_q <= '0;
    end else begin
      bug_prev_q <= bug_prev_d;
    end
  end
  if (WideBeat != 0) begin : g_bug_wide
    // The beat's last timestep repeats the one before it (T = 1: the previous beat's).
    localparam int BugFrom = (Timesteps > 1) ? (Timesteps - 2) * OutChannels : 0;
    logic [OutBits-1:0] bug_data;
    `DUALSPIKE_ALWAYS_COMB begin : p_bug_wide
      bug_data = beat_data;
      for (int co = 0; co < OutChannels; co++) begin
        bug_data[(Timesteps - 1) * OutChannels + co] = (Timesteps > 1) ? beat_data[BugFrom + co]
                                                                     : bug_prev_q[co];
      end
    end
    assign out_data_o = bug_data;
  end else begin : g_bug_step
    assign out_data_o = (t_q == TLast) ? bug_prev_q : beat_data;
  end
`else
  assign out_data_o = beat_data;
`endif

  if (WideBeat != 0) begin : g_chain_control
    // Stage t of the chain holds a pixel (valid) and whether it is its frame's last; the whole
    // chain moves unless its last stage holds a beat the output does not take.
    logic [Timesteps-1:0] chain_v_d, chain_v_q, chain_last_d, chain_last_q;
    assign chain_adv = !(chain_v_q[Timesteps-1] && !out_ready_i);
    `DUALSPIKE_ALWAYS_COMB begin : p_chain
      chain_v_d       = chain_v_q << 1;
      chain_last_d    = chain_last_q << 1;
      chain_v_d[0]    = emit_active_q;
      chain_last_d[0] = last_q[emit_buf_q];
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_chain_reg
      if (!rst_ni) begin
        chain_v_q    <= '0;
        chain_last_q <= '0;
      end else if (chain_adv) begin
        chain_v_q    <= chain_v_d;
        chain_last_q <= chain_last_d;
      end
    end
    assign out_valid_o = chain_v_q[Timesteps-1];
    assign out_last_o  = chain_v_q[Timesteps-1] & chain_last_q[Timesteps-1];
    logic unused_beat_ready;  // NeuronStages = 1 here
    assign unused_beat_ready = beat_ready;
  end else begin : g_step_control
    assign chain_adv   = 1'b0;
    assign out_valid_o = emit_active_q & beat_ready;
    assign out_last_o  = out_valid_o & (t_q == TLast) & last_q[emit_buf_q];
  end

  // ---------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      window_q      <= '0;
      nonzero_q     <= '0;
      win_buf_q     <= BufLast;  // the first window goes to buffer 0
      busy_q        <= '0;
      last_q        <= '0;
      done_q        <= '0;
      emit_active_q <= 1'b0;
      emit_buf_q    <= '0;
      t_q           <= '0;
      charged_q     <= 1'b0;
    end else begin
      window_q      <= window_d;
      nonzero_q     <= nonzero_d;
      win_buf_q     <= win_buf_d;
      busy_q        <= busy_d;
      last_q        <= last_d;
      done_q        <= done_d;
      emit_active_q <= emit_active_d;
      emit_buf_q    <= emit_buf_d;
      t_q           <= t_d;
      charged_q     <= charged_d;
    end
  end

  // Only the low bits of a configuration word are used.
  logic unused_cfg_data;
  assign unused_cfg_data = ^cfg_data_i;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (PixelBits < 1 || PixelBits > 16) begin : g_bad_pixel_bits
    $error("dense_input_core: PixelBits must be in 1..16, got %0d", PixelBits);
  end
  if (GroupWidth < 1 || GroupWidth > 32) begin : g_bad_group_width
    $error("dense_input_core: GroupWidth must be in 1..32 (cfg_data_i width), got %0d",
           GroupWidth);
  end
  if (WeightBits < 2 || WeightBits > 8) begin : g_bad_weight_bits
    $error("dense_input_core: WeightBits must be in 2..8, got %0d", WeightBits);
  end
  if (MembraneBits < 4 || MembraneBits > 32) begin : g_bad_membrane_bits
    $error("dense_input_core: MembraneBits must be in 4..32, got %0d", MembraneBits);
  end
  if (Timesteps < 1 || Parallel < 1 || Lanes < 1 || OutChannels < 1 || InChannels < 1 ||
      Height < 1 || Width < 1) begin : g_bad_sizes
    $error("dense_input_core: sizes must be >= 1");
  end
  if (Kernel < 1 || Kernel % 2 == 0) begin : g_bad_kernel
    $error("dense_input_core: Kernel must be odd and >= 1, got %0d", Kernel);
  end
  if (NeuronStages != 1 && (NeuronStages != 2 || HasNeuron == 0)) begin : g_bad_neuron_stages
    $error("dense_input_core: NeuronStages must be 1, or 2 with a neuron, got %0d",
           NeuronStages);
  end
  if (WideBeat != 0 && (HasNeuron == 0 || NeuronStages != 1)) begin : g_bad_wide_beat
    $error("dense_input_core: WideBeat needs HasNeuron = 1 and NeuronStages = 1");
  end
  if (CurrentBuffers < 2) begin : g_bad_current_buffers
    $error("dense_input_core: CurrentBuffers must be >= 2, got %0d", CurrentBuffers);
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  // OutValidHeld / OutDataStable: a stalled output beat stays offered, unchanged.
  `DUALSPIKE_CHECK_OUT_STREAM(OutBits + 1)

  always @(posedge clk_i) begin : p_sva
    if (sva_armed) begin
      // CurrentWriteOnce_A: a bank writes only into a buffer allocated to a pixel.
      for (int p = 0; p < Parallel; p++) begin
        if (bank_wr_valid[p]) begin
          assert (busy_q[bank_wr_buf[p]])
            else $error("CurrentWriteOnce_A: bank %0d writes a free buffer", p);
        end
      end
      // BufferInRing_A: the ring indices stay below CurrentBuffers (which need not be a power
      // of two, so the index has unused codes).
      assert (int'(win_buf_q) < CurrentBuffers && int'(emit_buf_q) < CurrentBuffers)
        else $error("BufferInRing_A: buffer index out of the ring (win %0d, emit %0d)",
                    win_buf_q, emit_buf_q);
      // StartBuffer_A: an emission starts from the buffer its current copy read (start_buf).
      if (emit_start) begin
        assert (emit_buf_d == start_buf)
          else $error("StartBuffer_A: emission starts at buffer %0d, currents read from %0d",
                      emit_buf_d, start_buf);
      end
      // NoCfgInFlight_A: no configuration write while a pixel is being computed or emitted.
      if (cfg_valid_i) begin
        assert (busy_q == '0 && (&feed_done_next))
          else $error("NoCfgInFlight_A: configuration write during a frame");
      end
    end
  end
`endif

endmodule
