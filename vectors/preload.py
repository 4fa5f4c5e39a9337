"""Memory images for a loader that preloads block RAM instead of streaming configuration writes
(docs/vectors.md, "Preloading memories").

Every core with memories loads, when its ``InitPrefix`` parameter is not empty, one ``$readmemh``
image per memory and bank: ``L<i>_bitmap_b<pp>.mem``, ``L<i>_weight_b<pp>.mem`` and
``L<i>_bias.mem`` (shared bias memory), or ``L<i>_bias_b<pp>.mem`` for the sparse conv core,
whose bias memory is per bank (row r of bank p = channel r*P + p) and which also keeps each
bitmap word's weight count, counted by the core as a word is written through the port. Its
scan reads one group of two rows at a time from copies holding one group each: group g of
bank pp is ``L<i>_bitmap_b<pp>_g<gg>.mem`` (word r = bitmap word r*NG + g) and
``L<i>_wcount_b<pp>_g<gg>.mem`` (the popcounts of those words, clog2(G+1) bits). pp is the bank
and gg the group in two decimal digits. Each image holds exactly the memory's depth (the RTL's:
bitmap R*NG or R for a group, weight R*F, the dense worst case, bias Co or R), unused words 0,
so $readmemh fills the whole array.
The neuron parameters are registers with reset, not memories: they still go through the
configuration port (``config_writes.registers.mem``).
"""

from __future__ import annotations

from dataclasses import dataclass

from golden.cores import LAYER_CORES, clog2
from golden.memory_images import SEL_NEURON, format_readmemh, layer_images
from golden.neuron import NeuronParams
from golden.placement import placed_layer

#: Folder of the images inside a bundle; the replay bench passes it as the top's PreloadDir.
PRELOAD_DIR = "preload"
#: The configuration writes a preloaded top still needs (neuron registers only).
REGISTER_WRITES = "config_writes.registers.mem"
#: The RTL names a bank (and a bitmap group of the sparse conv core) with two decimal digits: a
#: layer with more banks or groups gets no images (and a preloaded top of it fails its
#: $readmemh; docs/vectors.md).
MAX_BANKS = 100
MAX_GROUPS = 100


@dataclass(frozen=True)
class PreloadImage:
    """One memory image: ``name`` relative to the bundle, ``bank`` None for a shared memory,
    ``group`` the bitmap group of a one-group copy (None for a whole memory)."""

    name: str
    layer: int
    memory: str
    bank: int | None
    depth: int
    width: int
    text: str
    group: int | None = None

    def entry(self) -> dict:
        return {"name": self.name, "layer": self.layer, "memory": self.memory,
                "bank": self.bank, "group": self.group, "depth": self.depth,
                "width": self.width}


def _padded(words, depth: int) -> list[int]:
    words = list(words)
    if len(words) > depth:
        raise ValueError(f"{len(words)} words do not fit a memory of {depth}")
    return words + [0] * (depth - len(words))


def image_name(layer: int, memory: str, bank: int | None, group: int | None = None) -> str:
    tag = ("" if bank is None else f"_b{bank:02d}") + ("" if group is None else f"_g{group:02d}")
    return f"{PRELOAD_DIR}/L{layer}_{memory}{tag}.mem"


def preload_images(cfg: dict, weights: dict, plan) -> list[PreloadImage]:
    """The images of every memory of every core of ``plan`` (a vectors.network_top plan)."""
    images = []
    weight_bits, membrane_bits = cfg["weight_bits"], cfg["membrane_bits"]
    for core, layer in zip(plan.layers, cfg["layers"]):
        if not core.has_memory:
            continue
        i, parallel = core.index, core.parameters["Parallel"]
        if parallel > MAX_BANKS:
            continue  # no image names for its banks: such a layer loads through the port only
        neuron = NeuronParams.from_config(layer["neuron"]) if "neuron" in layer else None
        weight, bias = placed_layer(weights, i, core.channel_map)
        weight = LAYER_CORES[core.module].stored_weight(core.parameters, weight)
        mem = layer_images(weight, bias, neuron, core.parameters["GroupWidth"], parallel)
        rows, groups, fan_in = mem.rows, mem.groups, mem.fan_in
        grouped = LAYER_CORES[core.module].group_copies
        if grouped and groups > MAX_GROUPS:
            continue  # no image names for its groups: loaded through the port only

        def add(memory: str, bank: int | None, words, depth: int, width: int,
                group: int | None = None) -> None:
            images.append(PreloadImage(image_name(i, memory, bank, group), i, memory, bank,
                                       depth, width, format_readmemh(_padded(words, depth), width),
                                       group))

        for bank in range(parallel):
            add("bitmap", bank, mem.bitmap[bank], rows * groups, mem.group_width)
            add("weight", bank, mem.weight[bank], rows * fan_in, weight_bits)
            for g in range(groups if grouped else 0):
                words = [int(word) for word in mem.bitmap[bank][g::groups]]
                add("bitmap", bank, words, rows, mem.group_width, g)
                add("wcount", bank, [word.bit_count() for word in words], rows,
                    clog2(mem.group_width + 1), g)
        if LAYER_CORES[core.module].per_bank_bias:
            for bank in range(parallel):
                add("bias", bank, [mem.bias[c] if c < mem.out_channels else 0
                                   for c in range(bank, rows * parallel, parallel)],
                    rows, membrane_bits)
        else:
            add("bias", None, mem.bias, mem.out_channels, membrane_bits)
    return images


def register_writes(writes):
    """The configuration writes ``(layer, sel, bank, addr, data)`` a preloaded top still needs."""
    return [w for w in writes if w[1] == SEL_NEURON]
