"""A folder of part files written one part at a time, marked `_SUCCESS` once every part is in.

kedro-datasets' `PartitionedDataset` saves {part id: data or function} one part after the other
(lazy saving: a function is called just before its part is written). A run interrupted in between
leaves a folder that Spark and pandas would read as a valid, shorter table. `PartFilesDataset` does
what Spark's writers do: with `overwrite` it removes the folder first, and it writes an empty
`_SUCCESS` file after the last part, so `CompleteInputsHook` can refuse a half-written folder.
Readers skip `_SUCCESS` (pyarrow and Spark ignore names starting with `_`; this dataset lists only
files ending in `filename_suffix`).
"""

from __future__ import annotations

from typing import Any

from kedro_datasets.partitions import PartitionedDataset

SUCCESS_MARKER = "_SUCCESS"


class PartFilesDataset(PartitionedDataset):
    """`PartitionedDataset` that writes `_SUCCESS` after the last part (use with `overwrite: true`)."""

    def save(self, data: dict[str, Any]) -> None:
        """Write every part (removing the folder first with `overwrite`), then the `_SUCCESS` marker."""
        super().save(data)
        self._filesystem.touch(f"{self._normalized_path.rstrip('/')}/{SUCCESS_MARKER}")
