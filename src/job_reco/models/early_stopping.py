"""Early stopping: the best epoch of a monitored figure, and when patience has run out.

One rule for every training loop of the project (the NCF stops on the validation loss, the ranker
on a validation ranking metric): an epoch improves when its value beats the best so far by more
than `min_delta` in the monitored direction; after `patience` epochs in a row without improvement
the loop stops, and the state saved at the best epoch is the one to keep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


class EarlyStopping:
    """Tracks the best value, its epoch and the state saved then; `update` says when to stop.

    Args:
        patience: epochs in a row without improvement before stopping; 0 never stops.
        higher_is_better: True for a metric to maximise, False for a loss to minimise.
        min_delta: the margin a value must beat the best by to count as an improvement.
        best_value: the value to beat at first (epoch 0); None starts from -inf or +inf.
        best_state: the state kept if no epoch improves (e.g. the weights before training).
    """

    def __init__(
        self,
        *,
        patience: int,
        higher_is_better: bool,
        min_delta: float = 0.0,
        best_value: float | None = None,
        best_state: Any = None,
    ):
        self.patience, self.higher_is_better, self.min_delta = int(patience), bool(higher_is_better), float(min_delta)
        worst = -math.inf if higher_is_better else math.inf
        self.best_value = worst if best_value is None else best_value
        self.best_epoch = 0
        self.best_state = best_state
        self.waited = 0

    def improves(self, value: float) -> bool:
        """Whether `value` beats the best by more than min_delta (NaN never does)."""
        if self.higher_is_better:
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta

    def update(self, epoch: int, value: float, state: Callable[[], Any] | None = None) -> bool:
        """Record epoch's value (calling `state()` to save it on improvement); True when the loop should stop."""
        if self.improves(value):
            self.best_value, self.best_epoch, self.waited = value, int(epoch), 0
            if state is not None:
                self.best_state = state()
            return False
        self.waited += 1
        return bool(self.patience) and self.waited >= self.patience
