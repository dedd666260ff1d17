"""A hook that stops a run before any node when a raw table the pipeline reads does not exist.

Kedro on its own fails at the first missing file, once the nodes before it have run, with a
Spark stack trace. This check names every missing table at once, with its dataset and path.
settings.py registers it after SparkHooks, which builds the SparkSession the existence check reads with.
"""

from __future__ import annotations

from kedro.framework.hooks import hook_impl

RAW_PREFIX = "raw_"


class MissingRawTableError(FileNotFoundError):
    """One or more raw tables (data/01_raw/<table>.parquet or the catalog's path) are absent."""


def missing_raw_tables(pipeline, catalog) -> list[str]:
    """'table (dataset -> where)' for each raw input of `pipeline` that `catalog` cannot find.

    Raw tables another node of the same pipeline writes (data_generation) are not inputs, so a
    full run on a fresh checkout passes.
    """
    missing = []
    for name in sorted(pipeline.inputs()):
        if not name.startswith(RAW_PREFIX) or name not in catalog or catalog.exists(name):
            continue
        table = name[len(RAW_PREFIX) :].split("@", 1)[0]
        missing.append(f"{table} ({name} -> {catalog.get(name)})")
    return missing


class RawTablesHook:
    """Check that every raw table the pipeline reads exists before the first node runs."""

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Raise MissingRawTableError naming every missing raw table, its dataset and path."""
        missing = missing_raw_tables(pipeline, catalog)
        if missing:
            raise MissingRawTableError(
                "Raw tables not found: "
                + "; ".join(missing)
                + ". Generate them with `kedro run --pipelines data_generation`, or point "
                "raw_<table>@spark at your logs in conf/<env>/catalog.yml (docs/data-contract.md)."
            )
