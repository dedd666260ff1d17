"""Checks that a table has the columns a node needs, with errors that name what is wrong and where."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def require_columns(frame: Any, required: Sequence[str], table: str, where: str = "") -> None:
    """Raise a ValueError naming the table, its missing columns, what arrived and where it lives.

    `frame` is a pandas or Spark DataFrame (anything with `.columns`).
    """
    missing = [column for column in required if column not in frame.columns]
    if missing:
        location = f" ({where})" if where else ""
        raise ValueError(
            f"{table} is missing columns {missing}; expected {list(required)}, got {list(frame.columns)}{location}"
        )
