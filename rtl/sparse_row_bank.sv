// Copyright dualspike contributors.
//
// sparse_row_bank: one bank of the sparse core kit. It holds the rows (output channels) of one
// bank, walks the work of each output pixel on its own (decoupled from the other banks) and
// leaves one current per (pixel, timestep, row) in a current buffer that the neuron stage reads.
//
// Work of a pixel (window slot s, loaded by the sequencer): for t in 0..T-1, for row r in
// 0..R-1, the effectual pairs of the row, e = wrow[r] & s[t] (F bits: the row's weight bitmap
// and the spikes of timestep t in the slot's window). The scan looks at two rows of a timestep
// per cycle; the lanes take L pairs per cycle, packed across bitmap groups and, at the end of a
// row, across into the next row; an empty row costs the lanes nothing
// (docs/sparse_conv_core.md).
//
// Pipeline (each stage one cycle; docs/sparse_conv_core.md has the timing):
//   scan  SC0 the row counters (t, r) of slot sc_slot_q address the bitmaps of rows r and r+1
//             (r even; r+1 only if < R), one copy per group and row (sdp_ram, synchronous
//             read); the pair is scanned when the slot is loaded, not yet scanned, and the row
//             queue has room for two rows more than it holds and SC1, SC2, SC2b may push; a
//             timestep whose window word has no spike (word_zero_i) is one scan cycle, its
//             first two rows (no pairs: nothing pushed; the rows after them keep stale pushed
//             flags, so the neuron-stage read masks the current of such a timestep);
//         SC1 the rows' bitmap words (the copies' read registers), their weight counts (with them,
//             written with the bitmap: cw = popcount(word), counted once per configuration
//             write) and the spikes of timestep t (the window memory) are registered (the
//             block RAM's output, unregistered, into the popcounts was a critical path of the
//             conv core: 5.6 ns of clock-to-out before any logic);
//         SC1w e = wrow & spikes (the same spikes for both rows); per group: pairs ce[g]
//             (popcounts) and weights cw[g] (the counts read);
//         SC2 n = sum ce, prefix sums Pe[g] (pairs before group g), Pw[g] (weights before g)
//             and the row's weight count, registered;
//         SC2b roff (weights of the bank's rows before r: packed-weight base of the row); each
//             row with n > 0 is pushed into the row queue (up to two per cycle). (The prefix
//             sums and roff in one cycle, into the queue's LUT RAM, were the conv core's
//             critical path, docs/synthesis.md.)
//   issue I   the queue's front row gives L ranks k .. k+L-1 (lane l takes rank k+l). The beat
//             with k+L >= n is the row's last: the row leaves the queue. Its spare lanes take
//             the first pairs of the next queued row (ranks from 0) if that row has more pairs
//             than spare lanes (so a beat ends at most one row: one current-buffer write per
//             cycle); the next row then starts at k = the lanes it got, else at 0. Only n is
//             read here.
//         E0  the rows' other fields are read from the queue's LUT RAM, into registers.
//         E0q lane l's group g = #{g >= 1 : Pe[g] <= rank}, its place q = rank - Pe[g] in the
//             group (the read and this search in one cycle were the conv core's critical path).
//         E0b the lane's bitmap copy is read at (r, g) (the group select and the route to the
//             bitmap's block RAM were the conv core's critical path in one cycle); the group's
//             base roff + Pw[g] (after the group select in E0 it was the network's critical
//             path).
//         E1  the word read (the block RAM's output, unregistered, into the pair counts was the
//             conv core's critical path: 5.6 ns of clock-to-out and a long wire before any
//             logic, docs/synthesis.md); group g of the spikes of the row's timestep, read
//             from a window-memory copy (the queue does not carry the row's F effectual bits:
//             they were most of a bank's flip-flops, docs/synthesis.md).
//         E1w the word and the spikes registered; e[g] = wrow[g] & spikes[g]; the lane counts
//             the pairs of every four-bit block of e[g] and sums them (pair_select's first
//             stage, Stages = 3).
//         E1s the lane finds the four-bit block of e[g] that holds its q-th pair (pair_select's
//             search, on the pairs' registered sums: with the counts in one cycle it was the
//             conv core's critical path).
//         E1t the weights of wrow[g] in the blocks below that block, and the block's weight bits
//             (pair_select's weights' side: the search and this in one cycle were the conv
//             core's critical path).
//         E1b the walk inside the block: the weights of wrow[g] below the pair (registered
//             again before the weight memory: the search and the route to it were the bank's
//             critical path in one cycle, docs/synthesis.md).
//         E2  the packed weight address base + that count, read from the lane's copy of
//             the weight memory (synchronous).
//         E2b the weights read are registered (the block RAM's read, the lane sum and the
//             accumulator in one cycle were the conv core's critical path).
//         E3  the lanes' weights are summed (in WeightBits + clog2(L) bits: the sum of L
//             weights fits); the sum of the front row's lanes is added to the
//             accumulator (the first beat of a row starts from 0) and the row's last beat
//             writes it to the current buffer entry (s, t, r); the lanes given to the next row
//             start its accumulator.
//   A slot is done (done_o[s]) once its last row left SC2b and every row of it pushed has been
//   written; release_i[s] (the neuron stage read the slot's last row) clears it for the next
//   pixel. A row never pushed (empty) reads as current 0: SC2b writes every scanned row's
//   pushed flag, into a memory beside the current buffer, and the neuron-stage read masks the
//   current by it.
// Neuron-stage read, two rows of a timestep per cycle: with nrn_re_i (nrn_r_i even), the
// entries (nrn_slot_i, nrn_t_i, nrn_r_i + j) of the current buffer (0 for an empty row, a
// timestep whose window word is zero, or r + j >= R) and the biases of those rows appear on
// cur_o[j] / bias_o[j] in the next cycle (synchronous memories) and hold while nrn_re_i is low.
//
// Memories (no reset, synchronous read: block RAM or LUT RAM, docs/synthesis.md): the bitmap
// (word r*NG + g; 2 NG one-group copies for the scan, each with its words' weight counts, and
// L whole copies for the lanes) and the packed weights (L copies), the biases (row r; two
// copies, one per neuron-stage row): configuration memories, written two edges after the
// write is on the bank's port (the bank's register of the write, then the scan copies' register
// of it or config_ram's, one per copy); the current buffer and its pushed flags (Slots x T x R
// each, as two memories: even and odd rows); the window memory (Slots x T words of F spikes) and the row
// queue (two memories, even and odd entries: two pushes and two reads per cycle) are LUT RAM
// (asynchronous read); the window memory has three copies (read ports): the scan's and one per
// queue memory for the lanes (a memory per group there, each with its own read address).
// Preload: each configuration memory loads
// {InitPrefix}<memory>{BankTag}.mem when InitPrefix is not "" (the images of the sparse conv
// core, docs/vectors.md).
//
// Parameters: FanIn F, Timesteps T, Rows R (rows of every bank), RowsPresent (rows of this bank
//   with a channel; rows r >= RowsPresent are skipped), Lanes L, GroupWidth G, WeightBits B,
//   MembraneBits V, CurrentBits, CfgAddrBits (configuration address width), QueueDepth (rows
//   the queue holds: even, >= 4), InitPrefix, BankTag ("_b" and the bank in two digits).

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
  parameter int          QueueDepth   = 8,
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
  // word_zero_i[s*T + t]: window word t of slot s has no spike (the core's register, written
  // with the word).
  input  logic [Slots*Timesteps-1:0]               word_zero_i,
  input  logic [Slots-1:0]                         release_i,
  output logic [Slots-1:0]                         done_o,
  // Neuron-stage read.
  input  logic                                     nrn_re_i,
  input  logic [$clog2(Slots)-1:0]                nrn_slot_i,
  input  logic [((Timesteps > 1) ? $clog2(Timesteps) : 1)-1:0] nrn_t_i,
  input  logic [((Rows > 1) ? $clog2(Rows) : 1)-1:0]           nrn_r_i,
  output logic [1:0][CurrentBits-1:0]              cur_o,
  output logic [1:0][MembraneBits-1:0]             bias_o
);

  // ---------------------------------------------------------------------------------------------
  // Sizes
  // ---------------------------------------------------------------------------------------------
  localparam int Groups      = (FanIn + GroupWidth - 1) / GroupWidth;
  localparam int PadFan      = Groups * GroupWidth;
  localparam int BmDepth     = Rows * Groups;
  localparam int WDepth      = Rows * FanIn;
  localparam int NrnRows     = (Rows > 1) ? 2 : 1;       // rows the neuron stage reads at once
  localparam int RowPairs    = (Rows + 1) / 2;
  localparam int CbHalfDepth = Slots * Timesteps * RowPairs; // (slot*T + t)*RowPairs + r/2
  localparam int CbHalfBits  = (CbHalfDepth > 1) ? $clog2(CbHalfDepth) : 1;
  localparam int SlotBits    = $clog2(Slots);
  localparam int CountBits   = $clog2(GroupWidth + 1); // pairs or weights of one group
  localparam int RankBits    = $clog2(FanIn + 1);      // pairs or weights of one row
  localparam int WAddrBits   = $clog2(WDepth + 1);     // packed weight index (and roff)
  localparam int TIdxBits    = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int RIdxBits    = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int GIdxBits    = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int BmIdxBits   = (BmDepth > 1) ? $clog2(BmDepth) : 1;
  localparam int WIdxBits    = (WDepth > 1) ? $clog2(WDepth) : 1;
  localparam int QCountBits  = $clog2(QueueDepth + 1);
  localparam int OutstBits   = $clog2(Timesteps * Rows + 1);
  localparam int WinDepth    = Slots * Timesteps;       // window memory: word s*T + t
  localparam int WinIdxBits  = (WinDepth > 1) ? $clog2(WinDepth) : 1;
  localparam int QIdxBits    = $clog2(QueueDepth);
  localparam int QHalf       = QueueDepth / 2;            // entries of each queue memory
  localparam int QHalfBits   = (QHalf > 1) ? $clog2(QHalf) : 1;
  localparam int LaneCntBits = $clog2(Lanes + 1);
  // k + L reaches FanIn - 1 + Lanes: wider than a rank when the lanes outnumber the fan-in.
  localparam int KEndBits    = $clog2(FanIn + Lanes);

  // ---------------------------------------------------------------------------------------------
  // Row queue entry (separate fields, no struct: Icarus 11 cannot index a field of a packed
  // struct array with a variable)
  // ---------------------------------------------------------------------------------------------
  // slot, t, r; roff: packed weights of the bank's rows before r; pe[g] / pw[g]: pairs / weights
  // of the row before group g; e[g]: effectual pairs of group g. The row's pair count n is kept
  // in a memory of its own (the issue loop needs only n, from a two-entry cache of it in
  // flip-flops; the lanes read the rest a cycle later).
  localparam int RowBits = SlotBits + TIdxBits + RIdxBits + BmIdxBits + WAddrBits
                           + 2 * Groups * RankBits;

  // ---------------------------------------------------------------------------------------------
  // Configuration write
  // ---------------------------------------------------------------------------------------------
  // The core's decoded write, registered in the bank: the first level of a tree to the bank's
  // memories, whose copies register it again next to themselves (config_ram). From one register
  // in the core, the write crossed the die into every block RAM of the core: the digits
  // network's critical path, 18.3 of 19.1 ns routing (docs/synthesis.md). The fields load
  // only under one of the bank's enables, so the banks' registers (different enables) stay
  // apart in synthesis. A bitmap word's weight count (cw = popcount(word)) is counted here,
  // so the count copies take it with the word. A write reaches the memories two edges after
  // it is on the bank's port (docs/cores.md section 3).
  logic                    cfg_bitmap_we_q, cfg_weight_we_q, cfg_bias_we_q;
  logic [CfgAddrBits-1:0]  cfg_addr_q;
  logic [GroupWidth-1:0]   cfg_bitmap_word_q;
  logic [CountBits-1:0]    cfg_count, cfg_count_q;
  logic [WeightBits-1:0]   cfg_weight_word_q;
  logic [MembraneBits-1:0] cfg_bias_word_q;
  logic [RIdxBits-1:0]     cfg_bias_row_q;
  popcount #(.Width (GroupWidth)) u_write_count (.bits_i (bitmap_word_i), .count_o (cfg_count));
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_cfg_enables
    if (!rst_ni) begin
      cfg_bitmap_we_q <= 1'b0;
      cfg_weight_we_q <= 1'b0;
      cfg_bias_we_q   <= 1'b0;
    end else begin
      cfg_bitmap_we_q <= bitmap_we_i;
      cfg_weight_we_q <= weight_we_i;
      cfg_bias_we_q   <= bias_we_i;
    end
  end
  // No reset: used only under the enables.
  always_ff @(posedge clk_i) begin : p_cfg_fields
    if (bitmap_we_i || weight_we_i || bias_we_i) begin
      cfg_addr_q        <= cfg_addr_i;
      cfg_bitmap_word_q <= bitmap_word_i;
      cfg_count_q       <= cfg_count;
      cfg_weight_word_q <= weight_word_i;
      cfg_bias_word_q   <= bias_word_i;
      cfg_bias_row_q    <= bias_row_i;
    end
  end

  // The core's configuration address is as wide as its largest memory; the high bits can be
  // beyond every memory of a small bank (the core decodes the range).
  logic unused_cfg_addr;
  assign unused_cfg_addr = ^cfg_addr_q;

  // ---------------------------------------------------------------------------------------------
  // Scan
  // ---------------------------------------------------------------------------------------------
  // Two rows of a timestep per cycle: rows A = sc_r_q (even) and B = sc_r_q + 1 (if < Rows).
  localparam int ScanRows = 2;
  logic [SlotBits-1:0]   sc_slot_q;
  logic [TIdxBits-1:0]   sc_t_q;
  logic [RIdxBits-1:0]   sc_r_q;
  logic [Slots-1:0]      scanned_q;    // SC0 issued the last rows of slot s
  logic                  sc_go;        // SC0 scans rows (sc_t_q, sc_r_q [+ 1]) this cycle
  logic                  sc_last;      // ... the pixel's last rows
  logic                  sc_step_end;  // ... the timestep's last rows (or its word is zero)
  logic [QCountBits-1:0] q_count_q;

  logic                  sc1_v_q, sc1_last_q;
  logic [SlotBits-1:0]   sc1_slot_q;
  logic [TIdxBits-1:0]   sc1_t_q;
  logic [RIdxBits-1:0]   sc1_r_q;
  logic                  sc1w_v_q, sc1w_last_q;
  logic [SlotBits-1:0]   sc1w_slot_q;
  logic [TIdxBits-1:0]   sc1w_t_q;
  logic [RIdxBits-1:0]   sc1w_r_q;
  // r * NG, the bitmap word of row A's group 0, carried with the rows (no multiplier on the
  // bitmap read addresses).
  logic [BmIdxBits-1:0]  sc_bm_base_q, sc1_bm_base_q, sc1w_bm_base_q, sc2_bm_base_q;

  logic                                         sc2_v_q, sc2_last_q;
  logic [SlotBits-1:0]                          sc2_slot_q;
  logic [TIdxBits-1:0]                          sc2_t_q;
  logic [RIdxBits-1:0]                          sc2_r_q;
  logic [ScanRows-1:0][Groups-1:0][CountBits-1:0]  sc2_ce_q, sc2_cw_q;

  logic                                         sc2b_v_q, sc2b_last_q;
  logic [SlotBits-1:0]                          sc2b_slot_q;
  logic [TIdxBits-1:0]                          sc2b_t_q;
  logic [RIdxBits-1:0]                          sc2b_r_q;
  logic [BmIdxBits-1:0]                         sc2b_bm_base_q;
  logic [ScanRows-1:0]                          sc2b_any_q;  // the row has an effectual pair
  // Copies of sc2b_any_q[0], one per 32 bits of a queue row: the first push's row select (row 0
  // or row 1) fans out to every bit of the queue's write data; from one register that net was
  // the digits network's critical path (18.0 of 19.0 ns routing, docs/synthesis.md). `keep`:
  // synthesis would merge the equal registers back into one.
  localparam int SelCopies = (RowBits + 31) / 32;
  logic [SelCopies-1:0]                         sc2b_first0_q;

  // Room for two more rows besides those queued and those SC1, SC1w, SC2 and SC2b may push (a
  // pop in the same cycle is not counted: the rule stays simple and the model exact). The rows
  // claimed, q_claimed_q = q_count_q + ScanRows * (sc1_v_q + sc1w_v_q + sc2_v_q + sc2b_v_q), are
  // kept in a register of their own (p_queue), so the rule is a compare with a constant (the
  // sum in the rule, and the rule's fanout to the scan, were the events network's critical
  // path, docs/synthesis.md).
  logic [QCountBits-1:0] q_claimed_q;
  // The core's slot flags as this bank saw them at the last edge: set a cycle after the core's
  // (a captured pixel is scanned from the second cycle after its capture), cleared at the same
  // edge (release_i), so a released slot is never scanned again. From the core's registers
  // straight into the go, the flags were the events network's critical path (a register of
  // the conv core across the die, through the go into the scan registers, docs/synthesis.md).
  logic [Slots-1:0]      sc_loaded_q;
  assign sc_go   = sc_loaded_q[sc_slot_q] && !scanned_q[sc_slot_q]
                   && int'(q_claimed_q) <= QueueDepth - ScanRows;
  assign sc_step_end = int'(sc_r_q) + ScanRows >= Rows
                       || word_zero_i[int'(sc_slot_q) * Timesteps + int'(sc_t_q)];
  assign sc_last     = int'(sc_t_q) == Timesteps - 1 && sc_step_end;

  // Bitmap copies, one per read port (a copy is a read port of LUT RAM or block RAM). The scan
  // reads group g of rows r and r + 1 at once, so each of its 2 NG ports holds one group of
  // every row: copy (a, g) has word r = bitmap word r*NG + g, Rows words (LUT RAM at the
  // trained networks' sizes). Whole-bitmap copies (Rows * NG words each) took a block RAM per
  // port: 72 of the digits network's 113, spread over the die with the scan's address and the
  // configuration write routed to every one (docs/synthesis.md). The lanes read any group of
  // any row: their L copies hold the whole bitmap (word r*NG + g, in g_lane_issue's order).
  // Every copy takes every write of its words.
  // The scan's copies take a write a cycle after the bank's register, from a register of their
  // own holding the word's row and group, so they are written with the config_ram copies, at
  // the same edge. Row and group of word w = r*NG + g: the address is matched against every
  // word, and each bit of r and g is the OR of the matching word's constant bits (an address
  // decode, a few LUT levels; a divider by NG, a chain of carry chains, was the digits
  // network's critical path placed and routed, docs/synthesis.md).
  logic [BmDepth-1:0]               cfg_word_hit;  // cfg_addr_q == w
  logic [RIdxBits-1:0][BmDepth-1:0] row_bit_of;    // constant: [b][w] = bit b of w / NG
  logic [GIdxBits-1:0][BmDepth-1:0] grp_bit_of;    // constant: [b][w] = bit b of w % NG
  logic [RIdxBits-1:0]              cfg_row;
  logic [GIdxBits-1:0]              cfg_grp;
  for (genvar w = 0; w < BmDepth; w++) begin : g_cfg_word
    assign cfg_word_hit[w] = BmIdxBits'(cfg_addr_q) == BmIdxBits'(w);
    for (genvar b = 0; b < RIdxBits; b++) begin : g_row_bit
      assign row_bit_of[b][w] = 1'(((w / Groups) >> b) & 1);
    end
    for (genvar b = 0; b < GIdxBits; b++) begin : g_grp_bit
      assign grp_bit_of[b][w] = 1'(((w % Groups) >> b) & 1);
    end
  end
  for (genvar b = 0; b < RIdxBits; b++) begin : g_cfg_row
    assign cfg_row[b] = |(cfg_word_hit & row_bit_of[b]);
  end
  for (genvar b = 0; b < GIdxBits; b++) begin : g_cfg_grp
    assign cfg_grp[b] = |(cfg_word_hit & grp_bit_of[b]);
  end

  logic                    scan_we_q;
  logic [RIdxBits-1:0]     scan_row_q;
  logic [GIdxBits-1:0]     scan_grp_q;
  logic [GroupWidth-1:0]   scan_word_q;
  logic [CountBits-1:0]    scan_count_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_scan_write_enable
    if (!rst_ni) scan_we_q <= 1'b0;
    else         scan_we_q <= cfg_bitmap_we_q;
  end
  // No reset: used only under scan_we_q.
  always_ff @(posedge clk_i) begin : p_scan_write_word
    if (cfg_bitmap_we_q) begin
      scan_row_q   <= cfg_row;
      scan_grp_q   <= cfg_grp;
      scan_word_q  <= cfg_bitmap_word_q;
      scan_count_q <= cfg_count_q;
    end
  end

  logic [ScanRows-1:0][Groups-1:0][GroupWidth-1:0] sc_wrow;
  logic [ScanRows-1:0][Groups-1:0][CountBits-1:0]  sc_wcount;
  for (genvar a = 0; a < ScanRows; a++) begin : g_scan_row
    for (genvar g = 0; g < Groups; g++) begin : g_scan_bitmap
      // Preload images: the bank's bitmap and weight-count words of group g, "_g" and the
      // group in two decimal digits (docs/vectors.md).
      localparam logic [31:0] GroupTag = {"_g", 8'(48 + g / 10), 8'(48 + g % 10)};
      logic                we;     // the write is of a word of group g
      logic                re;     // row sc_r_q + a exists
      logic [RIdxBits-1:0] raddr;
      // Plain signals on the ports (Icarus 11 and genvars in port expressions, g_neuron_row).
      assign we    = scan_we_q && int'(scan_grp_q) == g;
      // Row B of the last pair does not exist when R is odd: no read (SC1 masks the row).
      // Read in every cycle, not only on sc_go: SC1 takes the word only in the cycle after a
      // go (its words are registered every cycle, used under sc1w_v_q). With the go as the
      // memories' enable, the scan's control reached every bitmap copy spread over the die:
      // the digits network's critical path (docs/synthesis.md).
      assign re    = int'(sc_r_q) + a < Rows;
      assign raddr = RIdxBits'(int'(sc_r_q) + a);
      sdp_ram #(
        .Width         (GroupWidth),
        .Depth         (Rows),
        .InitFile      ((InitPrefix == "") ? ""
                        : {InitPrefix, "bitmap", BankTag, GroupTag, ".mem"}),
        .CollisionFree (1'b1)  // configuration memory: written while idle
      ) u_bitmap (
        .clk_i   (clk_i),
        .we_i    (we),
        .waddr_i (scan_row_q),
        .wdata_i (scan_word_q),
        .re_i    (re),
        .raddr_i (raddr),
        .rdata_o (sc_wrow[a][g])
      );
      // The words' weight counts, read with them: a word's count of weights, cw =
      // popcount(word), is a property of the configuration, so it is counted once per write
      // (p_cfg_fields) instead of by 2 NG popcounts in every scan cycle (about 106 LUT4 each
      // on the ECP5 at G = 32; docs/synthesis.md).
      sdp_ram #(
        .Width         (CountBits),
        .Depth         (Rows),
        .InitFile      ((InitPrefix == "") ? ""
                        : {InitPrefix, "wcount", BankTag, GroupTag, ".mem"}),
        .CollisionFree (1'b1)  // configuration memory: written while idle
      ) u_count (
        .clk_i   (clk_i),
        .we_i    (we),
        .waddr_i (scan_row_q),
        .wdata_i (scan_count_q),
        .re_i    (re),
        .raddr_i (raddr),
        .rdata_o (sc_wcount[a][g])
      );
    end
  end

  // The lanes' bitmap copies (block RAM at the trained networks' sizes, spread over the die:
  // their writes are registered again next to each copy, config_ram).
  logic [Lanes-1:0]                 bm_re;
  logic [Lanes-1:0][BmIdxBits-1:0]  bm_raddr;
  logic [Lanes-1:0][GroupWidth-1:0] bm_rdata;
  for (genvar l = 0; l < Lanes; l++) begin : g_bitmap_copy
    config_ram #(
      .Width    (GroupWidth),
      .Depth    (BmDepth),
      .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "bitmap", BankTag, ".mem"})
    ) u_bitmap (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (cfg_bitmap_we_q),
      .waddr_i (BmIdxBits'(cfg_addr_q)),
      .wdata_i (cfg_bitmap_word_q),
      .re_i    (bm_re[l]),
      .raddr_i (bm_raddr[l]),
      .rdata_o (bm_rdata[l])
    );
  end

  // Window memory, the scan's copy (SC1's read port): the spikes of every slot and timestep. No
  // reset and an asynchronous read: LUT RAM (a word-wide multiplexer over the slots per bank
  // cost more logic than the whole scan). LUT RAM by attribute too: left to itself, Yosys put
  // it in block RAM where it is deep enough (events layer 0: 32 words, 2 DP16KD per bank),
  // absorbing SC1's register as the block RAM's read latch, so SC1w's counts followed the block
  // RAM's 5.8 ns clock-to-out (the events network's critical path with two of three placement
  // seeds, docs/synthesis.md). The lanes' two copies are below (g_lane_window).
  (* ram_style = "distributed" *)
  logic [FanIn-1:0] scan_win_mem [WinDepth];
  always_ff @(posedge clk_i) begin : p_scan_win_write
    if (win_we_i) begin
      scan_win_mem[win_waddr_i] <= win_wdata_i;
    end
  end

  // SC1: the rows' bitmap words and the spikes read, registered for SC1w (no reset: SC1w's
  // counts go on only under sc1w_v_q). Rows without a channel count nothing: their words are
  // cleared as they are registered (the row index is a register here; in SC1w the compare
  // fanned out to every bit of the words, on the digits network's critical path,
  // docs/synthesis.md).
  logic [PadFan-1:0]                               sc1_spikes, sc1w_spikes_q;
  logic [ScanRows-1:0][Groups-1:0][GroupWidth-1:0] sc1_wmask, sc1w_wrow_q;
  logic [ScanRows-1:0][Groups-1:0][CountBits-1:0]  sc1_cmask, sc1w_cw_q;
  logic [WinIdxBits-1:0]                           sc1_win_addr;
  assign sc1_win_addr = WinIdxBits'(int'(sc1_slot_q) * Timesteps + int'(sc1_t_q));
  assign sc1_spikes   = PadFan'(scan_win_mem[sc1_win_addr]);
  for (genvar a = 0; a < ScanRows; a++) begin : g_scan_present
    logic present;
    assign present      = int'(sc1_r_q) + a < RowsPresent;
    assign sc1_wmask[a] = present ? sc_wrow[a] : '0;
    assign sc1_cmask[a] = present ? sc_wcount[a] : '0;
  end
  always_ff @(posedge clk_i) begin : p_sc1w_words
    sc1w_wrow_q   <= sc1_wmask;
    sc1w_cw_q     <= sc1_cmask;
    sc1w_spikes_q <= sc1_spikes;
  end

  // SC1w: effectual pairs and the per-group counts (the weights' from the count copies).
  logic [ScanRows-1:0][Groups-1:0][GroupWidth-1:0] sc1w_e;
  logic [ScanRows-1:0][Groups-1:0][CountBits-1:0]  sc1w_ce, sc1w_cw;
  for (genvar a = 0; a < ScanRows; a++) begin : g_scan_count_row
    for (genvar g = 0; g < Groups; g++) begin : g_scan_count
      logic [GroupWidth-1:0] wmask;
      assign wmask        = sc1w_wrow_q[a][g];
      assign sc1w_e[a][g] = wmask & sc1w_spikes_q[g * GroupWidth +: GroupWidth];
      popcount #(.Width (GroupWidth)) u_pairs   (.bits_i (sc1w_e[a][g]),
                                                 .count_o (sc1w_ce[a][g]));
      assign sc1w_cw[a][g] = sc1w_cw_q[a][g];
    end
  end

  // SC2: row totals and prefix sums, registered for SC2b; SC2b: the running weight count over
  // the bank's rows and the pushes.
  logic [ScanRows-1:0][Groups-1:0][RankBits-1:0] sc2_pe, sc2_pw, sc2b_pe_q, sc2b_pw_q;
  logic [ScanRows-1:0][RankBits-1:0]  sc2_n, sc2b_n_q;
  logic [ScanRows-1:0][RankBits-1:0]  sc2_wsum, sc2b_wsum_q;
  logic [ScanRows-1:0][WAddrBits-1:0] sc2b_roff;
  logic [ScanRows-1:0][RowBits-1:0]   sc2b_row;
  logic [WAddrBits-1:0]  run_q;        // weights of the rows before sc2b_r_q (this pass)
  logic [WAddrBits-1:0]  run_d;
  logic [ScanRows-1:0]   push;         // scan row a is pushed (it has pairs)
  logic [1:0]            push_count;

  for (genvar a = 0; a < ScanRows; a++) begin : g_scan_sums
    logic [Groups-1:0][RankBits-1:0] ce_wide, cw_wide;
    for (genvar g = 0; g < Groups; g++) begin : g_widen
      assign ce_wide[g] = RankBits'(sc2_ce_q[a][g]);
      assign cw_wide[g] = RankBits'(sc2_cw_q[a][g]);
    end
    // Port expressions are plain signals (Icarus 11 and a genvar in a port expression).
    logic [Groups-1:0][RankBits-1:0] pairs_before, weights_before;
    logic [RankBits-1:0]             pairs_total, weights_total;
    logic [Groups-1:0][RankBits-1:0] unused_pairs_through, unused_weights_through;
    prefix_sum #(.Count (Groups), .Width (RankBits)) u_pairs_before (
      .values_i    (ce_wide),
      .inclusive_o (unused_pairs_through),
      .before_o    (pairs_before),
      .total_o     (pairs_total)
    );
    prefix_sum #(.Count (Groups), .Width (RankBits)) u_weights_before (
      .values_i    (cw_wide),
      .inclusive_o (unused_weights_through),
      .before_o    (weights_before),
      .total_o     (weights_total)
    );
    assign sc2_pe[a]   = pairs_before;
    assign sc2_pw[a]   = weights_before;
    assign sc2_n[a]    = pairs_total;
    assign sc2_wsum[a] = weights_total;
    assign sc2b_row[a] = {sc2b_slot_q, sc2b_t_q, RIdxBits'(int'(sc2b_r_q) + a),
                          BmIdxBits'(int'(sc2b_bm_base_q) + a * Groups), sc2b_roff[a],
                          sc2b_pe_q[a], sc2b_pw_q[a]};
    // A row has pairs iff one of its groups' pair counts is not zero (not from n: off the
    // adder tree; reduced in SC2, so the push's selects into the queue's write port come from
    // registers).
    assign push[a]     = sc2b_v_q && sc2b_any_q[a];
  end
  assign sc2b_roff[0] = (sc2b_r_q == '0) ? '0 : run_q;
  assign sc2b_roff[1] = sc2b_roff[0] + WAddrBits'(sc2b_wsum_q[0]);
  // Both rows' weights summed beside roff[1], not after it (one adder less in the chain).
  assign run_d        = sc2b_v_q ? sc2b_roff[0]
                                 + (WAddrBits'(sc2b_wsum_q[0]) + WAddrBits'(sc2b_wsum_q[1]))
                                 : run_q;
  assign push_count  = 2'(int'(push[0]) + int'(push[1]));

  // SC2b's row fields. No reset: read only while sc2b_v_q (reset) says they were loaded.
  always_ff @(posedge clk_i) begin : p_sc2b
    sc2b_t_q       <= sc2_t_q;
    sc2b_r_q       <= sc2_r_q;
    sc2b_bm_base_q <= sc2_bm_base_q;
    sc2b_pe_q      <= sc2_pe;
    sc2b_pw_q      <= sc2_pw;
    sc2b_n_q       <= sc2_n;
    sc2b_wsum_q    <= sc2_wsum;
    for (int a = 0; a < ScanRows; a++) begin
      sc2b_any_q[a] <= |sc2_ce_q[a];
    end
  end
  // One process per copy: Yosys merged the bits of one process's replicated assignment.
  for (genvar k = 0; k < SelCopies; k++) begin : g_first0_copy
    (* keep *)
    always_ff @(posedge clk_i) begin : p_sc2b_first0
      sc2b_first0_q[k] <= |sc2_ce_q[0];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Row queue (circular buffer of QueueDepth entries: entry i in memory i % 2 at word i / 2, so
  // the two pushes and the two reads of a cycle fall on different memories; no reset and an
  // asynchronous read: LUT RAM) and issue
  // ---------------------------------------------------------------------------------------------
  logic [RowBits-1:0]  queue_mem0 [QHalf];
  logic [RowBits-1:0]  queue_mem1 [QHalf];
  logic [RankBits-1:0] queue_n0 [QHalf];     // n of the rows of queue_mem0 / queue_mem1
  logic [RankBits-1:0] queue_n1 [QHalf];
  logic [QIdxBits-1:0] q_head_q, q_tail_q;
  logic [QIdxBits-1:0] q_head_next, q_tail_next;  // entry after the head / the tail
  assign q_head_next = (int'(q_head_q) == QueueDepth - 1) ? '0 : QIdxBits'(int'(q_head_q) + 1);
  assign q_tail_next = (int'(q_tail_q) == QueueDepth - 1) ? '0 : QIdxBits'(int'(q_tail_q) + 1);

  // The pushes of this cycle: the first to entry q_tail_q, the second (both rows) to the next.
  logic [RowBits-1:0]  push_first, push_second;
  logic [RankBits-1:0] push_first_n, push_second_n;
  // The row data select needs no sc2b_v_q: the data is written only with a push.
  for (genvar k = 0; k < SelCopies; k++) begin : g_push_first
    localparam int Lo = 32 * k;
    localparam int Hi = (32 * k + 31 < RowBits) ? 32 * k + 31 : RowBits - 1;
    assign push_first[Hi:Lo] = sc2b_first0_q[k] ? sc2b_row[0][Hi:Lo] : sc2b_row[1][Hi:Lo];
  end
  assign push_second   = sc2b_row[1];
  assign push_first_n  = push[0] ? sc2b_n_q[0] : sc2b_n_q[1];
  assign push_second_n = sc2b_n_q[1];
  // Memory m takes the push whose entry has parity m.
  logic                we0, we1;
  logic [RowBits-1:0]  wdata0, wdata1;
  logic [RankBits-1:0] wn0, wn1;
  logic [QHalfBits-1:0] waddr0, waddr1;
  `DUALSPIKE_ALWAYS_COMB begin : p_queue_route
    logic tail_odd;
    tail_odd = q_tail_q[0];
    we0      = (push_count != 2'd0 && !tail_odd) || (push_count == 2'd2 && tail_odd);
    we1      = (push_count != 2'd0 && tail_odd) || (push_count == 2'd2 && !tail_odd);
    wdata0   = tail_odd ? push_second : push_first;
    wdata1   = tail_odd ? push_first : push_second;
    wn0      = tail_odd ? push_second_n : push_first_n;
    wn1      = tail_odd ? push_first_n : push_second_n;
    waddr0   = QHalfBits'((tail_odd ? q_tail_next : q_tail_q) >> 1);
    waddr1   = QHalfBits'((tail_odd ? q_tail_q : q_tail_next) >> 1);
  end

  // The rows' n are written at once (the head cache reads them at the entry two behind the
  // head from the next cycle on). The rows themselves are written a cycle later, from
  // registers: they are read only in E0, at the earliest two cycles after their push (the
  // push, issue, E0), so the delay is never seen, and the wide route from the push selects to
  // the queue's LUT RAM has its own cycle (the push's row fields, its selects and that route
  // in one cycle were the conv core's critical path, docs/synthesis.md).
  logic                 qw_we0_q, qw_we1_q;
  logic [RowBits-1:0]   qw_wdata0_q, qw_wdata1_q;
  logic [QHalfBits-1:0] qw_waddr0_q, qw_waddr1_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_queue_write_reg
    if (!rst_ni) begin
      qw_we0_q <= 1'b0;
      qw_we1_q <= 1'b0;
    end else begin
      qw_we0_q <= we0;
      qw_we1_q <= we1;
    end
  end
  // No reset: written to the memory only under qw_we*_q (reset).
  always_ff @(posedge clk_i) begin : p_queue_write_data
    qw_wdata0_q <= wdata0;
    qw_wdata1_q <= wdata1;
    qw_waddr0_q <= waddr0;
    qw_waddr1_q <= waddr1;
  end

  always_ff @(posedge clk_i) begin : p_queue_write
    if (we0) begin
      queue_n0[waddr0] <= wn0;
    end
    if (we1) begin
      queue_n1[waddr1] <= wn1;
    end
    if (qw_we0_q) begin
      queue_mem0[qw_waddr0_q] <= qw_wdata0_q;
    end
    if (qw_we1_q) begin
      queue_mem1[qw_waddr1_q] <= qw_wdata1_q;
    end
  end

  // Issue (I) works on the pair counts n of the front row and of the row behind it, held in
  // flip-flops (front_n_q, next_n_q: the head cache), so that the issue loop (n, k, pop) reads
  // no memory. The cache refills from the pushes and from the n memory at the entry two behind
  // the head, whose address comes from registers; the pop only selects between the two
  // refills. The rest of both rows is read one cycle later (E0) at the head's words,
  // registered: the issue loop and the lanes' group search do not share a cycle. An entry the
  // issue pops is still read in E0: a push can write it at the earliest at the end of that
  // cycle (the pop is counted in q_count_q only from then on).
  logic                 front_mem;      // the memory of the front row
  logic [QHalfBits-1:0] raddr0, raddr1; // the words of the two rows in memory 0 / 1
  logic [RankBits-1:0]  front_n, next_n;
  logic [RankBits-1:0]  front_n_q, next_n_q;
  logic [RankBits-1:0]  front_keep_n, next_keep_n, front_pop_n, next_pop_n;
  logic [QHalfBits-1:0] head_word;      // the head's word in its memory
  logic [QHalfBits-1:0] third_word;     // entry head+2: same memory as the head, next word
  logic [RankBits-1:0]  third_n;
  assign front_mem  = q_head_q[0];
  assign raddr0     = QHalfBits'(front_mem ? q_head_next >> 1 : q_head_q >> 1);
  assign raddr1     = QHalfBits'(front_mem ? q_head_q >> 1 : q_head_next >> 1);
  assign head_word  = QHalfBits'(q_head_q >> 1);
  assign third_word = (int'(head_word) == QHalf - 1) ? '0 : head_word + QHalfBits'(1);
  assign third_n    = front_mem ? queue_n1[third_word] : queue_n0[third_word];
  assign front_n    = front_n_q;
  assign next_n     = next_n_q;

  // The queue after this cycle, front first: the entries from the head (without the front on
  // a pop), then this cycle's pushes. Its first two n for either value of pop. Entries past
  // q_count_q are unused (a value from an absent push is never issued).
  `DUALSPIKE_ALWAYS_COMB begin : p_head_cache
    front_keep_n = (int'(q_count_q) >= 1) ? front_n_q : push_first_n;
    next_keep_n  = (int'(q_count_q) >= 2) ? next_n_q
                 : (int'(q_count_q) == 1) ? push_first_n : push_second_n;
    front_pop_n  = (int'(q_count_q) >= 2) ? next_n_q : push_first_n;
    next_pop_n   = (int'(q_count_q) >= 3) ? third_n
                 : (int'(q_count_q) == 2) ? push_first_n : push_second_n;
  end

  logic [RankBits-1:0]    k_q;         // rank of the next pair of the front row
  logic                   issue;       // a beat of the front row this cycle
  logic                   beat_last;   // ... its last one
  logic                   pop;
  logic                   spill;       // the last beat's spare lanes go to the next row
  logic [KEndBits-1:0]    k_end;       // k + L
  logic [KEndBits-1:0]    spare;       // k + L - n of the front row (lanes it leaves free)
  logic [LaneCntBits-1:0] front_lanes; // lanes of the beat that belong to the front row
  assign issue       = q_count_q != '0;
  assign k_end       = KEndBits'(int'(k_q) + Lanes);
  assign beat_last   = k_end >= KEndBits'(front_n);
  assign pop         = issue && beat_last;
  assign spare       = k_end - KEndBits'(front_n);
  assign spill       = pop && int'(q_count_q) >= 2 && KEndBits'(next_n) > spare;
  assign front_lanes = beat_last ? LaneCntBits'(int'(front_n) - int'(k_q))
                                 : LaneCntBits'(Lanes);

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_queue
    if (!rst_ni) begin
      q_head_q  <= '0;
      q_tail_q  <= '0;
      q_count_q <= '0;
      q_claimed_q <= '0;
      k_q       <= '0;
      front_n_q <= '0;
      next_n_q  <= '0;
    end else begin
      if (push_count == 2'd1) begin
        q_tail_q <= q_tail_next;
      end else if (push_count == 2'd2) begin
        q_tail_q <= (int'(q_tail_next) == QueueDepth - 1) ? '0
                                                         : QIdxBits'(int'(q_tail_next) + 1);
      end
      if (pop) begin
        q_head_q <= q_head_next;
      end
      q_count_q <= QCountBits'(int'(q_count_q) + int'(push_count) - int'(pop));
      // Two rows claimed when the scan starts them, released into the queue's count at SC2b
      // (the absent pushes released), and one leaves on a pop.
      q_claimed_q <= QCountBits'(int'(q_claimed_q) + ScanRows * int'(sc_go)
                                 - ScanRows * int'(sc2b_v_q) + int'(push_count) - int'(pop));
      front_n_q <= pop ? front_pop_n : front_keep_n;
      next_n_q  <= pop ? next_pop_n : next_keep_n;
      k_q       <= pop ? (spill ? RankBits'(spare) : '0)
                 : issue ? RankBits'(k_end) : k_q;
    end
  end

  // Per lane, in I: its row (the front, or the next one for a spare lane of a spilling beat)
  // and its rank in that row.
  logic [Lanes-1:0]                lane_v;
  logic [Lanes-1:0]                lane_row;    // 0: front, 1: next row
  logic [Lanes-1:0][RankBits-1:0]  lane_rank;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_rank
    logic in_front;   // the lane's rank is within the front row
    assign in_front     = int'(k_q) + l < int'(front_n);
    assign lane_row[l]  = !in_front;
    assign lane_v[l]    = issue && (in_front || spill);
    assign lane_rank[l] = in_front ? RankBits'(int'(k_q) + l)
                                   : RankBits'(int'(k_q) + l - int'(front_n));
  end

  // ---------------------------------------------------------------------------------------------
  // E0: the rows' fields read (registered in E0q); E0q: each lane's group and its place in it
  // (its bitmap copy read in E0b)
  // ---------------------------------------------------------------------------------------------
  logic                             e0_v_q, e0_first_q, e0_last_q, e0_spill_q;
  logic [LaneCntBits-1:0]           e0_front_lanes_q;
  logic                             e0_front_mem_q;
  logic [QHalfBits-1:0]             e0_raddr0_q, e0_raddr1_q;
  logic [Lanes-1:0]                 e0_lane_v_q, e0_lane_row_q;
  logic [Lanes-1:0][RankBits-1:0]   e0_lane_rank_q;

  // The two rows, unpacked per memory ([m]: the entry read from queue memory m). The small
  // fields are swapped into front order, the lanes pick their row's wide fields straight from
  // the memory that holds it (no swap of the wide fields).
  logic [1:0][RowBits-1:0]                 q_words;
  logic [1:0][SlotBits-1:0]                qm_slot;
  logic [1:0][TIdxBits-1:0]                qm_t;
  logic [1:0][RIdxBits-1:0]                qm_r;
  logic [1:0][BmIdxBits-1:0]               qm_bm_base;
  logic [1:0][WAddrBits-1:0]               qm_roff;
  logic [1:0][Groups-1:0][RankBits-1:0]    qm_pe, qm_pw;

  // The two rows as the queue memories give them in E0.
  logic [1:0][RowBits-1:0] e0_words;
  assign e0_words[0] = queue_mem0[e0_raddr0_q];
  assign e0_words[1] = queue_mem1[e0_raddr1_q];

  // The lanes' group compares (Pe[g] <= rank) run in E0 on the words as the memories give them
  // and are registered as a thermometer; E0q only selects. (Compare and select in E0q were the
  // core's critical path at 42.1-45.9 MHz, docs/synthesis.md.) Pe sits above Pw in a row.
  localparam int PeLsb = Groups * RankBits;
  logic [Lanes-1:0][Groups-1:0] e0_at_or_below, e0q_at_or_below_q;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_compare
    assign e0_at_or_below[l][0] = 1'b1;  // Pe[0] = 0
    for (genvar g = 1; g < Groups; g++) begin : g_group
      localparam int Lsb = PeLsb + g * RankBits;
      logic mem;  // the queue memory that holds the lane's row
      assign mem = e0_front_mem_q ^ e0_lane_row_q[l];
      assign e0_at_or_below[l][g] = (mem ? e0_words[1][Lsb +: RankBits]
                                         : e0_words[0][Lsb +: RankBits]) <= e0_lane_rank_q[l];
    end
  end

  // E0q: the two rows read in E0 are registered with the beat's fields, so the LUT-RAM read
  // and the lanes' group search do not share a cycle (the core's critical path at 40.9 MHz,
  // docs/synthesis.md). The read itself stays in E0 (the pop / push rule above is unchanged).
  // The words keep a reset: without one Yosys may take them for the memories' read register.
  logic                           e0q_v_q, e0q_first_q, e0q_last_q, e0q_spill_q;
  logic [LaneCntBits-1:0]         e0q_front_lanes_q;
  logic                           e0q_front_mem_q;
  logic [Lanes-1:0]               e0q_lane_v_q, e0q_lane_row_q;
  logic [Lanes-1:0][RankBits-1:0] e0q_lane_rank_q;
  logic [1:0][RowBits-1:0]        e0q_words_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_e0q
    if (!rst_ni) begin
      e0q_v_q           <= 1'b0;
      e0q_first_q       <= 1'b0;
      e0q_last_q        <= 1'b0;
      e0q_spill_q       <= 1'b0;
      e0q_front_lanes_q <= '0;
      e0q_front_mem_q   <= 1'b0;
      e0q_lane_v_q      <= '0;
      e0q_lane_row_q    <= '0;
      e0q_lane_rank_q   <= '0;
      e0q_words_q       <= '0;
      e0q_at_or_below_q <= '0;
    end else begin
      e0q_v_q           <= e0_v_q;
      e0q_first_q       <= e0_first_q;
      e0q_last_q        <= e0_last_q;
      e0q_spill_q       <= e0_spill_q;
      e0q_front_lanes_q <= e0_front_lanes_q;
      e0q_front_mem_q   <= e0_front_mem_q;
      e0q_lane_v_q      <= e0_lane_v_q;
      e0q_lane_row_q    <= e0_lane_row_q;
      e0q_lane_rank_q   <= e0_lane_rank_q;
      e0q_words_q       <= e0_words;
      e0q_at_or_below_q <= e0_at_or_below;
    end
  end
  assign q_words = e0q_words_q;
  for (genvar m = 0; m < 2; m++) begin : g_queue_read
    assign {qm_slot[m], qm_t[m], qm_r[m], qm_bm_base[m], qm_roff[m], qm_pe[m], qm_pw[m]}
      = q_words[m];
  end

  // The window words (slot * T + t) of the two rows, carried to E1, where the lanes read their
  // groups' spikes (g_lane_window).
  logic [1:0][WinIdxBits-1:0] qm_win, e0b_win_q;
  for (genvar m = 0; m < 2; m++) begin : g_queue_win_addr
    assign qm_win[m] = WinIdxBits'(int'(qm_slot[m]) * Timesteps + int'(qm_t[m]));
  end
  // The front row's slot, t and r (a spilling beat's next row takes them when it is the front:
  // its last beat writes them).
  logic [SlotBits-1:0]  front_slot;
  logic [TIdxBits-1:0]  front_t;
  logic [RIdxBits-1:0]  front_r;
  assign front_slot = e0q_front_mem_q ? qm_slot[1] : qm_slot[0];
  assign front_t    = e0q_front_mem_q ? qm_t[1] : qm_t[0];
  assign front_r    = e0q_front_mem_q ? qm_r[1] : qm_r[0];

  // A beat's tag, carried unchanged from E0 to E3 (where it is used): first / last beat of its
  // front row, spill, the front row's lanes, the row's slot, t and r, the valid lanes.
  localparam int TagBits = 3 + LaneCntBits + SlotBits + TIdxBits + RIdxBits + Lanes;
  logic [TagBits-1:0] e0_tag;
  assign e0_tag = {e0q_first_q, e0q_last_q, e0q_spill_q, e0q_front_lanes_q, front_slot, front_t,
                   front_r, e0q_lane_v_q};

  // E0b: the lanes' fields, registered; the bitmap read is addressed from here.
  logic                             e0b_v_q;
  logic [TagBits-1:0]               e0b_tag_q;
  logic [Lanes-1:0][GIdxBits-1:0]   e0b_g_q;
  logic [Lanes-1:0][CountBits-1:0]  e0b_q_q;
  logic [Lanes-1:0]                 e0b_mem_q;      // the queue memory of the lane's row
  logic [Lanes-1:0][WAddrBits-1:0]  e0b_roff_q;
  logic [Lanes-1:0][RankBits-1:0]   e0b_pw_q;
  logic [Lanes-1:0][BmIdxBits-1:0]  e0b_bm_base_q;

  logic [Lanes-1:0][GIdxBits-1:0]     lane_g;
  logic [Lanes-1:0][CountBits-1:0]    lane_q;
  logic [Lanes-1:0][WAddrBits-1:0]    lane_roff;
  logic [Lanes-1:0][RankBits-1:0]     lane_pw;
  logic [Lanes-1:0][BmIdxBits-1:0]    lane_bm_base;
  logic [Lanes-1:0][GroupWidth-1:0]   e1_wbm;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane_issue
    logic                  mem;        // the queue memory that holds the lane's row
    logic [RankBits-1:0]   rank;
    assign mem  = e0q_front_mem_q ^ e0q_lane_row_q[l];
    assign rank = e0q_lane_rank_q[l];

    // The group is the last g with Pe[g] <= rank (Pe does not decrease, so the compares, made
    // in E0, are true up to it and false after it): a one-hot from neighbouring compares, then
    // the fields by AND-OR. (A priority loop over the compares built a chain of G muxes and a
    // decode; no variable index into the packed arrays either: Icarus 11 needs constant indices
    // there.)
    `DUALSPIKE_ALWAYS_COMB begin : p_lane_group
      logic [GIdxBits-1:0]             group;
      logic [Groups-1:0][RankBits-1:0] pe_row, pw_row;
      logic [Groups:0]                 at_or_below;  // Pe[g] <= rank; [0] true, [Groups] false
      logic [RankBits-1:0]             pe_sel, pw_sel;
      pe_row = mem ? qm_pe[1] : qm_pe[0];
      pw_row = mem ? qm_pw[1] : qm_pw[0];
      at_or_below = {1'b0, e0q_at_or_below_q[l]};
      group  = '0;
      pe_sel = '0;
      pw_sel = '0;
      for (int g = 0; g < Groups; g++) begin
        if (at_or_below[g] && !at_or_below[g + 1]) begin
          group  = group | GIdxBits'(g);
          pe_sel = pe_sel | pe_row[g];
          pw_sel = pw_sel | pw_row[g];
        end
      end
      lane_g[l]       = group;
      lane_q[l]       = CountBits'(rank - pe_sel);
      lane_roff[l]    = mem ? qm_roff[1] : qm_roff[0];
      lane_pw[l]      = pw_sel;
      lane_bm_base[l] = mem ? qm_bm_base[1] : qm_bm_base[0];
    end

    assign bm_re[l]                        = e0b_v_q;
    assign bm_raddr[l]                     = BmIdxBits'(int'(e0b_bm_base_q[l])
                                                        + int'(e0b_g_q[l]));
    assign e1_wbm[l]                       = bm_rdata[l];
  end

  // ---------------------------------------------------------------------------------------------
  // E1: the bitmap word read; E1w: the word registered, the lane's pairs; E1s, E1t, E1b:
  // in-group search; E2: packed weight address and read; E2b: the weights registered; E3: lane
  // sum, accumulator, current buffer
  // ---------------------------------------------------------------------------------------------
  logic                             e1_v_q;
  logic [TagBits-1:0]               e1_tag_q;
  // The group's packed-weight base, roff + Pw[g] (weights of the bank's rows before the row
  // and of the row before the group), added in E0b from registers (in E0 the add followed the
  // group select: the network's critical path, docs/synthesis.md).
  logic [Lanes-1:0][WAddrBits-1:0]  e0b_base, e1_base_q;
  logic [Lanes-1:0]                 e1_mem_q;
  logic [Lanes-1:0][GIdxBits-1:0]   e1_g_q;

  // E1w: E1's fields and the bitmap word read, registered. The words and ranks have no reset:
  // later stages read what they give only under the beat's valid and lane bits.
  logic                             e1w_v_q;
  logic [TagBits-1:0]               e1w_tag_q;
  logic [Lanes-1:0][WAddrBits-1:0]  e1w_base_q;
  logic [Lanes-1:0][GroupWidth-1:0] e1_spikes, e1w_spikes_q, e1w_wbm_q, e1w_pairs;
  logic [Lanes-1:0][CountBits-1:0]  e1_q_q, e1w_q_q;
  // E1s, E1t: the search (pair_select takes the weights two cycles after the pairs).
  logic                             e1s_v_q, e1t_v_q;
  logic [TagBits-1:0]               e1s_tag_q, e1t_tag_q;
  logic [Lanes-1:0][WAddrBits-1:0]  e1s_base_q, e1t_base_q;
  logic [Lanes-1:0][GroupWidth-1:0] e1s_wbm_q, e1t_wbm_q;
  always_ff @(posedge clk_i) begin : p_lane_words
    e1_q_q       <= e0b_q_q;
    e1w_spikes_q <= e1_spikes;
    e1w_q_q      <= e1_q_q;
    e1w_wbm_q    <= e1_wbm;
    e1s_wbm_q    <= e1w_wbm_q;
    e1t_wbm_q    <= e1s_wbm_q;
  end
  // The lane's effectual pairs in its group: the group's weight bitmap and its spikes. The
  // queue does not carry a row's F effectual bits (they and the prefix sums through SC2, SC2b,
  // the queue's write registers and E0q were about two thirds of a bank's flip-flops,
  // docs/synthesis.md): in E1 each lane reads its group of the window word of its row's
  // timestep, from the lanes' window copy m for a row of queue memory m (g_lane_window). A
  // slot's words stay as written until the slot is released, after the bank's last row of it
  // left E3.
  assign e1w_pairs = e1w_wbm_q & e1w_spikes_q;
  logic [1:0][PadFan-1:0] e1_win_words;
  // The lanes' copies of the window memory, one per queue memory m, cut into a memory per group
  // (LUT RAM, as the scan's copy), each read in E1 through its own copy of the row's window
  // word (`keep`: synthesis would merge the equal registers). One address register fanned out
  // to a whole F-bit copy took 9.7 ns of route on the digits network, before the read and the
  // lane's copy and group selects: the network's critical path (docs/synthesis.md). The last
  // group's memory holds only the bits F leaves it; it reads as zero above them.
  for (genvar m = 0; m < 2; m++) begin : g_lane_window
    for (genvar g = 0; g < Groups; g++) begin : g_group
      localparam int Bits = (g == Groups - 1) ? FanIn - g * GroupWidth : GroupWidth;
      logic [WinIdxBits-1:0] raddr_q;
      (* ram_style = "distributed" *)
      logic [Bits-1:0] win_mem [WinDepth];
      (* keep *)
      always_ff @(posedge clk_i) begin : p_win_addr
        raddr_q <= e0b_win_q[m];
      end
      always_ff @(posedge clk_i) begin : p_win_write
        if (win_we_i) begin
          win_mem[win_waddr_i] <= win_wdata_i[g * GroupWidth +: Bits];
        end
      end
      assign e1_win_words[m][g * GroupWidth +: GroupWidth] = GroupWidth'(win_mem[raddr_q]);
    end
  end
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_spikes
    `DUALSPIKE_ALWAYS_COMB begin : p_lane_spikes
      logic [PadFan-1:0] word;
      word         = e1_mem_q[l] ? e1_win_words[1] : e1_win_words[0];
      e1_spikes[l] = '0;
      for (int g = 0; g < Groups; g++) begin
        if (int'(e1_g_q[l]) == g) begin
          e1_spikes[l] = word[g * GroupWidth +: GroupWidth];
        end
      end
    end
  end

  logic                             e1b_v_q;
  logic [TagBits-1:0]               e1b_tag_q;
  logic [Lanes-1:0][WAddrBits-1:0]  e1b_base_q;

  logic                             e2_v_q;
  logic [TagBits-1:0]               e2_tag_q;
  logic [Lanes-1:0][CountBits-1:0]  e2_found_q;
  logic [Lanes-1:0][WAddrBits-1:0]  e2_base_q;

  logic                             e2b_v_q;
  logic [TagBits-1:0]               e2b_tag_q;

  logic                             e3_v_q;
  logic [TagBits-1:0]               e3_tag_q;
  // The tag's fields in E3 (bits of e3_tag_q, so registers still).
  logic                             e3_first_q, e3_last_q, e3_spill_q;
  logic [LaneCntBits-1:0]           e3_front_lanes_q;
  logic [SlotBits-1:0]              e3_slot_q;
  logic [TIdxBits-1:0]              e3_t_q;
  logic [RIdxBits-1:0]              e3_r_q;
  logic [Lanes-1:0]                 e3_lane_v_q;
  assign {e3_first_q, e3_last_q, e3_spill_q, e3_front_lanes_q, e3_slot_q, e3_t_q, e3_r_q,
          e3_lane_v_q} = e3_tag_q;

  // E1w to E1b: the q-th pair of the group and the weights of the row's bitmap below it, found
  // in four cycles (pair_select, Stages = 3: the pairs' block counts in E1w, the block search
  // in E1s, the weights' side in E1t, the walk in E1b); registered again in E2, so the search
  // and the route to the weight memory do not share a cycle.
  logic [Lanes-1:0][CountBits-1:0] e1b_found;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_select
    pair_select #(.GroupWidth (GroupWidth), .Stages (3)) u_pair_select (
      .clk_i     (clk_i),
      .pairs_i   (e1w_pairs[l]),
      .weights_i (e1t_wbm_q[l]),
      .rank_i    (e1w_q_q[l]),
      .below_o   (e1b_found[l])
    );
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane_base
    assign e0b_base[l] = e0b_roff_q[l] + WAddrBits'(e0b_pw_q[l]);
  end

  // E2: the packed weight address, read from the lane's copy of the weight memory; E2b: the
  // weight read, registered (no reset: E3 uses it only under the beat's lane-valid bits).
  // The lane sums are LaneSumBits wide: L weights of B bits sum within B + clog2(L) bits, so
  // the narrow adds are exact and only the accumulator add is CurrentBits wide (a row's sum
  // fits CurrentBits, so when that is narrower the sums are taken modulo it, as the
  // accumulator's are).
  localparam int LaneSumBits = (WeightBits + $clog2(Lanes) < CurrentBits)
                               ? WeightBits + $clog2(Lanes) : CurrentBits;
  logic [Lanes-1:0][LaneSumBits-1:0] lane_weight;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_weight
    logic [WAddrBits-1:0]  addr;
    logic [WeightBits-1:0] weight_rd;
    logic [WeightBits-1:0] weight_q;
    logic [WeightBits-1:0] weight;
    assign addr = e2_base_q[l] + WAddrBits'(e2_found_q[l]);

    config_ram #(
      .Width    (WeightBits),
      .Depth    (WDepth),
      .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "weight", BankTag, ".mem"})
    ) u_weight (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (cfg_weight_we_q),
      .waddr_i (WIdxBits'(cfg_addr_q)),
      .wdata_i (cfg_weight_word_q),
      .re_i    (e2_v_q),
      .raddr_i (WIdxBits'(addr)),
      .rdata_o (weight_rd)
    );
    always_ff @(posedge clk_i) begin : p_weight_reg
      weight_q <= weight_rd;
    end
    assign weight = e3_lane_v_q[l] ? weight_q : '0;
    assign lane_weight[l] = LaneSumBits'($signed(weight));
  end

  // The front row's lanes are the low ones (lanes 0 .. front_lanes-1): its sum is a prefix of
  // the lane chain, and the next row's (a spilling beat) the rest.
  logic [Lanes:0][LaneSumBits-1:0] lane_partial;
  logic [LaneSumBits-1:0]          front_sum, next_sum;
  logic [CurrentBits-1:0]          acc_q, acc_d;
  assign lane_partial[0] = '0;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_sum
    assign lane_partial[l + 1] = lane_partial[l] + lane_weight[l];
  end
  `DUALSPIKE_ALWAYS_COMB begin : p_front_sum
    front_sum = lane_partial[Lanes];
    for (int l = 1; l < Lanes; l++) begin
      if (int'(e3_front_lanes_q) == l) begin
        front_sum = lane_partial[l];
      end
    end
  end
  assign next_sum = lane_partial[Lanes] - front_sum;
  assign acc_d    = (e3_first_q ? '0 : acc_q) + CurrentBits'($signed(front_sum));

  logic                  row_done;      // E3 holds a row's last beat: its sum is written
  logic [CbHalfBits-1:0] cbh_waddr, cbh_raddr;  // word of the write / the reads in their memory
  logic [CbHalfBits-1:0] cbh_paddr;             // word of the scanned rows' pushed flags
  // The word of entry (slot, t, r) in the current buffer's and the pushed flags' memories (one
  // memory per row parity, so rows r and r + 1 share the word).
  function automatic logic [CbHalfBits-1:0] cb_word(int slot, int t, int r);
    return CbHalfBits'((slot * Timesteps + t) * RowPairs + r / 2);
  endfunction
  assign row_done  = e3_v_q && e3_last_q;
  assign cbh_waddr = cb_word(int'(e3_slot_q), int'(e3_t_q), int'(e3_r_q));
  assign cbh_raddr = cb_word(int'(nrn_slot_i), int'(nrn_t_i), int'(nrn_r_i));
  assign cbh_paddr = cb_word(int'(sc2b_slot_q), int'(sc2b_t_q), int'(sc2b_r_q));

  logic [1:0][CurrentBits-1:0]  cur_rows;
  logic [1:0][MembraneBits-1:0] bias_rows;
  assign cur_o  = cur_rows;
  assign bias_o = bias_rows;
  for (genvar j = 0; j < NrnRows; j++) begin : g_neuron_row
    logic                   row_exists;    // row nrn_r_i + j is a row of the bank
    logic                   rd_exists_q;   // ... registered with the read
    logic                   rd_zero_q;     // the read timestep's window word is zero
    logic                   pushed_rd;     // the read entry's row was pushed
    logic [CurrentBits-1:0] cur_rd;
    logic [MembraneBits-1:0] bias_rd;
    // Port expressions below are plain signals: Icarus 11 mistakes a genvar inside an
    // instance's port expression for a net and then rejects every later use of it.
    logic                   cb_we;
    logic [RIdxBits-1:0]    bias_raddr;
    assign row_exists = int'(nrn_r_i) + j < Rows;
    assign cb_we      = row_done && int'(e3_r_q) % 2 == j;
    assign bias_raddr = RIdxBits'(int'(nrn_r_i) + j);

    // Current buffer of the rows r with r % 2 == j.
    sdp_ram #(
      .Width (CurrentBits),
      .Depth (CbHalfDepth)
    ) u_current (
      .clk_i   (clk_i),
      .we_i    (cb_we),
      .waddr_i (cbh_waddr),
      .wdata_i (acc_d),
      .re_i    (nrn_re_i),
      .raddr_i (cbh_raddr),
      .rdata_o (cur_rd)
    );

    // A copy of the biases per read row (the same preload image for both).
    config_ram #(
      .Width    (MembraneBits),
      .Depth    (Rows),
      .InitFile ((InitPrefix == "") ? "" : {InitPrefix, "bias", BankTag, ".mem"})
    ) u_bias (
      .clk_i   (clk_i),
      .rst_ni  (rst_ni),
      .we_i    (cfg_bias_we_q),
      .waddr_i (cfg_bias_row_q),
      .wdata_i (cfg_bias_word_q),
      .re_i    (nrn_re_i && row_exists),
      .raddr_i (bias_raddr),
      .rdata_o (bias_rd)
    );

    // Pushed flags of the rows r with r % 2 == j. SC2b writes both flags of every row pair it
    // scans, so each entry of a slot is written again for every pixel, before the slot is done
    // and read; nothing needs clearing. (Flip-flop flags, set by the current write and cleared
    // on release, were Slots x T x R flip-flops per bank, 1,024 at digits layer 2, with their
    // set, clear and read logic: docs/synthesis.md.)
    sdp_ram #(
      .Width (1),
      .Depth (CbHalfDepth)
    ) u_pushed (
      .clk_i   (clk_i),
      .we_i    (sc2b_v_q),
      .waddr_i (cbh_paddr),
      .wdata_i (push[j]),
      .re_i    (nrn_re_i),
      .raddr_i (cbh_raddr),
      .rdata_o (pushed_rd)
    );
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_read_flag
      if (!rst_ni) begin
        rd_exists_q <= 1'b0;
        rd_zero_q   <= 1'b0;
      end else if (nrn_re_i) begin
        rd_exists_q <= row_exists;
        rd_zero_q   <= word_zero_i[int'(nrn_slot_i) * Timesteps + int'(nrn_t_i)];
      end
    end
    assign cur_rows[j]  = (rd_exists_q && pushed_rd && !rd_zero_q) ? cur_rd : '0;
    assign bias_rows[j] = bias_rd;
  end
  if (NrnRows == 1) begin : g_no_odd_row
    assign cur_rows[1]  = '0;
    assign bias_rows[1] = '0;
  end

  // ---------------------------------------------------------------------------------------------
  // Slot bookkeeping
  // ---------------------------------------------------------------------------------------------
  logic [Slots-1:0]                scan_fin_q, scan_fin_d;   // the slot's last row left SC2b
  logic [Slots-1:0][OutstBits-1:0] outst_q, outst_d;         // rows pushed, not yet written
  logic [Slots-1:0]                scanned_d;
  logic [Slots-1:0]                done_q;

  `DUALSPIKE_ALWAYS_COMB begin : p_slots
    scanned_d  = scanned_q;
    scan_fin_d = scan_fin_q;
    outst_d    = outst_q;
    for (int s = 0; s < Slots; s++) begin
      if (release_i[s]) begin
        scanned_d[s]  = 1'b0;
        scan_fin_d[s] = 1'b0;
      end
      outst_d[s] = OutstBits'(int'(outst_q[s])
                              + ((int'(sc2b_slot_q) == s) ? int'(push_count) : 0)
                              - int'(row_done && int'(e3_slot_q) == s));
    end
    if (sc_go && sc_last) begin
      scanned_d[sc_slot_q] = 1'b1;
    end
    if (sc2b_v_q && sc2b_last_q) begin
      scan_fin_d[sc2b_slot_q] = 1'b1;
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
      sc_loaded_q  <= '0;
      sc1_v_q      <= 1'b0;
      sc1_slot_q   <= '0;
      sc1_last_q   <= 1'b0;
      sc1_t_q      <= '0;
      sc1_r_q      <= '0;
      sc_bm_base_q  <= '0;
      sc1_bm_base_q <= '0;
      sc1w_v_q     <= 1'b0;
      sc1w_slot_q  <= '0;
      sc1w_last_q  <= 1'b0;
      sc1w_t_q     <= '0;
      sc1w_r_q     <= '0;
      sc1w_bm_base_q <= '0;
      sc2_bm_base_q <= '0;
      sc2_v_q      <= 1'b0;
      sc2_slot_q   <= '0;
      sc2_last_q   <= 1'b0;
      sc2b_v_q     <= 1'b0;
      sc2b_slot_q  <= '0;
      sc2b_last_q  <= 1'b0;
      sc2_t_q      <= '0;
      sc2_r_q      <= '0;
      sc2_ce_q     <= '0;
      sc2_cw_q     <= '0;
      run_q        <= '0;
      e0_v_q       <= 1'b0;
      e0_first_q   <= 1'b0;
      e0_last_q    <= 1'b0;
      e0_spill_q   <= 1'b0;
      e0_front_lanes_q <= '0;
      e0_front_mem_q <= 1'b0;
      e0_raddr0_q  <= '0;
      e0_raddr1_q  <= '0;
      e0_lane_v_q  <= '0;
      e0_lane_row_q <= '0;
      e0_lane_rank_q <= '0;
      e0b_v_q      <= 1'b0;
      e0b_tag_q     <= '0;
      e0b_g_q      <= '0;
      e0b_q_q      <= '0;
      e0b_mem_q    <= '0;
      e0b_roff_q   <= '0;
      e0b_pw_q     <= '0;
      e0b_bm_base_q <= '0;
      e0b_win_q    <= '0;
      e1_v_q       <= 1'b0;
      e1_tag_q      <= '0;
      e1_base_q    <= '0;
      e1_mem_q     <= '0;
      e1_g_q       <= '0;
      e1w_v_q      <= 1'b0;
      e1w_tag_q    <= '0;
      e1w_base_q   <= '0;
      e1s_v_q      <= 1'b0;
      e1s_tag_q    <= '0;
      e1s_base_q   <= '0;
      e1t_v_q      <= 1'b0;
      e1t_tag_q    <= '0;
      e1t_base_q   <= '0;
      e1b_v_q      <= 1'b0;
      e1b_tag_q     <= '0;
      e1b_base_q   <= '0;
      e2_v_q       <= 1'b0;
      e2_tag_q      <= '0;
      e2_found_q   <= '0;
      e2_base_q    <= '0;
      e2b_v_q      <= 1'b0;
      e2b_tag_q     <= '0;
      e3_v_q       <= 1'b0;
      e3_tag_q      <= '0;
      acc_q        <= '0;
      scan_fin_q   <= '0;
      outst_q      <= '0;
      done_q       <= '0;
    end else begin
      if (sc_go) begin
        sc_r_q       <= sc_step_end ? '0 : RIdxBits'(int'(sc_r_q) + ScanRows);
        sc_bm_base_q <= sc_step_end ? '0 : BmIdxBits'(int'(sc_bm_base_q) + ScanRows * Groups);
        if (sc_step_end) begin
          sc_t_q <= (int'(sc_t_q) == Timesteps - 1) ? '0 : TIdxBits'(int'(sc_t_q) + 1);
        end
        if (sc_last) begin
          sc_slot_q <= (int'(sc_slot_q) == Slots - 1) ? '0 : SlotBits'(int'(sc_slot_q) + 1);
        end
      end
      scanned_q    <= scanned_d;
      sc_loaded_q  <= loaded_i & ~release_i;
      sc1_v_q      <= sc_go;
      sc1_slot_q   <= sc_slot_q;
      sc1_last_q   <= sc_last;
      sc1_t_q      <= sc_t_q;
      sc1_r_q      <= sc_r_q;
      sc1_bm_base_q <= sc_bm_base_q;
      sc1w_v_q     <= sc1_v_q;
      sc1w_slot_q  <= sc1_slot_q;
      sc1w_last_q  <= sc1_last_q;
      sc1w_t_q     <= sc1_t_q;
      sc1w_r_q     <= sc1_r_q;
      sc1w_bm_base_q <= sc1_bm_base_q;
      sc2_bm_base_q <= sc1w_bm_base_q;
      sc2_v_q      <= sc1w_v_q;
      sc2_slot_q   <= sc1w_slot_q;
      sc2_last_q   <= sc1w_last_q;
      sc2_t_q      <= sc1w_t_q;
      sc2_r_q      <= sc1w_r_q;
      sc2_ce_q     <= sc1w_ce;
      sc2_cw_q     <= sc1w_cw;
      sc2b_v_q     <= sc2_v_q;
      sc2b_slot_q  <= sc2_slot_q;
      sc2b_last_q  <= sc2_last_q;
      run_q        <= run_d;
      e0_v_q       <= issue;
      e0_first_q   <= k_q == '0;
      e0_last_q    <= beat_last;
      e0_spill_q   <= spill;
      e0_front_lanes_q <= front_lanes;
      e0_front_mem_q <= front_mem;
      e0_raddr0_q  <= raddr0;
      e0_raddr1_q  <= raddr1;
      e0_lane_v_q  <= lane_v;
      e0_lane_row_q <= lane_row;
      e0_lane_rank_q <= lane_rank;
      e0b_v_q      <= e0q_v_q;
      e0b_tag_q     <= e0_tag;
      e0b_g_q      <= lane_g;
      e0b_q_q      <= lane_q;
      e0b_mem_q    <= e0q_lane_row_q ^ {Lanes{e0q_front_mem_q}};
      e0b_roff_q   <= lane_roff;
      e0b_pw_q     <= lane_pw;
      e0b_bm_base_q <= lane_bm_base;
      e0b_win_q    <= qm_win;
      e1_v_q       <= e0b_v_q;
      e1_tag_q      <= e0b_tag_q;
      e1_base_q    <= e0b_base;
      e1_mem_q     <= e0b_mem_q;
      e1_g_q       <= e0b_g_q;
      e1w_v_q      <= e1_v_q;
      e1w_tag_q    <= e1_tag_q;
      e1w_base_q   <= e1_base_q;
      e1s_v_q      <= e1w_v_q;
      e1s_tag_q    <= e1w_tag_q;
      e1s_base_q   <= e1w_base_q;
      e1t_v_q      <= e1s_v_q;
      e1t_tag_q    <= e1s_tag_q;
      e1t_base_q   <= e1s_base_q;
      e1b_v_q      <= e1t_v_q;
      e1b_tag_q     <= e1t_tag_q;
      e1b_base_q   <= e1t_base_q;
      e2_v_q       <= e1b_v_q;
      e2_tag_q      <= e1b_tag_q;
      e2_found_q   <= e1b_found;
      e2_base_q    <= e1b_base_q;
      e2b_v_q      <= e2_v_q;
      e2b_tag_q     <= e2_tag_q;
      e3_v_q       <= e2b_v_q;
      e3_tag_q      <= e2b_tag_q;
      if (e3_v_q) begin
        // A spilling beat starts the next row's sum with the lanes it gave that row.
        acc_q <= e3_spill_q ? CurrentBits'($signed(next_sum)) : acc_d;
      end
      scan_fin_q   <= scan_fin_d;
      outst_q      <= outst_d;
      for (int s = 0; s < Slots; s++) begin
        done_q[s] <= scan_fin_d[s] && outst_d[s] == '0;
      end
    end
  end

`ifndef __ICARUS__
  if (QueueDepth < 4 || QueueDepth % 2 != 0) begin : g_bad_queue
    $error("sparse_row_bank: QueueDepth must be even and >= 4, got %0d", QueueDepth);
  end
  if (Slots < 2 || (Slots & (Slots - 1)) != 0) begin : g_bad_slots
    $error("sparse_row_bank: Slots must be a power of two >= 2, got %0d", Slots);
  end
`endif

endmodule
