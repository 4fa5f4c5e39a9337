// Copyright dualspike contributors.
//
// linear_bank: bank p of the sparse linear core: its bitmap and packed-weight memories, group
// stage, dual-side detector, running base, weight stage and accumulator. The core's issue
// control walks (t, r, g) and moves every bank in lockstep (one group into all P detectors at
// once); a bank computes the rows r*P + p.
//
// Equation (SPEC sections 2 and 3): for the row of the sum stage,
//   row_sum_o = bias_i + sum over the row's groups g, effectual pairs (q, idx) of
//               (wbitmap_g, sbitmap_g) of packed[base_g + idx]
// where packed holds the bank's non-zero weights in (r, g, position) order and base_g is the
// running popcount of the bitmaps walked before group g in this pass (docs/cores.md section 2).
// Golden: golden.sparsity.bitmap_current.
//
// Schedule (the core's, docs/sparse_linear_core.md):
//   bitmap read  registered: the word of iss_word_i, or with read_step_i that of step_word_i
//                (two copies of the bitmaps, one per read address: as one array Yosys shares a
//                read port between the two reads and puts the stage load on the LUT RAM's
//                address, the events network's critical path);
//   group stage  loaded with stage_free_i: the weight bitmap, its effectual bits (none for a
//                token_i) and the first PreLevels levels of both prefix sums;
//   detector     takes the stage's group with accept_i; beats leave while row_ready_i;
//   address      per lane: the group base and the packed index, registered apart and added on
//                the way into the weight memory's address register;
//   weight, sum  the word read, registered (0 for an invalid lane), summed over the lanes and
//                added into the accumulator; row_end_i (the sum stage's beat ends its row):
//                row_sum_o is the row's current and the accumulator restarts.
// Every stage from the detector's output on moves only with row_ready_i.
// The group's base is the held group's base plus its registered popcount, added when the next
// group is accepted (in the cycle of its own acceptance the bitmap read, the popcount and the
// base adder were one path: the linear core's critical path, docs/synthesis.md); pass_end_i
// (the accepted group ends its timestep's pass) restarts it at 0.
//
// Memories (written by the core's configuration port, never reset): bitmap BitmapDepth x G
// bits (both copies), weight WeightDepth x B bits per lane (each lane reads its own copy).
// InitBitmapFile / InitWeightFile: $readmemh images loaded at time 0 ("" = none; the core names
// them, docs/vectors.md "Preloading memories").
//
// Planted bug (test-suite self-check only): DUALSPIKE_BUG_LINEAR_BANK_BASE_COUNTS_PAIRS steps
// the running base over a group's effectual pairs instead of its non-zero weights (the two
// agree until a weight meets no spike in a group before the pass's last).

`include "dualspike_macros.svh"

module linear_bank #(
  parameter int GroupWidth   = 8,
  parameter int Lanes        = 2,
  parameter int PreLevels    = 0,    // prefix-sum levels done in the group stage
  parameter int WeightBits   = 4,
  parameter int CurrentBits  = 16,
  parameter int BitmapDepth  = 2,    // R * NG
  parameter int WeightDepth  = 16,   // R * F (dense worst case)
  parameter int CfgAddrBits  = 8,
  parameter     InitBitmapFile = "",
  parameter     InitWeightFile = ""
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  // Configuration writes of this bank.
  input  logic                   bitmap_we_i,
  input  logic                   weight_we_i,
  input  logic [CfgAddrBits-1:0] cfg_addr_i,
  input  logic [31:0]            cfg_data_i,
  // Bitmap read: the issue position's word, or the step position's after a stage load.
  input  logic [((BitmapDepth > 1) ? $clog2(BitmapDepth) : 1)-1:0] iss_word_i,
  input  logic [((BitmapDepth > 1) ? $clog2(BitmapDepth) : 1)-1:0] step_word_i,
  input  logic                   read_step_i,
  // Group stage.
  input  logic                   stage_free_i,  // the stage takes the read group
  input  logic [GroupWidth-1:0]  sbitmap_i,     // its spike bits
  input  logic                   token_i,       // ... a replay token: no effectual pair
  // Detector.
  input  logic                   accept_i,      // the stage's group enters the detector
  input  logic                   pass_end_i,    // ... and ends its pass
  output logic                   det_ready_o,
  // Beats, row sums.
  input  logic                   row_ready_i,   // the stages move
  input  logic                   row_end_i,     // the sum stage's beat is its row's last
  input  logic [CurrentBits-1:0] bias_i,        // bias of the sum stage's row
  output logic [CurrentBits-1:0] row_sum_o
);

  localparam int CB        = CurrentBits;
  localparam int BAddrBits = (BitmapDepth > 1) ? $clog2(BitmapDepth) : 1;
  localparam int PosBits   = (GroupWidth > 1) ? $clog2(GroupWidth) : 1;
  localparam int WAddrBits = (WeightDepth > 1) ? $clog2(WeightDepth) : 1;
  localparam int BaseBits  = $clog2(WeightDepth + 1);                     // 0..R*F
  localparam int CountBits = $clog2(GroupWidth + 1);

  logic [GroupWidth-1:0]             bitmap_iss_mem [BitmapDepth];
  logic [GroupWidth-1:0]             bitmap_step_mem [BitmapDepth];
  logic [GroupWidth-1:0]             wbitmap_q;      // weight bitmap of the read position
  logic [GroupWidth-1:0]             stg_wbitmap_q;  // group stage: the weight bitmap
  logic [GroupWidth-1:0]             stg_eff_q;      // ... and its effectual bits
  // ... and the first PreLevels levels of the prefix sums of both (sparsity_detector)
  logic [GroupWidth*CountBits-1:0]   eff_sums, weight_sums;
  logic [GroupWidth*CountBits-1:0]   stg_eff_sums_q, stg_weight_sums_q;
  logic [CountBits-1:0]              wcount;         // its popcount
  logic [CountBits-1:0]              grp_count_q;    // popcount of the held group's bitmap
  logic                              grp_pass_end_q; // the held group ends its pass
  logic [BaseBits-1:0]               grp_base_d, grp_base_q;  // base of the held group
  logic                              out_valid, out_last;
  logic [Lanes-1:0]                  lane_valid;
  logic [Lanes*PosBits-1:0]          lane_pos, lane_idx;
  logic [Lanes-1:0]                  ast_lane_ok_q;  // address stage: lane l carries a pair
  logic [Lanes-1:0]                  wst_lane_ok_q;  // weight stage: lane l carries a weight
  logic [Lanes-1:0][CB-1:0]          lane_weight;    // ... sign-extended, or 0
  logic [Lanes:0][CB-1:0]            lane_partial;
  logic [CB-1:0]                     beat_sum;       // sum of the sum-stage beat's weights
  logic [CB-1:0]                     acc_d, acc_q;   // sum of the row's earlier beats

  initial begin : p_mem_init
    if (InitBitmapFile != "") begin
      $readmemh(InitBitmapFile, bitmap_iss_mem, 0, BitmapDepth - 1);
      $readmemh(InitBitmapFile, bitmap_step_mem, 0, BitmapDepth - 1);
    end
  end

  always_ff @(posedge clk_i) begin : p_bitmap_mem
    if (bitmap_we_i && (int'(cfg_addr_i) < BitmapDepth)) begin
      bitmap_iss_mem[BAddrBits'(cfg_addr_i)]  <= cfg_data_i[GroupWidth-1:0];
      bitmap_step_mem[BAddrBits'(cfg_addr_i)] <= cfg_data_i[GroupWidth-1:0];
    end
  end

  // Registered: the word of the issue position, or after a stage load that of the step
  // position (both read from registers; the stage load only picks one). A configuration
  // write shows here a cycle later: the load ends before the first input beat, at least
  // AVAIL_LATENCY cycles before the first stage load (golden.cycles.sparse_linear).
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_wbitmap
    if (!rst_ni) begin
      wbitmap_q <= '0;
    end else begin
      wbitmap_q <= read_step_i ? bitmap_step_mem[step_word_i] : bitmap_iss_mem[iss_word_i];
    end
  end

  // The group stage. The detector takes (wbitmap, e): its effectual bits wbitmap & e are e.
  // The first levels of its prefix sums are done here, a cycle before the detector takes the
  // group, so that neither the stage's nor the detector's acceptance path holds the whole
  // tree (the detector's acceptance was the linear core's critical path, docs/synthesis.md).
  if (PreLevels > 0) begin : g_pre_sums
    logic [GroupWidth*CountBits-1:0] eff_bits, weight_bits;  // one bit per position, widened
    logic [GroupWidth*CountBits-1:0] unused_eff_before, unused_weight_before;
    logic [CountBits-1:0]            unused_eff_total, unused_weight_total;
    for (genvar q = 0; q < GroupWidth; q++) begin : g_widen
      assign eff_bits[q*CountBits +: CountBits]    = CountBits'(wbitmap_q[q] & sbitmap_i[q]);
      assign weight_bits[q*CountBits +: CountBits] = CountBits'(wbitmap_q[q]);
    end
    prefix_sum #(
      .Count   (GroupWidth),
      .Width   (CountBits),
      .ToLevel (PreLevels)
    ) u_eff_sums (
      .values_i    (eff_bits),
      .inclusive_o (eff_sums),
      .before_o    (unused_eff_before),
      .total_o     (unused_eff_total)
    );
    prefix_sum #(
      .Count   (GroupWidth),
      .Width   (CountBits),
      .ToLevel (PreLevels)
    ) u_weight_sums (
      .values_i    (weight_bits),
      .inclusive_o (weight_sums),
      .before_o    (unused_weight_before),
      .total_o     (unused_weight_total)
    );
  end else begin : g_no_pre_sums
    assign eff_sums    = '0;
    assign weight_sums = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_group_stage
    if (!rst_ni) begin
      stg_wbitmap_q     <= '0;
      stg_eff_q         <= '0;
      stg_eff_sums_q    <= '0;
      stg_weight_sums_q <= '0;
    end else if (stage_free_i) begin
      // A token has no effectual pair (whatever the read register holds): one beat.
      stg_wbitmap_q     <= wbitmap_q;
      stg_eff_q         <= token_i ? '0 : wbitmap_q & sbitmap_i;
      stg_eff_sums_q    <= token_i ? '0 : eff_sums;
      stg_weight_sums_q <= weight_sums;
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_base
    grp_base_d = grp_base_q;
    if (accept_i) begin
      grp_base_d = grp_pass_end_q ? '0 : grp_base_q + BaseBits'(grp_count_q);
    end
  end

  sparsity_detector #(
    .GroupWidth (GroupWidth),
    .Lanes      (Lanes),
    .PreLevels  (PreLevels)
  ) u_detector (
    .clk_i,
    .rst_ni,
    .in_valid_i       (accept_i),
    .in_ready_o       (det_ready_o),
    .wbitmap_i        (stg_wbitmap_q),
    .sbitmap_i        (stg_eff_q),
    .eff_sums_i       (stg_eff_sums_q),
    .weight_sums_i    (stg_weight_sums_q),
    .out_valid_o      (out_valid),
    .out_ready_i      (row_ready_i),
    .out_lane_valid_o (lane_valid),
    .out_pos_o        (lane_pos),
    .out_idx_o        (lane_idx),
    .out_last_o       (out_last),
    .weight_count_o   (wcount)
  );

  // Packed weight of each lane: its address (the group's base and the lane's packed index)
  // registered at the edge the beat fires, the word read at the next (the detector holds the
  // beat, the address stage its address and the memory its read word while row_ready_i is
  // low), registered at the next (invalid lanes read an unused word and register 0) and
  // summed in the sum stage (sign-extended). The base and the index are registered apart and
  // added on the way into the memory's address register: as one sum registered, the
  // detector's lane select and the adder were one path (the events network's critical path,
  // docs/synthesis.md).
  logic [BaseBits-1:0] ast_base_q;  // address stage: the beat's group base
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_ast_base
    if (!rst_ni) begin
      ast_base_q <= '0;
    end else if (row_ready_i) begin
      ast_base_q <= grp_base_q;
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [PosBits-1:0]    ast_idx_q;  // address stage: the lane's packed index
    logic [WAddrBits-1:0]  ast_addr;
    logic [WeightBits-1:0] weight_rd;
    logic [WeightBits-1:0] sst_weight_q;  // sum stage: the lane's weight, or 0
    assign ast_addr = WAddrBits'(ast_base_q + BaseBits'(ast_idx_q));
    sdp_ram #(
      .Width    (WeightBits),
      .Depth    (WeightDepth),
      .InitFile (InitWeightFile),
      .CollisionFree (1'b1)  // configuration memory: written while idle
    ) u_weight_mem (
      .clk_i,
      .we_i    (weight_we_i && (int'(cfg_addr_i) < WeightDepth)),
      .waddr_i (WAddrBits'(cfg_addr_i)),
      .wdata_i (cfg_data_i[WeightBits-1:0]),
      .re_i    (row_ready_i),
      .raddr_i (ast_addr),
      .rdata_o (weight_rd)
    );
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_lane_reg
      if (!rst_ni) begin
        ast_idx_q        <= '0;
        ast_lane_ok_q[l] <= 1'b0;
        wst_lane_ok_q[l] <= 1'b0;
        sst_weight_q     <= '0;
      end else if (row_ready_i) begin
        ast_idx_q        <= lane_idx[l*PosBits +: PosBits];
        ast_lane_ok_q[l] <= out_valid & lane_valid[l];
        wst_lane_ok_q[l] <= ast_lane_ok_q[l];
        sst_weight_q     <= wst_lane_ok_q[l] ? weight_rd : '0;
      end
    end
    assign lane_weight[l] = {{(CB - WeightBits){sst_weight_q[WeightBits-1]}}, sst_weight_q};
  end

  // Sum of the lanes as a chain of continuous assigns (a netlist costs Icarus less than a
  // process).
  assign lane_partial[0] = '0;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane_sum
    assign lane_partial[l + 1] = lane_partial[l] + lane_weight[l];
  end
  assign beat_sum = lane_partial[Lanes];

  // The sum-stage beat adds into the accumulator when the stage moves; a row's last beat
  // goes to the row register with the bias instead, and the accumulator restarts.
  `DUALSPIKE_ALWAYS_COMB begin : p_acc
    acc_d = acc_q;
    if (row_ready_i) begin
      acc_d = row_end_i ? '0 : acc_q + beat_sum;
    end
  end

  assign row_sum_o = bias_i + acc_q + beat_sum;

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_bank_reg
    if (!rst_ni) begin
      grp_count_q    <= '0;
      grp_pass_end_q <= 1'b1;
      grp_base_q     <= '0;
      acc_q          <= '0;
    end else begin
      if (accept_i) begin
`ifdef DUALSPIKE_BUG_LINEAR_BANK_BASE_COUNTS_PAIRS
        // PLANTED BUG: the base steps over the group's effectual pairs, not its weights.
        grp_count_q    <= CountBits'($countones(stg_eff_q));
`else
        grp_count_q    <= wcount;
`endif
        grp_pass_end_q <= pass_end_i;
      end
      grp_base_q <= grp_base_d;
      acc_q      <= acc_d;
    end
  end

  // Only position bits are needed (the packed index addresses the weight); only the low G / B
  // bits of a configuration word are written.
  logic unused_bank;
  assign unused_bank = ^{lane_pos, out_last, cfg_data_i};

endmodule
