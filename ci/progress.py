"""Live progress of a long batch of runs (``make sim``, ``make mutate``).

One line per finished run, printed the moment it finishes, with the running count and an
estimate of the time left; a failure's details follow its line at once. On a terminal the lines
scroll above a tqdm progress bar; in a CI log (not a terminal) they are plain lines, flushed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TextIO

from tqdm import tqdm


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """``costs`` maps each pending run to its expected cost (seconds on one core, any unit):
    the time left is the elapsed time scaled by the cost still pending over the cost done."""

    def __init__(self, costs: Mapping[str, float], stream: TextIO | None = None,
                 bar: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.costs = dict(costs)
        self.total = len(self.costs)
        self.done = 0
        self.cost_done = 0.0
        self.started = time.monotonic()
        use_bar = self.stream.isatty() if bar is None else bar
        self.bar = tqdm(total=self.total, unit="run", file=self.stream, dynamic_ncols=True,
                        leave=False) if use_bar else None

    def eta(self) -> str:
        pending = sum(self.costs.values())
        if not self.done or self.cost_done <= 0:
            return "?"
        return duration((time.monotonic() - self.started) * pending / self.cost_done)

    def finished(self, key: str, line: str, details: str | None = None) -> None:
        """Records run ``key`` as finished and prints ``line`` (and ``details`` below it)."""
        self.done += 1
        self.cost_done += self.costs.pop(key, 0.0)
        width = len(str(self.total))
        text = f"[{self.done:>{width}}/{self.total}] {line}; eta {self.eta()}"
        if details:
            text += "\n" + "\n".join("    " + ln for ln in details.splitlines())
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
            self.bar.set_postfix_str(f"eta {self.eta()}", refresh=False)
            self.bar.update(1)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
