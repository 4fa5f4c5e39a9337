"""Fault-detection power of a vector bundle: replay it against every planted RTL bug of the cores
it contains and count the bugs it catches (docs/vectors.md, "Sensitivity").

The planted bugs are the ``DUALSPIKE_BUG_*`` defines of the testbenches (tb/registry.py) whose
module the bundle's generated top instantiates, directly or through another core (found by
scanning the bundle's own RTL copies, so ``lif_unit`` counts when a conv core uses it). Each bug
is one replay (ci/replay.py ``replay``) of the bundle with ``-D<define>``: the define reaches the
bundle's rtl/ copies because the simulator compiles exactly those files. A bug the free-running
replay misses gets a second replay with the readout's ready held low for the input stream's
length first (``+out_hold``), so every inter-layer FIFO runs full; the mode that caught it is
recorded. A bug is caught when the
replay FAILs on what the bundle checks: a stream's word (``FAIL L<i> ...`` / ``FAIL readout ...``:
a wrong, missing or extra beat) or a measured cycle count against the manifest's model
(``FAIL cycles: ...``: an edge off the exact network model, or below a bound). A bug that cannot
change the bundle's network at its parameters (tb/registry.py ``planted_bug_invisible``, e.g. a
flattening order with one input channel) is listed as not applicable and not counted. Any other
ending (no verdict, the
bench's counts incomplete, a $readmemh complaint) is a broken run, not a detection: it counts as
missed and is shown with its verdict. The clean replay must PASS first, else the figures would
mean nothing.

The result is written to the bundle's ``sensitivity.json`` (one entry per simulator, merged with
earlier runs) and listed in ``manifest.json`` like every other file (name, bytes, sha256), with a
short summary under ``manifest["sensitivity"]``; so ``verify`` still checks the whole bundle.

    python -m vectors.sensitivity BUNDLE [--sim verilator|icarus] [--max-cycles N] [--bug DEFINE]

Exit status: 0 every bug caught; 1 a bug was missed (or the clean replay failed); 2 bad input
(``error: ...``).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SENSITIVITY_FILE = "sensitivity.json"
#: Verdicts that are a detection (module docstring): a stream word, or a cycle count off the
#: manifest's model (not "cycles: the bench printed no ...", a broken run).
DETECTION = re.compile(r"^FAIL ((L\d+|readout) |cycles: (?!the bench printed))")


class SensitivityError(Exception):
    """Unusable bundle or a build that failed: one line, exit status 2."""


def _replay_module():
    sys.path.insert(0, str(REPO_ROOT / "ci"))
    try:
        import replay  # noqa: PLC0415 - ci/ is a script folder, not a package
    finally:
        sys.path.pop(0)
    return replay


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def instantiated_modules(bundle: Path) -> list[str]:
    """Modules the bundle's top instantiates, transitively, among its rtl/ copies (each
    ``rtl/<module>.sv`` holds module ``<module>``), in discovery order."""
    plan = json.loads((bundle / "network.json").read_text())
    texts = {p.stem: _strip_comments(p.read_text()) for p in sorted((bundle / "rtl").glob("*.sv"))}
    pending = [_strip_comments((bundle / f"{plan['top']}.sv").read_text())]
    found: list[str] = []
    while pending:
        text = pending.pop()
        for module, body in texts.items():
            if module not in found and re.search(rf"\b{module}\s*(#\s*\(|\w+\s*\()", text):
                found.append(module)
                pending.append(body)
    return found


def planted_bugs(bundle: Path) -> list[tuple[str, str, str]]:
    """``(define, block, what it does)`` of every planted bug of the bundle's cores."""
    from tb.registry import TESTBENCHES  # noqa: PLC0415 - imports every bench (Hypothesis)

    modules = set(instantiated_modules(bundle))
    return [(define, tb.block, what) for tb in TESTBENCHES.values() if tb.toplevel in modules
            for define, what in tb.planted_bugs.items()]


def invisible_reason(bundle: Path, define: str, block: str) -> str | None:
    """Why ``define`` cannot change this bundle's network (every layer core of its block has
    parameters at which the bug is the design itself: tb/registry.py
    ``planted_bug_invisible``), or None when it can."""
    from tb.registry import TESTBENCHES  # noqa: PLC0415

    rule = TESTBENCHES[block].planted_bug_invisible.get(define)
    if rule is None:
        return None
    plan = json.loads((bundle / "network.json").read_text())
    cores = [core for core in plan["layers"] if core["module"] == TESTBENCHES[block].toplevel]
    reasons = [rule(core["parameters"]) for core in cores]
    if not cores or any(reason is None for reason in reasons):
        return None
    return "; ".join(sorted({f"L{c['index']}: {r}" for c, r in zip(cores, reasons)}))


def output_hold_cycles(bundle: Path) -> int:
    """Cycles to hold out_ready low in the backed-up replay mode: the model's lower bound of the
    whole run plus the input stream's beats, so every layer has produced all it can (and the
    FIFOs before a blocked layer are full) before the hold ends."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    return (int(manifest["cycles"]["total_lower_bound"])
            + int(manifest["samples"]) * int(manifest["streams"]["input"]["beats_per_sample"]))


def run_sensitivity(bundle: Path | str, sim: str = "verilator", max_cycles: int | None = None,
                    only: tuple[str, ...] = (), log=print) -> dict:
    """Replays the bundle clean, then once per planted bug (``only``: just these defines);
    returns this simulator's entry of sensitivity.json (and records it in the bundle)."""
    bundle = Path(bundle)
    if not (bundle / "manifest.json").is_file() or not (bundle / "network.json").is_file():
        raise SensitivityError(f"{bundle}: not a bundle (no manifest.json / network.json)")
    replay = _replay_module()

    def one(defines: tuple[str, ...], out_hold: int = 0) -> tuple[int, str]:
        try:
            status, verdict, output = replay.replay(bundle, sim, max_cycles=max_cycles,
                                                    defines=defines, out_hold=out_hold)
        except (RuntimeError, OSError) as exc:
            raise SensitivityError(f"{bundle}: {sim} {' '.join(defines) or 'clean'}: {exc}"
                                   ) from None
        if not verdict:
            last = next((l for l in reversed(output.splitlines()) if l.strip()), "")
            verdict = f"no verdict (status {status}): {last.strip()[:200]}"
        return status, verdict

    status, baseline = one(())
    log(f"clean: {baseline}")
    entry = {"simulator": sim, "selected": list(only) or "all", "baseline": baseline,
             "bugs": [], "caught": 0, "total": 0}
    if status != 0 or not baseline.startswith("PASS"):
        entry["error"] = "the clean replay does not pass: sensitivity not measured"
        _record(bundle, sim, entry)
        return entry
    bugs = planted_bugs(bundle)
    held_cycles = output_hold_cycles(bundle)
    unknown = sorted(set(only) - {define for define, _, _ in bugs})
    if unknown:
        raise SensitivityError(f"--bug {unknown[0]}: not a planted bug of this bundle's cores")
    for define, block, what in bugs:
        if only and define not in only:
            continue
        invisible = invisible_reason(bundle, define, block)
        if invisible:
            # Not a fault of this network: no bundle of it could catch it (not counted).
            entry["bugs"].append({"define": define, "block": block, "what": what,
                                  "caught": None, "mode": "not applicable",
                                  "verdict": f"cannot change this network: {invisible}"})
            log(f"n/a    {define} ({block}): cannot change this network: {invisible}")
            continue
        status, verdict = one((define,))
        caught = status != 0 and bool(DETECTION.match(verdict))
        mode = "free-running"
        if not caught:
            # The second replay mode: the readout held back first, so the network backs up and
            # every inter-layer FIFO runs full (a full-FIFO bug shows only then when layer 0 is
            # the slowest layer).
            status, verdict = one((define,), out_hold=held_cycles)
            caught = status != 0 and bool(DETECTION.match(verdict))
            mode = f"out_hold={held_cycles}"
        entry["bugs"].append({"define": define, "block": block, "what": what,
                              "caught": caught, "mode": mode, "verdict": verdict})
        log(f"{'caught' if caught else 'MISSED'} {define} ({block}): {verdict}")
    counted = [b for b in entry["bugs"] if b["caught"] is not None]
    entry["caught"] = sum(b["caught"] for b in counted)
    entry["total"] = len(counted)
    entry["not_applicable"] = len(entry["bugs"]) - len(counted)
    log(f"sensitivity {entry['caught']}/{entry['total']} planted bugs caught on {sim}"
        + (f" ({entry['not_applicable']} cannot change this network)"
           if entry["not_applicable"] else ""))
    _record(bundle, sim, entry)
    return entry


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _record(bundle: Path, sim: str, entry: dict) -> None:
    """Merges ``entry`` into sensitivity.json and lists that file (bytes, sha256) in the manifest,
    with a caught/total summary per simulator."""
    from vectors.bundle import sha256  # noqa: PLC0415

    # Runs on two simulators at once may finish together: one read-modify-write at a time.
    lock = os.open(bundle, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _merge(bundle, sim, entry, sha256)
    finally:
        os.close(lock)


def _merge(bundle: Path, sim: str, entry: dict, sha256) -> None:
    path = bundle / SENSITIVITY_FILE
    runs = json.loads(path.read_text()) if path.is_file() else {}
    runs[sim] = entry
    _write_atomic(path, json.dumps(runs, indent=2) + "\n")
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    files = [f for f in manifest["files"] if f["name"] != SENSITIVITY_FILE]
    files.append({"name": SENSITIVITY_FILE, "bytes": path.stat().st_size, "sha256": sha256(path)})
    manifest["files"] = files
    manifest["sensitivity"] = {
        "file": SENSITIVITY_FILE,
        **{s: (e["error"] if "error" in e else f"{e['caught']}/{e['total']}"
               + ("" if e.get("selected", "all") == "all" else " (selected bugs only)"))
           for s, e in runs.items()}}
    _write_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vectors.sensitivity",
        description="Replay a bundle against every planted RTL bug of its cores; count the "
                    "bugs caught (docs/vectors.md).")
    parser.add_argument("bundle", type=Path, help="bundle folder")
    parser.add_argument("--sim", default="verilator", choices=("verilator", "icarus"))
    parser.add_argument("--max-cycles", type=int, default=None,
                        help="simulation budget per replay (default: the bench's)")
    parser.add_argument("--bug", action="append", default=[], metavar="DEFINE",
                        help="only this planted bug (repeatable; default: all of them)")
    args = parser.parse_args(argv)
    try:
        entry = run_sensitivity(args.bundle, args.sim, args.max_cycles, tuple(args.bug))
    except SensitivityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "error" in entry:
        print(f"FAIL {entry['error']}: {entry['baseline']}", file=sys.stderr)
        return 1
    return 0 if entry["caught"] == entry["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
