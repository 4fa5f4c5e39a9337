#!/usr/bin/env python3
"""`make sim`: the RTL regression on one simulator.

Runs every testbench of tb/registry.py over its regression parameter sets and every network of
tb/network/networks.py (the digits, MNIST-sized and event networks, plus random networks drawn
by Hypothesis), in parallel, printing a line per finished run (a failure in full, at once) with
the time left; then prints a table (per testbench and simulator: examples tried, values compared,
pass / fail, simulated time, wall time), the networks' performance figures and the functional
coverage of the blocks that declare coverpoints, writes them to build/sim-<SIM>/report.md,
report.json, coverage.json and a JUnit XML next to them, and exits non-zero if anything failed or
compared nothing.

Subsets: ``--block`` (a list of blocks), ``--changed <rev>`` (only what a change since a git
revision can affect, ci/selection.py), ``--shard k/N`` (a cost-balanced part for one machine of
N, ci/shards.py, written to build/sim-<SIM>/shard-k-of-N/; ``ci/sim_merge.py`` joins the parts).
A failing run is re-run once with tracing on: its waveform path is in the report.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "ci"))

import selection  # noqa: E402
import shards  # noqa: E402
from progress import Progress  # noqa: E402

from tb.harness.runner import (  # noqa: E402
    BUILD_ROOT,
    SIMULATORS,
    WAVES_ON_FAILURE_ENV,
    TestbenchResult,
    parameter_tag,
    run_testbench,
)
from tb.network import networks as nets  # noqa: E402
from tb.network.figures import figures_markdown, network_figures  # noqa: E402
from tb.registry import TESTBENCHES  # noqa: E402

#: How many random networks a run draws (each network is a build).
RANDOM_NETWORKS = 3


@dataclass(frozen=True)
class Job:
    """One run of the regression. ``key`` is stable across machines and seeds (shards, report
    merging, measured costs); ``order`` is its row in the table of a whole run."""

    key: str
    order: int
    block: str
    simulator: str
    examples: int | None
    seed: int | None
    parameters: tuple = ()
    network: nets.Network | None = None

    def estimate(self) -> float:
        if self.network is not None:
            return shards.static_cost("network")
        testbench = TESTBENCHES[self.block]
        return shards.static_cost(self.block, len(testbench.sources),
                                  self.examples or testbench.sim_examples)


def plan_jobs(simulator: str, examples: int | None, seed: int | None,
              blocks: set[str] | None, network_seeds: list[int]) -> list[Job]:
    """Every run of a whole regression, networks first: they are the longest, so the pool
    finishes evenly. A network's budget depends on the simulator (networks.run); ``examples``
    overrides it."""
    jobs: list[Job] = []
    if blocks is None or selection.NETWORK in blocks:
        named = nets.regression_networks()
        randoms = [nets.random_network(s) for s in network_seeds]
        for network in named:
            jobs.append(Job(f"network/{network.name}", len(jobs), "network", simulator,
                            examples, seed, network=network))
        for slot, network in enumerate(randoms, 1):
            jobs.append(Job(f"network/random#{slot}", len(jobs), "network", simulator,
                            examples, seed, network=network))
    for tb in TESTBENCHES.values():
        if blocks is not None and tb.block not in blocks:
            continue
        for params in tb.regression:
            jobs.append(Job(f"{tb.block}/{parameter_tag(params)}", len(jobs), tb.block,
                            simulator, examples or tb.sim_examples, seed,
                            parameters=tuple(sorted(params.items()))))
    return jobs


def _run(job: Job) -> TestbenchResult:
    if job.network is not None:
        return nets.run(job.network, job.simulator, examples=job.examples, seed=job.seed)
    testbench = TESTBENCHES[job.block]  # looked up here: Hypothesis strategies do not pickle
    return run_testbench(testbench.block, testbench.toplevel, testbench.sources, job.simulator,
                         parameters=dict(job.parameters), examples=job.examples, seed=job.seed)


def status_line(r: TestbenchResult) -> str:
    """The live line of one finished run."""
    return (f"{'PASS' if r.passed else 'FAIL'} {r.block}[{r.tag}] {r.simulator}: "
            f"{r.tests - r.failed}/{r.tests} tests, {r.examples} examples, "
            f"{r.compared_values} values compared, {r.wall_s:.1f} s")


def format_table(results: list[TestbenchResult]) -> str:
    header = ("testbench", "parameters", "sim", "tests", "examples", "compared", "result",
              "sim time", "wall")
    rows = [header]
    for r in results:
        rows.append((r.block, r.tag, r.simulator, f"{r.tests - r.failed}/{r.tests}",
                     str(r.examples), str(r.compared_values), "PASS" if r.passed else "FAIL",
                     f"{r.sim_time_ns / 1e3:.1f} us", f"{r.wall_s:.1f} s"))
    totals = ("total", "", "", str(sum(r.tests for r in results)),
              str(sum(r.examples for r in results)),
              str(sum(r.compared_values for r in results)),
              "PASS" if all(r.passed for r in results) else "FAIL",
              f"{sum(r.sim_time_ns for r in results) / 1e3:.1f} us",
              f"{sum(r.wall_s for r in results):.1f} s")
    rows.append(totals)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"  # noqa: E731
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), rule] + [line(r) for r in rows[1:]])


def write_junit(results: list[TestbenchResult], path: Path, simulator: str) -> None:
    suite = ET.Element("testsuite", name=f"dualspike-sim-{simulator}", tests=str(len(results)),
                       failures=str(sum(not r.passed for r in results)))
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"{r.block}.{simulator}", name=r.tag,
                             time=f"{r.wall_s:.3f}")
        ET.SubElement(case, "properties").extend([
            ET.Element("property", name="examples", value=str(r.examples)),
            ET.Element("property", name="compared_values", value=str(r.compared_values)),
            ET.Element("property", name="sim_time_ns", value=f"{r.sim_time_ns:.0f}"),
        ])
        if not r.passed:
            ET.SubElement(case, "failure", message="testbench failed").text = r.explain()
    tree = ET.ElementTree(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def format_coverage(results: list[TestbenchResult]) -> str:
    """Functional coverage per run that declares it: bins hit / total per coverpoint and
    cross, the first missed bins, and the block's total (docs/harness.md)."""
    rows = ["| testbench | parameters | coverpoint | bins hit | missed (first) |",
            "|---|---|---|---|---|"]
    for r in results:
        for name, item in r.coverage.items():
            point = name.partition(".")[2] or "all (bins of every point and cross)"
            missed = ", ".join(item.get("missed", []))
            if item.get("missed_count", 0) > len(item.get("missed", [])):
                missed += f" and {item['missed_count'] - len(item['missed'])} more"
            rows.append(f"| {r.block} | {r.tag} | {point} | {item['hit']}/{item['total']} | "
                        f"{missed} |")
    rows += network_union_rows([r for r in results if r.block == "network" and r.coverage])
    return "\n".join(rows) if len(rows) > 2 else ""


def network_union_rows(runs: list[TestbenchResult]) -> list[str]:
    """The network coverpoints over every network run together (each network is one point of
    the space: its input kind, neuron models, readout mode; the regression covers the space only
    as a union): a bin counts as hit when any run hit it. Needs each run's complete missed list
    (a point whose misses were cut off in a report is left out)."""
    if len(runs) < 2:
        return []
    rows = []
    union_hit = union_total = 0
    for name in sorted({n for r in runs for n in r.coverage if n.partition(".")[2]}):
        items = [r.coverage.get(name) for r in runs]
        if any(item is None or "missed" not in item or
               item.get("missed_count", 0) > len(item["missed"]) for item in items):
            continue
        missed = set(items[0]["missed"]).intersection(*(set(i["missed"]) for i in items[1:]))
        total = items[0]["total"]
        union_hit += total - len(missed)
        union_total += total
        rows.append(f"| network | all {len(runs)} runs (union) | {name.partition('.')[2]} | "
                    f"{total - len(missed)}/{total} | {', '.join(sorted(missed))} |")
    if rows:
        rows.append(f"| network | all {len(runs)} runs (union) | all (bins of every point) | "
                    f"{union_hit}/{union_total} | |")
    return rows


def run_record(job: Job, result: TestbenchResult) -> dict:
    """One run as report.json keeps it: everything the table, the JUnit file and the failure
    text need, plus the network figures (so a merge needs no build folder)."""
    record = {**asdict(result), "build_dir": str(result.build_dir), "key": job.key,
              "order": job.order, "figures": ""}
    perf = result.build_dir / "perf.json"
    if result.block == "network" and result.passed and perf.exists():
        record["figures"] = figures_markdown(
            network_figures(nets.network_dir(result.tag, result.simulator), perf))
    return record


def result_of(record: dict) -> TestbenchResult:
    names = {f.name for f in fields(TestbenchResult)}
    values = {k: v for k, v in record.items() if k in names}
    return TestbenchResult(**{**values, "build_dir": Path(record["build_dir"])})


def write_reports(out_dir: Path, report: dict) -> str:
    """Writes report.md, report.json and junit.xml of ``report`` (runs sorted by their order
    in a whole run) to ``out_dir``; returns the text ``make sim`` prints at the end."""
    report["runs"].sort(key=lambda run: run["order"])
    results = [result_of(run) for run in report["runs"]]
    simulator = report["simulator"]
    table = format_table(results)
    verdict = "PASS" if all(r.passed for r in results) else "FAIL"
    summary = f"{verdict}: {len(results)} runs on {simulator} in {report['wall_s']:.1f} s wall"
    figures = [run["figures"] for run in report["runs"] if run["figures"]]
    figures_text = ("\n## Network figures (clock 200 MHz)\n\n" + "\n".join(figures)
                    if figures else "")
    coverage = format_coverage(results)
    coverage_text = f"\n## Functional coverage\n\n{coverage}\n" if coverage else ""
    failures = [r.explain() for r in results if not r.passed]
    failures_text = ("\n## Failures\n\n" + "\n\n".join(f"```\n{f}\n```" for f in failures)
                     if failures else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(
        f"# make sim ({simulator})\n\n{table}\n\n{summary}\n{figures_text}{coverage_text}"
        f"{failures_text}\n")
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    (out_dir / "coverage.json").write_text(json.dumps(
        {run["key"]: {"block": run["block"], "parameters": run["tag"],
                      "coverage": run["coverage"]}
         for run in report["runs"] if run["coverage"]}, indent=1))
    write_junit(results, out_dir / "junit.xml", simulator)
    return "\n".join([table, figures_text, coverage_text] + ["\n" + f for f in failures]
                     + [f"\n{summary}; report: {out_dir / 'report.md'}, "
                        f"JUnit: {out_dir / 'junit.xml'}"])


def _blocks(values: list[str] | None, parser: argparse.ArgumentParser) -> set[str] | None:
    if not values:
        return None
    blocks = {b.strip() for value in values for b in value.split(",") if b.strip()}
    unknown = blocks - set(TESTBENCHES) - {selection.NETWORK}
    if unknown:
        parser.error(f"unknown block(s): {', '.join(sorted(unknown))}; "
                     f"known: {', '.join(TESTBENCHES)}, {selection.NETWORK}")
    return blocks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", choices=SIMULATORS, default="verilator")
    parser.add_argument("--jobs", type=int, default=2, help="parallel simulations")
    parser.add_argument("--examples", type=int, help="examples per search (default: registry)")
    parser.add_argument("--seed", type=int, help="cocotb/Hypothesis seed (default: random)")
    parser.add_argument("--block", action="append",
                        help="only these blocks (repeatable or comma-separated; 'network' for "
                             "the networks)")
    parser.add_argument("--network-seed", type=int, action="append", dest="network_seeds",
                        help="random network seeds (repeatable; default: %d new ones per run, "
                             "drawn from --seed when given)" % RANDOM_NETWORKS)
    parser.add_argument("--changed", metavar="REV",
                        help="only the runs a change since git revision REV can affect")
    parser.add_argument("--shard", metavar="K/N", help="run part K of N (ci/shards.py)")
    parser.add_argument("--no-waves", action="store_true",
                        help="do not re-run a failure with tracing on")
    args = parser.parse_args()

    blocks = _blocks(args.block, parser)
    try:
        shard = shards.parse_shard(args.shard) if args.shard else None
    except shards.ShardError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.changed:
        try:
            changed = selection.changed_paths(args.changed)
        except selection.RevisionError as error:
            print(f"error: CHANGED: {error}", file=sys.stderr)
            return 2
        chosen = selection.select(changed)
        print(selection.describe(chosen, args.changed, len(changed)))
        blocks = set(chosen) if blocks is None else blocks & set(chosen)
    # New random networks every run (more of the space over many CI runs); the report names each
    # by its seed, and --network-seed rebuilds exactly that network.
    network_seeds = args.network_seeds or random.Random(args.seed).sample(
        range(1, 1_000_000), RANDOM_NETWORKS)
    jobs = plan_jobs(args.sim, args.examples, args.seed, blocks, network_seeds)
    selected = [job.key for job in jobs]
    out_dir = BUILD_ROOT / f"sim-{args.sim}"
    if shard:
        mine = shards.shard_keys(selected, {job.key: job.estimate() for job in jobs}, shard,
                                 out_dir / "report.json")
        jobs = [job for job in jobs if job.key in mine]
        out_dir = out_dir / f"shard-{shard[0]}-of-{shard[1]}"

    part = f" (shard {shard[0]} of {shard[1]}: {len(jobs)} of {len(selected)})" if shard else ""
    print(f"make sim: {len(jobs)} testbench runs on {args.sim}{part}, {args.jobs} in parallel")
    if any(job.network and job.network.name.startswith("random-") for job in jobs):
        print("random networks: " + ", ".join(f"random-{s}" for s in network_seeds)
              + " (rebuild one: --network-seed <seed>)")
    if not args.no_waves:
        os.environ[WAVES_ON_FAILURE_ENV] = "1"  # read by run_testbench in the workers
    costs = shards.measured_costs(BUILD_ROOT / f"sim-{args.sim}" / "report.json")
    progress = Progress({job.key: costs.get(job.key, job.estimate()) for job in jobs})
    started = time.monotonic()
    records = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        pending = {pool.submit(_run, job): job for job in jobs}
        for future in as_completed(pending):
            job, result = pending[future], future.result()
            records.append(run_record(job, result))
            progress.finished(job.key, status_line(result),
                              None if result.passed else result.explain())
    progress.close()
    report = {"simulator": args.sim, "shard": list(shard) if shard else None,
              "selected": selected, "changed": args.changed, "seed": args.seed,
              "network_seeds": network_seeds, "wall_s": time.monotonic() - started,
              "runs": records}
    print(write_reports(out_dir, report))
    return 0 if all(result_of(run).passed for run in records) else 1


if __name__ == "__main__":
    sys.exit(main())
