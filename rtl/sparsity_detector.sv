// Copyright dualspike contributors.
//
// sparsity_detector: the dual-side sparsity detector of one group (SPEC section 3).
//
// Accepts a group (a G-bit weight bitmap and a G-bit spike bitmap) and emits its effectual pairs
// in increasing position order, up to L per beat, until the group is exhausted.
//   effectual bitmap: e = wbitmap & sbitmap
//   pair at position p (e[p] = 1): pos = p, packed index idx = popcount(wbitmap & ((1 << p) - 1))
//   beats: the pairs in order, L per beat; all beats full except possibly the last; the last beat
//          has out_last_o = 1. A group with no effectual pair gives exactly one beat with
//          out_lane_valid_o = 0 and out_last_o = 1.
// Golden: golden.sparsity.detector_beats.
//
// Example (G = 8, L = 2): wbitmap = 8'b1011_0110, sbitmap = 8'b1110_0101
//   e = 8'b1010_0100 -> pairs (pos, idx) = (2, 1), (5, 3), (7, 4)
//   beat 0: lane_valid = 2'b11, lane 0 = (2, 1), lane 1 = (5, 3), last = 0
//   beat 1: lane_valid = 2'b01, lane 0 = (7, 4), lane 1 = (0, 0), last = 1
//
// Output encoding: out_lane_valid_o is a thermometer (lanes 0..n-1 hold pairs, lane 0 the lowest
// position). Lanes that do not hold a pair drive 0 on pos and idx. While out_valid_o = 0 the data
// outputs are 0 (lane_valid, pos, idx and last).
//
// Parameters:
//   GroupWidth  G >= 1, any value (powers of two or not).
//   Lanes       L >= 1, pairs per beat.
//   PosBits     = (G > 1) ? $clog2(G) : 1, width of a position and of a packed index (derived;
//               the ports use the expression because Icarus 11 has no localparam in port lists).
//   PreLevels   0: the detector sums the bits of the group itself (eff_sums_i and weight_sums_i
//               are not used). m > 0: the caller has done the first m levels of the prefix sums
//               (rtl/prefix_sum.sv, ToLevel = m) and registered them with the group: eff_sums_i
//               (weight_sums_i) holds, per position, the inclusive sum of the bits of
//               wbitmap_i & sbitmap_i (wbitmap_i) of its aligned block of 2^m positions up to it,
//               CountBits = $clog2(G + 1) bits each; the detector does the other levels at
//               acceptance, so its acceptance path holds part of the tree (docs/synthesis.md).
//
// weight_count_o is popcount(wbitmap_i) of the input group (combinational, whether or not it is
// accepted): a core advances its packed-weight base by it, and the index prefix sum has it.
//
// Latency: 1 cycle from acceptance (in_valid_i && in_ready_o) to the first beat (the group is
// registered). Throughput: one beat per cycle; a group takes max(1, ceil(pairs / L)) beats, and a
// new group is accepted in the cycle the previous group's last beat is consumed:
//   in_ready_o = !busy || (out_valid_o && out_ready_i && out_last_o)
// so groups with at most L pairs stream at one group per cycle. The only combinational path from
// out_ready_i goes to in_ready_o; out_valid_o and all out_* data come straight from registers
// through the lane-select logic.
//
// Structure: when a group is accepted, two prefix sums (rtl/prefix_sum.sv) give every position
// its rank among the effectual bits and its packed index, and both are registered with e. Beat k
// gives lane l the effectual bit of rank k*L + l: a compare per position and lane, then ORs for
// the position and the index. A register counts the bits left (popcount of e at acceptance,
// minus L per beat), and `last` is that count <= L, itself registered beside the count: the
// handshake waits for no lane select and no compare (timing, docs/synthesis.md). The group
// registers load whenever the detector can take a group (in_ready_o), accepted or not, and the
// lanes are gated by `busy`: only `busy` depends on in_valid_i, which a core computes from an
// AND over its banks, so that AND drives one flip-flop per bank and not every group register
// (timing, docs/synthesis.md).
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_DETECTOR_DROP_HIGHEST masks
// bit G-1 of e, i.e. drops the highest position of every group.

`include "dualspike_macros.svh"

module sparsity_detector #(
  parameter int GroupWidth = 8,
  parameter int Lanes      = 2,
  parameter int PreLevels  = 0
) (
  input  logic                                                    clk_i,
  input  logic                                                    rst_ni,
  // Input stream: one group per transfer.
  input  logic                                                    in_valid_i,
  output logic                                                    in_ready_o,
  input  logic [GroupWidth-1:0]                                   wbitmap_i,
  input  logic [GroupWidth-1:0]                                   sbitmap_i,
  // PreLevels > 0: the first levels of the prefix sums of the group (see above).
  input  logic [GroupWidth*$clog2(GroupWidth + 1)-1:0]            eff_sums_i,
  input  logic [GroupWidth*$clog2(GroupWidth + 1)-1:0]            weight_sums_i,
  // Output stream: one beat of up to Lanes pairs per transfer.
  output logic                                                    out_valid_o,
  input  logic                                                    out_ready_i,
  output logic [Lanes-1:0]                                        out_lane_valid_o,
  output logic [Lanes*((GroupWidth > 1) ? $clog2(GroupWidth) : 1)-1:0] out_pos_o,
  output logic [Lanes*((GroupWidth > 1) ? $clog2(GroupWidth) : 1)-1:0] out_idx_o,
  output logic                                                    out_last_o,
  output logic [$clog2(GroupWidth + 1)-1:0]                       weight_count_o
);

  localparam int PosBits = (GroupWidth > 1) ? $clog2(GroupWidth) : 1;

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  localparam int CountBits = $clog2(GroupWidth + 1);

  logic                  busy_d, busy_q;  // a group is held and its beats are being emitted
  logic [GroupWidth-1:0] eff_d, eff_q;    // effectual bits not yet emitted
  // How many of them: `last` (and so in_ready_o, which a core ANDs over its banks and feeds to
  // its issue logic) comes from this count instead of from the lane-select chain.
  logic [CountBits-1:0]  left_d, left_q;
  logic [CountBits-1:0]  eff_in_count;
  // left_q <= Lanes, registered: `last`, and so in_ready_o, waits for no compare (the AND of
  // in_ready_o over a core's banks was the events network's critical path, docs/synthesis.md).
  logic                  few_d, few_q;

  logic [GroupWidth-1:0] eff_in;          // e of the group on the input
  logic                  out_fire;        // the current beat is consumed
  logic                  accept;          // a group is accepted
  logic                  load;            // the group registers take the input group
  logic                  last;            // this beat is the group's last

`ifdef DUALSPIKE_BUG_DETECTOR_DROP_HIGHEST
  // Bit G-1 of a group (the highest position).
  localparam logic [GroupWidth-1:0] TopBit = GroupWidth'(1) << (GroupWidth - 1);
  assign eff_in = wbitmap_i & sbitmap_i & ~TopBit;  // PLANTED BUG: loses position G-1
`else
  assign eff_in = wbitmap_i & sbitmap_i;
`endif

  // ---------------------------------------------------------------------------------------------
  // Lane selection
  // ---------------------------------------------------------------------------------------------
  if (GroupWidth == 1) begin : g_group_one
    // One position: lane 0 holds the pair (pos 0, idx 0) iff e[0]; the weight bitmap is not
    // needed (the packed index is always 0) and no other lane is ever used.
    assign out_lane_valid_o = Lanes'(eff_q & busy_q);
    assign out_pos_o        = '0;
    assign out_idx_o        = '0;
    assign eff_in_count     = CountBits'(eff_in);
    assign weight_count_o   = CountBits'(wbitmap_i);
    logic unused_sums;  // one position: nothing to sum
    assign unused_sums = ^{eff_sums_i, weight_sums_i};

  end else begin : g_group_many
    // Lane l of beat k takes the effectual bit of rank k*L + l (the rank of a bit is how many
    // effectual bits lie below it). The ranks and the packed indices of every position are
    // prefix sums computed once, when the group is accepted, and registered; a beat only
    // compares ranks with each lane's target and selects that position's index. A chain of L
    // lowest-set-bit finders (one G-bit carry chain each) and a popcount per lane were the
    // longest paths of the dense input and linear cores (docs/synthesis.md).
    localparam int TargetBits = $clog2(GroupWidth + Lanes);  // ranks up to G + L - 2 per beat

    logic [GroupWidth*CountBits-1:0] eff_wide, weight_wide;   // the tree's inputs
    logic [GroupWidth*CountBits-1:0] rank_in, idx_in;          // prefix sums of the input group
    logic [GroupWidth*CountBits-1:0] unused_eff_through, unused_weight_through;
    logic [GroupWidth*PosBits-1:0]   rank_d, rank_q;           // rank of each position (< G)
    logic [GroupWidth*PosBits-1:0]   idx_d, idx_q;             // packed index of each position
    logic [Lanes*TargetBits-1:0]     target_d, target_q;       // rank each lane takes this beat

    if (PreLevels == 0) begin : g_sum_bits
      for (genvar p = 0; p < GroupWidth; p++) begin : g_widen
        assign eff_wide[p*CountBits +: CountBits]    = CountBits'(eff_in[p]);
        assign weight_wide[p*CountBits +: CountBits] = CountBits'(wbitmap_i[p]);
      end
      logic unused_sums;  // the detector sums the bits itself
      assign unused_sums = ^{eff_sums_i, weight_sums_i};
    end else begin : g_sum_blocks
      assign eff_wide    = eff_sums_i;
      assign weight_wide = weight_sums_i;
    end

    prefix_sum #(
      .Count     (GroupWidth),
      .Width     (CountBits),
      .FromLevel (PreLevels)
    ) u_rank (
      .values_i    (eff_wide),
      .inclusive_o (unused_eff_through),
      .before_o    (rank_in),
      .total_o     (eff_in_count)
    );
    prefix_sum #(
      .Count     (GroupWidth),
      .Width     (CountBits),
      .FromLevel (PreLevels)
    ) u_index (
      .values_i    (weight_wide),
      .inclusive_o (unused_weight_through),
      .before_o    (idx_in),
      .total_o     (weight_count_o)
    );

    for (genvar l = 0; l < Lanes; l++) begin : g_lane
      logic [GroupWidth-1:0] hit;  // one-hot: the position of rank target_q[l] (0 if none)
      logic [PosBits-1:0]    pos;
      logic [PosBits-1:0]    idx;

      for (genvar p = 0; p < GroupWidth; p++) begin : g_hit
        if (l < GroupWidth) begin : g_compare
          assign hit[p] = busy_q & eff_q[p] & (TargetBits'(rank_q[p*PosBits +: PosBits])
                                      == target_q[l*TargetBits +: TargetBits]);
        end else begin : g_never
          assign hit[p] = 1'b0;  // a group has at most G pairs
        end
      end

      // One-hot to binary and the index of the hit position: ORs over the positions (both 0
      // for an empty lane).
      `DUALSPIKE_ALWAYS_COMB begin : p_encode
        logic [PosBits-1:0] code, index;
        code  = '0;
        index = '0;
        for (int p = 0; p < GroupWidth; p++) begin
          if (hit[p]) begin
            code  = code | PosBits'(p);
            index = index | idx_q[p*PosBits +: PosBits];
          end
        end
        pos = code;
        idx = index;
      end

      assign out_lane_valid_o[l]             = |hit;
      assign out_pos_o[l*PosBits +: PosBits] = pos;
      assign out_idx_o[l*PosBits +: PosBits] = idx;

      // Beat k's target is k*L + l: l at acceptance, L more after every beat.
      `DUALSPIKE_ALWAYS_COMB begin : p_target
        target_d[l*TargetBits +: TargetBits] = target_q[l*TargetBits +: TargetBits];
        if (out_fire) begin
          target_d[l*TargetBits +: TargetBits] = target_q[l*TargetBits +: TargetBits]
                                                 + TargetBits'(Lanes);
        end
        if (load) begin
          target_d[l*TargetBits +: TargetBits] = TargetBits'(l);
        end
      end
    end

    for (genvar p = 0; p < GroupWidth; p++) begin : g_position
      // Exact: a rank or an index counts bits below a position, so it is at most G - 1.
      assign rank_d[p*PosBits +: PosBits] = load ? PosBits'(rank_in[p*CountBits +: CountBits])
                                                 : rank_q[p*PosBits +: PosBits];
      assign idx_d[p*PosBits +: PosBits]  = load ? PosBits'(idx_in[p*CountBits +: CountBits])
                                                 : idx_q[p*PosBits +: PosBits];
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin : p_position_reg
      if (!rst_ni) begin
        rank_q   <= '0;
        idx_q    <= '0;
        target_q <= '0;
      end else begin
        rank_q   <= rank_d;
        idx_q    <= idx_d;
        target_q <= target_d;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Handshake and next state
  // ---------------------------------------------------------------------------------------------
  assign last        = busy_q & few_q;
  assign out_valid_o = busy_q;
  assign out_last_o  = last;
  assign out_fire    = busy_q & out_ready_i;
  assign in_ready_o  = ~busy_q | (out_fire & last);
  assign accept      = in_valid_i & in_ready_o;
  assign load        = in_ready_o;

  `DUALSPIKE_ALWAYS_COMB begin : p_next
    busy_d = busy_q;
    eff_d  = eff_q;
    left_d = left_q;
    if (out_fire) begin
      busy_d = ~last;
      left_d = CountBits'(int'(left_q) - Lanes);
    end
    // Not busy after this edge unless accepted: what is loaded then is never emitted.
    if (load) begin
      eff_d  = eff_in;
      left_d = eff_in_count;
    end
    if (accept) begin
      busy_d = 1'b1;
    end
    few_d = int'(left_d) <= Lanes;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      busy_q <= 1'b0;
      eff_q  <= '0;
      left_q <= '0;
      few_q  <= 1'b1;
    end else begin
      busy_q <= busy_d;
      eff_q  <= eff_d;
      left_q <= left_d;
      few_q  <= few_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (GroupWidth < 1) begin : g_bad_group_width
    $error("sparsity_detector: GroupWidth must be >= 1, got %0d", GroupWidth);
  end
  if (Lanes < 1) begin : g_bad_lanes
    $error("sparsity_detector: Lanes must be >= 1, got %0d", Lanes);
  end
  if (PreLevels < 0 || (PreLevels > 0 && (GroupWidth < 2 || PreLevels >= $clog2(GroupWidth))))
  begin : g_bad_pre_levels
    $error("sparsity_detector: PreLevels must be 0, or in 1..$clog2(G)-1, got %0d", PreLevels);
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only; immediate asserts on the clock so Icarus accepts them; the name of
  // each is the first word of its message, as Icarus 11 rejects labelled immediate assertions)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  logic sva_armed;  // 1 from the first clock edge after reset

  // OutValidHeld / OutDataStable: a stalled beat stays offered, unchanged (lanes and last).
  stream_stable_checker #(
    .Width (Lanes + 2 * Lanes * PosBits + 1)
  ) u_out_stable (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .valid_i (out_valid_o),
    .ready_i (out_ready_i),
    .data_i  ({out_lane_valid_o, out_pos_o, out_idx_o, out_last_o}),
    .armed_o (sva_armed)
  );

  logic [Lanes-1:0] lanes_by_count;  // lane l holds a pair iff more than l bits are left
  for (genvar l = 0; l < Lanes; l++) begin : g_lanes_by_count
    assign lanes_by_count[l] = int'(left_q) > l;
  end

  always @(posedge clk_i) begin : p_sva
    // FewMatchesCount_A: the registered flag is the compare it stands for.
    if (sva_armed) begin
      assert (few_q == (int'(left_q) <= Lanes))
        else $error("FewMatchesCount_A: %0d bits left, few_q = %b", left_q, few_q);
    end
    // LanesMatchCount_A: the lanes the rank compares fill are the min(left, L) the count says.
    if (sva_armed && busy_q) begin
      assert (out_lane_valid_o == lanes_by_count)
        else $error("LanesMatchCount_A: %0d bits counted, lanes %b", left_q, out_lane_valid_o);
    end
    // LaneThermometer_A: the valid lanes are 0..n-1.
    if (sva_armed) begin
      assert ((out_lane_valid_o & (out_lane_valid_o + Lanes'(1))) == '0)
        else $error("LaneThermometer_A: out_lane_valid_o = %b is not a thermometer",
                    out_lane_valid_o);
    end
  end
`endif

endmodule
