"""The hook that builds the SparkSession of a Kedro context from its env's spark.yml."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl

from job_reco.spark_session import build_spark_session


class SparkHooks:
    """Build the SparkSession before any dataset is loaded."""

    @hook_impl
    def after_context_created(self, context) -> None:
        """Initialise the SparkSession from the `spark` configuration of the active environment."""
        build_spark_session(dict(context.config_loader["spark"]), app_name=context.project_path.name)
