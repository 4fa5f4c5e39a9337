// Copyright dualspike contributors.
//
// held_step_ram: a memory read at two positions in every cycle, the held one and the stepped
// one, whose caller picks which a cycle later (step_i registered). Two copies of sdp_ram share
// the write port, one read at each position.
//
// Why: the caller knows whether its reader steps only late in the cycle (the linear core's
// stage load, behind its row stage's skid). As the read address's select, that decision went
// through every LUT-RAM read into the read register (the events network's critical path on
// both seeds, docs/synthesis.md); as the select of two read registers it ends at a register.
//
// Behaviour: at a rising edge, rdata_o becomes word step_addr_i if step_i, else word
// held_addr_i, as the word was before that edge (sdp_ram's read-first rule); the write port is
// sdp_ram's. Parameters: Width, Depth (as sdp_ram).

module held_step_ram #(
  parameter int Width = 8,
  parameter int Depth = 16
) (
  input  logic                                         clk_i,
  input  logic                                         rst_ni,
  input  logic                                         we_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] waddr_i,
  input  logic [Width-1:0]                             wdata_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] held_addr_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] step_addr_i,
  input  logic                                         step_i,
  output logic [Width-1:0]                             rdata_o
);

  logic [Width-1:0] held_word, step_word;
  logic             step_q;

  sdp_ram #(
    .Width (Width),
    .Depth (Depth)
  ) u_held (
    .clk_i,
    .we_i,
    .waddr_i,
    .wdata_i,
    .re_i    (1'b1),
    .raddr_i (held_addr_i),
    .rdata_o (held_word)
  );

  sdp_ram #(
    .Width (Width),
    .Depth (Depth)
  ) u_step (
    .clk_i,
    .we_i,
    .waddr_i,
    .wdata_i,
    .re_i    (1'b1),
    .raddr_i (step_addr_i),
    .rdata_o (step_word)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_step
    if (!rst_ni) begin
      step_q <= 1'b0;
    end else begin
      step_q <= step_i;
    end
  end

  assign rdata_o = step_q ? step_word : held_word;

endmodule
