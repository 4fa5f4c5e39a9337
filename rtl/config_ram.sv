// Copyright dualspike contributors.
//
// config_ram: a configuration memory (an sdp_ram written only while its core is idle,
// CollisionFree) whose write port is registered next to the memory.
//
// Why: a bank's configuration memories are copies of one image (one per read port), and in the
// larger cores they are block RAMs spread over the whole die. One register driving every
// copy's write port was the digits network's critical path placed and routed: 0 to 3 logic
// levels and 13.8 to 18.3 ns of routing, from the core's configuration register or a row
// bank's weight-count register into block RAMs across the die (docs/synthesis.md). With a
// register per copy, the bank's register drives only these registers, which the placer puts
// between it and the memories, so the route is cut in two cycles.
//
// Behaviour: sdp_ram's, with the write one edge late: word waddr_i becomes wdata_i at the
// second rising edge after one with we_i (the first loads the register). A read returns the
// word as it was before that edge; a read of a word at the edge that writes it returns X in
// simulation (CollisionFree: its user never reads a word while it is written). `keep`: the
// copies' registers take the same inputs, and synthesis would merge them back into one.
// Parameters: Width, Depth, InitFile (sdp_ram's).

module config_ram #(
  parameter int Width    = 8,
  parameter int Depth    = 16,
  parameter     InitFile = ""
) (
  input  logic                                         clk_i,
  input  logic                                         rst_ni,
  input  logic                                         we_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] waddr_i,
  input  logic [Width-1:0]                             wdata_i,
  input  logic                                         re_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] raddr_i,
  output logic [Width-1:0]                             rdata_o
);

  localparam int AddrBits = (Depth > 1) ? $clog2(Depth) : 1;

  logic                we_q;
  logic [AddrBits-1:0] waddr_q;
  logic [Width-1:0]    wdata_q;

  // Reset: a write at the first edge would change a preloaded image (InitFile).
  (* keep *)
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_write_enable
    if (!rst_ni) we_q <= 1'b0;
    else         we_q <= we_i;
  end

  // No reset: used only under we_q.
  (* keep *)
  always_ff @(posedge clk_i) begin : p_write_word
    if (we_i) begin
      waddr_q <= waddr_i;
      wdata_q <= wdata_i;
    end
  end

  sdp_ram #(
    .Width         (Width),
    .Depth         (Depth),
    .InitFile      (InitFile),
    .CollisionFree (1'b1)
  ) u_ram (
    .clk_i   (clk_i),
    .we_i    (we_q),
    .waddr_i (waddr_q),
    .wdata_i (wdata_q),
    .re_i    (re_i),
    .raddr_i (raddr_i),
    .rdata_o (rdata_o)
  );

endmodule
