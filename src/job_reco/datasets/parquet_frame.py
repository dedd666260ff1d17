"""A parquet file or folder of part files (what Spark writes) read into pandas, read-only.

`recommend` reads a few tables that Spark wrote (the jobs, their vectors, their click rates) in a
process that answers one request: `pandas.ParquetDataset` would do, but importing kedro-datasets'
pandas package imports every one of its datasets (SQLAlchemy, deltalake, ...), half a second
before the first row. This one imports pyarrow alone.

Example (catalog.yml)::

    recommend_job_vectors:
      type: job_reco.datasets.parquet_frame.ParquetFrameDataset
      filepath: data/04_feature/job_embeddings.parquet
      load_args:
        columns: [job_id, embedding]
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from job_reco.datasets.paths import spark_path_to_fs


class ParquetFrameDataset(AbstractDataset[None, pd.DataFrame]):
    """Read-only: `pyarrow.parquet.read_table(filepath, **load_args).to_pandas()` over fsspec (local, s3a://, ...)."""

    def __init__(
        self,
        *,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """`load_args`: keyword arguments of `pyarrow.parquet.read_table` (columns, filters)."""
        self._filepath = str(filepath)
        self._load_args = dict(load_args or {})
        self._fs, self._path = spark_path_to_fs(self._filepath, **(fs_args or {}), **(credentials or {}))
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (pyarrow's default types, as `pandas.read_parquet`)."""
        import pyarrow.parquet as pq  # noqa: PLC0415

        return pq.read_table(self._path, filesystem=self._fs, **self._load_args).to_pandas()

    def save(self, data: None) -> None:
        """Refuse: the pipeline that writes the table writes it through its Spark dataset."""
        raise DatasetError(f"{self._filepath} is read-only here: its pipeline writes it on Spark")

    def _exists(self) -> bool:
        return bool(self._fs.exists(self._path))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "load_args": self._load_args}
