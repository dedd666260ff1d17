"""The gradient-boosted baseline: LambdaMART (xgboost `rank:ndcg`), same features and splits, trained in one Spark task.

What a practitioner would try first on tabular ranking data. It gets exactly the ranker's inputs
(the document vectors, their product and cosine, the side features, built by the ranker's saved
layout), the same training rows and graded labels (application 2, click 1, shown 0), and stops
early on nDCG of the same validation slice. Unlike the ranker it is not told about position bias:
that is how a practitioner would run it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import JOB_ID, LABEL, RESUME_ID, SEARCH_ID, SUBSET, VALIDATION, score_column
from job_reco.models.features import lambdamart_matrix
from job_reco.pipelines.modeling.ranker_inputs import APPLIED, TRAINING_SOURCE, sample_searches
from job_reco.models.ranker_layout import row_inputs
from job_reco.pipelines.modeling.ranker_training import ranker_columns
from job_reco.spark_udf import bind, pandas_batches_in_arrow, pandas_in_arrow

logger = logging.getLogger(__name__)

GBDT = "gbdt"
_GAIN, _IS_VALIDATION = "_gain", "_is_validation"
_FIT_RESULT = T.StructType([T.StructField("booster", T.BinaryType()), T.StructField("trees", T.IntegerType()),
                            T.StructField("best_iteration", T.IntegerType()), T.StructField("rows", T.LongType()),
                            T.StructField("seconds", T.DoubleType())])


def gbdt_features(frame: pd.DataFrame, layout: Mapping[str, Any]) -> np.ndarray:
    """float32 (n, width + 1): the ranker's inputs (by its layout) plus cosine, what LambdaMART reads."""
    features, cosine, _ = row_inputs(frame, layout)
    return lambdamart_matrix(features, cosine)


def _fit_booster(features: np.ndarray, gain: np.ndarray, qid: np.ndarray, n_train: int, settings: Mapping[str, Any], seed: int):
    """LambdaMART on the first `n_train` rows, early stopping on the rest; rows grouped by `qid` (non-decreasing in each part).

    The settings are XGBRanker's, turned into xgboost's own by XGBRanker itself; `xgboost.train` on
    a DMatrix gives the booster `XGBRanker.fit` gives, byte for byte, without the QuantileDMatrix
    the scikit-learn interface sketches first (1M rows x 166 at `large`: 36 s -> 31.5 s).
    """
    import xgboost  # noqa: PLC0415
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    ranker = xgboost.XGBRanker(objective="rank:ndcg", random_state=int(seed), **settings)
    params = {key: value for key, value in ranker.get_xgb_params().items() if value is not None}
    threads = int(settings.get("n_jobs") or 1)
    # Spark sets OMP_NUM_THREADS=spark.task.cpus in its Python workers, and xgboost never runs more
    # OpenMP threads than that: without this, n_jobs had no effect inside the task.
    with threadpool_limits(limits=threads, user_api="openmp"):
        train = xgboost.DMatrix(features[:n_train], gain[:n_train], qid=qid[:n_train], nthread=threads)
        evals = ([(xgboost.DMatrix(features[n_train:], gain[n_train:], qid=qid[n_train:], nthread=threads), "validation_0")]
                 if n_train < len(features) else [])
        return xgboost.train(params, train, num_boost_round=ranker.get_num_boosting_rounds(), evals=evals,
                             early_stopping_rounds=ranker.early_stopping_rounds if evals else None, verbose_eval=False)


def _fit_task(frame: pd.DataFrame, *, layout: dict, settings: dict, seed: int) -> pd.DataFrame:
    """One Spark task: the training rows, then the validation rows, each in one fixed order (group, then
    job); their features; the booster as raw JSON."""
    keys = frame[[_IS_VALIDATION, SEARCH_ID, RESUME_ID, JOB_ID]].sort_values(
        [_IS_VALIDATION, SEARCH_ID, RESUME_ID, JOB_ID], kind="mergesort")
    order = keys.index.to_numpy()
    # xgboost wants query ids in non-decreasing order: the groups numbered in that order
    qid = keys.groupby([SEARCH_ID, RESUME_ID], sort=False, dropna=False).ngroup().to_numpy(np.int32)
    # only the key columns are sorted: the features are built once and reordered, slices feed xgboost
    features = gbdt_features(frame, layout)[order]
    n_train = int((~keys[_IS_VALIDATION].to_numpy(bool)).sum())
    started = time.perf_counter()
    booster = _fit_booster(features, frame[_GAIN].to_numpy()[order], qid, n_train, settings, seed)
    seconds = time.perf_counter() - started
    best = getattr(booster, "best_iteration", None)
    return pd.DataFrame([{"booster": bytes(booster.save_raw("json")), "trees": int(booster.num_boosted_rounds()),
                          "best_iteration": -1 if best is None else int(best), "rows": n_train, "seconds": seconds}])


def train_gbdt(
    ranker_inputs: DataFrame, ranker_layout: Mapping[str, Any], gbdt: Mapping[str, Any], max_rows: int, seed: int
) -> tuple[bytes, dict[str, Any]]:
    """Fit xgboost's LambdaMART on the training rows in one Spark task (early stopping on the validation subset).

    One task and one fixed row order: xgboost's PySpark estimator (SparkXGBRanker) gave different
    trees on two runs of the same data (its input order depends on Spark's partitioning), and the
    same parameters must give the same metrics. The task builds the features from the ranker's
    inputs itself, as the ranker's task does. Returns the booster (xgboost JSON bytes) and a summary.
    """
    rows, total = sample_searches(ranker_inputs.filter(F.col(TRAINING_SOURCE) == F.lit("training")), max_rows, seed)
    gain = F.when(F.col(APPLIED) > 0, F.lit(2)).when(F.col(LABEL) > 0, F.lit(1)).otherwise(F.lit(0))
    _, columns = ranker_columns(rows, ranker_layout["side_features"])
    prepared = rows.select(*columns, gain.alias(_GAIN), (F.col(SUBSET) == F.lit(VALIDATION)).alias(_IS_VALIDATION))
    settings = dict(gbdt)
    body = bind(_fit_task, layout=dict(ranker_layout), settings=settings, seed=int(seed))
    result = prepared.withColumn("_one", F.lit(1)).groupBy("_one").applyInArrow(
        pandas_in_arrow(body, _FIT_RESULT), _FIT_RESULT
    ).first()
    best = None if result["best_iteration"] < 0 else int(result["best_iteration"])
    # samples/s as the ranker counts them: training rows x passes (trees) over the fit's seconds
    rate = int(result["rows"]) * int(result["trees"]) / float(result["seconds"]) if result["seconds"] else None
    summary = {"rows_available": int(total), "rows_train": int(result["rows"]), "trees": int(result["trees"]),
               "best_iteration": best, "seconds": round(float(result["seconds"]), 3),
               "samples_per_second": round(rate) if rate else None, "params": dict(settings)}
    logger.info("GBDT (xgboost rank:ndcg): %d trees (best %s) on %d training rows (%d available), %s samples/s.",
                summary["trees"], best, summary["rows_train"], total, summary["samples_per_second"])
    return bytes(result["booster"]), summary


def _predict_batches(batches, *, booster: bytes, layout: dict, keys: tuple[str, ...]):
    import xgboost  # noqa: PLC0415

    model = xgboost.Booster(model_file=bytearray(booster))
    for frame in batches:
        out = frame[list(keys)].copy()
        out[score_column(GBDT)] = (model.predict(xgboost.DMatrix(gbdt_features(frame, layout)), output_margin=True)
                                   .astype(np.float64) if len(frame) else [])
        yield out


def predict_gbdt(rows: DataFrame, gbdt_model: bytes, ranker_layout: Mapping[str, Any], keys: tuple[str, ...]) -> DataFrame:
    """`rows[keys]` with score_gbdt, the booster's margin (numpy in mapInArrow batches; the booster travels with the task)."""
    _, columns = ranker_columns(rows, ranker_layout["side_features"])
    schema = T.StructType([rows.schema[c] for c in keys] + [T.StructField(score_column(GBDT), T.DoubleType())])
    body = bind(_predict_batches, booster=bytes(gbdt_model), layout=dict(ranker_layout), keys=tuple(keys))
    return rows.select(*sorted(set(columns) | set(keys))).mapInArrow(pandas_batches_in_arrow(body, schema), schema)


def score_gbdt(scored: DataFrame, ranker_inputs: DataFrame, gbdt_model: Any, ranker_layout: Mapping[str, Any]) -> DataFrame:
    """`scored` (the test split) with score_gbdt, the xgboost ranker's margin; -1e9 where a row has no vectors."""
    keys = (SEARCH_ID, RESUME_ID, JOB_ID)
    test = ranker_inputs.filter((F.col(TRAINING_SOURCE) == "evaluation") & (F.col(SUBSET) == F.lit("test")))
    predicted = predict_gbdt(test, gbdt_model, ranker_layout, keys)
    joined = scored.join(predicted, on=list(keys), how="left")
    return joined.withColumn(score_column(GBDT), F.coalesce(F.col(score_column(GBDT)), F.lit(-1e9)))


def export_gbdt_booster(gbdt_model: bytes) -> str:
    """The trained booster as xgboost's JSON model (loadable with xgboost.Booster().load_model)."""
    return bytes(gbdt_model).decode("utf-8")

