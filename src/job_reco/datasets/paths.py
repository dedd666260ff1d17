"""Paths of the catalog's files: Spark's read with fsspec (Hadoop's scheme names mapped), an entry's location, local copies."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# fsspec's names for Hadoop's filesystem schemes.
FSSPEC_PROTOCOLS = {"s3a": "s3", "s3n": "s3", "abfss": "abfs", "wasbs": "abfs"}


def spark_path_to_fs(path: str) -> tuple[Any, str]:
    """(fsspec filesystem, path within it) for a path as Spark writes it (local, s3a://, abfss://, ...)."""
    import fsspec  # noqa: PLC0415

    protocol, _, rest = str(path).partition("://")
    url = f"{FSSPEC_PROTOCOLS.get(protocol, protocol)}://{rest}" if rest else str(path)
    return fsspec.core.url_to_fs(url)


def entry_location(entry: Mapping[str, Any], project_path: Path) -> str:
    """Where a catalog entry's file or folder lives: `filepath` (or a PartitionedDataset's `path`)."""
    location = str(entry.get("filepath") or entry.get("path") or "")
    if not location:
        raise ValueError(f"catalog entry {dict(entry)} has no filepath or path to record")
    if "://" not in location and not Path(location).is_absolute():
        location = str(project_path / location)
    return location


def copy_to_local(location: str, destination: Path) -> Path:
    """Copy a file or folder from any fsspec location (local, s3://, s3a://, ...) under `destination`."""
    filesystem, path = spark_path_to_fs(location)
    target = destination / Path(path.rstrip("/")).name
    if filesystem.isdir(path):
        filesystem.get(path.rstrip("/") + "/", str(target), recursive=True)
    else:
        filesystem.get(path, str(target))
    return target
