"""The handshake checker every core carries (rtl/stream_stable_checker.sv) fires on each rule it
states, on both simulators, stays quiet on a legal stream and before reset; and the runner's log
scan (tb.harness.runner.rtl_assertion_errors) finds what it prints, which is how an RTL
assertion fails a run on Icarus (Icarus prints a failed assertion and carries on)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tb.harness.runner import RTL_DIR, rtl_assertion_errors

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "tb" / "stream_stable_checker" / "stable_checker_tb.sv"
SOURCES = [RTL_DIR / "stream_stable_checker.sv", BENCH]
#: Violation parameter of the bench -> the assertion that must fire (None: none may).
CASES = {0: None, 1: "DataStable_A", 2: "ValidHeld_A", 3: None}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, list[str]]:
    """One build per simulator (the case is a plusarg); simulator -> the command that runs it."""
    out = tmp_path_factory.mktemp("stable_checker")
    commands = {}
    for simulator in ("icarus", "verilator"):
        if simulator == "icarus":
            binary = out / "bench.vvp"
            build = ["iverilog", "-g2012", "-s", "stable_checker_tb", "-o", str(binary)]
            commands[simulator] = ["vvp", "-n", str(binary)]
        else:
            build = ["verilator", "--binary", "--assert", "-Wno-fatal", "-Wno-lint",
                     "-Wno-style", "-CFLAGS", "-std=gnu++20 -fcoroutines",
                     "--top-module", "stable_checker_tb", "--Mdir", str(out / "obj")]
            commands[simulator] = [str(out / "obj" / "Vstable_checker_tb")]
        subprocess.run(build + [str(s) for s in SOURCES], check=True, capture_output=True,
                       text=True, env=ENV)
    return commands


ENV = {**os.environ, "PATH": os.pathsep.join(
    [str(Path(sys.executable).parent.parent / "verilator-bin"), os.environ["PATH"]])}


# One xdist worker runs the whole module, so the builds are made once.
@pytest.mark.xdist_group("stream_stable_checker")
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("violation", sorted(CASES))
def test_checker_fires_exactly_on_violations(builds, simulator, violation, tmp_path):
    done = subprocess.run(builds[simulator] + [f"+violation={violation}"], capture_output=True,
                          text=True, env=ENV, cwd=tmp_path)
    log = tmp_path / "sim.log"
    log.write_text(done.stdout + done.stderr)
    errors = rtl_assertion_errors(log)
    expected = CASES[violation]
    if expected is None:
        assert errors == [], "\n".join(errors)
        assert "stable_checker_tb: done (armed 1)" in log.read_text()
    else:
        assert errors, f"{expected} did not fire:\n{log.read_text()}"
        assert expected in errors[0], errors[0]
        assert "u_checker" in errors[0], "the message names the instance"


def test_log_scan_ignores_cocotb_error_lines(tmp_path):
    log = tmp_path / "sim.log"
    log.write_text("  10.00ns ERROR    cocotb.regression  test failed\n"
                   "%Error: x.sv:3: Verilog $stop\n"
                   "ERROR: /r/x.sv:51: top.u.p_check: DataStable_A: beat changed\n")
    assert rtl_assertion_errors(log) == ["ERROR: /r/x.sv:51: top.u.p_check: DataStable_A: "
                                         "beat changed"]
