// Copyright dualspike contributors.
//
// neuron_config_copy: one LIF unit's copy of its core's neuron configuration (threshold, leak
// shift, model and reset selects).
//
// Why: a core holds its neuron configuration in one set of registers, and one register fanned
// out to every unit's shifters, operand selects and threshold adders was a critical path placed
// and routed (the events network's conv layer, digits layer 0: 2,181 loads on a 7 ns net;
// docs/synthesis.md). A core instantiates one copy per LIF unit, loaded from the shared
// registers themselves, a cycle behind them: loaded from their next values (the configuration
// port's decode and data), the copies kept them equal every cycle but put the port's decode on
// the fanout across the die (the dense input core's critical path placed and routed on two of
// three seeds, docs/synthesis.md). The lag is harmless: a neuron word is written while no
// frame is in flight (docs/cores.md section 3), and a core's first neuron step comes at least
// a window's gather and its bank pipeline (over 5 cycles) after the frame's first input beat.
//
// Behaviour: at every rising edge each output takes its input; reset clears them like the shared
// registers. `keep` on the process: synthesis would otherwise merge the equal registers of the
// copies back into one (a `keep` on the declarations alone does not stop it).
//
// Parameters: MembraneBits V, the width of the threshold (the leak shift is $clog2(V) bits,
//   as in lif_unit).

module neuron_config_copy #(
  parameter int MembraneBits = 16
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic [MembraneBits-1:0]         threshold_i,   // the shared registers
  input  logic [$clog2(MembraneBits)-1:0] leak_shift_i,
  input  logic                            model_lif_i,
  input  logic                            reset_soft_i,
  output logic [MembraneBits-1:0]         threshold_o,   // the shared registers a cycle late
  output logic [$clog2(MembraneBits)-1:0] leak_shift_o,
  output logic                            model_lif_o,
  output logic                            reset_soft_o
);

  (* keep *)
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_copy
    if (!rst_ni) begin
      threshold_o  <= '0;
      leak_shift_o <= '0;
      model_lif_o  <= 1'b0;
      reset_soft_o <= 1'b0;
    end else begin
      threshold_o  <= threshold_i;
      leak_shift_o <= leak_shift_i;
      model_lif_o  <= model_lif_i;
      reset_soft_o <= reset_soft_i;
    end
  end

endmodule
