#!/usr/bin/env python3
"""`make sim-merge`: joins the reports of `make sim SHARD=k/N` runs into one.

Reads each shard's report.json (default: build/sim-<SIM>/shard-*-of-*/; or the folders or files
given, e.g. CI artifacts downloaded side by side), checks that the shards are the N parts of one
regression (same simulator, same N, same selected runs, every shard once, every run exactly
once), and writes build/sim-<SIM>/report.md, report.json and junit.xml: the same table, failures
and JUnit cases as an unsharded run, rows in the same order. The JUnit file is written from the
merged runs (each report.json carries what a JUnit case needs), so it equals an unsharded one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "ci"))

from sim_regression import result_of, write_reports  # noqa: E402

from tb.harness.runner import BUILD_ROOT, SIMULATORS  # noqa: E402


class MergeError(ValueError):
    pass


def _report_files(paths: list[str], simulator: str) -> list[Path]:
    if not paths:
        return sorted((BUILD_ROOT / f"sim-{simulator}").glob("shard-*-of-*/report.json"))
    found = []
    for text in paths:
        path = Path(text)
        found.append(path / "report.json" if path.is_dir() else path)
    return found


def merge(reports: list[dict]) -> dict:
    """One report from the shard reports; raises :class:`MergeError` naming what is wrong."""
    if not reports:
        raise MergeError("no shard report found (run make sim SHARD=k/N first)")
    first = reports[0]
    if first.get("shard") is None:
        raise MergeError("a report of an unsharded run cannot be merged")
    count = first["shard"][1]
    for report in reports:
        for field in ("simulator", "selected"):
            if report[field] != first[field]:
                raise MergeError(f"shard {report['shard']} has another {field} than shard "
                                 f"{first['shard']}: not parts of one regression")
        if report.get("shard") is None or report["shard"][1] != count:
            raise MergeError(f"shard {report.get('shard')} is not a part of {count}")
    seen = sorted(report["shard"][0] for report in reports)
    if seen != list(range(1, count + 1)):
        raise MergeError(f"shards present: {seen}; expected each of 1..{count} once")
    runs = [run for report in reports for run in report["runs"]]
    keys = [run["key"] for run in runs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    missing = sorted(set(first["selected"]) - set(keys))
    extra = sorted(set(keys) - set(first["selected"]))
    if duplicates or missing or extra:
        raise MergeError(f"runs twice: {duplicates or 'none'}; missing: {missing or 'none'}; "
                         f"not selected: {extra or 'none'}")
    return {**first, "shard": None, "merged_shards": count, "runs": runs,
            # The shards ran side by side: the regression took as long as the slowest one.
            "wall_s": max(report["wall_s"] for report in reports),
            "network_seeds": sorted({s for r in reports for s in r.get("network_seeds", [])})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", choices=SIMULATORS, default="verilator")
    parser.add_argument("reports", nargs="*",
                        help="shard folders or report.json files (default: "
                             "build/sim-<sim>/shard-*-of-*/)")
    args = parser.parse_args()
    files = _report_files(args.reports, args.sim)
    try:
        reports = []
        for file in files:
            try:
                report = json.loads(file.read_text())
            except (OSError, ValueError) as error:
                raise MergeError(f"{file}: {error}") from None
            missing = {"simulator", "shard", "selected", "runs", "wall_s"} - set(report)
            if missing:
                raise MergeError(f"{file}: not a report of make sim (no "
                                 f"{', '.join(sorted(missing))})")
            reports.append(report)
        merged = merge(reports)
    except MergeError as error:
        print(f"error: sim-merge: {error}", file=sys.stderr)
        return 2
    print(f"sim-merge: {merged['merged_shards']} shards, {len(merged['runs'])} runs")
    print(write_reports(BUILD_ROOT / f"sim-{merged['simulator']}", merged))
    return 0 if all(result_of(run).passed for run in merged["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
