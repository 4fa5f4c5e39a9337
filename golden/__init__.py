"""dualspike golden model: the bit-exact integer reference of SPEC sections 1-3.

Modules: ``arith`` (sat, asr), ``config`` (load/validate configs, weights, inputs), ``neuron``
(charge/fire/reset), ``layers`` (conv/linear/maxpool/readout of one sample), ``network``
(run_network, run_batch, random parameters), ``sparsity`` (bitmaps, effectual pairs, detector
beats), ``torch_model`` (independent torch int64 cross-check), ``strategies`` (Hypothesis).
See docs/golden.md.
"""

from golden.arith import asr, sat, sat_bounds
from golden.config import (
    ConfigError,
    InputError,
    WeightError,
    layer_shapes,
    load_config,
    validate_input,
    validate_weights,
)
from golden.network import LayerResult, NetworkContext, run_batch, run_network
from golden.neuron import NeuronParams, run_neuron

__all__ = [
    "ConfigError",
    "InputError",
    "LayerResult",
    "NetworkContext",
    "NeuronParams",
    "WeightError",
    "asr",
    "layer_shapes",
    "load_config",
    "run_batch",
    "run_network",
    "run_neuron",
    "sat",
    "sat_bounds",
    "validate_input",
    "validate_weights",
]
