"""Training of modeling v2 in Spark tasks: the click model that yields the examination curve, then the ranker.

Each node hands all training rows to ONE Spark task (`applyInArrow` on a constant key; rows
above `max_rows` were sampled out by search, seeded, when `ranker_inputs` was assembled), which
trains with TensorFlow and returns one row: weights as bytes, the layout, the history.
Impressions never reach the driver.

The model's input layout is decided here once (`ranker_layout`) and saved with the model, so
scoring and `recommend` read it from the artifact instead of from parameters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco import metrics
from job_reco.columns import CLUSTER, JOB_ID, LABEL, POSITION, RESUME_ID, SEARCH_ID, SUBSET, TRAIN, VALIDATION
from job_reco.models.features import APPEAL_FEATURES, FEATURE_COLUMNS, available_features, feature_inputs, side_feature_matrix
from job_reco.models.ncf import NCFConfig, configure_tensorflow, ncf_click_probability
from job_reco.models.ncf_training import train_ncf
from job_reco.pipelines.modeling.ranker_inputs import (
    APPLIED,
    EXAMINATION,
    EXPECTED,
    TITLE_PAIR,
    TRAINING_SOURCE,
    examination_column,
)
from job_reco.models.ranker import RankerConfig, graded_targets, list_length, pack_groups, ranker_scores, train_ranker
from job_reco.models.ranker_layout import check_vector_blocks, ranker_layout, row_inputs
from job_reco.models.weights import weight_list_from_bytes, weight_list_to_bytes, weights_from_bytes, weights_to_bytes
from job_reco.spark_udf import bind, key_order, pandas_batches_in_arrow, pandas_in_arrow

logger = logging.getLogger(__name__)

_ONE = "_one"
RESULT_SCHEMA = T.StructType([T.StructField(name, T.BinaryType() if name == "weights" else T.StringType())
                              for name in ("weights", "layout", "history", "summary")])


def _sorted_subsets(frame: pd.DataFrame, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, validation) rows, each in a fixed order; whole searches sampled out (seeded) above max_rows.

    Only the keys are sorted: the vector columns are copied once, into their subset.
    """
    keys = frame[[SEARCH_ID, POSITION, JOB_ID, SUBSET]].reset_index(drop=True)
    keys = keys.take(key_order(keys, (SEARCH_ID, POSITION, JOB_ID)))
    if len(keys) > max_rows:
        kept = keys[SEARCH_ID].drop_duplicates().sample(frac=max_rows / len(keys), random_state=int(seed))
        keys = keys[keys[SEARCH_ID].isin(kept)]
    train, validation = (frame.take(keys.index[keys[SUBSET] == subset]) for subset in (TRAIN, VALIDATION))
    train.index, validation.index = pd.RangeIndex(len(train)), pd.RangeIndex(len(validation))  # reset_index would copy
    return train, validation


def _side_statistics(frame: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    matrix = side_feature_matrix(frame, names).astype(np.float64)
    if matrix.shape[1] == 0:
        return np.zeros(0), np.ones(0)
    std = matrix.std(axis=0)
    return matrix.mean(axis=0), np.where(std > 1e-9, std, 1.0)


def _one_task(rows: DataFrame, body, columns: Sequence[str]) -> pd.Series:
    """Run `body(pandas rows)` in one Spark task over `rows[columns]`; its single result row.

    The rows come from `ranker_inputs`, whose training rows `assemble_ranker_inputs` already sampled
    by search to `max_training_rows`; the task's exact cap (`_sorted_subsets`) trims what the hash share
    leaves above.
    """
    result = (
        rows.select(*columns).withColumn(_ONE, F.lit(1)).groupBy(_ONE)
        .applyInArrow(pandas_in_arrow(body, RESULT_SCHEMA), RESULT_SCHEMA)
        .toPandas()
    )
    if result.empty:
        raise ValueError("no training rows reached the training task (ranker_inputs is empty)")
    return result.iloc[0]


def ranker_columns(inputs: DataFrame, wanted_side: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """(the side features the inputs' columns allow, of `wanted_side` or all; the columns a training task needs)."""
    side = available_features(inputs.columns, wanted_side)
    off = sorted(set(wanted_side or FEATURE_COLUMNS) - set(side))
    if off:
        logger.info("Side features off for lack of columns: %s.", off)
    base = [SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, APPLIED, SUBSET, CLUSTER, "resume_vector", "job_vector"]
    needed = {c for name in side for c in feature_inputs(name, inputs.columns)}
    return side, base + sorted(needed - set(base))


def training_rows(ranker_inputs: DataFrame) -> DataFrame:
    """The rows the models learn from: every training-period search (source "training")."""
    return ranker_inputs.filter(F.col(TRAINING_SOURCE) == F.lit("training"))


def click_model_inputs(frame: pd.DataFrame, layout: Mapping[str, Any]) -> np.ndarray:
    """float32 (n, width + 1): the click model's inputs, the ranker's features (by `layout`) plus cosine."""
    features, cosine, _ = row_inputs(frame, layout)
    return np.concatenate([features, cosine[:, None]], axis=1)


def _click_model_arrays(frame: pd.DataFrame, side: list[str], max_rows: int, seed: int, blocks: Sequence[str] = ()):
    """(layout, (inputs, positions, labels) of the training rows, of the validation rows or None); the frames it
    copies die with it.

    The inputs are the ranker's (`ranker_layout`'s rule, with the same vector blocks) plus cosine.
    """
    train, validation = _sorted_subsets(frame, max_rows, seed)
    mean, std = _side_statistics(train, side)
    layout = {"vector_dimension": len(train["resume_vector"].iloc[0]), "blocks": check_vector_blocks(blocks),
              "side_features": side, "side_mean": [float(x) for x in mean], "side_std": [float(x) for x in std]}

    def arrays(rows):
        return click_model_inputs(rows, layout), rows[POSITION].to_numpy(), rows[LABEL].to_numpy()

    return layout, arrays(train), arrays(validation) if len(validation) else None


def _click_model_task(
    frame: pd.DataFrame, *, side: list[str], config: dict, max_rows: int, seed: int, threads: int | None = None,
    blocks: Sequence[str] = (),
) -> pd.DataFrame:
    """One task: PAL click model on every training row; returns its examination curve, weights and input layout."""
    layout, (inputs, positions, labels), validation = _click_model_arrays(frame, side, max_rows, seed, blocks)
    trained = train_ncf(
        inputs, positions, labels, config=NCFConfig(**config), seed=seed, validation=validation,
        threads=threads,  # a fixed TensorFlow thread count: the same data give the same weights
    )
    curve = {str(p): float(trained.examination[p]) for p in range(1, len(trained.examination)) if trained.position_rows[p] > 0}
    summary = {
        "rows_train": trained.n_train, "epochs_run": trained.epochs_run, "best_epoch": trained.best_epoch,
        "validation_auc": trained.validation_auc, "samples_per_second": trained.samples_per_second,
        "samples_per_cpu_second": trained.n_train * trained.epochs_run / trained.cpu_seconds if trained.cpu_seconds else None,
        "side_features": side, "curve": curve,
    }
    history = {k: [float(x) for x in v] for k, v in trained.history.items()}
    return pd.DataFrame([{"weights": weight_list_to_bytes(trained.weights), "layout": json.dumps(layout),
                          "history": json.dumps(history), "summary": json.dumps(summary)}])


def fit_click_model(
    ranker_inputs: DataFrame,
    network: Mapping[str, Any],
    training: Mapping[str, Any],
    max_position: int,
    side_features: Sequence[str] | None,
    vector_blocks: Sequence[str] | None,
    max_rows: int,
    tf_threads_per_task: int | None,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """PAL on every training row (P(click) = P(seen | position) x NCF(features)): (the examination curve and its
    run, the model: {"weights", "layout", "final_relu"})."""
    rows = training_rows(ranker_inputs)
    # The appeal features need what this model predicts: it does without them.
    wanted = [s for s in (side_features or FEATURE_COLUMNS) if s not in APPEAL_FEATURES]
    side, columns = ranker_columns(rows, wanted)
    config = NCFConfig.from_params(network, training, position_bias="pal", max_position=max_position).to_dict()
    config["hidden_units"] = tuple(config["hidden_units"])
    body = bind(
        _click_model_task, side=side, config=config, max_rows=int(max_rows), seed=int(seed), threads=tf_threads_per_task,
        blocks=check_vector_blocks(vector_blocks),
    )
    result = _one_task(rows, body, columns)
    summary = json.loads(result["summary"])
    logger.info("Click model (PAL) on %d training rows: curve %s; %.0f samples/s.", summary["rows_train"], summary["curve"],
                summary["samples_per_second"])
    state = {"weights": weight_list_from_bytes(result["weights"]), "layout": json.loads(result["layout"]),
             "final_relu": bool(config["final_relu"])}
    return {**summary, "history": json.loads(result["history"])}, state


def _expected_batches(batches, *, state: Mapping[str, Any], keep: tuple[str, ...]):
    for frame in batches:
        out = frame[list(keep)].copy()
        probability = ncf_click_probability(state["weights"], click_model_inputs(frame, state["layout"]),
                                            final_relu=state["final_relu"]) if len(frame) else np.zeros(0)
        out[EXPECTED] = frame[EXAMINATION].to_numpy(dtype=np.float64) * probability
        yield out


def score_expected_clicks(
    ranker_inputs: DataFrame, click_model_state: Mapping[str, Any], propensity: Mapping[str, float], max_position: int
) -> DataFrame:
    """Every training row's examination (propensity(position)) and expected clicks: examination x the click model's
    P(click | seen), the clicks its match should draw there (`job_reco.models.appeal`)."""
    layout = click_model_state["layout"]
    rows = training_rows(ranker_inputs).withColumn(EXAMINATION, examination_column(propensity, max_position))
    _, columns = ranker_columns(rows, layout["side_features"])
    keep = (SEARCH_ID, RESUME_ID, JOB_ID, SUBSET, LABEL, EXAMINATION, *([TITLE_PAIR] if TITLE_PAIR in rows.columns else []))
    schema = T.StructType([rows.schema[c] for c in keep] + [T.StructField(EXPECTED, T.DoubleType())])
    body = bind(_expected_batches, state=dict(click_model_state), keep=keep)
    return rows.select(*sorted(set(columns) | set(keep))).mapInArrow(pandas_batches_in_arrow(body, schema), schema)


def _validation_metric(validation: pd.DataFrame, inputs, propensity: Mapping[str, float], clip: float, hidden: int):
    """A function of the ranker's weights: IPS-weighted MRR of the validation rows."""
    if validation.empty or validation[LABEL].sum() == 0:
        return None
    codes = metrics.group_codes(validation)
    features, cosine, cluster = inputs

    def ips_mrr(weights) -> float:
        frame = validation[[SEARCH_ID, RESUME_ID, POSITION, LABEL]].copy()
        frame["score"] = ranker_scores(weights, features, cosine, cluster, hidden)
        numerator, denominator = metrics.ips_reciprocal_rank_sums(metrics.rank_groups(frame, "score", codes=codes), propensity, clip)
        return float(numerator.sum() / denominator.sum())

    return ips_mrr


def _ranker_training_data(
    frame: pd.DataFrame, side: list[str], config: RankerConfig, propensity: dict, n_clusters: int, max_rows: int,
    max_position: int, seed: int, blocks: Sequence[str] = (),
):
    """(layout, packed training lists, validation metric, validation rows) of a task's rows; the frames and
    unpacked arrays it makes die with it, before training starts (they held several GB at 2M rows)."""
    train, validation = _sorted_subsets(frame, max_rows, seed)
    mean, std = _side_statistics(train, side)
    layout = ranker_layout(len(train["resume_vector"].iloc[0]), side, mean, std, config, n_clusters, blocks)
    features, cosine, cluster = row_inputs(train, layout)
    target = graded_targets(train[LABEL].to_numpy(), train[APPLIED].to_numpy(), train[POSITION].to_numpy(), propensity, config)
    group = metrics.group_codes(train)
    del train
    packed = pack_groups(group, features, cosine, cluster, target, list_size=list_length(group, int(max_position)))
    del features, cosine, cluster
    metric = _validation_metric(validation, row_inputs(validation, layout), propensity, config.ips_clip, len(config.hidden_units))
    return layout, packed, metric, len(validation)


def _ranker_task(
    frame: pd.DataFrame, *, side: list[str], config: dict, propensity: dict, n_clusters: int, max_rows: int, max_position: int,
    seed: int, threads: int | None = None, blocks: Sequence[str] = (),
) -> pd.DataFrame:
    """One task: the listwise ranker on every training row, early-stopped on validation IPS-MRR."""
    configure_tensorflow(threads)  # a fixed thread count: the same data give the same weights
    ranker_config = RankerConfig(**config)
    layout, packed, metric, n_validation = _ranker_training_data(
        frame, side, ranker_config, propensity, n_clusters, max_rows, max_position, seed, blocks
    )
    trained = train_ranker(packed, n_clusters, config=ranker_config, seed=seed, validation_metric=metric)
    summary = {
        "rows_train": trained.n_rows, "groups_train": trained.n_groups, "rows_validation": int(n_validation),
        "epochs_run": trained.epochs_run, "best_epoch": trained.best_epoch, "validation_ips_mrr": trained.best_metric,
        "seconds": round(trained.seconds, 3), "samples_per_second": round(trained.samples_per_second),
        "cpu_seconds": round(trained.cpu_seconds, 3),
        "samples_per_cpu_second": round(trained.n_rows * trained.epochs_run / trained.cpu_seconds) if trained.cpu_seconds else None,
    }
    return pd.DataFrame([{
        "weights": weights_to_bytes(trained.weights), "layout": json.dumps(layout),
        "history": json.dumps(trained.history), "summary": json.dumps(summary),
    }])


def train_ranker_model(
    ranker_inputs: DataFrame,
    propensity: Mapping[str, float],
    cluster_centres: Mapping[str, Any],
    ranker: Mapping[str, Any],
    ips_clip: float,
    side_features: Sequence[str] | None,
    vector_blocks: Sequence[str] | None,
    max_position: int,
    max_rows: int,
    tf_threads_per_task: int | None,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train the shared ranker in one Spark task: (ranker_model {"weights", "layout"}, ranker_history)."""
    rows = training_rows(ranker_inputs)
    side, columns = ranker_columns(rows, side_features)
    config = RankerConfig.from_params(ranker, ips_clip=ips_clip).to_dict()
    body = bind(
        _ranker_task, side=side, config=config, propensity=dict(propensity), n_clusters=int(cluster_centres["k"]),
        max_rows=int(max_rows), max_position=int(max_position), seed=int(seed), threads=tf_threads_per_task,
        blocks=check_vector_blocks(vector_blocks),
    )
    result = _one_task(rows, body, columns)
    summary = json.loads(result["summary"])
    logger.info(
        "Ranker: %d training rows in %d groups, %d epochs (best %d), validation IPS-MRR %.4f, %.0f samples/s "
        "(%s per CPU second).",
        summary["rows_train"], summary["groups_train"], summary["epochs_run"], summary["best_epoch"],
        summary["validation_ips_mrr"], summary["samples_per_second"], summary["samples_per_cpu_second"],
    )
    model = {"weights": weights_from_bytes(result["weights"]), "layout": json.loads(result["layout"])}
    return model, {**summary, "history": json.loads(result["history"]), "layout": model["layout"]}

