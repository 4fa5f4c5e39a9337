// Copyright dualspike contributors.
//
// stable_checker_tb: plain-SystemVerilog bench of rtl/stream_stable_checker.sv (a simulation-only
// checker has no outputs to compare, so the evidence is the simulator log; tests/
// test_stream_stable_checker.py runs this bench on both simulators and reads the log).
//
// The case is chosen at run time (+violation=N, default 0), so one build serves every case:
// Violation = 0: a legal stream: beats offered under random backpressure, held while stalled.
// Violation = 1: the payload changes while a beat is stalled (DataStable_A must fire).
// Violation = 2: valid drops while a beat is stalled (ValidHeld_A must fire).
// Violation = 3: a violation before the first reset (must not fire: the checker is not armed).

module stable_checker_tb;
  int         Violation = 0;
  logic       clk_i = 1'b0;
  logic       rst_ni = 1'b0;
  logic       valid = 1'b0;
  logic       ready = 1'b0;
  logic [7:0] data = 8'd0;
  logic       armed;
  logic       violated = 1'b0;  // the one violation of the run was made

  stream_stable_checker #(.Width(8)) u_checker (
    .clk_i, .rst_ni, .valid_i(valid), .ready_i(ready), .data_i(data), .armed_o(armed)
  );

  always #5 clk_i = ~clk_i;

  // Drives between clock edges (on the falling edge), as a producer's flops would.
  initial begin
    if (!$value$plusargs("violation=%d", Violation)) Violation = 0;
    if (Violation == 3) begin
      @(negedge clk_i) valid = 1'b1; data = 8'd1;
      @(negedge clk_i) valid = 1'b0; data = 8'd2;
    end
    repeat (2) @(negedge clk_i);
    rst_ni = 1'b1;
    for (int beat = 0; beat < 40; beat++) begin
      @(negedge clk_i);
      valid = 1'b1;
      data  = 8'(beat * 7 + 3);
      ready = ($urandom % 3) == 0;
      while (!ready) begin
        @(negedge clk_i);
        // The first stall from beat 20 on breaks the rule once.
        if (beat >= 20 && !violated && (Violation == 1 || Violation == 2)) begin
          violated = 1'b1;
          if (Violation == 1) data = data + 8'd1;
          else valid = 1'b0;
        end
        ready = ($urandom % 3) == 0;
      end
    end
    @(negedge clk_i) valid = 1'b0;
    repeat (2) @(negedge clk_i);
    $display("stable_checker_tb: done (armed %0d)", armed);
    $finish;
  end
endmodule
