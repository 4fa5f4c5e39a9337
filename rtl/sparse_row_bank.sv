// Copyright dualspike contributors.
//
// sparse_row_bank: one bank of the sparse core kit. It holds the rows (output channels) of one
// bank, walks the work of each output pixel on its own (decoupled from the other banks) and
// leaves one current per (pixel, timestep, row) in a current buffer that the neuron stage reads.
//
// Work of a pixel (window slot s, loaded by the sequencer): for t in 0..T-1, for row r in
// 0..R-1, the effectual pairs of the row, e = wrow[r] & s[t] (F bits: the row's weight bitmap
// and the spikes of timestep t in the slot's window). The bank spends ceil(n / L) cycles on a
// row with n > 0 pairs (L lanes; the pairs are packed across bitmap groups), none on an empty
// row, and the rows follow each other without a bubble (docs/sparse_conv_core.md).
//
// Pipeline (each stage one cycle; docs/sparse_conv_core.md has the timing):
//   scan  SC0 the row counters (t, r) of slot sc_slot_q address the row's bitmap, one copy per
//             group (sdp_ram, synchronous read); a row is scanned when the slot is loaded, not
//             yet scanned, and the row queue has room for every row in SC1 / SC2;
//         SC1 e = wrow & spikes; per group: pairs ce[g] and weights cw[g] (popcounts);
//         SC2 n = sum ce, prefix sums Pe[g] (pairs before group g), Pw[g] (weights before g),
//             roff (weights of the bank's rows before r: packed-weight base of the row); a row
//             with n > 0 is pushed into the row queue.
//   issue I   the queue's front row gives L ranks k .. k+L-1; lane l takes the pair of rank
//             k+l: its group g = #{g >= 1 : Pe[g] <= k+l}, its place q = k+l - Pe[g] in the
//             group; the lane's bitmap copy is read at (r, g). After the beat with k+L >= n
//             the row leaves the queue (k back to 0).
//         E1  the lane finds the q-th pair of e[g] and the weights of wrow[g] below it: the
//             packed weight address roff + Pw[g] + that count, read from the lane's copy of the
//             weight memory (synchronous).
//         E2  the lanes' weights are summed and added to the accumulator (the first beat of a
//             row starts from 0); the row's last beat writes the sum to the current buffer
//             entry (s, t, r).
//   A slot is done (done_o[s]) once its last row left SC2 and every row of it pushed has been
//   written; release_i[s] (the neuron stage read the slot's last row) clears it for the next
//   pixel. A row never pushed (empty) reads as current 0.
// Neuron-stage read: with nrn_re_i, the entry (nrn_slot_i, nrn_t_i, nrn_r_i) of the current
// buffer (0 for an empty row) and the bias of row nrn_r_i appear on cur_o / bias_o in the next
// cycle (synchronous memories) and hold while nrn_re_i is low.
//
// Memories (no reset, synchronous read: block RAM or LUT RAM, docs/synthesis.md): the bitmap
// (word r*NG + g; NG copies for the scan and L for the lanes, every copy written by each
// configuration write), the packed weights (L copies), the biases (row r), the current buffer
// (Slots x T x R); the window memory (Slots x T words of F spikes) and the row queue are LUT
// RAM (asynchronous read). Preload: each memory loads {InitPrefix}<memory>{BankTag}.mem when
// InitPrefix is not "" (the images of the sparse conv core, docs/vectors.md).
//
// Parameters: FanIn F, Timesteps T, Rows R (rows of every bank), RowsPresent (rows of this bank
//   with a channel; rows r >= RowsPresent are skipped), Lanes L, GroupWidth G, WeightBits B,
//   MembraneBits V, CurrentBits, CfgAddrBits (configuration address width), QueueDepth (rows
//   the queue holds, >= 1), InitPrefix, BankTag ("_b" and the bank in two digits).

`include "dualspike_macros.svh"

module sparse_row_bank #(
  parameter int          FanIn        = 18,
  parameter int          Timesteps    = 2,
  parameter int          Rows         = 2,
  parameter int          RowsPresent  = 2,
  parameter int          Lanes        = 2,
  parameter int          GroupWidth   = 8,
  parameter int          WeightBits   = 4,
  parameter int          MembraneBits = 16,
  parameter int          CurrentBits  = 17,
  parameter int          CfgAddrBits  = 6,
  parameter int          QueueDepth   = 4,
  parameter int          Slots        = 2,
  parameter              InitPrefix   = "",
  parameter logic [31:0] BankTag      = "_b00"
) (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,
  // Configuration writes of this bank (already decoded by the core).
  input  logic                                     bitmap_we_i,
  input  logic                                     weight_we_i,
  input  logic                                     bias_we_i,
  input  logic [CfgAddrBits-1:0]                   cfg_addr_i,
  input  logic [GroupWidth-1:0]                    bitmap_word_i,
  input  logic [WeightBits-1:0]                    weight_word_i,
  input  logic [MembraneBits-1:0]                  bias_word_i,
  input  logic [((Rows > 1) ? $clog2(Rows) : 1)-1:0] bias_row_i,  // row of a bias write
  // Window memory writes: word s*T + t = the F spikes of timestep t of slot s's window (the
  // core writes a slot's T words in T cycles after its capture; docs/sparse_conv_core.md shows
  // the scan never reads a word before it is written). loaded_i[s] while slot s holds a pixel.
  input  logic                                     win_we_i,
  input  logic [((Slots * Timesteps > 1) ? $clog2(Slots * Timesteps) : 1)-1:0] win_waddr_i,
  input  logic [FanIn-1:0]                         win_wdata_i,
  input  logic [Slots-1:0]                         loaded_i,
  input  logic [Slots-1:0]                         release_i,
  output logic [Slots-1:0]                         done_o,
  // Neuron-stage read.
  input  logic                                     nrn_re_i,
  input  logic [$clog2(Slots)-1:0]                nrn_slot_i,
  input  logic [((Timesteps > 1) ? $clog2(Timesteps) : 1)-1:0] nrn_t_i,
  input  logic [((Rows > 1) ? $clog2(Rows) : 1)-1:0]           nrn_r_i,
  output logic [CurrentBits-1:0]                   cur_o,
  output logic [MembraneBits-1:0]                  bias_o
);

  // ---------------------------------------------------------------------------------------------
  // Sizes
  // ---------------------------------------------------------------------------------------------
  localparam int Groups      = (FanIn + GroupWidth - 1) / GroupWidth;
  localparam int PadFan      = Groups * GroupWidth;
  localparam int BmDepth     = Rows * Groups;
  localparam int WDepth      = Rows * FanIn;
  localparam int CbDepth     = Slots * Timesteps * Rows; // current buffer: (slot*T + t)*R + r
  localparam int SlotBits    = $clog2(Slots);
  localparam int CountBits   = $clog2(GroupWidth + 1); // pairs or weights of one group
  localparam int RankBits    = $clog2(FanIn + 1);      // pairs or weights of one row
  localparam int WAddrBits   = $clog2(WDepth + 1);     // packed weight index (and roff)
  localparam int TIdxBits    = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int RIdxBits    = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int GIdxBits    = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int BmIdxBits   = (BmDepth > 1) ? $clog2(BmDepth) : 1;
  localparam int WIdxBits    = (WDepth > 1) ? $clog2(WDepth) : 1;
  localparam int CbIdxBits   = (CbDepth > 1) ? $clog2(CbDepth) : 1;
  localparam int QCountBits  = $clog2(QueueDepth + 1);
  localparam int OutstBits   = $clog2(Timesteps * Rows + 1);
  localparam int WinDepth    = Slots * Timesteps;       // window memory: word s*T + t
  localparam int WinIdxBits  = (WinDepth > 1) ? $clog2(WinDepth) : 1;
  localparam int QIdxBits    = (QueueDepth > 1) ? $clog2(QueueDepth) : 1;

  // ---------------------------------------------------------------------------------------------
  // Row queue entry (separate fields, no struct: Icarus 11 cannot index a field of a packed
  // struct array with a variable)
  // ---------------------------------------------------------------------------------------------
  // slot, t, r; n: effectual pairs of the row; roff: packed weights of the bank's rows before r;
  // pe[g] / pw[g]: pairs / weights of the row before group g; e[g]: effectual pairs of group g.
  localparam int RowBits = SlotBits + TIdxBits + RIdxBits + BmIdxBits + RankBits + WAddrBits
                           + 2 * Groups * RankBits + PadFan;

  // The core's configuration address is as wide as its largest memory; the high bits can be
  // beyond every memory of a small bank (the core decodes the range).
  logic unused_cfg_addr;
  assign unused_cfg_addr = ^cfg_addr_i;

  // ---------------------------------------------------------------------------------------------
  // Scan
  // ---------------------------------------------------------------------------------------------
  logic [SlotBits-1:0]   sc_slot_q;
  logic [TIdxBits-1:0]   sc_t_q;
  logic [RIdxBits-1:0]   sc_r_q;
  logic [Slots-1:0]      scanned_q;    // SC0 issued the last row of slot s
  logic                  sc_go;        // SC0 scans row (sc_t_q, sc_r_q) this cycle
  logic                  sc_last;      // ... the pixel's last row
  logic [QCountBits-1:0] q_count_q;

  logic                  sc1_v_q, sc1_last_q;
  logic [SlotBits-1:0]   sc1_slot_q;
  logic [TIdxBits-1:0]   sc1_t_q;
  logic [RIdxBits-1:0]   sc1_r_q;
  // r * NG, the bitmap word of the row's group 0, carried with the row (no multiplier on the
  // bitmap read addresses).
  logic [BmIdxBits-1:0]  sc_bm_base_q, sc1_bm_base_q, sc2_bm_base_q;

  logic                             sc2_v_q, sc2_last_q;
  logic [SlotBits-1:0]              sc2_slot_q;
  logic [TIdxBits-1:0]              sc2_t_q;
  logic [RIdxBits-1:0]              sc2_r_q;
  logic [Groups-1:0][CountBits-1:0] sc2_ce_q, sc2_cw_q;
  logic [Groups-1:0][GroupWidth-1:0] sc2_e_q;

  // Room for the rows in SC1 and SC2 (a pop in the same cycle is not counted: the rule stays
  // simple and the model exact).
  assign sc_go   = loaded_i[sc_slot_q] && !scanned_q[sc_slot_q]
                   && int'(q_count_q) + int'(sc1_v_q) + int'(sc2_v_q) < QueueDepth;
  assign sc_last = int'(sc_t_q) == Timesteps - 1 && int'(sc_r_q) == Rows - 1;

  // Bitmap copies, one per read port (a copy is a read port of LUT RAM or block RAM): ports
  // 0..NG-1 serve the scan (group g of row sc_r_q), ports NG..NG+L-1 the lanes (the group of
  // each lane's pair, in g_lane_issue). Every copy takes every write.
  localparam int BmPorts = Groups + Lanes;
  logic [BmPorts-1:0]                 bm_re;
  logic [BmPorts-1:0][BmIdxBits-1:0]  bm_raddr;
  logic [BmPorts-1:0][GroupWidth-1:0] bm_rdata;
  for (genvar c = 0; c < BmPorts; c++) begin : g_bitmap_copy
    sdp_ram #(
      .Width    (GroupWidth),
      .Depth    (BmDepth),
      .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "bitmap", BankTag, ".mem"})
    ) u_bitmap (
      .clk_i   (clk_i),
      .we_i    (bitmap_we_i),
      .waddr_i (BmIdxBits'(cfg_addr_i)),
      .wdata_i (bitmap_word_i),
      .re_i    (bm_re[c]),
      .raddr_i (bm_raddr[c]),
      .rdata_o (bm_rdata[c])
    );
  end

  logic [Groups-1:0][GroupWidth-1:0] sc_wrow;
  for (genvar g = 0; g < Groups; g++) begin : g_scan_bitmap
    assign bm_re[g]    = sc_go;
    assign bm_raddr[g] = BmIdxBits'(int'(sc_bm_base_q) + g);
    assign sc_wrow[g]  = bm_rdata[g];
  end

  // Window memory: this bank's copy (a read port) of the spikes of every slot and timestep. No
  // reset and an asynchronous read: LUT RAM (a word-wide multiplexer over the slots per bank
  // cost more logic than the whole scan).
  logic [FanIn-1:0] win_mem [WinDepth];
  always_ff @(posedge clk_i) begin : p_win_write
    if (win_we_i) begin
      win_mem[win_waddr_i] <= win_wdata_i;
    end
  end

  // SC1: effectual pairs and the per-group counts. Rows without a channel count nothing.
  logic [PadFan-1:0]                 sc1_spikes;
  logic [Groups-1:0][GroupWidth-1:0] sc1_e;
  logic [Groups-1:0][CountBits-1:0]  sc1_ce, sc1_cw;
  logic                              sc1_present;
  logic [WinIdxBits-1:0]             sc1_win_addr;
  assign sc1_win_addr = WinIdxBits'(int'(sc1_slot_q) * Timesteps + int'(sc1_t_q));
  assign sc1_spikes   = PadFan'(win_mem[sc1_win_addr]);
  assign sc1_present = int'(sc1_r_q) < RowsPresent;
  for (genvar g = 0; g < Groups; g++) begin : g_scan_count
    logic [GroupWidth-1:0] wmask;
    assign wmask     = sc1_present ? sc_wrow[g] : '0;
    assign sc1_e[g]  = wmask & sc1_spikes[g * GroupWidth +: GroupWidth];
    popcount #(.Width (GroupWidth)) u_pairs   (.bits_i (sc1_e[g]), .count_o (sc1_ce[g]));
    popcount #(.Width (GroupWidth)) u_weights (.bits_i (wmask),    .count_o (sc1_cw[g]));
  end

  // SC2: row totals and prefix sums; the running weight count over the bank's rows.
  logic [Groups-1:0][RankBits-1:0] sc2_pe, sc2_pw;
  logic [RankBits-1:0]   sc2_n;
  logic [WAddrBits-1:0]  sc2_roff;
  logic [RowBits-1:0]    sc2_row;
  logic [WAddrBits-1:0]  run_q;        // weights of the rows before sc2_r_q (this pass)
  logic [WAddrBits-1:0]  run_d;
  logic [RankBits-1:0]   sc2_wsum;
  logic                  push;

  `DUALSPIKE_ALWAYS_COMB begin : p_scan_sums
    logic [RankBits-1:0] pe_acc, pw_acc;
    pe_acc = '0;
    pw_acc = '0;
    for (int g = 0; g < Groups; g++) begin
      sc2_pe[g] = pe_acc;
      sc2_pw[g] = pw_acc;
      pe_acc    = pe_acc + RankBits'(sc2_ce_q[g]);
      pw_acc    = pw_acc + RankBits'(sc2_cw_q[g]);
    end
    sc2_n    = pe_acc;
    sc2_wsum = pw_acc;
    sc2_roff = (sc2_r_q == '0) ? '0 : run_q;
    run_d    = sc2_v_q ? sc2_roff + WAddrBits'(sc2_wsum) : run_q;
  end
  assign sc2_row = {sc2_slot_q, sc2_t_q, sc2_r_q, sc2_bm_base_q, sc2_n, sc2_roff, sc2_pe, sc2_pw,
                    sc2_e_q};
  assign push    = sc2_v_q && sc2_n != '0;

  // ---------------------------------------------------------------------------------------------
  // Row queue (circular buffer: no reset, asynchronous read, so LUT RAM; the front is entry
  // q_head_q) and issue
  // ---------------------------------------------------------------------------------------------
  logic [RowBits-1:0]  queue_mem [QueueDepth];
  logic [QIdxBits-1:0] q_head_q, q_tail_q;
  // The front row, unpacked.
  logic [SlotBits-1:0]               front_slot;
  logic [TIdxBits-1:0]               front_t;
  logic [RIdxBits-1:0]               front_r;
  logic [BmIdxBits-1:0]              front_bm_base;
  logic [RankBits-1:0]               front_n;
  logic [WAddrBits-1:0]              front_roff;
  logic [Groups-1:0][RankBits-1:0]   front_pe, front_pw;
  logic [Groups-1:0][GroupWidth-1:0] front_e;
  assign {front_slot, front_t, front_r, front_bm_base, front_n, front_roff, front_pe, front_pw,
          front_e}
      = queue_mem[q_head_q];

  logic [RankBits-1:0]   k_q;          // rank of the next pair of the front row
  logic                  issue;        // a beat of the front row this cycle
  logic                  beat_last;    // ... its last one
  logic                  pop;
  assign issue     = q_count_q != '0;
  assign beat_last = int'(k_q) + Lanes >= int'(front_n);
  assign pop       = issue && beat_last;

  always_ff @(posedge clk_i) begin : p_queue_write
    if (push) begin
      queue_mem[q_tail_q] <= sc2_row;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_queue
    if (!rst_ni) begin
      q_head_q  <= '0;
      q_tail_q  <= '0;
      q_count_q <= '0;
      k_q       <= '0;
    end else begin
      if (push) begin
        q_tail_q <= (int'(q_tail_q) == QueueDepth - 1) ? '0 : QIdxBits'(int'(q_tail_q) + 1);
      end
      if (pop) begin
        q_head_q <= (int'(q_head_q) == QueueDepth - 1) ? '0 : QIdxBits'(int'(q_head_q) + 1);
      end
      q_count_q <= QCountBits'(int'(q_count_q) + int'(push) - int'(pop));
      k_q       <= pop ? '0 : issue ? RankBits'(int'(k_q) + Lanes) : k_q;
    end
  end

  // Per lane: the group of its rank and its place in that group; the lane's bitmap copy.
  logic [Lanes-1:0]                   lane_v;
  logic [Lanes-1:0][GIdxBits-1:0]     lane_g;
  logic [Lanes-1:0][CountBits-1:0]    lane_q;
  logic [Lanes-1:0][GroupWidth-1:0]   lane_e;
  logic [Lanes-1:0][WAddrBits-1:0]    lane_base;
  logic [Lanes-1:0][GroupWidth-1:0]   e1_wbm;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane_issue
    logic [RankBits-1:0] rank;
    assign rank = RankBits'(int'(k_q) + l);

    // The group is found by comparing against every prefix; its fields are then selected
    // with one-hot ANDs (no variable index into the packed arrays: Icarus 11 needs constant
    // indices there).
    `DUALSPIKE_ALWAYS_COMB begin : p_lane_group
      logic [GIdxBits-1:0]   group;
      logic [RankBits-1:0]   pe_sel, pw_sel;
      logic [GroupWidth-1:0] e_sel;
      group = '0;
      for (int g = 1; g < Groups; g++) begin
        if (front_pe[g] <= rank) begin
          group = GIdxBits'(g);
        end
      end
      pe_sel = '0;
      pw_sel = '0;
      e_sel  = '0;
      for (int g = 0; g < Groups; g++) begin
        if (int'(group) == g) begin
          pe_sel = front_pe[g];
          pw_sel = front_pw[g];
          e_sel  = front_e[g];
        end
      end
      lane_g[l]    = group;
      lane_v[l]    = issue && rank < front_n;
      lane_q[l]    = CountBits'(rank - pe_sel);
      lane_e[l]    = e_sel;
      lane_base[l] = front_roff + WAddrBits'(pw_sel);
    end

    assign bm_re[Groups + l]    = issue;
    assign bm_raddr[Groups + l] = BmIdxBits'(int'(front_bm_base) + int'(lane_g[l]));
    assign e1_wbm[l]            = bm_rdata[Groups + l];
  end

  // ---------------------------------------------------------------------------------------------
  // E1: packed weight address; E2: weights, lane sum, accumulator, current buffer
  // ---------------------------------------------------------------------------------------------
  logic                             e1_v_q, e1_first_q, e1_last_q;
  logic [SlotBits-1:0]              e1_slot_q;
  logic [TIdxBits-1:0]              e1_t_q;
  logic [RIdxBits-1:0]              e1_r_q;
  logic [Lanes-1:0]                 e1_lane_v_q;
  logic [Lanes-1:0][CountBits-1:0]  e1_q_q;
  logic [Lanes-1:0][GroupWidth-1:0] e1_e_q;
  logic [Lanes-1:0][WAddrBits-1:0]  e1_base_q;

  logic                             e2_v_q, e2_first_q, e2_last_q;
  logic [SlotBits-1:0]              e2_slot_q;
  logic [TIdxBits-1:0]              e2_t_q;
  logic [RIdxBits-1:0]              e2_r_q;
  logic [Lanes-1:0]                 e2_lane_v_q;

  logic [Lanes-1:0][CurrentBits-1:0] lane_weight;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_weight
    logic [WAddrBits-1:0]  addr;
    logic [WeightBits-1:0] weight_rd;
    logic [WeightBits-1:0] weight;

    // The q-th pair of the group and the weights of the row's bitmap below it.
    logic [CountBits-1:0] found;
    pair_select #(.GroupWidth (GroupWidth)) u_pair_select (
      .pairs_i   (e1_e_q[l]),
      .weights_i (e1_wbm[l]),
      .rank_i    (e1_q_q[l]),
      .below_o   (found)
    );
    assign addr = e1_base_q[l] + WAddrBits'(found);

    sdp_ram #(
      .Width    (WeightBits),
      .Depth    (WDepth),
      .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "weight", BankTag, ".mem"})
    ) u_weight (
      .clk_i   (clk_i),
      .we_i    (weight_we_i),
      .waddr_i (WIdxBits'(cfg_addr_i)),
      .wdata_i (weight_word_i),
      .re_i    (e1_v_q),
      .raddr_i (WIdxBits'(addr)),
      .rdata_o (weight_rd)
    );
    assign weight = e2_lane_v_q[l] ? weight_rd : '0;
    assign lane_weight[l] = {{(CurrentBits - WeightBits){weight[WeightBits-1]}}, weight};
  end

  logic [Lanes:0][CurrentBits-1:0] lane_partial;
  logic [CurrentBits-1:0]          acc_q, acc_d;
  assign lane_partial[0] = '0;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_sum
    assign lane_partial[l + 1] = lane_partial[l] + lane_weight[l];
  end
  assign acc_d = (e2_first_q ? '0 : acc_q) + lane_partial[Lanes];

  logic                 row_done;      // E2 holds a row's last beat: its sum is written
  logic [CbIdxBits-1:0] cb_waddr, cb_raddr;
  assign row_done = e2_v_q && e2_last_q;
  assign cb_waddr = CbIdxBits'((int'(e2_slot_q) * Timesteps + int'(e2_t_q)) * Rows
                               + int'(e2_r_q));
  assign cb_raddr = CbIdxBits'((int'(nrn_slot_i) * Timesteps + int'(nrn_t_i)) * Rows
                               + int'(nrn_r_i));

  logic [CurrentBits-1:0] cur_rd;
  sdp_ram #(
    .Width (CurrentBits),
    .Depth (CbDepth)
  ) u_current (
    .clk_i   (clk_i),
    .we_i    (row_done),
    .waddr_i (cb_waddr),
    .wdata_i (acc_d),
    .re_i    (nrn_re_i),
    .raddr_i (cb_raddr),
    .rdata_o (cur_rd)
  );

  sdp_ram #(
    .Width    (MembraneBits),
    .Depth    (Rows),
    .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "bias", BankTag, ".mem"})
  ) u_bias (
    .clk_i   (clk_i),
    .we_i    (bias_we_i),
    .waddr_i (bias_row_i),
    .wdata_i (bias_word_i),
    .re_i    (nrn_re_i),
    .raddr_i (nrn_r_i),
    .rdata_o (bias_o)
  );

  // Written entries of the current buffer (an empty row was never written: it reads 0).
  logic [CbDepth-1:0] written_q, written_d;
  logic               rd_written_q;
  assign cur_o = rd_written_q ? cur_rd : '0;

  // ---------------------------------------------------------------------------------------------
  // Slot bookkeeping
  // ---------------------------------------------------------------------------------------------
  logic [Slots-1:0]                scan_fin_q, scan_fin_d;   // the slot's last row left SC2
  logic [Slots-1:0][OutstBits-1:0] outst_q, outst_d;         // rows pushed, not yet written
  logic [Slots-1:0]                scanned_d;
  logic [Slots-1:0]                done_q;

  `DUALSPIKE_ALWAYS_COMB begin : p_slots
    scanned_d  = scanned_q;
    scan_fin_d = scan_fin_q;
    outst_d    = outst_q;
    written_d  = written_q;
    for (int s = 0; s < Slots; s++) begin
      if (release_i[s]) begin
        scanned_d[s]  = 1'b0;
        scan_fin_d[s] = 1'b0;
        for (int i = 0; i < Timesteps * Rows; i++) begin
          written_d[s * Timesteps * Rows + i] = 1'b0;
        end
      end
      outst_d[s] = OutstBits'(int'(outst_q[s]) + int'(push && int'(sc2_slot_q) == s)
                              - int'(row_done && int'(e2_slot_q) == s));
    end
    if (sc_go && sc_last) begin
      scanned_d[sc_slot_q] = 1'b1;
    end
    if (sc2_v_q && sc2_last_q) begin
      scan_fin_d[sc2_slot_q] = 1'b1;
    end
    if (row_done) begin
      written_d[cb_waddr] = 1'b1;
    end
  end

  assign done_o = done_q;

  // ---------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      sc_slot_q    <= '0;
      sc_t_q       <= '0;
      sc_r_q       <= '0;
      scanned_q    <= '0;
      sc1_v_q      <= 1'b0;
      sc1_slot_q   <= '0;
      sc1_last_q   <= 1'b0;
      sc1_t_q      <= '0;
      sc1_r_q      <= '0;
      sc_bm_base_q  <= '0;
      sc1_bm_base_q <= '0;
      sc2_bm_base_q <= '0;
      sc2_v_q      <= 1'b0;
      sc2_slot_q   <= '0;
      sc2_last_q   <= 1'b0;
      sc2_t_q      <= '0;
      sc2_r_q      <= '0;
      sc2_ce_q     <= '0;
      sc2_cw_q     <= '0;
      sc2_e_q      <= '0;
      run_q        <= '0;
      e1_v_q       <= 1'b0;
      e1_first_q   <= 1'b0;
      e1_last_q    <= 1'b0;
      e1_slot_q    <= '0;
      e1_t_q       <= '0;
      e1_r_q       <= '0;
      e1_lane_v_q  <= '0;
      e1_q_q       <= '0;
      e1_e_q       <= '0;
      e1_base_q    <= '0;
      e2_v_q       <= 1'b0;
      e2_first_q   <= 1'b0;
      e2_last_q    <= 1'b0;
      e2_slot_q    <= '0;
      e2_t_q       <= '0;
      e2_r_q       <= '0;
      e2_lane_v_q  <= '0;
      acc_q        <= '0;
      written_q    <= '0;
      rd_written_q <= 1'b0;
      scan_fin_q   <= '0;
      outst_q      <= '0;
      done_q       <= '0;
    end else begin
      if (sc_go) begin
        sc_r_q       <= (int'(sc_r_q) == Rows - 1) ? '0 : RIdxBits'(int'(sc_r_q) + 1);
        sc_bm_base_q <= (int'(sc_r_q) == Rows - 1) ? '0
                                                   : BmIdxBits'(int'(sc_bm_base_q) + Groups);
        if (int'(sc_r_q) == Rows - 1) begin
          sc_t_q <= (int'(sc_t_q) == Timesteps - 1) ? '0 : TIdxBits'(int'(sc_t_q) + 1);
        end
        if (sc_last) begin
          sc_slot_q <= (int'(sc_slot_q) == Slots - 1) ? '0 : SlotBits'(int'(sc_slot_q) + 1);
        end
      end
      scanned_q    <= scanned_d;
      sc1_v_q      <= sc_go;
      sc1_slot_q   <= sc_slot_q;
      sc1_last_q   <= sc_last;
      sc1_t_q      <= sc_t_q;
      sc1_r_q      <= sc_r_q;
      sc1_bm_base_q <= sc_bm_base_q;
      sc2_bm_base_q <= sc1_bm_base_q;
      sc2_v_q      <= sc1_v_q;
      sc2_slot_q   <= sc1_slot_q;
      sc2_last_q   <= sc1_last_q;
      sc2_t_q      <= sc1_t_q;
      sc2_r_q      <= sc1_r_q;
      sc2_ce_q     <= sc1_ce;
      sc2_cw_q     <= sc1_cw;
      sc2_e_q      <= sc1_e;
      run_q        <= run_d;
      e1_v_q       <= issue;
      e1_first_q   <= k_q == '0;
      e1_last_q    <= beat_last;
      e1_slot_q    <= front_slot;
      e1_t_q       <= front_t;
      e1_r_q       <= front_r;
      e1_lane_v_q  <= lane_v;
      e1_q_q       <= lane_q;
      e1_e_q       <= lane_e;
      e1_base_q    <= lane_base;
      e2_v_q       <= e1_v_q;
      e2_first_q   <= e1_first_q;
      e2_last_q    <= e1_last_q;
      e2_slot_q    <= e1_slot_q;
      e2_t_q       <= e1_t_q;
      e2_r_q       <= e1_r_q;
      e2_lane_v_q  <= e1_lane_v_q;
      if (e2_v_q) begin
        acc_q <= acc_d;
      end
      written_q    <= written_d;
      if (nrn_re_i) begin
        rd_written_q <= written_q[cb_raddr];
      end
      scan_fin_q   <= scan_fin_d;
      outst_q      <= outst_d;
      for (int s = 0; s < Slots; s++) begin
        done_q[s] <= scan_fin_d[s] && outst_d[s] == '0;
      end
    end
  end

`ifndef __ICARUS__
  if (QueueDepth < 1) begin : g_bad_queue
    $error("sparse_row_bank: QueueDepth must be >= 1, got %0d", QueueDepth);
  end
  if (Slots < 2 || (Slots & (Slots - 1)) != 0) begin : g_bad_slots
    $error("sparse_row_bank: Slots must be a power of two >= 2, got %0d", Slots);
  end
`endif

endmodule
