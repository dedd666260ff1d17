"""Values for JSON outputs (metrics.json, training histories): JSON has no NaN, and numpy scalars are not numbers to it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def json_number(value: Any) -> float | None:
    """A float for JSON: NaN, infinities and missing values become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def json_safe(value: Any) -> Any:
    """A structure for strict JSON: NaN and infinities become null, numpy scalars Python numbers, tuples lists."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
