"""One description per hardware core: everything the Python side knows about it, said once.

A :class:`Core` names the RTL module and the files it is built from (compilation order, without
the simulation-only ``stream_stable_checker.sv`` a testbench adds), and, for a core that computes
a layer (:class:`LayerCore`): its HDL parameters and widths from a layer of a config, its memory
images (golden.memory_images, one layout for every core with weights, ``per_bank_bias`` the one
difference), the module of its exact cycle models (golden.cycles, which its testbench asserts
equal to the RTL) and the effectual operations its figures compare against.

Read by the generator (vectors.network_top: which core a layer becomes, its parameters and
widths; the top's source list), the network cycle models (golden.cycles.network), the figures
of ``make sim`` (tb/network/figures.py), the benches (tb/<core>/bench.py: the sources), the
testbenches (the widths), synthesis and place and route (ci/synth.py: the files of a core) and
the bundles (vectors.preload: the bias layout; vectors.bundle: the RTL files shipped).

A new layer kind is one sequencer in RTL, one entry here and one testbench.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.sparsity import effectual_ops

#: The testbenches' protocol checker: instantiated by the cores under simulation only.
STREAM_CHECKER = "stream_stable_checker.sv"
#: The kit's package (configuration selectors, neuron words): compiled before any module.
PACKAGE = "dualspike_pkg.sv"


def clog2(value: int) -> int:
    """SystemVerilog ``$clog2``: ceil(log2(value)), 0 for value <= 1."""
    return 0 if value <= 1 else (value - 1).bit_length()


def pixel_major_order(channels: int, pixels: int) -> np.ndarray:
    """The sparse linear core's fan-in order: position ``k = p*C + c`` (pixel-major, the order
    its input stream brings the bits: a beat is a pixel's C channels) holds SPEC position
    ``order[k] = c*pixels + p`` (SPEC section 1: ``(c, y, x)``). A permutation of the fan-in, so
    currents do not change; the bitmaps and packed weights of the core's memories are cut from
    the weights' columns in this order (``weight[:, order]``), and its frame buffer stores a
    beat as one memory word (rtl/linear_frame_buffer.sv). Identity for one pixel."""
    return np.arange(channels * pixels, dtype=np.int64).reshape(channels, pixels).T.reshape(-1)


def spike_current_bits(fan_in: int, weight_bits: int, membrane_bits: int) -> int:
    """Width of the exact synaptic current of a layer fed spikes (the sparse linear core).

    ``|I| <= M = 2^(V-1) + F * 2^(B-1)`` (bias in V bits, F weights of B bits, spikes 0/1; the
    same bound as ``golden.config.current_bounds``); ``-M`` is reachable and needs
    ``clog2(M) + 1`` signed bits, and ``M - 1`` (the largest value) fits in them.
    """
    return clog2((1 << (membrane_bits - 1)) + fan_in * (1 << (weight_bits - 1))) + 1


def pixel_current_bits(fan_in: int, pixel_bits: int, weight_bits: int,
                       membrane_bits: int) -> int:
    """The same for a layer fed A-bit pixels (the dense input and dense linear cores):
    ``clog2(M) + 1``, ``M = 2^(V-1) + F * (2^A - 1) * 2^(B-1)``."""
    return clog2((1 << (membrane_bits - 1))
                 + fan_in * ((1 << pixel_bits) - 1) * (1 << (weight_bits - 1))) + 1


def conv_current_bits(fan_in: int, weight_bits: int, membrane_bits: int) -> int:
    """CurrentBits of the sparse conv core (docs/sparse_conv_core.md): max(V, B + clog2(F)) + 1,
    the accumulator width its row banks and neuron stage share."""
    return max(membrane_bits, weight_bits + clog2(fan_in)) + 1


@dataclass(frozen=True)
class LayerShape:
    """What a layer of a config tells a core: shapes without the time axis, the config's widths
    and the knobs the generator settled (vectors.network_top: the config's, clipped)."""

    in_shape: tuple
    out_shape: tuple
    #: Inputs one output sums over: C*K*K for a conv, C*H*W for a linear layer.
    fan_in: int
    timesteps: int
    weight_bits: int
    membrane_bits: int
    pixel_bits: int
    has_neuron: int
    kernel: int = 1
    hw: dict | None = None

    @property
    def chw(self) -> tuple[int, int, int]:
        """The input as (C, H, W); a flat linear input is (F, 1, 1)."""
        shape = self.in_shape
        return tuple(shape) if len(shape) == 3 else (shape[0], 1, 1)

    @property
    def outputs(self) -> int:
        return self.out_shape[0]


@dataclass(frozen=True)
class Core:
    """An RTL module of the generated top: its name and files."""

    module: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class LayerCore(Core):
    """A core that computes one layer. ``cycles`` names its module in golden.cycles: the exact
    closed form ``layer_model`` and the stepped model ``stepped`` (golden.cycles.network runs
    both; named, not imported, so that a bench reading its sources here does not depend on
    every cycle model)."""

    kind: str = ""
    in_format: str = "spikes"
    #: Has weight / bitmap / bias memories written through the configuration port.
    has_memory: bool = False
    #: Output channels placed on banks by non-zero weights (golden.placement).
    placed: bool = False
    #: Bias memory per bank (``L<i>_bias_b<pp>.mem``) rather than one shared (vectors.preload).
    per_bank_bias: bool = False
    #: Its scan reads the bitmap from copies of one group each (word r = bitmap word r*NG + g),
    #: beside each word's weight count (popcount), counted as the word is written: a preloaded
    #: core needs their images too (``L<i>_bitmap_b<pp>_g<gg>.mem``, ``L<i>_wcount_b<pp>_g<gg>``).
    group_copies: bool = False
    #: The smallest configuration address span the core decodes.
    min_span: int = 1
    cycles: str = ""

    def parameters(self, layer: LayerShape) -> dict:
        """HDL parameters of the core for ``layer``."""
        raise NotImplementedError

    def current_bits(self, layer: LayerShape) -> int:
        """Width of one channel's current on the output bus when the layer has no neuron."""
        return 0

    def cfg_addr_bits(self, rows: int, fan_in: int, outputs: int) -> int:
        """Width of the configuration address the core decodes: a bank's weights (R*F words),
        the biases (one per output) and the core's smallest span."""
        return clog2(max(rows * fan_in, outputs, self.min_span))

    def stored_weight(self, parameters: dict, weight: np.ndarray) -> np.ndarray:
        """``weight`` (``[outputs, fan-in]`` in SPEC order) with its fan-in in the order the
        core's memories hold it (golden.memory_images.layer_images takes it): SPEC's but for
        the sparse linear core."""
        return weight

    def frame_ops(self, parameters: dict, weight, sample, inputs, steps: int) -> int:
        """Effectual operations of one frame (golden.sparsity.effectual_ops): ``sample`` is the
        network's input, ``inputs`` the layer's."""
        raise NotImplementedError

    def output_pixels(self, parameters: dict) -> int:
        """Output pixels per frame and timestep, each a full pass over the fan-in when dense."""
        return 1


def _weighted_parameters(layer: LayerShape, **first) -> dict:
    """The knobs and widths every core with weights takes, after its own leading ones."""
    hw = layer.hw
    return {**first, "Timesteps": layer.timesteps, "Parallel": hw["parallel"],
            "Lanes": hw["lanes"], "GroupWidth": hw["group"], "WeightBits": layer.weight_bits,
            "MembraneBits": layer.membrane_bits, "HasNeuron": layer.has_neuron}


@dataclass(frozen=True)
class SparseConvCore(LayerCore):
    def parameters(self, layer: LayerShape) -> dict:
        c, h, w = layer.chw
        return _weighted_parameters(layer, InChannels=c, OutChannels=layer.outputs, Height=h,
                                    Width=w, Kernel=layer.kernel)

    def current_bits(self, layer: LayerShape) -> int:
        return conv_current_bits(layer.fan_in, layer.weight_bits, layer.membrane_bits)

    def frame_ops(self, parameters, weight, sample, inputs, steps):
        return effectual_ops("conv", inputs, weight)

    def output_pixels(self, parameters):
        return parameters["Height"] * parameters["Width"]


@dataclass(frozen=True)
class SparseLinearCore(LayerCore):
    def parameters(self, layer: LayerShape) -> dict:
        c, h, w = layer.chw
        parameters = _weighted_parameters(layer, InChannels=c, InHeight=h, InWidth=w,
                                          OutFeatures=layer.outputs)
        return {**parameters, "NeuronStages": self.neuron_stages(parameters)}

    @staticmethod
    def neuron_stages(parameters: dict) -> int:
        """NeuronStages: 2 (the LIF's charge half registered in a fire register after the row
        register: the membrane loop holds half the step, docs/synthesis.md; one cycle more
        latency, the same throughput) where a row's features are stepped again only after
        another row (R >= 2) and there is a neuron; else 1."""
        p = parameters
        rows = -(-p["OutFeatures"] // p["Parallel"])
        return 2 if p["HasNeuron"] and rows >= 2 else 1

    @staticmethod
    def fan_in_order(parameters: dict) -> np.ndarray:
        """The fan-in order of the core's memories and frame buffer (pixel_major_order)."""
        p = parameters
        return pixel_major_order(p["InChannels"], p["InHeight"] * p["InWidth"])

    def stored_weight(self, parameters, weight):
        return np.asarray(weight)[:, self.fan_in_order(parameters)]

    def current_bits(self, layer: LayerShape) -> int:
        return spike_current_bits(layer.fan_in, layer.weight_bits, layer.membrane_bits)

    def frame_ops(self, parameters, weight, sample, inputs, steps):
        return effectual_ops("linear", inputs.reshape(steps, -1), weight)


@dataclass(frozen=True)
class DenseInputCore(LayerCore):
    """The direct-coded input layer; ``current_buffers``: its CurrentBuffers parameter
    (docs/dense_input_core.md: with 2, a slow pixel stalls the fast ones behind it, digits28
    layer 0 at P8 L3: 3901 cycles/frame; 4 reach within 9 % of the emission floor H*W*T (3415)
    for Co*CurrentBits*2 more flip-flops; more buffers gain under 5 % more)."""

    current_buffers: int = 4

    def parameters(self, layer: LayerShape) -> dict:
        c, h, w = layer.chw
        parameters = _weighted_parameters(layer, InChannels=c, PixelBits=layer.pixel_bits,
                                          OutChannels=layer.outputs, Height=h, Width=w,
                                          Kernel=layer.kernel)
        if layer.hw and layer.hw.get("wide_beat"):
            # A pixel per beat: the chain of T neuron stages (one step each) instead.
            return {**parameters, "CurrentBuffers": self.current_buffers, "NeuronStages": 1,
                    "WideBeat": 1}
        return {**parameters, "CurrentBuffers": self.current_buffers,
                "NeuronStages": self.neuron_stages(parameters)}

    @staticmethod
    def neuron_stages(parameters: dict) -> int:
        """NeuronStages: 2 (the LIF's charge and fire halves a cycle apart, a beat every two
        cycles: the membrane loop holds half the LIF, docs/synthesis.md) where the banks' floor
        per pixel, every group of every row walked once (Rows x NumGroups cycles), is at least
        the 2T cycles of such an emission, so the banks, not the neuron, still set the rate;
        else 1. Without a neuron (the current stream) 1."""
        p = parameters
        rows = -(-p["OutChannels"] // p["Parallel"])
        groups = -(-(p["InChannels"] * p["Kernel"] ** 2) // p["GroupWidth"])
        return 2 if p["HasNeuron"] and rows * groups >= 2 * p["Timesteps"] else 1

    def current_bits(self, layer: LayerShape) -> int:
        return pixel_current_bits(layer.fan_in, layer.pixel_bits, layer.weight_bits,
                                  layer.membrane_bits)

    def frame_ops(self, parameters, weight, sample, inputs, steps):
        return effectual_ops("conv", np.asarray(sample)[None], weight)

    def output_pixels(self, parameters):
        return parameters["Height"] * parameters["Width"]


@dataclass(frozen=True)
class DenseLinearCore(LayerCore):
    """An MLP's first layer on images: the dense input core as a 1x1 conv over the gathered
    frame (its current once per frame)."""

    def parameters(self, layer: LayerShape) -> dict:
        c, h, w = layer.chw
        return _weighted_parameters(layer, InChannels=c, PixelBits=layer.pixel_bits, InHeight=h,
                                    InWidth=w, OutFeatures=layer.outputs)

    def current_bits(self, layer: LayerShape) -> int:
        return pixel_current_bits(layer.fan_in, layer.pixel_bits, layer.weight_bits,
                                  layer.membrane_bits)

    def frame_ops(self, parameters, weight, sample, inputs, steps):
        # The current once per frame, whatever T.
        return effectual_ops("linear", np.asarray(sample).reshape(1, -1), weight)


@dataclass(frozen=True)
class SpikeMaxpoolCore(LayerCore):
    def parameters(self, layer: LayerShape) -> dict:
        c, h, w = layer.chw
        return {"Channels": c, "Height": h, "Width": w, "Pool": layer.kernel,
                "Timesteps": layer.timesteps}



_DETECTOR = ("prefix_sum.sv", "sparsity_detector.sv")
#: The LIF unit and its two halves (it registers between them when a core's schedule has room),
#: and the neuron parameters' register (a core with a neuron loads them through its port).
_LIF = ("lif_charge.sv", "lif_fire.sv", "lif_unit.sv", "neuron_params.sv")
#: A copy of the neuron configuration per LIF unit, in the cores with many units.
_LIF_COPIED = (*_LIF, "neuron_config_copy.sv")
_DENSE_INPUT = (PACKAGE, *_DETECTOR, *_LIF_COPIED, "sdp_ram.sv", "dense_line_buffer.sv",
                "dense_bank.sv", "dense_input_core.sv")

SPARSE_CONV = SparseConvCore(
    "sparse_conv_core", (PACKAGE, "popcount.sv", "prefix_sum.sv", *_LIF_COPIED, "sdp_ram.sv",
                         "config_ram.sv", "pair_select.sv", "sparse_row_bank.sv", "sparse_conv_core.sv"),
    kind="conv", has_memory=True, placed=True, per_bank_bias=True, group_copies=True,
    min_span=3, cycles="golden.cycles.sparse_conv")
SPARSE_LINEAR = SparseLinearCore(
    "sparse_linear_core", (PACKAGE, *_DETECTOR, *_LIF, "sdp_ram.sv", "held_step_ram.sv",
                           "linear_frame_buffer.sv", "linear_bank.sv",
                           "sparse_linear_core.sv"),
    kind="linear", has_memory=True, placed=True, min_span=3, cycles="golden.cycles.sparse_linear")
DENSE_INPUT = DenseInputCore(
    "dense_input_core", _DENSE_INPUT, kind="conv", in_format="pixels", has_memory=True,
    placed=True, min_span=4, cycles="golden.cycles.dense_input")
DENSE_LINEAR = DenseLinearCore(
    "dense_linear_core", (*_DENSE_INPUT, "dense_linear_core.sv", "pixel_frame_gather.sv"),
    kind="linear", in_format="pixels", has_memory=True, placed=True, min_span=4,
    cycles="golden.cycles.dense_linear")
SPIKE_MAXPOOL = SpikeMaxpoolCore("spike_maxpool", ("spike_maxpool.sv",), kind="maxpool",
                                 cycles="golden.cycles.maxpool")
#: The last stage of every top (its model: golden.cycles.readout).
READOUT = Core("readout_core", ("readout_core.sv",))
#: Between every two cores (its model: golden.cycles.fifo).
FIFO = Core("stream_fifo", ("stream_fifo.sv",))
#: Each memory core's registered copy of the top's configuration port (no stream: no model).
CONFIG_REGISTER = Core("config_register", ("config_register.sv",))
#: The neuron parameters' register of every core with a neuron (a kit piece: it has its own
#: testbench, tb/neuron_params; the cores list its file in theirs).
NEURON_PARAMS = Core("neuron_params", (PACKAGE, "neuron_params.sv"))
#: After a max-pool over a pixel per beat: the pixel's T timesteps back to T beats (its model:
#: golden.cycles.unpack; the generator places it, vectors/network_top.py).
SPIKE_UNPACK = Core("spike_unpack", ("spike_unpack.sv",))

#: Every core of a generated top by module name.
CORES: dict[str, Core] = {core.module: core for core in (
    DENSE_INPUT, DENSE_LINEAR, SPARSE_CONV, SPARSE_LINEAR, SPIKE_MAXPOOL, READOUT, FIFO,
    CONFIG_REGISTER, SPIKE_UNPACK)}
#: The layer cores by module name.
LAYER_CORES: dict[str, LayerCore] = {m: c for m, c in CORES.items() if isinstance(c, LayerCore)}


def layer_core(kind: str, first_of_pixels: bool) -> LayerCore:
    """The core a layer of ``kind`` becomes: the first layer of a ``pixels`` network takes
    multi-bit pixels (dense input core, or the dense linear core for an MLP), later conv and
    linear layers spikes (sparse cores); max-pools are spike max-pools."""
    if kind == "maxpool":
        return SPIKE_MAXPOOL
    if kind == "linear":
        return DENSE_LINEAR if first_of_pixels else SPARSE_LINEAR
    return DENSE_INPUT if first_of_pixels else SPARSE_CONV


def top_sources() -> tuple[str, ...]:
    """Every RTL file a generated top needs: the package, the checker, then each core's files
    not listed yet (every other file is a module, so their order is free)."""
    ordered = [PACKAGE, STREAM_CHECKER]
    for core in CORES.values():
        ordered += [source for source in core.sources if source not in ordered]
    return tuple(ordered)


def bench_sources(module: str) -> tuple[str, ...]:
    """A core's testbench sources: the protocol checker, then the core's files (the package
    first among them, where the core uses it)."""
    return (STREAM_CHECKER, *CORES[module].sources)

