// Copyright dualspike contributors.
//
// pair_select: where an effectual pair's weight sits inside one bitmap group. Given the group's
// effectual pairs (pairs_i, a subset of its weight bitmap weights_i) and a rank q, it finds the
// q-th set bit of pairs_i (q = 0 is the lowest) and returns how many bits of weights_i lie below
// it: the pair's packed-weight offset within the group (SPEC section 3). rank_i must be below the
// number of pairs; otherwise below_o is unspecified (the caller's lane is idle then).
//
// Two levels, blocks of four bits. The search, on the pairs alone: the pair count of every block
// and their prefix sums, the block that holds the q-th pair (the last block with at most q pairs
// before it; it has a pair, since the sums do not decrease and q is below the total) as a
// thermometer past[b] = "block b lies below it", its bits and the rank inside it. Then, on the
// weights: the weights of the blocks below it and its weight bits. Then a four-bit walk inside
// the block. A bit-serial walk over the whole group (a 32-long chain of counters) was about
// 1,000 logic cells per lane on ECP5 and the deepest logic of the bank.
//
// Stages (the registers have no reset and no enable: the caller's pipeline carries the valid
// bit beside them):
//   0  combinational: below_o answers the inputs (clk_i unused);
//   1  a register before the walk: below_o answers the inputs of the edge before (the search
//      and the walk in one cycle were the conv core's critical path, docs/synthesis.md);
//   2  the search runs a cycle ahead: pairs_i and rank_i are taken one edge before weights_i
//      (a caller that has the pairs before the weights, e.g. while the weight bitmap is read
//      from block RAM), registered, then the weights' side, registered, then the walk; below_o
//      answers weights_i of the edge before and pairs_i, rank_i of the edge before that (the
//      search and the weights' side in one cycle were the conv core's critical path);
//   3  as 2, and the pairs' block counts and their prefix sums are registered before the search:
//      pairs_i and rank_i are taken two edges before weights_i (the counts, the sums and the
//      compare with the rank in one cycle were the conv core's critical path).
//
// Planted bug (test-suite self-check only):
//   `define DUALSPIKE_BUG_PAIR_SELECT_BLOCK_EDGE: a pair that opens a four-bit block is looked
//     for in the block before.

`include "dualspike_macros.svh"

module pair_select #(
  parameter int GroupWidth = 8,
  parameter int Stages     = 0
) (
  input  logic                                clk_i,
  input  logic [GroupWidth-1:0]               pairs_i,
  input  logic [GroupWidth-1:0]               weights_i,
  input  logic [$clog2(GroupWidth + 1)-1:0]   rank_i,
  output logic [$clog2(GroupWidth + 1)-1:0]   below_o
);

  localparam int Block     = 4;
  localparam int Blocks    = (GroupWidth + Block - 1) / Block;
  localparam int PadWidth  = Blocks * Block;
  localparam int CountBits = $clog2(GroupWidth + 1);

  logic [PadWidth-1:0] pairs, weights;
  assign pairs   = PadWidth'(pairs_i);
  assign weights = PadWidth'(weights_i);

  // ---- The search, on the pairs ----
  // Pairs of every block, and of the blocks before block b (an adder tree, not a chain:
  // rtl/prefix_sum.sv).
  logic [Blocks-1:0][CountBits-1:0] block_pair_count, pairs_before;
  logic [CountBits-1:0]             unused_pair_total;
  logic [Blocks-1:0][CountBits-1:0] unused_pairs_through;
  `DUALSPIKE_ALWAYS_COMB begin : p_block_pairs
    logic [CountBits-1:0] count;
    for (int b = 0; b < Blocks; b++) begin
      count = '0;
      for (int j = 0; j < Block; j++) begin
        count = count + CountBits'(pairs[b * Block + j]);
      end
      block_pair_count[b] = count;
    end
  end
  prefix_sum #(.Count (Blocks), .Width (CountBits)) u_pairs_before (
    .values_i    (block_pair_count),
    .inclusive_o (unused_pairs_through),
    .before_o    (pairs_before),
    .total_o     (unused_pair_total)
  );

  // Stages = 3: the counts' prefix sums registered, with the pairs and the rank, a cycle
  // before the search.
  logic [PadWidth-1:0]              counted_pairs;
  logic [Blocks-1:0][CountBits-1:0] counted_before;
  logic [CountBits-1:0]             counted_rank;
  if (Stages == 3) begin : g_count_reg
    always_ff @(posedge clk_i) begin : p_count_q
      counted_pairs  <= pairs;
      counted_before <= pairs_before;
      counted_rank   <= rank_i;
    end
  end else begin : g_count_wire
    assign counted_pairs  = pairs;
    assign counted_before = pairs_before;
    assign counted_rank   = rank_i;
  end

  // The block of the q-th pair as a thermometer (block b + 1 starts at or below the q-th pair),
  // its pair bits and the rank inside it (one-hot selects: Icarus 11 needs constant indices into
  // packed arrays here).
  logic [Blocks-1:0]    search_past;
  logic [Block-1:0]     search_pairs;
  logic [CountBits-1:0] search_rank;
  `DUALSPIKE_ALWAYS_COMB begin : p_search
    logic [CountBits-1:0] block_pair_base;
    logic                 below;
    for (int b = 0; b < Blocks; b++) begin
      if (b + 1 < Blocks) begin
`ifdef DUALSPIKE_BUG_PAIR_SELECT_BLOCK_EDGE
        // PLANTED BUG: a pair that opens a block is looked for in the block before.
        search_past[b] = counted_before[(b + 1) % Blocks] < counted_rank;
`else
        search_past[b] = counted_before[(b + 1) % Blocks] <= counted_rank;
`endif
      end else begin
        search_past[b] = 1'b0;
      end
    end
    search_pairs    = '0;
    block_pair_base = '0;
    for (int b = 0; b < Blocks; b++) begin
      below = (b == 0) ? 1'b1 : search_past[(b + Blocks - 1) % Blocks];
      if (below && !search_past[b]) begin
        search_pairs    = counted_pairs[b * Block +: Block];
        block_pair_base = counted_before[b];
      end
    end
    search_rank = counted_rank - block_pair_base;
  end

  // Stages >= 2: the search registered, a cycle ahead of the weights.
  logic [Blocks-1:0]    found_past;
  logic [Block-1:0]     found_pairs;
  logic [CountBits-1:0] found_rank;
  if (Stages >= 2) begin : g_search_reg
    always_ff @(posedge clk_i) begin : p_search_q
      found_past  <= search_past;
      found_pairs <= search_pairs;
      found_rank  <= search_rank;
    end
  end else begin : g_search_wire
    assign found_past  = search_past;
    assign found_pairs = search_pairs;
    assign found_rank  = search_rank;
  end

  // ---- The weights' side ----
  // The weights of the blocks below the found one (their counts masked by the thermometer and
  // summed in a tree: the prefix sum's total) and the found block's weight bits.
  logic [Blocks-1:0][CountBits-1:0] masked_weight_count, unused_weights_before;
  logic [Blocks-1:0][CountBits-1:0] unused_weights_through;
  logic [CountBits-1:0]             block_weight_base;
  logic [Block-1:0]                 block_weights;
  `DUALSPIKE_ALWAYS_COMB begin : p_block_weights
    logic [CountBits-1:0] count;
    logic                 below;
    block_weights = '0;
    for (int b = 0; b < Blocks; b++) begin
      count = '0;
      for (int j = 0; j < Block; j++) begin
        count = count + CountBits'(weights[b * Block + j]);
      end
      masked_weight_count[b] = found_past[b] ? count : '0;
      below = (b == 0) ? 1'b1 : found_past[(b + Blocks - 1) % Blocks];
      if (below && !found_past[b]) begin
        block_weights = weights[b * Block +: Block];
      end
    end
  end
  prefix_sum #(.Count (Blocks), .Width (CountBits)) u_weights_below (
    .values_i    (masked_weight_count),
    .inclusive_o (unused_weights_through),
    .before_o    (unused_weights_before),
    .total_o     (block_weight_base)
  );

  // ---- The walk inside the block (registered before it when Stages >= 1) ----
  logic [Block-1:0]     walk_pairs, walk_weights;
  logic [CountBits-1:0] walk_base, walk_rank;
  if (Stages >= 1) begin : g_walk_reg
    always_ff @(posedge clk_i) begin : p_block_q
      walk_pairs   <= found_pairs;
      walk_weights <= block_weights;
      walk_base    <= block_weight_base;
      walk_rank    <= found_rank;
    end
  end else begin : g_walk_wire
    assign walk_pairs   = found_pairs;
    assign walk_weights = block_weights;
    assign walk_base    = block_weight_base;
    assign walk_rank    = found_rank;
    // verilator lint_off UNUSEDSIGNAL
    logic unused_clk;  // Stages = 0: combinational, no clock
    assign unused_clk = clk_i;
    // verilator lint_on UNUSEDSIGNAL
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_walk
    logic [CountBits-1:0] seen, below, found;
    seen  = '0;
    below = '0;
    found = '0;
    for (int j = 0; j < Block; j++) begin
      if (walk_pairs[j] && seen == walk_rank) begin
        found = below;
      end
      seen  = seen + CountBits'(walk_pairs[j]);
      below = below + CountBits'(walk_weights[j]);
    end
    below_o = walk_base + found;
  end

`ifndef __ICARUS__
  if (GroupWidth < 1) begin : g_bad_width
    $error("pair_select: GroupWidth must be >= 1, got %0d", GroupWidth);
  end
  if (Stages < 0 || Stages > 3) begin : g_bad_stages
    $error("pair_select: Stages must be 0 to 3, got %0d", Stages);
  end
`endif

endmodule
