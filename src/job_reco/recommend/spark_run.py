"""The CLI's Spark path: a SparkSession from the project's spark.yml, mapInPandas, and a progress bar over Spark's tasks."""

from __future__ import annotations

import threading
from pathlib import Path

from job_reco.recommend.recommender import JobRecommender
from job_reco.recommend.spark import recommend_on_spark


def spark_session(project: Path, env: str | None):
    """The session `kedro run` would build (conf/<env>/spark.yml over conf/base)."""
    from kedro.config import OmegaConfigLoader  # noqa: PLC0415

    from job_reco.config_loader import CONFIG_LOADER_ARGS  # noqa: PLC0415
    from job_reco.spark_session import build_spark_session  # noqa: PLC0415

    loader = OmegaConfigLoader(conf_source=str(project.resolve() / "conf"), env=env, **CONFIG_LOADER_ARGS)
    return build_spark_session(dict(loader["spark"]), app_name="job_reco_recommend")


def _watch_tasks(tasks, progress, task, done: threading.Event) -> None:
    """Advance the bar to Spark's finished tasks of the stages begun (`spark_session.stage_tasks`) until `done`."""
    while not done.wait(0.5):
        _show(tasks, progress, task)
    _show(tasks, progress, task)


def _show(tasks, progress, task) -> None:
    counts = tasks.poll()
    if counts is not None:
        progress.update(task, total=counts[1], completed=counts[0])


def run_on_spark(recommender: JobRecommender, resumes_path: str, k: int, output: str, *, project: Path, env: str | None) -> int:
    """Read the resumes, recommend in Spark tasks, write parquet; returns the number of rows written."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress  # noqa: PLC0415

    from job_reco.spark_session import stage_tasks  # noqa: PLC0415

    spark = spark_session(project, env)
    resumes = spark.read.parquet(str(Path(resumes_path).resolve()))
    result = recommend_on_spark(resumes, recommender, k)
    done, tasks = threading.Event(), stage_tasks(spark)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn()) as progress:
        task = progress.add_task("Spark tasks", total=None)
        watcher = threading.Thread(target=_watch_tasks, args=(tasks, progress, task, done), daemon=True)
        tasks.start()
        watcher.start()
        try:
            result.write.mode("overwrite").parquet(str(Path(output).resolve()))
        finally:
            done.set()
            watcher.join()
            tasks.stop()
    return spark.read.parquet(str(Path(output).resolve())).count()
