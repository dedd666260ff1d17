"""An in-memory Spark DataFrame that several nodes read: computed once, kept by Spark until the last of them is done.

A Spark DataFrame handed from node to node through a `MemoryDataset` is a plan, not data: each node
that reads it runs the plan again. Modeling's `ranker_inputs` is the rows of `ranker_base_inputs`
joined to four appeal tables, and five nodes read it; each ran the joins again (about 9 s at
`default`). This dataset persists the DataFrame when it is saved, so the first action computes
it once and the next nodes read Spark's copy, and unpersists it when Kedro releases the dataset
(after the last node that reads it). Spark keeps the copy where `storage_level` says: in memory
and on the executors' disks by default, so a copy larger than the storage memory spills instead
of failing. The same on Spark Connect (`DataFrame.persist` and `unpersist` are part of its API). A
Spark that refuses to persist (Databricks serverless compute without its DataFrame-cache preview)
gets a warning, and the readers compute the plan each, as with a `MemoryDataset`.

Example (catalog.yml)::

    ranker_inputs:
      type: job_reco.datasets.spark_cache.SparkCacheDataset
      storage_level: MEMORY_AND_DISK
"""

from __future__ import annotations

import logging
from typing import Any

from kedro.io import DatasetError, MemoryDataset

logger = logging.getLogger(__name__)


class SparkCacheDataset(MemoryDataset):
    """A `MemoryDataset` of a Spark DataFrame that is persisted on save and unpersisted on release."""

    def __init__(self, *, storage_level: str = "MEMORY_AND_DISK", metadata: dict[str, Any] | None = None) -> None:
        """`storage_level`: the name of a `pyspark.StorageLevel` (MEMORY_AND_DISK, MEMORY_ONLY, DISK_ONLY, ...)."""
        from pyspark import StorageLevel  # noqa: PLC0415

        level = getattr(StorageLevel, str(storage_level), None)
        if not isinstance(level, StorageLevel):
            raise DatasetError(f"SparkCacheDataset: storage_level {storage_level!r} is not a pyspark.StorageLevel name")
        super().__init__(copy_mode="assign", metadata=metadata)
        self._storage_level_name = str(storage_level)
        self._storage_level = level
        self._persisted = False

    def save(self, data: Any) -> None:
        """Keep `data`, marked for Spark to persist at its first action."""
        if not hasattr(data, "persist") or not hasattr(data, "unpersist"):
            raise DatasetError(f"SparkCacheDataset holds a Spark DataFrame, not a {type(data).__name__}")
        try:
            self._data = data.persist(self._storage_level)
        except Exception as error:  # noqa: BLE001 - a Spark that keeps no copies still runs the plan
            logger.warning("Spark did not persist the DataFrame (%s: %s): each of its readers computes it again.",
                           type(error).__name__, (str(error).splitlines() or [""])[0][:200])
            self._data, self._persisted = data, False
        else:
            self._persisted = True

    def _release(self) -> None:
        if self._exists() and self._persisted:
            self._data.unpersist()
        super()._release()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "storage_level": self._storage_level_name}
