"""Vector bundles (vectors/bundle.py, docs/vectors.md): make -> verify -> replay, tampering, and
every kind of bad input (one message, non-zero exit, nothing written)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tb.network.networks import digits_network, events_network, wide_beat_network
from vectors import bundle as B

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "ci"))
import replay as R  # noqa: E402

#: K = 5, soft reset, T = 7 (pixel input through the dense input core).
K5_T7 = {
    "name": "k5-t7-soft", "timesteps": 7,
    "input": {"kind": "pixels", "shape": [1, 8, 8], "bits": 5},
    "weight_bits": 4, "membrane_bits": 12,
    "layers": [
        {"kind": "conv", "out_channels": 4, "kernel": 5,
         "neuron": {"model": "lif", "leak_shift": 2, "threshold": 6, "reset": "soft"},
         "hw": {"parallel": 2, "lanes": 2, "group": 25}},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "linear", "out_features": 5,
         "neuron": {"model": "if", "threshold": 3, "reset": "soft"},
         "hw": {"parallel": 2, "lanes": 2, "group": 16}},
    ],
}
CONFIGS = {"pixels": digits_network().config, "spikes": events_network().config, "k5t7": K5_T7,
           # A pixel per beat on tap 0 (one word per pixel, T x C bits).
           "wide": wide_beat_network().config}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vectors.bundle", *args], cwd=REPO,
                          capture_output=True, text=True)


def write_config(folder: Path, cfg: dict, name: str = "config.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(cfg))
    return path


def nothing_written(parent: Path, out: Path) -> bool:
    return not out.exists() and not any(p.name.startswith(f".{out.name}.") for p in parent.iterdir())


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    out = {}
    for name, cfg in CONFIGS.items():
        out[name] = B.make_bundle(cfg, "random", sparsity=0.5, samples=2, seed=7,
                                  out=root / name)
    return out


def fresh_copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


# ------------------------------------------------------------------ round trip

@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_make_then_verify(bundles, name):
    folder = bundles[name]
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {f["name"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert on_disk == listed | {"manifest.json"}
    assert manifest["samples"] == 2 and manifest["generator_version"] == B.GENERATOR_VERSION
    with np.load(folder / "golden.npz") as golden:
        keys = set(golden.files)
    cfg = manifest["config"]
    last = len(cfg["layers"]) - 1
    want = {"input", "prediction"} | {f"L{i}.out" for i in range(last + 1)}
    want |= {f"L{i}.{p}" for i, layer in enumerate(cfg["layers"]) if layer["kind"] != "maxpool"
             for p in ("weight", "bias")}
    if "neuron" in cfg["layers"][last]:
        want.add(f"L{last}.spikes")
    assert keys == want
    assert B.verify_bundle(folder).startswith("OK")


def test_cli_help_and_verify_ok(bundles, tmp_path):
    for args in (["--help"], ["make", "--help"], ["verify", "--help"]):
        result = cli(*args)
        assert result.returncode == 0 and "usage" in result.stdout
    result = cli("verify", str(bundles["k5t7"]))
    assert result.returncode == 0, result.stderr
    cfg = write_config(tmp_path, K5_T7)
    result = cli("make", "--config", str(cfg), "--samples", "1", "--seed", "3",
                 "--out", str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b" / "manifest.json").is_file()


def test_same_seed_same_bundle(tmp_path):
    a = B.make_bundle(K5_T7, samples=1, seed=11, out=tmp_path / "a")
    b = B.make_bundle(K5_T7, samples=1, seed=11, out=tmp_path / "b")
    for name in ("input.mem", "config_writes.mem", "L0.expected.mem", "readout.expected.mem"):
        assert (a / name).read_text() == (b / name).read_text()


# ------------------------------------------------------------------ tampering

def flip_word(path: Path, line: int) -> tuple[str, str]:
    lines = path.read_text().splitlines()
    old = lines[line]
    new = f"{int(old, 16) ^ 1:0{len(old)}x}"
    lines[line] = new
    path.write_text("\n".join(lines) + "\n")
    return old, new


def test_tampered_expected_stream_named(bundles, tmp_path):
    folder = fresh_copy(bundles["spikes"], tmp_path)
    old, new = flip_word(folder / "L1.expected.mem", 5)
    with pytest.raises(B.VerifyFailure, match=rf"L1\.expected\.mem: line 6 .*expected {old}, "
                                              rf"got {new}"):
        B.verify_bundle(folder)
    result = cli("verify", str(folder))
    assert result.returncode == 1 and "L1.expected.mem: line 6" in result.stderr


def test_tampered_with_matching_sha_still_caught(bundles, tmp_path):
    folder = fresh_copy(bundles["pixels"], tmp_path)
    flip_word(folder / "readout.expected.mem", 0)
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["files"]:
        entry["sha256"] = B.sha256(folder / entry["name"])
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(B.VerifyFailure, match=r"readout\.expected\.mem: line 1 "):
        B.verify_bundle(folder)


def test_tampered_golden_value_named(bundles, tmp_path):
    folder = fresh_copy(bundles["k5t7"], tmp_path)
    with np.load(folder / "golden.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["L2.out"][1, 3] += 1
    np.savez(folder / "golden.npz", **arrays)
    with pytest.raises(B.VerifyFailure, match=r"golden\.npz: L2\.out\[1, 3\]: expected"):
        B.verify_bundle(folder)


def test_missing_truncated_altered_files(bundles, tmp_path):
    src = bundles["k5t7"]
    missing = fresh_copy(src, tmp_path / "m")
    (missing / "input.mem").unlink()
    result = cli("verify", str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: input.mem: missing (listed in manifest.json)"

    truncated = fresh_copy(src, tmp_path / "t")
    text = (truncated / "L0.expected.mem").read_text().splitlines()
    (truncated / "L0.expected.mem").write_text("\n".join(text[:10]) + "\n")
    with pytest.raises(B.VerifyFailure, match=r"L0\.expected\.mem: line 11 .*missing"):
        B.verify_bundle(truncated)

    altered = fresh_copy(src, tmp_path / "a")
    with open(altered / "rtl" / "lif_unit.sv", "a") as handle:
        handle.write("// edited\n")
    with pytest.raises(B.VerifyFailure, match=r"rtl/lif_unit\.sv: sha256 differs"):
        B.verify_bundle(altered)

    broken = fresh_copy(src, tmp_path / "g")
    (broken / "golden.npz").write_bytes((broken / "golden.npz").read_bytes()[:100])
    with pytest.raises(B.VerifyFailure, match=r"golden\.npz: unreadable"):
        B.verify_bundle(broken)


# ------------------------------------------------------------------ bad input: nothing written

def bad_config_cases() -> list[tuple[str, dict, str]]:
    no_layers = {**K5_T7, "layers": []}
    bad_steps = {**K5_T7, "timesteps": 0}
    big_group = json.loads(json.dumps(K5_T7))
    big_group["layers"][0]["hw"]["group"] = 33
    return [("no_layers", no_layers, "error: config: "),
            ("timesteps", bad_steps, "error: config: timesteps"),
            ("group_over_32", big_group, "error: config: layers[0].hw.group: at most 32")]


@pytest.mark.parametrize("case", bad_config_cases(), ids=lambda c: c[0])
def test_bad_config(tmp_path, case):
    _, cfg, message = case
    out = tmp_path / "out"
    result = cli("make", "--config", str(write_config(tmp_path, cfg)), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert nothing_written(tmp_path, out)


def test_missing_config_file(tmp_path):
    out = tmp_path / "out"
    result = cli("make", "--config", str(tmp_path / "nope.json"), "--out", str(out))
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert nothing_written(tmp_path, out)


@pytest.mark.parametrize("case", ["range", "shape", "missing_key", "not_npz"])
def test_bad_weights(tmp_path, case):
    from golden.network import random_weights

    weights = random_weights(K5_T7, np.random.default_rng(0), 0.5)
    path = tmp_path / "w.npz"
    if case == "range":
        weights["L0.weight"][0, 0, 0, 0] = 8          # 4-bit weights: [-8, 7]
        message = "error: weights: L0.weight: weights (4 bits) must be in [-8, 7], got 8"
    elif case == "shape":
        weights["L2.weight"] = weights["L2.weight"][:, :10]
        message = "error: weights: L2.weight: shape must be (5, 64), got (5, 10)"
    elif case == "missing_key":
        del weights["L2.bias"]
        message = "error: weights: L2.bias: missing"
    if case == "not_npz":
        path.write_text("hello")
        message = "error: "
    else:
        np.savez(path, **weights)
    out = tmp_path / "out"
    result = cli("make", "--config", str(write_config(tmp_path, K5_T7)), "--weights", str(path),
                 "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert nothing_written(tmp_path, out)


def test_bad_numbers_and_foreign_folder(tmp_path):
    cfg = write_config(tmp_path, K5_T7)
    for flag, value, message in (("--samples", "0", "error: samples"),
                                 ("--sparsity", "1.5", "error: sparsity")):
        out = tmp_path / "out"
        result = cli("make", "--config", str(cfg), flag, value, "--out", str(out))
        assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
        assert nothing_written(tmp_path, out)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(B.BundleError, match="not a bundle"):
        B.make_bundle(K5_T7, samples=1, out=foreign)
    assert (foreign / "keep.txt").read_text() == "mine"


# ------------------------------------------------------------------ replay (plain SV)

@pytest.mark.xdist_group("vectors-replay")
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_replay_passes(bundles, sim, tmp_path):
    """Free-running, then with 40 % stalls on the input and on out_ready: the same words, later."""
    manifest = json.loads((bundles["k5t7"] / "manifest.json").read_text())
    beats = sum(s["beats"] for k, s in manifest["streams"].items() if k != "input")
    cycles = {}
    for stall in (0, 40):
        status, verdict, output = R.replay(bundles["k5t7"], sim, stall=stall,
                                           build_root=REPO / "build" / "replay")
        assert (status, verdict) == (0, f"PASS {beats} beats"), output[-2000:]
        cycles[stall] = int(re.search(r"^INFO cycles (\d+)", output, re.M).group(1))
    assert cycles[40] > cycles[0], cycles


@pytest.mark.xdist_group("vectors-replay")
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_replay_names_tampered_word(bundles, sim, tmp_path):
    folder = fresh_copy(bundles["k5t7"], tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    if sim == "icarus":
        per_sample = manifest["streams"]["L1"]["beats_per_sample"]
        index = per_sample + 9                 # sample 1, beat 9: pixel 1, t = 2 (T = 7)
        old, new = flip_word(folder / "L1.expected.mem", index)
        where = f"L1 1 2 {index}"
    else:
        index = 1                              # the readout of sample 1
        old, new = flip_word(folder / "readout.expected.mem", index)
        where = f"readout 1 - {index}"
    status, verdict, output = R.replay(folder, sim, build_root=REPO / "build" / "replay")
    assert status == 1, output[-2000:]
    assert verdict == f"FAIL {where} expected {int(new, 16):x} got {int(old, 16):x}", \
        output[-2000:]


# ------------------------------------------------------------------ replacing a bundle: nothing lost

from tests.test_bundle_errors import SMALL  # noqa: E402 - the quick network of the bad-input cases


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


class Interrupter:
    """Raises KeyboardInterrupt at the ``step``-th step of writing a bundle: the first sha256
    (files are being written), each rename, the removal of the old bundle."""

    def __init__(self, monkeypatch, step: int, partial_remove: bool = False):
        self.step, self.calls, self.partial_remove = step, 0, partial_remove
        self.sha_seen = False
        real_move, real_remove, real_sha = B._move, B._remove_tree, B.sha256

        def tick() -> bool:
            self.calls += 1
            return self.calls == self.step

        def move(source, target):
            if tick():
                raise KeyboardInterrupt
            real_move(source, target)

        def remove(path):
            if tick():
                if self.partial_remove:   # interrupted half-way through the removal
                    for victim in sorted(Path(path).rglob("*.mem"))[:3]:
                        victim.unlink()
                raise KeyboardInterrupt
            real_remove(path)

        def sha(path):
            if not self.sha_seen:
                self.sha_seen = True
                if tick():
                    raise KeyboardInterrupt
            return real_sha(path)

        monkeypatch.setattr(B, "_move", move)
        monkeypatch.setattr(B, "_remove_tree", remove)
        monkeypatch.setattr(B, "sha256", sha)


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.mark.parametrize("partial_remove", [False, True], ids=["remove", "half-removed"])
def test_interrupt_at_every_step_loses_nothing(tmp_path, monkeypatch, partial_remove):
    out = tmp_path / "b"
    old = tree_bytes(B.make_bundle(SMALL, samples=1, seed=1, out=out))
    new = tree_bytes(B.make_bundle(SMALL, samples=1, seed=2, out=tmp_path / "reference"))
    assert old != new
    finished, step = False, 0
    while not finished:
        step += 1
        assert step < 10, "the interrupter never let make_bundle finish"
        with monkeypatch.context() as patch:
            Interrupter(patch, step, partial_remove)
            try:
                B.make_bundle(SMALL, samples=1, seed=2, out=out)
                finished = True
            except KeyboardInterrupt:
                pass
        assert not [n for n in leftovers(out) if ".new-" in n], leftovers(out)
        if finished:
            assert tree_bytes(out) == new and leftovers(out) == []
            break
        if out.exists():
            assert tree_bytes(out) in (old, new), f"step {step}: OUT is neither bundle, whole"
        else:
            assert tree_bytes(B._aside(out)) == old, f"step {step}: the old bundle is not aside"
        # The next run puts back or removes what the interrupted one left, then replaces.
        state = "new" if out.exists() and tree_bytes(out) == new else "old"
        B.make_bundle(SMALL, samples=1, seed=1, out=out)
        assert tree_bytes(out) == old and leftovers(out) == [], (step, state)
    assert step >= 4   # writing, old aside, new in place, old removed: every step was hit


def test_stale_aside_is_put_back_or_reported(tmp_path, capsys):
    out = tmp_path / "b"
    old = tree_bytes(B.make_bundle(SMALL, samples=1, seed=1, out=out))
    B._move(out, B._aside(out))                    # as an interrupt after the first rename
    assert B.main(["verify", str(out)]) == 2       # verify does not guess
    assert B._check_out(out) == [f"put back {out} from {B._aside(out)} (an interrupted run had "
                                 f"moved it aside)"]
    assert tree_bytes(out) == old and leftovers(out) == []

    B._move(out, B._aside(out))
    (B._aside(out) / "input.mem").unlink()        # not whole: it cannot be put back
    with pytest.raises(B.BundleError, match=r"\.b\.replaced: left by an interrupted run and "
                                            r"cannot be put back .*input\.mem is missing"):
        B.make_bundle(SMALL, samples=1, seed=1, out=out)
    assert not out.exists() and leftovers(out) == [".b.replaced"]


def test_replaces_only_its_own_bundle(tmp_path):
    out = tmp_path / "b"
    B.make_bundle(SMALL, samples=1, seed=1, out=out)
    B.make_bundle(SMALL, samples=1, seed=2, out=out)           # its own: replaced
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    B.make_bundle(SMALL, samples=1, seed=1, out=empty)         # an empty folder holds nothing
    edited = json.loads((out / "manifest.json").read_text())
    edited["generator"] = "someone.else"
    (out / "manifest.json").write_text(json.dumps(edited))
    before = tree_bytes(out)
    with pytest.raises(B.BundleError, match="names the generator 'someone.else'"):
        B.make_bundle(SMALL, samples=1, seed=3, out=out)
    assert tree_bytes(out) == before


def handles_interrupts(pid: int) -> None:
    """Waits until the command has installed its Ctrl-C handler (it catches SIGALRM then, Linux
    /proc/<pid>/status SigCgt): a Ctrl-C before, while Python itself starts, is Python's."""
    import signal
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M).group(1), 16)
        if caught >> (signal.SIGALRM - 1) & 1:
            return
        time.sleep(0.01)
    raise AssertionError("the command never installed its interrupt handler")


def test_ctrl_c_is_one_line(tmp_path):
    """A real SIGINT at several moments (loading, computing, writing): exit 130 with one line, or
    the run finished first; OUT holds the old bundle or the new one, whole; no staging left."""
    import signal
    import time

    out = tmp_path / "b"
    old = tree_bytes(B.make_bundle(K5_T7, samples=2, seed=1, out=out))
    config = write_config(tmp_path, K5_T7)
    interrupted = 0
    for delay in (0.0, 0.5, 1.5, 3.0):
        process = subprocess.Popen([sys.executable, "-m", "vectors.bundle", "make", "--config",
                                    str(config), "--samples", "2", "--seed", "2", "--out",
                                    str(out)], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        handles_interrupts(process.pid)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=300)
        assert "Traceback" not in stderr, stderr
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        if process.returncode == 130:
            interrupted += 1
            assert errors and errors[0].startswith("error: interrupted") and len(errors) == 1
        else:
            assert process.returncode == 0 and not errors, (process.returncode, stderr)
        assert tree_bytes(out) == old or B.verify_bundle(out).startswith("OK")
        assert leftovers(out) == []
        old = tree_bytes(out)
    assert interrupted >= 1


# ------------------------------------------------------------------ hw knobs and the schemas

def test_hw_knobs_clipped_and_recorded(tmp_path):
    cfg = json.loads(json.dumps(SMALL))
    cfg["layers"][0]["hw"] = {"parallel": 1000, "group": 32, "lanes": 64}   # Co 3, fan-in 18
    cfg["layers"][1]["hw"] = {"parallel": 4}                                # maxpool: no knobs
    out = B.make_bundle(cfg, samples=1, seed=1, out=tmp_path / "b")
    plan = json.loads((out / "network.json").read_text())
    assert plan["layers"][0]["parameters"]["Parallel"] == 3
    assert plan["layers"][0]["parameters"]["GroupWidth"] == 18
    assert plan["layers"][0]["parameters"]["Lanes"] == 18
    assert plan["layers"][0]["hw_clipped"] == {
        "parallel": {"requested": 1000, "used": 3}, "group": {"requested": 32, "used": 18},
        "lanes": {"requested": 64, "used": 18}}
    assert plan["layers"][1]["hw_clipped"] == {"parallel": {"requested": 4, "used": None}}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["hw_clipped"]["layers[0].hw.parallel"] == {"requested": 1000, "used": 3}
    assert manifest["hw_clipped"]["layers[1].hw.parallel"] == {"requested": 4, "used": None}
    assert B.verify_bundle(out).startswith("OK")
    edited = dict(manifest, hw_clipped={})
    (out / "manifest.json").write_text(json.dumps(edited))
    with pytest.raises(B.VerifyFailure, match=r"hw_clipped\.layers\[0\]\.hw\.group"):
        B.verify_bundle(out)


def test_generated_json_follows_the_schemas(bundles):
    for folder in bundles.values():
        manifest = json.loads((folder / "manifest.json").read_text())
        assert B._schema_problem(manifest, "manifest.schema.json") is None
        plan = json.loads((folder / "network.json").read_text())
        assert B._schema_problem(plan, "network.schema.json") is None
        for field in ("samples", "streams", "files", "config_writes"):
            broken = {k: v for k, v in manifest.items() if k != field}
            assert B._schema_problem(broken, "manifest.schema.json") == \
                f"$: '{field}' is a required property"
