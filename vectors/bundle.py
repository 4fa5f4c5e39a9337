"""Vector bundles for hardware bring-up (SPEC section 4, docs/vectors.md).

``make``: from a config and integer weights (a ``weights.npz`` or ``random`` at a sparsity, drawn
from the seed) and N inputs (the UCI digits for pixel input, random spikes at a density for spike
input), writes a self-contained bundle: ``manifest.json`` (config, N, generator version, git
revision, sha256 of every file), ``golden.npz`` (exactly SPEC 4's arrays, ``run_batch``), the
generated top with its plan, copies of the RTL it needs, the configuration writes, the input
stream and every layer's expected stream as ``$readmemh`` text, and ``replay_bundle.svh`` (what
the plain-SystemVerilog replay bench tb/replay/replay_tb.sv needs to know about this network).
Everything is written into a temporary folder renamed into place: an error leaves nothing. An
existing OUT is replaced only when it is a bundle this tool wrote, and the old one is removed only
after the new one is in place (``_put_in_place``).

``verify``: checks the manifest and network.json against vectors/schema/, that no file name leads
outside the bundle, the stream widths against the plan, every sha256, re-runs the golden model on
the bundle's input and weights, re-renders every stream and image and names the first file or
value that disagrees.

    python -m vectors.bundle make --config C --weights random --sparsity 0.8 --samples 4 \
        --seed 1 --out build/vectors/x
    python -m vectors.bundle verify build/vectors/x

Exit status: 0 ok; 1 verify found a disagreement (``FAIL <file>: <what>``); 2 bad input
(``error: <what>``), nothing written; 130 interrupted (one ``error:`` line, nothing half-written).
"""

from __future__ import annotations

import signal
import sys


_interrupt = {"pending": False, "main_running": False}


def _on_interrupt(_signum, frame) -> None:
    """Ctrl-C of the command line: KeyboardInterrupt, but never inside an import (numpy turns
    one into an ImportError with its own traceback) nor before main() runs (a traceback): then
    it waits, retried every 50 ms (SIGALRM) once main() runs."""
    importing = False
    while frame is not None and not importing:
        importing = frame.f_code.co_filename.startswith("<frozen importlib")
        frame = frame.f_back
    if _interrupt["main_running"] and not importing:
        raise KeyboardInterrupt
    _interrupt["pending"] = True
    if _interrupt["main_running"]:
        signal.setitimer(signal.ITIMER_REAL, 0.05)


if __name__ == "__main__":  # Ctrl-C while the modules below load: one line, not a traceback
    signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGALRM, _on_interrupt)

import argparse
import hashlib
import io
import json
import numbers
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from golden.config import ConfigError, WeightError, load_config, validate_weights, weight_shapes
from golden.cycles.network import network_cycles
from golden.inputs import spike_inputs
from golden.memory_images import format_readmemh
from golden.network import random_weights, run_batch, run_network, run_traces
from vectors.network_top import (
    CORE_INCLUDES,
    CORE_SOURCES,
    NetworkPlan,
    config_write_word_layout,
    format_config_writes,
    network_writes,
    plan_network,
    render_top,
)
from vectors.preload import PRELOAD_DIR, REGISTER_WRITES, preload_images, register_writes
from vectors.power import DegenerateError, choose_digits, ensure_power, power_lines

GENERATOR = "vectors.bundle"
GENERATOR_VERSION = "1.6"  # 1.1: out_ready is driven by the replay bench (+stall); 1.2: manifest
#                            cycles from golden/cycles/network.py, checkers print their counts;
#                            1.3: preload/ memory images, config_writes.registers.mem;
#                            1.4: exact cycles of every stream (cycles.total_exact, tap_last);
#                            1.5: the sparse conv core's weight-count images (wcount);
#                            1.6: its one-group bitmap and weight-count images (_g<gg>)
FORMAT = "dualspike-vector-bundle/1"
REPO_ROOT = Path(__file__).resolve().parent.parent
RTL_DIR = REPO_ROOT / "rtl"
DEFAULT_DENSITY = 0.3


class BundleError(Exception):
    """Bad input to ``make`` or an unusable bundle: one line, exit status 2."""


class VerifyFailure(Exception):
    """A bundle whose content disagrees with itself or the golden model: exit status 1."""


# --------------------------------------------------------------------------- inputs

# The inputs come from golden.inputs (digits_inputs, spike_inputs): the one input path of
# training, bundles and the network testbench; vectors.power.choose_digits picks among them.


# --------------------------------------------------------------------------- rendering

def stream_widths(plan: NetworkPlan) -> dict[str, int]:
    widths = {"input": plan.layers[0].in_width}
    widths.update({f"L{c.index}": c.out_width for c in plan.layers})
    widths["readout"] = plan.readout["out_width"]
    return widths


def render_streams(cfg: dict, plan: NetworkPlan, samples: np.ndarray, weights: dict
                   ) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Every stream's words (all samples back to back) and its beats per sample."""
    from vectors import streams as S  # noqa: PLC0415 - keeps `--help` fast

    words: dict[str, list[int]] = {"input": []}
    words.update({f"L{c.index}": [] for c in plan.layers})
    words["readout"] = []
    per_sample: dict[str, int] = {}
    bits = cfg["input"].get("bits", 1)
    for x in samples:
        beats = S.input_beats(plan, np.asarray(x), bits)
        words["input"] += [b["data"] for b in beats]
        per_sample["input"] = len(beats)
        ctx = run_network(cfg, weights, x)
        for name, stream in S.expected_streams(plan, ctx).items():
            key = "readout" if name == "out" else "L" + name[3:]
            words[key] += stream
            per_sample[key] = len(stream)
    return words, per_sample


def replay_include(plan: NetworkPlan, samples: int, per_sample: dict[str, int],
                   cfg_writes: int, cfg_register_writes: int) -> str:
    """``replay_bundle.svh``: this network's constants, the top's instance and one checker per
    stream, included inside ``module replay_tb`` (tb/replay/replay_tb.sv). With
    ``DUALSPIKE_PRELOAD`` defined (and ``DUALSPIKE_PRELOAD_DIR`` the quoted folder of the
    images) the top preloads its memories and the bench drives only the register writes."""
    layout = dict(config_write_word_layout(plan))
    first = plan.layers[0]
    n_layers = len(plan.layers)
    lines = [
        "// Generated by vectors/bundle.py for the replay bench tb/replay/replay_tb.sv:",
        f"// network {plan.name}; included inside module replay_tb. Do not edit.",
        f"localparam int Samples = {samples};",
        f"localparam int Timesteps = {plan.timesteps};",
        f"localparam int Layers = {n_layers};",
        f"localparam int InWidth = {first.in_width};",
        f"localparam int InBeats = {per_sample['input']};",
        "`ifdef DUALSPIKE_PRELOAD",
        f"localparam int CfgWrites = {cfg_register_writes};",
        f"localparam CfgFile = \"{REGISTER_WRITES}\";",
        "`else",
        f"localparam int CfgWrites = {cfg_writes};",
        "localparam CfgFile = \"config_writes.mem\";",
        "`endif",
        f"localparam int CfgLayerBits = {layout['layer']};",
        f"localparam int CfgBankBits = {layout['bank']};",
        f"localparam int CfgAddrBits = {layout['addr']};",
        f"localparam int OutWidth = {plan.readout['out_width']};",
        f"localparam int OutBeats = {per_sample['readout']};",
        f"localparam int TotalBeats = {samples * sum(v for k, v in per_sample.items() if k != 'input')};",
        "",
        "logic cfg_valid;",
        "logic [CfgLayerBits-1:0] cfg_layer;",
        "logic [1:0] cfg_sel;",
        "logic [CfgBankBits-1:0] cfg_bank;",
        "logic [CfgAddrBits-1:0] cfg_addr;",
        "logic [31:0] cfg_data;",
        "logic in_valid, in_ready, in_last;",
        "logic [InWidth-1:0] in_data;",
        "logic out_valid, out_ready, out_last;  // out_ready: driven by the bench (+stall)",
        "logic [OutWidth-1:0] out_data;",
    ]
    for c in plan.layers:
        i = c.index
        lines += [f"logic tap{i}_valid, tap{i}_ready, tap{i}_last;",
                  f"logic [{c.out_width - 1}:0] tap{i}_data;"]
    lines += [f"logic [{n_layers}:0] bad;   // bit i: stream i disagreed (bit Layers: readout)",
              f"logic [{n_layers}:0] done;  // bit i: stream i has all its beats", ""]
    ports = ["    .clk_i(clk), .rst_ni(rst_n)",
             "    .cfg_valid_i(cfg_valid), .cfg_layer_i(cfg_layer), .cfg_sel_i(cfg_sel)",
             "    .cfg_bank_i(cfg_bank), .cfg_addr_i(cfg_addr), .cfg_data_i(cfg_data)",
             "    .in_valid_i(in_valid), .in_ready_o(in_ready), .in_data_i(in_data)",
             "    .in_last_i(in_last)",
             "    .out_valid_o(out_valid), .out_ready_i(out_ready), .out_data_o(out_data)",
             "    .out_last_o(out_last)"]
    ports += [f"    .tap{c.index}_valid_o(tap{c.index}_valid), .tap{c.index}_ready_o("
              f"tap{c.index}_ready), .tap{c.index}_data_o(tap{c.index}_data), "
              f".tap{c.index}_last_o(tap{c.index}_last)" for c in plan.layers]
    lines += ["`ifdef DUALSPIKE_PRELOAD",
              f"{plan.top} #(.PreloadDir(`DUALSPIKE_PRELOAD_DIR)) u_dut (",
              "`else", f"{plan.top} u_dut (", "`endif", ",\n".join(ports), ");", ""]

    def checker(name: str, layer: int, width: int, beats: int, steps: int, prefix: str,
                bit: int) -> list[str]:
        prior = "1'b0" if bit == 0 else f"|bad[{bit - 1}:0]"
        prior_done = "1'b1" if bit == 0 else f"&done[{bit - 1}:0]"
        return [f"replay_check #(.Width({width}), .Beats({beats}), .Samples(Samples), "
                f".Steps({steps}), .Layer({layer}), .File(\"{name}\")) u_check_{name.split('.')[0]} (",
                f"  .clk_i(clk), .cycle_i(cycle), .report_i(report), .timeout_i(timeout),",
                f"  .prior_bad_i({prior}), .prior_done_i({prior_done}),",
                f"  .valid_i({prefix}_valid), .ready_i({prefix}_ready),"
                f" .data_i({prefix}_data), .last_i({prefix}_last),",
                f"  .bad_o(bad[{bit}]), .done_o(done[{bit}])", ");"]

    for c in plan.layers:
        lines += checker(f"L{c.index}.expected.mem", c.index, c.out_width,
                         per_sample[f"L{c.index}"], plan.timesteps, f"tap{c.index}", c.index)
    lines += checker("readout.expected.mem", -1, plan.readout["out_width"],
                     per_sample["readout"], 0, "out", n_layers)
    return "\n".join(lines) + "\n"


def render_texts(cfg: dict, weights: dict, samples: np.ndarray
                 ) -> tuple[dict[str, str], dict]:
    """Every text file of the bundle (but the manifest) and the stream facts for the manifest."""
    plan = plan_network(cfg, weights=weights)
    writes = network_writes(cfg, weights, plan)
    words, per_sample = render_streams(cfg, plan, samples, weights)
    widths = stream_widths(plan)
    texts = {
        f"{plan.top}.sv": render_top(plan),
        "network.json": plan.to_json(),
        "config.json": json.dumps(cfg, indent=2),
        "config_writes.mem": format_config_writes(writes, plan),
        "input.mem": format_readmemh(words["input"], widths["input"]),
    }
    for c in plan.layers:
        key = f"L{c.index}"
        texts[f"{key}.expected.mem"] = format_readmemh(words[key], widths[key])
    texts["readout.expected.mem"] = format_readmemh(words["readout"], widths["readout"])
    registers = register_writes(writes)
    texts[REGISTER_WRITES] = format_config_writes(registers, plan)
    images = preload_images(cfg, weights, plan)
    texts.update({image.name: image.text for image in images})
    texts["replay_bundle.svh"] = replay_include(plan, len(samples), per_sample, len(writes),
                                                len(registers))
    streams = {}
    for key, name in [("input", "input.mem")] + [
            (f"L{c.index}", f"L{c.index}.expected.mem") for c in plan.layers] + [
            ("readout", "readout.expected.mem")]:
        streams[key] = {"file": name, "width": widths[key], "beats_per_sample": per_sample[key],
                        "beats": len(words[key])}
    layout = config_write_word_layout(plan)
    facts = {"top": plan.top, "streams": streams,
             "config_writes": {"file": "config_writes.mem", "count": len(writes),
                               "fields_msb_first": [[n, w] for n, w in layout],
                               "width": sum(w for _, w in layout)},
             "rtl": [f"rtl/{s}" for s in (*CORE_INCLUDES, *plan.sources)],
             # docs/vectors.md, "Preloading memories".
             "preload": {"folder": PRELOAD_DIR, "files": [image.entry() for image in images],
                         "register_writes": {"file": REGISTER_WRITES,
                                             "count": len(registers)}}}
    return texts, facts


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=20, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=20
                               ).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --------------------------------------------------------------------------- make

#: What reading a damaged .npz may raise (zlib.error: a corrupt deflated member).
_NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def _load_npz(path: Path, what: str) -> dict:
    """Every array of an .npz archive (no pickles); BundleError naming ``path`` otherwise."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
        if magic == b"\x93NUMPY":
            raise BundleError(f"{path}: a single array (.npy), not an .npz archive of named "
                              f"arrays")
        if not magic.startswith(b"PK"):
            raise BundleError(f"{path}: not an .npz archive (no zip header)")
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such {what} file") from None
    except _NPZ_ERRORS as exc:
        raise BundleError(f"{path}: not a readable .npz archive ({exc})") from None
    with archive:
        try:
            return {k: archive[k] for k in archive.files}
        except _NPZ_ERRORS as exc:
            raise BundleError(f"{path}: not a readable .npz archive ({exc})") from None


def _load_weights(path: Path) -> dict:
    return _load_npz(path, "weights")


def _read_json(path: Path, label: str):
    """A JSON file's value; BundleError for what is not (binary, too deeply nested, ...)."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BundleError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise BundleError(f"{label}: JSON nested too deeply") from None
    except ValueError as exc:
        raise BundleError(f"{label}: not valid JSON ({exc})") from None


def _load_config(config, label: str = "config") -> dict:
    """``load_config`` with every way a config file can be unusable turned into BundleError."""
    try:
        return load_config(config)
    except ConfigError as exc:
        message = str(exc).removeprefix("config: ")   # file-level problems say "config:" too
        raise BundleError(f"{label}: {message}") from None
    except UnicodeDecodeError as exc:
        raise BundleError(f"{label}: {config}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise BundleError(f"{label}: {config}: JSON nested too deeply") from None
    except ValueError as exc:   # e.g. an integer beyond Python's digit limit
        raise BundleError(f"{label}: {config}: {exc}") from None


def _check_numbers(samples, sparsity, density, seed) -> None:
    def integer(value) -> bool:
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))

    if not integer(samples) or samples < 1:
        raise BundleError(f"samples: must be an integer >= 1, got {samples!r}")
    for name, value in (("sparsity", sparsity), ("density", density)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                or not 0.0 <= float(value) <= 1.0:
            raise BundleError(f"{name}: must be a number in [0, 1], got {value!r}")
    if not integer(seed) or seed < 0:
        raise BundleError(f"seed: must be an integer >= 0, got {seed!r}")


# Replacing a bundle. The old one is renamed aside, the new one renamed into place, then the old
# one removed: an interrupt at any moment leaves OUT holding the old bundle or the new one, whole
# (or OUT missing and the old one aside, which the next run puts back).

def _aside(out: Path) -> Path:
    return out.parent / f".{out.name}.replaced"


def _move(source: Path, target: Path) -> None:
    os.rename(source, target)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path)


def _not_our_bundle(folder: Path, complete: bool = False) -> str | None:
    """Why ``folder`` is not a bundle this tool wrote (None: it is, or it is empty). Ours means:
    its manifest.json names this generator and lists every file in the folder (no symlinks);
    ``complete`` also wants every listed file present with its size."""
    if not any(folder.iterdir()):
        return None
    manifest_path = folder / "manifest.json"
    if manifest_path.is_symlink() or not manifest_path.is_file():
        return "no manifest.json"
    try:
        manifest = _read_json(manifest_path, "manifest.json")
    except BundleError as exc:
        return str(exc)
    if not isinstance(manifest, dict):
        return "its manifest.json is not a JSON object"
    if manifest.get("generator") != GENERATOR:
        return f"its manifest.json names the generator {manifest.get('generator')!r}"
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in files):
        return "its manifest.json has no usable file list"
    listed = {f["name"]: f.get("bytes") for f in files} | {"manifest.json": None}
    entries = sorted(folder.rglob("*"))
    links = [p for p in entries if p.is_symlink()]
    if links:
        return f"holds the symbolic link {links[0].relative_to(folder)}"
    for path in entries:
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in listed:
            return f"holds {name}, not listed in its manifest.json"
    if complete:
        for name, size in listed.items():
            if not (folder / name).is_file() or (
                    size is not None and (folder / name).stat().st_size != size):
                return f"{name} is missing or incomplete"
    return None


def _recover_aside(out: Path) -> str | None:
    """A bundle moved aside by an interrupted run: put back when OUT is missing, removed when OUT
    holds the new one. Returns a note for the user; BundleError when it cannot tell."""
    aside = _aside(out)
    if not (aside.exists() or aside.is_symlink()):
        return None
    if aside.is_symlink() or not aside.is_dir():
        raise BundleError(f"{aside}: in the way of replacing {out} and not a folder; remove it")
    if out.exists() or out.is_symlink():
        if _not_our_bundle(aside) is not None:
            raise BundleError(f"{aside}: left by an interrupted run but not a bundle; "
                              f"move it away")
        _remove_tree(aside)
        return f"removed {aside}, the old bundle an interrupted run had already replaced"
    reason = _not_our_bundle(aside, complete=True)
    if reason is not None:
        raise BundleError(f"{aside}: left by an interrupted run and cannot be put back as "
                          f"{out} ({reason}); move it away")
    _move(aside, out)
    return f"put back {out} from {aside} (an interrupted run had moved it aside)"


def _check_out(out: Path) -> list[str]:
    """Refuses an OUT this tool may not write (before any work); returns notes for the user."""
    if out.is_symlink():
        raise BundleError(f"{out}: is a symbolic link; give the real folder")
    if out.name in ("", ".", ".."):
        raise BundleError(f"{out}: not a usable bundle folder name")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise BundleError(f"{parent}: not a folder (in OUT {out})")
            break
    notes = [n for n in [_recover_aside(out)] if n]
    if out.exists():
        if not out.is_dir():
            raise BundleError(f"{out}: exists and is not a folder; not replacing it")
        reason = _not_our_bundle(out)
        if reason is not None:
            raise BundleError(f"{out}: exists and is not a bundle written by {GENERATOR} "
                              f"({reason}); not replacing it")
    return notes


def _make_parents(out: Path) -> Path | None:
    """Creates OUT's missing parents; returns the topmost one created (None: none were)."""
    missing = [p for p in reversed(out.parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return missing[0] if missing else None
    except OSError as exc:
        raise BundleError(f"{out.parent}: cannot create the folder ({exc.strerror})") from None


def _remove_empty_parents(out: Path, topmost: Path | None) -> None:
    if topmost is None:
        return
    for parent in out.parents:
        try:
            parent.rmdir()
        except OSError:
            return
        if parent == topmost:
            return


def _new_staging(out: Path) -> Path:
    try:
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.new-"))
    except OSError as exc:
        raise BundleError(f"{out.parent}: not writable ({exc.strerror})") from None
    staging.chmod(0o755)
    return staging


def _put_in_place(staging: Path, out: Path) -> None:
    aside = _aside(out)
    had_old = out.exists()
    try:
        if had_old:
            _move(out, aside)
        _move(staging, out)
    except BaseException:
        if had_old and not out.exists() and aside.exists():
            _move(aside, out)
        raise
    if had_old:
        _remove_tree(aside)


def _hw_clips(plan: NetworkPlan) -> dict:
    """Every knob the generator clipped, by field: ``{"layers[0].hw.parallel": {...}}``."""
    return {f"layers[{c.index}].hw.{knob}": clip for c in plan.layers
            for knob, clip in c.hw_clipped.items()}


def make_bundle(config, weights="random", sparsity: float = 0.8, samples: int = 4,
                seed: int = 1, out: Path | str = "build/vectors/bundle",
                density: float = DEFAULT_DENSITY, inputs: np.ndarray | None = None,
                allow_degenerate: bool = False) -> Path:
    """Writes a bundle into ``out`` (replacing an earlier bundle there, never another folder).
    Raises BundleError (one line) before anything is written. An existing ``out`` is replaced
    only when it is a bundle this tool wrote (``_not_our_bundle``); see ``_put_in_place``."""
    out = Path(out)
    cfg = _load_config(config)
    _check_numbers(samples, sparsity, density, seed)
    for note in _check_out(out):
        print(f"note: {note}", file=sys.stderr)
    rng = np.random.default_rng(seed)
    if isinstance(weights, str) and weights == "random":
        weight_arrays = random_weights(cfg, rng, float(sparsity))
        weights_source = f"random (sparsity {sparsity}, seed {seed})"
    elif isinstance(weights, (str, Path)):
        weight_arrays = _load_weights(Path(weights))
        weights_source = str(weights)
    else:
        weight_arrays, weights_source = dict(weights), "arrays"
    try:
        weight_arrays = validate_weights(cfg, weight_arrays)
    except WeightError as exc:
        raise BundleError(f"weights: {exc}") from None
    try:
        plan = plan_network(cfg)
    except ConfigError as exc:
        raise BundleError(f"config: {exc}") from None
    if inputs is not None:
        x, input_source = np.asarray(inputs), "arrays"
    elif cfg["input"]["kind"] == "pixels":
        x = choose_digits(cfg, weight_arrays, samples, rng)
        input_source = "UCI digits (sklearn), golden.inputs, chosen for coverage (vectors/power.py)"
    else:
        x = spike_inputs(cfg, samples, rng, float(density))
        input_source = f"random spikes (density {density})"
    try:
        golden = run_batch(cfg, weight_arrays, x)
    except (ConfigError, ValueError) as exc:
        raise BundleError(f"input: {exc}") from None
    try:  # spike rates and distinct readouts; random weights calibrated (vectors/power.py)
        weight_arrays, golden, power_record, warnings = ensure_power(
            cfg, weight_arrays, golden, allow_degenerate=allow_degenerate, sparsity=sparsity,
            random_seed=seed if weights_source.startswith("random") else None)
    except DegenerateError as exc:
        raise BundleError(f"power: {exc}") from None
    print("\n".join(f"power: {line}" for line in power_lines(power_record)))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    texts, facts = render_texts(cfg, weight_arrays, golden["input"])

    created = _make_parents(out)
    staging = None
    try:
        staging = _new_staging(out)
        (staging / PRELOAD_DIR).mkdir()
        for name, text in texts.items():
            (staging / name).write_text(text)
        np.savez(staging / "golden.npz", **golden)
        # Debug traces (currents, membranes) of every neuron layer: docs/vectors.md.
        np.savez_compressed(staging / "traces.npz",
                            **run_traces(cfg, weight_arrays, golden["input"]))
        (staging / "rtl").mkdir()
        for source in CORE_INCLUDES + CORE_SOURCES:
            shutil.copyfile(RTL_DIR / source, staging / "rtl" / source)
        names = ["golden.npz", "traces.npz", *texts, *facts["rtl"]]
        manifest = {
            "format": FORMAT, "generator": GENERATOR, "generator_version": GENERATOR_VERSION,
            "git_revision": git_revision(), "config": cfg, "samples": int(len(golden["input"])),
            "seed": seed, "weights": weights_source,
            "sparsity": float(sparsity) if weights_source.startswith("random") else None,
            "inputs": input_source, "power": power_record, **facts, "hw_clipped": _hw_clips(plan),
            # What ci/replay.py checks the measured cycles against (docs/vectors.md).
            "cycles": network_cycles(json.loads(texts["network.json"]), cfg, weight_arrays,
                                     golden["input"]),
            "traces": {"file": "traces.npz",
                       "arrays": "L{i}.current, L{i}.membrane (neuron layers), int64 "
                                 "[N, T, ...] like golden.npz L{i}.out"},
            "files": [{"name": n, "bytes": (staging / n).stat().st_size,
                       "sha256": sha256(staging / n)} for n in names],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        cycles = manifest["cycles"]
        print(f"cycles: {cycles['total_exact']} from the first input beat to the last readout "
              f"beat with free-running streams (exact; per sample in manifest.json cycles)")
        _put_in_place(staging, out)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if not out.exists():
            _remove_empty_parents(out, created)
        raise
    return out


# --------------------------------------------------------------------------- verify

def _first_text_difference(name: str, got: str, want: str, facts: dict) -> str:
    got_lines, want_lines = got.splitlines(), want.splitlines()
    where = ""
    stream = next((s for s in facts.get("streams", {}).values() if s["file"] == name), None)
    for number in range(max(len(got_lines), len(want_lines))):
        g = got_lines[number] if number < len(got_lines) else None
        w = want_lines[number] if number < len(want_lines) else None
        if g != w:
            if stream is not None:
                sample, beat = divmod(number, stream["beats_per_sample"])
                where = f" (word {number}: sample {sample}, beat {beat})"
            if g is None:
                return f"{name}: line {number + 1}{where}: missing (file ends after " \
                       f"{len(got_lines)} lines, expected {len(want_lines)})"
            if w is None:
                return f"{name}: line {number + 1}: unexpected extra line {g!r}"
            return f"{name}: line {number + 1}{where}: expected {w}, got {g}"
    return f"{name}: differs from the regenerated file"


def _compare_arrays(name: str, got: dict, want: dict) -> str | None:
    if set(got) != set(want):
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        return (f"{name}: array {missing[0]} missing" if missing
                else f"{name}: unexpected array {extra[0]}")
    for key, expected in want.items():
        actual = got[key]
        if actual.shape != expected.shape:
            return f"{name}: {key}: shape {actual.shape}, expected {expected.shape}"
        if actual.dtype != expected.dtype:
            return f"{name}: {key}: dtype {actual.dtype}, expected {expected.dtype}"
        diff = np.argwhere(actual != expected)
        if len(diff):
            index = tuple(int(v) for v in diff[0])
            return (f"{name}: {key}[{', '.join(map(str, index))}]: expected "
                    f"{expected[index]}, got {actual[index]}")
    return None


SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def _schema_problem(value, schema_name: str) -> str | None:
    """The first way ``value`` breaks vectors/schema/<schema_name> as ``<json path>: <what>``
    (None: it conforms). Validated with the pinned jsonschema (draft 2020-12)."""
    import jsonschema  # noqa: PLC0415 - only verify needs it
    from referencing import Registry, Resource  # noqa: PLC0415

    schemas = {p.name: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.schema.json")}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    validator = jsonschema.Draft202012Validator(schemas[schema_name], registry=registry)
    errors = sorted(validator.iter_errors(value), key=lambda e: (list(map(str, e.path)),
                                                                 e.message))
    if not errors:
        return None
    error = errors[0]
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
    message = error.message
    if error.validator == "pattern" and "description" in error.schema:
        message = f"{error.instance!r} is not {error.schema['description']}"
    message = message if len(message) <= 160 else message[:157] + "..."
    return f"{path}: {message}"


def _member(folder: Path, name: str, field: str) -> Path:
    """The bundle file ``name`` (a manifest entry), refused when it could lead outside the
    bundle: absolute, a ``..`` part, or a symbolic link on the way."""
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
        raise BundleError(f"manifest.json: {field}: {name!r} is not a plain relative path "
                          f"inside the bundle")
    path = folder
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise BundleError(f"manifest.json: {field}: {name!r} goes through the symbolic "
                              f"link {path.relative_to(folder)}")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise BundleError(f"manifest.json: {field}: {name!r} resolves outside the bundle")
    return path


def _plan_widths(plan_json: dict) -> dict[str, tuple[str, int]]:
    """Stream widths as network.json states them: stream -> (where, width)."""
    layers = plan_json["layers"]
    widths = {"input": ("layers[0].in_width", layers[0]["in_width"])}
    widths.update({f"L{i}": (f"layers[{i}].out_width", layer["out_width"])
                   for i, layer in enumerate(layers)})
    widths["readout"] = ("readout.out_width", plan_json["readout"]["out_width"])
    return widths


def _check_widths(manifest: dict, plan: NetworkPlan, plan_json: dict | None) -> None:
    """The widths a loader reads from manifest.json agree with the config's plan and with
    network.json (a disagreement is a FAIL)."""
    want = stream_widths(plan)
    streams = manifest["streams"]
    if set(streams) != set(want):
        raise VerifyFailure(f"manifest.json: streams are {sorted(streams)}, the config's plan "
                            f"has {sorted(want)}")
    for key, width in want.items():
        if streams[key]["width"] != width:
            raise VerifyFailure(f"manifest.json: streams.{key}.width {streams[key]['width']}, "
                                f"the config's plan gives {width}")
    if plan_json is not None:
        stated = _plan_widths(plan_json)
        if set(stated) != set(want):
            raise VerifyFailure(f"network.json: {len(plan_json['layers'])} layers, the config "
                                f"has {len(plan.layers)}")
        for key, (where, width) in stated.items():
            if width != want[key]:
                raise VerifyFailure(f"network.json: {where} {width}, the config's plan gives "
                                    f"{want[key]} (manifest.json streams.{key}.width)")
        fields = dict(config_write_word_layout(plan))
        for name, width in manifest["config_writes"]["fields_msb_first"]:
            key = f"cfg_{name}_bits"
            if key in plan_json and plan_json[key] != width:
                raise VerifyFailure(f"manifest.json: config_writes.fields_msb_first {name} "
                                    f"{width}, network.json {key} {plan_json[key]}")
            if fields.get(name) != width:
                raise VerifyFailure(f"manifest.json: config_writes.fields_msb_first {name} "
                                    f"{width}, the config's plan gives {fields.get(name)}")


def _first_fact_difference(where: str, got, want) -> str | None:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(want) | set(got)):
            problem = _first_fact_difference(f"{where}.{key}", got.get(key), want.get(key))
            if problem:
                return problem
        return None
    return None if got == want else f"{where} is {got!r}, regenerated {want!r}"


def _compare_facts(manifest: dict, facts: dict) -> None:
    """Every stream and configuration-write fact of manifest.json against the regenerated one."""
    for group in ("top", "streams", "config_writes", "rtl", "hw_clipped", "preload"):
        if group in ("hw_clipped", "preload") and group not in manifest:
            continue            # bundles of generator 1.1 carry no hw_clipped, of 1.2 no preload
        problem = _first_fact_difference(group, manifest.get(group), facts.get(group))
        if problem:
            raise VerifyFailure(f"manifest.json: {problem}")


def verify_bundle(folder: Path | str) -> str:
    """Returns a one-line summary; raises VerifyFailure (a disagreement: exit status 1) or
    BundleError (missing, unreadable, malformed or unsafe files: exit status 2)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"{folder}: no such bundle folder")
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BundleError(f"{folder}: manifest.json missing")
    manifest = _read_json(manifest_path, "manifest.json")
    problem = _schema_problem(manifest, "manifest.schema.json")
    if problem:
        raise BundleError(f"manifest.json: {problem}")
    cfg = _load_config(manifest["config"], "manifest.json: $.config")
    try:
        plan = plan_network(cfg)
    except ConfigError as exc:
        raise BundleError(f"manifest.json: $.config: {exc}") from None
    files = {}
    for index, entry in enumerate(manifest["files"]):
        if entry["name"] in files or entry["name"] == "manifest.json":
            raise BundleError(f"manifest.json: $.files[{index}].name: {entry['name']!r} "
                              f"listed twice")
        _member(folder, entry["name"], f"$.files[{index}].name")
        files[entry["name"]] = entry
    for name in files:
        if not (folder / name).is_file():
            raise BundleError(f"{name}: missing (listed in manifest.json)")
    plan_json = None
    if "network.json" in files:
        plan_json = _read_json(folder / "network.json", "network.json")
        problem = _schema_problem(plan_json, "network.schema.json")
        if problem:
            raise BundleError(f"network.json: {problem}")
    _check_widths(manifest, plan, plan_json)
    bad_sha = [n for n, f in files.items() if sha256(folder / n) != f["sha256"]]
    bad_size = [n for n, f in files.items() if (folder / n).stat().st_size != f["bytes"]]

    # Re-run the golden model on the bundle's own input and weights.
    if "golden.npz" not in files:
        raise VerifyFailure("manifest.json: golden.npz not listed")
    try:
        stored = _load_npz(folder / "golden.npz", "golden")
    except BundleError as exc:
        raise VerifyFailure(f"golden.npz: unreadable ({exc})") from None
    for key in ("input", *weight_shapes(cfg)):
        if key not in stored:
            raise VerifyFailure(f"golden.npz: array {key} missing")
    weights = {k: stored[k] for k in weight_shapes(cfg)}
    try:
        want_arrays = run_batch(cfg, weights, stored["input"])
    except (ConfigError, ValueError) as exc:
        raise VerifyFailure(f"golden.npz: input or weights refused by the golden model: {exc}"
                            ) from None
    if manifest["samples"] != len(stored["input"]):
        raise VerifyFailure(f"manifest.json: samples {manifest['samples']}, golden.npz "
                            f"holds {len(stored['input'])}")
    problem = _compare_arrays("golden.npz", stored, want_arrays)
    if problem:
        raise VerifyFailure(problem)
    texts, facts = render_texts(cfg, weights, want_arrays["input"])
    facts["hw_clipped"] = _hw_clips(plan)
    for name in list(texts) + [n for n in files if n.startswith("rtl/")]:
        if name not in files:
            raise VerifyFailure(f"manifest.json: {name} not listed")
    for name, text in texts.items():
        got = (folder / name).read_text(errors="replace")
        if got != text:
            raise VerifyFailure(_first_text_difference(name, got, text, facts))
    _compare_facts(manifest, facts)
    if bad_sha:
        raise VerifyFailure(f"{bad_sha[0]}: sha256 differs from manifest.json")
    if bad_size:
        raise VerifyFailure(f"{bad_size[0]}: {(folder / bad_size[0]).stat().st_size} bytes, "
                            f"manifest.json says {files[bad_size[0]]['bytes']}")
    return (f"OK {folder}: {len(files)} files, {manifest['samples']} samples, "
            f"{len(want_arrays)} golden arrays and {len(texts)} streams/images agree")


# --------------------------------------------------------------------------- CLI

#: Exit statuses (docs/vectors.md).
EXIT_OK, EXIT_DISAGREEMENT, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors as BundleError: one ``error:`` line, exit status 2."""

    def error(self, message: str):
        raise BundleError(f"{self.prog}: {message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m vectors.bundle",
        description="Vector bundles for hardware bring-up (docs/vectors.md). Exit status: 0 ok, "
                    "1 verify found a disagreement, 2 bad input, 130 interrupted.")
    sub = parser.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="write a bundle",
                        description="Write a vector bundle (atomically; nothing on error). An "
                                    "existing OUT is replaced only if it is a bundle written by "
                                    "this tool.")
    mk.add_argument("--config", required=True, help="network config (SPEC section 1), .json")
    mk.add_argument("--weights", default="random",
                    help="weights.npz (L{i}.weight, L{i}.bias) or 'random' (default)")
    mk.add_argument("--sparsity", type=float, default=0.8,
                    help="fraction of zero weights when --weights random (default 0.8)")
    mk.add_argument("--samples", type=int, default=4, help="number of input samples N")
    mk.add_argument("--seed", type=int, default=1, help="seed of weights and inputs (>= 0)")
    mk.add_argument("--density", type=float, default=DEFAULT_DENSITY,
                    help="spike density of random spike input (default 0.3)")
    mk.add_argument("--out", required=True, help="bundle folder to write")
    mk.add_argument("--allow-degenerate", action="store_true",
                    help="keep random weights whose bundle stays degenerate (a layer spiking "
                         "outside 2-60 %%, identical readouts), with a warning")
    vf = sub.add_parser("verify", help="check a bundle",
                        description="Check the manifest's schema, every sha256, and re-run the "
                                    "golden model.")
    vf.add_argument("bundle", help="bundle folder")
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    _interrupt["main_running"] = True
    try:
        if _interrupt["pending"]:
            raise KeyboardInterrupt
        args = _parser().parse_args(argv)
        if args.command == "make":
            out = make_bundle(args.config, args.weights, args.sparsity, args.samples, args.seed,
                              args.out, args.density, allow_degenerate=args.allow_degenerate)
            print(f"wrote {out}")
        else:
            print(verify_bundle(args.bundle))
    except BundleError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except VerifyFailure as exc:
        print(f"FAIL {_one_line(exc)}", file=sys.stderr)
        return EXIT_DISAGREEMENT
    except OSError as exc:   # e.g. a full disk while writing: the staging folder is gone
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{_one_line(exc.strerror or exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted; nothing half-written (OUT holds the old bundle or the new "
              "one, whole)", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        _interrupt["main_running"] = False
        if signal.getsignal(signal.SIGALRM) is _on_interrupt:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return EXIT_OK


if __name__ == "__main__":
    status = main()
    # The work is done and reported: a Ctrl-C now must not kill the interpreter's shutdown (it
    # restores the default SIGINT action there, which would turn a success into a kill).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(status)
