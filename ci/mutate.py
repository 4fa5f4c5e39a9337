#!/usr/bin/env python3
"""`make mutate`: mutation testing of the RTL, a measure of how many bugs the testbenches catch.

For each block, small faults are written into a copy of its RTL file, one at a time (a relational
operator off by one, == / != swapped, && / || swapped, & / | swapped, a 1'b0 / 1'b1 constant
flipped, a logical negation dropped), each mutant is built and its testbench run with a small
Hypothesis budget, and the mutant is *killed* when the run fails. Mutants that do not compile
are *stillborn* and not counted. Survivors are listed with their line: either a gap in the
testbench or an equivalent mutant (one that does not change behaviour), for a human to judge.

Only the design logic is mutated: comments and the simulation-only assertion sections
(`ifndef SYNTHESIS ... `endif) are left alone. Mutants are picked at random (seeded) among all
candidate sites of the file, so repeated runs with other seeds cover other sites.

Writes build/mutation/report.md (per block: mutants, killed, survived, stillborn, score, and
the survivors) and exits non-zero if a block scores below --min-score.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

sys.path.insert(0, str(REPO_ROOT / "ci"))

from progress import Progress  # noqa: E402

from tb.harness.runner import BUILD_ROOT, RTL_DIR, SIMULATORS, run_testbench  # noqa: E402
from tb.registry import TESTBENCHES  # noqa: E402

#: (name, pattern, replacement). Patterns only match inside code (comments and assertion
#: sections are blanked out before matching).
OPERATORS = (
    ("ge-to-gt", re.compile(r"(?<=[\w)\]] )>=(?= )"), ">"),
    ("gt-to-ge", re.compile(r"(?<=[\w)\]] )>(?= [\w(])"), ">="),
    ("lt-to-le", re.compile(r"(?<=[\w)\]] )<(?= [\w(])"), "<="),
    ("eq-to-ne", re.compile(r"(?<= )==(?= )"), "!="),
    ("ne-to-eq", re.compile(r"(?<= )!=(?= )"), "=="),
    ("and-to-or", re.compile(r"(?<= )&&(?= )"), "||"),
    ("or-to-and", re.compile(r"(?<= )\|\|(?= )"), "&&"),
    ("band-to-bor", re.compile(r"(?<= )&(?= [\w(~])"), "|"),
    ("bor-to-band", re.compile(r"(?<= )\|(?= [\w(~])"), "&"),
    ("one-to-zero", re.compile(r"\b1'b1\b"), "1'b0"),
    ("zero-to-one", re.compile(r"\b1'b0\b"), "1'b1"),
    ("drop-not", re.compile(r"(?<=[(\s])!(?=[\w(])"), ""),
)


@dataclass(frozen=True)
class Mutant:
    block: str
    file: str
    index: int
    operator: str
    line: int
    start: int
    end: int
    replacement: str
    original_line: str

    def apply(self, text: str) -> str:
        return text[:self.start] + self.replacement + text[self.end:]

    def describe(self) -> str:
        return (f"{self.file}:{self.line} {self.operator}: "
                f"`{self.original_line.strip()}`")


def code_mask(text: str) -> str:
    """``text`` with comments and `ifndef SYNTHESIS sections replaced by spaces (same offsets)."""
    masked = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if masked[i] != "\n":
                masked[i] = " "

    for match in re.finditer(r"//[^\n]*|/\*.*?\*/", text, re.S):
        blank(match.start(), match.end())
    for match in re.finditer(r"`ifndef SYNTHESIS\b.*?`endif", text, re.S):
        blank(match.start(), match.end())
    # The planted-bug branches are not built in a normal run (their `else branch is).
    for match in re.finditer(r"`ifdef DUALSPIKE_BUG_\w+.*?(?=`else|`endif)", text, re.S):
        blank(match.start(), match.end())
    # Parameter checks and `define lines are not design logic either.
    for match in re.finditer(r"`ifndef __ICARUS__\b.*?`endif|^`(?:define|ifdef|ifndef|else|endif|"
                             r"include)[^\n]*", text, re.S | re.M):
        blank(match.start(), match.end())
    return "".join(masked)


def candidate_sites(block: str, file: str, text: str) -> list[Mutant]:
    code = code_mask(text)
    lines = text.splitlines()
    sites = []
    for name, pattern, replacement in OPERATORS:
        for match in pattern.finditer(code):
            line = code.count("\n", 0, match.start()) + 1
            sites.append(Mutant(block, file, 0, name, line, match.start(), match.end(),
                                replacement, lines[line - 1]))
    return sites


def target_file(block: str) -> str:
    """The block's own RTL file (the last source: sub-blocks come first)."""
    return TESTBENCHES[block].sources[-1]


def run_mutant(mutant: Mutant, simulator: str, examples: int, seed: int) -> tuple[str, str]:
    """Builds and runs one mutant (in this process); returns (verdict, detail)."""
    testbench = TESTBENCHES[mutant.block]
    (BUILD_ROOT / "mutation").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"mutant-{mutant.block}-{mutant.index}-",
                                 dir=BUILD_ROOT / "mutation"))
    try:
        # Only the mutated file is copied; the other sources are the repository's.
        (work / mutant.file).write_text(mutant.apply((RTL_DIR / mutant.file).read_text()))
        sources = [str(work / s) if s == mutant.file else s for s in testbench.sources]
        result = run_testbench(
            testbench.block, testbench.toplevel, sources,
            simulator, parameters=testbench.regression[-1], examples=examples, seed=seed,
            extra_env={"DUALSPIKE_SKIP_SHRINK": "1"}, tag=work.name)
        if result.error and result.tests == 0 and "simulator exited" not in result.error \
                and not result.assertion_failures:
            verdict = "stillborn"  # did not compile
        elif result.passed:
            verdict = "survived"
        else:
            verdict = "killed"
        shutil.rmtree(result.build_dir, ignore_errors=True)
        shutil.rmtree(BUILD_ROOT / "hypothesis" / simulator / mutant.block / work.name,
                      ignore_errors=True)
        reasons = ([result.error.splitlines()[0]] if result.error else []) + \
            result.assertion_failures[:1]
        return verdict, " | ".join(reasons)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_isolated(job: tuple) -> tuple[Mutant, str, str]:
    """Runs one mutant in a child process with a wall-clock limit: a mutant can make a
    combinational loop that never settles, which hangs the simulator (counted as killed: a
    regression run would notice, by its own time limit)."""
    mutant, simulator, examples, seed, limit = job
    command = [sys.executable, __file__, "--run-one", json.dumps(
        {"mutant": mutant.__dict__, "sim": simulator, "examples": examples, "seed": seed})]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return mutant, "killed", f"hung: no verdict in {limit} s"
    lines = out.strip().splitlines()
    if child.returncode != 0 or not lines:
        tail = " | ".join(err.strip().splitlines()[-3:])
        return mutant, "stillborn", f"mutation runner exited with {child.returncode}: {tail}"
    verdict, detail = json.loads(lines[-1])
    return mutant, verdict, detail


def _key(mutant: Mutant) -> str:
    return f"{mutant.block}#{mutant.index}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", action="append", help="blocks to mutate (default: all)")
    parser.add_argument("--mutants", type=int, default=12, help="mutants per block")
    parser.add_argument("--examples", type=int, default=60, help="Hypothesis examples per run")
    parser.add_argument("--sim", choices=SIMULATORS, default="icarus")
    parser.add_argument("--seed", type=int, default=1, help="picks the mutants and seeds the runs")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=0.0,
                        help="fail when a block kills fewer than this fraction of its mutants")
    parser.add_argument("--limit", type=int, default=600, help="seconds per mutant")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        job = json.loads(args.run_one)
        verdict = run_mutant(Mutant(**job["mutant"]), job["sim"], job["examples"], job["seed"])
        print(json.dumps(verdict))
        return 0
    blocks = args.block or list(TESTBENCHES)
    unknown = set(blocks) - set(TESTBENCHES)
    if unknown:
        parser.error(f"unknown block(s): {', '.join(sorted(unknown))}; known: "
                     f"{', '.join(TESTBENCHES)}")

    rng = random.Random(args.seed)
    jobs = []
    for block in blocks:
        file = target_file(block)
        sites = candidate_sites(block, file, (RTL_DIR / file).read_text())
        picked = rng.sample(sites, min(args.mutants, len(sites)))
        for index, site in enumerate(sorted(picked, key=lambda m: m.start)):
            mutant = Mutant(**{**site.__dict__, "index": index})
            jobs.append((mutant, args.sim, args.examples, args.seed, args.limit))
    (BUILD_ROOT / "mutation").mkdir(parents=True, exist_ok=True)
    print(f"make mutate: {len(jobs)} mutants of {len(blocks)} blocks on {args.sim}, "
          f"{args.examples} examples each, {args.jobs} in parallel")
    started = time.monotonic()
    # Live: a line per mutant as its verdict comes (a survivor is a finding: its line says so).
    progress = Progress({_key(job[0]): 1.0 for job in jobs})
    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for future in as_completed([pool.submit(run_isolated, job) for job in jobs]):
            mutant, verdict, detail = future.result()
            outcomes.append((mutant, verdict, detail))
            progress.finished(_key(mutant), f"{verdict.upper():9} {mutant.describe()}"
                              + (f" ({detail})" if detail else ""))
    progress.close()
    outcomes.sort(key=lambda outcome: (outcome[0].block, outcome[0].index))
    wall = time.monotonic() - started

    rows = ["| block | file | mutants | killed | survived | stillborn | score |",
            "|---|---|---|---|---|---|---|"]
    survivors, low = [], []
    for block in blocks:
        mine = [(m, v) for m, v, _ in outcomes if m.block == block]
        killed = sum(v == "killed" for _, v in mine)
        survived = [m for m, v in mine if v == "survived"]
        stillborn = sum(v == "stillborn" for _, v in mine)
        counted = killed + len(survived)
        score = killed / counted if counted else float("nan")
        if counted and score < args.min_score:
            low.append(block)
        rows.append(f"| {block} | {target_file(block)} | {counted} | {killed} | "
                    f"{len(survived)} | {stillborn} | {score:.2f} |")
        survivors += [m.describe() for m in survived]
    total_killed = sum(v == "killed" for _, v, _ in outcomes)
    total_counted = sum(v in ("killed", "survived") for _, v, _ in outcomes)
    summary = (f"{total_killed} of {total_counted} mutants killed "
               f"({total_killed / max(1, total_counted):.0%}) on {args.sim} in {wall:.0f} s; "
               f"seed {args.seed}, {args.examples} examples per run")
    text = ("# make mutate\n\n" + "\n".join(rows) + f"\n\n{summary}\n\n## Survivors\n\n"
            + ("\n".join(f"- {s}" for s in survivors) or "none") + "\n")
    out = BUILD_ROOT / "mutation" / "report.md"
    out.write_text(text)
    print(text)
    print(f"report: {out}")
    if low:
        print(f"below --min-score {args.min_score}: {', '.join(low)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
