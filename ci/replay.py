#!/usr/bin/env python3
"""Build and run the plain-SystemVerilog replay bench (tb/replay/replay_tb.sv) on a vector bundle.

    python ci/replay.py --bundle build/vectors/x --sim icarus|verilator [--no-verify] [--preload]

First checks every file the manifest lists against its size and sha256 (the cheap part of
``python -m vectors.bundle verify``; ``--no-verify`` skips it). Then compiles the bundle's own RTL
copies (rtl/, in network.json's order), its generated top and the bench with the bundle on the
include path (for replay_bundle.svh), runs it with ``+bundle=<dir>`` and, before believing a
PASS, checks the run itself: no ``$readmemh`` warning from the simulator; the samples, input
beats, configuration writes and beats per stream the bench counted equal manifest.json's; the
measured cycles agree with the manifest's ``cycles`` (docs/vectors.md, "What the replay
checks"). Prints the bench's INFO lines and one verdict (PASS/FAIL); exits 0 PASS, 1 FAIL,
2 build error or bad input. Builds are cached per bundle content and defines under
build/replay/<sim>/<key>/. ``--preload``: the top preloads its memories from the bundle's
preload/ images and the bench drives only config_writes.registers.mem (docs/vectors.md,
"Preloading memories"); the same streams and checks must pass.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "tb" / "replay" / "replay_tb.sv"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tb.harness.runner import QUICK_BUILD_ARGS, quick_build_default  # noqa: E402
from vectors.bundle import sha256  # noqa: E402


def sources(bundle: Path) -> list[Path]:
    plan = json.loads((bundle / "network.json").read_text())
    return [bundle / "rtl" / s for s in plan["sources"]] + [bundle / f"{plan['top']}.sv", BENCH]


def build_key(bundle: Path, files: list[Path], defines: Sequence[str] = ()) -> str:
    digest = hashlib.sha256()
    digest.update("\0".join(defines).encode() + b"\0\0")
    headers = sorted((bundle / "rtl").glob("*.svh")) + [bundle / "replay_bundle.svh"]
    for path in files + headers:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build(bundle: Path, sim: str, build_root: Path, defines: Sequence[str] = ()) -> list[str]:
    files = sources(bundle)
    # make test's quick builds (DUALSPIKE_QUICK_BUILD=1, tests/conftest.py) reach the replay too:
    # a test's bundle replays in moments, its compile (one file, --output-split 0) was most of a
    # 40 s test. `make replay` on a real bundle keeps Verilator's optimised build.
    quick = sim == "verilator" and quick_build_default()
    out = build_root / sim / (build_key(bundle, files, defines) + ("-quick" if quick else ""))
    flags = [f"-D{d}" for d in defines]
    if sim == "icarus":
        binary = out / "replay_tb.vvp"
        command = ["iverilog", "-g2012", "-s", "replay_tb", "-I", str(bundle),
                   "-I", str(bundle / "rtl"), *flags, "-o", str(binary),
                   *map(str, files)]
        run = ["vvp", "-n", str(binary)]
    else:
        binary = out / "Vreplay_tb"
        command = ["verilator", "--binary", "-j", "2", "--output-split", "0", "-Wno-fatal",
                   "-Wno-lint", "-Wno-style", "-CFLAGS", "-std=gnu++20 -fcoroutines",
                   *(QUICK_BUILD_ARGS if quick else ()),
                   "--top-module", "replay_tb",
                   f"-I{bundle}", f"-I{bundle / 'rtl'}", *flags,
                   "--Mdir", str(out), *map(str, files)]
        run = [str(binary)]
    if not binary.exists():
        # Build in a private folder, then rename it into the cache: two runs of the same bundle
        # (parallel test workers) never build into, or delete, each other's folder.
        build_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=build_root, prefix=f".{sim}-"))
        staged_command = [str(staging / binary.name) if c == str(binary) else
                          (str(staging) if c == str(out) else c) for c in command]
        env = dict(os.environ)
        env["OBJCACHE"] = ""  # plain compiler: ccache's dependency files raced here
        result = subprocess.run(staged_command, cwd=staging, capture_output=True, text=True,
                                env=env)
        if result.returncode != 0 or not (staging / binary.name).exists():
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(f"{sim} build failed (status {result.returncode})")
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            staging.rename(out)
        except OSError:  # another run finished the same build first: use that one
            shutil.rmtree(staging, ignore_errors=True)
    return run


def preload_defines(bundle: Path) -> list[str]:
    """The defines that build the preloaded variant (replay_bundle.svh) of ``bundle``."""
    return ["DUALSPIKE_PRELOAD", f'DUALSPIKE_PRELOAD_DIR="{bundle.resolve() / "preload"}"']


def replay(bundle: Path, sim: str, build_root: Path = REPO / "build" / "replay",
           max_cycles: int | None = None, stall: int = 0,
           defines: Sequence[str] = (), preload: bool = False,
           out_hold: int = 0) -> tuple[int, str, str]:
    """Returns (exit status, the verdict line, the whole output). ``stall``: percent of cycles
    with the input withheld and out_ready low (0..99). ``defines``: ``-D<define>`` for every
    compiled file (e.g. a planted ``DUALSPIKE_BUG_*``), part of the build key. ``preload``:
    the preloaded top, driven with the register writes only. ``out_hold``: cycles of streaming
    with out_ready held low first (the network backs up and every FIFO fills)."""
    bundle = bundle.resolve()
    if preload:
        defines = [*defines, *preload_defines(bundle)]
    run = build(bundle, sim, build_root, defines)
    run += [f"+bundle={bundle}", f"+stall={stall}", f"+out_hold={out_hold}"]
    run += [f"+max_cycles={max_cycles}"] if max_cycles else []
    result = subprocess.run(run, capture_output=True, text=True)
    output = result.stdout + result.stderr
    verdicts = [line for line in output.splitlines() if line.startswith(("PASS ", "FAIL "))]
    verdict = verdicts[-1] if verdicts else ""
    status = result.returncode
    if verdict.startswith("PASS") and status != 0 or verdict.startswith("FAIL") and status == 0:
        status = 1 if status == 0 else status
    if not verdict:
        status = status or 1
    complaint = readmem_complaint(output)
    if status == 0 or complaint and not verdict.startswith("FAIL"):
        problem = complaint or check_run(bundle, output, stall, preload, out_hold)
        if problem:
            status, verdict = 1, f"FAIL {problem}"
            output += verdict + "\n"
        elif status == 0:
            output += cycles_summary(bundle, output, stall, out_hold) + "\n"
    return status, verdict, output


def verify_files(bundle: Path, preload: bool = False) -> str | None:
    """The cheap part of ``vectors.bundle verify``: every file manifest.json lists is present
    with its size and sha256, and every file the bench reads is listed (with ``preload``, the
    images and the register writes). Returns the first problem (``<file>: <what>``) or None."""
    try:
        manifest = json.loads((bundle / "manifest.json").read_text())
        files = {f["name"]: f for f in manifest["files"]}
        read_by_bench = ["replay_bundle.svh", manifest["config_writes"]["file"],
                         *(s["file"] for s in manifest["streams"].values())]
        if preload:
            read_by_bench += [manifest["preload"]["register_writes"]["file"],
                              *(f["name"] for f in manifest["preload"]["files"])]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"manifest.json: unreadable or incomplete ({exc})"
    for name in read_by_bench:
        if name not in files:
            return f"{name}: not listed in manifest.json"
    for name, entry in files.items():
        path = bundle / name
        if not path.is_file():
            return f"{name}: missing (listed in manifest.json)"
        if path.stat().st_size != entry["bytes"]:
            return f"{name}: {path.stat().st_size} bytes, manifest.json says {entry['bytes']}"
        if sha256(path) != entry["sha256"]:
            return f"{name}: sha256 differs from manifest.json"
    return None


#: A simulator's complaint about a $readmemh (Icarus: "WARNING: ...: $readmemh(...): Not enough
#: words ...", "ERROR: Unable to open ..."; Verilator: "%Warning: ...: $readmem file not found").
READMEM_COMPLAINT = re.compile(r"(warning|error|unable).*readmem|readmem.*(warning|not found|"
                               r"not enough|too many|ended before|invalid|unable)", re.I)
MEM_FILE = re.compile(r"([\w.+-]+\.mem)\b")


def _info(output: str, pattern: str) -> list[tuple[str, ...]]:
    return re.findall(rf"^INFO {pattern}$", output, re.M)


def readmem_complaint(output: str) -> str | None:
    """The first simulator line about a $readmemh, as a problem naming the file, or None."""
    for line in output.splitlines():
        if READMEM_COMPLAINT.search(line) and not line.startswith(("INFO ", "PASS ", "FAIL ")):
            named = MEM_FILE.search(line)
            return (f"{named.group(1) if named else 'a .mem file'}: the simulator complained "
                    f"about $readmemh: {line.strip()}")
    return None


def check_run(bundle: Path, output: str, stall: int, preload: bool = False,
              out_hold: int = 0) -> str | None:
    """What a PASS must also satisfy (docs/vectors.md): returns the first problem or None.
    ``preload``: the bench drove the register writes only."""
    complaint = readmem_complaint(output)
    if complaint:
        return complaint
    try:
        manifest = json.loads((bundle / "manifest.json").read_text())
        samples, streams = int(manifest["samples"]), manifest["streams"]
        writes = int(manifest["preload"]["register_writes"]["count"] if preload else
                     manifest["config_writes"]["count"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"manifest.json: unreadable or incomplete ({exc})"
    counted = {"samples": _info(output, r"samples (\d+)"),
               "config": _info(output, r"config (\d+) writes"),
               "input": _info(output, r"input (\d+) beats")}
    for what, want in (("samples", samples), ("config", writes),
                       ("input", streams["input"]["beats"])):
        if len(counted[what]) != 1 or int(counted[what][0]) != want:
            got = counted[what][0] if len(counted[what]) == 1 else "nothing"
            return (f"replay_bundle.svh: the bench counted {got} {what} "
                    f"({'samples' if what == 'samples' else 'beats/writes'}), "
                    f"manifest.json says {want}")
    seen = {name: (int(beats), int(stalled), file) for name, beats, stalled, file in
            _info(output, r"stream (\S+) beats (\d+) stalled (\d+) file (\S+)")}
    for name, stream in streams.items():
        if name == "input":
            continue
        if name not in seen:
            return f"{stream['file']}: the bench printed no count for stream {name}"
        if seen[name][0] != stream["beats"]:
            return (f"{stream['file']}: the bench checked {seen[name][0]} beats, manifest.json "
                    f"says {stream['beats']}")
    if set(seen) != set(streams) - {"input"}:
        return f"replay_bundle.svh: the bench checked streams {sorted(seen)}, manifest.json " \
               f"lists {sorted(set(streams) - {'input'})}"
    return check_cycles(manifest, output, stall, out_hold)


def _exact_edges(manifest: dict, output: str) -> list[tuple[str, int, int]] | str:
    """Every edge the network model gives exactly (cycles after sample 0's first input beat):
    ``(what, measured, model)`` per sample's first input beat, per stream and sample its last
    beat, and the total; or a problem."""
    facts = manifest["cycles"]
    first_in = {int(s): int(c) for s, c in _info(output, r"first_in (\d+) (\d+)")}
    last = {(name, int(s)): int(c) for name, s, c, _ in
            _info(output, r"last (\S+) (\d+) (\d+) (\d+)")}
    total = _info(output, r"cycles (\d+) \(.*\)")
    frames = len(facts["first_in"])
    if len(total) != 1 or sorted(first_in) != list(range(frames)):
        return "cycles: the bench printed no complete cycle counts"
    start = first_in[0]
    wanted = [(f"sample {s}, first input beat", ("in", s), "first_in", c)
              for s, c in enumerate(facts["first_in"])]
    wanted += [(f"L{i} sample {s}, last beat", (f"L{i}", s), f"tap_last[{i}]", c)
               for i, tap in enumerate(facts["tap_last"]) for s, c in enumerate(tap)]
    wanted += [(f"readout sample {s}, last beat", ("readout", s), "readout_last", c)
               for s, c in enumerate(facts["readout_last"])]
    edges = []
    for what, key, field, want in wanted:
        got = first_in[key[1]] if key[0] == "in" else last.get(key)
        if got is None:
            return f"cycles: the bench printed no cycle for {what}"
        edges.append((f"{what} (manifest.json cycles.{field})", got - start, want))
    edges.append(("in all (manifest.json cycles.total_exact)", int(total[0]),
                  facts["total_exact"]))
    return edges


def _is_exact(stall: int, out_hold: int) -> bool:
    """The network model's edges are exact for this run: free-running streams."""
    return stall == 0 and out_hold == 0


def _bounds(manifest: dict, output: str) -> tuple[list[int], int] | str:
    """Under stalls: layer 0's measured cycles per sample and the whole run's; or a problem."""
    facts = manifest["cycles"]
    first_in = {int(s): int(c) for s, c in _info(output, r"first_in (\d+) (\d+)")}
    last_l0 = {int(s): int(c) for s, c, _ in _info(output, r"last L0 (\d+) (\d+) (\d+)")}
    total = _info(output, r"cycles (\d+) \(.*\)")
    frames = len(facts["layer0_per_frame"])
    if len(total) != 1 or sorted(first_in) != list(range(frames)) or \
            sorted(last_l0) != list(range(frames)):
        return "cycles: the bench printed no complete cycle counts"
    return [last_l0[s] - first_in[s] + 1 for s in range(frames)], int(total[0])


def check_cycles(manifest: dict, output: str, stall: int, out_hold: int = 0) -> str | None:
    """Free-running streams: every sample's first input beat, every stream's last beat per
    sample and the whole run equal the network model (manifest.json ``cycles``). Under stalls
    (or out_hold) the model's figures are lower bounds: layer 0's cycles per frame at least its
    core model's (``layer0_per_frame``), the whole run at least ``total_lower_bound``."""
    facts = manifest.get("cycles")
    needed = ("total_exact", "first_in", "tap_last", "readout_last", "layer0_per_frame",
              "total_lower_bound")
    if not isinstance(facts, dict) or any(key not in facts for key in needed):
        return ("manifest.json: no complete cycles facts (a bundle from before generator 1.4: "
                "make it again)")
    if _is_exact(stall, out_hold):
        edges = _exact_edges(manifest, output)
        if isinstance(edges, str):
            return edges
        for what, got, want in edges:
            if got != want:
                return f"cycles: {what}: measured {got}, model {want}"
        return None
    found = _bounds(manifest, output)
    if isinstance(found, str):
        return found
    measured, total = found
    for sample, (got, want) in enumerate(zip(measured, manifest["cycles"]["layer0_per_frame"])):
        if got < want:
            return (f"cycles: layer 0, sample {sample}: measured {got}, below the model's "
                    f"{want} (manifest.json cycles.layer0_per_frame)")
    bound = manifest["cycles"]["total_lower_bound"]
    if total < bound:
        return (f"cycles: measured {total} in all, below the lower bound {bound} "
                f"(manifest.json cycles.total_lower_bound)")
    return None


def cycles_summary(bundle: Path, output: str, stall: int, out_hold: int = 0) -> str:
    """One INFO line saying what the cycle check of a passing run compared."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    if _is_exact(stall, out_hold):
        edges = _exact_edges(manifest, output)
        return (f"INFO checked {len(edges)} cycle counts exactly against the network model "
                f"(every sample's first input beat, every stream's last beat per sample): "
                f"all {edges[-1][1]} == model {edges[-1][2]}")
    measured, total = _bounds(manifest, output)
    per_frame = ", ".join(f"{got} >= {want}" for got, want in
                          zip(measured, manifest["cycles"]["layer0_per_frame"]))
    return (f"INFO checked lower bounds (stalls or out_hold: the exact counts do not apply): "
            f"layer 0 cycles per frame {per_frame}; all {total} >= "
            f"{manifest['cycles']['total_lower_bound']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, type=Path, help="bundle folder")
    parser.add_argument("--sim", default="verilator", choices=("icarus", "verilator"))
    parser.add_argument("--max-cycles", type=int, default=None, help="simulation budget")
    parser.add_argument("--stall", type=int, default=0, metavar="PERCENT",
                        help="withhold input / drop out_ready in about PERCENT %% of the cycles "
                             "(0..99; default 0)")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the size and sha256 check of the bundle's files (for a "
                             "bundle already verified)")
    parser.add_argument("--preload", action="store_true",
                        help="build the top with its memories preloaded from preload/ and "
                             "drive only config_writes.registers.mem")
    args = parser.parse_args(argv)
    if not 0 <= args.stall <= 99:
        parser.error(f"--stall must be 0..99, got {args.stall}")
    if not (args.bundle / "manifest.json").is_file():
        print(f"error: {args.bundle}: not a bundle (no manifest.json)", file=sys.stderr)
        return 2
    problem = None if args.no_verify else verify_files(args.bundle, args.preload)
    if problem:
        print(f"FAIL {problem}")
        return 1
    if not (args.bundle / "replay_bundle.svh").is_file():
        print(f"error: {args.bundle}: not a bundle (no replay_bundle.svh)", file=sys.stderr)
        return 2
    try:
        status, verdict, output = replay(args.bundle, args.sim, max_cycles=args.max_cycles,
                                         stall=args.stall, preload=args.preload)
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in output.splitlines():
        if line.startswith("INFO "):
            print(line)
    if not verdict:
        sys.stdout.write(output[-4000:])
        print(f"FAIL no verdict from the bench (status {status})")
    else:
        print(verdict + _where(verdict))
    return status


def _where(verdict: str) -> str:
    """For a word the bench found wrong, the file and line holding the expected word."""
    found = re.match(r"FAIL (L\d+|readout) \d+ \S+ (\d+) expected", verdict)
    if not found:
        return ""
    return f" ({found.group(1)}.expected.mem line {int(found.group(2)) + 1})"


if __name__ == "__main__":
    sys.exit(main())
