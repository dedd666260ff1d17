"""What every `kedro run` records in MLflow besides its parameters: metrics, reports, charts, models.

kedro-mlflow (its own hook, registered by the plugin) opens an MLflow run before the pipeline,
logs every parameter a node reads, and closes the run after it. `RunRecordHook` runs just before
that close and adds what conf/<env>/tracking.yml lists: the numeric leaves of JSON reports as
metrics, and the files of reports, charts and models as artifacts. Only datasets this run wrote are
recorded, so `kedro run --pipelines embeddings` does not re-log an older run's metrics.
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from job_reco.datasets.paths import copy_to_local, entry_location

logger = logging.getLogger(__name__)

_METRIC_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-. /]")


def numeric_leaves(report: Any, prefix: str) -> Iterator[tuple[str, float]]:
    """(dotted key, value) for every finite int/float leaf of nested dicts; lists and text are skipped.

    >>> dict(numeric_leaves({"a": {"b": 1, "c": "x"}, "d": [1, 2], "e": True}, "r"))
    {'r.a.b': 1.0}
    """
    if isinstance(report, Mapping):
        for key, value in report.items():
            yield from numeric_leaves(value, f"{prefix}.{_METRIC_NAME_CHARACTERS.sub('_', str(key))}")
    elif isinstance(report, int | float) and not isinstance(report, bool) and math.isfinite(report):
        yield prefix, float(report)


class RunRecordHook:
    """Log the metrics, reports, charts and models named in conf/<env>/tracking.yml to the MLflow run."""

    def __init__(self) -> None:
        self._tracking: dict[str, Any] = {}
        self._catalog_conf: dict[str, Any] = {}
        self._project_path = Path.cwd()

    @hook_impl
    def after_context_created(self, context) -> None:
        """Keep the tracking settings and the resolved catalog configuration of the active env."""
        self._tracking = dict(context.config_loader.get("tracking") or {})
        self._catalog_conf = dict(context.config_loader["catalog"])
        self._project_path = Path(context.project_path)

    # tryfirst: before kedro-mlflow's own after_pipeline_run closes the run.
    @hook_impl(tryfirst=True)
    def after_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Record the outputs this pipeline wrote in the active MLflow run, if there is one."""
        import mlflow

        if mlflow.active_run() is None or not self._tracking:
            return
        written = set(pipeline.all_outputs())
        for name in self._tracking.get("metrics", []):
            if name in written:
                mlflow.log_metrics(dict(numeric_leaves(catalog.load(name), name)))
        for folder, names in self._tracking.get("artifacts", {}).items():
            self._log_files([name for name in names if name in written], folder)

    def _log_files(self, names: list[str], folder: str) -> None:
        import mlflow

        with tempfile.TemporaryDirectory(prefix="job_reco_mlflow_") as tmp:
            for name in names:
                copied = copy_to_local(entry_location(self._catalog_conf[name], self._project_path), Path(tmp))
                if copied.is_dir():
                    mlflow.log_artifacts(str(copied), f"{folder}/{copied.name}")
                else:
                    mlflow.log_artifact(str(copied), folder)
                logger.info("MLflow: recorded %s in %s/.", name, folder)
