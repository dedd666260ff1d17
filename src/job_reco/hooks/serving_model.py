"""Every `kedro run` that trains a model logs the recommender into its MLflow run and registers a new version.

After a pipeline that wrote `architecture_selection` (modeling's choice, so a model was trained),
the recommender's artifacts are copied into a recommender folder (`job_reco.recommend.folder`) and
logged as the run's pyfunc model (`job_reco.serving.registry`), registered under the name in
conf/<env>/tracking.yml (`serving_model`) and tagged with the chosen ranker's test figures from
`metrics` when the run wrote them. Runs of other pipelines log no model.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from job_reco.hooks.run_record import numeric_leaves

logger = logging.getLogger(__name__)

# The output that says this run trained (and chose) a model.
TRAINED = "architecture_selection"


def version_tags(
    selection: Mapping[str, Any], metrics: Mapping[str, Any] | None, figures: list[str],
) -> dict[str, str]:
    """The registered version's tags: the chosen architecture, and the chosen ranker's test `figures` from `metrics`."""
    tags = {"architecture": str(selection.get("selected"))}
    if not metrics:
        return tags
    chosen = str((metrics.get("headline") or {}).get("chosen", "ensemble"))
    tags["test.ranker"] = chosen
    values = (metrics.get("rankers") or {}).get(chosen) or {}
    # Named as the run's metrics are (numeric_leaves: "ndcg@10" -> "ndcg_10"), which tag names also need.
    tags.update({key: f"{value:.6g}" for key, value in numeric_leaves({n: values[n] for n in figures if n in values}, "test")})
    lift = ((metrics.get("lift_vs_search") or {}).get(chosen) or {}).get("ips_mrr")
    if lift is not None:
        tags["test.ips_mrr_lift_vs_search"] = f"{float(lift):.6g}"
    return tags


class ServingModelHook:
    """Log and register the recommender as an MLflow model at the end of a run that trained one."""

    def __init__(self) -> None:
        self._settings: dict[str, Any] = {}
        self._catalog_conf: dict[str, Any] = {}
        self._params: dict[str, Any] = {}
        self._project_path = Path.cwd()

    @hook_impl
    def after_context_created(self, context) -> None:
        """Keep the serving_model settings, the resolved catalog configuration and the parameters."""
        self._settings = dict((context.config_loader.get("tracking") or {}).get("serving_model") or {})
        self._catalog_conf = dict(context.config_loader["catalog"])
        self._params = dict(context.params)
        self._project_path = Path(context.project_path)

    # tryfirst: before kedro-mlflow's own after_pipeline_run closes the run.
    @hook_impl(tryfirst=True)
    def after_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Log, register and tag the model if this run trained one and an MLflow run is active."""
        import mlflow  # noqa: PLC0415

        from job_reco.recommend.folder import write_model_folder  # noqa: PLC0415
        from job_reco.serving.registry import log_recommender_model  # noqa: PLC0415

        if mlflow.active_run() is None or not self._settings or TRAINED not in pipeline.all_outputs():
            return
        metrics = catalog.load("metrics") if "metrics" in pipeline.all_outputs() else None
        tags = version_tags(catalog.load(TRAINED), metrics, list(self._settings.get("version_tags") or []))
        with tempfile.TemporaryDirectory(prefix="job_reco_recommender_") as tmp:
            folder = write_model_folder(self._catalog_conf, self._params, self._project_path, Path(tmp) / "recommender")
            log_recommender_model(folder, name=str(self._settings.get("name", "recommender")),
                                  registered_model_name=self._settings.get("registered_model_name"), tags=tags)
