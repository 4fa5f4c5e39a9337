// Copyright dualspike contributors.
//
// lif_charge: the charge half of a LIF step (SPEC section 2): the exact membrane before
// saturation and its distance to the threshold. lif_fire takes them on to spike and reset;
// lif_unit is the two in one cycle, and a core whose membrane loop has room registers the
// two outputs between them (rtl/sparse_conv_core.sv, docs/synthesis.md).
//
// Equation (golden model: golden.neuron step, before sat_V), all integer and exact:
//   model "if"  (model_lif_i = 0):  u = v + I
//   model "lif" (model_lif_i = 1):  u = v + ((I - v) >>> k)     k = leak_shift_i
//   d = u - theta                                                theta = threshold_i
// `>>>` is an arithmetic shift right of a signed value, i.e. floor division by 2^k.
//
// Worked examples (V = 16, C = 24, W = 26): if,  v=10, I=20, theta=24 -> u=30, d=6
//                                           lif, v=0,  I=-3, k=1     -> u=-2 (floor, not -1)
//                                           if,  v=32767, I=5, theta=1 -> u=32772 (unsaturated)
//
// Parameters:
//   MembraneBits  V, width of the membrane and of the threshold, 4..32.
//   CurrentBits   C, width of the signed synaptic current I, >= 2.
// Outputs are W = `DUALSPIKE_LIF_WIDE_BITS(V, C) = max(V, C) + 2 bits wide, signed. With
// M = max(V, C): v + I lies in [-2^(V-1) - 2^(C-1), 2^(V-1) + 2^(C-1) - 2] and
// v + ((I - v) >>> k) between v and I (up to rounding), so u fits M + 1 signed bits, and
// u - theta (|theta| <= 2^(V-1)) fits M + 2. The sums below are taken modulo 2^W, which is
// exact because each result fits.
// Preconditions (SPEC section 1): theta in [1, 2^(V-1)-1]; k in [1, V-1] when model_lif_i = 1.
//
// Latency: 0 (combinational).  Throughput: 1 neuron-step per cycle.

`include "dualspike_macros.svh"

module lif_charge #(
  parameter int MembraneBits = 16,
  parameter int CurrentBits  = 24
) (
  input  logic                                model_lif_i,   // 0: "if", 1: "lif"
  // ShiftBits = $clog2(MembraneBits): enough for any k in [1, V-1]. Icarus 11 accepts neither a
  // localparam in the parameter port list nor `int unsigned` parameters, hence the expression here.
  input  logic [$clog2(MembraneBits)-1:0]     leak_shift_i,  // k in [1, V-1]
  input  logic signed [MembraneBits-1:0]      threshold_i,   // theta in [1, 2^(V-1)-1]
  input  logic signed [MembraneBits-1:0]      v_i,           // membrane before this step
  input  logic signed [CurrentBits-1:0]       current_i,     // I[t], exact
  output logic signed [`DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits)-1:0] u_o,  // u
  output logic signed [`DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits)-1:0] d_o   // u - theta
);

  localparam int WideBits = `DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits);

  // Timing structure (docs/synthesis.md): the obvious form chains three carry chains (I - v,
  // v + leak, u - theta) behind the variable shift. Here:
  //   - the leak is split so that no carry chain precedes the shift:
  //       (I - v) >>> k = (I >>> k) - (v >>> k) - [I mod 2^k < v mod 2^k]   (floor division);
  //   - u = v + addend and d = u - theta come out of carry-save adders, in parallel, one carry
  //     chain each.
  logic signed [WideBits-1:0] v_wide;        // v, sign-extended
  logic signed [WideBits-1:0] current_wide;  // I, sign-extended
  logic signed [WideBits-1:0] theta_wide;    // theta, sign-extended
  logic        [WideBits-1:0] low_mask;      // 2^k - 1
  logic        [WideBits-1:0] current_q;     // I >>> k
  logic        [WideBits-1:0] v_q;           // v >>> k
  logic                       borrow;        // I mod 2^k < v mod 2^k
  // u = op_a + op_b + op_c + carry_in:
  //   "if": v + I + 0 + 0;  "lif": v + (I>>>k) + ~(v>>>k) + !borrow
  logic        [WideBits-1:0] op_a, op_b, op_c;
  logic                       carry_in;
  logic        [WideBits-1:0] csa_sum, csa_carry;    // op_a + op_b + op_c, carry-save
  logic        [WideBits-1:0] csa2_sum, csa2_carry;  // ... + ~theta, carry-save

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

  // Carry-save: three operands to two. The carry-in enters both adders as their carry-in, not
  // through the carry vector's free bit 0: there it went through the second carry-save stage,
  // a LUT and a route more between the borrow's compare and d's adder (the events network's
  // critical path, docs/synthesis.md).
  assign csa_sum    = op_a ^ op_b ^ op_c;
  assign csa_carry  = {(op_a[WideBits-2:0] & op_b[WideBits-2:0])
                         | (op_a[WideBits-2:0] & op_c[WideBits-2:0])
                         | (op_b[WideBits-2:0] & op_c[WideBits-2:0]), 1'b0};
  assign u_o        = csa_sum + csa_carry + WideBits'(carry_in);
  // d = u - theta = csa_sum + csa_carry + ~theta + 1 + carry_in.
  assign csa2_sum   = csa_sum ^ csa_carry ^ ~theta_wide;
  assign csa2_carry = {(csa_sum[WideBits-2:0] & csa_carry[WideBits-2:0])
                         | (csa_sum[WideBits-2:0] & ~theta_wide[WideBits-2:0])
                         | (csa_carry[WideBits-2:0] & ~theta_wide[WideBits-2:0]), 1'b1};
  assign d_o        = csa2_sum + csa2_carry + WideBits'(carry_in);

  // Parameter checks at elaboration. Icarus 11 cannot parse elaboration-time $error, so it skips
  // them; Verilator (lint and every Verilator build) enforces them.
`ifndef __ICARUS__
  if (MembraneBits < 4 || MembraneBits > 32) begin : g_bad_membrane_bits
    $error("lif_charge: MembraneBits must be in 4..32, got %0d", MembraneBits);
  end
  if (CurrentBits < 2) begin : g_bad_current_bits
    $error("lif_charge: CurrentBits must be >= 2, got %0d", CurrentBits);
  end
`endif

endmodule
