// Copyright dualspike contributors.
//
// sdp_ram: simple dual-port memory, one write port, one synchronous read port, written the way
// Yosys infers block RAM (synth_xilinx: RAMB18E2/RAMB36E2; synth_ecp5: DP16KD) or LUT RAM when
// it is small (docs/synthesis.md): no reset on the array or on the read register, the read
// address registered inside the memory, one write port.
//
// Behaviour: at a rising edge with we_i, word waddr_i becomes wdata_i; at a rising edge with
// re_i, rdata_o becomes word raddr_i as it was before that edge (read-first: a read and a write
// of the same word at the same edge return the old word). rdata_o holds otherwise. Before the
// first read rdata_o is undefined (X in simulation): users read before they use it.
//
// CollisionFree = 1 (the configuration memories: written by the configuration port only while
// the core is idle, docs/cores.md section 3): the word read at an edge that also writes it is
// never used, so the memory carries Yosys' `no_rw_check` (a read/write collision returns
// anything). Without it, Yosys emulates read-first around every block RAM (whose two ports
// leave a collision undefined) with a register of the write and a select on the read data:
// on the digits network's layer-2 conv core that was 2,236 LUT4 and 446 flip-flops of 22,317
// and 12,797, and a select between the block RAM's output and its users (docs/synthesis.md).
// Simulation returns X for such a read, so a user that does use one fails on Icarus.
// Memories written while they are read (current buffers, frame-buffer stores) keep 0.
//
// Parameters: Width (bits per word, >= 1), Depth (words, >= 1), InitFile: a $readmemh image
//   of the memory (one hex word per line, word 0 first) loaded at time 0 and by the FPGA
//   bitstream; "" = none (the configuration port loads the memory); CollisionFree (0 or 1).

module sdp_ram #(
  parameter int Width    = 8,
  parameter int Depth    = 16,
  parameter     InitFile = "",
  parameter bit CollisionFree = 0
) (
  input  logic                                       clk_i,
  input  logic                                       we_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] waddr_i,
  input  logic [Width-1:0]                           wdata_i,
  input  logic                                       re_i,
  input  logic [((Depth > 1) ? $clog2(Depth) : 1)-1:0] raddr_i,
  output logic [Width-1:0]                           rdata_o
);

  (* no_rw_check = CollisionFree *)
  logic [Width-1:0] mem [Depth];

  initial begin
    if (InitFile != "") begin
      // Explicit range: Icarus warns about a bare $readmemh into an array declared [Depth].
      $readmemh(InitFile, mem, 0, Depth - 1);
    end
  end

  always_ff @(posedge clk_i) begin : p_write
    if (we_i) begin
      mem[waddr_i] <= wdata_i;
    end
  end

  always_ff @(posedge clk_i) begin : p_read
    if (re_i) begin
      rdata_o <= mem[raddr_i];
`ifndef SYNTHESIS
      if (CollisionFree && we_i && waddr_i == raddr_i) begin
        rdata_o <= 'x;  // what a block RAM may return: a use of it shows on Icarus
      end
`endif
    end
  end

`ifndef __ICARUS__
  if (Width < 1 || Depth < 1) begin : g_bad_size
    $error("sdp_ram: Width and Depth must be >= 1");
  end
`endif

endmodule
