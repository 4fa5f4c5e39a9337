"""Memory images of a conv / linear layer, as the cores read them (docs/cores.md section 2).

Bank p of a core with P parallel output channels holds channels ``co % P == p`` as rows
``r = co // P``. Per bank: ``bitmap[r*NG + g]`` (G bits, bit q = weight at fan-in position
``g*G + q`` is non-zero) and ``weight``: the packed non-zero weights in (r, g, position) order.
Shared: ``bias[co]`` and ``neuron`` (0: threshold, 1: leak_shift, 2: model_lif | reset_soft<<1).
No offset memory: a core walks every group in that order, so a group's first weight sits at the
running popcount of the bitmaps walked before it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.neuron import NeuronParams
from golden.sparsity import fanin_weights, group_count

#: Selector codes of the configuration write port (``cfg_sel_i``).
SEL_BITMAP, SEL_WEIGHT, SEL_BIAS, SEL_NEURON = 0, 1, 2, 3
MEMORY_NAMES = {SEL_BITMAP: "bitmap", SEL_WEIGHT: "weight", SEL_BIAS: "bias",
                SEL_NEURON: "neuron"}


class ImageError(ValueError):
    """A memory image that is malformed, truncated or does not decode."""


@dataclass(frozen=True)
class LayerImages:
    """The words of every memory of one layer. ``bitmap[p]`` and ``weight[p]`` are bank p's."""

    group_width: int
    parallel: int
    fan_in: int
    out_channels: int
    bitmap: tuple[tuple[int, ...], ...]
    weight: tuple[tuple[int, ...], ...]
    bias: tuple[int, ...]
    neuron: tuple[int, ...] | None

    @property
    def rows(self) -> int:
        return -(-self.out_channels // self.parallel)

    @property
    def groups(self) -> int:
        return group_count(self.fan_in, self.group_width)


def neuron_words(params: NeuronParams) -> tuple[int, int, int]:
    """``(threshold, leak_shift, model_lif | reset_soft << 1)``."""
    return (params.threshold, params.leak_shift,
            int(params.model == "lif") | int(params.reset == "soft") << 1)


def neuron_from_words(words) -> NeuronParams:
    threshold, leak_shift, flags = (int(w) for w in words)
    return NeuronParams(model="lif" if flags & 1 else "if", threshold=threshold,
                        reset="soft" if flags & 2 else "hard", leak_shift=leak_shift)


def layer_images(weight, bias, neuron: NeuronParams | None, group_width: int,
                 parallel: int) -> LayerImages:
    """Builds the images of a layer from its dense integer weights (conv or linear shape)."""
    rows_w = fanin_weights(weight)
    out_channels, fan_in = rows_w.shape
    if group_width < 1 or parallel < 1:
        raise ImageError(f"group width and parallel channels must be >= 1, "
                         f"got G={group_width}, P={parallel}")
    groups = group_count(fan_in, group_width)
    padded = np.zeros((out_channels, groups * group_width), dtype=np.int64)
    padded[:, :fan_in] = rows_w
    rows = -(-out_channels // parallel)
    bitmaps, weights = [], []
    for bank in range(parallel):
        bank_bitmaps, bank_weights = [], []
        for r in range(rows):
            co = r * parallel + bank
            for g in range(groups):
                if co >= out_channels:
                    bank_bitmaps.append(0)
                    continue
                chunk = padded[co, g * group_width:(g + 1) * group_width]
                nonzero = np.flatnonzero(chunk)
                bank_bitmaps.append(int(sum(1 << int(q) for q in nonzero)))
                bank_weights.extend(int(chunk[q]) for q in nonzero)
        bitmaps.append(tuple(bank_bitmaps))
        weights.append(tuple(bank_weights))
    return LayerImages(group_width, parallel, fan_in, out_channels, tuple(bitmaps),
                       tuple(weights), tuple(int(b) for b in np.asarray(bias).reshape(-1)),
                       neuron_words(neuron) if neuron is not None else None)


def decode_images(images: LayerImages) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``[Co, F]`` weights (canonical fan-in order) and biases back from the images."""
    dense = np.zeros((images.out_channels, images.groups * images.group_width), dtype=np.int64)
    for bank in range(images.parallel):
        bitmaps, weights = images.bitmap[bank], images.weight[bank]
        if len(bitmaps) != images.rows * images.groups:
            raise ImageError(f"bitmap bank {bank}: {len(bitmaps)} words, "
                             f"expected {images.rows * images.groups}")
        cursor = 0
        for r in range(images.rows):
            co = r * images.parallel + bank
            for g in range(images.groups):
                bitmap = bitmaps[r * images.groups + g]
                for q in range(images.group_width):
                    if bitmap >> q & 1:
                        if co >= images.out_channels:
                            raise ImageError(f"bitmap bank {bank} row {r}: bits set for a "
                                             f"channel beyond Co={images.out_channels}")
                        if cursor >= len(weights):
                            raise ImageError(f"weight bank {bank}: truncated at word {cursor}")
                        dense[co, g * images.group_width + q] = weights[cursor]
                        cursor += 1
        if cursor != len(weights):
            raise ImageError(f"weight bank {bank}: {len(weights) - cursor} words beyond the "
                             f"bitmaps' {cursor}")
    if dense[:, images.fan_in:].any():
        raise ImageError("bitmap: bits set in the padding of the last group")
    return dense[:, :images.fan_in], np.array(images.bias, dtype=np.int64)


def config_writes(images: LayerImages) -> list[tuple[int, int, int, int]]:
    """The configuration-port transactions ``(sel, bank, addr, data)`` that load a core.

    Data words are the two's complement of negative values in 32 bits (the port's width)."""
    writes = []
    for bank in range(images.parallel):
        writes += [(SEL_BITMAP, bank, a, w) for a, w in enumerate(images.bitmap[bank])]
        writes += [(SEL_WEIGHT, bank, a, w & 0xFFFF_FFFF)
                   for a, w in enumerate(images.weight[bank])]
    writes += [(SEL_BIAS, 0, a, b & 0xFFFF_FFFF) for a, b in enumerate(images.bias)]
    if images.neuron is not None:
        writes += [(SEL_NEURON, 0, a, w) for a, w in enumerate(images.neuron)]
    return writes


def format_readmemh(words, width_bits: int) -> str:
    """``$readmemh`` text: one word per line, two's complement in ``width_bits``, zero-padded
    hex (an empty memory is a file with no words)."""
    digits = max(1, -(-width_bits // 4))
    mask = (1 << width_bits) - 1
    return "".join(f"{int(w) & mask:0{digits}x}\n" for w in words)


def parse_readmemh(text: str, width_bits: int, signed: bool, origin: str = "image") -> list[int]:
    """Inverse of :func:`format_readmemh`; ``//`` comments and blank lines are skipped.
    Raises :class:`ImageError` naming the line of a malformed or too-wide word."""
    words = []
    for number, line in enumerate(text.splitlines(), start=1):
        token = line.split("//", 1)[0].strip()
        if not token:
            continue
        try:
            value = int(token, 16)
        except ValueError:
            raise ImageError(f"{origin}:{number}: not a hex word: {token!r}") from None
        if value >> width_bits:
            raise ImageError(f"{origin}:{number}: {token} does not fit {width_bits} bits")
        if signed and value >> (width_bits - 1):
            value -= 1 << width_bits
        words.append(value)
    return words


def write_text_atomically(path: Path, text: str) -> None:
    """Writes through a temporary file in the same folder, so no half-written file remains."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_layer_images(images: LayerImages, folder: Path, prefix: str, weight_bits: int,
                       membrane_bits: int) -> list[Path]:
    """Writes ``<prefix>.bitmap.b<p>.mem``, ``<prefix>.weight.b<p>.mem``, ``<prefix>.bias.mem``
    and ``<prefix>.neuron.mem`` into ``folder``; returns the paths written."""
    folder = Path(folder)
    written = []
    for bank in range(images.parallel):
        for name, words, width in (("bitmap", images.bitmap[bank], images.group_width),
                                   ("weight", images.weight[bank], weight_bits)):
            path = folder / f"{prefix}.{name}.b{bank}.mem"
            write_text_atomically(path, format_readmemh(words, width))
            written.append(path)
    path = folder / f"{prefix}.bias.mem"
    write_text_atomically(path, format_readmemh(images.bias, membrane_bits))
    written.append(path)
    if images.neuron is not None:
        path = folder / f"{prefix}.neuron.mem"
        write_text_atomically(path, format_readmemh(images.neuron, 32))
        written.append(path)
    return written


def read_layer_images(folder: Path, prefix: str, group_width: int, parallel: int, fan_in: int,
                      out_channels: int, weight_bits: int, membrane_bits: int,
                      has_neuron: bool) -> LayerImages:
    """Reads what :func:`write_layer_images` wrote; a missing file raises :class:`ImageError`."""
    folder = Path(folder)

    def read(name: str, width: int, signed: bool) -> tuple[int, ...]:
        path = folder / name
        if not path.is_file():
            raise ImageError(f"{path}: missing memory image")
        return tuple(parse_readmemh(path.read_text(), width, signed, origin=str(path)))

    bitmaps = tuple(read(f"{prefix}.bitmap.b{p}.mem", group_width, False) for p in range(parallel))
    weights = tuple(read(f"{prefix}.weight.b{p}.mem", weight_bits, True) for p in range(parallel))
    bias = read(f"{prefix}.bias.mem", membrane_bits, True)
    neuron = read(f"{prefix}.neuron.mem", 32, False) if has_neuron else None
    return LayerImages(group_width, parallel, fan_in, out_channels, bitmaps, weights, bias,
                       neuron)
