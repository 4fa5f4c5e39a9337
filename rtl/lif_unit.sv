// Copyright dualspike contributors.
//
// lif_unit: charge, fire and reset of one neuron for one timestep (SPEC section 2).
//
// Equation (golden model: golden.neuron step, SPEC section 2), all integer, exact before sat_V:
//   model "if"  (model_lif_i = 0):  u = sat_V(v + I)
//   model "lif" (model_lif_i = 1):  u = sat_V(v + ((I - v) >>> k))     k = leak_shift_i
//   fire:                           s = (u >= theta)                   theta = threshold_i
//   reset "hard" (reset_soft_i = 0): v' = s ? 0         : u
//   reset "soft" (reset_soft_i = 1): v' = s ? u - theta : u
// `>>>` is an arithmetic shift right of a signed value, i.e. floor division by 2^k (rounds toward
// minus infinity, never toward zero). sat_V clamps to [-2^(V-1), 2^(V-1)-1], V = MembraneBits.
//
// Worked examples (V = 16): if,  v=10, I=20, theta=24, hard -> u=30, s=1, v'=0
//                           if,  v=10, I=20, theta=24, soft -> u=30, s=1, v'=6
//                           lif, v=0,  I=-3, k=1             -> (-3)>>>1 = -2, u=-2 (floor, not -1)
//                           if,  v=32767, I=5                -> u=32767 (saturated)
//
// Parameters:
//   MembraneBits  V, width of the membrane and of the threshold, 4..32.
//   CurrentBits   width of the signed synaptic current I (exact, from the accumulator), >= 2.
//                 Any value up to (at least) 40 is exact: see WideBits.
// Runtime inputs (model, reset, leak shift, threshold) rather than parameters, so one core serves
// any layer and the neuron parameters can be loaded from a configuration memory.
// Preconditions (SPEC section 1): theta in [1, 2^(V-1)-1]; k in [1, V-1] when model_lif_i = 1.
// Outside them the outputs are still defined (pure function of the inputs) but not meaningful.
//
// Latency: 0 (purely combinational; the cores register v' and s).  Throughput: 1 neuron-step per
// cycle.
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_LIF_FIRE_GT fires on u > theta.

`include "dualspike_macros.svh"

module lif_unit #(
  parameter int MembraneBits = 16,
  parameter int CurrentBits  = 24
) (
  input  logic                                model_lif_i,   // 0: "if", 1: "lif"
  input  logic                                reset_soft_i,  // 0: hard reset, 1: soft reset
  // ShiftBits = $clog2(MembraneBits): enough for any k in [1, V-1]. Icarus 11 accepts neither a
  // localparam in the parameter port list nor `int unsigned` parameters, hence the expression here.
  input  logic [$clog2(MembraneBits)-1:0]     leak_shift_i,  // k in [1, V-1]
  input  logic signed [MembraneBits-1:0]      threshold_i,   // theta in [1, 2^(V-1)-1]
  input  logic signed [MembraneBits-1:0]      v_i,           // membrane before this step
  input  logic signed [CurrentBits-1:0]       current_i,     // I[t], exact
  output logic                                spike_o,       // s[t]
  output logic signed [MembraneBits-1:0]      v_o            // membrane after reset
);

  // Exact working width. With M = max(V, CurrentBits):
  //   v + I       lies in [-2^(V-1) - 2^(C-1), 2^(V-1) + 2^(C-1) - 2]  -> fits M+1 signed bits;
  //   v + ((I - v) >>> k) lies between v and I (up to rounding) -> fits M+1 signed bits;
  //   u - theta (|theta| <= 2^(V-1)) fits M+2 signed bits.
  // WideBits = M+2 therefore holds every final result; the intermediate sums below are taken
  // modulo 2^WideBits, which is exact because each final result fits.
  localparam int MaxBits  = (MembraneBits > CurrentBits) ? MembraneBits : CurrentBits;
  localparam int WideBits = MaxBits + 2;
  // Bits [WideBits-1 : V-1] of a value that fits in V signed bits are all equal.
  localparam int SatBits  = WideBits - MembraneBits + 1;

  localparam logic signed [MembraneBits-1:0] VMax = {1'b0, {(MembraneBits - 1){1'b1}}};
  localparam logic signed [MembraneBits-1:0] VMin = {1'b1, {(MembraneBits - 1){1'b0}}};

  // Timing structure (docs/synthesis.md): the obvious form chains four carry chains (I - v,
  // v + leak, the compare u >= theta, the soft reset u - theta) behind the variable shift. Here:
  //   - the leak is split so that no carry chain precedes the shift:
  //       (I - v) >>> k = (I >>> k) - (v >>> k) - [I mod 2^k < v mod 2^k]   (floor division);
  //   - u = v + addend and d = u - theta come out of carry-save adders, in parallel, one carry
  //     chain each;
  //   - the fire test and the soft reset read d before saturation: sat_V(u) >= theta iff
  //     u >= theta for any V-bit theta, except u < VMin with theta = VMin; and sat_V(u) - theta
  //     is d in range, VMax - theta above it (theta only, a constant during a frame) and 0 below.
  logic signed [WideBits-1:0]     v_wide;        // v, sign-extended
  logic signed [WideBits-1:0]     current_wide;  // I, sign-extended
  logic signed [WideBits-1:0]     theta_wide;    // theta, sign-extended
  logic        [WideBits-1:0]     low_mask;      // 2^k - 1
  logic        [WideBits-1:0]     current_q;     // I >>> k
  logic        [WideBits-1:0]     v_q;           // v >>> k
  logic                           borrow;        // I mod 2^k < v mod 2^k
  // u = op_a + op_b + op_c + carry_in:  "if": v + I + 0 + 0;  "lif": v + (I>>>k) + ~(v>>>k) + !borrow
  logic        [WideBits-1:0]     op_a, op_b, op_c;
  logic                           carry_in;
  logic        [WideBits-1:0]     csa_sum, csa_carry;    // op_a + op_b + op_c, carry-save
  logic        [WideBits-1:0]     csa2_sum, csa2_carry;  // ... + ~theta, carry-save
  logic signed [WideBits-1:0]     u_wide;        // exact pre-saturation membrane
  logic signed [WideBits-1:0]     d_wide;        // u_wide - theta, exact
  logic        [SatBits-1:0]      u_top;         // bits that must agree for u_wide to fit V bits
  logic                           u_high;        // u_wide > VMax
  logic                           u_low;         // u_wide < VMin
  logic signed [MembraneBits-1:0] u;             // charged membrane, sat_V
  logic signed [MembraneBits-1:0] soft_high;     // VMax - theta
  logic                           theta_is_min;  // theta = VMin (only outside SPEC's range)
  logic                           spike;
  logic signed [MembraneBits-1:0] soft_value;    // sat_V(u) - theta

  // Sign extension by replication (WideBits exceeds both input widths by at least 2).
  assign v_wide       = {{(WideBits - MembraneBits){v_i[MembraneBits-1]}}, v_i};
  assign current_wide = {{(WideBits - CurrentBits){current_i[CurrentBits-1]}}, current_i};
  assign theta_wide   = {{(WideBits - MembraneBits){threshold_i[MembraneBits-1]}}, threshold_i};

  // Leak terms. The low-bit compare is unsigned on WideBits bits: for k >= WideBits both sides
  // map negative values above non-negative ones, as mod 2^k does, so the identity still holds.
  assign low_mask  = ~({WideBits{1'b1}} << leak_shift_i);
  assign current_q = current_wide >>> leak_shift_i;
  assign v_q       = v_wide >>> leak_shift_i;
  assign borrow    = (current_wide & low_mask) < (v_wide & low_mask);

  assign op_a     = v_wide;
  assign op_b     = model_lif_i ? current_q : current_wide;
  assign op_c     = model_lif_i ? ~v_q : '0;
  assign carry_in = model_lif_i & ~borrow;

  // Carry-save: three operands to two; the carry vector's free bit 0 takes a carry-in.
  assign csa_sum    = op_a ^ op_b ^ op_c;
  assign csa_carry  = {(op_a[WideBits-2:0] & op_b[WideBits-2:0])
                         | (op_a[WideBits-2:0] & op_c[WideBits-2:0])
                         | (op_b[WideBits-2:0] & op_c[WideBits-2:0]), carry_in};
  assign u_wide     = csa_sum + csa_carry;
  // d = u - theta = csa_sum + csa_carry + ~theta + 1.
  assign csa2_sum   = csa_sum ^ csa_carry ^ ~theta_wide;
  assign csa2_carry = {(csa_sum[WideBits-2:0] & csa_carry[WideBits-2:0])
                         | (csa_sum[WideBits-2:0] & ~theta_wide[WideBits-2:0])
                         | (csa_carry[WideBits-2:0] & ~theta_wide[WideBits-2:0]), 1'b1};
  assign d_wide     = csa2_sum + csa2_carry;

  // Saturate to V bits: in range iff the top SatBits bits are all ones or all zeros; out of range,
  // the sign picks the bound. (Part selects stay outside always_comb: Icarus 11 cannot handle
  // constant selects in always_* sensitivity.)
  assign u_top  = u_wide[WideBits-1:MembraneBits-1];
  assign u_high = ~u_wide[WideBits-1] & (|u_top);
  assign u_low  = u_wide[WideBits-1] & ~(&u_top);
  assign u      = u_high ? VMax : u_low ? VMin : u_wide[MembraneBits-1:0];

  // Fire. Signed: sat_V(u) >= theta.
  assign theta_is_min = (threshold_i == VMin);
`ifdef DUALSPIKE_BUG_LIF_FIRE_GT
  assign spike = (u > threshold_i);   // PLANTED BUG: strict comparison
`else
  assign spike = ~d_wide[WideBits-1] | (u_low & theta_is_min);
`endif

  // Reset. Soft: s = 1 means theta <= u <= 2^(V-1)-1 and theta >= 1, so
  // 0 <= u - theta <= 2^(V-1)-2 (SPEC range; V-bit wrap-around otherwise, as before).
  assign soft_high  = VMax - threshold_i;
  assign soft_value = u_high ? soft_high : u_low ? '0 : d_wide[MembraneBits-1:0];
  assign v_o        = !spike ? u : reset_soft_i ? soft_value : '0;

  assign spike_o = spike;

  // Parameter checks at elaboration. Icarus 11 cannot parse elaboration-time $error, so it skips
  // them; Verilator (lint and every Verilator build) enforces them.
`ifndef __ICARUS__
  if (MembraneBits < 4 || MembraneBits > 32) begin : g_bad_membrane_bits
    $error("lif_unit: MembraneBits must be in 4..32, got %0d", MembraneBits);
  end
  if (CurrentBits < 2) begin : g_bad_current_bits
    $error("lif_unit: CurrentBits must be >= 2, got %0d", CurrentBits);
  end
`endif

endmodule
