"""How the per-cluster models' click probabilities combine into one score: pure numpy.

`probabilities` is an (n rows, m models) matrix, column j the click probability from the model of
cluster `model_clusters[j]`. Clusters are numbered as the rows of `cluster_centres["centres"]`.

- routed: each row takes the column of its resume's cluster (the original design: the resume's
  own group model); a row whose cluster has no model (too little training data) takes the average.
- average: the mean over all models.
- soft: a weighted mean, weights softmax(-distance(resume, centre) / temperature) over the centres
  that have a model, so a resume near a border between clusters listens to both models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ROUTED, AVERAGE, SOFT = "routed", "average", "soft"
ENSEMBLE_MODES = (ROUTED, SOFT, AVERAGE)  # also the tie-break order of the selection


def soft_weights(distances: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of -distance / temperature: (n, k), rows summing to 1."""
    if not temperature > 0:
        raise ValueError(f"modeling.soft_temperature must be positive, got {temperature}")
    logits = -np.asarray(distances, dtype=np.float64) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def average_scores(probabilities: np.ndarray) -> np.ndarray:
    """Mean click probability over the models, per row."""
    return np.asarray(probabilities, dtype=np.float64).mean(axis=1)


def routed_scores(probabilities: np.ndarray, model_clusters: Sequence[int], row_clusters: np.ndarray) -> np.ndarray:
    """Each row's probability from its own cluster's model; the average where that cluster has no model."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    column_of = {int(cluster): column for column, cluster in enumerate(model_clusters)}
    columns = np.array([column_of.get(int(c), -1) for c in np.asarray(row_clusters)], dtype=np.int64)
    routed = probabilities[np.arange(probabilities.shape[0]), np.maximum(columns, 0)]
    return np.where(columns >= 0, routed, average_scores(probabilities))


def soft_scores(probabilities: np.ndarray, weights: np.ndarray, model_clusters: Sequence[int]) -> np.ndarray:
    """Weighted mean of the models' probabilities, weights (n, k over all centres) renormalised to the models'."""
    weights = np.asarray(weights, dtype=np.float64)[:, [int(c) for c in model_clusters]]
    totals = weights.sum(axis=1, keepdims=True)
    uniform = np.full_like(weights, 1.0 / weights.shape[1])
    weights = np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), uniform)
    return (np.asarray(probabilities, dtype=np.float64) * weights).sum(axis=1)


def ensemble_scores(
    mode: str,
    probabilities: np.ndarray,
    model_clusters: Sequence[int],
    *,
    row_clusters: np.ndarray | None = None,
    distances: np.ndarray | None = None,
    temperature: float = 0.1,
) -> np.ndarray:
    """The score of one ensemble mode (routed needs row_clusters, soft needs distances)."""
    if mode == AVERAGE:
        return average_scores(probabilities)
    if mode == ROUTED:
        return routed_scores(probabilities, model_clusters, row_clusters)
    if mode == SOFT:
        return soft_scores(probabilities, soft_weights(distances, temperature), model_clusters)
    raise ValueError(f"unknown ensemble mode {mode!r}; expected one of {ENSEMBLE_MODES}")
