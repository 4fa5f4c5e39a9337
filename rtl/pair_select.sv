// Copyright dualspike contributors.
//
// pair_select: where an effectual pair's weight sits inside one bitmap group. Given the group's
// effectual pairs (pairs_i, a subset of its weight bitmap weights_i) and a rank q, it finds the
// q-th set bit of pairs_i (q = 0 is the lowest) and returns how many bits of weights_i lie below
// it: the pair's packed-weight offset within the group (SPEC section 3). rank_i must be below the
// number of pairs; otherwise below_o is unspecified (the caller's lane is idle then).
//
// Two levels, blocks of four bits: the pair and weight counts of every block and their prefix
// sums, the block that holds the q-th pair (the last block with at most q pairs before it; it
// has a pair, since the sums do not decrease and q is below the total), then a four-bit walk
// inside that block. A bit-serial walk over the whole group (a 32-long chain of counters) was
// about 1,000 logic cells per lane on ECP5 and the deepest logic of the bank.
//
// Registered = 1 puts a register between the two levels (the chosen block's bits, its weight
// base and the rank inside it): below_o then answers the inputs of the edge before, one cycle
// of latency, and the search is split in two shorter paths (it was the critical path of the
// conv core's row bank, docs/synthesis.md). The register has no reset and no enable: the
// caller's pipeline carries the valid bit beside it. Registered = 0 ignores clk_i.
//
// Planted bug (test-suite self-check only):
//   `define DUALSPIKE_BUG_PAIR_SELECT_BLOCK_EDGE: a pair that opens a four-bit block is looked
//     for in the block before.

`include "dualspike_macros.svh"

module pair_select #(
  parameter int GroupWidth = 8,
  parameter bit Registered = 1'b0
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

  // Pairs and weights of every block, and of the blocks before block b (an adder tree, not a
  // chain: rtl/prefix_sum.sv).
  logic [Blocks-1:0][CountBits-1:0] block_pair_count, block_weight_count;
  logic [Blocks-1:0][CountBits-1:0] pairs_before, weights_before;
  logic [CountBits-1:0]             unused_pair_total, unused_weight_total;
  `DUALSPIKE_ALWAYS_COMB begin : p_block_counts
    logic [CountBits-1:0] pair_count, weight_count;
    for (int b = 0; b < Blocks; b++) begin
      pair_count   = '0;
      weight_count = '0;
      for (int j = 0; j < Block; j++) begin
        pair_count   = pair_count + CountBits'(pairs[b * Block + j]);
        weight_count = weight_count + CountBits'(weights[b * Block + j]);
      end
      block_pair_count[b]   = pair_count;
      block_weight_count[b] = weight_count;
    end
  end
  prefix_sum #(.Count (Blocks), .Width (CountBits)) u_pairs_before (
    .values_i (block_pair_count),
    .before_o (pairs_before),
    .total_o  (unused_pair_total)
  );
  prefix_sum #(.Count (Blocks), .Width (CountBits)) u_weights_before (
    .values_i (block_weight_count),
    .before_o (weights_before),
    .total_o  (unused_weight_total)
  );

  // The block of the q-th pair, its bits and sums (one-hot selects: Icarus 11 needs constant
  // indices into packed arrays here).
  logic [Block-1:0]     block_pairs, block_weights;
  logic [CountBits-1:0] block_weight_base, rank_in_block;
  `DUALSPIKE_ALWAYS_COMB begin : p_block
    logic [CountBits-1:0] block_pair_base;
    int                   block;
    block = 0;
    for (int b = 1; b < Blocks; b++) begin
`ifdef DUALSPIKE_BUG_PAIR_SELECT_BLOCK_EDGE
      // PLANTED BUG: a pair that opens a block is looked for in the block before.
      if (pairs_before[b] < rank_i) begin
`else
      if (pairs_before[b] <= rank_i) begin
`endif
        block = b;
      end
    end
    block_pairs       = '0;
    block_weights     = '0;
    block_pair_base   = '0;
    block_weight_base = '0;
    for (int b = 0; b < Blocks; b++) begin
      if (block == b) begin
        block_pairs       = pairs[b * Block +: Block];
        block_weights     = weights[b * Block +: Block];
        block_pair_base   = pairs_before[b];
        block_weight_base = weights_before[b];
      end
    end
    rank_in_block = rank_i - block_pair_base;
  end

  // The walk inside the block, on the block's fields (registered when Registered).
  logic [Block-1:0]     walk_pairs, walk_weights;
  logic [CountBits-1:0] walk_base, walk_rank;
  if (Registered) begin : g_registered
    always_ff @(posedge clk_i) begin : p_block_q
      walk_pairs   <= block_pairs;
      walk_weights <= block_weights;
      walk_base    <= block_weight_base;
      walk_rank    <= rank_in_block;
    end
  end else begin : g_combinational
    assign walk_pairs   = block_pairs;
    assign walk_weights = block_weights;
    assign walk_base    = block_weight_base;
    assign walk_rank    = rank_in_block;
    // verilator lint_off UNUSEDSIGNAL
    logic unused_clk;  // Registered = 0: combinational, no clock
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
`endif

endmodule
