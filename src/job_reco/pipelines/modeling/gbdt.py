"""The gradient-boosted baseline: LambdaMART (xgboost `rank:ndcg`) with its PySpark estimator, same features and splits.

What a practitioner would try first on tabular ranking data. It gets exactly the ranker's inputs
(the document vectors, their product and cosine, the side features, built by the ranker's saved
layout), the same training rows and graded labels (application 2, click 1, shown 0), and stops
early on nDCG of the same validation slice. Unlike the ranker it is not told about position bias:
that is how a practitioner would run it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pyspark.ml.functions import array_to_vector
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from job_reco.columns import JOB_ID, LABEL, RESUME_ID, SEARCH_ID, SUBSET, VALIDATION, score_column
from job_reco.pipelines.modeling.ranker_inputs import APPLIED, TRAINING_SOURCE
from job_reco.pipelines.modeling.ranker_training import ranker_columns, row_inputs
from job_reco.spark_udf import bind

logger = logging.getLogger(__name__)

GBDT = "gbdt"
_QID, _GAIN, _FEATURES, _IS_VALIDATION = "_qid", "_gain", "_features", "_is_validation"


def _feature_batches(batches: Iterator[pd.DataFrame], *, layout, keep) -> Iterator[pd.DataFrame]:
    for frame in batches:
        features, cosine, _ = row_inputs(frame, layout)
        out = frame[list(keep)].copy()
        out[_FEATURES] = list(np.concatenate([features, cosine[:, None]], axis=1))
        yield out


def gbdt_rows(rows: DataFrame, layout: Mapping[str, Any], keep: tuple[str, ...]) -> DataFrame:
    """`rows[keep]` with `_features`, a vector of the ranker's inputs (by its layout) plus cosine."""
    _, columns = ranker_columns(rows, layout["side_features"])
    schema = ", ".join(f"{c} {dict(rows.dtypes)[c]}" for c in keep) + f", {_FEATURES} array<float>"
    body = bind(_feature_batches, layout=dict(layout), keep=tuple(keep))
    featured = rows.select(*sorted(set(columns) | set(keep))).mapInPandas(body, schema)
    return featured.withColumn(_FEATURES, array_to_vector(F.col(_FEATURES)))


def train_gbdt(
    ranker_inputs: DataFrame, ranker_layout: Mapping[str, Any], gbdt: Mapping[str, Any], max_rows: int, seed: int
) -> tuple[Any, dict[str, Any]]:
    """Fit SparkXGBRanker on the training rows (early stopping on the validation subset); the model and its summary."""
    from xgboost.spark import SparkXGBRanker  # noqa: PLC0415

    rows = ranker_inputs.filter(F.col(TRAINING_SOURCE) == F.lit("training"))
    total = rows.count()
    if total > max_rows:  # whole searches, seeded
        share = max_rows / total
        rows = rows.filter(F.pmod(F.xxhash64(SEARCH_ID, F.lit(int(seed))), F.lit(10_000)) < F.lit(int(share * 10_000)))
    gain = F.when(F.col(APPLIED) > 0, F.lit(2)).when(F.col(LABEL) > 0, F.lit(1)).otherwise(F.lit(0))
    # xgboost wants int32 query ids in non-decreasing order: number the groups (not the impressions).
    groups = rows.select(SEARCH_ID, RESUME_ID).distinct()
    groups = groups.withColumn(_QID, F.row_number().over(Window.orderBy(SEARCH_ID, RESUME_ID)).cast("int"))
    prepared = (
        rows.join(groups, on=[SEARCH_ID, RESUME_ID])
        .withColumn(_GAIN, gain)
        .withColumn(_IS_VALIDATION, F.col(SUBSET) == F.lit(VALIDATION))
    )
    # One order whatever the partitioning (subsampling picks rows by position): by group, then job.
    featured = gbdt_rows(prepared, ranker_layout, (_QID, JOB_ID, _GAIN, _IS_VALIDATION)).repartition(1).sortWithinPartitions(_QID, JOB_ID)
    settings = {k: v for k, v in gbdt.items() if k != "num_workers"}
    estimator = SparkXGBRanker(
        features_col=_FEATURES, label_col=_GAIN, qid_col=_QID, validation_indicator_col=_IS_VALIDATION,
        num_workers=int(gbdt.get("num_workers", 1)), random_state=int(seed), objective="rank:ndcg", **settings,
    )
    model = estimator.fit(featured)
    booster = model.get_booster()
    summary = {"rows_available": int(total), "trees": int(booster.num_boosted_rounds()), "params": dict(settings)}
    best = getattr(booster, "best_iteration", None)
    summary["best_iteration"] = None if best is None else int(best)
    logger.info("GBDT (xgboost rank:ndcg): %d trees (best %s), %d training rows available.", summary["trees"], best, total)
    return model, summary


def predict_gbdt(rows: DataFrame, gbdt_model: Any, ranker_layout: Mapping[str, Any], keys: tuple[str, ...]) -> DataFrame:
    """`rows[keys]` with score_gbdt, the fitted xgboost ranker's margin."""
    prediction = F.col(gbdt_model.getOrDefault(gbdt_model.getParam("predictionCol")))
    return gbdt_model.transform(gbdt_rows(rows, ranker_layout, keys)).select(*keys, prediction.cast("double").alias(score_column(GBDT)))


def score_gbdt(scored: DataFrame, ranker_inputs: DataFrame, gbdt_model: Any, ranker_layout: Mapping[str, Any]) -> DataFrame:
    """`scored` (the test split) with score_gbdt, the xgboost ranker's margin; -1e9 where a row has no vectors."""
    keys = (SEARCH_ID, RESUME_ID, JOB_ID)
    test = ranker_inputs.filter((F.col(TRAINING_SOURCE) == "evaluation") & (F.col(SUBSET) == F.lit("test")))
    predicted = predict_gbdt(test, gbdt_model, ranker_layout, keys)
    joined = scored.join(predicted, on=list(keys), how="left")
    return joined.withColumn(score_column(GBDT), F.coalesce(F.col(score_column(GBDT)), F.lit(-1e9)))


def export_gbdt_booster(gbdt_model: Any) -> str:
    """The trained booster as xgboost's JSON model (loadable with xgboost.Booster().load_model)."""
    return bytes(gbdt_model.get_booster().save_raw("json")).decode("utf-8")

