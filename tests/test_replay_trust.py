"""The replay of a bundle cannot pass by accident (ci/replay.py, tb/replay/replay_tb.sv,
docs/vectors.md "What the replay checks"): every way of damaging a bundle that once passed
fails, on both simulators, naming the file; the measured cycles are checked against the cycle
model in manifest.json.

One small bundle (tests/test_vectors.py's K5_T7: dense input conv, max-pool, linear; 2 samples)
is made once per module and copied per case. Each case runs the CLI (``ci/replay.py``'s main)
with ``--no-verify`` so that the bench itself must catch the damage; the size/sha256 check that
runs by default is tested separately without a simulator.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from golden.config import load_config
from golden.cycles import dense_input
from golden.network import run_traces
from golden.neuron import NeuronParams, run_neuron
from tests.test_vectors import K5_T7
from vectors import bundle as B

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "ci"))
import replay as R  # noqa: E402

SIMS = ["icarus", "verilator"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return B.make_bundle(K5_T7, "random", sparsity=0.5, samples=2, seed=7,
                         out=tmp_path_factory.mktemp("trust") / "k5t7")


def copy_of(bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundle, tmp_path / "copy"))


def cli(folder: Path, sim: str, capsys, *extra: str) -> tuple[int, str]:
    status = R.main(["--bundle", str(folder), "--sim", sim, *extra])
    out = capsys.readouterr().out
    return status, out


def verdict_of(out: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(lines) == 1, out
    return lines[0]


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


# Each damage: (what it does to the folder, the text the verdict must hold).
def delete(folder: Path) -> None:
    (folder / "readout.expected.mem").unlink()


def empty(folder: Path) -> None:
    (folder / "L1.expected.mem").write_text("")


def drop_last_line(folder: Path) -> None:
    path = folder / "L0.expected.mem"
    path.write_text("".join(lines_of(path)[:-1]))


def extra_readout_line(folder: Path) -> None:
    path = folder / "readout.expected.mem"
    path.write_text(path.read_text() + lines_of(path)[-1])


def extra_tap_line(folder: Path) -> None:
    path = folder / "L1.expected.mem"
    path.write_text(path.read_text() + lines_of(path)[0])


def tamper_samples(folder: Path) -> None:
    path = folder / "replay_bundle.svh"
    text = path.read_text()
    assert "localparam int Samples = 2;" in text
    path.write_text(text.replace("localparam int Samples = 2;", "localparam int Samples = 1;"))


def malformed_word(folder: Path) -> None:
    path = folder / "input.mem"
    lines = lines_of(path)
    lines[3] = "g" + lines[3][1:]
    path.write_text("".join(lines))


DAMAGES = {
    "deleted": (delete, "FAIL readout.expected.mem: missing"),
    "emptied": (empty, "FAIL L1.expected.mem: 0 words, expected 224"),
    "last line removed": (drop_last_line, "FAIL L0.expected.mem: 895 words, expected 896"),
    "extra readout line": (extra_readout_line, "FAIL readout.expected.mem: 3 words, expected 2"),
    "extra tap line": (extra_tap_line, "FAIL L1.expected.mem: 225 words, expected 224"),
    # input.mem is the first file whose size the smaller Samples contradicts.
    "Samples tampered": (tamper_samples, "words, expected"),
    "malformed word": (malformed_word, "FAIL input.mem: line 4:"),
}


def test_damages_listed_as_expected(bundle):
    """The word counts the cases quote are this bundle's (2 samples)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["samples"] == 2
    assert manifest["streams"]["L0"]["beats"] == 896
    assert manifest["streams"]["L1"]["beats"] == 224
    assert manifest["streams"]["readout"]["beats"] == 2


@pytest.mark.xdist_group("replay")
@pytest.mark.parametrize("sim", SIMS)
def test_intact_bundle_passes_with_exact_cycles(bundle, sim, capsys):
    """Free-running: every sample's first input beat, every stream's last beat per sample and
    the total are the network model's (golden.cycles.network.stepped_network), exactly."""
    status, out = cli(bundle, sim, capsys)
    assert (status, verdict_of(out)) == (0, "PASS 1136 beats"), out
    cycles = json.loads((bundle / "manifest.json").read_text())["cycles"]
    first = {int(s): int(c) for s, c in re.findall(r"^INFO first_in (\d+) (\d+)$", out, re.M)}
    last = {(name, int(s)): int(c) for name, s, c in
            re.findall(r"^INFO last (\S+) (\d+) (\d+) \d+$", out, re.M)}
    start = first[0]
    assert [first[s] - start for s in range(2)] == cycles["first_in"]
    taps = len(cycles["tap_last"])
    assert taps == 3
    assert [[last[(f"L{i}", s)] - start for s in range(2)] for i in range(taps)] == \
        cycles["tap_last"]
    assert [last[("readout", s)] - start for s in range(2)] == cycles["readout_last"]
    total = int(re.search(r"^INFO cycles (\d+) ", out, re.M).group(1))
    assert total == cycles["total_exact"] == cycles["readout_last"][-1] + 1
    # 2 first beats, 3 x 2 tap ends, 2 readout ends and the total.
    assert "INFO checked 11 cycle counts exactly against the network model " in out, out
    # Layer 0 alone is also its closed-form core model (it is never backpressured here).
    assert [last[("L0", s)] - first[s] + 1 for s in range(2)] == cycles["layer0_per_frame"]


def test_layer0_cycles_are_the_core_model(bundle):
    """manifest.json's layer-0 figures are golden/cycles/dense_input's, on the bundle's input."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    cfg = load_config(manifest["config"])
    core = json.loads((bundle / "network.json").read_text())["layers"][0]["parameters"]
    with np.load(bundle / "golden.npz") as golden:
        timing = dense_input.frame_timing(golden["L0.weight"], list(golden["input"]),
                                          parallel=core["Parallel"], lanes=core["Lanes"],
                                          group=core["GroupWidth"], timesteps=cfg["timesteps"],
                                          current_buffers=core["CurrentBuffers"],
                                          neuron_stages=core["NeuronStages"])
    assert manifest["cycles"]["layer0_per_frame"] == list(timing.cycles)
    assert manifest["cycles"]["layer_span_lower_bounds"][0] == \
        timing.last_out[-1] - timing.first_in[0] + 1


@pytest.mark.xdist_group("replay")
@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damage_fails_naming_the_file(bundle, sim, damage, tmp_path, capsys):
    folder = copy_of(bundle, tmp_path)
    change, expected = DAMAGES[damage]
    change(folder)
    status, out = cli(folder, sim, capsys, "--no-verify")
    verdict = verdict_of(out)
    assert status == 1, out
    assert verdict.startswith("FAIL ") and expected in verdict, out
    if damage == "Samples tampered":
        assert re.match(r"FAIL \S+\.mem: \d+ words, expected \d+ \(the constants of "
                        r"replay_bundle\.svh\)", verdict), out


@pytest.mark.xdist_group("replay")
@pytest.mark.parametrize("sim", SIMS)
def test_corrupted_word_fails_naming_file_and_line(bundle, sim, tmp_path, capsys):
    folder = copy_of(bundle, tmp_path)
    path = folder / "L1.expected.mem"
    lines = lines_of(path)
    index = 121                       # sample 1 (112 beats per sample), beat 9: t = 2
    width = len(lines[index]) - 1
    old = int(lines[index], 16)
    lines[index] = f"{old ^ 1:0{width}x}\n"
    path.write_text("".join(lines))
    status, out = cli(folder, sim, capsys, "--no-verify")
    assert status == 1, out
    assert verdict_of(out) == (f"FAIL L1 1 2 {index} expected {old ^ 1:x} got {old:x} "
                               f"(L1.expected.mem line {index + 1})"), out


@pytest.mark.xdist_group("replay")
@pytest.mark.parametrize("sim", SIMS)
def test_tampered_expected_cycles_fail(bundle, sim, tmp_path, capsys):
    """An expected edge of one tap one cycle off, then the expected total: each fails, named."""
    folder = copy_of(bundle, tmp_path)
    path = folder / "manifest.json"
    good = path.read_text()
    manifest = json.loads(good)
    manifest["cycles"]["tap_last"][1][1] += 1
    path.write_text(json.dumps(manifest))
    status, out = cli(folder, sim, capsys)   # the manifest itself has no sha256
    want = manifest["cycles"]["tap_last"][1][1]
    assert status == 1, out
    assert verdict_of(out) == (f"FAIL cycles: L1 sample 1, last beat (manifest.json cycles."
                               f"tap_last[1]): measured {want - 1}, model {want}"), out
    manifest = json.loads(good)
    manifest["cycles"]["total_exact"] -= 1
    path.write_text(json.dumps(manifest))
    status, out = cli(folder, sim, capsys)
    want = manifest["cycles"]["total_exact"]
    assert status == 1, out
    assert verdict_of(out) == (f"FAIL cycles: in all (manifest.json cycles.total_exact): "
                               f"measured {want + 1}, model {want}"), out


@pytest.mark.xdist_group("replay")
def test_stalled_run_checks_bounds(bundle, capsys):
    """Under 40 % stalls the counts are only bounds, and the run still passes (Icarus)."""
    status, out = cli(bundle, "icarus", capsys, "--stall", "40")
    assert (status, verdict_of(out)) == (0, "PASS 1136 beats"), out


# ------------------------------------------------------------ checks without a simulator

@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_verify_first_names_the_file(bundle, damage, tmp_path, capsys):
    """Without --no-verify every damage is caught before any build: size or sha256."""
    folder = copy_of(bundle, tmp_path)
    change, _ = DAMAGES[damage]
    change(folder)
    status, out = cli(folder, "icarus", capsys)
    name = {"deleted": "readout.expected.mem", "emptied": "L1.expected.mem",
            "last line removed": "L0.expected.mem", "extra readout line": "readout.expected.mem",
            "extra tap line": "L1.expected.mem", "Samples tampered": "replay_bundle.svh",
            "malformed word": "input.mem"}[damage]
    assert status == 1
    assert verdict_of(out).startswith(f"FAIL {name}: "), out


def passing_output(bundle: Path) -> str:
    """What the bench prints for this bundle at STALL=0 (without running it)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    streams = manifest["streams"]
    out = [f"INFO samples {manifest['samples']}",
           f"INFO config {manifest['config_writes']['count']} writes",
           f"INFO input {streams['input']['beats']} beats",
           *(f"INFO first_in {s} {100 + c}" for s, c in
             enumerate(manifest["cycles"]["first_in"]))]
    for name, stream in streams.items():
        if name != "input":
            out.append(f"INFO stream {name} beats {stream['beats']} stalled 0 "
                       f"file {stream['file']}")
    cycles = manifest["cycles"]
    for i, tap in enumerate(cycles["tap_last"]):
        out += [f"INFO last L{i} {s} {100 + c} 0" for s, c in enumerate(tap)]
    out += [f"INFO last readout {s} {100 + c} 0" for s, c in enumerate(cycles["readout_last"])]
    out += [f"INFO cycles {cycles['total_exact']} (first input beat ...)", "PASS 1136 beats"]
    return "\n".join(out) + "\n"


def test_check_run_accepts_the_expected_output(bundle):
    assert R.check_run(bundle, passing_output(bundle), stall=0) is None


@pytest.mark.parametrize("change, expected", [
    (("INFO samples 2", "INFO samples 1"),
     "replay_bundle.svh: the bench counted 1 samples (samples), manifest.json says 2"),
    (("INFO stream L1 beats 224", "INFO stream L1 beats 223"),
     "L1.expected.mem: the bench checked 223 beats, manifest.json says 224"),
    (("INFO stream readout beats 2 stalled 0 file readout.expected.mem\n", ""),
     "readout.expected.mem: the bench printed no count for stream readout"),
    (("INFO input 128 beats", "INFO input 127 beats"),
     "replay_bundle.svh: the bench counted 127 input"),
    (("PASS", "WARNING: /b/L2.expected.mem:0: $readmemh(/b/L2.expected.mem): Not enough words "
              "in the file for the requested range [0:13].\nPASS"),
     "L2.expected.mem: the simulator complained about $readmemh"),
    (("PASS", "%Warning: /b/config_writes.mem:0: $readmem file not found\nPASS"),
     "config_writes.mem: the simulator complained about $readmemh"),
])
def test_check_run_refuses(bundle, change, expected):
    """ci/replay.py's own checks of a PASS: each disagreement named."""
    output = passing_output(bundle)
    assert change[0] in output
    problem = R.check_run(bundle, output.replace(change[0], change[1]), stall=0)
    assert problem is not None and problem.startswith(expected), problem


def test_stalled_counts_are_lower_bounds(bundle):
    """Free-running, one cycle late anywhere fails naming the edge; under stalls (or out_hold)
    a slower run passes and one faster than a lower bound fails."""
    output = passing_output(bundle)
    slower = re.sub(r"^INFO last L0 1 (\d+) 0$", lambda m: f"INFO last L0 1 {int(m[1]) + 5} 0",
                    output, flags=re.M)
    assert slower != output
    assert R.check_run(bundle, slower, stall=0).startswith(
        "cycles: L0 sample 1, last beat (manifest.json cycles.tap_last[0]): measured")
    assert R.check_run(bundle, slower, stall=30) is None
    assert R.check_run(bundle, slower, stall=0, out_hold=50) is None
    cycles = json.loads((bundle / "manifest.json").read_text())["cycles"]
    first = f"INFO first_in 1 {100 + cycles['first_in'][1]}"
    later = output.replace(first, f"INFO first_in 1 {101 + cycles['first_in'][1]}")
    assert R.check_run(bundle, later, stall=30).startswith(
        "cycles: layer 0, sample 1: measured"), "a layer-0 frame faster than its model"
    total = f"INFO cycles {cycles['total_exact']} "
    below = output.replace(total, f"INFO cycles {cycles['total_lower_bound'] - 1} ")
    assert R.check_run(bundle, below, stall=30).startswith(
        "cycles: measured") and "below the lower bound" in R.check_run(bundle, below, stall=30)


def test_manifest_without_exact_cycles_is_refused(bundle, tmp_path):
    folder = copy_of(bundle, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["cycles"]["total_exact"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert R.check_run(folder, passing_output(bundle), stall=0).startswith(
        "manifest.json: no complete cycles facts")


# ------------------------------------------------------------ debug traces

def test_traces_side_file(bundle):
    """traces.npz (listed with its sha256) holds every neuron layer's currents and membranes,
    in golden.npz's order: the neuron run on the stored currents gives back the stored spikes
    and membranes."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert listed["traces.npz"] == B.sha256(bundle / "traces.npz")
    assert manifest["traces"]["file"] == "traces.npz"
    cfg = load_config(manifest["config"])
    with np.load(bundle / "traces.npz") as archive:
        traces = {k: archive[k] for k in archive.files}
    with np.load(bundle / "golden.npz") as archive:
        golden = {k: archive[k] for k in archive.files}
    assert sorted(traces) == ["L0.current", "L0.membrane", "L2.current", "L2.membrane"]
    weights = {k: v for k, v in golden.items() if k.endswith((".weight", ".bias"))}
    again = run_traces(cfg, weights, golden["input"])
    assert sorted(again) == sorted(traces)
    assert all(np.array_equal(again[k], traces[k]) for k in traces)
    for i, spikes_key in ((0, "L0.out"), (2, "L2.spikes")):
        params = NeuronParams.from_config(cfg["layers"][i]["neuron"])
        for n in range(2):
            spikes, membranes = run_neuron(traces[f"L{i}.current"][n], params,
                                           cfg["membrane_bits"])
            assert np.array_equal(spikes, golden[spikes_key][n])
            assert np.array_equal(membranes, traces[f"L{i}.membrane"][n])
    assert traces["L0.current"].shape == golden["L0.out"].shape
    assert traces["L2.membrane"].dtype == np.int64


def test_run_traces_refuses_no_samples(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    with np.load(bundle / "golden.npz") as archive:
        weights = {k: archive[k] for k in archive.files if k.endswith((".weight", ".bias"))}
    with pytest.raises(ValueError, match="samples: need at least one sample"):
        run_traces(manifest["config"], weights, [])
