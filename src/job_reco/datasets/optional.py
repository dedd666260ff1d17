"""A dataset that may legitimately be absent, such as the truth tables of generated data."""

from __future__ import annotations

import logging
from typing import Any

from kedro.io import AbstractDataset

from job_reco.datasets.paths import dataset_exists

logger = logging.getLogger(__name__)


class OptionalDataset(AbstractDataset[Any, Any]):
    """Wrap another dataset; loading gives None (and logs it) when the data does not exist.

    Real networks have no `_truth` tables; nodes that read one through this wrapper get None
    and skip the diagnostics that need it, instead of failing the run.

    Example (catalog.yml)::

        truth_impressions:
          type: job_reco.datasets.optional.OptionalDataset
          dataset:
            type: pandas.ParquetDataset
            filepath: data/01_raw/_truth/impressions.parquet
    """

    def __init__(self, *, dataset: dict[str, Any] | AbstractDataset, metadata: dict | None = None):
        self._dataset = (
            dataset if isinstance(dataset, AbstractDataset) else AbstractDataset.from_config("inner", dataset)
        )
        self.metadata = metadata

    def load(self) -> Any:
        """Load the wrapped data, or None when it does not exist."""
        if not dataset_exists(self._dataset):
            logger.info("Optional dataset %s does not exist: loading None.", self._dataset)
            return None
        return self._dataset.load()

    def save(self, data: Any) -> None:
        """Save through the wrapped dataset."""
        self._dataset.save(data)

    def _exists(self) -> bool:
        return dataset_exists(self._dataset)

    def _describe(self) -> dict[str, Any]:
        return {"dataset": self._dataset._describe()}
