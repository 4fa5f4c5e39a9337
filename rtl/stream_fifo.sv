// Copyright dualspike contributors.
//
// stream_fifo: a valid/ready FIFO that decouples two cores of the network (inter-layer
// pipelining: the producer runs ahead of the consumer by up to Depth beats).
//
// Behaviour: out = in, in order, nothing dropped, nothing duplicated.
//   in_ready_o  = (count < Depth)      -- a register (computed a cycle ahead from count_d)
//   out_valid_o = (count > 0)          -- a register (likewise); out_data_o = oldest beat
// Both flags are flip-flops, not compares on count_q: they drive the neighbouring cores' stall
// and accept logic, which fans out over a whole core (docs/synthesis.md).
// Parameters: Width (bits per beat, >= 1), Depth (beats, >= 1; Depth = 1 is a half-rate
//   register slice, see the depth rule in docs/network.md).
// Latency: 1 cycle (a beat written at edge n is visible at the output after edge n).
// Throughput: 1 beat per cycle when Depth >= 2 (simultaneous read and write of a full FIFO is
//   not allowed: in_ready_o is low when full, which keeps the ready path free of out_ready_i).
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_FIFO_DROP_WHEN_FULL keeps
// in_ready_o high and silently drops a beat written while the FIFO is full.

`include "dualspike_macros.svh"

module stream_fifo #(
  parameter int Width = 8,
  parameter int Depth = 2
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [Width-1:0] in_data_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [Width-1:0] out_data_o
);

  localparam int PtrBits   = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int CountBits = $clog2(Depth + 1);
  localparam logic [PtrBits-1:0]   LastSlot = PtrBits'(Depth - 1);
  localparam logic [CountBits-1:0] Full     = CountBits'(Depth);

`ifndef __ICARUS__
  if (Width < 1) begin : g_bad_width
    $error("stream_fifo: Width must be >= 1");
  end
  if (Depth < 1) begin : g_bad_depth
    $error("stream_fifo: Depth must be >= 1");
  end
`endif

  logic [Width-1:0]     mem_q [Depth];
  logic [PtrBits-1:0]   wr_ptr_d, wr_ptr_q, rd_ptr_d, rd_ptr_q;
  logic [CountBits-1:0] count_d, count_q;
  logic                 push, pop;
  logic                 in_ready_q, out_valid_q;   // == (count_q != Full), (count_q != 0)

  assign out_valid_o = out_valid_q;
  assign out_data_o  = mem_q[rd_ptr_q];
`ifdef DUALSPIKE_BUG_FIFO_DROP_WHEN_FULL
  assign in_ready_o  = 1'b1;
  assign push        = in_valid_i && (count_q != Full);
`else
  assign in_ready_o  = in_ready_q;
  assign push        = in_valid_i && in_ready_o;
`endif
  assign pop         = out_valid_o && out_ready_i;

  `DUALSPIKE_ALWAYS_COMB begin
    wr_ptr_d = wr_ptr_q;
    rd_ptr_d = rd_ptr_q;
    count_d  = count_q;
    if (push) begin
      wr_ptr_d = (wr_ptr_q == LastSlot) ? '0 : wr_ptr_q + 1'b1;
    end
    if (pop) begin
      rd_ptr_d = (rd_ptr_q == LastSlot) ? '0 : rd_ptr_q + 1'b1;
    end
    if (push && !pop) begin
      count_d = count_q + 1'b1;
    end else if (pop && !push) begin
      count_d = count_q - 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      count_q  <= '0;
      in_ready_q  <= 1'b1;
      out_valid_q <= 1'b0;
    end else begin
      wr_ptr_q <= wr_ptr_d;
      rd_ptr_q <= rd_ptr_d;
      count_q  <= count_d;
      in_ready_q  <= (count_d != Full);
      out_valid_q <= (count_d != '0);
    end
  end

  // Storage has no reset: a slot is read only after it was written (count > 0).
  always_ff @(posedge clk_i) begin
    if (push) begin
      mem_q[wr_ptr_q] <= in_data_i;
    end
  end

`ifndef SYNTHESIS
  `DUALSPIKE_SVA_ARMED
  always @(posedge clk_i) begin : p_sva
    if (sva_armed_q) begin
      // FlagsMatchCount_A: the registered flags are the compares on the count they replace.
      assert (in_ready_q == (count_q != Full) && out_valid_q == (count_q != '0))
        else $error("FlagsMatchCount_A: count %0d, in_ready_q %0d, out_valid_q %0d", count_q,
                    in_ready_q, out_valid_q);
    end
  end
`endif

endmodule
