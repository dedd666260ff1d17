"""The artifacts a recommendation needs, read from a Kedro project's catalog without Spark, and checked.

`load_project_catalog` builds the project's catalog and parameters exactly as `kedro run` would
(same config loader settings, same envs, paths made absolute to the project) but without the
project's hooks, so asking for jobs does not start a SparkSession, and without importing Kedro's
framework or PySpark. Every missing or incompatible
artifact is one `ArtifactError` that names the dataset, its file and the command that makes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

# Catalog dataset -> the pipeline whose run writes it (what to run when it is missing).
PRODUCERS = {
    "document_embedder": "embeddings",
    "cluster_centres": "clustering",
    "ranker_model@weights": "modeling",
    "ranker_layout": "modeling",
    "architecture_selection": "modeling",
    "gbdt_booster": "modeling",
    "cluster_models@weights": "modeling",
    "ensemble_selection": "modeling",
    "recommend_job_appeal": "modeling",
    "recommend_title_pair_appeal": "modeling",
    "appeal_priors": "modeling",
    "recommend_jobs": "data_integration",
    "recommend_job_vectors": "embeddings",
}


class ArtifactError(RuntimeError):
    """A missing or incompatible artifact of the last run; the message says what to run."""


@dataclass
class ProjectCatalog:
    """A project's catalog and parameters (no hooks, no Spark)."""

    catalog: Any
    params: dict[str, Any]
    project_path: Path
    env: str | None = None

    def where(self, name: str) -> str:
        """The file or folder a dataset reads, for messages ("?" when the dataset has none)."""
        try:
            described = self.catalog[name]._describe()
        except Exception:  # noqa: BLE001 - only for a message
            return "?"
        return str(described.get("filepath") or described.get("path") or "?")

    def require(self, name: str) -> Any:
        """Load a dataset; a missing one is an ArtifactError naming its file and the pipeline to run."""
        if name not in self.catalog:
            raise ArtifactError(f"the catalog of {self.project_path} has no dataset {name!r}: is it a job_reco project?")
        pipeline = PRODUCERS.get(name, "modeling")
        if not self.catalog.exists(name):
            raise ArtifactError(
                f"{name} is missing ({self.where(name)}): run `kedro run` (or `kedro run --pipelines {pipeline}` "
                f"and the pipelines after it) in {self.project_path}{' --env ' + self.env if self.env else ''} first"
            )
        from kedro.io import DatasetError  # noqa: PLC0415

        try:
            return self.catalog.load(name)
        except DatasetError as error:  # e.g. a model file this code cannot read
            raise ArtifactError(f"{name} could not be read ({self.where(name)}): {error}; rerun `kedro run --pipelines "
                                f"{pipeline}` and the pipelines after it") from error

    def optional(self, name: str) -> Any | None:
        """Load a dataset if its files exist, else None."""
        return self.catalog.load(name) if self.catalog.exists(name) else None


def load_project_catalog(project_path: str | Path = ".", env: str | None = None) -> ProjectCatalog:
    """The catalog and parameters of the Kedro project at `project_path` (conf/base + `env`, default local).

    Kedro's config loader with the project's settings (`job_reco.config_loader`); neither
    `job_reco.settings` (its hooks import PySpark) nor Kedro's framework is imported, and the
    catalog builds a dataset only when it is asked for.
    """
    from kedro.config import OmegaConfigLoader  # noqa: PLC0415
    from kedro.io import DataCatalog  # noqa: PLC0415

    from job_reco.config_loader import CONFIG_LOADER_ARGS  # noqa: PLC0415

    root = Path(project_path).resolve()
    if not (root / "conf" / "base").is_dir():
        raise ArtifactError(f"{root} is not a job_reco project (no conf/base/): pass the project folder (--project)")
    run_env = env
    if env is None and not (root / "conf" / CONFIG_LOADER_ARGS["default_run_env"]).is_dir():
        run_env = CONFIG_LOADER_ARGS["base_env"]  # no conf/local (a fresh checkout): base alone
    loader = OmegaConfigLoader(conf_source=str(root / "conf"), env=run_env, **CONFIG_LOADER_ARGS)
    catalog_conf = absolute_paths(root, loader["catalog"])
    try:
        credentials = loader["credentials"]
    except Exception:  # noqa: BLE001 - no credentials file is fine
        credentials = {}
    catalog = DataCatalog.from_config(catalog_conf, credentials=credentials)
    return ProjectCatalog(catalog=catalog, params=dict(loader["parameters"]), project_path=root, env=env)


def absolute_paths(root: Path, conf: dict[str, Any]) -> dict[str, Any]:
    """Relative local paths under the keys filename, filepath and path made absolute to `root` (Kedro's rule for its
    own context), so the catalog reads the project's files from any working directory; URLs and absolute paths stay."""
    from urllib.parse import urlparse  # noqa: PLC0415

    out: dict[str, Any] = {}
    for key, value in conf.items():
        if isinstance(value, dict):
            out[key] = absolute_paths(root, value)
        elif key in ("filename", "filepath", "path") and isinstance(value, str) and not urlparse(value).scheme \
                and not Path(value).is_absolute():
            out[key] = (root / value).as_posix()
        else:
            out[key] = value
    return out


@dataclass
class Artifacts:
    """What the recommender is built from: the run's models and the catalog's jobs, in memory."""

    document_embedder: Any
    cluster_centres: Mapping[str, Any]
    ranker_weights: dict[str, list]
    ranker_layout: Mapping[str, Any]
    architecture_selection: Mapping[str, Any]
    gbdt_booster: bytes | None = None
    cluster_models: list | None = None  # (cluster, weights, final_relu), for per_cluster only
    ensemble_selection: Mapping[str, Any] | None = None
    job_appeal: pd.DataFrame | None = None  # job_id, clicks_all, expected_all (modeling's job_appeal_counts)
    title_pair_appeal: pd.DataFrame | None = None  # title_pair, clicks_all, expected_all
    appeal_priors: Mapping[str, Any] | None = None
    jobs: pd.DataFrame | None = None
    job_vectors: pd.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)


def check_compatible(artifacts: Artifacts) -> None:
    """One clear error when the embedder, the clusters and the model do not fit together."""
    from job_reco.models.ranker_layout import LAYOUT_VERSION  # noqa: PLC0415
    from job_reco.text import TOKEN_RULES_VERSION  # noqa: PLC0415
    from job_reco.text.vectors import parse_centres  # noqa: PLC0415

    layout, embedder = artifacts.ranker_layout, artifacts.document_embedder
    if layout.get("layout_version") != LAYOUT_VERSION:
        raise ArtifactError(
            f"ranker_layout has layout_version {layout.get('layout_version')!r}, this code reads {LAYOUT_VERSION} "
            "(data/06_models/ranker/layout.json): an older run; rerun `kedro run --pipelines modeling`"
        )
    if embedder.token_rules_version != TOKEN_RULES_VERSION:
        raise ArtifactError(
            f"document_embedder uses token rules {embedder.token_rules_version!r}, this code {TOKEN_RULES_VERSION!r}: "
            "rerun `kedro run --pipelines embeddings` and the pipelines after it"
        )
    centres, _ = parse_centres(artifacts.cluster_centres)
    widths = {"document_embedder": embedder.dimension, "ranker_layout": int(layout["vector_dimension"]),
              "cluster_centres": int(centres.shape[1])}
    if len(set(widths.values())) > 1:
        raise ArtifactError(
            f"the artifacts disagree on the document-vector width {widths}: they come from runs with different word "
            "vectors; rerun `kedro run --pipelines embeddings` and every pipeline after it (or `kedro run`)"
        )
    if artifacts.job_vectors is not None and len(artifacts.job_vectors):
        width = len(artifacts.job_vectors["embedding"].iloc[0])
        if width != embedder.dimension:
            raise ArtifactError(
                f"job_embeddings are {width}-d but document_embedder is {embedder.dimension}-d: rerun `kedro run --pipelines embeddings`"
            )


def _ranker_weights(model: Any, layout: Mapping[str, Any], dimension: int) -> dict[str, list]:
    """The ranker's weights by layer, after modeling's own check of model, layout and vector width."""
    from job_reco.models.ranker_layout import check_ranker_artifacts  # noqa: PLC0415

    try:
        return check_ranker_artifacts(model, layout, dimension)
    except ValueError as error:
        message = str(error)
        if "kedro run" not in message:
            message += ": rerun `kedro run --pipelines modeling`"
        raise ArtifactError(message) from error


def _cluster_model_weights(cluster_models: Mapping[str, Any]) -> list:
    from job_reco.models.ncf import cluster_model_weights  # noqa: PLC0415

    return cluster_model_weights(cluster_models)


def assemble_artifacts(
    require: Callable[[str], Any], optional: Callable[[str], Any], params: Mapping[str, Any], *, with_catalog_jobs: bool = True,
    where: Callable[[str], str] = lambda name: name,
) -> Artifacts:
    """Every artifact the chosen architecture needs (a blend loads the booster, per_cluster the NCFs), checked.

    `require(name)` loads a dataset or raises ArtifactError, `optional(name)` loads it or gives None.
    """
    selection = require("architecture_selection")
    selected = selection.get("selected")
    if selected not in ("ranker", "blend", "per_cluster"):
        raise ArtifactError(
            f"architecture_selection names {selected!r}, expected ranker, blend or per_cluster "
            f"({where('architecture_selection')}): rerun `kedro run --pipelines modeling`"
        )
    layout, embedder = require("ranker_layout"), require("document_embedder")
    artifacts = Artifacts(
        document_embedder=embedder, cluster_centres=require("cluster_centres"), ranker_weights={}, ranker_layout=layout,
        architecture_selection=selection, job_appeal=optional("recommend_job_appeal"),
        title_pair_appeal=optional("recommend_title_pair_appeal"), appeal_priors=optional("appeal_priors"), params=dict(params),
    )
    if with_catalog_jobs:
        artifacts.jobs, artifacts.job_vectors = require("recommend_jobs"), require("recommend_job_vectors")
    check_compatible(artifacts)
    # The ranker's layout builds the inputs of every architecture; its weights score ranker and blend.
    artifacts.ranker_weights = _ranker_weights(require("ranker_model@weights"), layout, embedder.dimension)
    if selected == "blend":
        booster = require("gbdt_booster")
        artifacts.gbdt_booster = booster.encode("utf-8") if isinstance(booster, str) else bytes(booster)
    if selected == "per_cluster":
        artifacts.cluster_models = _cluster_model_weights(require("cluster_models@weights"))
        artifacts.ensemble_selection = require("ensemble_selection")
    return artifacts


def load_artifacts(project: ProjectCatalog, *, with_catalog_jobs: bool = True) -> Artifacts:
    """`assemble_artifacts` from a project's catalog."""
    return assemble_artifacts(project.require, project.optional, project.params, with_catalog_jobs=with_catalog_jobs,
                              where=project.where)
