"""The progress lines long steps log: rows done, rate and time left, at most every `every_s` seconds."""

import logging
import time

from job_reco.progress import Progress, ReportedStageTasks, SparkStageTasks, SparkTaskProgress, duration


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_duration_reads_like_people_write_it():
    assert [duration(s) for s in (42.4, 185, 4320)] == ["42 s", "3 min 5 s", "1 h 12 min"]


def test_progress_logs_rate_and_time_left_every_interval_and_at_the_end(caplog):
    clock = Clock()
    progress = Progress("truth_impressions", 1000, unit="searches", every_s=30, clock=clock)
    with caplog.at_level(logging.INFO, logger="job_reco.progress"):
        clock.now = 10.0
        progress.update(100)  # 10 s since the start: too soon for a line
        clock.now = 40.0
        progress.update(300)  # 400 in 40 s: 10/s, 600 left -> 60 s
        clock.now = 50.0
        progress.update(600)  # the total: a line whatever the time
    assert caplog.messages == [
        "truth_impressions: 400 / 1,000 searches (40%), 10 searches/s, 1 min 0 s left",
        "truth_impressions: 1,000 / 1,000 searches (100%), 20 searches/s, done",
    ]


def test_progress_without_a_total_logs_rows_and_rate():
    clock = Clock()
    progress = Progress("batches", None, clock=clock)
    clock.now = 4.0
    progress.update(8)
    assert progress.line() == "batches: 8 rows, 2 rows/s, 4 s so far"


class Stage:
    def __init__(self, tasks, completed):
        self.numTasks, self.numCompletedTasks = tasks, completed


class Job:
    def __init__(self, job_id, stage_ids, status):
        self.jobId, self.stageIds, self.status = job_id, stage_ids, status


class Tracker:
    """A status tracker whose jobs ({job id: (stage ids, status)}) and stages ({stage id: (tasks, completed)}) the test sets."""

    def __init__(self, jobs=None, stages=None):
        self.jobs, self.stages = dict(jobs or {}), dict(stages or {})

    def getJobIdsForGroup(self, group=None):
        return list(self.jobs)

    def getJobInfo(self, job):
        return Job(job, *self.jobs[job]) if job in self.jobs else None

    def getStageInfo(self, stage):
        return Stage(*self.stages[stage]) if stage in self.stages else None


def test_spark_task_progress_counts_the_stages_of_the_jobs_begun_and_logs_every_interval(caplog):
    clock = Clock()
    tracker = Tracker(jobs={0: ([0], "SUCCEEDED")}, stages={0: (3, 3)})  # a job before the step: not counted
    watcher = SparkTaskProgress(SparkStageTasks(tracker), "train_cluster_models", every_s=30, clock=clock)
    watcher.tasks.start()
    with caplog.at_level(logging.INFO, logger="job_reco.progress"):
        tracker.jobs[1] = ([7, 8], "RUNNING")
        tracker.stages.update({7: (4, 0), 8: (8, 0)})
        clock.now = 5.0
        watcher.tick()  # 0 of 12 at 5 s: too soon for a line
        tracker.stages.update({7: (4, 4), 8: (8, 2)})
        clock.now = 30.0
        watcher.tick()  # 6 of 12 tasks in 30 s: 0.2/s, 6 left -> 30 s
        tracker.stages[8] = (8, 4)
        clock.now = 45.0
        watcher.tick()  # 15 s since the last line: none
    assert watcher.tasks.stages == {7: (4, 4), 8: (8, 4)}
    assert caplog.messages == ["train_cluster_models: 6 / 12 Spark tasks (50%), 0.2 Spark tasks/s, 30 s left"]


def test_a_job_that_ended_between_two_polls_is_counted_and_its_skipped_stages_left_out():
    tasks = SparkStageTasks(Tracker())
    tasks.start()
    assert tasks.poll() is None
    # One job began and ended unseen: stage 3 ran its 2 tasks, stage 2 was skipped (its shuffle output existed).
    tasks.tracker.jobs[5] = ([2, 3], "SUCCEEDED")
    tasks.tracker.stages.update({2: (4, 0), 3: (2, 2)})
    assert tasks.poll() == (2, 2)
    tasks.tracker.stages[3] = (2, 0)  # an ended job is read once
    assert tasks.poll() == (2, 2)


def test_spark_task_progress_runs_a_thread_until_the_step_ends():
    tracker = Tracker()
    with SparkTaskProgress(SparkStageTasks(tracker), "score", every_s=30, poll_s=0.01) as watcher:
        tracker.jobs[1] = ([1], "RUNNING")
        tracker.stages[1] = (2, 1)
        deadline = time.monotonic() + 5
        while not watcher.tasks.stages and time.monotonic() < deadline:
            time.sleep(0.01)
    assert watcher.tasks.stages == {1: (2, 1)}
    assert not watcher._thread.is_alive()


class StageInfo:
    """A stage as a Spark Connect progress report gives it (pyspark.sql.connect.shell.progress.StageInfo)."""

    def __init__(self, stage_id, num_tasks, num_completed_tasks, done=False):
        self.stage_id, self.num_tasks, self.num_completed_tasks, self.done = stage_id, num_tasks, num_completed_tasks, done


class ConnectSession:
    """A session that keeps the progress handlers registered with it, as a Spark Connect session does."""

    def __init__(self):
        self.handlers = []

    def registerProgressHandler(self, handler):
        self.handlers.append(handler)

    def removeProgressHandler(self, handler):
        self.handlers.remove(handler)


def test_reported_stage_tasks_count_what_a_spark_connect_session_reports(caplog):
    session, clock = ConnectSession(), Clock()
    watcher = SparkTaskProgress(ReportedStageTasks(session), "score_test_impressions", every_s=30, poll_s=60,
                                clock=clock)
    with caplog.at_level(logging.INFO, logger="job_reco.progress"), watcher:
        (handler,) = session.handlers
        # Called by PySpark with keywords, in the thread that runs the query.
        handler(stages=[StageInfo(3, 4, 1)], inflight_tasks=2, operation_id="op-1", done=False)
        handler(stages=[StageInfo(3, 4, 4, done=True), StageInfo(4, 8, 2)], inflight_tasks=2, operation_id="op-1",
                done=False)
        clock.now = 30.0
        watcher.tick()  # 6 of 12 in 30 s
        handler(stages=[StageInfo(3, 4, 4, done=True), StageInfo(4, 8, 6)], inflight_tasks=0, operation_id="op-1",
                done=True)  # the query ended: its stages are finished
        handler(stages=None, inflight_tasks=0, operation_id="op-2", done=True)  # a query with no stages reported
        assert watcher.tasks.poll() == (12, 12)
    assert session.handlers == []
    assert caplog.messages[0] == "score_test_impressions: 6 / 12 Spark tasks (50%), 0.2 Spark tasks/s, 30 s left"


def test_a_progress_report_that_cannot_be_read_does_not_fail_the_query():
    tasks = ReportedStageTasks(ConnectSession())
    tasks(stages=[object()], inflight_tasks=0, operation_id="op", done=False)
    assert tasks.poll() is None
