"""Cycle models of the cores: how many clock cycles a core spends on one frame.

One module per core (``sparse_conv``, ``sparse_linear``, ``dense_input``, ``maxpool``,
``readout``); each documents its schedule, the cycles it predicts for a frame with free-running
streams (first input beat accepted to last output beat sent), and is compared with the cycles
measured in simulation by the core's testbench. ``golden.sparsity.effectual_ops`` and
``dense_ops`` give the lower bound and the dense cost they are reported against.
"""
