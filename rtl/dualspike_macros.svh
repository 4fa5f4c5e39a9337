// Copyright dualspike contributors.
//
// dualspike_macros.svh: macros shared by the RTL files (included before each module).
//
// `DUALSPIKE_ALWAYS_COMB opens a combinational process. It is `always_comb` everywhere except
// under Icarus, where it is `always @*`: Icarus 11 re-evaluates an always_comb block far more
// often than the equivalent always @* (measured on the sparse conv core regression set:
// 60 s -> 28 s for the same 37 examples, 57,788 cycles). The two mean the same hardware for
// the blocks here: each assigns all its outputs from its inputs, with defaults first, and none
// depends on constants alone (always_comb's extra evaluation at time 0 is never needed; every
// output is defined by the reset sequence, and the testbenches read outputs as integers, which
// fails on X).

`ifndef DUALSPIKE_MACROS_SVH
`define DUALSPIKE_MACROS_SVH

`ifdef __ICARUS__
  `define DUALSPIKE_ALWAYS_COMB always @*
`else
  `define DUALSPIKE_ALWAYS_COMB always_comb
`endif

// `DUALSPIKE_CHECK_OUT_STREAM(PayloadBits) (simulation only, inside `ifndef SYNTHESIS): declares
// sva_armed (1 from the first clock edge after reset) and checks a core's output stream
// (out_valid_o, out_ready_i, {out_last_o, out_data_o}; PayloadBits = data bits + 1) with
// stream_stable_checker. Every core has that stream, so the port map is written here once.
`define DUALSPIKE_CHECK_OUT_STREAM(PayloadBits) \
  logic sva_armed; \
  stream_stable_checker #( \
    .Width (PayloadBits) \
  ) u_out_stable ( \
    .clk_i   (clk_i), \
    .rst_ni  (rst_ni), \
    .valid_i (out_valid_o), \
    .ready_i (out_ready_i), \
    .data_i  ({out_last_o, out_data_o}), \
    .armed_o (sva_armed) \
  );

// `DUALSPIKE_SVA_ARMED (simulation only, inside `ifndef SYNTHESIS): declares the flop
// sva_armed_q, 0 in reset and 1 from the first clock edge after it (X before the first reset),
// which gates a block's assertions so that nothing is checked before the design was reset.
`define DUALSPIKE_SVA_ARMED \
  logic sva_armed_q; \
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_sva_reg \
    if (!rst_ni) begin \
      sva_armed_q <= 1'b0; \
    end else begin \
      sva_armed_q <= 1'b1; \
    end \
  end

// `DUALSPIKE_LIF_WIDE_BITS(V, C): the exact working width of a LIF step (lif_charge, lif_fire)
// for membranes of V bits and currents of C bits, max(V, C) + 2 (derivation in lif_charge.sv).
// A macro so that a port width can use it (Icarus 11 takes no localparam in a port list).
`define DUALSPIKE_LIF_WIDE_BITS(V, C) ((((V) > (C)) ? (V) : (C)) + 2)

`endif  // DUALSPIKE_MACROS_SVH
