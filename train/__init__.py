"""dualspike training flow: surrogate-gradient SNN training with Grad R pruning and LSQ
quantization, export to a SPEC config + integer weights, and the bit-width x sparsity study.

Modules: ``data`` (digits 8x8 and 28x28, fixed split), ``snn`` (neurons, Grad R, LSQ, the
network whose quantized forward is the integer network), ``fit`` (training), ``export``
(config/weights, golden-model check), ``study`` (``make report-sparsity``). CLI:
``python -m train --help``. See docs/training.md.
"""
