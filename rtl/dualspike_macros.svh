// Copyright dualspike contributors.
//
// dualspike_macros.svh: macros shared by every RTL file (included before each module).
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

`endif  // DUALSPIKE_MACROS_SVH
