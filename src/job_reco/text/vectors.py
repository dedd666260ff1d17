"""Document-vector geometry, one home for each rule: unit length, cosine, cluster centres, nearest centre.

Used by clustering (assigning a resume to a centre), modeling (the per-cluster ensemble, the
cosine baseline and the ranker's cosine input) and anything that scores a new resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

CENTRES_KEYS = ("k", "normalised", "centres")


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; a zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def cosine_similarity(left: np.ndarray, right: np.ndarray, *, rows_per_chunk: int = 16_384) -> np.ndarray:
    """Row-wise cosine of two (n, d) matrices, float64 (n,); 0 where either row is a zero vector.

    In chunks of rows: the float64 copies and temporaries of a million rows cost more in fresh
    pages than the arithmetic (1.9 s against 0.15 s in a new process); every row's value is the same.
    """
    left, right = np.asarray(left), np.asarray(right)
    out = np.empty(len(left), dtype=np.float64)
    for start in range(0, len(left), rows_per_chunk):
        chunk = slice(start, start + rows_per_chunk)
        a, b = np.asarray(left[chunk], dtype=np.float64), np.asarray(right[chunk], dtype=np.float64)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        out[chunk] = np.where(norms > 0, np.einsum("ij,ij->i", a, b) / np.where(norms > 0, norms, 1.0), 0.0)
    return out


def parse_centres(cluster_centres: Mapping[str, Any]) -> tuple[np.ndarray, bool]:
    """(k x d centres, normalised) from the cluster_centres json {"k", "normalised", "centres"}."""
    missing = [key for key in CENTRES_KEYS if key not in cluster_centres]
    if missing:
        raise ValueError(
            f"cluster_centres is missing keys {missing}; expected {list(CENTRES_KEYS)}, "
            f"got {sorted(cluster_centres)} (data/06_models/cluster_centres.json)"
        )
    centres = np.asarray(cluster_centres["centres"], dtype=np.float64)
    if centres.ndim != 2 or centres.shape[0] != int(cluster_centres["k"]):
        raise ValueError(
            f"cluster_centres['centres'] should be k={cluster_centres['k']} rows of one dimension, "
            f"got shape {centres.shape} (data/06_models/cluster_centres.json)"
        )
    return centres, bool(cluster_centres["normalised"])


def centre_distances(vectors: np.ndarray, centres: np.ndarray, *, normalised: bool) -> np.ndarray:
    """(n, k) Euclidean distances of each row to each centre (rows L2-normalised first if `normalised`)."""
    vectors = l2_normalise(vectors) if normalised else np.asarray(vectors, dtype=np.float64)
    if vectors.shape[1] != centres.shape[1]:
        raise ValueError(f"vectors have {vectors.shape[1]} dimensions, cluster_centres {centres.shape[1]}")
    squared = (vectors**2).sum(axis=1, keepdims=True) - 2.0 * vectors @ centres.T + (centres**2).sum(axis=1)[None, :]
    return np.sqrt(np.maximum(squared, 0.0))


def nearest_centre(vectors: np.ndarray, cluster_centres: Mapping[str, Any]) -> np.ndarray:
    """Cluster (int32) of each row of `vectors` (n, d): the nearest centre in Euclidean distance, each
    vector scaled to unit length first when the centres were fitted on normalised vectors (zero
    stays zero). Ties go to the lower cluster number, as in Spark."""
    centres, normalised = parse_centres(cluster_centres)
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    return np.argmin(centre_distances(vectors, centres, normalised=normalised), axis=1).astype(np.int32)
