#!/usr/bin/env python3
"""`make mutate`: mutation testing of the RTL, a measure of how many bugs the testbenches catch.

For every RTL file, small faults are written into a copy of it, one at a time (a relational
operator off by one, == / != swapped, && / || swapped, & / | swapped, a 1'b0 / 1'b1 constant
flipped, a logical negation dropped), each mutant is built and the testbench of the smallest
block holding the file is run with a small Hypothesis budget (a sub-block without a testbench of
its own, such as dense_bank.sv, through the core that instantiates it), and the mutant is
*killed* when the run fails. Mutants that do not compile
are *stillborn* and not counted. Survivors are listed with their line: either a gap in the
testbench or an equivalent mutant (one that does not change behaviour). Mutants reviewed as
equivalent are listed with the reason in ci/equivalent_mutants.json (keyed by file and
mutation); they are reported apart and left out of the score.

Only the design logic is mutated: comments and the simulation-only assertion sections
(`ifndef SYNTHESIS ... `endif) are left alone. Mutants are picked at random (seeded) among all
candidate sites of the file, so repeated runs with other seeds cover other sites.

Each mutant runs on the smallest regression parameter set of its block; one that survives
there (and is not listed as equivalent) is run on the block's other parameter sets, the sweep
and the regression ones, until one kills it: those hold the odd sizes one set lacks. A kill on
another set counts only if the unmutated design passes that same run (checked once per set).

Writes build/mutation/report.md and report.json (per file: mutants, killed, survived,
equivalent, stillborn, score = killed / (killed + real survivors), and the survivors) and exits
with status 1 if a file scores below --min-score.
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


#: Reviewed equivalent mutants: {file: {mutation key: why it cannot change behaviour}}.
EQUIVALENT_FILE = REPO_ROOT / "ci" / "equivalent_mutants.json"


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
    #: Which site of this operator on this line text (0: the first in the file), when the
    #: same text holds several (two sites on one line, or repeated lines such as a reset `if`).
    occurrence: int = 0

    def key(self) -> str:
        """Names the mutation independently of line numbers (edits elsewhere move them):
        the operator and the source line, plus the site's rank when that text has several."""
        rank = f" #{self.occurrence + 1}" if self.occurrence else ""
        return f"{self.operator}{rank} `{self.original_line.strip()}`"

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
        seen: dict[str, int] = {}   # same operator on the same line text, in file order
        for match in pattern.finditer(code):
            line = code.count("\n", 0, match.start()) + 1
            text_of_line = lines[line - 1].strip()
            sites.append(Mutant(block, file, 0, name, line, match.start(), match.end(),
                                replacement, lines[line - 1], seen.get(text_of_line, 0)))
            seen[text_of_line] = seen.get(text_of_line, 0) + 1
    return sites


def testing_block(file: str) -> str | None:
    """The block whose testbench checks ``file``: the one with the fewest sources holding it
    (its own testbench, else the smallest core that instantiates it); None if none does."""
    holders = [tb for tb in TESTBENCHES.values() if file in tb.sources]
    return min(holders, key=lambda tb: (len(tb.sources), tb.block)).block if holders else None


def mutable_files() -> dict[str, str]:
    """{RTL file: its testing block} for every file with design logic to mutate (a file that
    is all simulation-only checker, such as stream_stable_checker.sv, has no sites)."""
    found = {}
    for path in sorted(RTL_DIR.glob("*.sv")):
        block = testing_block(path.name)
        if block and candidate_sites(block, path.name, path.read_text()):
            found[path.name] = block
    return found


def load_equivalent(path: Path = EQUIVALENT_FILE) -> dict[str, dict[str, str]]:
    """The reviewed equivalent mutants; one `error:` line and exit 2 when the file is bad."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        sys.exit(print(f"error: {path}: {exc}", file=sys.stderr) or 2)
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and all(isinstance(r, str) and r for r in v.values())
            for k, v in data.items() if not k.startswith("_")):
        print(f"error: {path}: expected {{file: {{mutation: reason}}}}", file=sys.stderr)
        sys.exit(2)
    return {k: v for k, v in data.items() if not k.startswith("_")}


def parameter_sets(block: str) -> list[dict]:
    """The parameter sets a mutant of ``block``'s files is run on, in order: the smallest
    regression set first, then every other set the regression runs (``make test``'s sweep,
    ``make sim``'s regression sets), which hold the odd and degenerate sizes (a bank without
    a channel, groups that tile the fan-in exactly, a power-of-two depth) that one set lacks."""
    testbench = TESTBENCHES[block]
    first = testbench.regression[-1]
    return [first] + [params for params in testbench.parameter_sets() if params != first]


def run_mutant(mutant: Mutant, simulator: str, examples: int, seed: int) -> tuple[str, str]:
    """Builds and runs one mutant (in this process); returns (verdict, detail). A mutant the
    first parameter set does not kill is run on the block's other sets until one kills it,
    unless it is listed as equivalent (reviewed: no set can kill it)."""
    sets = parameter_sets(mutant.block)
    if mutant.key() in load_equivalent().get(mutant.file, {}):
        sets = sets[:1]
    outcome = ("stillborn", "no parameter set")
    for number, parameters in enumerate(sets):
        verdict, detail = run_on(mutant, simulator, examples, seed, parameters)
        which = (f"parameter set {number + 1} of {len(sets)} ("
                 + ", ".join(f"{name}={value}" for name, value in parameters.items()) + ")")
        if verdict == "killed" and number and not control_passes(mutant, simulator, examples,
                                                                 seed, parameters):
            return "survived", f"{which} fails without the mutation too; {detail}"
        if verdict == "killed":
            return verdict, (f"{which}; " if number else "") + detail
        if number == 0:
            outcome = (verdict, detail)  # stillborn on the first set: it is not counted
            if verdict == "stillborn":
                break
    return outcome


#: The unmutated runs of :func:`control_passes`, kept for the rest of one `make mutate` run.
CONTROLS_FILE = BUILD_ROOT / "mutation" / "controls.json"


def control_passes(mutant: Mutant, simulator: str, examples: int, seed: int,
                   parameters: dict) -> bool:
    """Whether the unmutated design passes the same run (a set that kills a mutant must not
    fail on its own); the answer is kept per block, set and budget for the other mutants."""
    key = json.dumps([simulator, mutant.block, parameters, examples, seed], sort_keys=True)
    known = json.loads(CONTROLS_FILE.read_text()) if CONTROLS_FILE.exists() else {}
    if key not in known:
        original = (RTL_DIR / mutant.file).read_text()[mutant.start:mutant.end]
        identity = Mutant(**{**mutant.__dict__, "replacement": original})
        passed = run_on(identity, simulator, examples, seed, parameters)[0] == "survived"
        known = json.loads(CONTROLS_FILE.read_text()) if CONTROLS_FILE.exists() else {}
        known[key] = passed
        partial = CONTROLS_FILE.with_suffix(f".{os.getpid()}")
        partial.write_text(json.dumps(known, indent=1) + "\n")
        partial.replace(CONTROLS_FILE)  # whole or not at all: parallel mutants read it
    return known[key]


def run_on(mutant: Mutant, simulator: str, examples: int, seed: int,
           parameters: dict) -> tuple[str, str]:
    """Builds and runs one mutant on one parameter set; returns (verdict, detail)."""
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
            simulator, parameters=parameters, examples=examples, seed=seed,
            extra_env={"DUALSPIKE_SKIP_SHRINK": "1"}, tag=work.name, quick_build=True)
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
    limit *= len(parameter_sets(mutant.block))  # a survivor is tried on every set
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
    return f"{mutant.file}#{mutant.index}"  # two files of one block number their mutants alike


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", action="append",
                        help="mutate the RTL files this block's testbench checks (default: all)")
    parser.add_argument("--file", action="append", help="RTL files to mutate (default: all)")
    parser.add_argument("--mutants", type=int, default=12, help="mutants per file")
    parser.add_argument("--examples", type=int, default=60, help="Hypothesis examples per run")
    parser.add_argument("--sim", choices=SIMULATORS, default="icarus")
    parser.add_argument("--seed", type=int, default=1, help="picks the mutants and seeds the runs")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=0.0,
                        help="fail when a file kills fewer than this fraction of its "
                             "non-equivalent mutants")
    parser.add_argument("--limit", type=int, default=600, help="seconds per mutant")
    parser.add_argument("--out", type=Path, default=BUILD_ROOT / "mutation",
                        help="folder of report.md and report.json")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        job = json.loads(args.run_one)
        verdict = run_mutant(Mutant(**job["mutant"]), job["sim"], job["examples"], job["seed"])
        print(json.dumps(verdict))
        return 0
    files = mutable_files()
    unknown = set(args.block or ()) - set(TESTBENCHES)
    if unknown:
        parser.error(f"unknown block(s): {', '.join(sorted(unknown))}; known: "
                     f"{', '.join(TESTBENCHES)}")
    unknown = set(args.file or ()) - set(files)
    if unknown:
        parser.error(f"unknown RTL file(s): {', '.join(sorted(unknown))}; known: "
                     f"{', '.join(files)}")
    if args.block or args.file:
        files = {f: b for f, b in files.items()
                 if f in (args.file or ()) or b in (args.block or ())}
    equivalent = load_equivalent()
    CONTROLS_FILE.unlink(missing_ok=True)  # the sources may have changed since the last run

    jobs = []
    for file, block in files.items():
        sites = candidate_sites(block, file, (RTL_DIR / file).read_text())
        # One generator per file: a file's mutants do not depend on which other files run.
        picked = random.Random(f"{args.seed}:{file}").sample(sites, min(args.mutants, len(sites)))
        for index, site in enumerate(sorted(picked, key=lambda m: m.start)):
            mutant = Mutant(**{**site.__dict__, "index": index})
            jobs.append((mutant, args.sim, args.examples, args.seed, args.limit))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"make mutate: {len(jobs)} mutants of {len(files)} RTL files on {args.sim}, "
          f"{args.examples} examples each, {args.jobs} in parallel")
    started = time.monotonic()
    # Live: a line per mutant as its verdict comes (a survivor is a finding: its line says so).
    progress = Progress({_key(job[0]): 1.0 for job in jobs})
    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for future in as_completed([pool.submit(run_isolated, job) for job in jobs]):
            mutant, verdict, detail = future.result()
            if verdict == "survived" and mutant.key() in equivalent.get(mutant.file, {}):
                verdict = "equivalent"
            outcomes.append((mutant, verdict, detail))
            progress.finished(_key(mutant), f"{verdict.upper():10} {mutant.describe()}"
                              + (f" ({detail})" if detail else ""))
    progress.close()
    outcomes.sort(key=lambda outcome: (outcome[0].file, outcome[0].index))
    wall = time.monotonic() - started

    rows = ["| file | tested by | mutants | killed | survived | equivalent | stillborn | score |",
            "|---|---|---|---|---|---|---|---|"]
    per_file, survivors, equivalents, contradicted, low = {}, [], [], [], []
    for file, block in files.items():
        mine = [(m, v) for m, v, _ in outcomes if m.file == file]
        count = {v: sum(verdict == v for _, verdict in mine)
                 for v in ("killed", "survived", "equivalent", "stillborn")}
        counted = count["killed"] + count["survived"]
        score = count["killed"] / counted if counted else None
        if score is not None and score < args.min_score:
            low.append(file)
        rows.append(f"| {file} | {block} | {len(mine)} | {count['killed']} | {count['survived']} "
                    f"| {count['equivalent']} | {count['stillborn']} | "
                    + (f"{score:.2f} |" if score is not None else "- |"))
        survivors += [m.describe() for m, v in mine if v == "survived"]
        equivalents += [f"{m.describe()}: {equivalent[file][m.key()]}"
                        for m, v in mine if v == "equivalent"]
        # A mutant reviewed as equivalent that a run kills was reviewed wrongly: say so.
        contradicted += [m.describe() for m, v in mine
                         if v == "killed" and m.key() in equivalent.get(file, {})]
        per_file[file] = {"block": block, **count, "score": score,
                          "survivors": [m.key() for m, v in mine if v == "survived"]}
    killed = sum(v == "killed" for _, v, _ in outcomes)
    counted = sum(v in ("killed", "survived") for _, v, _ in outcomes)
    summary = (f"{killed} of {counted} non-equivalent mutants killed "
               f"({killed / max(1, counted):.1%}) on {args.sim} in {wall:.0f} s; "
               f"{sum(v == 'equivalent' for _, v, _ in outcomes)} equivalent; "
               f"seed {args.seed}, {args.mutants} mutants per file, "
               f"{args.examples} examples per run; a survivor of the first parameter set is "
               f"run on the block's other sets")
    text = ("# make mutate\n\n" + "\n".join(rows) + f"\n\n{summary}\n\n## Survivors\n\n"
            + ("\n".join(f"- {s}" for s in survivors) or "none")
            + "\n\n## Equivalent (reviewed: ci/equivalent_mutants.json)\n\n"
            + ("\n".join(f"- {s}" for s in equivalents) or "none") + "\n")
    elsewhere = [f"{m.describe()}: {detail.split('; ')[0]}" for m, v, detail in outcomes
                 if v == "killed" and detail.startswith("parameter set ")]
    if elsewhere:
        text += ("\n## Killed only on another parameter set\n\n"
                 + "\n".join(f"- {s}" for s in elsewhere) + "\n")
    if contradicted:
        text += ("\n## Listed as equivalent but killed (review the entry)\n\n"
                 + "\n".join(f"- {s}" for s in contradicted) + "\n")
    (args.out / "report.md").write_text(text)
    (args.out / "report.json").write_text(json.dumps(
        {"sim": args.sim, "seed": args.seed, "mutants_per_file": args.mutants,
         "examples": args.examples, "wall_s": round(wall, 1), "killed": killed,
         "counted": counted, "files": per_file}, indent=1) + "\n")
    print(text)
    print(f"report: {args.out / 'report.md'}")
    if low:
        print(f"below --min-score {args.min_score}: {', '.join(low)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
