"""Paths of the catalog's files: Spark's read with fsspec (Hadoop's scheme names mapped), existence, an entry's
location, local copies.

Whether a Spark table exists is asked of its file system here, not of Spark: a Spark Connect
session reads lazily, so `spark.read.load(path)` of a missing path raises nothing until an action,
and kedro-datasets' `SparkDataset.exists()`, which relies on that read failing, answers True.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# fsspec's names for Hadoop's filesystem schemes.
FSSPEC_PROTOCOLS = {"s3a": "s3", "s3n": "s3", "abfss": "abfs", "wasbs": "abfs"}


def spark_path_to_fs(path: str, **storage_options: Any) -> tuple[Any, str]:
    """(fsspec filesystem, path within it) for a path as Spark writes it (local, s3a://, abfss://, ...).

    `storage_options` (a catalog entry's credentials and fs_args) go to the filesystem.
    """
    import fsspec  # noqa: PLC0415

    protocol, _, rest = str(path).partition("://")
    url = f"{FSSPEC_PROTOCOLS.get(protocol, protocol)}://{rest}" if rest else str(path)
    return fsspec.core.url_to_fs(url, **storage_options)


def spark_path_exists(path: str) -> bool:
    """Whether a file or folder Spark would read at `path` exists (asked of its file system)."""
    filesystem, inner = spark_path_to_fs(path)
    return bool(filesystem.exists(inner))


def spark_dataset_path(dataset: Any) -> str:
    """The path a kedro-datasets `SparkDataset` loads from (its version's, if versioned), as Spark reads it."""
    return dataset._fs_prefix + str(dataset._get_load_path())


def dataset_exists(dataset: Any) -> bool:
    """Whether a catalog dataset's data exists; a `SparkDataset` is asked of its file system, not of Spark."""
    from kedro_datasets.spark import SparkDataset  # noqa: PLC0415

    if isinstance(dataset, SparkDataset):
        return spark_path_exists(spark_dataset_path(dataset))
    return dataset.exists()


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
