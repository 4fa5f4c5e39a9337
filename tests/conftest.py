"""Test-wide setup: the repository root on sys.path and the Hypothesis profile.

Quick Verilator builds (C++ at -O0) by default: `DUALSPIKE_QUICK_BUILD=0 make test` optimises.

Profile "dualspike": no per-example deadline and no too-slow health check (the first torch call
and network-level examples are slow to warm up, CI shares 2 cores with simulators, and timing
is not what these tests check), and no example database (failures print a reproduction blob
instead). Select another registered profile with HYPOTHESIS_PROFILE.

Tests marked ``long`` (whole networks, planted bugs: tens of seconds each) run first, so that
`make test`'s two workers do not end with one of them alone on a long test.
"""

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if REPO_ROOT not in sys.path:
    # `pytest` (unlike `python -m pytest`) does not put the repository root on sys.path.
    sys.path.insert(0, REPO_ROOT)

# make test's runs are short: Verilator's C++ is compiled at -O0 unless a test asks otherwise
# (tb/harness/runner.py, QUICK_BUILD_ARGS; docs/harness.md).
os.environ.setdefault("DUALSPIKE_QUICK_BUILD", "1")

settings.register_profile("dualspike", deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dualspike"))


def pytest_configure(config):
    config.addinivalue_line("markers", "long: tens of seconds; scheduled before the others")


def pytest_collection_modifyitems(config, items):
    # A stable sort: the long tests first, each group in collection order (xdist's workers
    # collect the same order).
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
