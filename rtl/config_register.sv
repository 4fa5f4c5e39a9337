// Copyright dualspike contributors.
//
// config_register: one core's registered copy of a generated top's configuration port.
//
// Why: the top broadcasts one configuration port to every core, and each core decodes its
// memories' write enables from it. Fed straight from the port, synthesis shares that decode
// between the cores, and the shared term crossed the die to every core's memory write enables:
// the digits network's critical path placed and routed on every seed (18.9 ns, 16.8 of wire;
// docs/synthesis.md). A copy per core, loaded only when the write is for that core (the layer
// compare before the register), keeps each core's decode local: the copies load under
// different enables, so synthesis cannot merge them back into one.
//
// Behaviour: valid_o is cfg_valid_i && (cfg_layer_i == Layer) a cycle late; the other outputs
// take the write's fields at that edge and hold them until the core's next write. A write
// reaches the core's memories one edge later than it would from the port (docs/cores.md
// section 3: a frame's first beat may still follow the last write in the next cycle).
// Parameters: LayerBits (width of cfg_layer_i), Layer (this core's index), BankBits, AddrBits
//   (the core's port widths; the top passes the low bits of its wider bank and address).
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_CFG_ANY_LAYER drops the layer
// compare, so every core takes every write.

module config_register #(
  parameter int LayerBits = 3,
  parameter int Layer     = 0,
  parameter int BankBits  = 1,
  parameter int AddrBits  = 8
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 cfg_valid_i,
  input  logic [LayerBits-1:0] cfg_layer_i,
  input  logic [1:0]           cfg_sel_i,
  input  logic [BankBits-1:0]  cfg_bank_i,
  input  logic [AddrBits-1:0]  cfg_addr_i,
  input  logic [31:0]          cfg_data_i,
  output logic                 valid_o,
  output logic [1:0]           sel_o,
  output logic [BankBits-1:0]  bank_o,
  output logic [AddrBits-1:0]  addr_o,
  output logic [31:0]          data_o
);

  logic selected;
`ifdef DUALSPIKE_BUG_CFG_ANY_LAYER
  assign selected = cfg_valid_i;
`else
  assign selected = cfg_valid_i && (cfg_layer_i == LayerBits'(Layer));
`endif

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_valid
    if (!rst_ni) valid_o <= 1'b0;
    else         valid_o <= selected;
  end

  // No reset: read only under valid_o.
  always_ff @(posedge clk_i) begin : p_fields
    if (selected) begin
      sel_o  <= cfg_sel_i;
      bank_o <= cfg_bank_i;
      addr_o <= cfg_addr_i;
      data_o <= cfg_data_i;
    end
  end

endmodule
