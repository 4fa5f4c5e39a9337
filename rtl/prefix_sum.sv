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
// Written with generate blocks and constant part-selects of one flat vector: Icarus 11 takes
// neither variable indices into packed arrays nor multi-dimensional continuous assigns well.

module prefix_sum #(
  parameter int Count = 4,
  parameter int Width = 8
) (
  input  logic [Count-1:0][Width-1:0] values_i,
  output logic [Count-1:0][Width-1:0] before_o,
  output logic [Width-1:0]            total_o
);

  localparam int Levels = (Count > 1) ? $clog2(Count) : 0;

  // Inclusive sums after each level: level k holds positions 0 .. Count-1 at
  // [(k * Count + i) * Width +: Width].
  logic [(Levels + 1) * Count * Width - 1:0] level;
  assign level[Count * Width - 1:0] = values_i;

  for (genvar k = 0; k < Levels; k++) begin : g_level
    for (genvar i = 0; i < Count; i++) begin : g_position
      localparam int From = ((i >> (k + 1)) << (k + 1)) + (1 << k) - 1;
      if (((i >> k) & 1) == 1) begin : g_add
        assign level[((k + 1) * Count + i) * Width +: Width] =
            level[(k * Count + i) * Width +: Width] + level[(k * Count + From) * Width +: Width];
      end else begin : g_keep
        assign level[((k + 1) * Count + i) * Width +: Width] =
            level[(k * Count + i) * Width +: Width];
      end
    end
  end

  assign before_o[0] = '0;
  for (genvar i = 1; i < Count; i++) begin : g_before
    assign before_o[i] = level[(Levels * Count + i - 1) * Width +: Width];
  end
  assign total_o = level[(Levels * Count + Count - 1) * Width +: Width];

`ifndef __ICARUS__
  if (Count < 1 || Width < 1) begin : g_bad_size
    $error("prefix_sum: Count and Width must be >= 1, got %0d, %0d", Count, Width);
  end
`endif

endmodule
