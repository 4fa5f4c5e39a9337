// Copyright dualspike contributors.
//
// prefix_sum: the sums of the values before each position (before_o[i] = values_i[0] + ... +
// values_i[i-1], before_o[0] = 0) and the total, modulo 2^Width.
//
// A Sklansky tree: ceil(log2(Count)) levels of adders instead of a chain of Count - 1. The
// chained form was the longest path of the row bank's scan (nine groups of 32 bits at digits
// layer 2: 15 logic levels, 33.7 ns placed and routed on ECP5, docs/synthesis.md). At level k
// every position whose bit k is set adds the last inclusive sum of the lower half of its block
// of 2^(k+1) positions; that position's bit k is clear, so a level reads only values the level
// before wrote.
//
// The tree can be cut between levels, with a register between the parts (the sparse linear
// core's group stage does the first levels, its detectors the rest: docs/synthesis.md). After
// levels 0..m-1 every position holds the inclusive sum of the values of its aligned block of 2^m
// positions up to it; FromLevel = m says the inputs are such sums, ToLevel = m' stops after
// level m'-1 (inclusive_o: the sums within blocks of 2^m'). before_o and total_o are the whole
// prefix sums only when ToLevel is the full depth (the default, -1).
//
// One process over block-local temporaries, with constant (unrolled) part-selects of a flat
// vector: synthesis builds the same tree as from one assign per adder, and Icarus evaluates the
// tree once per input change instead of once per driver of a shared vector (assigns into one
// net made the 27-wide detector bench 30x slower on Icarus 11).

`include "dualspike_macros.svh"

module prefix_sum #(
  parameter int Count     = 4,
  parameter int Width     = 8,
  parameter int FromLevel = 0,   // the inputs are the sums within blocks of 2^FromLevel
  parameter int ToLevel   = -1   // -1: every level (the whole prefix sums)
) (
  input  logic [Count-1:0][Width-1:0] values_i,
  output logic [Count-1:0][Width-1:0] inclusive_o,  // sums within blocks of 2^ToLevel, inclusive
  output logic [Count-1:0][Width-1:0] before_o,
  output logic [Width-1:0]            total_o
);

  localparam int Depth  = (Count > 1) ? $clog2(Count) : 0;
  localparam int Levels = (ToLevel < 0 || ToLevel > Depth) ? Depth : ToLevel;

  // The position whose sum position i adds at level k: the top of the lower half of i's block
  // of 2^(k+1) positions.
  function automatic int source(int i, int k);
    return ((i >> (k + 1)) << (k + 1)) + (1 << k) - 1;
  endfunction

  `DUALSPIKE_ALWAYS_COMB begin : p_tree
    logic [Count*Width-1:0] sums;  // inclusive sums so far
    logic [Count*Width-1:0] sums_before;
    sums = values_i;
    for (int k = FromLevel; k < Levels; k++) begin
      for (int i = 0; i < Count; i++) begin
        if (((i >> k) & 1) == 1) begin
          sums[i*Width +: Width] = sums[i*Width +: Width] + sums[source(i, k)*Width +: Width];
        end
      end
    end
    sums_before = '0;
    for (int i = 1; i < Count; i++) begin
      sums_before[i*Width +: Width] = sums[(i - 1)*Width +: Width];
    end
    inclusive_o = sums;
    before_o    = sums_before;
    total_o     = sums[(Count - 1)*Width +: Width];
  end

`ifndef __ICARUS__
  if (Count < 1 || Width < 1) begin : g_bad_size
    $error("prefix_sum: Count and Width must be >= 1, got %0d, %0d", Count, Width);
  end
  if (FromLevel < 0 || FromLevel > Levels) begin : g_bad_levels
    $error("prefix_sum: FromLevel must be in 0..ToLevel, got %0d", FromLevel);
  end
`endif

endmodule
