"""The bucketed ranking metrics on Spark (job_reco.metrics.spark) against hand-worked values and the pandas path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from job_reco import metrics
from job_reco.metrics import spark as spark_metrics
from job_reco.columns import LABEL, POSITION, RESUME_ID, SEARCH_ID

PROPENSITY = {"1": 1.0, "2": 0.5, "3": 0.25}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    # Group (s1, r1): click at position 2 (weight 2); (s2, r2): click at position 3 (weight 4); (s3, r3): no click.
    # score_a ranks both clicks first; score_b is the displayed order.
    return pd.DataFrame({
        SEARCH_ID: ["s1"] * 3 + ["s2"] * 3 + ["s3"] * 2,
        RESUME_ID: ["r1"] * 3 + ["r2"] * 3 + ["r3"] * 2,
        POSITION: [1, 2, 3, 1, 2, 3, 1, 2],
        LABEL: [0, 1, 0, 0, 0, 1, 0, 0],
        "score_a": [0.1, 0.9, 0.2, 0.3, 0.2, 0.8, 0.5, 0.4],
        "score_b": [-1.0, -2.0, -3.0, -1.0, -2.0, -3.0, -1.0, -2.0],
    })


def test_ips_mrr_sums_by_hand(spark, frame):
    sums = spark_metrics.ips_mrr_sums(spark.createDataFrame(frame), ["score_a", "score_b"], PROPENSITY, 10.0)
    assert sums["score_a"] == pytest.approx({"ips_numerator": 6.0, "ips_denominator": 6.0, "reciprocal_rank_sum": 2.0,
                                             "groups": 3, "clicks": 2, "rows": 8})
    # score_b: 2 / 2 + 4 / 3 over weights 6; reciprocal ranks 1/2 + 1/3 + 0.
    assert sums["score_b"]["ips_numerator"] / sums["score_b"]["ips_denominator"] == pytest.approx((1 + 4 / 3) / 6)
    assert sums["score_b"]["reciprocal_rank_sum"] == pytest.approx(5 / 6)
    assert spark_metrics.ips_mrr_sums(spark.createDataFrame(frame).limit(0), ["score_a"], PROPENSITY, 10.0) == {}


def test_ips_mrr_sums_equal_the_pandas_metrics_whatever_the_buckets(spark, frame):
    rng = np.random.default_rng(0)
    big = pd.concat([frame.assign(**{SEARCH_ID: frame[SEARCH_ID] + f"-{i}", "score_a": rng.random(len(frame))})
                     for i in range(40)], ignore_index=True)
    expected = metrics.ips_mrr(big, "score_a", PROPENSITY, 10.0)
    for buckets in (1, 7, 64):
        sums = spark_metrics.ips_mrr_sums(spark.createDataFrame(big), ["score_a"], PROPENSITY, 10.0, buckets=buckets)
        assert sums["score_a"]["ips_numerator"] / sums["score_a"]["ips_denominator"] == pytest.approx(expected, rel=1e-12)


def test_sum_group_metrics_skips_nan_and_counts_defined_values(spark):
    groups = pd.DataFrame({SEARCH_ID: ["a", "b", "c"], RESUME_ID: ["r", "r", "s"], "x": [1.0, np.nan, 2.5],
                           "k": ["u", "v", "u"]})
    totals = spark_metrics.sum_group_metrics(spark.createDataFrame(groups), ["x"])
    assert totals[["x", "x#n"]].iloc[0].tolist() == [3.5, 2.0]
    by_k = spark_metrics.sum_group_metrics(spark.createDataFrame(groups), ["x"], by=["k"])
    assert by_k.loc["u", "x"] == 3.5 and by_k.loc["v", "x#n"] == 0.0
