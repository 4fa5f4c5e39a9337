// Copyright dualspike contributors.
//
// stream_stable_checker: simulation-only checker of the valid/ready rule on one stream (the
// producer's side): once a beat is offered (valid_i) and not taken (!ready_i), the next cycle
// still offers it (ValidHeld_A) with the same payload (DataStable_A). Every core instantiates one
// on its output stream inside `ifndef SYNTHESIS, so the rule is written once.
//
// armed_o is 0 from reset until the first clock edge after reset is released, then 1: the
// including module gates its own assertions with it, so that nothing is checked before the
// design has been reset (the flop is X until the first reset on a 4-state simulator).
//
// Parameters: Width, the payload bits (data and last together; >= 1).
// Messages start with the instance path (%m), then the assertion name.
// Icarus 11 needs immediate asserts in a plain `always` (it rejects concurrent assertions and
// warns about system tasks in always_ff).


module stream_stable_checker #(
  parameter int Width = 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             valid_i,
  input  logic             ready_i,
  input  logic [Width-1:0] data_i,
  output logic             armed_o
);

  logic             armed_q;
  logic             stall_q;  // last cycle offered a beat that was not taken
  logic [Width-1:0] data_q;   // the payload offered then

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      armed_q <= 1'b0;
      stall_q <= 1'b0;
      data_q  <= '0;
    end else begin
      armed_q <= 1'b1;
      stall_q <= valid_i & ~ready_i;
      data_q  <= data_i;
    end
  end

  assign armed_o = armed_q;

  always @(posedge clk_i) begin : p_check
    if (stall_q) begin
      assert (valid_i) else $error("%m: ValidHeld_A: valid dropped under backpressure");
      assert (data_i == data_q)
        else $error("%m: DataStable_A: beat changed under backpressure (%0h -> %0h)", data_q,
                    data_i);
    end
  end

`ifndef __ICARUS__
  if (Width < 1) begin : g_bad_width
    $error("stream_stable_checker: Width must be >= 1, got %0d", Width);
  end
`endif

endmodule
