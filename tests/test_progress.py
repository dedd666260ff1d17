"""The progress lines long steps log: rows done, rate and time left, at most every `every_s` seconds."""

import logging

from job_reco.progress import Progress, duration


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
