"""A saved Keras model (`.keras`) read as its weights, without TensorFlow: what scoring needs.

The modeling pipeline saves its models through `tensorflow.TensorFlowModelDataset` (`ranker_model@keras`,
`cluster_models@keras`); `recommend` reads the same files through this dataset (`ranker_model@weights`,
`cluster_models@weights`, Kedro's transcoding), so answering a request never imports TensorFlow.
Loading gives a `job_reco.models.keras_file.SavedWeights`; saving is refused (the @keras twin writes).

Example (catalog.yml)::

    ranker_model@weights:
      type: job_reco.datasets.keras_weights.KerasWeightsDataset
      filepath: data/06_models/ranker/model.keras
"""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError

from job_reco.models.keras_file import SavedWeights, read_keras_weights


class KerasWeightsDataset(AbstractDataset[None, SavedWeights]):
    """Read-only: a `.keras` file (local or any fsspec URL) as `SavedWeights`."""

    def __init__(
        self,
        *,
        filepath: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """`filepath`: the .keras file; `credentials`, `fs_args`: for its fsspec filesystem."""
        from job_reco.datasets.paths import spark_path_to_fs  # noqa: PLC0415

        self._filepath = str(filepath)
        self._fs, self._path = spark_path_to_fs(self._filepath, **(fs_args or {}), **(credentials or {}))
        self.metadata = metadata

    def load(self) -> SavedWeights:
        """The model's weights by layer name (h5py, no Keras)."""
        with self._fs.open(self._path, "rb") as handle:
            data = handle.read()
        try:
            saved = read_keras_weights(data)
        except ValueError as error:
            raise DatasetError(f"{self._filepath}: {error}") from error
        return SavedWeights(name=saved.name, layers=saved.layers, weights=saved.weights, input_shapes=saved.input_shapes,
                            source=self._filepath)

    def save(self, data: None) -> None:
        """Refuse: the modeling pipeline saves the model through its @keras twin."""
        raise DatasetError(f"{self._filepath} is read-only here: the modeling pipeline saves it as a Keras model (@keras)")

    def _exists(self) -> bool:
        return bool(self._fs.exists(self._path))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath}
