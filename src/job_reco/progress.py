"""Progress of a long step for the people watching the log: rows done, rate and time left.

A step that works through many rows in pieces (generation's parts of searches, training's batches,
scoring's or recommend's batches) makes one `Progress` and calls `update(rows)` after each piece; a
line is logged when `every_s` seconds have passed since the last one, and at the end:

    truth_impressions: 1,200,000 / 10,000,000 impressions (12%), 95,000 impressions/s, 1 min 33 s left
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

_logger = logging.getLogger(__name__)


def duration(seconds: float) -> str:
    """Seconds as people read them: '42 s', '3 min 5 s', '1 h 12 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class Progress:
    """Counts rows done against an expected total and logs rows, rate and time left every `every_s` s.

    `total` may be None (unknown): then no share and no time left are logged. `clock` is for tests.
    """

    def __init__(
        self, what: str, total: int | None, *, unit: str = "rows", every_s: float = 30.0,
        logger: logging.Logger | None = None, clock: Callable[[], float] = time.monotonic,
    ):
        self.what, self.total, self.unit, self.every_s = what, total, unit, float(every_s)
        self.logger, self.clock = logger or _logger, clock
        self.done = 0
        self.started = self.last_logged = clock()

    def update(self, rows: int) -> None:
        """Add `rows` done; log a line if `every_s` has passed since the last one or the total is reached."""
        self.done += int(rows)
        now = self.clock()
        finished = self.total is not None and self.done >= self.total
        if finished or now - self.last_logged >= self.every_s:
            self.last_logged = now
            self.logger.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """The progress line: '<what>: done / total unit (share), rate unit/s, time left'."""
        elapsed = max((self.clock() if now is None else now) - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.what}: {self.done:,}"
        if self.total is None:
            return f"{text} {self.unit}, {rate:,.0f} {self.unit}/s, {duration(elapsed)} so far"
        share = self.done / max(self.total, 1)
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        left_text = "done" if self.done >= self.total else (
            f"{duration(left)} left" if left != float("inf") else "time left unknown")
        return f"{text} / {self.total:,} {self.unit} ({share:.0%}), {rate:,.0f} {self.unit}/s, {left_text}"
