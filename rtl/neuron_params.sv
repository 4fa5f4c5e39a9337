// Copyright dualspike contributors.
//
// neuron_params: a layer's neuron parameters, loaded from its core's configuration port: the
// first piece of the core kit's neuron stage, the same in every core with a neuron (the dense
// input, sparse conv and sparse linear cores each held a copy of this decode and register).
//
// Behaviour: at a rising edge with cfg_valid_i and cfg_sel_i == CfgSelNeuron, word cfg_addr_i
// of the neuron memory (dualspike_pkg: threshold, leak shift, flags; docs/cores.md section 3)
// takes cfg_data_i's low bits; other addresses and selectors change nothing. All outputs are
// registers, 0 after reset (no neuron memory is read before its configuration: the cores'
// contract). golden.memory_images.neuron_words gives the words of a layer's NeuronParams.
// Parameters: MembraneBits V (threshold width; the leak shift is clog2(V) bits), CfgAddrBits
//   (the core's address width; every bit is compared, so only addresses 0..2 write).
//
// Planted bug (test-suite self-check only): DUALSPIKE_BUG_NEURON_PARAMS_FLAGS_SWAPPED reads the
// model flag from the reset flag's bit and the other way round.

module neuron_params #(
  parameter int MembraneBits = 16,
  parameter int CfgAddrBits  = 8
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic                            cfg_valid_i,
  input  logic [1:0]                      cfg_sel_i,
  input  logic [CfgAddrBits-1:0]          cfg_addr_i,
  input  logic [31:0]                     cfg_data_i,
  output logic [MembraneBits-1:0]         threshold_o,
  output logic [$clog2(MembraneBits)-1:0] leak_shift_o,
  output logic                            model_lif_o,
  output logic                            reset_soft_o
);

  localparam int ShiftBits = $clog2(MembraneBits);

  logic neuron_we;
  logic threshold_we, leak_shift_we, flags_we;
  assign neuron_we     = cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelNeuron);
  assign threshold_we  = neuron_we && (int'(cfg_addr_i) == dualspike_pkg::NeuronWordThreshold);
  assign leak_shift_we = neuron_we && (int'(cfg_addr_i) == dualspike_pkg::NeuronWordLeakShift);
  assign flags_we      = neuron_we && (int'(cfg_addr_i) == dualspike_pkg::NeuronWordFlags);

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_params
    if (!rst_ni) begin
      threshold_o  <= '0;
      leak_shift_o <= '0;
      model_lif_o  <= 1'b0;
      reset_soft_o <= 1'b0;
    end else begin
      if (threshold_we) begin
        threshold_o <= cfg_data_i[MembraneBits-1:0];
      end
      if (leak_shift_we) begin
        leak_shift_o <= cfg_data_i[ShiftBits-1:0];
      end
      if (flags_we) begin
`ifdef DUALSPIKE_BUG_NEURON_PARAMS_FLAGS_SWAPPED
        // PLANTED BUG: each flag read from the other's bit.
        model_lif_o  <= cfg_data_i[dualspike_pkg::FlagResetSoft];
        reset_soft_o <= cfg_data_i[dualspike_pkg::FlagModelLif];
`else
        model_lif_o  <= cfg_data_i[dualspike_pkg::FlagModelLif];
        reset_soft_o <= cfg_data_i[dualspike_pkg::FlagResetSoft];
`endif
      end
    end
  end

  // The data word's bits above the widest field (the threshold) are not read.
  logic unused_data;
  assign unused_data = ^cfg_data_i;

endmodule
