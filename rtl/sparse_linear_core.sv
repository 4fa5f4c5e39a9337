// Copyright dualspike contributors.
//
// sparse_linear_core: a fully connected layer with dual-side sparsity (SPEC sections 2 and 3,
// docs/cores.md, docs/sparse_linear_core.md).
//
// Equation (golden: golden.layers.flatten_chw + linear_currents, then golden.neuron.run_neuron):
//   in[t][i]  = spike of channel c at pixel p = y*W + x, timestep t,  i = c*H*W + p
//   I[t][o]   = b[o] + sum_i w[o][i] * in[t][i]                  exact (CurrentBits, see below)
//   HasNeuron = 1: s[t][o] from the neuron of SPEC 2 (rtl/lif_unit.sv), membrane v = 0 at the
//                  start of every frame, held over the T timesteps; out beat t = s[t] (O bits).
//   HasNeuron = 0: out beat t = I[t] (the current stream: O x CurrentBits, o at [o*CB +: CB]).
// The sum is computed through the bitmaps (SPEC 3) over the fan-in in pixel-major order,
// position k = p*C + c (a permutation of i: the weights' columns are permuted to match by the
// generator, golden.cores.pixel_major_order, so that the frame buffer stores a beat as a memory
// word, rtl/linear_frame_buffer.sv): per group g of G positions,
// e = wbitmap & sbitmap, and every effectual pair adds the packed weight at
// (running popcount of the bitmaps walked before) + popcount(wbitmap below the position).
//
// CurrentBits = clog2(2^(V-1) + F * 2^(B-1)) + 1: |I| <= 2^(V-1) + F*2^(B-1) =: M and both
// -M (bias = -2^(V-1), every weight -2^(B-1), every input spiking) and M - 1 fit, and no
// narrower width holds -M (golden: golden.cycles.sparse_linear.current_bits, which checks it
// against golden.config.current_bounds).
//
// Schedule (per frame; R = ceil(O / P) rows, NG = ceil(F / G) groups):
//   input: beats are written into a double-buffered frame store (linear_frame_buffer);
//   for t = 0..T-1, r = 0..R-1, g = 0..NG-1: group g of timestep t is read (each bank's weight
//     bitmap and the spikes, from registers) into the group stage (per bank the weight bitmap
//     and the effectual bits e = wbitmap & sbitmap, registered), and from there goes to the P
//     bank detectors at once (bank p = feature o = r*P + p, weights of bank p only); the stage
//     takes the next group in the cycle the detectors take its group, so it costs no
//     throughput; it keeps the bitmap read and the AND (and the spike word's route to every
//     bank) out of the detectors' popcount at acceptance (docs/synthesis.md); each detector emits
//     max(1, ceil(pairs / L)) beats of up to L pairs; the next group enters when every detector
//     has emitted its last beat (lock-step), so a group costs max_p max(1, ceil(e_p / L)) cycles;
//   a silent timestep (no spike in its beats; the frame buffer flags it as they arrive) with
//     NG > 1 issues only the first group of each row, as the row's last (no group of it has an
//     effectual pair; the running base restarts after the timestep as after any), and the stage
//     load after its last row waits a cycle (refill_q): R + 1 cycles instead of R * NG, so a
//     silent frame costs T * (R + 1), not T * R * NG (docs/sparse_linear_core.md: under its
//     input stream on digits28 and the events network); without a neuron (HasNeuron = 0) the
//     timestep is one group, its first row's first, taken as the timestep's last row: no
//     neuron steps, and its currents are the biases, so the output beat is the biases of every
//     feature (2 cycles a silent timestep, 2T a silent frame);
//   a silent frame (no spike at all) is replayed once its beats are known (the biases without
//     a neuron, the one row's step with R = 1, else those kept from the first silent frame
//     walked): T tokens, one a timestep, from the cycle after its last beat (docs/
//     sparse_linear_core.md, "Silent frames"): silent frames are paced by their input stream;
//   each beat: the L packed addresses base_p + idx are registered at the beat's edge (the
//     address stage), the weights read there at the next edge (one sdp_ram copy per lane:
//     synchronous block / LUT RAM; the weight stage), registered at the edge after and summed
//     into the bank's accumulator in that cycle, the sum stage (the three stages move with the
//     detectors: all stall together);
//   after a row's last beat left the sum stage: I = bias + accumulator -> row register (one
//     cycle; a second, skid register takes the row when the first is held by the output, so the
//     stages' stall comes from a flip-flop, not through the output's ready; the row's P
//     membranes are selected as it enters) -> neuron step of the P features (membranes of all O
//     features are held over the T steps; NeuronStages = 2: the charge half, registered in the
//     fire register, then the fire half) -> bit o of the output beat; after the last row of
//     timestep t the beat is emitted.
//   Timestep t may start once the last pixel's beat of timestep t has arrived (early start).
// Latency: first group of timestep t in the group stage two cycles after that beat (the frame
//   buffer's read register: linear_frame_buffer), in the detectors one cycle later; output beat
//   of t leaves 4 + NeuronStages cycles after the last beat of its last group (address stage,
//   weight stage, sum stage, row register, [fire register,] output register).
// Throughput: cycles per frame = sum over (t, r, g) of max_p max(1, ceil(e / L)) (R + 1 for a
//   silent timestep), plus the input and the tail; golden.cycles.sparse_linear models it exactly
//   (free-running streams).
//
// Config write port (docs/cores.md section 3): sel 0 bitmap[bank][r*NG + g] (G bits), 1
// weight[bank][running] (B bits), 2 bias[o] (V bits), 3 neuron[0: threshold, 1: leak_shift,
// 2: model_lif | reset_soft << 1] (HasNeuron = 1 only; ignored otherwise). One write per cycle,
// never while a frame is in flight. Memories have no reset: the bitmaps and biases are arrays
// read asynchronously (like lowRISC prim_ram), the weights sdp_rams (rtl/sdp_ram.sv); every word
// that is used has been written by the load (config_writes writes every bitmap and bias word;
// unwritten weight words are only read by invalid lanes, which are masked).
//
// Parameters:
//   InChannels C, InHeight H, InWidth W   incoming spike stream (F = C*H*W), each >= 1
//   OutFeatures O >= 1, Timesteps T >= 1
//   Parallel P >= 1 (banks, need not divide O), Lanes L >= 1, GroupWidth G in 1..32 (the cfg
//   port carries a bitmap word in 32 bits), WeightBits B in 2..8, MembraneBits V in 4..32,
//   HasNeuron 0/1.
//   NeuronStages: 1 (the LIF step in the row register's cycle) or 2 (its charge half registered
//     in a fire register after the row register: a cycle more latency, the same throughput;
//     needs a neuron and R >= 2, chosen by golden.cores).
//   InitPrefix: "" (default) = the memories start empty and the configuration port loads them;
//     else each memory loads the $readmemh image {InitPrefix}<memory>.mem at time 0 (bitmap_b<pp>,
//     weight_b<pp>: bank pp in two digits, every lane's weight copy loads the bank's image; bias)
//     and only the neuron registers still need the port (docs/vectors.md, "Preloading memories").
//   CurrentBits, CfgAddrBits: derived, do not override (they are parameters only because Icarus
//   11 has no localparam in a port list). CfgAddrBits = clog2(max(R*F, O, 3)).
//
// Planted bug (test-suite self-check only): `define DUALSPIKE_BUG_LINEAR_LOST_LAST_TIMESTEP
// computes the last timestep (T-1) from the spikes of timestep T-2 (T >= 2).

`include "dualspike_macros.svh"

module sparse_linear_core #(
  parameter int InChannels   = 4,
  parameter int InHeight     = 1,
  parameter int InWidth      = 1,
  parameter int OutFeatures  = 4,
  parameter int Timesteps    = 4,
  parameter int Parallel     = 2,
  parameter int Lanes        = 2,
  parameter int GroupWidth   = 8,
  parameter int WeightBits   = 4,
  parameter int MembraneBits = 16,
  parameter int HasNeuron    = 1,
  parameter int NeuronStages = 1,
  parameter     InitPrefix   = "",
  // Derived (do not override).
  parameter int CurrentBits  = $clog2((64'd1 << (MembraneBits - 1))
                                      + 64'(InChannels * InHeight * InWidth)
                                        * (64'd1 << (WeightBits - 1))) + 1,
  parameter int CfgAddrBits  = $clog2(
      ((((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight * InWidth
        > OutFeatures) ? ((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight
                         * InWidth : OutFeatures) > 3
      ? ((((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight * InWidth
          > OutFeatures) ? ((OutFeatures + Parallel - 1) / Parallel) * InChannels * InHeight
                           * InWidth : OutFeatures)
      : 3)
) (
  input  logic                                                     clk_i,
  input  logic                                                     rst_ni,
  // Spike stream in: InChannels bits per beat, H*W pixels x T beats per frame.
  input  logic                                                     in_valid_i,
  output logic                                                     in_ready_o,
  input  logic [InChannels-1:0]                                    in_data_i,
  input  logic                                                     in_last_i,
  // Spike stream (HasNeuron = 1) or current stream (HasNeuron = 0) out: T beats per frame.
  output logic                                                     out_valid_o,
  input  logic                                                     out_ready_i,
  output logic [((HasNeuron != 0) ? OutFeatures
                                  : OutFeatures * CurrentBits)-1:0] out_data_o,
  output logic                                                     out_last_o,
  // Configuration write port.
  input  logic                                                     cfg_valid_i,
  input  logic [1:0]                                               cfg_sel_i,
  input  logic [((Parallel > 1) ? $clog2(Parallel) : 1)-1:0]       cfg_bank_i,
  input  logic [CfgAddrBits-1:0]                                   cfg_addr_i,
  input  logic [31:0]                                              cfg_data_i
);

  // ---------------------------------------------------------------------------------------------
  // Derived sizes
  // ---------------------------------------------------------------------------------------------
  localparam int Pixels     = InHeight * InWidth;
  localparam int FanIn      = InChannels * Pixels;
  localparam int Groups     = (FanIn + GroupWidth - 1) / GroupWidth;     // NG
  localparam int Rows       = (OutFeatures + Parallel - 1) / Parallel;   // R
  localparam int BitmapDep  = Rows * Groups;
  localparam int WeightDep  = Rows * FanIn;                              // dense worst case
  localparam int OutBits    = (HasNeuron != 0) ? OutFeatures : OutFeatures * CurrentBits;
  localparam int CB         = CurrentBits;
  localparam int BankBits   = (Parallel > 1) ? $clog2(Parallel) : 1;
  localparam int TBits      = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  localparam int RBits      = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int GBits      = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int BAddrBits  = (BitmapDep > 1) ? $clog2(BitmapDep) : 1;
  // Levels of the detectors' prefix sums done in the group stage: about half of the
  // $clog2(G) levels (none for G <= 2, where the tree has one level or none).
  localparam int DetPreLevels = (GroupWidth > 2) ? $clog2(GroupWidth) / 2 : 0;
  localparam int FeatBits   = (Rows * Parallel > 1) ? $clog2(Rows * Parallel) : 1;
  localparam int OIdxBits   = (OutFeatures > 1) ? $clog2(OutFeatures) : 1;
  localparam int ShiftBits  = $clog2(MembraneBits);
  localparam int MemBits    = (HasNeuron != 0) ? MembraneBits : 1;       // membrane width used

  localparam logic [TBits-1:0] LastT = TBits'(Timesteps - 1);
  localparam logic [RBits-1:0] LastR = RBits'(Rows - 1);
  localparam logic [GBits-1:0] LastG = GBits'(Groups - 1);
  // The position after (t, r, g) = (0, 0, 0): the step registers' reset value.
  localparam logic [GBits-1:0] StepG0 = GBits'((Groups > 1) ? 1 : 0);
  localparam logic [RBits-1:0] StepR0 = RBits'((Groups > 1) ? 0 : ((Rows > 1) ? 1 : 0));
  localparam logic [TBits-1:0] StepT0 = TBits'((Groups > 1 || Rows > 1) ? 0
                                               : ((Timesteps > 1) ? 1 : 0));

  // ---------------------------------------------------------------------------------------------
  // Input frame store
  // ---------------------------------------------------------------------------------------------
  logic [TBits-1:0]      iss_t_d, iss_t_q;   // issue position: timestep,
  logic [RBits-1:0]      iss_r_d, iss_r_q;   // row,
  logic [GBits-1:0]      iss_g_d, iss_g_q;   // group
  // The bitmap word of (iss_r, iss_g), r*NG + g, counted rather than multiplied (timing).
  logic [BAddrBits-1:0]  iss_word_d, iss_word_q;
  // The bitmap word of the step position, one step ahead like step_t/r/g: every bank reads the
  // word it will hold after a stage load from a register, not through the stage load.
  logic [BAddrBits-1:0]  step_word_d, step_word_q;
  logic [TBits-1:0]      rd_t;               // timestep whose spikes are read
  // The issue position after a step (a stage load), kept in registers one step ahead of the
  // issue position, with the issue position's last-g/r/t flags: the frame buffer reads both
  // groups straight from flip-flops and the stage load picks one (it arrives late, through
  // every bank).
  logic [TBits-1:0]      step_t_d, step_t_q;
  logic [RBits-1:0]      step_r_d, step_r_q;
  logic [GBits-1:0]      step_g_d, step_g_q;
  logic                  step_last_g, step_last_r, step_last_t;  // the stepped position's flags
  logic [TBits-1:0]      rd_step_t;          // step_t as the frame buffer reads it
  logic [GroupWidth-1:0] rd_bits;            // the frame buffer's group (rd_t, iss_g)
  logic [GroupWidth-1:0] sbitmap;            // spike bitmap of group (rd_t, iss_g): rd_bits
                                             // (a token's bits are dropped in the group stage)
  logic                  avail;              // timestep iss_t of the current frame is complete
  logic                  rd_silent;          // ... and none of its beats had a spike
  // A silent timestep's row costs one group (its first, taken as the row's last): every group
  // of it has no effectual pair. skip: the issue position is such a row's first group.
  logic                  skip;
  // The position after a skip: the next row's first group (rn: row next), with its flags.
  logic [TBits-1:0]      rn_t;
  logic [RBits-1:0]      rn_r;
  logic [BAddrBits-1:0]  rn_word;
  logic                  rn_last_r, rn_last_t;
  // A skip out of the timestep's last row moves the issue to a group the frame buffer's read
  // register and the bitmap registers have not read (they read the step position, the group
  // after the issue's): the next stage load waits a cycle, in which both reload from the issue
  // position.
  logic                  refill_q;
  logic                  iss_last_g_d, iss_last_g_q;
  logic                  iss_last_r_d, iss_last_r_q;
  logic                  iss_last_t_d, iss_last_t_q;
  logic                  iss_last_g, iss_last_r, iss_last_t;
  logic                  stage_load;         // the issue position's group enters the group stage
  logic                  accept;             // the stage's group enters the P detectors
  logic                  release_frame;
  // Silent frames (docs/sparse_linear_core.md, "Silent frames"): a complete frame without a
  // spike is issued as T tokens, one a timestep: its first group, taken as the timestep's last
  // row (every group read is zero: no effectual pair), so it costs T cycles. Its beats are
  // those of every silent frame: the biases (HasNeuron = 0), the one row's step (R = 1), else
  // the beats kept from the first silent frame walked (silent_beats_q, below). The first token
  // releases the frame's buffer (the others read nothing); the read registers prefetch the
  // next frame's first group at the last token (the step registers hold (0, 0, 0) from the
  // first; with T = 1 the one token reads (0, 0) instead of the step position: token_one), so
  // no refill follows.
  // (One group of one row: a silent timestep costs its one group anyway, but with T = 1 the
  // replay still starts a cycle sooner, when the frame is complete, and frees its buffer.)
  localparam bit         Replay = (Groups > 1) || (Rows > 1) || (Timesteps == 1);
  localparam logic [BAddrBits-1:0] StepWord0 = BAddrBits'((BitmapDep > 1) ? 1 : 0);
  logic                  rd_complete;        // the frame being read is complete
  logic                  rd_all_silent;      // ... and has no spike
  logic                  rd_silent0;         // its timestep 0 has no spike (so far)
  logic                  frame_start_q;      // the issue position is a frame's first group
  logic                  leave_frame;        // the stage load leaves the frame
  logic                  replay_ok;          // a silent frame's beats are known without a walk
  logic                  hold;               // the frame may be silent: wait for its end
  logic                  rp_go;              // the frame at the issue is replayed from now
  logic                  rp_q;               // the issue is inside a replayed frame
  logic                  token;              // the issue position is a replay token
  logic                  token_one;          // ... the only one of its frame (T = 1)
  logic                  jump;               // a skip or a token: the issue leaves the row
  logic                  jump_last_r;        // ... and the timestep
  logic                  iss_pre_q;          // the frame's timesteps before iss_t had no spike
  logic                  iss_keep;           // ... nor iss_t: its beat is a silent frame's

`ifdef DUALSPIKE_BUG_LINEAR_LOST_LAST_TIMESTEP
  // PLANTED BUG: the last timestep is computed from the spikes of timestep T-2.
  assign rd_t      = (Timesteps > 1 && iss_t_q == LastT) ? iss_t_q - TBits'(1) : iss_t_q;
  assign rd_step_t = (Timesteps > 1 && step_t_q == LastT) ? step_t_q - TBits'(1) : step_t_q;
`else
  assign rd_t      = iss_t_q;
  assign rd_step_t = step_t_q;
`endif

  linear_frame_buffer #(
    .Channels   (InChannels),
    .Pixels     (Pixels),
    .Timesteps  (Timesteps),
    .GroupWidth (GroupWidth)
  ) u_frame_buffer (
    .clk_i,
    .rst_ni,
    .in_valid_i,
    .in_ready_o,
    .in_data_i,
    .in_last_i,
    .rd_t_i         (rd_t),
    .rd_g_i         (iss_g_q),
    .rd_step_i      (stage_load),
    .rd_step_t_i    (rd_step_t),
    .rd_step_g_i    (token_one ? '0 : step_g_q),
    // Not with a skip: the refill cycle after it reloads the read register from the issue
    // position in the buffer the release selected (skip, late, stays off the G-bit select).
    .rd_step_swap_i ((iss_last_g && iss_last_r && iss_last_t) || token_one),
    .rd_bits_o      (rd_bits),
    .rd_avail_o     (avail),
    .rd_silent_o    (rd_silent),
    .rd_complete_o  (rd_complete),
    .rd_all_silent_o(rd_all_silent),
    .rd_silent0_o   (rd_silent0),
    .rd_release_i   (release_frame)
  );

  // ---------------------------------------------------------------------------------------------
  // Issue: walk (t, r, g); a group enters all P detectors at once when all are free
  // ---------------------------------------------------------------------------------------------
  logic [Parallel-1:0]   det_in_ready;       // per bank: detector can take a group
  logic                  all_free;           // every detector can take a group
  logic                  row_ready;          // the row register can take a row; else the detectors
                                             // and the weight stages stall

  // The group stage's tags (shared by all banks; the bitmaps are per bank, below).
  logic                  stg_valid_d, stg_valid_q;
  logic [TBits-1:0]      stg_t_q;
  logic [RBits-1:0]      stg_r_q;
  logic                  stg_last_g_q, stg_last_r_q;
  logic                  stg_keep_q;         // the group's beat is a silent frame's (iss_keep)
  logic                  stg_free;           // the stage can take a group: empty, or emptied now

  // Tags of the group held by the detectors (captured at acceptance, shared by all banks).
  logic                  grp_busy_d, grp_busy_q;
  logic [TBits-1:0]      grp_t_d, grp_t_q;
  logic [RBits-1:0]      grp_r_d, grp_r_q;
  logic                  grp_last_g_d, grp_last_g_q;
  logic                  grp_last_r_d, grp_last_r_q;
  logic                  grp_keep_d, grp_keep_q;
  logic                  row_done;           // the last group of a row finishes this cycle

  assign iss_last_g    = iss_last_g_q;
  assign iss_last_r    = iss_last_r_q;
  assign iss_last_t    = iss_last_t_q;
  assign all_free      = &det_in_ready;
  assign accept        = stg_valid_q & all_free;
  assign stg_free      = ~stg_valid_q | all_free;
  // A token needs no input (the group stage takes none of its bits): the first comes as soon
  // as the frame is complete, before the read register holds its last beats, and releases its
  // buffer (so that the next frame but one streams in behind it).
  assign stage_load    = (avail | token) & stg_free & ~refill_q & ~hold;
  assign stg_valid_d   = stage_load | (stg_valid_q & ~all_free);
  assign sbitmap       = rd_bits;
  // The frame's last group is in the stage, or its first token: the frame buffer is no
  // longer read.
  assign release_frame = stage_load & ~rp_q & (token | leave_frame);

  // Replay: at a frame's first group, a complete frame without a spike is replayed when its
  // beats are known; a frame whose first timestep has no spike waits for its end to be told.
  // (All from registers: they select the stage load, which selects the frame buffer's read
  // address; a decode of the issue position here was the events network's critical path.)
  assign rp_go       = Replay && frame_start_q && rd_all_silent && replay_ok;
  assign hold        = Replay && frame_start_q && replay_ok && rd_silent0 && !rd_complete;
  assign leave_frame = (iss_last_g | jump) & jump_last_r & iss_last_t;
  assign token       = rp_q | rp_go;
  assign token_one   = (Timesteps == 1) && rp_go;
  assign iss_keep    = iss_pre_q & rd_silent;
  assign row_done      = grp_busy_q & all_free & grp_last_g_q;

  // Walk order: g, then r, then t (wrapping after the frame's last group). A stage load moves
  // the issue position to the step registers and these one step further.
  assign step_last_g = (step_g_q == LastG);
  assign step_last_r = (step_r_q == LastR);
  assign step_last_t = (step_t_q == LastT);
  // A token leaves the step registers at (0, 0, 0), from which its frame's last token
  // prefetches the next frame's first group; the last token leaves them at the group after it.
  assign step_g_d = !stage_load ? step_g_q
                  : token ? (iss_last_t ? StepG0 : '0)
                  : skip ? step_g_q
                  : (step_last_g ? '0 : step_g_q + GBits'(1));
  assign step_r_d = !stage_load ? step_r_q
                  : token ? (iss_last_t ? StepR0 : '0)
                  : (skip ? rn_r
                          : (!step_last_g ? step_r_q
                                          : (step_last_r ? '0 : step_r_q + RBits'(1))));
  assign step_t_d = !stage_load ? step_t_q
                  : token ? (iss_last_t ? StepT0 : '0)
                  : (skip ? rn_t
                          : (!(step_last_g && step_last_r) ? step_t_q
                                                           : (step_last_t ? '0
                                                                          : step_t_q + TBits'(1))));
  assign step_word_d  = !stage_load ? step_word_q
                      : token ? (iss_last_t ? StepWord0 : '0)
                      : (skip ? rn_word + BAddrBits'(1)
                              : ((step_last_g && step_last_r) ? '0
                                                              : step_word_q + BAddrBits'(1)));
  // A skip keeps g at the row's first group (and the step at its second) and moves r and t
  // as a row's last group would; a token moves t as a timestep's last group would.
  if (Groups > 1) begin : g_skip
    assign skip = (iss_g_q == '0) & rd_silent;
  end else begin : g_no_skip
    assign skip = 1'b0;  // One group per row: a silent row costs its one group anyway.
  end
  assign jump        = skip | token;
  // Without a neuron the first row's skip stands for the whole timestep (taken as its last
  // row): a silent timestep's currents are the biases, emitted in one beat (below). Its walk
  // enters it at row 0, so no other row of it is issued. A token stands for its timestep too.
  assign jump_last_r = iss_last_r | token | ((HasNeuron == 0) & skip);
  assign rn_r        = jump_last_r ? '0 : iss_r_q + RBits'(1);
  assign rn_t        = !jump_last_r ? iss_t_q : (iss_last_t ? '0 : iss_t_q + TBits'(1));
  assign rn_word     = jump_last_r ? '0 : iss_word_q + BAddrBits'(Groups);
  assign rn_last_r   = jump_last_r ? (Rows == 1) : (rn_r == LastR);
  assign rn_last_t   = !jump_last_r ? iss_last_t
                                    : (iss_last_t ? (Timesteps == 1) : (rn_t == LastT));

  assign iss_last_g_d = (stage_load && !jump) ? step_last_g : iss_last_g_q;
  assign iss_last_r_d = !stage_load ? iss_last_r_q : (jump ? rn_last_r : step_last_r);
  assign iss_last_t_d = !stage_load ? iss_last_t_q : (jump ? rn_last_t : step_last_t);

  `DUALSPIKE_ALWAYS_COMB begin : p_issue
    iss_t_d      = iss_t_q;
    iss_r_d      = iss_r_q;
    iss_g_d      = iss_g_q;
    iss_word_d   = iss_word_q;
    grp_busy_d   = grp_busy_q;
    grp_t_d      = grp_t_q;
    grp_r_d      = grp_r_q;
    grp_last_g_d = grp_last_g_q;
    grp_last_r_d = grp_last_r_q;
    grp_keep_d   = grp_keep_q;
    if (all_free) begin
      grp_busy_d = 1'b0;
    end
    if (accept) begin
      grp_busy_d   = 1'b1;
      grp_t_d      = stg_t_q;
      grp_r_d      = stg_r_q;
      grp_last_g_d = stg_last_g_q;
      grp_last_r_d = stg_last_r_q;
      grp_keep_d   = stg_keep_q;
    end
    if (stage_load && jump) begin
      iss_t_d      = rn_t;
      iss_r_d      = rn_r;
      iss_word_d   = rn_word;
    end else if (stage_load) begin
      iss_t_d      = step_t_q;
      iss_r_d      = step_r_q;
      iss_g_d      = step_g_q;
      iss_word_d   = step_word_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_issue_reg
    if (!rst_ni) begin
      iss_t_q      <= '0;
      iss_r_q      <= '0;
      iss_g_q      <= '0;
      iss_last_g_q <= (Groups == 1);
      iss_last_r_q <= (Rows == 1);
      iss_last_t_q <= (Timesteps == 1);
      step_t_q     <= StepT0;
      step_r_q     <= StepR0;
      step_g_q     <= StepG0;
      iss_word_q   <= '0;
      step_word_q  <= BAddrBits'((BitmapDep > 1) ? 1 : 0);
      grp_busy_q   <= 1'b0;
      grp_t_q      <= '0;
      grp_r_q      <= '0;
      grp_last_g_q <= 1'b0;
      grp_last_r_q <= 1'b0;
      grp_keep_q   <= 1'b0;
      refill_q     <= 1'b0;
      rp_q         <= 1'b0;
      iss_pre_q    <= 1'b1;
      frame_start_q <= 1'b1;
    end else begin
      // After a skip out of a timestep (not in a replayed frame) the read registers reload.
      refill_q     <= stage_load & skip & jump_last_r & ~token;
      if (stage_load && token) begin
        rp_q <= !iss_last_t;
      end
      if (stage_load) begin
        frame_start_q <= leave_frame;
      end
      if (stage_load && (iss_last_g || jump) && jump_last_r) begin
        iss_pre_q <= iss_last_t | iss_keep;
      end
      iss_t_q      <= iss_t_d;
      iss_r_q      <= iss_r_d;
      iss_g_q      <= iss_g_d;
      iss_last_g_q <= iss_last_g_d;
      iss_last_r_q <= iss_last_r_d;
      iss_last_t_q <= iss_last_t_d;
      step_t_q     <= step_t_d;
      step_r_q     <= step_r_d;
      step_g_q     <= step_g_d;
      iss_word_q   <= iss_word_d;
      step_word_q  <= step_word_d;
      grp_busy_q   <= grp_busy_d;
      grp_t_q      <= grp_t_d;
      grp_r_q      <= grp_r_d;
      grp_last_g_q <= grp_last_g_d;
      grp_last_r_q <= grp_last_r_d;
      grp_keep_q   <= grp_keep_d;
    end
  end

  // The stage's tags load whenever it can take a group (only stg_valid_q depends on avail).
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_group_stage_reg
    if (!rst_ni) begin
      stg_valid_q  <= 1'b0;
      stg_t_q      <= '0;
      stg_r_q      <= '0;
      stg_last_g_q <= 1'b0;
      stg_last_r_q <= 1'b0;
      stg_keep_q   <= 1'b0;
    end else begin
      stg_valid_q <= stg_valid_d;
      if (stg_free) begin
        stg_t_q      <= iss_t_q;
        stg_r_q      <= iss_r_q;
        stg_keep_q   <= iss_keep;
        stg_last_g_q <= iss_last_g | jump;
        stg_last_r_q <= jump_last_r;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Address stage (the beat whose weight addresses are registered: one cycle behind the
  // detectors), weight stage (the beat whose weights are being read: two cycles behind) and sum
  // stage (the beat whose weights are registered and summed: three cycles behind), all stalled
  // with the detectors. The address register splits the detector's lane select and the base
  // adder from the weight memory's read (the events network's critical path); the weight
  // register, the block RAM's clock-to-out (5.8 ns on the ECP5 without its output register,
  // which Yosys does not use) from the lane sum (the digits network's, docs/synthesis.md).
  // ---------------------------------------------------------------------------------------------
  logic                  ast_busy_q, wst_busy_q, sst_busy_q;          // the stage holds a beat
  logic                  ast_row_end_q, wst_row_end_q, sst_row_end_q; // ... its row's last beat
  logic [TBits-1:0]      ast_t_q, wst_t_q, sst_t_q;
  logic [RBits-1:0]      ast_r_q, wst_r_q, sst_r_q;
  logic                  ast_last_r_q, wst_last_r_q, sst_last_r_q;    // ... of its timestep's
                                                                       // last row
  logic                  ast_keep_q, wst_keep_q, sst_keep_q;          // ... a silent frame's
  logic                  row_load;           // the row leaves the sum stage for the row register

  assign row_load = sst_row_end_q & row_ready;

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_stage_reg
    if (!rst_ni) begin
      ast_busy_q    <= 1'b0;
      ast_row_end_q <= 1'b0;
      ast_t_q       <= '0;
      ast_r_q       <= '0;
      ast_last_r_q  <= 1'b0;
      ast_keep_q    <= 1'b0;
      wst_keep_q    <= 1'b0;
      sst_keep_q    <= 1'b0;
      wst_busy_q    <= 1'b0;
      wst_row_end_q <= 1'b0;
      wst_t_q       <= '0;
      wst_r_q       <= '0;
      wst_last_r_q  <= 1'b0;
      sst_busy_q    <= 1'b0;
      sst_row_end_q <= 1'b0;
      sst_t_q       <= '0;
      sst_r_q       <= '0;
      sst_last_r_q  <= 1'b0;
    end else if (row_ready) begin
      ast_busy_q    <= grp_busy_q;
      ast_row_end_q <= row_done;
      ast_t_q       <= grp_t_q;
      ast_r_q       <= grp_r_q;
      ast_last_r_q  <= grp_last_r_q;
      ast_keep_q    <= grp_keep_q;
      wst_keep_q    <= ast_keep_q;
      sst_keep_q    <= wst_keep_q;
      wst_busy_q    <= ast_busy_q;
      wst_row_end_q <= ast_row_end_q;
      wst_t_q       <= ast_t_q;
      wst_r_q       <= ast_r_q;
      wst_last_r_q  <= ast_last_r_q;
      sst_busy_q    <= wst_busy_q;
      sst_row_end_q <= wst_row_end_q;
      sst_t_q       <= wst_t_q;
      sst_r_q       <= wst_r_q;
      sst_last_r_q  <= wst_last_r_q;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Shared memories: bias (O words of V bits) and neuron parameters
  // ---------------------------------------------------------------------------------------------
  logic                           cfg_bias_we;
  logic [MembraneBits-1:0]        bias_mem [OutFeatures];

  assign cfg_bias_we = cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelBias);

  initial begin : p_bias_init
    if (InitPrefix != "") begin
      $readmemh({InitPrefix, "bias.mem"}, bias_mem, 0, OutFeatures - 1);
    end
  end

  always_ff @(posedge clk_i) begin : p_bias_mem
    if (cfg_bias_we && (int'(cfg_addr_i) < OutFeatures)) begin
      bias_mem[OIdxBits'(cfg_addr_i)] <= cfg_data_i[MembraneBits-1:0];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Per bank: bitmap and weight memories, detector, running base, weight stage, accumulator
  // ---------------------------------------------------------------------------------------------
  logic [Parallel-1:0][CB-1:0] row_sum;      // per bank: bias + accumulator + weight-stage beat
  logic [Parallel-1:0][CB-1:0] row_cur_d, row_cur_q;  // row register: the P currents
  logic                        row_valid_d, row_valid_q;
  logic [TBits-1:0]            row_t_d, row_t_q;
  logic [RBits-1:0]            row_r_d, row_r_q;
  logic                        row_last_d, row_last_q;  // last row of its timestep
  logic                        row_keep_d, row_keep_q;  // ... of a silent frame's timestep
  // Skid register: a row loaded while the row register is held. The stages stall while it is
  // full (row_ready = !sk_valid_q: the stall that fans out to every bank comes from a register,
  // not from out_ready_i through the row register; docs/synthesis.md).
  logic [Parallel-1:0][CB-1:0] sk_cur_d, sk_cur_q;
  logic                        sk_valid_d, sk_valid_q;
  logic [TBits-1:0]            sk_t_d, sk_t_q;
  logic [RBits-1:0]            sk_r_d, sk_r_q;
  logic                        sk_last_d, sk_last_q;
  logic                        sk_keep_d, sk_keep_q;

  for (genvar p = 0; p < Parallel; p++) begin : g_bank
    // Preload image names: "_b" and the bank in two decimal digits (docs/vectors.md).
    localparam logic [31:0] BankTag = {"_b", 8'(48 + p / 10), 8'(48 + p % 10)};
    logic [FeatBits-1:0] feat;  // feature of the sum stage's row
    logic [CB-1:0]       bias;
    assign feat = FeatBits'(sst_r_q) * FeatBits'(Parallel) + FeatBits'(p);
    assign bias = (int'(feat) < OutFeatures) ? CB'($signed(bias_mem[OIdxBits'(feat)])) : '0;

    linear_bank #(
      .GroupWidth     (GroupWidth),
      .Lanes          (Lanes),
      .PreLevels      (DetPreLevels),
      .WeightBits     (WeightBits),
      .CurrentBits    (CB),
      .BitmapDepth    (BitmapDep),
      .WeightDepth    (WeightDep),
      .CfgAddrBits    (CfgAddrBits),
      .InitBitmapFile ((InitPrefix == "") ? "" : {InitPrefix, "bitmap", BankTag, ".mem"}),
      .InitWeightFile ((InitPrefix == "") ? "" : {InitPrefix, "weight", BankTag, ".mem"})
    ) u_bank (
      .clk_i,
      .rst_ni,
      .bitmap_we_i  (cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelBitmap)
                     && (cfg_bank_i == BankBits'(p))),
      .weight_we_i  (cfg_valid_i && (cfg_sel_i == dualspike_pkg::CfgSelWeight)
                     && (cfg_bank_i == BankBits'(p))),
      .cfg_addr_i,
      .cfg_data_i,
      // (A token of T = 1 is at a frame's first group, word 0, and prefetches it again.)
      .iss_word_i   (iss_word_q),
      .step_word_i  (step_word_q),
      .read_step_i  (stage_load && !token_one),
      .stage_free_i (stg_free),
      .sbitmap_i    (sbitmap),
      .token_i      (token),
      .accept_i     (accept),
      .pass_end_i   (stg_last_g_q && stg_last_r_q),
      .det_ready_o  (det_in_ready[p]),
      .row_ready_i  (row_ready),
      .row_end_i    (sst_row_end_q),
      .bias_i       (bias),
      .row_sum_o    (row_sum[p])
    );
  end

  // ---------------------------------------------------------------------------------------------
  // Row register: the P currents of a finished row, and its skid register
  // ---------------------------------------------------------------------------------------------
  logic                  row_fire;          // the row register is consumed this cycle
  logic                  row_free;          // the row register can be loaded this cycle
  logic                  out_free;          // the output register can take a beat
  logic                  row_take_skid;     // the row register takes the skid's row
  logic                  row_take_new;      // the row register takes the sum stage's row

  assign out_free      = ~out_valid_o | out_ready_i;
  assign row_free      = ~row_valid_q | row_fire;
  assign row_ready     = ~sk_valid_q;
  assign row_take_skid = row_free & sk_valid_q;
  assign row_take_new  = row_free & ~sk_valid_q & row_load;

  // The row register takes the skid's row first (it is older); a row loaded while the row
  // register is held goes to the skid (row_load implies an empty skid).
  `DUALSPIKE_ALWAYS_COMB begin : p_row
    row_valid_d = row_valid_q;
    row_cur_d   = row_cur_q;
    row_t_d     = row_t_q;
    row_r_d     = row_r_q;
    row_last_d  = row_last_q;
    row_keep_d  = row_keep_q;
    sk_valid_d  = sk_valid_q;
    sk_cur_d    = sk_cur_q;
    sk_t_d      = sk_t_q;
    sk_r_d      = sk_r_q;
    sk_last_d   = sk_last_q;
    sk_keep_d   = sk_keep_q;
    if (row_fire) begin
      row_valid_d = 1'b0;
    end
    if (row_take_skid) begin
      row_valid_d = 1'b1;
      row_cur_d   = sk_cur_q;
      row_t_d     = sk_t_q;
      row_r_d     = sk_r_q;
      row_last_d  = sk_last_q;
      row_keep_d  = sk_keep_q;
      sk_valid_d  = 1'b0;
    end else if (row_take_new) begin
      row_valid_d = 1'b1;
      row_cur_d   = row_sum;
      row_t_d     = sst_t_q;
      row_r_d     = sst_r_q;
      row_last_d  = sst_last_r_q;
      row_keep_d  = sst_keep_q;
    end else if (row_load) begin
      sk_valid_d  = 1'b1;
      sk_cur_d    = row_sum;
      sk_t_d      = sst_t_q;
      sk_r_d      = sst_r_q;
      sk_last_d   = sst_last_r_q;
      sk_keep_d   = sst_keep_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_row_reg
    if (!rst_ni) begin
      row_valid_q <= 1'b0;
      row_cur_q   <= '0;
      row_t_q     <= '0;
      row_r_q     <= '0;
      row_last_q  <= 1'b0;
      row_keep_q  <= 1'b0;
      sk_valid_q  <= 1'b0;
    end else begin
      row_valid_q <= row_valid_d;
      row_cur_q   <= row_cur_d;
      row_t_q     <= row_t_d;
      row_r_q     <= row_r_d;
      row_last_q  <= row_last_d;
      row_keep_q  <= row_keep_d;
      sk_valid_q  <= sk_valid_d;
    end
  end

  // The skid's row: no reset, read only while sk_valid_q (reset) says it was loaded.
  always_ff @(posedge clk_i) begin : p_skid_reg
    sk_cur_q  <= sk_cur_d;
    sk_t_q    <= sk_t_d;
    sk_r_q    <= sk_r_d;
    sk_last_q <= sk_last_d;
    sk_keep_q <= sk_keep_d;
  end

  // ---------------------------------------------------------------------------------------------
  // The row whose features go into the output beat: the row register's (NeuronStages = 1) or,
  // with NeuronStages = 2, the fire register's after it (the LIF's charge half is registered
  // between the two, so the membrane loop holds half the step: docs/synthesis.md). A row's P
  // membranes are stepped again only R rows later, so with R >= 2 the row entering the row
  // register never needs the charge of the row in the fire register.
  // ---------------------------------------------------------------------------------------------
  logic             emit_valid;  // a row is in the stage that writes the beat
  logic             emit_last;   // it is its timestep's last row
  logic             emit_keep;   // ... of a timestep of a silent frame (its beat is kept)
  logic             emit_fire;   // it goes into the beat this cycle
  logic [RBits-1:0] emit_r;
  logic [TBits-1:0] emit_t;

  assign emit_fire = emit_valid & (~emit_last | out_free);

  if (NeuronStages == 2) begin : g_fire_reg
    logic             fire_valid_q, fire_last_q, fire_keep_q;
    logic [RBits-1:0] fire_r_q;
    logic [TBits-1:0] fire_t_q;

    assign row_fire = row_valid_q & (~fire_valid_q | emit_fire);

    always_ff @(posedge clk_i or negedge rst_ni) begin : p_fire_reg
      if (!rst_ni) begin
        fire_valid_q <= 1'b0;
        fire_last_q  <= 1'b0;
        fire_keep_q  <= 1'b0;
        fire_r_q     <= '0;
        fire_t_q     <= '0;
      end else if (row_fire) begin
        fire_valid_q <= 1'b1;
        fire_last_q  <= row_last_q;
        fire_keep_q  <= row_keep_q;
        fire_r_q     <= row_r_q;
        fire_t_q     <= row_t_q;
      end else if (emit_fire) begin
        fire_valid_q <= 1'b0;
      end
    end

    assign emit_valid = fire_valid_q;
    assign emit_last  = fire_last_q;
    assign emit_keep  = fire_keep_q;
    assign emit_r     = fire_r_q;
    assign emit_t     = fire_t_q;
  end else begin : g_fire_wire
    assign row_fire   = emit_fire;
    assign emit_valid = row_valid_q;
    assign emit_last  = row_last_q;
    assign emit_keep  = row_keep_q;
    assign emit_r     = row_r_q;
    assign emit_t     = row_t_q;
  end

  // ---------------------------------------------------------------------------------------------
  // Neuron (or pass-through of the current) and output beat assembly
  // ---------------------------------------------------------------------------------------------
  logic [OutBits-1:0]    beat_d, beat_q;    // the output beat being assembled, row by row
  logic [OutBits-1:0]    merged;            // beat_q with the row register's features filled in
  logic [OutBits-1:0]    out_data_d, out_data_q;
  logic                  out_valid_d, out_valid_q;
  logic                  out_last_d, out_last_q;

  if (HasNeuron != 0) begin : g_neuron
    logic [MembraneBits-1:0]                   threshold_q;
    logic [ShiftBits-1:0]                      leak_shift_q;
    logic                                      model_lif_q, reset_soft_q;
    logic [OutFeatures-1:0][MemBits-1:0]       vmem_d, vmem_q;  // membranes of all features
    logic [Parallel-1:0]                       spike;
    logic [Parallel-1:0][MembraneBits-1:0]     v_out;
    // The row register's membranes, selected the cycle the row register is loaded.
    logic [Parallel-1:0][MembraneBits-1:0]     v_row_d, v_row_q;

    neuron_params #(
      .MembraneBits (MembraneBits),
      .CfgAddrBits  (CfgAddrBits)
    ) u_params (
      .clk_i,
      .rst_ni,
      .cfg_valid_i,
      .cfg_sel_i,
      .cfg_addr_i,
      .cfg_data_i,
      .threshold_o  (threshold_q),
      .leak_shift_o (leak_shift_q),
      .model_lif_o  (model_lif_q),
      .reset_soft_o (reset_soft_q)
    );

    // The membranes a row steps are selected from all features' membranes when the row enters
    // the row register (from the skid or from the sum stage, both registers), not after it:
    // the neuron loop (membrane -> lif_unit -> membrane) then holds no O/P-to-1 select
    // (docs/synthesis.md). A membrane the row going into the beat writes at that edge is
    // forwarded (only a row of the same features: R = 1, or R = 2 with NeuronStages = 2).
    function automatic logic [MembraneBits-1:0] stored_membrane(
        logic [OutFeatures-1:0][MemBits-1:0] vmem, logic [FeatBits-1:0] feat,
        logic [TBits-1:0] t);
      // The membrane is 0 at the start of every frame: timestep 0 ignores the stored value.
      if (t == '0 || int'(feat) >= OutFeatures) begin
        return '0;
      end
      return vmem[OIdxBits'(feat)];
    endfunction

    logic [RBits-1:0] r_in;         // row and timestep of the row entering the row register
    logic [TBits-1:0] t_in;
    logic             row_forward;  // it steps the membranes the firing row writes now
    assign r_in        = row_take_skid ? sk_r_q : sst_r_q;
    assign t_in        = row_take_skid ? sk_t_q : sst_t_q;
    assign row_forward = emit_fire && r_in == emit_r && t_in != '0;

    for (genvar p = 0; p < Parallel; p++) begin : g_lif
      logic [FeatBits-1:0]     feat_skid, feat_new;  // bank p's feature in either incoming row
      logic [MembraneBits-1:0] v_skid, v_new;        // their stored membranes
      assign feat_skid = FeatBits'(sk_r_q) * FeatBits'(Parallel) + FeatBits'(p);
      assign feat_new  = FeatBits'(sst_r_q) * FeatBits'(Parallel) + FeatBits'(p);
      assign v_skid    = stored_membrane(vmem_q, feat_skid, sk_t_q);
      assign v_new     = stored_membrane(vmem_q, feat_new, sst_t_q);

      `DUALSPIKE_ALWAYS_COMB begin : p_row_membrane
        v_row_d[p] = v_row_q[p];
        if (row_take_skid || row_take_new) begin
          v_row_d[p] = row_take_skid ? v_skid : v_new;
          if (row_forward) begin
            v_row_d[p] = v_out[p];
          end
        end
      end

      lif_unit #(
        .MembraneBits (MembraneBits),
        .CurrentBits  (CB),
        .Stages       (NeuronStages)
      ) u_lif (
        .clk_i        (clk_i),
        .load_i       (row_fire),  // NeuronStages = 2: charge as the row enters the fire reg.
        .model_lif_i  (model_lif_q),
        .reset_soft_i (reset_soft_q),
        .leak_shift_i (leak_shift_q),
        .threshold_i  (threshold_q),
        .v_i          (v_row_q[p]),
        .current_i    (row_cur_q[p]),
        .spike_o      (spike[p]),
        .v_o          (v_out[p])
      );
    end

    // Feature o = r*P + p is bank p's feature in row r: a constant decode per feature.
    logic [OutFeatures-1:0] stepped;  // beat_q with the emitted row's spikes filled in
    for (genvar o = 0; o < OutFeatures; o++) begin : g_feature
      logic in_row;  // the row register holds this feature's row
      assign in_row     = (emit_r == RBits'(o / Parallel));
      assign stepped[o] = in_row ? spike[o % Parallel] : beat_q[o];
      assign vmem_d[o]  = (in_row && emit_fire) ? v_out[o % Parallel] : vmem_q[o];
    end

    if (Rows > 1) begin : g_silent_beats
      // A replayed frame's beats (its tokens step row 0 only) are those of the first silent
      // frame walked since the configuration: each of its timesteps' beats is kept as it is
      // emitted (emit_keep: timesteps 0..t of its frame had no spike, so beat t is the same
      // for every silent frame), and the frame's release (issue side, so before any token of
      // a later frame) makes them valid. A token's beat is a timestep's last row that is not
      // row R-1 (a row's skip with a neuron is never its timestep's last but at row R-1).
      logic [Timesteps-1:0][OutFeatures-1:0] silent_beats_q;
      logic                                  silent_valid_q;
      logic                                  token_beat;
      assign token_beat = emit_last && emit_r != LastR;
      assign merged     = token_beat ? silent_beats_q[emit_t] : stepped;
      assign replay_ok  = silent_valid_q;
      always_ff @(posedge clk_i or negedge rst_ni) begin : p_silent_valid
        if (!rst_ni) begin
          silent_valid_q <= 1'b0;
        end else if (cfg_valid_i) begin
          silent_valid_q <= 1'b0;  // the biases or the neuron may change
        end else if (release_frame && iss_keep) begin
          silent_valid_q <= 1'b1;
        end
      end
      // No reset: a beat is read only once silent_valid_q says the frame kept it.
      always_ff @(posedge clk_i) begin : p_silent_beats
        if (emit_fire && emit_last && emit_keep && !token_beat) begin
          silent_beats_q[emit_t] <= stepped;
        end
      end
    end else begin : g_one_row
      // One row: a token steps every feature, so a replayed frame computes its own beats.
      assign merged    = stepped;
      assign replay_ok = 1'b1;
      logic unused_keep;
      assign unused_keep = emit_keep;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin : p_neuron_reg
      if (!rst_ni) begin
        vmem_q       <= '0;
        v_row_q      <= '0;
      end else begin
        vmem_q       <= vmem_d;
        v_row_q      <= v_row_d;
      end
    end
  end else begin : g_current
    // "readout": "accumulate": the exact current is the output (no neuron memory).
    // (NeuronStages = 1 without a neuron: the row register writes the beat.)
    // A timestep's last row that is not row R-1 is a silent timestep's first row (skip_all):
    // every feature's current is its bias (row 0's, bias + 0, is the same). The biases are read
    // from the bias memory at constant addresses (O words of V bits: flip-flops).
    logic silent_beat;
    assign silent_beat = emit_last && emit_r != LastR;
    assign replay_ok   = 1'b1;  // a silent frame's beats are the biases
    logic unused_keep;
    assign unused_keep = emit_keep;
    for (genvar o = 0; o < OutFeatures; o++) begin : g_feature
      assign merged[o*CB +: CB] = silent_beat ? CB'($signed(bias_mem[o]))
                                : (emit_r == RBits'(o / Parallel)) ? row_cur_q[o % Parallel]
                                                                   : beat_q[o*CB +: CB];
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_out
    beat_d      = beat_q;
    out_valid_d = out_valid_q;
    out_data_d  = out_data_q;
    out_last_d  = out_last_q;
    if (out_valid_q && out_ready_i) begin
      out_valid_d = 1'b0;
    end
    if (emit_fire) begin
      beat_d = merged;
      if (emit_last) begin
        out_valid_d = 1'b1;
        out_data_d  = merged;
        out_last_d  = (emit_t == LastT);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_out_reg
    if (!rst_ni) begin
      beat_q      <= '0;
      out_valid_q <= 1'b0;
      out_data_q  <= '0;
      out_last_q  <= 1'b0;
    end else begin
      beat_q      <= beat_d;
      out_valid_q <= out_valid_d;
      out_data_q  <= out_data_d;
      out_last_q  <= out_last_d;
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;
  assign out_last_o  = out_last_q;

  // The cfg data bits above the widest word are not used.
  logic unused_cfg;
  assign unused_cfg = ^cfg_data_i;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (InChannels < 1 || InHeight < 1 || InWidth < 1 || OutFeatures < 1 || Timesteps < 1
      || Parallel < 1 || Lanes < 1) begin : g_bad_sizes
    $error("sparse_linear_core: every size parameter must be >= 1");
  end
  if (GroupWidth < 1 || GroupWidth > 32) begin : g_bad_group_width
    $error("sparse_linear_core: GroupWidth must be in 1..32 (cfg word), got %0d", GroupWidth);
  end
  if (WeightBits < 2 || WeightBits > 8) begin : g_bad_weight_bits
    $error("sparse_linear_core: WeightBits must be in 2..8, got %0d", WeightBits);
  end
  if (MembraneBits < 4 || MembraneBits > 32) begin : g_bad_membrane_bits
    $error("sparse_linear_core: MembraneBits must be in 4..32, got %0d", MembraneBits);
  end
  if (HasNeuron != 0 && HasNeuron != 1) begin : g_bad_has_neuron
    $error("sparse_linear_core: HasNeuron must be 0 or 1, got %0d", HasNeuron);
  end
  if (NeuronStages != 1 && (NeuronStages != 2 || HasNeuron == 0 || Rows < 2))
  begin : g_bad_neuron_stages
    $error("sparse_linear_core: NeuronStages must be 1, or 2 with a neuron and R >= 2, got %0d",
           NeuronStages);
  end
  if (CurrentBits < $clog2((64'd1 << (MembraneBits - 1)) + 64'(FanIn)
                           * (64'd1 << (WeightBits - 1))) + 1) begin : g_bad_current_bits
    $error("sparse_linear_core: CurrentBits is derived; do not override it below the exact width");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  // OutValidHeld / OutDataStable: a stalled output beat stays offered, unchanged.
  `DUALSPIKE_CHECK_OUT_STREAM(OutBits + 1)

  // A configuration write of the previous cycle (the bitmap registers see it only now).
  logic cfg_prev_q;
  always @(posedge clk_i) begin : p_cfg_prev
    cfg_prev_q <= cfg_valid_i;
  end

  always @(posedge clk_i) begin : p_sva
    if (sva_armed) begin
      // CfgSettled_A: no group enters the group stage in the cycle after a configuration write
      // (each bank's bitmap register would still hold the word before the write).
      if (stage_load) begin
        assert (!cfg_prev_q)
          else $error("CfgSettled_A: a group issued the cycle after a configuration write");
      end
      // RowDoneReady_A: a row's last beat enters the address stage only when the stage moves.
      if (row_done) begin
        assert (row_ready)
          else $error("RowDoneReady_A: a row finished while the weight stages were stalled");
      end
      // CfgIdle_A: no configuration write while a group is in flight.
      if (cfg_valid_i) begin
        assert (!stg_valid_q && !grp_busy_q && !ast_busy_q && !wst_busy_q && !sst_busy_q
                && !row_valid_q
                && !sk_valid_q && !emit_valid)
          else $error("CfgIdle_A: configuration write while a frame is being computed");
      end
    end
  end
`endif

endmodule
