// Copyright dualspike contributors.
//
// lif_fire: the fire and reset half of a LIF step (SPEC section 2), from lif_charge's exact
// u and d = u - theta.
//
// Equation (golden model: golden.neuron step), V = MembraneBits:
//   sat_V(u) clamps to [-2^(V-1), 2^(V-1)-1]
//   fire:                            s = (sat_V(u) >= theta)
//   reset "hard" (reset_soft_i = 0): v' = s ? 0                   : sat_V(u)
//   reset "soft" (reset_soft_i = 1): v' = s ? sat_V(u) - theta    : sat_V(u)
//
// Worked examples (V = 16): u=30, d=6 (theta 24), hard -> s=1, v'=0; soft -> s=1, v'=6
//                           u=32772, d=32771 (theta 1), hard -> s=1, v'=0 (sat_V(u) = 32767)
//                           u=-2, d=-26 (theta 24) -> s=0, v'=-2
//
// Parameters:
//   MembraneBits  V, width of the membrane and of the threshold, 4..32.
//   CurrentBits   C, the current width of the lif_charge that feeds it: the inputs are
//                 `DUALSPIKE_LIF_WIDE_BITS(V, C) bits wide.
// threshold_i must be the threshold lif_charge used for d (a core holds it through a frame).
//
// Latency: 0 (combinational).  Throughput: 1 neuron-step per cycle.
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_LIF_FIRE_GT fires on u > theta.

`include "dualspike_macros.svh"

module lif_fire #(
  parameter int MembraneBits = 16,
  parameter int CurrentBits  = 24
) (
  input  logic                                reset_soft_i,  // 0: hard reset, 1: soft reset
  input  logic signed [MembraneBits-1:0]      threshold_i,   // theta in [1, 2^(V-1)-1]
  input  logic signed [`DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits)-1:0] u_i,  // u
  input  logic signed [`DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits)-1:0] d_i,  // u - theta
  output logic                                spike_o,       // s[t]
  output logic signed [MembraneBits-1:0]      v_o            // membrane after reset
);

  localparam int WideBits = `DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits);
  // Bits [WideBits-1 : V-1] of a value that fits in V signed bits are all equal.
  localparam int SatBits  = WideBits - MembraneBits + 1;

  localparam logic signed [MembraneBits-1:0] VMax = {1'b0, {(MembraneBits - 1){1'b1}}};
  localparam logic signed [MembraneBits-1:0] VMin = {1'b1, {(MembraneBits - 1){1'b0}}};

  // The fire test and the soft reset read d before saturation (no compare after the clamp):
  // sat_V(u) >= theta iff u >= theta for any V-bit theta, except u < VMin with theta = VMin; and
  // sat_V(u) - theta is d in range, VMax - theta above it (theta only, a constant during a
  // frame) and 0 below.
  logic        [SatBits-1:0]      u_top;         // bits that must agree for u to fit V bits
  logic                           u_high;        // u > VMax
  logic                           u_low;         // u < VMin
  logic signed [MembraneBits-1:0] u;             // charged membrane, sat_V
  logic signed [MembraneBits-1:0] soft_high;     // VMax - theta
  logic                           theta_is_min;  // theta = VMin (only outside SPEC's range)
  logic                           spike;
  logic signed [MembraneBits-1:0] soft_value;    // sat_V(u) - theta

  // Saturate to V bits: in range iff the top SatBits bits are all ones or all zeros; out of range,
  // the sign picks the bound. (Part selects stay outside always_comb: Icarus 11 cannot handle
  // constant selects in always_* sensitivity.)
  assign u_top  = u_i[WideBits-1:MembraneBits-1];
  assign u_high = ~u_i[WideBits-1] & (|u_top);
  assign u_low  = u_i[WideBits-1] & ~(&u_top);
  assign u      = u_high ? VMax : u_low ? VMin : u_i[MembraneBits-1:0];

  // Fire. Signed: sat_V(u) >= theta.
  assign theta_is_min = (threshold_i == VMin);
`ifdef DUALSPIKE_BUG_LIF_FIRE_GT
  assign spike = (u > threshold_i);   // PLANTED BUG: strict comparison
`else
  assign spike = ~d_i[WideBits-1] | (u_low & theta_is_min);
`endif

  // Reset. Soft: s = 1 means theta <= u <= 2^(V-1)-1 and theta >= 1, so
  // 0 <= u - theta <= 2^(V-1)-2 (SPEC range; V-bit wrap-around otherwise, as before).
  assign soft_high  = VMax - threshold_i;
  assign soft_value = u_high ? soft_high : u_low ? '0 : d_i[MembraneBits-1:0];
  assign v_o        = !spike ? u : reset_soft_i ? soft_value : '0;

  assign spike_o = spike;

  // Parameter checks at elaboration (Verilator only: Icarus 11 cannot parse them).
`ifndef __ICARUS__
  if (MembraneBits < 4 || MembraneBits > 32) begin : g_bad_membrane_bits
    $error("lif_fire: MembraneBits must be in 4..32, got %0d", MembraneBits);
  end
  if (CurrentBits < 2) begin : g_bad_current_bits
    $error("lif_fire: CurrentBits must be >= 2, got %0d", CurrentBits);
  end
`endif

endmodule
