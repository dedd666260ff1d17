"""require_columns names the files a Spark frame was read from, and the default for hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from job_reco.validation import require_columns, source_of


def test_hand_made_frame_reports_the_default_location():
    with pytest.raises(ValueError, match=r"jobs is missing columns \['title'\].*\(data/jobs.parquet\)"):
        require_columns(pd.DataFrame({"job_id": ["J1"]}), ["job_id", "title"], "jobs", "data/jobs.parquet")


def test_spark_frame_reports_where_it_was_actually_read(spark, tmp_path):
    moved = tmp_path / "elsewhere" / "jobs.parquet"
    spark.createDataFrame([("J1",), ("J2",)], "job_id string").repartition(2).write.parquet(str(moved))
    frame = spark.read.parquet(str(moved))
    assert str(moved) in source_of(frame, "data/jobs.parquet")
    with pytest.raises(ValueError, match="elsewhere/jobs.parquet") as error:
        require_columns(frame, ["job_id", "title"], "jobs", "data/jobs.parquet")
    assert "data/jobs.parquet)" not in str(error.value)


def test_present_columns_pass_silently():
    require_columns(pd.DataFrame({"a": [1]}), ["a"], "t")
