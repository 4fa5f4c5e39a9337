// Copyright dualspike contributors.
//
// dualspike_pkg: what the core kit's modules share about the configuration write port
// (docs/cores.md section 3), said once for the RTL. The Python side says it in
// golden/memory_images.py (SEL_*, neuron_words); tests/test_cores.py holds the two equal.

// Waiver: a build that uses some of the constants (a core without a neuron, a block's bench)
// is linted with the package whole.
/* verilator lint_off UNUSEDPARAM */
package dualspike_pkg;

  // Selector codes of the configuration write port (cfg_sel_i): which memory a write is for.
  localparam logic [1:0] CfgSelBitmap = 2'd0;
  localparam logic [1:0] CfgSelWeight = 2'd1;
  localparam logic [1:0] CfgSelBias   = 2'd2;
  localparam logic [1:0] CfgSelNeuron = 2'd3;

  // Words of the neuron memory (cfg_sel_i == CfgSelNeuron, at cfg_addr_i).
  localparam int NeuronWordThreshold = 0;  // the threshold, MembraneBits two's complement
  localparam int NeuronWordLeakShift = 1;  // the leak's shift k (low clog2(MembraneBits) bits)
  localparam int NeuronWordFlags     = 2;  // the bits below
  localparam int FlagModelLif        = 0;  // 1: LIF (leak), 0: IF
  localparam int FlagResetSoft       = 1;  // 1: soft reset (subtract), 0: hard (to 0)

endpackage
/* verilator lint_on UNUSEDPARAM */
