"""The regression as verification engineers run it (ci/sim_regression.py and its helpers):
live progress lines, the waveform of a minimal failing example, changed-only selection, shards
and their merge, and the CI workflow users copy."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from tb.harness.runner import run_testbench
from tb.registry import TESTBENCHES

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "ci"))
import progress  # noqa: E402
import selection  # noqa: E402
import shards  # noqa: E402
import sim_merge  # noqa: E402

# --- changed-only selection ---------------------------------------------------------------


@pytest.fixture(scope="module")
def units():
    return selection.dependencies()


def test_every_testbench_folder_is_a_unit(units):
    # New tb folders are picked up from the registry, with nothing to declare.
    assert set(units) == set(TESTBENCHES) | {selection.NETWORK}
    for block, testbench in TESTBENCHES.items():
        assert {f"rtl/{s}" for s in testbench.sources} <= units[block]
        assert f"tb/{block}/test_{block}.py" in units[block]


def test_changing_one_core_selects_it_and_the_networks(units):
    chosen = selection.select(["rtl/sparse_conv_core.sv"], units)
    assert set(chosen) == {"sparse_conv_core", selection.NETWORK}
    assert chosen["sparse_conv_core"] == ["rtl/sparse_conv_core.sv (RTL)"]


def test_a_leaf_block_selects_the_cores_that_instantiate_it(units):
    chosen = selection.select(["rtl/lif_unit.sv"], units)
    users = {b for b, tb in TESTBENCHES.items() if "lif_unit.sv" in tb.sources}
    assert set(chosen) == users | {selection.NETWORK}
    assert "stream_fifo" not in chosen


def test_a_testbench_or_golden_change_follows_the_python_imports(units):
    assert set(selection.select(["tb/stream_fifo/test_stream_fifo.py"], units)) == {"stream_fifo"}
    chosen = selection.select(["golden/cycles/sparse_conv.py"], units)
    assert "sparse_conv_core" in chosen and selection.NETWORK in chosen
    # The FIFO's and the LIF unit's testbenches do not import the conv core's cycle model.
    assert "stream_fifo" not in chosen and "lif_unit" not in chosen


def test_changing_the_harness_selects_everything(units):
    chosen = selection.select(["tb/harness/search.py"], units)
    assert set(chosen) == set(units)
    assert all("shared by every run" in reasons[0] for reasons in chosen.values())


def test_a_documentation_change_selects_nothing(units):
    assert selection.select(["docs/harness.md", "README.md"], units) == {}


def test_changed_paths_from_a_git_revision(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "a.sv").write_text("module a; endmodule\n")
    (tmp_path / "rtl" / "b.sv").write_text("module b; endmodule\n")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    (tmp_path / "rtl" / "a.sv").write_text("module a; wire w; endmodule\n")  # not committed
    (tmp_path / "rtl" / "c.sv").write_text("module c; endmodule\n")  # untracked
    assert selection.changed_paths("HEAD", tmp_path) == ["rtl/a.sv", "rtl/c.sv"]
    with pytest.raises(selection.RevisionError, match="unknown revision"):
        selection.changed_paths("no-such-revision", tmp_path)


def test_make_sim_rejects_an_unknown_revision_in_one_line():
    done = subprocess.run([sys.executable, str(REPO / "ci" / "sim_regression.py"),
                           "--changed", "no-such-revision"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: CHANGED: unknown revision 'no-such-revision'"]


def test_merge_of_nothing_is_a_one_line_error(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "ci" / "sim_merge.py"), "--sim", "icarus"],
                          capture_output=True, text=True,
                          env={**os.environ, "DUALSPIKE_BUILD": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: sim-merge: no shard report found (run make sim SHARD=k/N first)"]
    assert not list(tmp_path.glob("sim-icarus/report.*"))


# --- shards -------------------------------------------------------------------------------


def test_shards_deal_every_run_once_balanced_by_cost():
    costs = {f"run{i}": float(c) for i, c in enumerate([50, 40, 30, 20, 10, 10, 5, 5])}
    parts = shards.assign(costs, 3)
    assert sorted(k for part in parts for k in part) == sorted(costs)
    # Longest first, each to the least loaded shard: loads 60, 55, 55.
    assert parts == [["run0", "run5"], ["run1", "run4", "run6"], ["run2", "run3", "run7"]]


def test_measured_wall_times_override_the_estimate(tmp_path):
    keys = ["a", "b", "c", "d"]
    estimates = dict.fromkeys(keys, 1.0)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"runs": [{"key": "d", "wall_s": 100.0}]}))
    # d alone costs more than the rest together: it gets a shard of its own.
    alone = [shards.shard_keys(keys, estimates, (k, 2), report) for k in (1, 2)]
    assert {"d"} in alone and {"a", "b", "c"} in alone
    assert shards.shard_keys(keys, estimates, (1, 2), tmp_path / "absent.json") != {"d"}


@pytest.mark.parametrize("text", ["0/3", "4/3", "1-3", "x/2", ""])
def test_a_bad_shard_is_an_error(text):
    with pytest.raises(shards.ShardError):
        shards.parse_shard(text)


def _shard_report(index, count, keys):
    return {"simulator": "icarus", "shard": [index, count], "selected": ["a", "b", "c"],
            "wall_s": 1.0, "runs": [{"key": k} for k in keys]}


def test_merge_refuses_a_missing_or_doubled_run():
    with pytest.raises(sim_merge.MergeError, match="expected each of 1..3 once"):
        sim_merge.merge([_shard_report(1, 3, ["a"]), _shard_report(2, 3, ["b"])])
    with pytest.raises(sim_merge.MergeError, match=r"runs twice: \['a'\]"):
        sim_merge.merge([_shard_report(1, 2, ["a", "b"]), _shard_report(2, 2, ["a", "c"])])
    with pytest.raises(sim_merge.MergeError, match=r"missing: \['c'\]"):
        sim_merge.merge([_shard_report(1, 2, ["a"]), _shard_report(2, 2, ["b"])])


TINY = ["--sim", "icarus", "--block", "lif_unit,stream_fifo", "--examples", "3", "--seed", "5",
        "--jobs", "2"]
#: Runs of that regression: the regression parameter sets of the two blocks.
LIF_RUNS = len(TESTBENCHES["lif_unit"].regression)
TINY_RUNS = LIF_RUNS + len(TESTBENCHES["stream_fifo"].regression)


def _regression(build: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DUALSPIKE_BUILD": str(build)}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _table_without_wall(report_md: Path) -> list[str]:
    rows = [ln for ln in report_md.read_text().splitlines() if ln.startswith("|")]
    return [ln.rsplit("|", 2)[0] for ln in rows]  # the last column is the wall time


def _junit_cases(path: Path) -> list[tuple]:
    return [(c.get("classname"), c.get("name"),
             tuple((p.get("name"), p.get("value")) for p in c.iter("property")))
            for c in ET.parse(path).iter("testcase")]


def test_three_shards_merge_to_the_unsharded_table(tmp_path):
    """A tiny regression (LIF unit and FIFO on Icarus, TINY_RUNS runs) whole and in 3 shards."""
    script = str(REPO / "ci" / "sim_regression.py")
    whole = _regression(tmp_path, script, *TINY)
    out = tmp_path / "sim-icarus"
    lines = [ln for ln in whole.stdout.splitlines()
             if re.match(rf"\[\s*\d+/{TINY_RUNS}\] ", ln)]
    assert len(lines) == TINY_RUNS and all("PASS" in ln and "eta" in ln for ln in lines), whole.stdout
    (out / "whole").mkdir()
    for name in ("report.md", "report.json", "junit.xml", "coverage.json"):
        (out / name).rename(out / "whole" / name)

    ran = []
    for k in (1, 2, 3):
        part = _regression(tmp_path, script, *TINY, "--shard", f"{k}/3")
        assert f"(shard {k} of 3:" in part.stdout
        ran += [run["key"] for run in json.loads(
            (out / f"shard-{k}-of-3" / "report.json").read_text())["runs"]]
    _regression(tmp_path, str(REPO / "ci" / "sim_merge.py"), "--sim", "icarus")

    expected = json.loads((out / "whole" / "report.json").read_text())
    assert sorted(ran) == sorted(expected["selected"]) and len(expected["selected"]) == TINY_RUNS
    merged = json.loads((out / "report.json").read_text())
    assert [r["key"] for r in merged["runs"]] == expected["selected"]
    assert _table_without_wall(out / "report.md") == _table_without_wall(
        out / "whole" / "report.md")
    assert _junit_cases(out / "junit.xml") == _junit_cases(out / "whole" / "junit.xml")
    # The LIF unit's functional coverage travels through the shards into coverage.json.
    coverage = json.loads((out / "coverage.json").read_text())
    assert coverage == json.loads((out / "whole" / "coverage.json").read_text())
    lif = [v["coverage"] for k, v in coverage.items() if k.startswith("lif_unit/")]
    assert len(lif) == LIF_RUNS and all(c["lif_unit"]["total"] == 34 for c in lif)
    # Passing runs are never traced: no waveform, no traced build.
    assert all(run["waveform"] == "" for run in merged["runs"])
    assert not list(tmp_path.glob("icarus/*/*+waves"))


# --- waveform of the minimal failing example ---------------------------------------------


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_a_failure_is_rerun_with_its_waveform(simulator):
    testbench = TESTBENCHES["lif_unit"]
    define = "DUALSPIKE_BUG_LIF_FIRE_GT"
    assert define in testbench.planted_bugs
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, simulator,
                           parameters=testbench.regression[0], defines=[define], examples=200,
                           extra_env={"DUALSPIKE_SKIP_EXPLICIT": "1"}, waves_on_failure=True)
    assert result.failed > 0, result.explain()
    wave = Path(result.waveform)
    assert wave.suffix in (".fst", ".vcd") and wave.is_file() and wave.stat().st_size > 0, \
        result.explain()
    assert f"waveform of the minimal failing example: {wave}" in result.explain()
    # The traced re-run replayed the shrunk example: it failed the same way.
    traced = json.loads((wave.parent / "summary.json").read_text())["tests"]
    original = json.loads((result.build_dir / "summary.json").read_text())["tests"]
    for name, test in original.items():
        if test["minimal_failing_example"]:
            first_line = test["minimal_failing_example"].splitlines()[0]
            assert traced[name]["minimal_failing_example"].splitlines()[0] == first_line
            assert traced[name]["examples"] == 1


# --- functional coverage -------------------------------------------------------------------


def test_lif_unit_coverage_crosses_model_reset_threshold_and_saturation():
    testbench = TESTBENCHES["lif_unit"]
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, "icarus",
                           parameters=testbench.regression[0], examples=5)
    assert result.passed, result.explain()
    points = result.coverage
    assert {name: item["total"] for name, item in points.items()} == {
        "lif_unit": 34, "lif_unit.model": 2, "lif_unit.reset": 2, "lif_unit.threshold": 3,
        "lif_unit.saturation": 3,
        # 2 x 2 x 3 x 3 less the 3 x 4 that cannot occur (a saturated-low u is below theta, a
        # saturated-high one is not).
        "lif_unit.model_reset_threshold_saturation": 24}
    # The directed threshold test alone reaches below and at for both resets.
    assert points["lif_unit.threshold"]["hit"] >= 2
    cross = points["lif_unit.model_reset_threshold_saturation"]
    assert 0 < cross["hit"] <= 24 and cross["missed_count"] == 24 - cross["hit"]


def test_detector_coverage_counts_pairs_beats_lanes_and_backpressure():
    testbench = TESTBENCHES["sparsity_detector"]
    parameters = {"GroupWidth": 9, "Lanes": 2}
    result = run_testbench(testbench.block, testbench.toplevel, testbench.sources, "icarus",
                           parameters=parameters, examples=5)
    assert result.passed, result.explain()
    points = result.coverage
    assert points["sparsity_detector.pairs_per_group"]["total"] == 10      # 0..G
    assert points["sparsity_detector.beats_per_group"]["total"] == 5       # 1..ceil(G/L)
    assert points["sparsity_detector.lanes_in_last_beat"]["total"] == 3    # 0..L
    # The named pacings stall the sink while a beat is valid: backpressure is always reached.
    assert points["sparsity_detector.output_cycle"] == {
        "hit": 3, "total": 3, "missed": [], "missed_count": 0}


# --- live progress ------------------------------------------------------------------------


def test_progress_prints_a_line_per_run_with_the_time_left():
    out = io.StringIO()
    live = progress.Progress({"a": 1.0, "b": 3.0}, stream=out, bar=False)
    live.finished("a", "PASS a")
    live.finished("b", "FAIL b", details="why it failed")
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"\[1/2\] PASS a; eta \d+s", lines[0]), lines
    assert lines[1:] == ["[2/2] FAIL b; eta 0s", "    why it failed"]


def test_progress_bar_keeps_the_lines():
    out = io.StringIO()
    live = progress.Progress({"a": 1.0}, stream=out, bar=True)
    live.finished("a", "PASS a")
    live.close()
    assert "[1/1] PASS a; eta 0s" in out.getvalue()


# --- the CI workflow users copy -----------------------------------------------------------

#: A small schema of the GitHub Actions keys the workflow uses (the official schema cannot be
#: downloaded at run time and no pinned package ships it).
WORKFLOW_SCHEMA = {
    "type": "object",
    "required": ["name", "on", "jobs"],
    "properties": {
        "name": {"type": "string"},
        "on": {"type": "object", "propertyNames": {
            "enum": ["push", "pull_request", "schedule", "workflow_dispatch"]}},
        "env": {"type": "object"},
        "jobs": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object",
            "required": ["runs-on", "steps"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"}, "runs-on": {"type": "string"},
                "needs": {"type": ["string", "array"]}, "if": {"type": "string"},
                "timeout-minutes": {"type": "integer"},
                "strategy": {"type": "object", "required": ["matrix"],
                             "properties": {"fail-fast": {"type": "boolean"},
                                            "matrix": {"type": "object"}}},
                "steps": {"type": "array", "minItems": 1, "items": {
                    "type": "object",
                    "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
                    "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "uses": {"type": "string"},
                                   "run": {"type": "string"}, "with": {"type": "object"},
                                   "env": {"type": "object"}, "if": {"type": "string"}}}},
            }}},
    },
}


def test_the_ci_workflow_is_a_valid_sharded_regression():
    workflow = yaml.safe_load((REPO / "ci" / "workflows" / "rtl-commit.yml").read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    jsonschema.validate(workflow, WORKFLOW_SCHEMA)
    assert "schedule" in workflow["on"] and "push" in workflow["on"]
    sim, merge = workflow["jobs"]["sim"], workflow["jobs"]["merge"]
    shard_count = int(workflow["env"]["SHARDS"])
    assert sim["strategy"]["matrix"]["shard"] == list(range(1, shard_count + 1))
    run = next(step for step in sim["steps"] if step.get("name") == "make sim")
    assert 'make sim CHANGED="$BASE"' in run["run"] and 'make sim SEED="$RUN' in run["run"]
    assert run["env"]["SHARD"] == "${{ matrix.shard }}/${{ env.SHARDS }}"
    assert run["env"]["SIM"] == "${{ matrix.sim }}"
    assert merge["needs"] == "sim" and "make sim-merge" in str(merge["steps"])
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^sim-merge:", makefile, re.M) and "--changed $(CHANGED)" in makefile


def test_network_coverage_is_also_reported_as_the_union_of_the_runs():
    import sim_regression  # noqa: PLC0415 (ci/ is on sys.path above)
    from tb.harness.runner import TestbenchResult  # noqa: PLC0415

    def run(tag, missed):
        result = TestbenchResult("network", "icarus", tag)
        result.coverage = {
            "network.input": {"hit": 2 - len(missed), "total": 2, "missed": missed,
                              "missed_count": len(missed)},
            "network": {"hit": 2 - len(missed), "total": 2}}
        return result

    rows = sim_regression.network_union_rows([run("digits", ["spikes"]), run("events", ["pixels"])])
    assert rows == ["| network | all 2 runs (union) | input | 2/2 |  |",
                    "| network | all 2 runs (union) | all (bins of every point) | 2/2 | |"]
    rows = sim_regression.network_union_rows([run("a", ["spikes"]), run("b", ["spikes"])])
    assert rows[0] == "| network | all 2 runs (union) | input | 1/2 | spikes |"
    assert sim_regression.network_union_rows([run("a", ["spikes"])]) == []
