#!/usr/bin/env python3
"""`make lint`: `verilator --lint-only -Wall` over rtl/.

Each testbench's toplevel is linted with every parameter set of its sweep and regression (odd
and degenerate sizes are where width warnings hide); every other module of rtl/ is linted on
its own with its default parameters. Waivers live in rtl/*.vlt, each with its reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tb.registry import TESTBENCHES  # noqa: E402

RTL = REPO_ROOT / "rtl"


def lint(top: str, sources: list[Path], parameters: dict) -> tuple[bool, str]:
    waivers = sorted(RTL.glob("*.vlt"))
    command = (["verilator", "--lint-only", "-Wall", "--top-module", top, f"-I{RTL}"]
               + [f"-G{k}={v}" for k, v in parameters.items()]
               + [str(p) for p in waivers + sources])
    done = subprocess.run(command, capture_output=True, text=True)
    return done.returncode == 0 and not done.stderr.strip(), done.stderr.strip()


def main() -> int:
    all_sources = sorted(p for p in RTL.glob("*.sv"))
    package_files = [p for p in all_sources if p.name.endswith("_pkg.sv")]
    modules = {m: p for p in all_sources
               for m in re.findall(r"^\s*module\s+(\w+)", p.read_text(), re.M)}
    runs = []
    covered = set()
    for tb in TESTBENCHES.values():
        covered.add(tb.toplevel)
        for params in tb.parameter_sets():
            runs.append((tb.toplevel, params))
    runs += [(m, {}) for m in sorted(modules) if m not in covered]

    failures = 0
    for top, params in runs:
        ok, text = lint(top, package_files + [p for p in all_sources if p not in package_files],
                        params)
        label = f"{top} " + " ".join(f"{k}={v}" for k, v in params.items())
        print(f"{'clean' if ok else 'WARN '}  {label}")
        if not ok:
            failures += 1
            print(text)
    print(f"make lint: {len(runs) - failures}/{len(runs)} clean")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
