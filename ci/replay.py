#!/usr/bin/env python3
"""Build and run the plain-SystemVerilog replay bench (tb/replay/replay_tb.sv) on a vector bundle.

    python ci/replay.py --bundle build/vectors/x --sim icarus|verilator

Compiles the bundle's own RTL copies (rtl/, in network.json's order), its generated top and the
bench with the bundle on the include path (for replay_bundle.svh), runs it with
``+bundle=<dir>``, prints the bench's INFO and PASS/FAIL lines (the simulator's own lines only
when no verdict appears) and exits with the simulation's status (0 PASS, 1 FAIL, 2 build error).
Builds are cached per bundle content under build/replay/<sim>/<key>/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "tb" / "replay" / "replay_tb.sv"


def sources(bundle: Path) -> list[Path]:
    plan = json.loads((bundle / "network.json").read_text())
    return [bundle / "rtl" / s for s in plan["sources"]] + [bundle / f"{plan['top']}.sv", BENCH]


def build_key(bundle: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    headers = sorted((bundle / "rtl").glob("*.svh")) + [bundle / "replay_bundle.svh"]
    for path in files + headers:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build(bundle: Path, sim: str, build_root: Path) -> list[str]:
    files = sources(bundle)
    out = build_root / sim / build_key(bundle, files)
    if sim == "icarus":
        binary = out / "replay_tb.vvp"
        command = ["iverilog", "-g2012", "-s", "replay_tb", "-I", str(bundle),
                   "-I", str(bundle / "rtl"), "-o", str(binary),
                   *map(str, files)]
        run = ["vvp", "-n", str(binary)]
    else:
        binary = out / "Vreplay_tb"
        command = ["verilator", "--binary", "-j", "2", "--output-split", "0", "-Wno-fatal",
                   "-Wno-lint", "-Wno-style", "-CFLAGS", "-std=gnu++20 -fcoroutines",
                   "--top-module", "replay_tb",
                   f"-I{bundle}", f"-I{bundle / 'rtl'}",
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


def replay(bundle: Path, sim: str, build_root: Path = REPO / "build" / "replay",
           max_cycles: int | None = None, stall: int = 0) -> tuple[int, str, str]:
    """Returns (exit status, the verdict line, the whole output). ``stall``: percent of cycles
    with the input withheld and out_ready low (0..99)."""
    bundle = bundle.resolve()
    run = build(bundle, sim, build_root)
    run += [f"+bundle={bundle}", f"+stall={stall}"]
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
    return status, verdict, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, type=Path, help="bundle folder")
    parser.add_argument("--sim", default="verilator", choices=("icarus", "verilator"))
    parser.add_argument("--max-cycles", type=int, default=None, help="simulation budget")
    parser.add_argument("--stall", type=int, default=0, metavar="PERCENT",
                        help="withhold input / drop out_ready in about PERCENT %% of the cycles "
                             "(0..99; default 0)")
    args = parser.parse_args(argv)
    if not 0 <= args.stall <= 99:
        parser.error(f"--stall must be 0..99, got {args.stall}")
    if not (args.bundle / "replay_bundle.svh").is_file():
        print(f"error: {args.bundle}: not a bundle (no replay_bundle.svh)", file=sys.stderr)
        return 2
    try:
        status, verdict, output = replay(args.bundle, args.sim, max_cycles=args.max_cycles,
                                         stall=args.stall)
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
        print(verdict)
    return status


if __name__ == "__main__":
    sys.exit(main())
