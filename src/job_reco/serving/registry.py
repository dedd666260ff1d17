"""Log the recommender as an MLflow pyfunc model in the active run, registered as a new version and tagged.

The model: `mlflow_model.py` (MLflow's "models from code") wrapping `RecommenderModel`, the
recommender folder as its one artifact, the keys of its model config with their defaults
(`MODEL_CONFIG`: MLflow passes a loader's model config only for the keys logged with the model),
the job_reco package as its code (so loading needs neither an installed job_reco nor a Kedro
project), an input example, the signature of `predict`'s type hints, and pip requirements pinned
to this environment's versions. Each call registers a new version of `registered_model_name` in
the tracking server's registry and tags it (`tags`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from job_reco.serving.model import ARTIFACT, INPUT_EXAMPLE, MODEL_CONFIG

logger = logging.getLogger(__name__)

REGISTERED_MODEL = "job_reco_recommender"
MODEL_CODE = Path(__file__).with_name("mlflow_model.py")
PACKAGE = Path(__file__).resolve().parents[1]
# What loading and predicting import (besides their own dependencies), pinned to this environment's
# versions: MLflow's pyfunc loader (mlflow, cloudpickle), and what job_reco imports to read the folder
# and recommend (Kedro's catalog and its datasets, parquet through fsspec, the Keras files' weights
# through h5py, scipy's sparse counts for ads embedded at load, Faker's names for scrubbing). No
# TensorFlow, Keras or XGBoost: the ranker and the boosted trees score in numpy. pyarrow only below
# 26, the cap of mlflow's own requirements, so that pip can install the model's environment
# elsewhere (`mlflow models build-docker`, Databricks Model Serving).
SERVING_DISTRIBUTIONS = (
    "mlflow", "cloudpickle", "numpy", "pandas", "scipy", "h5py", "kedro", "kedro-datasets", "fsspec", "faker",
    "threadpoolctl",
)
UNPINNED = ("pyarrow<26",)


def serving_requirements() -> list[str]:
    """The served model's pip requirements: SERVING_DISTRIBUTIONS at this environment's versions, and UNPINNED."""
    return [f"{name}=={version(name)}" for name in SERVING_DISTRIBUTIONS] + list(UNPINNED)


def _package_copy(destination: Path) -> Path:
    """job_reco's source without caches, for the model's code."""
    return Path(shutil.copytree(PACKAGE, destination / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")))


def log_recommender_model(
    folder: str | Path, *, name: str = "recommender", registered_model_name: str | None = REGISTERED_MODEL,
    tags: Mapping[str, Any] | None = None,
):
    """Log the recommender folder as a pyfunc model in the active MLflow run; register and tag a new version.

    Returns MLflow's ModelInfo (`model_uri`, `registered_model_version`). Without
    `registered_model_name` the model is logged only.
    """
    import mlflow  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="job_reco_model_code_") as tmp:
        code = _package_copy(Path(tmp))
        with warnings.catch_warnings():
            # `Any` in predict's type hints: the model checks each request itself (job_reco.serving.requests).
            warnings.filterwarnings("ignore", message=".*Any type hint is inferred as AnyType.*")
            info = mlflow.pyfunc.log_model(
                name=name, python_model=str(MODEL_CODE), artifacts={ARTIFACT: str(folder)}, code_paths=[str(code)],
                model_config=dict(MODEL_CONFIG), input_example=INPUT_EXAMPLE, pip_requirements=serving_requirements(),
                registered_model_name=registered_model_name,
            )
    if registered_model_name:
        client = mlflow.MlflowClient()
        for key, value in (tags or {}).items():
            client.set_model_version_tag(registered_model_name, info.registered_model_version, key, str(value))
        logger.info("MLflow: registered %s version %s (%s).", registered_model_name, info.registered_model_version, info.model_uri)
    return info
