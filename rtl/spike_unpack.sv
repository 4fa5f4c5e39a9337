// Copyright dualspike contributors.
//
// spike_unpack: a pixel's T timesteps in one beat in, its T beats out. The input beat carries
// T x C spike bits (bit t*C + c = channel c at timestep t: the dense input core's WideBeat
// output, or a max-pool over it at Timesteps = 1); the output is the spike stream of
// docs/cores.md, time-inner: beats t = 0 .. T-1 of C bits, last on the T-th beat of an input
// beat with last (docs/dense_input_core.md, "A pixel per beat").
//
// Behaviour: the held beat's timesteps leave in order, one per output handshake; the next input
// beat is taken in the cycle the held one's last timestep leaves (or when nothing is held):
//   out_valid_o = held;  in_ready_o = !held || (t == T-1 && out_ready_i)
// so a pixel per T cycles passes with free-running streams and no cycle is lost between
// pixels. in_ready_o follows out_ready_i combinationally (a stream_fifo in front breaks the path
// where a network needs it).
// Latency: an input beat taken at edge n offers its first timestep after edge n.
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_UNPACK_LAST_EARLY puts last on
// every timestep of a last input beat, not only on its T-th.

`include "dualspike_macros.svh"

module spike_unpack #(
  parameter int Channels  = 4,  // C
  parameter int Timesteps = 2   // T
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic                            in_valid_i,
  output logic                            in_ready_o,
  input  logic [Timesteps*Channels-1:0]   in_data_i,
  input  logic                            in_last_i,
  output logic                            out_valid_o,
  input  logic                            out_ready_i,
  output logic [Channels-1:0]             out_data_o,
  output logic                            out_last_o
);

  localparam int TBits = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam logic [TBits-1:0] TLast = TBits'(Timesteps - 1);

  logic                          held_d, held_q;   // a beat is held (its timesteps leaving)
  logic [Timesteps*Channels-1:0] data_d, data_q;
  logic                          last_d, last_q;
  logic [TBits-1:0]              t_d, t_q;         // the timestep offered
  logic                          in_fire, out_fire;

  assign out_fire   = held_q & out_ready_i;
  assign in_ready_o = !held_q || (t_q == TLast && out_ready_i);
  assign in_fire    = in_valid_i & in_ready_o;

  `DUALSPIKE_ALWAYS_COMB begin : p_next
    held_d = held_q;
    data_d = data_q;
    last_d = last_q;
    t_d    = t_q;
    if (out_fire) begin
      t_d = t_q + TBits'(1);
      if (t_q == TLast) begin
        held_d = 1'b0;
        t_d    = '0;
      end
    end
    if (in_fire) begin
      held_d = 1'b1;
      data_d = in_data_i;
      last_d = in_last_i;
      t_d    = '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      held_q <= 1'b0;
      data_q <= '0;
      last_q <= 1'b0;
      t_q    <= '0;
    end else begin
      held_q <= held_d;
      data_q <= data_d;
      last_q <= last_d;
      t_q    <= t_d;
    end
  end

  assign out_valid_o = held_q;
  assign out_data_o  = data_q[t_q * Channels +: Channels];
`ifdef DUALSPIKE_BUG_UNPACK_LAST_EARLY
  // PLANTED BUG: last on every timestep of a last input beat.
  assign out_last_o  = held_q & last_q;
`else
  assign out_last_o  = held_q & last_q & (t_q == TLast);
`endif

`ifndef SYNTHESIS
  // OutValidHeld / OutDataStable: a stalled output beat stays offered, unchanged.
  `DUALSPIKE_CHECK_OUT_STREAM(Channels + 1)

  always @(posedge clk_i) begin : p_sva
    if (sva_armed) begin
      // TimestepInRange_A: the timestep offered stays below T (T need not be a power of two).
      assert (int'(t_q) < Timesteps)
        else $error("TimestepInRange_A: timestep %0d of %0d", t_q, Timesteps);
    end
  end
`endif

`ifndef __ICARUS__
  if (Channels < 1 || Timesteps < 1) begin : g_bad_size
    $error("spike_unpack: Channels and Timesteps must be >= 1, got %0d, %0d", Channels,
           Timesteps);
  end
`endif

endmodule
