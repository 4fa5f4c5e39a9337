// Copyright dualspike contributors.
//
// dense_bank: bank p of the dense input core. Computes the exact synaptic currents of the output
// channels co = r*P + p (local rows r = 0 .. BankRows-1) of one output pixel, once per pixel.
//
// Equation (SPEC sections 2 and 3, pixels instead of spikes):
//   I[co] = b[co] + sum over groups g, effectual pairs (q, idx) of (wbitmap_g, pbitmap_g) of
//           packed[base_g + idx] * pix[g*G + q]
// where pbitmap_g marks the non-zero pixels of the window (padding is 0, so it is skipped too),
// packed holds the bank's non-zero weights in (r, g, position) order and base_g is the running
// popcount of the bitmaps walked before group g in this pass (docs/cores.md section 2).
// Golden: golden.sparsity.bitmap_current == golden.layers.conv_currents at any t.
// All sums are exact in CurrentBits (>= the accumulator's largest magnitude, see the core).
//
// Schedule (one pass per window; the core raises start_i when it loads a new window):
//   feeder   walks (r, g) for r < BankRows, g < NG, one group per accepted detector transfer;
//            the group's G pixels, base address and row are latched on acceptance, so the core
//            may load the next window as soon as every bank has accepted its last group;
//   detector sparsity_detector: max(1, ceil(pairs / L)) beats per group, back to back;
//   address  per lane: weight address base + idx and the group pixel at q -> registered (the
//            detector's lane select and the base adder get a cycle apart from the weight read);
//   beat     per lane: weight = the lane's weight memory at the address (a registered read), pixel
//            -> registered;
//   MAC      acc = (first beat of a row ? bias : acc) + sum of the lane products; on the last
//            beat of a row the sum is registered for the write, on the last row the pass's end;
//   write    the row's sum goes out (wr_valid_o), on the last row pix_done_o: from registers
//            (the product, the sums and the route to the core's current buffers in one cycle
//            were the dense input core's critical path, docs/synthesis.md).
// Latency: a group accepted at edge e has its beats' addresses registered at e+1 .. e+n, their
// weights at e+2 .. e+n+1, accumulated at e+3 .. e+n+2 (n its beat count), its row's sum on
// wr_current_o after edge e+n+3. Throughput: one beat per cycle, L effectual pairs per beat.
//
// Memories (sdp_ram: written by the core's configuration port, never reset, read registered):
// bitmap Rows*NG x G bits, weight Rows*FanIn x B bits (dense worst case; one copy per lane).
// Rows >= BankRows: the image may hold empty rows.
// InitBitmapFile / InitWeightFile: $readmemh images loaded at time 0 ("" = none; the core names
// them, docs/vectors.md "Preloading memories").
//
// Planted bug (test-suite self-check only): DUALSPIKE_BUG_DENSE_BANK_PIXEL_AT_PACKED_INDEX
// multiplies a lane's weight by the pixel at the weight's packed index instead of its position
// (the two agree until a zero weight precedes the pair in its group).

`include "dualspike_macros.svh"

module dense_bank #(
  parameter int PixelBits    = 8,
  parameter int WeightBits   = 4,
  parameter int GroupWidth   = 8,
  parameter int Lanes        = 2,
  parameter int FanIn        = 9,
  parameter int NumGroups    = 2,   // ceil(FanIn / GroupWidth)
  parameter int Rows         = 1,   // rows of the memory image, ceil(Co / P)
  parameter int BankRows     = 1,   // rows this bank computes, 1 .. Rows
  parameter int MembraneBits = 16,
  parameter int CurrentBits  = 24,
  parameter int CfgAddrBits  = 8,
  parameter int BufBits      = 1,   // width of a current-buffer index (the core's ring of buffers)
  parameter     InitBitmapFile = "",
  parameter     InitWeightFile = ""
) (
  input  logic                                       clk_i,
  input  logic                                       rst_ni,
  // Configuration writes of this bank.
  input  logic                                       bitmap_we_i,
  input  logic                                       weight_we_i,
  input  logic [CfgAddrBits-1:0]                     cfg_addr_i,
  input  logic [31:0]                                cfg_data_i,
  // Window (held by the core from start_i until every bank reports feed_done_next_o).
  input  logic                                       start_i,
  input  logic [BufBits-1:0]                         buf_i,         // current buffer of it
  input  logic [NumGroups*GroupWidth*PixelBits-1:0]  win_pixels_i,
  input  logic [NumGroups*GroupWidth-1:0]            win_nonzero_i,
  output logic                                       feed_done_o,      // all groups accepted
  output logic                                       feed_done_next_o, // ... after this edge
  // Bias: bias_row_o names the row the MAC takes at the next edge; bias_i is that row's bias in
  // the cycle after (the core's bias memory, read registered).
  output logic [((Rows > 1) ? $clog2(Rows) : 1)-1:0] bias_row_o,
  input  logic [MembraneBits-1:0]                    bias_i,
  // Finished currents.
  output logic                                       wr_valid_o,
  output logic [((Rows > 1) ? $clog2(Rows) : 1)-1:0] wr_row_o,
  output logic [BufBits-1:0]                         wr_buf_o,
  output logic [CurrentBits-1:0]                     wr_current_o,
  output logic                                       pix_done_o  // last row of the pixel
);

  localparam int PosBits     = (GroupWidth > 1) ? $clog2(GroupWidth) : 1;
  localparam int CountBits   = $clog2(GroupWidth + 1);
  localparam int RowBits     = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int GroupBits   = (NumGroups > 1) ? $clog2(NumGroups) : 1;
  localparam int BitmapDepth = Rows * NumGroups;
  localparam int WeightDepth = Rows * FanIn;
  localparam int BmAddrBits  = (BitmapDepth > 1) ? $clog2(BitmapDepth) : 1;
  localparam int WAddrBits   = (WeightDepth > 1) ? $clog2(WeightDepth) : 1;
  // Running popcount, 0 .. WeightDepth; at least PosBits + 1 >= CountBits so that a group's count
  // and a packed index extend into it.
  localparam int BaseBits    = ($clog2(WeightDepth + 1) > PosBits + 1) ? $clog2(WeightDepth + 1)
                                                                       : PosBits + 1;
  localparam int GroupPix    = GroupWidth * PixelBits;
  // Product of an unsigned A-bit pixel and a signed B-bit weight: exact in A + B + 1 signed bits.
  localparam int ProdBits    = PixelBits + WeightBits + 1;
  localparam int MacBits     = (CurrentBits > ProdBits) ? CurrentBits : ProdBits;

  localparam logic [GroupBits-1:0] GroupLast = GroupBits'(NumGroups - 1);
  localparam logic [RowBits-1:0]   RowLast   = RowBits'(BankRows - 1);

  // ---------------------------------------------------------------------------------------------
  // Memories
  // ---------------------------------------------------------------------------------------------
  // The bitmap (read by the feeder a cycle ahead, below) and the packed weights (one copy per
  // lane, read by the address stage) are sdp_ram memories: no reset, a registered read, one
  // configuration write port, so synthesis maps them to block RAM or LUT RAM (docs/synthesis.md).
  logic bitmap_we, weight_we;
  assign bitmap_we = bitmap_we_i && int'(cfg_addr_i) < BitmapDepth;
  assign weight_we = weight_we_i && int'(cfg_addr_i) < WeightDepth;

  // ---------------------------------------------------------------------------------------------
  // Feeder: walks the groups of the bank's rows for the current window
  // ---------------------------------------------------------------------------------------------
  logic [BmAddrBits-1:0] fr_addr_d, fr_addr_q;   // r*NG + g
  logic [GroupBits-1:0]  fr_grp_d, fr_grp_q;     // g
  logic [RowBits-1:0]    fr_row_d, fr_row_q;     // r
  logic [BaseBits-1:0]   fr_base_d, fr_base_q;   // packed address of the group's first weight
  logic                  feed_done_d, feed_done_q;

  logic [GroupWidth-1:0] wbitmap;
  logic [GroupWidth-1:0] pbitmap;
  logic [CountBits-1:0]  wcount;
  logic                  det_in_valid, det_in_ready, accept;
  logic                  grp_end, feed_last;

  // The feeder's next address is read at the edge that loads it, so the word of fr_addr_q is
  // registered in the memory whenever the detector looks at it (as a combinational read did,
  // and with no cycle added). A configuration write shows here two edges after it instead of
  // one: the first window is taken at least two edges after the frame's first beat, which may
  // follow the last write in the next cycle (docs/cores.md section 3).
  sdp_ram #(
    .Width    (GroupWidth),
    .Depth    (BitmapDepth),
    .InitFile (InitBitmapFile),
    .CollisionFree (1'b1)  // configuration memory: written while idle
  ) u_bitmap_mem (
    .clk_i,
    .we_i    (bitmap_we),
    .waddr_i (cfg_addr_i[BmAddrBits-1:0]),
    .wdata_i (cfg_data_i[GroupWidth-1:0]),
    .re_i    (1'b1),
    .raddr_i (fr_addr_d),
    .rdata_o (wbitmap)
  );
  assign pbitmap = win_nonzero_i[fr_grp_q * GroupWidth +: GroupWidth];

  assign det_in_valid     = ~feed_done_q;
  assign accept           = det_in_valid & det_in_ready;
  assign grp_end          = fr_grp_q == GroupLast;
  assign feed_last        = grp_end & (fr_row_q == RowLast);
  assign feed_done_o      = feed_done_q;
  assign feed_done_next_o = feed_done_q | (accept & feed_last);

  `DUALSPIKE_ALWAYS_COMB begin : p_feed
    fr_addr_d   = fr_addr_q;
    fr_grp_d    = fr_grp_q;
    fr_row_d    = fr_row_q;
    fr_base_d   = fr_base_q;
    feed_done_d = feed_done_q;
    if (accept) begin
      fr_addr_d = fr_addr_q + BmAddrBits'(1);
      fr_base_d = fr_base_q + BaseBits'(wcount);
      if (grp_end) begin
        fr_grp_d = '0;
        fr_row_d = fr_row_q + RowBits'(1);
      end else begin
        fr_grp_d = fr_grp_q + GroupBits'(1);
      end
      if (feed_last) begin
        feed_done_d = 1'b1;
      end
    end
    if (start_i) begin
      fr_addr_d   = '0;
      fr_grp_d    = '0;
      fr_row_d    = '0;
      fr_base_d   = '0;
      feed_done_d = 1'b0;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Group held by the detector: latched on acceptance
  // ---------------------------------------------------------------------------------------------
  logic [GroupPix-1:0]  grp_pix_d, grp_pix_q;
  logic [BaseBits-1:0]  grp_base_d, grp_base_q;
  logic [RowBits-1:0]   grp_row_d, grp_row_q;
  logic                 grp_first_d, grp_first_q;      // g == 0
  logic                 grp_rowlast_d, grp_rowlast_q;  // g == NG-1
  logic                 grp_pixlast_d, grp_pixlast_q;  // last group of the pass
  logic [BufBits-1:0]   grp_buf_d, grp_buf_q;
  logic                 beat_first_d, beat_first_q;    // next beat is the group's first

  logic                                      det_out_valid;
  logic [Lanes-1:0]                          det_lane_valid;
  logic [Lanes*PosBits-1:0]                  det_pos;
  logic [Lanes*PosBits-1:0]                  det_idx;
  logic                                      det_last;

  `DUALSPIKE_ALWAYS_COMB begin : p_group
    grp_pix_d     = grp_pix_q;
    grp_base_d    = grp_base_q;
    grp_row_d     = grp_row_q;
    grp_first_d   = grp_first_q;
    grp_rowlast_d = grp_rowlast_q;
    grp_pixlast_d = grp_pixlast_q;
    grp_buf_d     = grp_buf_q;
    beat_first_d  = beat_first_q & ~det_out_valid;
    if (accept) begin
      grp_pix_d     = win_pixels_i[fr_grp_q * GroupPix +: GroupPix];
      grp_base_d    = fr_base_q;
      grp_row_d     = fr_row_q;
      grp_first_d   = fr_grp_q == '0;
      grp_rowlast_d = grp_end;
      grp_pixlast_d = feed_last;
      grp_buf_d     = buf_i;
      beat_first_d  = 1'b1;
    end
  end

  sparsity_detector #(
    .GroupWidth (GroupWidth),
    .Lanes      (Lanes)
  ) u_detector (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .in_valid_i       (det_in_valid),
    .in_ready_o       (det_in_ready),
    .wbitmap_i        (wbitmap),
    .sbitmap_i        (pbitmap),
    .eff_sums_i       ('0),  // PreLevels = 0: the detector sums the bits
    .weight_sums_i    ('0),
    .out_valid_o      (det_out_valid),
    .out_ready_i      (1'b1),
    .out_lane_valid_o (det_lane_valid),
    .out_pos_o        (det_pos),
    .out_idx_o        (det_idx),
    .out_last_o       (det_last),
    .weight_count_o   (wcount)
  );

  // ---------------------------------------------------------------------------------------------
  // Address stage: every lane's weight address and pixel, registered; then the beat: weight and
  // pixel of every lane, registered for the MAC
  // ---------------------------------------------------------------------------------------------
  logic                                 ast_valid_q;
  logic [Lanes-1:0]                     ast_lane_q;
  logic [Lanes-1:0][WAddrBits-1:0]      ast_waddr_q;
  logic [Lanes-1:0][PixelBits-1:0]      ast_px_q;
  logic                                 ast_first_q, ast_rowend_q, ast_pixend_q;
  logic [RowBits-1:0]                   ast_row_q;
  logic [BufBits-1:0]                   ast_buf_q;
  logic [Lanes-1:0][WAddrBits-1:0]      ast_waddr_d;
  logic [Lanes-1:0][PixelBits-1:0]      ast_px_d;
  logic                                 mac_valid_d, mac_valid_q;
  logic [Lanes-1:0]                     mac_lane_d, mac_lane_q;
  logic [Lanes-1:0][WeightBits-1:0]     mac_w_q;            // read from the lanes' memories
  logic [Lanes-1:0][PixelBits-1:0]      mac_px_d, mac_px_q;
  logic                                 mac_first_d, mac_first_q;   // first beat of a row
  logic                                 mac_rowend_d, mac_rowend_q; // last beat of a row
  logic                                 mac_pixend_d, mac_pixend_q; // last beat of the pass
  logic [RowBits-1:0]                   mac_row_d, mac_row_q;
  logic [BufBits-1:0]                   mac_buf_d, mac_buf_q;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [PosBits-1:0]  pos;
    logic [PosBits-1:0]  idx;
    logic [WAddrBits-1:0] waddr;
    assign pos      = det_pos[l * PosBits +: PosBits];
    assign idx      = det_idx[l * PosBits +: PosBits];
    // base + idx < WeightDepth for a valid lane (WeightInRange_A); the cast drops carry bits.
    assign waddr          = WAddrBits'(grp_base_q + BaseBits'(idx));
    assign ast_waddr_d[l] = waddr;
`ifdef DUALSPIKE_BUG_DENSE_BANK_PIXEL_AT_PACKED_INDEX
    // PLANTED BUG: the lane's pixel at the weight's packed index instead of its position.
    assign ast_px_d[l]    = det_lane_valid[l] ? grp_pix_q[idx * PixelBits +: PixelBits] : '0;
`else
    assign ast_px_d[l]    = det_lane_valid[l] ? grp_pix_q[pos * PixelBits +: PixelBits] : '0;
`endif
    // The lane's weight is read from its copy at the address stage's address, registered in
    // the memory (the MAC's weight register of a combinational read, at the same edge); the
    // MAC masks an invalid lane's word (prod_ext).
    sdp_ram #(
      .Width    (WeightBits),
      .Depth    (WeightDepth),
      .InitFile (InitWeightFile),
      .CollisionFree (1'b1)  // configuration memory: written while idle
    ) u_weight_mem (
      .clk_i,
      .we_i    (weight_we),
      .waddr_i (cfg_addr_i[WAddrBits-1:0]),
      .wdata_i (cfg_data_i[WeightBits-1:0]),
      .re_i    (1'b1),
      .raddr_i (ast_waddr_q[l]),
      .rdata_o (mac_w_q[l])
    );
  end

  assign mac_px_d     = ast_px_q;
  assign mac_valid_d  = ast_valid_q;
  assign mac_lane_d   = ast_lane_q;
  assign mac_first_d  = ast_first_q;
  assign mac_rowend_d = ast_rowend_q;
  assign mac_pixend_d = ast_pixend_q;
  assign mac_row_d    = ast_row_q;
  assign mac_buf_d    = ast_buf_q;

  // ---------------------------------------------------------------------------------------------
  // MAC
  // ---------------------------------------------------------------------------------------------
  logic [Lanes-1:0][MacBits-1:0] prod_ext;  // lane products, sign-extended
  logic [MacBits-1:0]            lane_sum;
  logic [MacBits-1:0]            bias_ext;
  logic [MacBits-1:0]            acc_sum;
  logic [MacBits-1:0]            acc_d, acc_q;

  // A lane's product as the sum of the pixel shifted by the weight's bits (the sign bit's term
  // subtracted), modulo 2^ProdBits, where |px * w| <= (2^A - 1) * 2^(B-1) is exact. Not a `*`:
  // synthesis maps that to a DSP multiplier (MULT18X18D on ECP5), and the route to the DSP
  // column and back into the lane sum was the digits network's critical path (58.5 MHz,
  // docs/synthesis.md); a few-bit pixel and weight take a few LUT adders beside the lane sum.
  function automatic logic [ProdBits-1:0] product(input logic [PixelBits-1:0]  px,
                                                  input logic [WeightBits-1:0] w);
    logic [ProdBits-1:0] sum;
    sum = '0;
    for (int b = 0; b < WeightBits - 1; b++) begin
      sum = sum + (w[b] ? ProdBits'(px) << b : '0);
    end
    return sum - (w[WeightBits-1] ? ProdBits'(px) << (WeightBits - 1) : '0);
  endfunction

  for (genvar l = 0; l < Lanes; l++) begin : g_mul
    logic [ProdBits-1:0] prod;
    assign prod = product(mac_px_q[l], mac_w_q[l]);
    if (MacBits > ProdBits) begin : g_ext
      assign prod_ext[l] = mac_lane_q[l] ? {{(MacBits - ProdBits){prod[ProdBits-1]}}, prod} : '0;
    end else begin : g_same
      assign prod_ext[l] = mac_lane_q[l] ? prod : '0;
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_lane_sum
    lane_sum = '0;
    for (int l = 0; l < Lanes; l++) begin
      lane_sum = lane_sum + prod_ext[l];
    end
  end

  assign bias_ext = {{(MacBits - MembraneBits){bias_i[MembraneBits-1]}}, bias_i};
  assign acc_sum  = (mac_first_q ? bias_ext : acc_q) + lane_sum;
  assign acc_d    = mac_valid_q ? acc_sum : acc_q;

  assign bias_row_o   = mac_row_d;  // the bias memory registers the row's word with mac_row_q

  // Write stage (the row's sum, its row and buffer have no reset: read only under wr_valid_q).
  logic                   wr_valid_q, pix_done_q;
  logic [RowBits-1:0]     wr_row_q;
  logic [BufBits-1:0]     wr_buf_q;
  logic [CurrentBits-1:0] wr_current_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_write_flags
    if (!rst_ni) begin
      wr_valid_q <= 1'b0;
      pix_done_q <= 1'b0;
    end else begin
      wr_valid_q <= mac_valid_q & mac_rowend_q;
      pix_done_q <= mac_valid_q & mac_pixend_q;
    end
  end
  always_ff @(posedge clk_i) begin : p_write_data
    wr_row_q     <= mac_row_q;
    wr_buf_q     <= mac_buf_q;
    wr_current_q <= acc_sum[CurrentBits-1:0];  // exact: |I| < 2^(CurrentBits-1)
  end
  assign wr_valid_o   = wr_valid_q;
  assign wr_row_o     = wr_row_q;
  assign wr_buf_o     = wr_buf_q;
  assign wr_current_o = wr_current_q;
  assign pix_done_o   = pix_done_q;

  // ---------------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      fr_addr_q     <= '0;
      fr_grp_q      <= '0;
      fr_row_q      <= '0;
      fr_base_q     <= '0;
      feed_done_q   <= 1'b1;  // nothing to feed before the first window
      grp_pix_q     <= '0;
      grp_base_q    <= '0;
      grp_row_q     <= '0;
      grp_first_q   <= 1'b0;
      grp_rowlast_q <= 1'b0;
      grp_pixlast_q <= 1'b0;
      grp_buf_q     <= '0;
      beat_first_q  <= 1'b0;
      ast_valid_q   <= 1'b0;
      ast_lane_q    <= '0;
      ast_waddr_q   <= '0;
      ast_px_q      <= '0;
      ast_first_q   <= 1'b0;
      ast_rowend_q  <= 1'b0;
      ast_pixend_q  <= 1'b0;
      ast_row_q     <= '0;
      ast_buf_q     <= '0;
      mac_valid_q   <= 1'b0;
      mac_lane_q    <= '0;
      mac_px_q      <= '0;
      mac_first_q   <= 1'b0;
      mac_rowend_q  <= 1'b0;
      mac_pixend_q  <= 1'b0;
      mac_row_q     <= '0;
      mac_buf_q     <= '0;
      acc_q         <= '0;
    end else begin
      fr_addr_q     <= fr_addr_d;
      fr_grp_q      <= fr_grp_d;
      fr_row_q      <= fr_row_d;
      fr_base_q     <= fr_base_d;
      feed_done_q   <= feed_done_d;
      grp_pix_q     <= grp_pix_d;
      grp_base_q    <= grp_base_d;
      grp_row_q     <= grp_row_d;
      grp_first_q   <= grp_first_d;
      grp_rowlast_q <= grp_rowlast_d;
      grp_pixlast_q <= grp_pixlast_d;
      grp_buf_q     <= grp_buf_d;
      beat_first_q  <= beat_first_d;
      ast_valid_q   <= det_out_valid;
      ast_lane_q    <= det_lane_valid;
      ast_waddr_q   <= ast_waddr_d;
      ast_px_q      <= ast_px_d;
      ast_first_q   <= beat_first_q & grp_first_q;
      ast_rowend_q  <= det_last & grp_rowlast_q;
      ast_pixend_q  <= det_last & grp_pixlast_q;
      ast_row_q     <= grp_row_q;
      ast_buf_q     <= grp_buf_q;
      mac_valid_q   <= mac_valid_d;
      mac_lane_q    <= mac_lane_d;
      mac_px_q      <= mac_px_d;
      mac_first_q   <= mac_first_d;
      mac_rowend_q  <= mac_rowend_d;
      mac_pixend_q  <= mac_pixend_d;
      mac_row_q     <= mac_row_d;
      mac_buf_q     <= mac_buf_d;
      acc_q         <= acc_d;
    end
  end

  // Only the low G / B bits of a configuration word are used.
  logic unused_cfg_data;
  assign unused_cfg_data = ^cfg_data_i;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (BankRows < 1 || BankRows > Rows) begin : g_bad_rows
    $error("dense_bank: BankRows must be in 1..Rows, got %0d (Rows %0d)", BankRows, Rows);
  end
  if (NumGroups * GroupWidth < FanIn) begin : g_bad_groups
    $error("dense_bank: NumGroups * GroupWidth must cover FanIn");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  `DUALSPIKE_SVA_ARMED

  always @(posedge clk_i) begin : p_sva
    if (sva_armed_q) begin
      // StartWhenFed_A: a new window only replaces one that every group has been taken from.
      if (start_i) begin
        assert (feed_done_next_o) else $error("StartWhenFed_A: window replaced mid-pass");
      end
      // WeightInRange_A: a valid lane addresses a weight inside the image.
      for (int l = 0; l < Lanes; l++) begin
        if (det_out_valid && det_lane_valid[l]) begin
          assert (int'(grp_base_q) + int'(det_idx[l * PosBits +: PosBits]) < WeightDepth)
            else $error("WeightInRange_A: lane %0d addresses weight %0d", l,
                        int'(grp_base_q) + int'(det_idx[l * PosBits +: PosBits]));
        end
      end
    end
  end
`endif

endmodule
