"""Progress of a long step for the people watching the log: rows done, rate and time left.

A step that works through many rows in pieces (generation's parts of searches, training's batches,
scoring's or recommend's batches) makes one `Progress` and calls `update(rows)` after each piece; a
line is logged when `every_s` seconds have passed since the last one, and at the end:

    truth_impressions: 1,200,000 / 10,000,000 impressions (12%), 95,000 impressions/s, 1 min 33 s left

Work that runs in Spark tasks (training, scoring, the joins) is watched from the driver instead:
`SparkTaskProgress` counts the tasks of the stages a Kedro node began (`hooks.SparkProgressHook`
starts one per node), so a long node logs its tasks done, their rate and the time left. A classic
session's stages are polled from its status tracker (`SparkStageTasks`); a Spark Connect session
has none and reports its stages to a progress handler instead (`ReportedStageTasks`):

    modeling.train_cluster_models: 3 / 8 Spark tasks (38%), 0.05 Spark tasks/s, 1 min 40 s left
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Self

_logger = logging.getLogger(__name__)


def duration(seconds: float) -> str:
    """Seconds as people read them: '42 s', '3 min 5 s', '1 h 12 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def rate_text(per_second: float) -> str:
    """A rate as people read it: '95,000' for many per second, '0.2' for a few."""
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.2g}"


class Progress:
    """Counts rows done against an expected total and logs rows, rate and time left every `every_s` s.

    `total` may be None (unknown): then no share and no time left are logged. `clock` is for tests.
    """

    def __init__(
        self, what: str, total: int | None, *, unit: str = "rows", every_s: float = 30.0,
        logger: logging.Logger | None = None, clock: Callable[[], float] = time.monotonic,
    ):
        self.what, self.total, self.unit, self.every_s = what, total, unit, float(every_s)
        self.logger, self.clock = logger or _logger, clock
        self.done = 0
        self.started = self.last_logged = clock()

    def update(self, rows: int) -> None:
        """Add `rows` done; log a line if `every_s` has passed since the last one or the total is reached."""
        self.done += int(rows)
        self._log_if_due(always=self.total is not None and self.done >= self.total)

    def report(self, done: int, total: int | None) -> None:
        """Set the counts from outside (a watcher); log a line only if `every_s` has passed since the last one."""
        self.done, self.total = int(done), total
        self._log_if_due()

    def _log_if_due(self, *, always: bool = False) -> None:
        now = self.clock()
        if always or now - self.last_logged >= self.every_s:
            self.last_logged = now
            self.logger.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """The progress line: '<what>: done / total unit (share), rate unit/s, time left'."""
        elapsed = max((self.clock() if now is None else now) - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.what}: {self.done:,}"
        if self.total is None:
            return f"{text} {self.unit}, {rate_text(rate)} {self.unit}/s, {duration(elapsed)} so far"
        share = self.done / max(self.total, 1)
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        left_text = "done" if self.done >= self.total else (
            f"{duration(left)} left" if left != float("inf") else "time left unknown")
        return f"{text} / {self.total:,} {self.unit} ({share:.0%}), {rate_text(rate)} {self.unit}/s, {left_text}"


class EveryFewSeconds:
    """A context manager that calls `tick()` in a thread when the block starts and every `interval_s` s until it ends."""

    def __init__(self, interval_s: float, name: str):
        self.interval_s = float(interval_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def tick(self) -> None:
        """What to do each time (subclasses)."""
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            self.tick()
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _totals(stages: dict[int, tuple[int, int]]) -> tuple[int, int] | None:
    """(tasks done, tasks) over {stage id: (tasks, tasks completed)}, None before the first stage."""
    if not stages:
        return None
    return sum(done for _, done in stages.values()), sum(tasks for tasks, _ in stages.values())


class SparkStageTasks:
    """The tasks done and in all the stages of the Spark jobs begun since `start()`, read from a status tracker.

    A job names all its stages when it begins, and the tracker keeps a job's stages and their task
    counts after it ended, so a job quicker than a poll is counted as well. Once a job succeeded, a
    stage of it with no task completed was skipped (its shuffle output was there already) and leaves
    the count. Jobs in a job group are not followed. `tracker` is a classic SparkContext's status
    tracker (`spark_session.stage_tasks` picks it; Spark Connect has none).
    """

    def __init__(self, tracker: Any):
        self.tracker = tracker
        self.stages: dict[int, tuple[int, int]] = {}  # stage id: (tasks, tasks completed)
        self._jobs_before: set[int] = set()
        self._jobs_ended: set[int] = set()

    def start(self) -> None:
        """Remember the jobs begun so far: only later ones count."""
        self._jobs_before = set(self.tracker.getJobIdsForGroup())

    def stop(self) -> None:
        """Nothing to unregister."""

    def poll(self) -> tuple[int, int] | None:
        """(tasks done, tasks) of the stages of the jobs begun since `start()`, None before the first one."""
        for job in sorted(set(self.tracker.getJobIdsForGroup()) - self._jobs_before - self._jobs_ended):
            info = self.tracker.getJobInfo(job)
            if info is not None:
                self._read_stages(info)
        return _totals(self.stages)

    def _read_stages(self, job: Any) -> None:
        ended = job.status in ("SUCCEEDED", "FAILED")
        for stage in job.stageIds:
            info = self.tracker.getStageInfo(stage)
            if info is None:
                continue
            if job.status == "SUCCEEDED" and info.numCompletedTasks == 0 and info.numTasks > 0:
                self.stages.pop(stage, None)  # skipped
            else:
                self.stages[stage] = (info.numTasks, info.numCompletedTasks)
        if ended:
            self._jobs_ended.add(job.jobId)


class ReportedStageTasks:
    """The tasks done and in all of the Spark stages a Spark Connect session reported since `start()`.

    A Spark Connect server sends the progress of each query's stages while the query runs; PySpark
    hands it to the callables given to `SparkSession.registerProgressHandler` (PySpark 4), this object
    among them, in the thread that runs the query. A stage marked done, or one of a query that ended,
    has finished all its tasks. `poll()` may be called from another thread.
    """

    def __init__(self, session: Any):
        self.session = session
        self.stages: dict[int, tuple[int, int]] = {}  # stage id: (tasks, tasks completed)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Register with the session: every query from now on reports its stages here."""
        self.session.registerProgressHandler(self)

    def stop(self) -> None:
        """Stop the reports."""
        self.session.removeProgressHandler(self)

    def __call__(self, stages: Any = None, inflight_tasks: int = 0, operation_id: str | None = None,
                 done: bool = False) -> None:
        """Record the stages of a report; never raises (an error here would fail the query)."""
        try:
            with self._lock:
                for stage in stages or ():
                    finished = done or stage.done
                    self.stages[stage.stage_id] = (
                        stage.num_tasks, stage.num_tasks if finished else stage.num_completed_tasks)
        except Exception:  # noqa: BLE001 - progress is for the log only
            _logger.debug("Unreadable Spark Connect progress report: %r", stages, exc_info=True)

    def poll(self) -> tuple[int, int] | None:
        """(tasks done, tasks) of the stages reported so far, None before the first one."""
        with self._lock:
            return _totals(self.stages)


class SparkTaskProgress(EveryFewSeconds):
    """While a step runs, logs every `every_s` s the Spark tasks done of the stages begun since it started.

    The work of a Spark step happens in tasks that the driver only waits for (training one model per
    cluster, scoring, joins): a thread polls `tasks` (a `SparkStageTasks` or `ReportedStageTasks`)
    every `poll_s` s and logs through `Progress`; the time left is that of the stages begun so far.
    """

    def __init__(self, tasks: SparkStageTasks | ReportedStageTasks, what: str, *, every_s: float = 30.0,
                 poll_s: float = 1.0, logger: logging.Logger | None = None,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(poll_s, name=f"progress of {what}")
        self.tasks = tasks
        self.progress = Progress(what, 0, unit="Spark tasks", every_s=every_s, logger=logger, clock=clock)

    def __enter__(self) -> Self:
        self.tasks.start()
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self.tasks.stop()

    def tick(self) -> None:
        """Poll the stages' counts and report them."""
        counts = self.tasks.poll()
        if counts is not None:
            self.progress.report(*counts)
