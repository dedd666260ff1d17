"""A hook that refuses to read a Spark dataset an interrupted run left half-written.

Spark writes a folder of part files and, once every task has committed, an empty `_SUCCESS`
file. A run stopped mid-write (Ctrl-C, a lost executor, a killed job) leaves the folder without
`_SUCCESS`, sometimes with some part files in it, and Spark would read those as a valid, smaller
table. Before any node runs, this hook checks every Spark dataset the run reads but does not
write itself, among those the project's pipelines write, and stops naming each one that lacks
`_SUCCESS`, its path and the node to resume from (`kedro run --from-nodes <node>`). Files written
by pandas, json and pickle datasets are written in one piece: a truncated one fails to load
rather than load short. Raw tables are the users' files and are not checked here, except those a
node writes as `PartFilesDataset` (data_generation's part files, which carry `_SUCCESS` too): their
Spark reader (`raw_impressions@spark` for `raw_impressions@parts`) is checked like a Spark output.
"""

from __future__ import annotations

import logging

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline

from job_reco.datasets.paths import dataset_exists, spark_path_to_fs
from job_reco.datasets.part_files import STARTED_MARKER, SUCCESS_MARKER, PartFilesDataset

logger = logging.getLogger(__name__)

class IncompleteDatasetError(RuntimeError):
    """A Spark dataset the run reads was not completely written by the run that wrote it."""


def is_complete(path: str) -> bool:
    """Whether the Spark output folder `path` holds the `_SUCCESS` marker of a finished write."""
    return _marked(path, SUCCESS_MARKER)


def _marked(path: str, marker: str) -> bool:
    """Whether the folder `path` (any fsspec URL, Spark's s3a:// too) holds the file `marker`."""
    filesystem, folder = spark_path_to_fs(path)
    return filesystem.exists(f"{folder.rstrip('/')}/{marker}")


def incomplete_inputs(pipeline, catalog, writers: dict[str, str]) -> list[str]:
    """'dataset (path), written by node N' for each Spark input of `pipeline` without `_SUCCESS`.

    `writers` maps each dataset the project's pipelines write to the node that writes it; only
    those are checked (a raw table or an outside input has no writer here).
    """
    from kedro_datasets.spark import SparkDataset

    problems = []
    for name in sorted(pipeline.inputs()):
        writer = _writer(name, catalog, writers)
        if writer is None or name not in catalog:
            continue
        dataset = catalog.get(name)
        if not isinstance(dataset, SparkDataset):
            continue
        path = dataset._describe()["filepath"]
        # A raw table read beside the generator's part files is refused only if the generator began it.
        begun = name in writers or _marked(path, STARTED_MARKER)
        # Existence from the file system: on Spark Connect `catalog.exists` says yes to a missing path.
        if dataset_exists(dataset) and begun and not is_complete(path):
            problems.append(f"{name} ({path}), written by node {writer}")
    return problems


def _writer(name: str, catalog, writers: dict[str, str]) -> str | None:
    """The node that writes `name`, or that writes a transcoded sibling of it as a `PartFilesDataset` in
    the same folder (a user who points `raw_<table>@spark` at their own logs is not checked)."""
    if name in writers:
        return writers[name]
    if name not in catalog:
        return None
    table, path = name.split("@", 1)[0], str(catalog.get(name)._describe().get("filepath", "")).rstrip("/")
    for output, node_name in writers.items():
        sibling = catalog.get(output) if output.split("@", 1)[0] == table and output in catalog else None
        if isinstance(sibling, PartFilesDataset) and str(sibling._describe()["path"]).rstrip("/") == path:
            return node_name
    return None


def dataset_writers(pipeline) -> dict[str, str]:
    """{dataset: name of the node that writes it} over a pipeline."""
    return {output: node.name for node in pipeline.nodes for output in node.outputs}


def _is_persisted(catalog, name: str) -> bool:
    """Whether a node input outlives a run: a parameter or a catalog entry other than memory."""
    from kedro.io import MemoryDataset

    if name == "parameters" or name.startswith("params:"):
        return True
    return name in catalog and not isinstance(catalog.get(name), MemoryDataset)


def resume_nodes(pipeline, catalog, node_name: str) -> list[str]:
    """The nodes `kedro run --from-nodes` must name to rerun `node_name`.

    A node whose inputs are all persisted can start a run; one that reads an in-memory dataset
    needs the node that makes it to run first, and so on upstream.
    """
    nodes = {node.name: node for node in pipeline.nodes}
    writers = dataset_writers(pipeline)
    found, pending, seen = set(), [node_name], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        in_memory = [i for i in nodes[name].inputs if not _is_persisted(catalog, i) and i in writers]
        if in_memory:
            pending += [writers[i] for i in in_memory]
        else:
            found.add(name)
    return sorted(found)


class CompleteInputsHook:
    """Stop before the first node when a Spark input was left half-written by an interrupted run."""

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Raise IncompleteDatasetError naming each half-written input and the node to resume from."""
        from job_reco.pipeline_registry import project_pipelines

        # The whole project's pipeline: `--pipelines modeling` reads what data_integration wrote.
        everything = sum(project_pipelines().values(), Pipeline([]))
        writers = dataset_writers(everything)
        problems = incomplete_inputs(pipeline, catalog, writers)
        if problems:
            broken = [problem.rsplit("written by node ", 1)[1] for problem in problems]
            start = sorted({n for node in broken for n in resume_nodes(everything, catalog, node)})
            raise IncompleteDatasetError(
                "Inputs left half-written by an interrupted run (no _SUCCESS marker): "
                + "; ".join(problems)
                + f". Rewrite them and what follows: `kedro run --from-nodes {','.join(start)}` "
                "(docs/data-contract.md, 'Interrupted runs')."
            )
