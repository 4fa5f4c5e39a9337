"""From a config (SPEC section 1) to hardware: the plan of cores and the generated top level.

``plan_network(cfg)`` maps every layer to a hand-written core with its HDL parameters and stream
widths; ``render_top(plan)`` writes the wrapper that chains the cores with ``stream_fifo``s and
exposes every inter-layer stream as a tap; ``generate(cfg, weights, out_dir)`` validates the
config and weights first, then writes the top, the memory images and ``network.json`` (the plan,
which the network testbench and the replay bench read), into a temporary folder renamed into
place. Deploying another network is re-running this, never editing RTL.

Which core a layer becomes, its HDL parameters and widths: its description (golden.cores). The
last layer feeds the readout core (spike counts, or accumulated currents when the last layer
carries ``"readout": "accumulate"``). FIFO depth rule (docs/network.md): ``2*T`` beats between
cores, so a producer can finish one pixel's T timesteps while the consumer is still on the
previous pixel.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from golden.config import (
    HW_KNOBS,
    ConfigError,
    check_hw_knobs,
    layer_shapes,
    load_config,
    validate_weights,
)
from golden.memory_images import config_writes, layer_images
from golden.neuron import NeuronParams
from golden.cycles.readout import readout_bits as readout_width
from golden.cores import LAYER_CORES, LayerShape, clog2, layer_core, top_sources
from golden.placement import balanced_channel_map, placed_layer

#: hw knobs of a conv / linear layer and their defaults (one rule for all: golden.config).
DEFAULT_HW = HW_KNOBS
#: RTL files every generated top needs (golden.cores).
CORE_SOURCES = top_sources()
#: Headers those files include (found on the include path rtl/, or a bundle's rtl/).
CORE_INCLUDES = ("dualspike_macros.svh",)
#: Planted wiring bugs the generator can insert (the network tests prove each is caught).
WIRING_BUGS = ("reverse_channels",)


@dataclass
class CorePlan:
    """One layer as a core: its module, HDL parameters and stream widths."""

    index: int
    kind: str
    module: str
    parameters: dict
    in_shape: tuple
    out_shape: tuple
    in_width: int
    out_width: int
    #: "spikes" (1 bit per channel), "currents" (CurrentBits per channel), "pixels", or
    #: "pixel_spikes" (a pixel per beat: its T timesteps, bit t*C + c; WideBeat).
    in_format: str
    out_format: str
    current_bits: int = 0
    addr_bits: int = 0
    bank_bits: int = 0
    has_memory: bool = False
    #: knobs of the config the core could not use as given: {knob: {"requested", "used"}}
    #: ("used" null: the core has no such knob), docs/network.md.
    hw_clipped: dict = field(default_factory=dict)
    #: Logical output channel held in each slot (bank ``s % P``, row ``s // P``); empty: in
    #: order. golden.placement; the top restores the logical order on the output bus.
    channel_map: tuple = ()
    #: T > 0: a spike_unpack of T timesteps after the core (a max-pool over a pixel per beat:
    #: the core's output is one beat per pooled pixel, the layer's stream T beats).
    unpack: int = 0


@dataclass
class NetworkPlan:
    name: str
    top: str
    timesteps: int
    layers: list[CorePlan]
    readout: dict
    fifo_depth: int
    cfg_addr_bits: int
    cfg_bank_bits: int
    cfg_layer_bits: int
    wiring_bug: str | None = None
    sources: list[str] = field(default_factory=lambda: list(CORE_SOURCES))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_json(text: str) -> "NetworkPlan":
        raw = json.loads(text)
        raw["layers"] = [CorePlan(**{**layer, "in_shape": tuple(layer["in_shape"]),
                                     "out_shape": tuple(layer["out_shape"]),
                                     "channel_map": tuple(layer.get("channel_map", ()))})
                         for layer in raw["layers"]]
        return NetworkPlan(**raw)


def _hw(layer: dict, index: int, fan_in: int, outputs: int) -> dict:
    """The knobs a conv / linear core is built with: the config's (checked by the one rule,
    golden.config.check_hw_knobs), defaults for the rest, each clipped to what the layer can
    use: parallel <= output channels, group <= fan-in, lanes <= group (docs/network.md)."""
    hw = {**DEFAULT_HW, **check_hw_knobs(f"layers[{index}].hw", layer.get("hw", {}))}
    hw["parallel"] = min(hw["parallel"], outputs)
    hw["group"] = min(hw["group"], max(1, fan_in))
    hw["lanes"] = min(hw["lanes"], hw["group"])
    return hw


def _hw_clipped(layer: dict, used: dict) -> dict:
    """The config's knobs that differ from the ones used (``used`` empty: a core without knobs,
    the spike max-pool, which handles every channel each cycle)."""
    return {knob: {"requested": value, "used": used.get(knob)}
            for knob, value in layer.get("hw", {}).items() if used.get(knob) != value}


def plan_network(cfg, wiring_bug: str | None = None, weights: dict | None = None) -> NetworkPlan:
    """Maps a validated config to cores. Raises ConfigError for what no core can build. With
    ``weights`` (validated), the sparse cores' output channels are placed on their banks to
    balance the non-zero weights (golden.placement); without, in order."""
    cfg = load_config(cfg)
    if wiring_bug is not None and wiring_bug not in WIRING_BUGS:
        raise ValueError(f"wiring_bug must be one of {WIRING_BUGS}, got {wiring_bug!r}")
    steps, v_bits, b_bits = cfg["timesteps"], cfg["membrane_bits"], cfg["weight_bits"]
    shapes = layer_shapes(cfg)
    pixels = cfg["input"]["kind"] == "pixels"
    a_bits = cfg["input"]["bits"]
    last = len(cfg["layers"]) - 1
    cores: list[CorePlan] = []
    for i, (layer, (in_shape, out_shape)) in enumerate(zip(cfg["layers"], shapes)):
        kind = layer["kind"]
        description = layer_core(kind, i == 0 and pixels)
        if layer.get("hw", {}).get("wide_beat") and description.module != "dense_input_core":
            raise ConfigError(f"layers[{i}].hw.wide_beat: only the first conv of a pixels "
                              "network (the dense input core) gives a pixel per beat")
        has_neuron = int("neuron" in layer)
        c = in_shape[0]
        kernel = layer.get("kernel", 1)
        fan_in = math.prod(in_shape) if kind == "linear" else c * kernel * kernel
        shape = LayerShape(in_shape, out_shape, fan_in, steps, b_bits, v_bits, a_bits,
                           has_neuron, kernel)
        if not description.has_memory:
            width = in_shape[0]
            cores.append(CorePlan(i, kind, description.module, description.parameters(shape),
                                  in_shape, out_shape, width, width, description.in_format,
                                  "spikes", hw_clipped=_hw_clipped(layer, {})))
            continue
        outs = out_shape[0]
        hw = _hw(layer, i, fan_in, outs)
        shape = replace(shape, hw=hw)
        current_bits = description.current_bits(shape)
        rows = -(-outs // hw["parallel"])
        addr_bits = description.cfg_addr_bits(rows, fan_in, outs)
        in_width = c * a_bits if description.in_format == "pixels" else c
        out_width = outs if has_neuron else outs * current_bits
        cores.append(CorePlan(i, kind, description.module, description.parameters(shape),
                              in_shape, out_shape, in_width, out_width, description.in_format,
                              "spikes" if has_neuron else "currents", current_bits, addr_bits,
                              max(1, clog2(hw["parallel"])), True, _hw_clipped(layer, hw)))
    _wide_beats(cores, steps)
    if weights is not None:
        for core in cores:
            if LAYER_CORES[core.module].placed:
                placed = balanced_channel_map(weights[f"L{core.index}.weight"],
                                              core.parameters["Parallel"])
                core.channel_map = () if placed == tuple(sorted(placed)) else placed
    final = cores[last]
    channels = final.out_shape[0]
    pixels_out = math.prod(final.out_shape[1:]) if len(final.out_shape) == 3 else 1
    mode = 0 if final.out_format == "spikes" else 1
    readout_bits = readout_width(mode, steps, final.current_bits)
    readout = {"module": "readout_core",
               "parameters": {"Channels": channels, "Pixels": pixels_out, "Timesteps": steps,
                              "Mode": mode, "CurrentBits": max(final.current_bits, 2)},
               "readout_bits": readout_bits, "out_width": channels * readout_bits,
               "pixels": pixels_out, "channels": channels}
    memory_cores = [c for c in cores if c.has_memory]
    name = cfg.get("name", "unnamed")
    return NetworkPlan(
        name=name,
        top="dualspike_top",
        timesteps=steps,
        layers=cores,
        readout=readout,
        fifo_depth=2 * steps,
        cfg_addr_bits=max(c.addr_bits for c in memory_cores),
        cfg_bank_bits=max(c.bank_bits for c in memory_cores),
        cfg_layer_bits=max(1, clog2(len(cores))),
        wiring_bug=wiring_bug,
    )


def _wide_beats(cores: list[CorePlan], steps: int) -> None:
    """A dense input core with WideBeat gives a pixel per beat (its T timesteps, T x C bits);
    the max-pool after it pools those beats as T x C channels of one timestep (OR-pooling is per
    bit) and a spike_unpack restores the time-inner spike stream (docs/dense_input_core.md, "A
    pixel per beat"). Only a max-pool can take such a beat, so one must follow."""
    for position, core in enumerate(cores):
        if not core.parameters.get("WideBeat"):
            continue
        field = f"layers[{core.index}].hw.wide_beat"
        if core.out_format != "spikes":
            raise ConfigError(f"{field}: needs a neuron (a spike output), not a readout")
        after = cores[position + 1] if position + 1 < len(cores) else None
        if after is None or after.module != "spike_maxpool":
            raise ConfigError(f"{field}: the next layer must be a maxpool (it takes a pixel per "
                              "beat), got " + (after.kind if after else "none"))
        core.out_format = "pixel_spikes"
        core.out_width = core.out_width * steps
        channels = after.in_shape[0]
        after.parameters = {**after.parameters, "Channels": channels * steps, "Timesteps": 1}
        after.in_format = "pixel_spikes"
        after.in_width = channels * steps
        after.unpack = steps


def _param_list(parameters: dict) -> str:
    return ", ".join(f".{k}({v})" for k, v in parameters.items())


def _placed_bus(core: CorePlan) -> str:
    return f"l{core.index}_placed_data"


def _restore_channel_order(core: CorePlan) -> list[str]:
    """Wires the core's slot-ordered output bus to the logical channel order (no logic)."""
    i, slots = core.index, core.channel_map
    # A pixel per beat repeats the channels once per timestep (field t: bits t*C ..).
    fields = core.out_width // core.out_shape[0] if core.out_format == "pixel_spikes" else 1
    width = core.out_width // (len(slots) * fields)
    lines = ["  // Output channels placed on banks by non-zero weights (golden.placement): slot s",
             "  // of the core holds channel channel_map[s]; the bus leaves in channel order.",
             f"  logic [{core.out_width - 1}:0] {_placed_bus(core)};"]
    for f in range(fields):
        base = f * len(slots) * width
        for slot, channel in enumerate(slots):
            hi, lo = base + channel * width + width - 1, base + channel * width
            lines.append(f"  assign l{i}_data[{hi}:{lo}] = {_placed_bus(core)}"
                         f"[{base + slot * width + width - 1}:{base + slot * width}];")
    return lines


def _config_register(plan: NetworkPlan, core: CorePlan) -> list[str]:
    """The core's own registered copy of the configuration port (rtl/config_register.sv)."""
    i = core.index
    return [f"  logic l{i}_cfg_valid;", f"  logic [1:0] l{i}_cfg_sel;",
            f"  logic [{core.bank_bits - 1}:0] l{i}_cfg_bank;",
            f"  logic [{core.addr_bits - 1}:0] l{i}_cfg_addr;", f"  logic [31:0] l{i}_cfg_data;",
            f"  config_register #(.LayerBits({plan.cfg_layer_bits}), .Layer({i}), "
            f".BankBits({core.bank_bits}), .AddrBits({core.addr_bits})) u_cfg{i} (",
            "    .clk_i(clk_i), .rst_ni(rst_ni), .cfg_valid_i(cfg_valid_i),",
            "    .cfg_layer_i(cfg_layer_i), .cfg_sel_i(cfg_sel_i),",
            f"    .cfg_bank_i(cfg_bank_i[{core.bank_bits - 1}:0]), "
            f".cfg_addr_i(cfg_addr_i[{core.addr_bits - 1}:0]),",
            "    .cfg_data_i(cfg_data_i),",
            f"    .valid_o(l{i}_cfg_valid), .sel_o(l{i}_cfg_sel), .bank_o(l{i}_cfg_bank),",
            f"    .addr_o(l{i}_cfg_addr), .data_o(l{i}_cfg_data)",
            "  );"]


def _unpack_stage(core: CorePlan) -> list[str]:
    """The spike_unpack after core ``core``: its pixel-per-beat output back to T beats."""
    i, steps = core.index, core.unpack
    channels = core.out_width
    return [f"  // The max-pool's beats carry a pooled pixel's {steps} timesteps: back to "
            f"{steps} beats.",
            f"  spike_unpack #(.Channels({channels}), .Timesteps({steps})) u_unpack{i} (",
            "    .clk_i(clk_i), .rst_ni(rst_ni),",
            f"    .in_valid_i(u{i}_valid), .in_ready_o(u{i}_ready),",
            f"    .in_data_i(u{i}_data), .in_last_i(u{i}_last),",
            f"    .out_valid_o(l{i}_valid), .out_ready_i(l{i}_ready),",
            f"    .out_data_o(l{i}_data), .out_last_o(l{i}_last)",
            "  );"]


def render_top(plan: NetworkPlan) -> str:
    """The SystemVerilog of the top level (same SV subset and style as the hand-written RTL)."""
    lines = [
        "// Generated by vectors/network_top.py from the network config: do not edit; re-run",
        "// the generator (docs/network.md). Network: " + plan.name,
        "//",
        "// Streams: in = layer 0's input stream; out = the readout stream; tap<i> = the output",
        "// stream of layer i (observed where it enters the FIFO to the next core; the",
        "// readout's stream is `out`). Configuration: cfg_layer_i selects the core whose",
        "// memory a cfg write goes to, through that core's config_register (one edge later;",
        "// docs/cores.md section 3).",
        "// PreloadDir: \"\" = the memories are loaded through the configuration port; else the",
        "// folder of the $readmemh images L<i>_<memory>[_b<pp>].mem every core loads at time 0",
        "// (docs/vectors.md, \"Preloading memories\"); neuron registers still need the port.",
        f"// FIFO depth {plan.fifo_depth} beats (2*T) between cores.",
    ]
    if plan.wiring_bug:
        lines.append(f"// PLANTED WIRING BUG for the test suite: {plan.wiring_bug}")
    first, final = plan.layers[0], plan.layers[-1]
    ports = [
        "  input  logic clk_i",
        "  input  logic rst_ni",
        "  input  logic cfg_valid_i",
        f"  input  logic [{plan.cfg_layer_bits - 1}:0] cfg_layer_i",
        "  input  logic [1:0] cfg_sel_i",
        f"  input  logic [{plan.cfg_bank_bits - 1}:0] cfg_bank_i",
        f"  input  logic [{plan.cfg_addr_bits - 1}:0] cfg_addr_i",
        "  input  logic [31:0] cfg_data_i",
        "  input  logic in_valid_i",
        "  output logic in_ready_o",
        f"  input  logic [{first.in_width - 1}:0] in_data_i",
        "  input  logic in_last_i",
        "  output logic out_valid_o",
        "  input  logic out_ready_i",
        f"  output logic [{plan.readout['out_width'] - 1}:0] out_data_o",
        "  output logic out_last_o",
    ]
    for core in plan.layers:
        i = core.index
        ports += [f"  output logic tap{i}_valid_o", f"  output logic tap{i}_ready_o",
                  f"  output logic [{core.out_width - 1}:0] tap{i}_data_o",
                  f"  output logic tap{i}_last_o"]
    lines += [f"module {plan.top} #(", "  parameter PreloadDir = \"\"", ") (",
              ",\n".join(ports), ");", ""]

    # s<i>: the stream into core i (s0 = the top's input); l<i>: core i's output stream.
    lines += ["  logic s0_valid, s0_ready, s0_last;", f"  logic [{first.in_width - 1}:0] s0_data;",
              "  assign s0_valid = in_valid_i;", "  assign in_ready_o = s0_ready;",
              "  assign s0_data = in_data_i;", "  assign s0_last = in_last_i;", ""]
    for core in plan.layers:
        i, width = core.index, core.out_width
        lines += [f"  // layer {i}: {core.kind} {list(core.in_shape)} -> {list(core.out_shape)}",
                  f"  logic l{i}_valid, l{i}_ready, l{i}_last;",
                  f"  logic [{width - 1}:0] l{i}_data;",
                  f"  logic s{i + 1}_valid, s{i + 1}_ready, s{i + 1}_last;",
                  f"  logic [{width - 1}:0] s{i + 1}_data;"]
        if core.unpack:
            lines += [f"  logic u{i}_valid, u{i}_ready, u{i}_last;",
                      f"  logic [{width * core.unpack - 1}:0] u{i}_data;"]
        conns = ["    .clk_i(clk_i)", "    .rst_ni(rst_ni)"]
        if core.has_memory:
            lines += _config_register(plan, core)
            conns += [f"    .cfg_{field}_i(l{i}_cfg_{field})"
                      for field in ("valid", "sel", "bank", "addr", "data")]
        in_data = f"s{i}_data"
        if plan.wiring_bug == "reverse_channels" and i == len(plan.layers) - 1 and i > 0:
            # Planted: the bus into the last core has its channels in reverse order.
            lines.append(f"  logic [{core.in_width - 1}:0] s{i}_data_reversed;")
            lines.append("  always_comb begin")
            lines.append(f"    for (int b = 0; b < {core.in_width}; b++) "
                         f"s{i}_data_reversed[b] = s{i}_data[{core.in_width - 1} - b];")
            lines.append("  end")
            in_data = f"s{i}_data_reversed"
        # A core followed by a spike_unpack drives u<i>_*, the unpacking stage l<i>_*.
        out = f"u{i}" if core.unpack else f"l{i}"
        conns += [f"    .in_valid_i(s{i}_valid)", f"    .in_ready_o(s{i}_ready)",
                  f"    .in_data_i({in_data})", f"    .in_last_i(s{i}_last)",
                  f"    .out_valid_o({out}_valid)", f"    .out_ready_i({out}_ready)",
                  f"    .out_data_o({_placed_bus(core) if core.channel_map else f'{out}_data'})",
                  f"    .out_last_o({out}_last)"]
        if core.channel_map:
            lines += _restore_channel_order(core)
        parameters = _param_list(core.parameters)
        if core.has_memory:
            parameters += (f", .InitPrefix((PreloadDir == \"\") ? \"\" : "
                           f"{{PreloadDir, \"/L{i}_\"}})")
        lines += [f"  {core.module} #({parameters}) u_layer{i} (",
                  ",\n".join(conns), "  );"]
        if core.unpack:
            lines += _unpack_stage(core)
        lines += [f"  stream_fifo #(.Width({width + 1}), .Depth({plan.fifo_depth})) u_fifo{i} (",
                  "    .clk_i(clk_i), .rst_ni(rst_ni),",
                  f"    .in_valid_i(l{i}_valid), .in_ready_o(l{i}_ready),",
                  f"    .in_data_i({{l{i}_last, l{i}_data}}),",
                  f"    .out_valid_o(s{i + 1}_valid), .out_ready_i(s{i + 1}_ready),",
                  f"    .out_data_o({{s{i + 1}_last, s{i + 1}_data}})",
                  "  );",
                  f"  assign tap{i}_valid_o = l{i}_valid;",
                  f"  assign tap{i}_ready_o = l{i}_ready;",
                  f"  assign tap{i}_data_o = l{i}_data;",
                  f"  assign tap{i}_last_o = l{i}_last;", ""]
    n = len(plan.layers)
    lines += [f"  readout_core #({_param_list(plan.readout['parameters'])}) u_readout (",
              "    .clk_i(clk_i), .rst_ni(rst_ni),",
              f"    .in_valid_i(s{n}_valid), .in_ready_o(s{n}_ready),",
              f"    .in_data_i(s{n}_data), .in_last_i(s{n}_last),",
              "    .out_valid_o(out_valid_o), .out_ready_i(out_ready_i),",
              "    .out_data_o(out_data_o), .out_last_o(out_last_o)",
              "  );", "", "endmodule", ""]
    return "\n".join(lines)


def network_writes(cfg, weights, plan: NetworkPlan) -> list[tuple[int, int, int, int, int]]:
    """Every configuration write ``(layer, sel, bank, addr, data)`` that loads the network."""
    writes = []
    for core, layer in zip(plan.layers, cfg["layers"]):
        if not core.has_memory:
            continue
        i = core.index
        neuron = NeuronParams.from_config(layer["neuron"]) if "neuron" in layer else None
        weight, bias = placed_layer(weights, i, core.channel_map)
        weight = LAYER_CORES[core.module].stored_weight(core.parameters, weight)
        images = layer_images(weight, bias, neuron, core.parameters["GroupWidth"],
                              core.parameters["Parallel"])
        writes += [(i, *w) for w in config_writes(images)]
    return writes


def generate(cfg_source, weights_source, out_dir: Path, wiring_bug: str | None = None,
             overwrite: bool = False) -> NetworkPlan:
    """Validates, then writes ``<top>.sv``, ``network.json``, ``config.json``, ``weights.npz``
    and ``config_writes.mem`` into ``out_dir`` (atomically: a temporary folder renamed)."""
    cfg = load_config(cfg_source)
    if isinstance(weights_source, (str, Path)):
        with np.load(weights_source) as archive:
            weights_source = {k: archive[k] for k in archive.files}
    weights = validate_weights(cfg, weights_source)
    plan = plan_network(cfg, wiring_bug, weights)
    writes = network_writes(cfg, weights, plan)
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"{out_dir}: already exists (pass overwrite=True to replace it)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        (staging / f"{plan.top}.sv").write_text(render_top(plan))
        (staging / "network.json").write_text(plan.to_json())
        (staging / "config.json").write_text(json.dumps(cfg, indent=2))
        np.savez(staging / "weights.npz", **weights)
        (staging / "config_writes.mem").write_text(format_config_writes(writes, plan))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return plan


def config_write_word_layout(plan: NetworkPlan) -> list[tuple[str, int]]:
    """Fields of one packed configuration-write word, MSB first: layer, sel, bank, addr, data."""
    return [("layer", plan.cfg_layer_bits), ("sel", 2), ("bank", plan.cfg_bank_bits),
            ("addr", plan.cfg_addr_bits), ("data", 32)]


def format_config_writes(writes, plan: NetworkPlan) -> str:
    """``$readmemh`` text, one packed write per line (fields of :func:`config_write_word_layout`)."""
    layout = config_write_word_layout(plan)
    total = sum(width for _, width in layout)
    digits = -(-total // 4)
    out = []
    for write in writes:
        word = 0
        for (name, width), value in zip(layout, write):
            if value >> width:
                raise ValueError(f"config write {write}: {name} {value} does not fit {width} bits")
            word = (word << width) | value
        out.append(f"{word:0{digits}x}\n")
    return "".join(out)
