"""Export an snnTorch ``nn.Sequential`` to a NIR graph that ``train.nir_import`` (and NIR's own
type check) accepts: snnTorch 1.0's per-module converter, with its two gaps repaired.

snnTorch 1.0's ``export_to_nir`` cannot be used as it is (docs/nir.md, "Exporters' gaps"):

- its graph tracing (nirtorch) keeps the empty nodes below; the chain of an
  ``nn.Sequential`` is built here instead, from snnTorch's per-module converter;
- ``nn.MaxPool2d`` has no converter: the module becomes an *empty* node and the export fails.
  Here it is written as what it computes on spikes: a ``SumPool2d`` (kernel = stride, no
  padding) followed by ``Threshold(0)`` (fire when at least one input spiked), as a subgraph
  named after the module;
- a scalar ``beta``, ``alpha`` or ``threshold`` gives NIR parameters of shape ``[]`` (and a
  ``Synaptic`` with a scalar threshold fails NIR's shape assertion), so NIR's type inference
  fails. Here every neuron parameter is broadcast to the neuron's shape (measured by running
  ``sample`` through the model) before snnTorch's converter sees it.

Everything else is snnTorch's own conversion (``Leaky(beta)`` -> ``LIF`` with
``tau = dt / (1 - beta)``, ``r = 1 / (1 - beta)``, dt = 1e-4; conv weights, ``Flatten``).
What NIR cannot carry, the reset kind, is reported by :func:`reset_overrides` as the
``--reset NODE=soft`` options of ``python -m train.nir_import``.
"""

from __future__ import annotations

import copy
import importlib
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import snntorch.utils
import torch
import torch.nn as nn


def _snntorch_converter():
    """snnTorch's per-module converter ``snntorch.export_nir._extract_snntorch_module`` (the
    graph is chained here, so nirtorch's tracing of ``export_to_nir`` is not needed)."""
    return importlib.import_module("snntorch.export_nir")._extract_snntorch_module


# Neuron parameters snnTorch's converter reads, per module kind.
_NEURON_PARAMS = {snn.Leaky: ("beta", "threshold"), snn.Synaptic: ("alpha", "beta", "threshold")}


def _per_neuron(module: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    """A copy of an snnTorch neuron whose parameters are tensors of the neuron's ``shape``."""
    module = copy.deepcopy(module)
    for name in _NEURON_PARAMS[type(module)]:
        value = getattr(module, name)
        full = torch.as_tensor(value, dtype=torch.float32).detach().expand(shape).clone()
        if isinstance(value, nn.Parameter):
            full = nn.Parameter(full)
        # nn.Module.__setattr__ refuses a plain tensor over a Parameter, so drop it first.
        if name in module._parameters:
            del module._parameters[name]
        if name in module._buffers:
            module._buffers[name] = full
        else:
            setattr(module, name, full)
    return module


def _as_numpy(node: nir.NIRNode) -> nir.NIRNode:
    """snnTorch leaves torch tensors in some fields (conv weights); NIR wants arrays."""
    for key, value in vars(node).items():
        if isinstance(value, torch.Tensor):
            setattr(node, key, value.detach().cpu().numpy())
    return node


def _maxpool(module: nn.MaxPool2d, in_shape: tuple[int, ...]) -> nir.NIRGraph:
    kernel = module.kernel_size
    stride = module.stride if module.stride is not None else kernel
    padding = module.padding
    pair = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v))
    kernel, stride, padding = pair(kernel), pair(stride), pair(padding)
    if stride != kernel or padding != (0, 0) or pair(module.dilation) != (1, 1) \
            or module.ceil_mode:
        raise ValueError(f"MaxPool2d{kernel}: only kernel = stride, no padding, no dilation "
                         f"and floor mode are a max-pool on spikes in SPEC (got stride "
                         f"{stride}, padding {padding})")
    out_shape = (in_shape[0], in_shape[1] // kernel[0], in_shape[2] // kernel[1])
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array(in_shape)}),
            "sum": nir.SumPool2d(kernel_size=np.array(kernel), stride=np.array(stride),
                                 padding=np.array(padding)),
            "threshold": nir.Threshold(threshold=np.zeros(out_shape, dtype=np.float32)),
            "output": nir.Output(output_type={"output": np.array(out_shape)}),
        },
        edges=[("input", "sum"), ("sum", "threshold"), ("threshold", "output")],
    )


def export_sequential(model: nn.Sequential, sample: torch.Tensor) -> nir.NIRGraph:
    """The NIR graph of ``model`` (a chain of ``Conv2d``, ``Linear``, ``Leaky``, ``Synaptic``,
    ``AvgPool2d``, ``MaxPool2d``, ``Flatten``); ``sample`` is one input with a batch axis of 1.
    Nodes are named after the module indices, as nirtorch names them."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model: must be an nn.Sequential, not {type(model).__name__}")
    if sample.shape[0] != 1:
        raise ValueError(f"sample: needs a batch axis of 1, got shape {tuple(sample.shape)}")
    convert = _snntorch_converter()
    nodes: dict[str, nir.NIRNode] = {
        "input": nir.Input(input_type={"input": np.array(sample.shape[1:])})}
    previous = "input"
    edges = []
    x = sample
    with torch.no_grad():
        snn.utils.reset(model)
        for name, module in model.named_children():
            in_shape = tuple(x.shape[1:])
            out = module(x)
            x = out[0] if isinstance(out, tuple) else out
            if isinstance(module, nn.MaxPool2d):
                node = _maxpool(module, in_shape)
            elif type(module) in _NEURON_PARAMS:
                with np.errstate(divide="ignore"):    # beta = 1: snnTorch writes tau = inf
                    node = convert(_per_neuron(module, in_shape))
            else:
                node = convert(module)
            if node is None:
                raise ValueError(f"module {name} ({type(module).__name__}): snnTorch has no "
                                 "NIR converter for it")
            nodes[name] = _as_numpy(node)
            edges.append((previous, name))
            previous = name
        snn.utils.reset(model)
    nodes["output"] = nir.Output(output_type={"output": np.array(x.shape[1:])})
    edges.append((previous, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def reset_overrides(model: nn.Sequential) -> list[str]:
    """``NODE=soft`` for every snnTorch neuron with a subtract reset (NIR cannot say it):
    the ``--reset`` options that tell ``train.nir_import`` what the exporter lost."""
    return [f"{name}=soft" for name, module in model.named_children()
            if type(module) in _NEURON_PARAMS and module.reset_mechanism == "subtract"]


def write(path: Path | str, model: nn.Sequential, sample: torch.Tensor) -> nir.NIRGraph:
    """Export ``model`` and write it to ``path`` (HDF5, ``nir.write``)."""
    graph = export_sequential(model, sample)
    nir.write(str(path), graph)
    return graph
