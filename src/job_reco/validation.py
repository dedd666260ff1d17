"""Checks that a table has the columns a node needs, with errors that name what is wrong and where."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def source_of(frame: Any, default: str = "") -> str:
    """Where a Spark DataFrame was read from: its file, or the folder holding its part files.

    The catalog decides where a table lives (`conf/<env>/globals.yml` may move it to S3), so errors
    name the files actually read; a frame not backed by files (pandas, hand-made) gives `default`.
    """
    try:
        files = frame.inputFiles() if hasattr(frame, "inputFiles") else []
    except Exception:  # noqa: BLE001 - a frame not backed by files has no path to report
        files = []
    if not files:
        return default
    if len(files) == 1:
        return files[0]
    return os.path.commonprefix(files).rsplit("/", 1)[0] + f"/ ({len(files)} files)"


def dataset_location(catalog: Any, name: str) -> str:
    """Where the catalog says dataset `name` lives: its filepath (or path), else its description."""
    dataset = catalog.get(name)
    describe = getattr(dataset, "_describe", None)
    details = describe() if callable(describe) else {}
    location = details.get("filepath") or details.get("path") if isinstance(details, dict) else None
    return str(location) if location else type(dataset).__name__


def require_columns(frame: Any, required: Sequence[str], table: str, where: str = "") -> None:
    """Raise a ValueError naming the table, its missing columns, what arrived and where it lives.

    `frame` is a pandas or Spark DataFrame (anything with `.columns`). A Spark frame read from files
    names them; `where` is said otherwise (no `data/...` default: the catalog decides where a table
    lives, and `job_reco.hooks.input_locations` adds the catalog's paths of a failed node's inputs).
    """
    missing = [column for column in required if column not in frame.columns]
    if missing:
        location = source_of(frame, where)
        location = f" ({location})" if location else ""
        raise ValueError(
            f"{table} is missing columns {missing}; expected {list(required)}, got {list(frame.columns)}{location}"
        )
