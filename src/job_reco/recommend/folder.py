"""A recommender's artifacts as one folder that loads anywhere: no Kedro project, no configuration, no Spark.

`write_model_folder` copies the files of every dataset the recommender reads (`artifacts.PRODUCERS`:
the embedder, the cluster centres, the chosen model and its layout, the jobs, their vectors and
click counts) from wherever the run's catalog keeps them (local disk or an object store) into
`<folder>/<dataset>/<file>`, and writes beside them `catalog.json` (each dataset's catalog entry,
its path made relative to the folder) and `parameters.json` (the settings the recommender reads).
`read_model_folder` builds the same datasets back, so each file is read by the dataset type that
wrote it, and checks the artifacts as `JobRecommender.load` does (`assemble_artifacts`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from job_reco.datasets.paths import copy_to_local, entry_location, spark_path_to_fs
from job_reco.recommend.artifacts import PRODUCERS, ArtifactError, Artifacts, assemble_artifacts

CATALOG_FILE = "catalog.json"
PARAMETERS_FILE = "parameters.json"
# Keys of a catalog entry that point outside the folder (credentials, a filesystem's options) or only
# describe it to kedro-viz: the folder's copies are local files.
_DROPPED_KEYS = ("credentials", "fs_args", "metadata", "versioned")
# The parameters the recommender reads (RecommendSettings.from_params, the CLI's top_k).
_PARAMETER_GROUPS = ("recommend", "modeling")


def recommender_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The project's parameters that the recommender reads: recommend, modeling and embeddings.max_sections."""
    chosen = {group: dict(params.get(group) or {}) for group in _PARAMETER_GROUPS}
    embeddings = params.get("embeddings") or {}
    if "max_sections" in embeddings:
        chosen["embeddings"] = {"max_sections": int(embeddings["max_sections"])}
    return chosen


def write_model_folder(
    catalog_conf: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any], project_path: str | Path, folder: str | Path,
) -> Path:
    """Copy the recommender's datasets that exist (catalog entries resolved, as `kedro run` reads them) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name in PRODUCERS:
        if name not in catalog_conf:
            continue
        entry = dict(catalog_conf[name])
        location = entry_location(entry, Path(project_path))
        filesystem, path = spark_path_to_fs(location)
        if not filesystem.exists(path):
            continue
        (folder / name).mkdir()
        copied = copy_to_local(location, folder / name)
        key = "filepath" if "filepath" in entry else "path"
        entries[name] = {**{k: v for k, v in entry.items() if k not in _DROPPED_KEYS}, key: f"{name}/{copied.name}"}
    (folder / CATALOG_FILE).write_text(json.dumps(entries, indent=2, default=str))
    (folder / PARAMETERS_FILE).write_text(json.dumps(recommender_parameters(params), indent=2, default=str))
    return folder


def _folder_catalog(folder: Path):
    from kedro.io import DataCatalog  # noqa: PLC0415

    try:
        entries = json.loads((folder / CATALOG_FILE).read_text())
    except FileNotFoundError as error:
        raise ArtifactError(f"{folder} is not a recommender folder (no {CATALOG_FILE}): write it with write_model_folder") from error
    for entry in entries.values():
        key = "filepath" if "filepath" in entry else "path"
        entry[key] = str(folder / entry[key])
    return DataCatalog.from_config(entries), entries


def read_model_folder(folder: str | Path, *, with_jobs: bool = True) -> Artifacts:
    """The artifacts of a folder written by `write_model_folder`, checked; with its jobs and their vectors unless `with_jobs` is False."""
    folder = Path(folder).resolve()
    catalog, entries = _folder_catalog(folder)
    params = json.loads((folder / PARAMETERS_FILE).read_text())

    def where(name: str) -> str:
        entry = entries.get(name) or {}
        return str(entry.get("filepath") or entry.get("path") or f"{folder}/{name}")

    def require(name: str) -> Any:
        if name not in entries or not catalog.exists(name):
            raise ArtifactError(
                f"the recommender folder {folder} has no {name} ({where(name)}): write it again from a run whose "
                f"`{PRODUCERS.get(name, 'modeling')}` pipeline finished (`kedro run`)"
            )
        return catalog.load(name)

    def optional(name: str) -> Any | None:
        return catalog.load(name) if name in entries and catalog.exists(name) else None

    return assemble_artifacts(require, optional, params, with_catalog_jobs=with_jobs, where=where)

