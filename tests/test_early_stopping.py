"""Early stopping (job_reco.models.early_stopping) on value sequences worked by hand."""

from __future__ import annotations

import math

import pytest

from job_reco.models.early_stopping import EarlyStopping


def run(stopping: EarlyStopping, values: list[float]) -> int:
    """Feed values as epochs 1, 2, ... (each epoch's state is its number); the epoch the loop stopped at."""
    for epoch, value in enumerate(values, start=1):
        if stopping.update(epoch, value, lambda epoch=epoch: f"weights of epoch {epoch}"):
            return epoch
    return len(values)


@pytest.mark.parametrize(("patience", "stopped_at"), [(2, 4), (3, 5)])
def test_a_loss_stops_after_patience_epochs_without_a_lower_value(patience, stopped_at):
    # 3 best; 2 best; 2.5 waits 1; 2.4 waits 2 (patience 2 stops); 2.6 waits 3 (patience 3 stops).
    stopping = EarlyStopping(patience=patience, higher_is_better=False)
    assert run(stopping, [3, 2, 2.5, 2.4, 2.6, 1.0]) == stopped_at
    assert (stopping.best_epoch, stopping.best_value, stopping.best_state) == (2, 2, "weights of epoch 2")


def test_min_delta_counts_only_a_large_enough_decrease():
    # best 1.0 at epoch 1; 0.97, 0.96 and 0.955 are lower but not below 1.0 - 0.05: three waits.
    stopping = EarlyStopping(patience=3, higher_is_better=False, min_delta=0.05)
    assert run(stopping, [1.0, 0.97, 0.96, 0.955, 0.5]) == 4
    assert (stopping.best_epoch, stopping.best_value) == (1, 1.0)
    without = EarlyStopping(patience=3, higher_is_better=False)
    assert run(without, [1.0, 0.97, 0.96, 0.955, 0.5]) == 5 and without.best_epoch == 5


def test_a_metric_must_beat_its_starting_value():
    # start 0.1 (epoch 0); 0.05 waits 1; 0.3 best; 0.3 again is no improvement, waits 1; 0.2 waits 2.
    stopping = EarlyStopping(patience=2, higher_is_better=True, best_value=0.1, best_state="initial weights")
    assert run(stopping, [0.05, 0.3, 0.3, 0.2, 0.9]) == 4
    assert (stopping.best_epoch, stopping.best_value, stopping.best_state) == (2, 0.3, "weights of epoch 2")


def test_no_improvement_keeps_the_starting_state_and_epoch_0():
    stopping = EarlyStopping(patience=2, higher_is_better=True, best_value=0.5, best_state="initial weights")
    assert run(stopping, [0.4, math.nan, 0.6]) == 2  # NaN is no improvement
    assert (stopping.best_epoch, stopping.best_value, stopping.best_state) == (0, 0.5, "initial weights")


def test_patience_0_never_stops_and_state_is_saved_only_on_improvement():
    saved = []
    stopping = EarlyStopping(patience=0, higher_is_better=False)
    for epoch, value in enumerate([5, 6, 7, 8, 4, 9], start=1):
        assert not stopping.update(epoch, value, lambda epoch=epoch: saved.append(epoch) or epoch)
    assert saved == [1, 5] and stopping.best_state == 5 and stopping.waited == 1
