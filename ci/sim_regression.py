#!/usr/bin/env python3
"""`make sim`: the RTL regression on one simulator.

Runs every testbench of tb/registry.py over its regression parameter sets and every network of
tb/network/networks.py (the digits, MNIST-sized and event networks, plus random networks drawn
by Hypothesis), in parallel, then prints a table (per testbench and simulator: examples tried,
values compared, pass / fail, simulated time, wall time) and the networks' performance figures,
writes them to build/sim-<SIM>/report.md and a JUnit XML next to it, and exits non-zero if
anything failed or compared nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tb.harness.runner import BUILD_ROOT, SIMULATORS, TestbenchResult, run_testbench  # noqa: E402
from tb.network import networks as nets  # noqa: E402
from tb.network.figures import figures_markdown, network_figures  # noqa: E402
from tb.registry import TESTBENCHES  # noqa: E402

#: How many random networks a run draws (each network is a build).
RANDOM_NETWORKS = 3


def _run(job: tuple) -> TestbenchResult:
    if job[0] == "network":
        _, network, simulator, examples, seed = job
        return nets.run(network, simulator, examples=examples, seed=seed)
    block, parameters, simulator, examples, seed = job
    testbench = TESTBENCHES[block]  # looked up here: Hypothesis strategies do not pickle
    return run_testbench(testbench.block, testbench.toplevel, testbench.sources, simulator,
                         parameters=parameters, examples=examples, seed=seed)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", choices=SIMULATORS, default="verilator")
    parser.add_argument("--jobs", type=int, default=2, help="parallel simulations")
    parser.add_argument("--examples", type=int, help="examples per search (default: registry)")
    parser.add_argument("--seed", type=int, help="cocotb/Hypothesis seed (default: random)")
    parser.add_argument("--block", action="append",
                        help="only these blocks (repeatable; 'network' for the networks)")
    parser.add_argument("--network-seed", type=int, action="append", dest="network_seeds",
                        help="random network seeds (repeatable; default: %d new ones per run, "
                             "drawn from --seed when given)" % RANDOM_NETWORKS)
    args = parser.parse_args()

    unknown = set(args.block or []) - set(TESTBENCHES) - {"network"}
    if unknown:
        parser.error(f"unknown block(s): {', '.join(sorted(unknown))}; "
                     f"known: {', '.join(TESTBENCHES)}, network")
    # New random networks every run (more of the space over many CI runs); the report names each
    # by its seed, and --network-seed rebuilds exactly that network.
    network_seeds = args.network_seeds or random.Random(args.seed).sample(
        range(1, 1_000_000), RANDOM_NETWORKS)
    networks = nets.regression_networks() + [nets.random_network(s) for s in network_seeds]
    # Networks first: they are the longest runs, so the pool finishes evenly.
    # A network's own budget depends on the simulator (networks.run); --examples overrides it.
    jobs = [("network", network, args.sim, args.examples, args.seed)
            for network in networks if not args.block or "network" in args.block]
    jobs += [
        (tb.block, params, args.sim, args.examples or tb.sim_examples, args.seed)
        for tb in TESTBENCHES.values() if not args.block or tb.block in args.block
        for params in tb.regression
    ]
    started = time.monotonic()
    print(f"make sim: {len(jobs)} testbench runs on {args.sim}, {args.jobs} in parallel")
    if any(job[0] == "network" for job in jobs):
        print("random networks: " + ", ".join(f"random-{s}" for s in network_seeds)
              + " (rebuild one: --network-seed <seed>)")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(_run, jobs))
    wall = time.monotonic() - started

    out_dir = BUILD_ROOT / f"sim-{args.sim}"
    out_dir.mkdir(parents=True, exist_ok=True)
    table = format_table(results)
    verdict = "PASS" if all(r.passed for r in results) else "FAIL"
    summary = f"{verdict}: {len(results)} runs on {args.sim} in {wall:.1f} s wall"
    figures = []
    for r in results:
        perf = r.build_dir / "perf.json"
        if r.block == "network" and r.passed and perf.exists():
            figures.append(figures_markdown(
                network_figures(nets.BUILD_ROOT / "networks" / r.tag, perf)))
    figures_text = "\n## Network figures (clock 200 MHz)\n\n" + "\n".join(figures) \
        if figures else ""
    (out_dir / "report.md").write_text(
        f"# make sim ({args.sim})\n\n{table}\n\n{summary}\n{figures_text}")
    write_junit(results, out_dir / "junit.xml", args.sim)
    print(table)
    print(figures_text)
    for r in results:
        if not r.passed:
            print("\n" + r.explain())
    print(f"\n{summary}; report: {out_dir / 'report.md'}, JUnit: {out_dir / 'junit.xml'}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
