// Copyright dualspike contributors.
//
// dense_line_buffer: the pixel line buffer and window gather of the dense input core.
//
// Stores the pixel stream (docs/cores.md "Pixel stream": one beat per pixel, raster order, C x A
// bits) in Kernel row slots of Width pixels, and offers, for the next output pixel (y, x) in
// raster order, its zero-padded K x K x C window in the canonical fan-in order of SPEC section 3:
//   win_pixels_o[j*A +: A] = in[ci][y+ky-P][x+kx-P]   (0 outside the frame)  j = (ci*K + ky)*K + kx
// for j < FanIn = C*K*K, and 0 for FanIn <= j < WindowPixels (the zero tail of the last group).
// Golden: golden.sparsity.conv_receptive_field (one timestep of the pixel frame).
//
// Flow control (the whole state is a few counters; the storage is written, never shifted):
// - global row g (counted across frames) lives in slot g mod Kernel;
// - low = the lowest global row that a window still to be taken needs
//   (frame base + max(0, y - P) for the next output row y);
// - an input beat of global row g is accepted iff g - low < Kernel (rows_ahead_q < Kernel), so it
//   never overwrites a row still needed; frames may follow back to back (the next frame's rows
//   fill the slots the previous frame released);
// - the window of (y, x) is valid once the input pixel (min(y+P, H-1), min(x+P, W-1)) of that
//   frame has been written (or the whole frame has: frames_ahead_q > 0).
// The window is read combinationally from the storage; the consumer registers it in the cycle it
// raises win_take_i. Taking the last window of an output row releases row y-P (one slot); taking
// the last window of a frame releases the frame's remaining min(H, P+1) rows.
//
// Parameters: InChannels C >= 1, PixelBits A in 1..16, Height H >= 1, Width W >= 1, Kernel K odd
// >= 1, WindowPixels >= C*K*K (the padded fan-in NG*G of the core).
//
// Latency: a pixel written at an edge is visible to a window taken at the next edge or later.
// Throughput: one input beat per cycle while rows_ahead_q < Kernel; one window per cycle.
// Storage: Kernel x W x C x A bits (no extra row: a window needs at most K rows, and the next row
// may start filling as soon as the last window of the oldest needed row is taken).
//
// Planted bug (test-suite self-check only): DUALSPIKE_BUG_LINE_BUFFER_NO_RIGHT_WAIT offers a
// window once its centre column of row y+P is written, before the P columns right of it.

`include "dualspike_macros.svh"

module dense_line_buffer #(
  parameter int InChannels   = 1,
  parameter int PixelBits    = 8,
  parameter int Height       = 4,
  parameter int Width        = 4,
  parameter int Kernel       = 3,
  parameter int WindowPixels = 9
) (
  input  logic                                 clk_i,
  input  logic                                 rst_ni,
  // Pixel stream.
  input  logic                                 in_valid_i,
  output logic                                 in_ready_o,
  input  logic [InChannels*PixelBits-1:0]      in_data_i,
  input  logic                                 in_last_i,
  // Window of the next output pixel.
  output logic                                 win_valid_o,
  input  logic                                 win_take_i,
  output logic [WindowPixels*PixelBits-1:0]    win_pixels_o,
  output logic                                 win_frame_last_o  // (y, x) = (H-1, W-1)
);

  localparam int Pad       = Kernel / 2;
  localparam int Slots     = Kernel;
  localparam int FanIn     = InChannels * Kernel * Kernel;
  localparam int WordBits  = InChannels * PixelBits;
  localparam int XBits     = (Width > 1) ? $clog2(Width) : 1;
  localparam int YBits     = (Height > 1) ? $clog2(Height) : 1;
  localparam int SlotBits  = (Slots > 1) ? $clog2(Slots) : 1;
  // Word address {slot, x}: each row slot padded to 2^XBits words, so no tap address needs a
  // slot x Width multiplier (it sat on the gather's critical path, mapped to a DSP).
  localparam int AddrBits  = SlotBits + XBits;
  localparam int Depth     = 1 << AddrBits;
  // rows_ahead_q in 0..Slots; frames_ahead_q in 0..Slots (every frame fully written but not yet
  // fully taken holds at least one of the Slots rows).
  localparam int AheadBits = $clog2(Slots + 2);
  // Rows released when the last window of a frame is taken: max(0, H-1-P) .. H-1.
  localparam int FrameRelease = (Height < Pad + 1) ? Height : Pad + 1;

  localparam logic [XBits-1:0] XLast = XBits'(Width - 1);
  localparam logic [YBits-1:0] YLast = YBits'(Height - 1);
  localparam logic [SlotBits-1:0] SlotLast = SlotBits'(Slots - 1);

  // ---------------------------------------------------------------------------------------------
  // Storage (no reset: a word is always written before a window reads it)
  // ---------------------------------------------------------------------------------------------
  logic [WordBits-1:0] mem_q [Depth];
  logic [AddrBits-1:0] wr_addr;

  // ---------------------------------------------------------------------------------------------
  // Counters
  // ---------------------------------------------------------------------------------------------
  logic [XBits-1:0]     in_x_d, in_x_q;        // next input pixel of the input frame
  logic [YBits-1:0]     in_y_d, in_y_q;
  logic [SlotBits-1:0]  in_slot_d, in_slot_q;  // slot of input row in_y_q
  logic [XBits-1:0]     out_x_d, out_x_q;      // next window (output pixel) of the output frame
  logic [YBits-1:0]     out_y_d, out_y_q;
  logic [SlotBits-1:0]  out_slot_d, out_slot_q;  // slot of row out_y_q
  logic [AheadBits-1:0] rows_ahead_d, rows_ahead_q;      // input global row - low
  logic [AheadBits-1:0] frames_ahead_d, frames_ahead_q;  // frames written, not all taken

  logic in_fire, in_row_end, in_frame_end;
  logic out_row_end, out_frame_end;
  logic [AheadBits-1:0] release_rows;  // rows released by this cycle's take

  int need_y, need_x;  // the input pixel the next window waits for

  assign in_ready_o   = rows_ahead_q < AheadBits'(Slots);
  assign in_fire      = in_valid_i & in_ready_o;
  assign in_row_end   = in_x_q == XLast;
  assign in_frame_end = in_row_end & (in_y_q == YLast);
  assign out_row_end   = out_x_q == XLast;
  assign out_frame_end = out_row_end & (out_y_q == YLast);

  assign need_y = (int'(out_y_q) + Pad > Height - 1) ? Height - 1 : int'(out_y_q) + Pad;
`ifdef DUALSPIKE_BUG_LINE_BUFFER_NO_RIGHT_WAIT
  // PLANTED BUG: the window waits for its centre column, not its right-hand one.
  assign need_x = int'(out_x_q);
`else
  assign need_x = (int'(out_x_q) + Pad > Width - 1) ? Width - 1 : int'(out_x_q) + Pad;
`endif
  assign win_valid_o = (frames_ahead_q != '0) || (int'(in_y_q) > need_y) ||
                       ((int'(in_y_q) == need_y) && (int'(in_x_q) > need_x));
  assign win_frame_last_o = out_frame_end;

  `DUALSPIKE_ALWAYS_COMB begin : p_release
    release_rows = '0;
    if (win_take_i && out_row_end) begin
      if (out_y_q == YLast) begin
        release_rows = AheadBits'(FrameRelease);
      end else if (int'(out_y_q) >= Pad) begin
        release_rows = AheadBits'(1);
      end
    end
  end

  `DUALSPIKE_ALWAYS_COMB begin : p_next
    in_x_d         = in_x_q;
    in_y_d         = in_y_q;
    in_slot_d      = in_slot_q;
    out_x_d        = out_x_q;
    out_y_d        = out_y_q;
    out_slot_d     = out_slot_q;
    rows_ahead_d   = rows_ahead_q - release_rows;
    frames_ahead_d = frames_ahead_q;
    if (in_fire) begin
      in_x_d = in_x_q + XBits'(1);
      if (in_row_end) begin
        in_x_d       = '0;
        in_y_d       = (in_y_q == YLast) ? '0 : in_y_q + YBits'(1);
        in_slot_d    = (in_slot_q == SlotLast) ? '0 : in_slot_q + SlotBits'(1);
        rows_ahead_d = rows_ahead_d + AheadBits'(1);
      end
      if (in_frame_end) begin
        frames_ahead_d = frames_ahead_d + AheadBits'(1);
      end
    end
    if (win_take_i) begin
      out_x_d = out_x_q + XBits'(1);
      if (out_row_end) begin
        out_x_d    = '0;
        out_y_d    = (out_y_q == YLast) ? '0 : out_y_q + YBits'(1);
        out_slot_d = (out_slot_q == SlotLast) ? '0 : out_slot_q + SlotBits'(1);
      end
      if (out_frame_end) begin
        frames_ahead_d = frames_ahead_d - AheadBits'(1);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_reg
    if (!rst_ni) begin
      in_x_q         <= '0;
      in_y_q         <= '0;
      in_slot_q      <= '0;
      out_x_q        <= '0;
      out_y_q        <= '0;
      out_slot_q     <= '0;
      rows_ahead_q   <= '0;
      frames_ahead_q <= '0;
    end else begin
      in_x_q         <= in_x_d;
      in_y_q         <= in_y_d;
      in_slot_q      <= in_slot_d;
      out_x_q        <= out_x_d;
      out_y_q        <= out_y_d;
      out_slot_q     <= out_slot_d;
      rows_ahead_q   <= rows_ahead_d;
      frames_ahead_q <= frames_ahead_d;
    end
  end

  assign wr_addr = {in_slot_q, in_x_q};

  always_ff @(posedge clk_i) begin : p_mem
    if (in_fire) begin
      mem_q[wr_addr] <= in_data_i;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Window gather: K x K taps, each one word (C pixels) of the storage
  // ---------------------------------------------------------------------------------------------
  for (genvar ky = 0; ky < Kernel; ky++) begin : g_row
    // Slot of input row out_y + ky - P: out_slot + (ky - P) mod Slots, folded once.
    localparam int SlotStep = (ky - Pad + Slots) % Slots;
    int                  row;
    logic [SlotBits-1:0] slot;
    logic                row_ok;
    assign row    = int'(out_y_q) + ky - Pad;
    assign row_ok = (row >= 0) && (row < Height);
    assign slot   = SlotBits'((int'(out_slot_q) + SlotStep >= Slots)
                                  ? int'(out_slot_q) + SlotStep - Slots
                                  : int'(out_slot_q) + SlotStep);
    for (genvar kx = 0; kx < Kernel; kx++) begin : g_col
      int                  col;
      logic                ok;
      logic [AddrBits-1:0] addr;
      logic [WordBits-1:0] word;
      assign col  = int'(out_x_q) + kx - Pad;
      assign ok   = row_ok && (col >= 0) && (col < Width);
      assign addr = ok ? {slot, XBits'(col)} : '0;
      assign word = mem_q[addr];
      for (genvar ci = 0; ci < InChannels; ci++) begin : g_chan
        assign win_pixels_o[((ci * Kernel + ky) * Kernel + kx) * PixelBits +: PixelBits] =
            ok ? word[ci * PixelBits +: PixelBits] : '0;
      end
    end
  end

  if (WindowPixels > FanIn) begin : g_tail
    assign win_pixels_o[WindowPixels * PixelBits - 1 : FanIn * PixelBits] = '0;
  end

  // ---------------------------------------------------------------------------------------------
  // Parameter checks (Icarus 11 cannot parse elaboration-time $error; Verilator enforces them)
  // ---------------------------------------------------------------------------------------------
`ifndef __ICARUS__
  if (Kernel < 1 || Kernel % 2 == 0) begin : g_bad_kernel
    $error("dense_line_buffer: Kernel must be odd and >= 1, got %0d", Kernel);
  end
  if (WindowPixels < FanIn) begin : g_bad_window
    $error("dense_line_buffer: WindowPixels %0d < C*K*K = %0d", WindowPixels, FanIn);
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Assertions (simulation only)
  // ---------------------------------------------------------------------------------------------
`ifndef SYNTHESIS
  `DUALSPIKE_SVA_ARMED

  always @(posedge clk_i) begin : p_sva
    if (sva_armed_q) begin
      // InLastMatches_A: the pixel stream's last marks pixel H*W-1 of a frame.
      if (in_fire) begin
        assert (in_last_i == in_frame_end)
          else $error("InLastMatches_A: in_last_i = %0d at pixel (%0d, %0d)", in_last_i,
                      in_y_q, in_x_q);
      end
      // TakeValid_A: a window is taken only when it is complete.
      if (win_take_i) begin
        assert (win_valid_o) else $error("TakeValid_A: window taken before it is complete");
      end
      // AheadBound_A: the row and frame counters stay in range.
      assert (int'(rows_ahead_q) <= Slots && int'(frames_ahead_q) <= Slots)
        else $error("AheadBound_A: rows_ahead %0d frames_ahead %0d", rows_ahead_q,
                    frames_ahead_q);
    end
  end
`endif

endmodule
