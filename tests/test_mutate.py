"""Mutation testing (ci/mutate.py): only design logic is mutated, a mutant is one edit, every RTL
file with logic is reached through a testbench, the reviewed equivalent mutants are current, a
real fault in the LIF unit is killed by its testbench while the unmutated file survives, and the
quick CI gate (a few mutants of small files, --min-score 0.95) passes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "ci"))
import mutate as M  # noqa: E402

SAMPLE = """// a comment with a == b and 1'b1
module m (input logic a_i, b_i, output logic y_o, z_o);
`ifdef DUALSPIKE_BUG_SAMPLE
  assign y_o = a_i == b_i;
`else
  assign y_o = a_i != b_i;
`endif
  assign z_o = a_i && b_i;  // trailing || comment
`ifndef SYNTHESIS
  always @(posedge a_i) assert (y_o == 1'b0) else $error("x");
`endif
endmodule
"""


def test_sites_are_only_in_design_logic():
    sites = M.candidate_sites("sample", "m.sv", SAMPLE)
    described = sorted((m.operator, m.line) for m in sites)
    # Line 6 (the normal branch) and line 8; not the comment, the planted-bug branch, the
    # trailing comment or the assertion section.
    assert described == [("and-to-or", 8), ("ne-to-eq", 6)]


def test_a_mutant_is_one_edit():
    site = next(m for m in M.candidate_sites("sample", "m.sv", SAMPLE) if m.operator == "and-to-or")
    mutated = site.apply(SAMPLE)
    assert mutated.replace("a_i || b_i", "a_i && b_i") == SAMPLE
    assert mutated.count("||") == SAMPLE.count("||") + 1


@pytest.mark.parametrize("operator", ["eq-to-ne", "drop-not"])
def test_lif_unit_mutant_is_killed(operator, tmp_path):
    text = (M.RTL_DIR / "lif_fire.sv").read_text()
    site = next(m for m in M.candidate_sites("lif_unit", "lif_fire.sv", text)
                if m.operator == operator)
    mutant, verdict, detail = M.run_isolated((site, "icarus", 60, 1, 300))
    assert verdict == "killed", f"{mutant.describe()}: {verdict} ({detail})"


def test_unmutated_lif_unit_survives():
    """The control: the same run with an edit that changes nothing must pass."""
    text = (M.RTL_DIR / "lif_fire.sv").read_text()
    site = M.candidate_sites("lif_unit", "lif_fire.sv", text)[0]
    identity = M.Mutant(**{**site.__dict__, "index": 99,
                           "replacement": text[site.start:site.end]})
    _, verdict, detail = M.run_isolated((identity, "icarus", 60, 1, 300))
    assert verdict == "survived", detail


def test_every_rtl_file_with_logic_is_mutated_through_a_testbench():
    """Sub-blocks without a testbench of their own are reached through the core holding them."""
    files = M.mutable_files()
    for name in ("dense_bank.sv", "dense_line_buffer.sv", "linear_frame_buffer.sv", "popcount.sv"):
        assert name in files, name
        assert name in M.TESTBENCHES[files[name]].sources
    assert files["linear_frame_buffer.sv"] == "sparse_linear_core"
    with_sites = {p.name for p in M.RTL_DIR.glob("*.sv")
                  if M.candidate_sites("x", p.name, p.read_text())}
    assert set(files) == with_sites


def test_mutation_keys_name_each_site_once():
    for path in sorted(M.RTL_DIR.glob("*.sv")):
        keys = [m.key() for m in M.candidate_sites("x", path.name, path.read_text())]
        assert len(keys) == len(set(keys)), path.name


def test_reviewed_equivalent_mutants_are_current():
    """Every entry of ci/equivalent_mutants.json names a mutation the file still has, with a
    reason (a stale entry would hide nothing, but would mislead the reader)."""
    for file, entries in M.load_equivalent().items():
        text = (M.RTL_DIR / file).read_text()
        keys = {m.key() for m in M.candidate_sites("x", file, text)}
        for key, reason in entries.items():
            assert key in keys, f"{file}: {key} is not a mutation of the file"
            assert len(reason) > 20, f"{file}: {key}: say why it is equivalent"


def test_quick_gate(tmp_path):
    """The CI gate: a few mutants of small files, every non-equivalent one must be killed."""
    import subprocess
    out = subprocess.run(
        [sys.executable, str(REPO / "ci" / "mutate.py"), "--file", "lif_fire.sv", "--file",
         "stream_fifo.sv", "--file", "popcount.sv", "--mutants", "4", "--examples", "40",
         "--jobs", "2", "--min-score", "0.95", "--limit", "300", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["counted"] >= 8 and report["killed"] >= report["counted"] * 0.95


def test_a_survivor_is_tried_on_the_other_parameter_sets(monkeypatch, tmp_path):
    """The first set is the smallest regression set; a survivor there is run on the other sets
    until one kills it, and that kill counts only if the unmutated design passes the same run."""
    sets = M.parameter_sets("dense_input_core")
    testbench = M.TESTBENCHES["dense_input_core"]
    assert sets[0] == testbench.regression[-1]
    assert sorted(map(repr, sets)) == sorted(map(repr, testbench.parameter_sets()))
    text = (M.RTL_DIR / "dense_line_buffer.sv").read_text()
    sites = M.candidate_sites("dense_input_core", "dense_line_buffer.sv", text)
    listed = M.load_equivalent()["dense_line_buffer.sv"]
    site = next(m for m in sites if m.key() not in listed)
    runs = []

    def run_on(mutant, simulator, examples, seed, parameters, control_fails=False):
        identity = mutant.replacement == text[mutant.start:mutant.end]
        runs.append((sets.index(parameters), identity))
        killed = sets.index(parameters) == 2 and (not identity or control_fails)
        return ("killed" if killed else "survived"), ""

    monkeypatch.setattr(M, "CONTROLS_FILE", tmp_path / "controls.json")
    monkeypatch.setattr(M, "run_on", run_on)
    verdict, detail = M.run_mutant(site, "icarus", 10, 1)
    assert verdict == "killed" and detail.startswith(f"parameter set 3 of {len(sets)} (")
    assert runs == [(0, False), (1, False), (2, False), (2, True)]
    # The control is kept: the next mutant killed on that set does not run it again.
    runs.clear()
    assert M.run_mutant(site, "icarus", 10, 1)[0] == "killed"
    assert runs == [(0, False), (1, False), (2, False)]
    # A set that fails without the mutation kills nothing.
    (tmp_path / "controls.json").unlink()
    monkeypatch.setattr(M, "run_on", lambda *a: run_on(*a, control_fails=True))
    verdict, detail = M.run_mutant(site, "icarus", 10, 1)
    assert verdict == "survived" and "fails without the mutation too" in detail
    # A mutant listed as equivalent runs on the first set only.
    runs.clear()
    assert M.run_mutant(next(m for m in sites if m.key() in listed), "icarus", 10, 1)[0] \
        == "survived"
    assert runs == [(0, False)]
