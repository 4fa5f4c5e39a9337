"""``python -m vectors make|verify ...``: the same as ``python -m vectors.bundle``."""

import sys

from vectors.bundle import main

sys.exit(main())
