"""A folder of part files written one part at a time, marked `_SUCCESS` once every part is in.

kedro-datasets' `PartitionedDataset` saves {part id: data or function} one part after the other
(lazy saving: a function is called just before its part is written). A run interrupted in between
leaves a folder that Spark and pandas would read as a valid, shorter table. `PartFilesDataset` does
what Spark's writers do: with `overwrite` it removes the folder first, and it writes an empty
`_SUCCESS` file after the last part, so `CompleteInputsHook` can refuse a half-written folder. It
also writes `_STARTED` before the first part (removed at the end): only a folder this dataset began
and did not finish is refused, never a user's own folder of part files at the same path.
Readers skip `_SUCCESS` (pyarrow and Spark ignore names starting with `_`; this dataset lists only
files ending in `filename_suffix`).
"""

from __future__ import annotations

from typing import Any

from kedro_datasets.partitions import PartitionedDataset

SUCCESS_MARKER = "_SUCCESS"  # written after the last part, as Spark's writers do
STARTED_MARKER = "_STARTED"  # written before the first part, removed after the last


class PartFilesDataset(PartitionedDataset):
    """`PartitionedDataset` that writes `_SUCCESS` after the last part (use with `overwrite: true`)."""

    def save(self, data: dict[str, Any]) -> None:
        """Mark the folder `_STARTED` (removing it first with `overwrite`), write every part, then mark it `_SUCCESS`."""
        folder = self._normalized_path.rstrip("/")
        if self._overwrite and self._filesystem.exists(folder):
            self._filesystem.rm(folder, recursive=True)
        self._filesystem.makedirs(folder, exist_ok=True)
        self._filesystem.touch(f"{folder}/{STARTED_MARKER}")
        overwrite, self._overwrite = self._overwrite, False  # the folder is fresh: keep the marker
        try:
            super().save(data)
        finally:
            self._overwrite = overwrite
        self._filesystem.touch(f"{folder}/{SUCCESS_MARKER}")
        self._filesystem.rm(f"{folder}/{STARTED_MARKER}")
