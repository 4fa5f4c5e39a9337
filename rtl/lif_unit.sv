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
  //   I - v       lies in [-2^(C-1) - 2^(V-1) + 1, 2^(C-1) + 2^(V-1) - 1] -> fits M+1 signed bits;
  //   (I - v) >>> k has magnitude <= |I - v|, so v + ((I - v) >>> k) fits M+2 signed bits.
  // M+2 bits therefore never overflows, whatever V and CurrentBits are.
  localparam int MaxBits  = (MembraneBits > CurrentBits) ? MembraneBits : CurrentBits;
  localparam int WideBits = MaxBits + 2;
  // Bits [WideBits-1 : V-1] of a value that fits in V signed bits are all equal.
  localparam int SatBits  = WideBits - MembraneBits + 1;

  localparam logic signed [MembraneBits-1:0] VMax = {1'b0, {(MembraneBits - 1){1'b1}}};
  localparam logic signed [MembraneBits-1:0] VMin = {1'b1, {(MembraneBits - 1){1'b0}}};

  logic signed [WideBits-1:0]     v_wide;      // v, sign-extended
  logic signed [WideBits-1:0]     current_wide; // I, sign-extended
  logic signed [WideBits-1:0]     leak_wide;   // (I - v) >>> k
  logic signed [WideBits-1:0]     addend_wide; // what is added to v: I ("if") or the leak term
  logic signed [WideBits-1:0]     u_wide;      // exact pre-saturation membrane
  logic        [SatBits-1:0]      u_top;       // bits that must agree for u_wide to fit V bits
  logic signed [MembraneBits-1:0] u_low;       // u_wide truncated to V bits
  logic                           u_neg;       // sign of u_wide
  logic signed [MembraneBits-1:0] u;           // charged membrane, sat_V
  logic                           spike;

  // Sign extension by replication (WideBits exceeds both input widths by at least 2).
  assign v_wide       = {{(WideBits - MembraneBits){v_i[MembraneBits-1]}}, v_i};
  assign current_wide = {{(WideBits - CurrentBits){current_i[CurrentBits-1]}}, current_i};

  // Charge.
  `DUALSPIKE_ALWAYS_COMB begin
    leak_wide   = (current_wide - v_wide) >>> leak_shift_i;  // arithmetic: signed operand
    addend_wide = model_lif_i ? leak_wide : current_wide;
    u_wide      = v_wide + addend_wide;
  end

  // Saturate to V bits: in range iff the top SatBits bits are all ones or all zeros; out of range,
  // the sign (u_top's MSB) picks the bound. (Part selects stay outside always_comb: Icarus 11
  // cannot handle constant selects in always_* sensitivity.)
  assign u_top = u_wide[WideBits-1:MembraneBits-1];
  assign u_low = u_wide[MembraneBits-1:0];
  assign u_neg = u_wide[WideBits-1];
  `DUALSPIKE_ALWAYS_COMB begin
    u = u_low;
    if (!((&u_top) || !(|u_top))) begin
      u = u_neg ? VMin : VMax;
    end
  end

  // Fire. Both operands are signed V-bit values, so the comparison is signed.
`ifdef DUALSPIKE_BUG_LIF_FIRE_GT
  assign spike = (u > threshold_i);   // PLANTED BUG: strict comparison
`else
  assign spike = (u >= threshold_i);
`endif

  // Reset. Soft: s = 1 means theta <= u <= 2^(V-1)-1 and theta >= 1, so
  // 0 <= u - theta <= 2^(V-1)-2: the V-bit subtraction never overflows.
  `DUALSPIKE_ALWAYS_COMB begin
    v_o = u;
    if (spike) begin
      v_o = reset_soft_i ? (u - threshold_i) : '0;
    end
  end

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
