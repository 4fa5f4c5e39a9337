"""The harness every dualspike testbench uses.

- :mod:`tb.harness.tb`: the TB base class (clock, reset, cycle counting).
- :mod:`tb.harness.stream`: one generic valid/ready source, sink and monitor.
- :mod:`tb.harness.pacing`: idle-cycle and backpressure patterns (and their Hypothesis strategy).
- :mod:`tb.harness.scoreboard`: the in-order scoreboard that counts what it compared.
- :mod:`tb.harness.search`: a whole Hypothesis search inside one simulator run.
- :mod:`tb.harness.runner`: builds and runs a testbench, one build folder per parameter set.
"""
