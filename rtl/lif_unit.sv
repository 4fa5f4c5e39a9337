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
//                 Any value up to (at least) 40 is exact: see lif_charge.
//   Stages        1: the step in one cycle (combinational; clk_i and load_i unused).
//                 2: the charge half's results (u and u - theta, exact) are registered between
//                 the halves at an edge with load_i high; spike_o and v_o answer the inputs of
//                 the last such edge (the fire half on the registers). A core with room in its
//                 membrane loop uses it, so the loop holds half the step: the conv core (R > 4)
//                 and the dense input core (NeuronStages = 2). The registers have no reset: the
//                 caller reads the outputs only after a load.
// Runtime inputs (model, reset, leak shift, threshold) rather than parameters, so one core serves
// any layer and the neuron parameters can be loaded from a configuration memory.
// Preconditions (SPEC section 1): theta in [1, 2^(V-1)-1]; k in [1, V-1] when model_lif_i = 1.
// Outside them the outputs are still defined (pure function of the inputs) but not meaningful.
//
// Structure: lif_charge (u before saturation and d = u - theta, exact) then lif_fire (saturation,
// fire, reset); the exact widths and the timing structure are documented there.
//
// Latency: 0 (purely combinational; the cores register v' and s).  Throughput: 1 neuron-step per
// cycle.
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_LIF_FIRE_GT (in lif_fire)
// fires on u > theta.

`include "dualspike_macros.svh"

module lif_unit #(
  parameter int MembraneBits = 16,
  parameter int CurrentBits  = 24,
  parameter int Stages       = 1
) (
  input  logic                                clk_i,         // Stages = 2
  input  logic                                load_i,        // Stages = 2: register the charge
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

  // The two halves, in one cycle (Stages = 1) or with a register between (Stages = 2).
  localparam int WideBits = `DUALSPIKE_LIF_WIDE_BITS(MembraneBits, CurrentBits);
  logic signed [WideBits-1:0] u_wide;  // exact pre-saturation membrane
  logic signed [WideBits-1:0] d_wide;  // u_wide - theta, exact
  logic signed [WideBits-1:0] u_at_fire;  // what the fire half takes
  logic signed [WideBits-1:0] d_at_fire;

  lif_charge #(
    .MembraneBits (MembraneBits),
    .CurrentBits  (CurrentBits)
  ) u_charge (
    .model_lif_i  (model_lif_i),
    .leak_shift_i (leak_shift_i),
    .threshold_i  (threshold_i),
    .v_i          (v_i),
    .current_i    (current_i),
    .u_o          (u_wide),
    .d_o          (d_wide)
  );

  lif_fire #(
    .MembraneBits (MembraneBits),
    .CurrentBits  (CurrentBits)
  ) u_fire (
    .reset_soft_i (reset_soft_i),
    .threshold_i  (threshold_i),
    .u_i          (u_at_fire),
    .d_i          (d_at_fire),
    .spike_o      (spike_o),
    .v_o          (v_o)
  );

  if (Stages == 2) begin : g_charge_reg
    always_ff @(posedge clk_i) begin : p_charge_q
      if (load_i) begin
        u_at_fire <= u_wide;
        d_at_fire <= d_wide;
      end
    end
  end else begin : g_charge_wire
    assign u_at_fire = u_wide;
    assign d_at_fire = d_wide;
    // verilator lint_off UNUSEDSIGNAL
    logic unused_clock;  // Stages = 1: combinational
    assign unused_clock = clk_i ^ load_i;
    // verilator lint_on UNUSEDSIGNAL
  end

  // The halves check their widths.
`ifndef __ICARUS__
  if (Stages != 1 && Stages != 2) begin : g_bad_stages
    $error("lif_unit: Stages must be 1 or 2, got %0d", Stages);
  end
`endif

endmodule
