// Copyright dualspike contributors.
//
// dense_linear_core: a linear (fully connected) first layer on multi-bit pixels: an MLP on
// images (SPEC section 1 allows a pixels network to start with a linear layer). Interfaces:
// docs/cores.md (pixel stream in, spike or current stream out of a linear layer, the
// configuration write port and memory images); design: docs/dense_linear_core.md.
//
// Equation (SPEC section 2, the same pixel frame x at every t; i = c*H*W + y*W + x):
//   I[o] = b[o] + sum_i w[o][i] * x[i]                     exact (CurrentBits, see below)
//   HasNeuron = 1: per feature o, v = 0 at the frame's start, for t = 0 .. T-1 the neuron of
//                  SPEC 2 (lif_unit); out beat t = s[t] (O bits, the spike stream of a linear
//                  layer: T beats per frame, exactly what sparse_linear_core emits).
//   HasNeuron = 0 ("readout": "accumulate"): out beat t = I (O x CurrentBits, o at
//                  [o*CurrentBits +: CurrentBits]), the same for every t.
// Golden: golden.layers.flatten_chw + linear_currents (x broadcast over T) + run_neuron.
// CurrentBits (exact): |I| <= 2^(V-1) + F * (2^A - 1) * 2^(B-1) =: M, F = C*H*W;
//   CurrentBits = $clog2(M) + 1 (golden.config.current_bounds; -M itself is reachable).
//
// Structure (no new datapath): a linear layer on a C x H x W frame is a 1x1 convolution on a 1x1
// image with C*H*W input channels, whose canonical fan-in order j = ci is the linear order i.
//   pixel_frame_gather   H*W pixel beats -> one beat of C*H*W pixels in (c, y, x) order;
//   dense_input_core     Height = Width = Kernel = 1, InChannels = C*H*W: P dense_banks walk the
//                        R x NG groups of the frame (weight bitmap AND non-zero-pixel bitmap,
//                        max(1, ceil(pairs / L)) cycles per group, banks independent), compute
//                        each current ONCE per frame, and O lif_units emit the T beats.
// The memory images and the configuration port are those of a linear layer (docs/cores.md 2, 3:
// fan-in j = i), which are the dense core's images for K = 1, so config_writes load it unchanged.
//
// Schedule and cycles (free-running streams): H*W cycles of input, one cycle to offer the frame,
// then the dense core's window / bank / emission pipeline (docs/dense_input_core.md);
// golden/cycles/dense_linear.py models every frame exactly. The next frame is gathered while the
// current one is computed (gather buffer, the dense core's one-row line buffer and its window
// register: three frame-sized stores of C*H*W*A bits, the price of reusing the dense core).
//
// Parameters: InChannels C, InHeight H, InWidth W (>= 1), PixelBits A in 1..16, OutFeatures O,
// Timesteps T, Parallel P, Lanes L (>= 1), GroupWidth G in 1..32, WeightBits B in 2..8,
// MembraneBits V in 4..32, HasNeuron 0/1, InitPrefix (memory images, as the dense input
// core's). Configuration address width:
// clog2(max(4, O, ceil(O/P) * C*H*W)), as the dense input core's.
//
// Planted bugs (test-suite self-check only): see pixel_frame_gather
// (DUALSPIKE_BUG_GATHER_PIXEL_MAJOR, DUALSPIKE_BUG_GATHER_DROP_LAST_PIXEL).

`include "dualspike_macros.svh"

module dense_linear_core #(
  parameter int InChannels   = 1,   // C
  parameter int PixelBits    = 8,   // A, 1..16
  parameter int InHeight     = 4,   // H
  parameter int InWidth      = 4,   // W
  parameter int OutFeatures  = 4,   // O
  parameter int Timesteps    = 2,   // T
  parameter int Parallel     = 2,   // P
  parameter int Lanes        = 2,   // L
  parameter int GroupWidth   = 8,   // G, 1..32
  parameter int WeightBits   = 4,   // B, 2..8
  parameter int MembraneBits = 16,  // V, 4..32
  parameter int HasNeuron    = 1,   // 0: emit the current stream ("readout": "accumulate")
  parameter     InitPrefix   = ""   // "" or the prefix of the memory images (dense_input_core)
) (
  input  logic clk_i,
  input  logic rst_ni,
  // Configuration write port (docs/cores.md section 3); address width as the dense input
  // core's with F = C*H*W (the expressions below: Icarus 11 has no localparam in a port list).
  input  logic                                                  cfg_valid_i,
  input  logic [1:0]                                            cfg_sel_i,
  input  logic [((Parallel > 1) ? $clog2(Parallel) : 1)-1:0]    cfg_bank_i,
  input  logic [$clog2(
      ((((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight * InWidth)
          > OutFeatures)
        ? ((((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight * InWidth) > 4
           ? (((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight * InWidth) : 4)
        : ((OutFeatures > 4) ? OutFeatures : 4))-1:0]            cfg_addr_i,
  input  logic [31:0]                                           cfg_data_i,
  // Pixel stream: channel c unsigned at [c*A +: A]; last on pixel H*W-1.
  input  logic                                                  in_valid_i,
  output logic                                                  in_ready_o,
  input  logic [InChannels*PixelBits-1:0]                       in_data_i,
  input  logic                                                  in_last_i,
  // Output stream, T beats per frame: HasNeuron = 1: O spike bits; HasNeuron = 0: O currents
  // of CurrentBits (two's complement) at [o*CurrentBits +: CurrentBits].
  output logic                                                  out_valid_o,
  input  logic                                                  out_ready_i,
  output logic [((HasNeuron != 0) ? OutFeatures : OutFeatures * ($clog2(
      (64'd1 << (MembraneBits - 1)) + 64'(InChannels * InHeight * InWidth) *
      ((64'd1 << PixelBits) - 64'd1) * (64'd1 << (WeightBits - 1))) + 1))-1:0] out_data_o,
  output logic                                                  out_last_o
);

  localparam int Pixels = InHeight * InWidth;
  localparam int FanIn  = InChannels * Pixels;

  logic                         frame_valid, frame_ready;
  logic [FanIn*PixelBits-1:0]   frame_data;

  pixel_frame_gather #(
    .InChannels (InChannels),
    .PixelBits  (PixelBits),
    .Pixels     (Pixels)
  ) u_gather (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (in_valid_i),
    .in_ready_o  (in_ready_o),
    .in_data_i   (in_data_i),
    .in_last_i   (in_last_i),
    .out_valid_o (frame_valid),
    .out_ready_i (frame_ready),
    .out_data_o  (frame_data)
  );

  // A 1x1 conv on a 1x1 image with C*H*W channels: every beat is its frame's last pixel.
  dense_input_core #(
    .InChannels   (FanIn),
    .PixelBits    (PixelBits),
    .OutChannels  (OutFeatures),
    .Height       (1),
    .Width        (1),
    .Kernel       (1),
    .Timesteps    (Timesteps),
    .Parallel     (Parallel),
    .Lanes        (Lanes),
    .GroupWidth   (GroupWidth),
    .WeightBits   (WeightBits),
    .MembraneBits (MembraneBits),
    .HasNeuron    (HasNeuron),
    .InitPrefix   (InitPrefix)
  ) u_core (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .cfg_valid_i (cfg_valid_i),
    .cfg_sel_i   (cfg_sel_i),
    .cfg_bank_i  (cfg_bank_i),
    .cfg_addr_i  (cfg_addr_i),
    .cfg_data_i  (cfg_data_i),
    .in_valid_i  (frame_valid),
    .in_ready_o  (frame_ready),
    .in_data_i   (frame_data),
    .in_last_i   (1'b1),
    .out_valid_o (out_valid_o),
    .out_ready_i (out_ready_i),
    .out_data_o  (out_data_o),
    .out_last_o  (out_last_o)
  );

endmodule
