"""A hook that stops a run before any node when a raw table the pipeline reads is absent or unreadable.

Kedro on its own fails at the first bad table, once the nodes before it have run, with a Spark
stack trace. This check opens every raw input first (for Spark that reads only the schema, from
the files' footers or CSV headers) and names each table that is missing or that Spark cannot
read, with its catalog dataset, the file the catalog points at and Spark's one-line reason. Spark's
full stack trace goes to the debug log. settings.py registers it after SparkHooks, which builds
the SparkSession the check reads with.

Both checks hold on Spark Connect, where a read is a plan that nothing analyses until an action:
whether a table exists is asked of its file system, and the schema of each table is read at once.
"""

from __future__ import annotations

import logging

from kedro.framework.hooks import hook_impl

from job_reco.datasets.paths import dataset_exists
from job_reco.validation import dataset_location

logger = logging.getLogger(__name__)

RAW_PREFIX = "raw_"
_PY4J_PREAMBLE = "An error occurred while calling"


class MissingRawTableError(FileNotFoundError):
    """One or more raw tables (the catalog's raw_<table>@spark paths) are absent."""


class UnreadableRawTableError(ValueError):
    """One or more raw tables exist but cannot be read as the catalog says (format, corrupt file)."""


def first_line(error: BaseException) -> str:
    """An exception's first telling line, without Spark's JVM stack trace (nor py4j's preamble)."""
    lines = [line.strip().removeprefix(": ") for line in str(error).splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(_PY4J_PREAMBLE)]
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _raw_inputs(pipeline, catalog) -> list[tuple[str, str]]:
    """(dataset, table) for each raw input of `pipeline` that the catalog defines."""
    inputs = []
    for name in sorted(pipeline.inputs()):
        if name.startswith(RAW_PREFIX) and name in catalog:
            inputs.append((name, name[len(RAW_PREFIX) :].split("@", 1)[0]))
    return inputs


def missing_raw_tables(pipeline, catalog) -> list[str]:
    """'table (dataset -> where)' for each raw input of `pipeline` that `catalog` cannot find.

    Raw tables another node of the same pipeline writes (data_generation) are not inputs, so a
    full run on a fresh checkout passes.
    """
    return [
        f"{table} ({name} -> {dataset_location(catalog, name)})"
        for name, table in _raw_inputs(pipeline, catalog)
        if not _exists(catalog, name)
    ]


def _exists(catalog, name: str) -> bool:
    """Whether a dataset exists; one whose check fails is taken as there (and reported if unreadable)."""
    try:
        return dataset_exists(catalog.get(name))
    except Exception:  # noqa: BLE001 - e.g. a dataset whose own check reads the file to tell
        return True


def read_schema(data) -> None:
    """Read a loaded table's schema now (a Spark Connect DataFrame analyses its plan only when asked)."""
    if hasattr(data, "schema"):
        data.schema  # noqa: B018


def unreadable_raw_tables(pipeline, catalog) -> list[str]:
    """'table (dataset -> where): reason' for each raw input that exists but cannot be opened."""
    problems = []
    for name, table in _raw_inputs(pipeline, catalog):
        try:
            read_schema(catalog.load(name))
        except Exception as error:
            cause = error
            while cause.__cause__ is not None:  # Kedro's DatasetError wraps the reader's error
                cause = cause.__cause__
            logger.debug("Reading raw table %s (%s) failed.", table, name, exc_info=error)
            problems.append(f"{table} ({name} -> {dataset_location(catalog, name)}): {first_line(cause)}")
    return problems


class RawTablesHook:
    """Check that every raw table the pipeline reads exists and opens before the first node runs."""

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Raise naming every missing raw table, else every unreadable one, with dataset and path."""
        missing = missing_raw_tables(pipeline, catalog)
        if missing:
            raise MissingRawTableError(
                "Raw tables not found: "
                + "; ".join(missing)
                + ". Generate them with `kedro run --pipelines data_generation`, or point "
                "raw_<table>@spark at your logs in conf/<env>/catalog.yml (docs/data-contract.md)."
            )
        unreadable = unreadable_raw_tables(pipeline, catalog)
        if unreadable:
            raise UnreadableRawTableError(
                "Raw tables that cannot be read: "
                + "; ".join(unreadable)
                + ". Expected each to be what its catalog entry's file_format says (parquet: one "
                "file or a folder of part files; csv: with `load_args: {header: true}`); rewrite "
                "or replace the file, or fix conf/<env>/catalog.yml. Spark's stack trace is in "
                "the debug log."
            )
