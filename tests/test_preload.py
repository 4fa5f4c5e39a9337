"""Preloaded memories (docs/vectors.md, "Preloading memories"): a top built with the bundle's
preload/ images and driven with config_writes.registers.mem only behaves exactly like the top
loaded through the configuration port, on both simulators; the images hold the very words of
config_writes.mem; a changed image word makes the preloaded replay fail (the images are used).

One small bundle (dense input conv, sparse conv with P not dividing Co, sparse linear with three
banks; 2 samples) is made once per module.
"""

from __future__ import annotations

import re

import json
import shutil
import sys
from pathlib import Path

import pytest

from golden.memory_images import SEL_BIAS, SEL_BITMAP, SEL_NEURON, SEL_WEIGHT, parse_readmemh
from vectors import bundle as B
from vectors.network_top import NetworkPlan
from golden.cores import LAYER_CORES
from vectors.preload import image_name

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "ci"))
import replay as R  # noqa: E402

SMALL = {
    "name": "preload-small", "timesteps": 3,
    "input": {"kind": "pixels", "shape": [1, 6, 6], "bits": 4},
    "weight_bits": 4, "membrane_bits": 10,
    "layers": [
        {"kind": "conv", "out_channels": 2, "kernel": 3,
         "neuron": {"model": "if", "threshold": 5, "reset": "hard"},
         "hw": {"parallel": 2, "lanes": 2, "group": 9}},
        {"kind": "conv", "out_channels": 3, "kernel": 3,
         "neuron": {"model": "lif", "leak_shift": 2, "threshold": 3, "reset": "soft"},
         "hw": {"parallel": 2, "lanes": 2, "group": 8}},
        {"kind": "linear", "out_features": 4,
         "neuron": {"model": "if", "threshold": 2, "reset": "soft"},
         "hw": {"parallel": 3, "lanes": 2, "group": 16}},
    ],
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return B.make_bundle(SMALL, "random", sparsity=0.5, samples=2, seed=3,
                         out=tmp_path_factory.mktemp("preload") / "small")


def unpack_writes(text: str, manifest: dict) -> list[tuple[int, ...]]:
    """config_writes.mem lines as (layer, sel, bank, addr, data)."""
    fields = manifest["config_writes"]["fields_msb_first"]
    writes = []
    for line in text.split():
        word, values = int(line, 16), []
        for _, width in reversed(fields):
            values.append(word & ((1 << width) - 1))
            word >>= width
        writes.append(tuple(reversed(values)))
    return writes


def test_images_hold_the_config_writes(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    plan = NetworkPlan.from_json((bundle / "network.json").read_text())
    entries = {e["name"]: e for e in manifest["preload"]["files"]}
    assert {c.module for c in plan.layers} == {"dense_input_core", "sparse_conv_core",
                                                "sparse_linear_core"}
    images = {name: parse_readmemh((bundle / name).read_text(), e["width"], False, name)
              for name, e in entries.items()}
    for name, words in images.items():
        assert len(words) == entries[name]["depth"], name
    expected = {name: [0] * e["depth"] for name, e in entries.items()}
    writes = unpack_writes((bundle / "config_writes.mem").read_text(), manifest)
    memory = {SEL_BITMAP: "bitmap", SEL_WEIGHT: "weight", SEL_BIAS: "bias"}
    for layer, sel, bank, addr, data in writes:
        if sel == SEL_NEURON:
            continue
        core = plan.layers[layer]
        if sel == SEL_BIAS and LAYER_CORES[core.module].per_bank_bias:
            parallel = core.parameters["Parallel"]
            bank, addr = addr % parallel, addr // parallel
        elif sel == SEL_BIAS:
            bank = None
        name = image_name(layer, memory[sel], bank)
        expected[name][addr] = data & ((1 << entries[name]["width"]) - 1)
    # The conv core's one-group copies: group g of each bitmap written (word r*NG + g), and the
    # popcount of each of those words.
    grouped = [name for name, e in entries.items() if e["group"] is not None]
    assert grouped and all(LAYER_CORES[plan.layers[entries[n]["layer"]].module].group_copies
                           for n in grouped)
    assert {entries[n]["memory"] for n in grouped} == {"bitmap", "wcount"}
    for name in grouped:
        entry = entries[name]
        layer = plan.layers[entry["layer"]]
        whole = expected[image_name(entry["layer"], "bitmap", entry["bank"])]
        groups = len(whole) // entry["depth"]
        assert groups * entry["depth"] == len(whole) and entry["group"] < groups, name
        words = whole[entry["group"]::groups]
        expected[name] = ([word.bit_count() for word in words] if entry["memory"] == "wcount"
                          else words)
        assert layer.module == "sparse_conv_core", name
    assert images == expected
    assert sum(1 for w in writes if w[1] != SEL_NEURON) > 0
    registers = [line for line, w in zip((bundle / "config_writes.mem").read_text().split(),
                                         writes) if w[1] == SEL_NEURON]
    assert (bundle / "config_writes.registers.mem").read_text().split() == registers
    assert manifest["preload"]["register_writes"]["count"] == len(registers) == 9
    listed = {f["name"] for f in manifest["files"]}
    assert set(entries) | {"config_writes.registers.mem"} <= listed


@pytest.mark.long
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_preloaded_top_replays_identically(bundle, sim):
    manifest = json.loads((bundle / "manifest.json").read_text())
    beats = manifest["samples"] * sum(s["beats_per_sample"] for k, s in
                                      manifest["streams"].items() if k != "input")
    assert R.verify_files(bundle, preload=True) is None
    status, verdict, output = R.replay(bundle, sim, preload=True)
    assert (status, verdict) == (0, f"PASS {beats} beats"), output[-2000:]
    assert f"INFO config {manifest['preload']['register_writes']['count']} writes" in output
    # The preloaded top streams exactly like the written one: every edge of the network model.
    total = manifest["cycles"]["total_exact"]
    assert re.search(rf"^INFO checked \d+ cycle counts exactly against the network model "
                     rf".*: all {total} == model {total}$", output, re.M), output[-2000:]


def test_changed_image_word_fails(bundle, tmp_path):
    damaged = Path(shutil.copytree(bundle, tmp_path / "damaged"))
    image = damaged / "preload" / "L1_weight_b00.mem"
    lines = image.read_text().splitlines()
    lines[2] = format((int(lines[2], 16) + 5) % 16, "x")  # a used weight word of layer 1
    image.write_text("\n".join(lines) + "\n")
    assert R.verify_files(damaged, preload=True) == \
        "preload/L1_weight_b00.mem: sha256 differs from manifest.json"
    with pytest.raises(B.VerifyFailure, match=r"^preload/L1_weight_b00\.mem: line 3: "):
        B.verify_bundle(damaged)
    status, verdict, output = R.replay(damaged, "icarus", preload=True)
    assert status == 1 and verdict.startswith("FAIL L1 "), output[-2000:]
