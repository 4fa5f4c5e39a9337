// Copyright dualspike contributors.
//
// popcount: number of set bits of a vector.
//
// Equation: count_o = sum_{i < Width} bits_i[i]        (golden: int(x).bit_count())
// Examples (Width = 8): 8'b0000_0000 -> 0, 8'b1011_0001 -> 4, 8'b1111_1111 -> 8.
//
// Parameters:
//   Width      number of input bits, >= 1. The count is CountBits = $clog2(Width + 1) bits wide,
//              enough for the all-ones input.
//
// Latency: 0 (combinational).  Throughput: one vector per cycle.
// The sum is written as a loop; synthesis maps it to a compressor tree.

`include "dualspike_macros.svh"

module popcount #(
  parameter int Width = 8
) (
  input  logic [Width-1:0]              bits_i,
  // CountBits = $clog2(Width + 1) (Icarus 11 cannot take a localparam in the port list).
  output logic [$clog2(Width + 1)-1:0]  count_o
);

  localparam int CountBits = $clog2(Width + 1);

  // The running sum is a block-local variable: an always_comb that reads a signal it assigns is
  // re-evaluated by Icarus after every update, which made whole-core simulations crawl.
  `DUALSPIKE_ALWAYS_COMB begin : p_count
    logic [CountBits-1:0] sum;
    sum = '0;
    for (int i = 0; i < Width; i++) begin
      sum = sum + CountBits'(bits_i[i]);
    end
    count_o = sum;
  end

`ifndef __ICARUS__
  if (Width < 1) begin : g_bad_width
    $error("popcount: Width must be >= 1, got %0d", Width);
  end
`endif

endmodule
