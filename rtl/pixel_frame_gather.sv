// Copyright dualspike contributors.
//
// pixel_frame_gather: collects one pixel frame (docs/cores.md "Pixel stream": one beat per pixel,
// raster order, channel c unsigned at [c*A +: A]) into a single wide beat holding the whole frame
// flattened in (c, y, x) order (SPEC section 1, the fan-in order of a linear layer):
//   out_data_o[i*A +: A] = pixel of channel c at p = y*W + x,     i = c*Pixels + p
// Golden: golden.layers.flatten_chw of the frame (one timestep).
// It turns the pixel stream into the input of a dense_input_core built as a 1x1 conv on a 1x1
// image with C*H*W channels, which is exactly a linear layer (dense_linear_core).
//
// Handshakes: out_valid_o = a complete frame is held; in_ready_o = !held || out_ready_i, so the
// first pixel of the next frame is accepted in the cycle the held frame leaves (no bubble).
// in_last_i is not needed (pixels are counted); an assertion checks it marks pixel Pixels-1.
//
// Parameters: InChannels C >= 1, PixelBits A in 1..16, Pixels H*W >= 1.
// Latency: the frame is offered the cycle after its last pixel was accepted.
// Throughput: one pixel per cycle; the wide beat leaves once per frame.
// Storage: Pixels x C x A bits (flops without reset; the wide beat is only offered once every
// word of it has been written).
//
// Planted bugs (test-suite self-check only):
//   `define DUALSPIKE_BUG_GATHER_PIXEL_MAJOR flattens in (y, x, c) order instead of (c, y, x);
//   `define DUALSPIKE_BUG_GATHER_DROP_LAST_PIXEL gathers the frame's last pixel as zeros.

`include "dualspike_macros.svh"

module pixel_frame_gather #(
  parameter int InChannels = 1,
  parameter int PixelBits  = 8,
  parameter int Pixels     = 4
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // Pixel stream in.
  input  logic                                   in_valid_i,
  output logic                                   in_ready_o,
  input  logic [InChannels*PixelBits-1:0]        in_data_i,
  input  logic                                   in_last_i,
  // One beat per frame: the frame flattened in (c, y, x) order.
  output logic                                   out_valid_o,
  input  logic                                   out_ready_i,
  output logic [InChannels*Pixels*PixelBits-1:0] out_data_o
);

  localparam int WordBits = InChannels * PixelBits;
  localparam int PixBits  = (Pixels > 1) ? $clog2(Pixels) : 1;

  localparam logic [PixBits-1:0] LastPixel = PixBits'(Pixels - 1);

  logic [PixBits-1:0]  count_d, count_q;   // next pixel of the frame being gathered
  logic                held_d, held_q;     // a complete frame is offered
  logic                in_fire, out_fire, frame_end;
  logic [WordBits-1:0] frame_q [Pixels];   // pixel words in raster order

  assign out_fire   = held_q & out_ready_i;
  assign in_ready_o = ~held_q | out_ready_i;
  assign in_fire    = in_valid_i & in_ready_o;
  assign frame_end  = (count_q == LastPixel);

  always_ff @(posedge clk_i) begin : p_frame_mem
    if (in_fire) begin
`ifdef DUALSPIKE_BUG_GATHER_DROP_LAST_PIXEL
      // PLANTED BUG: the last pixel of the frame is stored as zeros.
      frame_q[count_q] <= frame_end ? '0 : in_data_i;
`else
      frame_q[count_q] <= in_data_i;
`endif
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_count
    count_d = count_q;
    held_d  = held_q & ~out_fire;
    if (in_fire) begin
      count_d = frame_end ? '0 : count_q + PixBits'(1);
      if (frame_end) begin
        held_d = 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      count_q <= '0;
      held_q  <= 1'b0;
    end else begin
      count_q <= count_d;
      held_q  <= held_d;
    end
  end

  // Flattening is wiring: fan-in position i = c*Pixels + p takes channel c of pixel p.
  for (genvar c = 0; c < InChannels; c++) begin : g_channel
    for (genvar p = 0; p < Pixels; p++) begin : g_pixel
`ifdef DUALSPIKE_BUG_GATHER_PIXEL_MAJOR
      // PLANTED BUG: (y, x, c) order.
      assign out_data_o[(p * InChannels + c) * PixelBits +: PixelBits] =
          frame_q[p][c * PixelBits +: PixelBits];
`else
      assign out_data_o[(c * Pixels + p) * PixelBits +: PixelBits] =
          frame_q[p][c * PixelBits +: PixelBits];
`endif
    end
  end

  assign out_valid_o = held_q;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (InChannels < 1 || Pixels < 1) begin : g_bad_sizes
    $error("pixel_frame_gather: InChannels and Pixels must be >= 1");
  end
  if (PixelBits < 1 || PixelBits > 16) begin : g_bad_pixel_bits
    $error("pixel_frame_gather: PixelBits must be in 1..16, got %0d", PixelBits);
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  `DUALSPIKE_SVA_ARMED

  always @(posedge clk_i) begin : p_sva
    if (sva_armed_q) begin
      // InLastMatches_A: in_last_i marks the frame's last pixel, and only it.
      if (in_fire) begin
        assert (in_last_i == frame_end)
          else $error("InLastMatches_A: in_last_i = %0d at pixel %0d", in_last_i, count_q);
      end
    end
  end
`else
  logic unused_last;
  assign unused_last = in_last_i;
`endif

endmodule
