"""The hook that logs the Spark tasks of every long node."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl
from pyspark.sql import SparkSession

from job_reco.progress import SparkTaskProgress
from job_reco.spark_session import stage_tasks


class SparkProgressHook:
    """Log the Spark tasks of every node that runs longer than `progress.every_s` (parameters.yml).

    Kedro logs a node when it starts and when it ends; a Spark node (training, scoring, a join over
    the impressions) may run for minutes in between. A `SparkTaskProgress` watches each node's
    stages from the driver: a classic session's status tracker, or a Spark Connect session's
    progress reports (`spark_session.stage_tasks`).
    """

    def __init__(self) -> None:
        self.every_s = 30.0
        self._watchers: dict[str, SparkTaskProgress] = {}

    @hook_impl
    def after_context_created(self, context) -> None:
        """Read how often to log (`progress.every_s`, seconds) from the run's parameters."""
        self.every_s = float((context.params.get("progress") or {}).get("every_s", self.every_s))

    @hook_impl
    def before_node_run(self, node) -> None:
        """Start watching the node's Spark tasks."""
        session = SparkSession.getActiveSession()
        if session is None:
            return
        watcher = SparkTaskProgress(stage_tasks(session), node.name, every_s=self.every_s)
        self._watchers[node.name] = watcher.__enter__()

    @hook_impl
    def after_node_run(self, node) -> None:
        """Stop watching."""
        watcher = self._watchers.pop(node.name, None)
        if watcher is not None:
            watcher.__exit__(None, None, None)

    @hook_impl
    def on_node_error(self, node) -> None:
        """Stop watching a node that failed."""
        self.after_node_run(node)
