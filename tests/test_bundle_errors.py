"""Bad input to the bundle command line (vectors/bundle.py, docs/vectors.md "What is refused").

Every case runs the real command (``python -m vectors.bundle ...`` or ``make ...`` in a
subprocess) and must end with its exit status, exactly one stderr line starting with ``error:``
(``FAIL`` for a verify disagreement) that names the file, field or value, no traceback, and the
test's folder byte for byte as it was (nothing written, nothing removed).

``python tests/test_bundle_errors.py`` runs the same cases and writes the table of docs/vectors.md
to build/bad_inputs.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from golden.network import random_weights  # noqa: E402
from vectors import bundle as B  # noqa: E402

#: A network that makes a bundle in about a second: spikes 2x4x4, T = 2, conv, pool, linear.
SMALL = {
    "name": "small", "timesteps": 2, "input": {"kind": "spikes", "shape": [2, 4, 4]},
    "weight_bits": 4, "membrane_bits": 8,
    "layers": [
        {"kind": "conv", "out_channels": 3, "kernel": 3,
         "neuron": {"model": "if", "threshold": 2, "reset": "hard"}},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "linear", "out_features": 3, "readout": "accumulate"},
    ],
}
MAKE_LINE = re.compile(r"^make(\[\d+\])?: \*\*\* \[.*\] Error (\d+)$")


@dataclass
class Case:
    id: str
    what: str                                       # the bad input, for the table
    setup: Callable[[Path, Path], list[str]]        # (folder, good bundle) -> arguments
    status: int
    message: str                                    # must appear in the one stderr line
    via: str = "python"                             # "python": python -m vectors.bundle; "make"

    @property
    def prefix(self) -> str:
        return "FAIL " if self.status == 1 else "error: "


# ------------------------------------------------------------------ building blocks

def with_layer(index: int, **changes) -> dict:
    cfg = json.loads(json.dumps(SMALL))
    cfg["layers"][index].update(changes)
    return cfg


def config_file(folder: Path, cfg=SMALL, name: str = "config.json") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(cfg, bytes):
        path.write_bytes(cfg)
    else:
        path.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return path


def make_args(folder: Path, *extra: str, cfg=SMALL, out: Path | str | None = None) -> list[str]:
    out = folder / "out" if out is None else out
    return ["make", "--config", str(config_file(folder, cfg)), "--out", str(out), *extra]


def bad_config(cfg) -> Callable[[Path, Path], list[str]]:
    return lambda folder, _: make_args(folder, cfg=cfg)


def flags(*extra: str) -> Callable[[Path, Path], list[str]]:
    return lambda folder, _: make_args(folder, *extra)


def weights_file(folder: Path, change: Callable[[dict], dict | None], name="w.npz") -> Path:
    weights = random_weights(SMALL, np.random.default_rng(0), 0.5)
    weights = change(weights) or weights
    path = folder / name
    np.savez(path, **weights)
    return path


def bad_weights(change: Callable[[dict], dict | None]) -> Callable[[Path, Path], list[str]]:
    return lambda folder, _: make_args(folder, "--weights", str(weights_file(folder, change)))


def weights_path(make: Callable[[Path], Path]) -> Callable[[Path, Path], list[str]]:
    return lambda folder, _: make_args(folder, "--weights", str(make(folder)))


def out_at(make: Callable[[Path, Path], Path | str]) -> Callable[[Path, Path], list[str]]:
    return lambda folder, good: make_args(folder, out=make(folder, good))


def copy_bundle(good: Path, folder: Path, name: str = "b") -> Path:
    target = folder / name
    shutil.copytree(good, target, symlinks=True)
    return target


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value, indent=2))


def verify_after(change: Callable[[Path], None]) -> Callable[[Path, Path], list[str]]:
    def setup(folder: Path, good: Path) -> list[str]:
        bundle = copy_bundle(good, folder)
        change(bundle)
        return ["verify", str(bundle)]
    return setup


def manifest_edit(change: Callable[[dict], None]) -> Callable[[Path, Path], list[str]]:
    return verify_after(lambda b: edit_json(b / "manifest.json", change))


def set_file_entry(name: str, **fields) -> Callable[[dict], None]:
    def change(manifest: dict) -> None:
        entry = manifest["files"][0]
        entry.update(fields)
        if name:
            entry["name"] = name
        for key, value in list(entry.items()):
            if value is None:
                del entry[key]
    return change


def foreign_folder(folder: Path, _good: Path) -> Path:
    target = folder / "thesis"
    target.mkdir()
    (target / "manifest.json").write_text('{"title": "my thesis"}\n')
    (target / "thesis.tex").write_text("\\documentclass{book}\n")
    return target


def bundle_with_notes(folder: Path, good: Path) -> Path:
    target = copy_bundle(good, folder)
    (target / "notes.txt").write_text("board 3: lane 2 flaky\n")
    return target


def symlink_to_bundle(folder: Path, good: Path) -> Path:
    real = copy_bundle(good, folder, "real")
    (folder / "link").symlink_to(real)
    return folder / "link"


def dangling_symlink(folder: Path, _good: Path) -> Path:
    (folder / "link").symlink_to(folder / "nowhere")
    return folder / "link"


def a_file(folder: Path, _good: Path) -> Path:
    (folder / "out").write_text("not a folder\n")
    return folder / "out"


def under_a_file(folder: Path, _good: Path) -> Path:
    (folder / "plain").write_text("a file\n")
    return folder / "plain" / "out"


def stale_aside_file(folder: Path, good: Path) -> Path:
    target = copy_bundle(good, folder, "out")
    (folder / ".out.replaced").write_text("in the way\n")
    return target


def symlink_member(folder_name: str, inside: str) -> Callable[[Path], None]:
    """Replaces ``folder_name`` of the bundle by a symlink to an identical copy outside it."""
    def change(bundle: Path) -> None:
        outside = bundle.parent / "outside"
        original = bundle / folder_name
        if original.is_dir():
            shutil.copytree(original, outside)
            shutil.rmtree(original)
        else:
            shutil.copyfile(original, outside)
            original.unlink()
        original.symlink_to(outside)
        assert (bundle / inside).exists()
    return change


def flip_first_word(path: Path) -> None:
    lines = path.read_text().splitlines()
    lines[0] = f"{int(lines[0], 16) ^ 1:0{len(lines[0])}x}"
    path.write_text("\n".join(lines) + "\n")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def set_stream_width(manifest: dict) -> None:
    manifest["streams"]["L0"]["width"] += 1


def drop_sha(manifest: dict) -> None:
    del manifest["files"][0]["sha256"]


def network_width(bundle: Path) -> None:
    edit_json(bundle / "network.json", lambda n: n["layers"][0].update(out_width=7))


def config_write_field(manifest: dict) -> None:
    manifest["config_writes"]["fields_msb_first"][3][1] += 1


def beats_per_sample(manifest: dict) -> None:
    manifest["streams"]["readout"]["beats_per_sample"] += 1


def wrong_bytes(manifest: dict) -> None:
    manifest["files"][0]["bytes"] += 1


# ------------------------------------------------------------------ the cases

def _missing_weights(folder: Path) -> Path:
    return folder / "no-such-weights.npz"


def _npy(folder: Path) -> Path:
    np.save(folder / "x.npy", np.zeros(3, dtype=np.int64))
    return folder / "x.npy"


def _text_weights(folder: Path) -> Path:
    (folder / "w.npz").write_text("hello")
    return folder / "w.npz"


def _truncated_npz(folder: Path) -> Path:
    path = weights_file(folder, lambda w: None)
    path.write_bytes(path.read_bytes()[:300])
    return path


def _pickled_npz(folder: Path) -> Path:
    path = folder / "w.npz"
    weights = random_weights(SMALL, np.random.default_rng(0), 0.5)
    weights["L0.weight"] = np.array([{"a": 1}], dtype=object)
    np.savez(path, **weights)
    return path


def _weights_dir(folder: Path) -> Path:
    (folder / "wdir").mkdir()
    return folder / "wdir"


def _set(key: str, value) -> Callable[[dict], None]:
    def change(weights: dict) -> None:
        weights[key] = value(weights[key]) if callable(value) else value
    return change


def _drop(key: str) -> Callable[[dict], None]:
    def change(weights: dict) -> None:
        del weights[key]
    return change


def _range(weights: dict) -> None:
    weights["L0.weight"][0, 0, 0, 0] = 8


CASES = [
    # --- the config
    Case("config-missing", "CONFIG names no file",
         lambda f, _: ["make", "--config", str(f / "nope.json"), "--out", str(f / "out")],
         2, "nope.json"),
    Case("config-binary", "CONFIG is a binary file",
         bad_config(b"\x89PNG\r\n\x1a\n\xff\xfe\x00"), 2, "not UTF-8 text"),
    Case("config-deep", "CONFIG is JSON nested 100000 deep",
         bad_config(nested(100000)), 2, "JSON nested too deeply"),
    Case("config-huge-int", "CONFIG holds a 5000-digit integer",
         bad_config('{"timesteps": ' + "9" * 5000 + "}"), 2, "5000 digits"),
    Case("config-not-json", "CONFIG is not JSON", bad_config("hello"), 2, "invalid JSON"),
    Case("config-empty", "CONFIG is empty", bad_config(""), 2, "invalid JSON"),
    Case("config-folder", "CONFIG is a folder",
         lambda f, _: ["make", "--config", str(f), "--out", str(f / "out")], 2, "cannot read"),
    Case("config-array", "CONFIG is a JSON array", bad_config([1, 2]), 2,
         "config: must be an object, not list"),
    Case("config-duplicate", "CONFIG repeats a key",
         bad_config('{"timesteps": 2, "timesteps": 3}'), 2, "timesteps: duplicate key"),
    Case("config-nan", "CONFIG holds NaN", bad_config('{"timesteps": NaN}'), 2,
         "non-standard JSON constant NaN"),
    Case("config-timesteps", "timesteps 0", bad_config({**SMALL, "timesteps": 0}), 2,
         "timesteps: must be >= 1, got 0"),
    Case("config-unknown-key", "an unknown top-level key",
         bad_config({**SMALL, "clock_mhz": 100}), 2, "clock_mhz: unknown key"),
    Case("config-no-layers", "no layers", bad_config({**SMALL, "layers": []}), 2,
         "layers: must contain at least one layer"),
    Case("config-even-kernel", "a conv kernel of 4", bad_config(with_layer(0, kernel=4)), 2,
         "layers[0].kernel: must be odd, got 4"),
    Case("config-last-maxpool", "a maxpool as the last layer",
         bad_config({**SMALL, "layers": SMALL["layers"][:2]}), 2,
         "layers[1].kind: the last layer must be conv or linear"),
    Case("hw-maxpool-banana", 'maxpool "hw": {"banana": -5}',
         bad_config(with_layer(1, hw={"banana": -5})), 2,
         "layers[1].hw: unknown knob 'banana'"),
    Case("hw-conv-banana", 'conv "hw": {"banana": 1}',
         bad_config(with_layer(0, hw={"banana": 1})), 2, "layers[0].hw: unknown knob 'banana'"),
    Case("hw-maxpool-parallel-0", 'maxpool "hw": {"parallel": 0}',
         bad_config(with_layer(1, hw={"parallel": 0})), 2,
         "layers[1].hw.parallel: must be >= 1, got 0"),
    Case("hw-linear-lanes-negative", 'linear "hw": {"lanes": -1}',
         bad_config(with_layer(2, hw={"lanes": -1})), 2, "layers[2].hw.lanes: must be >= 1"),
    Case("hw-group-33", 'conv "hw": {"group": 33}',
         bad_config(with_layer(0, hw={"group": 33})), 2, "layers[0].hw.group: at most 32"),
    Case("hw-string", 'conv "hw": {"parallel": "4"}',
         bad_config(with_layer(0, hw={"parallel": "4"})), 2,
         "layers[0].hw.parallel: must be an integer, not str"),
    Case("hw-bool", 'maxpool "hw": {"lanes": true}',
         bad_config(with_layer(1, hw={"lanes": True})), 2,
         "layers[1].hw.lanes: must be an integer, not bool"),
    Case("hw-float", 'linear "hw": {"group": 4.0}',
         bad_config(with_layer(2, hw={"group": 4.0})), 2,
         "layers[2].hw.group: must be an integer, not float"),
    Case("hw-not-object", 'maxpool "hw": [4]', bad_config(with_layer(1, hw=[4])), 2,
         "layers[1].hw: must be an object"),
    # --- the weights
    Case("weights-npy", "WEIGHTS=x.npy (one array)", weights_path(_npy), 2,
         "x.npy: a single array (.npy)"),
    Case("weights-missing", "WEIGHTS names no file", weights_path(_missing_weights), 2,
         "no-such-weights.npz: no such weights file"),
    Case("weights-text", "WEIGHTS is a text file", weights_path(_text_weights), 2,
         "w.npz: not an .npz archive (no zip header)"),
    Case("weights-folder", "WEIGHTS is a folder", weights_path(_weights_dir), 2,
         "wdir: not a readable .npz archive"),
    Case("weights-truncated", "WEIGHTS is a truncated .npz", weights_path(_truncated_npz), 2,
         "w.npz: not a readable .npz archive"),
    Case("weights-pickle", "WEIGHTS holds a pickled object array", weights_path(_pickled_npz),
         2, "w.npz: not a readable .npz archive"),
    Case("weights-range", "a 4-bit weight of 8", bad_weights(_range), 2,
         "weights: L0.weight: weights (4 bits) must be in [-8, 7], got 8"),
    Case("weights-shape", "a weight tensor of the wrong shape",
         bad_weights(_set("L2.weight", lambda w: w[:, :2])), 2,
         "weights: L2.weight: shape must be"),
    Case("weights-missing-key", "no L2.bias", bad_weights(_drop("L2.bias")), 2,
         "weights: L2.bias: missing"),
    Case("weights-extra-key", "an unexpected array", bad_weights(_set("L1.weight", np.zeros(1))),
         2, "weights: L1.weight: unexpected key"),
    Case("weights-float", "float weights", bad_weights(_set("L0.weight", lambda w: w * 1.0)),
         2, "weights: L0.weight: must have an integer dtype, got float64"),
    # --- the numbers and the options
    Case("seed-negative", "SEED=-1", flags("--seed", "-1"), 2,
         "seed: must be an integer >= 0, got -1"),
    Case("samples-zero", "SAMPLES=0", flags("--samples", "0"), 2,
         "samples: must be an integer >= 1, got 0"),
    Case("samples-text", "SAMPLES=abc", flags("--samples", "abc"), 2,
         "argument --samples: invalid int value: 'abc'"),
    Case("sparsity-high", "SPARSITY=1.5", flags("--sparsity", "1.5"), 2,
         "sparsity: must be a number in [0, 1], got 1.5"),
    Case("sparsity-nan", "SPARSITY=nan", flags("--sparsity", "nan"), 2,
         "sparsity: must be a number in [0, 1], got nan"),
    Case("density-negative", "--density -0.1", flags("--density", "-0.1"), 2,
         "density: must be a number in [0, 1], got -0.1"),
    Case("unknown-option", "--network-seed 5 (an option make vectors used to pass)",
         flags("--network-seed", "5"), 2, "unrecognized arguments: --network-seed 5"),
    Case("no-out", "no --out", lambda f, _: ["make", "--config", str(config_file(f))], 2,
         "the following arguments are required: --out"),
    Case("no-command", "no sub-command", lambda f, _: [], 2,
         "the following arguments are required: command"),
    # --- OUT
    Case("out-foreign", "OUT holds an unrelated manifest.json and a thesis.tex",
         out_at(foreign_folder), 2, "not a bundle written by vectors.bundle"),
    Case("out-bundle-plus-notes", "OUT is a bundle plus a file of the user's",
         out_at(bundle_with_notes), 2, "holds notes.txt, not listed in its manifest.json"),
    Case("out-symlink", "OUT is a symbolic link to a bundle", out_at(symlink_to_bundle), 2,
         "link: is a symbolic link"),
    Case("out-dangling-symlink", "OUT is a dangling symbolic link", out_at(dangling_symlink), 2,
         "link: is a symbolic link"),
    Case("out-file", "OUT is a file", out_at(a_file), 2, "exists and is not a folder"),
    Case("out-parent-file", "OUT's parent is a file", out_at(under_a_file), 2,
         "plain: not a folder"),
    Case("out-parent-readonly", "OUT's parent is not writable (/sys)",
         out_at(lambda f, g: "/sys/dualspike-bundle"), 2, "/sys: not writable"),
    Case("out-parent-uncreatable", "OUT's parent cannot be created (/proc/...)",
         out_at(lambda f, g: "/proc/dualspike/bundle"), 2, "/proc/dualspike: cannot create"),
    Case("out-dot", "OUT=.", out_at(lambda f, g: "."), 2, "not a usable bundle folder name"),
    Case("out-stale-aside-file", "a file .<OUT>.replaced in the way",
         out_at(stale_aside_file), 2, ".out.replaced: in the way"),
    # --- verify: unusable bundles (exit 2)
    Case("verify-missing-folder", "BUNDLE names no folder",
         lambda f, _: ["verify", str(f / "nope")], 2, "nope: no such bundle folder"),
    Case("verify-no-manifest", "a bundle without manifest.json",
         verify_after(lambda b: (b / "manifest.json").unlink()), 2, "manifest.json missing"),
    Case("verify-manifest-binary", "manifest.json is binary",
         verify_after(lambda b: (b / "manifest.json").write_bytes(b"\xff\x00\x01")), 2,
         "manifest.json: not UTF-8 text"),
    Case("verify-manifest-deep", "manifest.json nested 100000 deep",
         verify_after(lambda b: (b / "manifest.json").write_text(nested(100000))), 2,
         "manifest.json: JSON nested too deeply"),
    Case("verify-samples-text", 'manifest "samples": "abc"',
         manifest_edit(lambda m: m.update(samples="abc")), 2,
         "manifest.json: $.samples: 'abc' is not of type 'integer'"),
    Case("verify-no-sha256", "a file entry without sha256", manifest_edit(drop_sha), 2,
         "manifest.json: $.files[0]: 'sha256' is a required property"),
    Case("verify-sha256-not-hex", "a sha256 that is not 64 hex digits",
         manifest_edit(set_file_entry("", sha256="xyz")), 2, "manifest.json: $.files[0].sha256: 'xyz' is not 64 lower-case hex digits"),
    Case("verify-no-width", "a stream without width",
         manifest_edit(lambda m: m["streams"]["L0"].pop("width")), 2,
         "manifest.json: $.streams.L0: 'width' is a required property"),
    Case("verify-format", "an unknown format",
         manifest_edit(lambda m: m.update(format="other/2")), 2, "manifest.json: $.format"),
    Case("verify-dotdot", 'a file named "../outside"',
         manifest_edit(set_file_entry("../outside")), 2, "$.files[0].name: '../outside' is not a plain relative path inside the bundle"),
    Case("verify-absolute", 'a file named "/etc/passwd"',
         manifest_edit(set_file_entry("/etc/passwd")), 2, "$.files[0].name: '/etc/passwd' is not a plain relative path"),
    Case("verify-symlink-file", "a listed file is a symbolic link out of the bundle",
         verify_after(symlink_member("input.mem", "input.mem")), 2,
         "goes through the symbolic link input.mem"),
    Case("verify-symlink-folder", "rtl/ is a symbolic link out of the bundle",
         verify_after(symlink_member("rtl", "rtl/popcount.sv")), 2,
         "goes through the symbolic link rtl"),
    Case("verify-bad-config", "the manifest's config breaks SPEC 1",
         manifest_edit(lambda m: m["config"].update(timesteps=0)), 2,
         "manifest.json: $.config: timesteps: must be >= 1, got 0"),
    Case("verify-file-missing", "a listed file is missing",
         verify_after(lambda b: (b / "input.mem").unlink()), 2,
         "input.mem: missing (listed in manifest.json)"),
    Case("verify-network-not-json", "network.json is not JSON",
         verify_after(lambda b: (b / "network.json").write_text("{")), 2,
         "network.json: not valid JSON"),
    Case("verify-network-schema", 'network.json "out_width": "4"',
         verify_after(lambda b: edit_json(b / "network.json",
                                          lambda n: n["layers"][0].update(out_width="4"))),
         2, "network.json: $.layers[0].out_width: '4' is not of type 'integer'"),
    # --- verify: disagreements (exit 1)
    Case("verify-manifest-width", "manifest streams.L0.width off by one",
         manifest_edit(set_stream_width), 1,
         "manifest.json: streams.L0.width 4, the config's plan gives 3"),
    Case("verify-network-width", "network.json layers[0].out_width 7",
         verify_after(network_width), 1,
         "network.json: layers[0].out_width 7, the config's plan gives 3"),
    Case("verify-cfg-field", "manifest config_writes addr width off by one",
         manifest_edit(config_write_field), 1,
         "manifest.json: config_writes.fields_msb_first addr 7, network.json "
         "cfg_addr_bits 6"),
    Case("verify-beats", "manifest readout beats_per_sample off by one",
         manifest_edit(beats_per_sample), 1, "manifest.json: streams.readout.beats_per_sample is 2, regenerated 1"),
    Case("verify-bytes", "a file's size differs from the manifest", manifest_edit(wrong_bytes),
         1, "bytes, manifest.json says"),
    Case("verify-golden-unlisted", "golden.npz not listed in the manifest",
         manifest_edit(lambda m: m.update(files=[f for f in m["files"]
                                                 if f["name"] != "golden.npz"])), 1,
         "manifest.json: golden.npz not listed"),
    Case("verify-word", "a flipped word in readout.expected.mem",
         verify_after(lambda b: flip_first_word(b / "readout.expected.mem")), 1,
         "readout.expected.mem: line 1"),
]


# ------------------------------------------------------------------ through make (quoting)

def _spaced(folder: Path) -> Path:
    spaced = folder / "dir with spaces"
    spaced.mkdir(exist_ok=True)
    return spaced


MAKE_CASES = [
    Case("make-no-config", "make vectors without CONFIG", lambda f, _: ["vectors"], 2,
         "CONFIG=<config.json> is required", via="make"),
    Case("make-seed", "make vectors SEED=-1 (paths with spaces)",
         lambda f, _: ["vectors", f"CONFIG={config_file(_spaced(f))}",
                       f"OUT={_spaced(f) / 'my bundle'}", "SEED=-1"], 2,
         "seed: must be an integer >= 0, got -1", via="make"),
    Case("make-npy", "make vectors WEIGHTS=x.npy (paths with spaces and a quote)",
         lambda f, _: ["vectors", f"CONFIG={config_file(_spaced(f), name='it' + chr(39) + 's.json')}",
                       f"WEIGHTS={_npy(_spaced(f))}", f"OUT={_spaced(f) / 'out'}"], 2,
         "x.npy: a single array (.npy)", via="make"),
    Case("make-foreign-out", "make vectors OUT=<a folder with manifest.json and thesis.tex>",
         lambda f, g: ["vectors", f"CONFIG={config_file(f)}",
                       f"OUT={foreign_folder(_spaced(f), g)}"], 2,
         "not a bundle written by vectors.bundle", via="make"),
    Case("make-verify-fail", "make verify-vectors BUNDLE=<a bundle with a flipped word>",
         lambda f, g: ["verify-vectors", f"BUNDLE={_flipped(_spaced(f), g)}"], 1,
         "readout.expected.mem: line 1", via="make"),
]


def _flipped(folder: Path, good: Path) -> Path:
    bundle = copy_bundle(good, folder, "tampered bundle")
    flip_first_word(bundle / "readout.expected.mem")
    return bundle


# ------------------------------------------------------------------ running a case

def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env["PYTHONPATH"] = str(REPO)
    return env


def run_command(args: list[str], via: str) -> subprocess.CompletedProcess:
    command = ([sys.executable, "-m", "vectors.bundle", *args] if via == "python"
               else ["make", "--no-print-directory", *args])
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=_clean_env(),
                          timeout=300)


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: file bytes, symlink target or 'dir'."""
    result = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                result[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                result[key] = "dir"
            else:
                result[key] = B.sha256(path)
    return result


def check_case(case: Case, folder: Path, good: Path) -> tuple[str, list[str]]:
    """Runs ``case`` in ``folder``; asserts its contract; returns its one stderr line and the
    arguments it ran with."""
    args = case.setup(folder, good)
    before = snapshot(folder)
    result = run_command(args, case.via)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == (2 if case.via == "make" else case.status), output[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if case.via == "make":
        made = [line for line in lines if MAKE_LINE.match(line)]
        assert len(made) == 1 and MAKE_LINE.match(made[0]).group(2) == str(case.status), lines
        lines = [line for line in lines if line not in made]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(case.prefix), line
    assert case.message in line, (case.message, line)
    assert snapshot(folder) == before, "the command changed the folder"
    return line, args


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory) -> Path:
    return B.make_bundle(SMALL, "random", sparsity=0.5, samples=2, seed=5,
                         out=tmp_path_factory.mktemp("good") / "bundle")


@pytest.mark.parametrize("case", CASES + MAKE_CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path, good_bundle: Path):
    check_case(case, tmp_path, good_bundle)


def test_at_least_forty_distinct_cases():
    ids = [c.id for c in CASES + MAKE_CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 40
    assert len({c.what for c in CASES + MAKE_CASES}) == len(ids)


def test_make_with_spaces_and_network_seeds(tmp_path: Path):
    """make vectors / verify-vectors with spaces in every path; NETWORK_SEEDS (a make sim
    variable) is not passed to the bundle command any more."""
    spaced = _spaced(tmp_path)
    cfg = config_file(spaced, name="my config.json")
    out = spaced / "my bundle"
    made = run_command(["vectors", f"CONFIG={cfg}", f"OUT={out}", "SAMPLES=1", "SEED=3",
                        "NETWORK_SEEDS=5"], "make")
    assert made.returncode == 0, made.stderr
    assert B.verify_bundle(out).startswith("OK")
    checked = run_command(["verify-vectors", f"BUNDLE={out}"], "make")
    assert checked.returncode == 0 and f"OK {out}" in checked.stdout, checked.stderr


# ------------------------------------------------------------------ the table for the docs

def write_table(target: Path) -> str:
    """Runs every case (the same checks as the tests) and writes the markdown table."""
    import tempfile  # noqa: PLC0415

    rows = ["# Bad inputs of the bundle commands", "",
            "Generated by `python tests/test_bundle_errors.py` from the cases of "
            "tests/test_bundle_errors.py (each is a test: exit status, exactly this one stderr "
            "line, no traceback, the folder unchanged); do not edit. `<dir>` is the case's "
            "folder. Through make, make exits 2 and adds its own `make: *** ... Error <n>` "
            "line with the command's status n (docs/vectors.md).", "",
            "| # | bad input | command | exit status | stderr |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as root:
        good = B.make_bundle(SMALL, "random", sparsity=0.5, samples=2, seed=5,
                             out=Path(root) / "good")
        for number, case in enumerate(CASES + MAKE_CASES, 1):
            folder = Path(root) / case.id
            folder.mkdir()
            line, args = check_case(case, folder, good)
            line = line.replace(str(folder), "<dir>").replace(root, "<tmp>").replace("|", "\\|")
            command = case.via if case.via == "make" else "python -m vectors.bundle"
            command += " " + (args[0] if args else "")
            status = case.status if case.via == "python" else f"2 (the command: {case.status})"
            rows.append(f"| {number} | {case.what} | {command} | {status} | `{line}` |")
    text = "\n".join(rows) + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return text


if __name__ == "__main__":
    write_table(REPO / "build" / "bad_inputs.md")
    print(f"wrote {REPO / 'build' / 'bad_inputs.md'} (copy it to docs/bad_inputs.md)")
