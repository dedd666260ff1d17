"""Model weights as bytes (one numpy archive), to hand them from a Spark training task to the driver.

One format for every model: {layer name: [arrays in order]}, stored as arrays `<layer>__<index>`.
A model whose weights are one flat list (the NCF) stores it under one name.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np


def weights_to_bytes(weights: Mapping[str, Sequence[np.ndarray]]) -> bytes:
    """Serialise {layer name: [arrays]} (np.savez, arrays `<layer>__<index>`)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{name}__{i}": np.asarray(w) for name, arrays in weights.items() for i, w in enumerate(arrays)})
    return buffer.getvalue()


def weights_from_bytes(data: bytes) -> dict[str, list[np.ndarray]]:
    """Inverse of `weights_to_bytes`: {layer name: [arrays in order]}."""
    out: dict[str, list[np.ndarray]] = {}
    with np.load(io.BytesIO(data)) as archive:
        for key in sorted(archive.files, key=lambda k: (k.rsplit("__", 1)[0], int(k.rsplit("__", 1)[1]))):
            out.setdefault(key.rsplit("__", 1)[0], []).append(archive[key])
    return out


_FLAT = "weights"


def weight_list_to_bytes(weights: Sequence[np.ndarray]) -> bytes:
    """Serialise one flat weight list (Keras `get_weights()` order) in the same format."""
    return weights_to_bytes({_FLAT: weights})


def weight_list_from_bytes(data: bytes) -> list[np.ndarray]:
    """Inverse of `weight_list_to_bytes`."""
    return weights_from_bytes(data)[_FLAT]
