"""Where the rest of the gap lies, on generated data: the chosen model against each factor of the true relevance.

The generator's relevance is a product of factors (docs/data_generation.md), so within a query group
its logarithm is the sum of the log factors, each with weight 1. On the test split, per factor f of
`FACTOR_COLUMNS`:

- **weight**: the coefficient of log f when a model's score is regressed on all the log factors
  within query groups (each variable minus its group's mean): how much the score follows f. Relative
  to the occupation factor's coefficient, the truth's weights are all 1.
- **oracle without f**: true nDCG@k of the ranking by the product of the other factors, as a share of
  the search-to-oracle gap: what a perfect model that knows nothing of f closes.
- **chosen with f**: the best true nDCG@k of score + c x log f over c = m x (the score's weight on log
  occupation) for m in `WITH_MULTIPLES` (0 included, so it never falls below the chosen model): the
  chosen model given f perfectly, at the best weight; minus the chosen model's share, the points f would add.

Two passes over buckets of whole groups (`job_reco.metrics.spark`): the within-group cross products,
then the per-group nDCG of the rankings they define. The driver gets bucket sums.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco import metrics
from job_reco.columns import FACTOR_COLUMNS, JOB_ID, LABEL, OCCUPATION_FACTOR, POSITION, RELEVANCE, RESUME_ID, SEARCH_ID, score_column
from job_reco.metrics import spark as spark_metrics

logger = logging.getLogger(__name__)

# The learned scores whose weights are read; the chosen one (ensemble) also gets the "with f" rankings.
DIAGNOSED = ("ensemble", "ranker", "gbdt")
# Weights of a perfect factor added to the chosen score, in units of the score's weight on log occupation.
WITH_MULTIPLES = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
_TARGET = "_log_relevance"


def _variables(scores: tuple[str, ...]) -> list[str]:
    return [*(f"_log_{f}" for f in FACTOR_COLUMNS), *(score_column(s) for s in scores), _TARGET]


def _demeaned(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(each column minus its query group's mean, the group code of each row)."""
    codes = metrics.group_codes(frame)
    values = frame[columns].to_numpy(dtype=np.float64)
    sums = np.zeros((codes.max() + 1 if len(codes) else 0, values.shape[1]))
    np.add.at(sums, codes, values)
    counts = np.bincount(codes, minlength=len(sums)).astype(np.float64)
    return values - (sums / counts[:, None])[codes], codes


def _gram_body(frame: pd.DataFrame, *, columns: list[str]) -> pd.DataFrame:
    """One bucket: the within-group cross products of `columns` (flattened) and the row count."""
    centred, _ = _demeaned(frame, columns)
    gram = centred.T @ centred
    return pd.DataFrame([{"rows": float(len(frame)), **{f"g{i}_{j}": gram[i, j] for i in range(len(columns))
                                                         for j in range(len(columns))}}])


def _ranking_names() -> list[str]:
    return ["search", "chosen", "oracle", *(f"without:{f}" for f in FACTOR_COLUMNS),
            *(f"with:{f}:{m}" for f in FACTOR_COLUMNS for m in WITH_MULTIPLES if m)]


def _rankings(frame: pd.DataFrame, unit: float) -> dict[str, np.ndarray]:
    """Per ranking name, its score per row: search, chosen, the oracle without each factor, the chosen with each."""
    logs = {f: np.log(np.maximum(frame[f].to_numpy(dtype=np.float64), 1e-300)) for f in FACTOR_COLUMNS}
    total = sum(logs.values())
    chosen = frame[score_column("ensemble")].to_numpy(dtype=np.float64)
    out = {"search": -frame[POSITION].to_numpy(dtype=np.float64), "chosen": chosen, "oracle": total}
    for f in FACTOR_COLUMNS:
        out[f"without:{f}"] = total - logs[f]
        for m in WITH_MULTIPLES:
            if m:
                out[f"with:{f}:{m}"] = chosen + m * unit * logs[f]
    return out


def _ndcg_body(frame: pd.DataFrame, *, unit: float, k: int) -> pd.DataFrame:
    """One bucket: per ranking, the sum of its groups' true nDCG@k, and the number of groups with a positive relevance."""
    scored = frame[[SEARCH_ID, RESUME_ID, POSITION, LABEL, RELEVANCE]].copy()
    codes = metrics.group_codes(scored)
    gain = np.maximum(scored[RELEVANCE].to_numpy(dtype=np.float64), 0.0)
    positive = np.bincount(codes, weights=gain) > 0
    row = {"groups": float(positive.sum())}
    for name, score in _rankings(frame, unit).items():
        scored["_score"] = score
        ranked = metrics.rank_groups(scored, "_score", codes=codes)
        row[name] = float(metrics.ndcg_at_k_per_group(ranked, gain[ranked.order], k)[positive].sum())
    return pd.DataFrame([row])


def _solve(gram: np.ndarray, x: list[int], y: int) -> np.ndarray:
    """Least squares coefficients of variable y on variables x from their cross products."""
    return np.linalg.lstsq(gram[np.ix_(x, x)], gram[x, y], rcond=None)[0]


def _weights(gram: np.ndarray, names: list[str], scores: tuple[str, ...]) -> tuple[dict, dict, dict]:
    """Per score: its coefficient on each log factor, the same relative to occupation's, and the fit's R^2."""
    factors = list(range(len(FACTOR_COLUMNS)))
    weights, relative, r2 = {}, {}, {}
    for s in scores:
        y = names.index(score_column(s))
        beta = _solve(gram, factors, y)
        weights[s] = dict(zip(FACTOR_COLUMNS, beta.tolist(), strict=True))
        occupation = weights[s][OCCUPATION_FACTOR]
        relative[s] = {f: (w / occupation if occupation else None) for f, w in weights[s].items()}
        explained = float(beta @ gram[factors, y])
        r2[s] = explained / float(gram[y, y]) if gram[y, y] > 0 else None
    return weights, relative, r2


def diagnose_truth_factors(test_impressions: DataFrame, truth_impressions: DataFrame | None, ndcg_k: int) -> dict[str, Any]:
    """The factor diagnostic of the chosen model on the test split (see the module); {"truth": false} on real logs.

    Truth tables without the factor columns (another generator) give {"truth": true, "missing_factors": [...]}.
    """
    if truth_impressions is None:
        return {"truth": False}
    missing = [f for f in FACTOR_COLUMNS if f not in truth_impressions.columns]
    if missing:
        logger.info("truth_impressions has no %s: the factor diagnostic is skipped.", missing)
        return {"truth": True, "missing_factors": missing}
    keys = [SEARCH_ID, JOB_ID]
    scores = tuple(s for s in DIAGNOSED if score_column(s) in test_impressions.columns)
    factors = truth_impressions.select(*keys, *(F.col(f).cast("double").alias(f) for f in FACTOR_COLUMNS),
                                       F.col(RELEVANCE).cast("double").alias(RELEVANCE)).dropDuplicates(keys)
    rows = (
        test_impressions.select(SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, *(score_column(s) for s in scores))
        .join(factors, on=keys, how="inner")
        .withColumns({f"_log_{f}": F.log(F.greatest(F.col(f), F.lit(1e-300))) for f in FACTOR_COLUMNS})
        .withColumn(_TARGET, sum((F.col(f"_log_{f}") for f in FACTOR_COLUMNS), F.lit(0.0)))
        .cache()
    )
    names = _variables(scores)
    gram_schema = T.StructType([T.StructField("rows", T.DoubleType()), *(
        T.StructField(f"g{i}_{j}", T.DoubleType()) for i in range(len(names)) for j in range(len(names)))])
    per_bucket = spark_metrics.apply_per_bucket(rows.select(SEARCH_ID, RESUME_ID, *names),
                                                lambda frame: _gram_body(frame, columns=names), gram_schema)
    sums = spark_metrics.sum_in_bucket_order(per_bucket).iloc[0]
    gram = np.array([[sums[f"g{i}_{j}"] for j in range(len(names))] for i in range(len(names))])
    weights, relative, r2 = _weights(gram, names, scores)
    unit = _unit(weights["ensemble"][OCCUPATION_FACTOR], gram, names)
    rankings = _ranking_names()
    ndcg_schema = T.StructType([T.StructField(n, T.DoubleType()) for n in ("groups", *rankings)])
    per_bucket = spark_metrics.apply_per_bucket(
        rows.select(SEARCH_ID, RESUME_ID, POSITION, LABEL, RELEVANCE, *FACTOR_COLUMNS, score_column("ensemble")),
        lambda frame: _ndcg_body(frame, unit=unit, k=int(ndcg_k)), ndcg_schema)
    totals = spark_metrics.sum_in_bucket_order(per_bucket).iloc[0]
    rows.unpersist()
    ndcg = {n: float(totals[n] / totals["groups"]) for n in rankings}
    gap = {n: _gap(ndcg[n], ndcg["search"], ndcg["oracle"]) for n in rankings}
    best = {f: max(WITH_MULTIPLES, key=lambda m, f=f: ndcg["chosen"] if not m else ndcg[f"with:{f}:{m}"]) for f in FACTOR_COLUMNS}
    with_gap = {f: gap["chosen"] if not best[f] else gap[f"with:{f}:{best[f]}"] for f in FACTOR_COLUMNS}
    table = [{"factor": f, "weight_relative_to_occupation": relative["ensemble"][f],
              "oracle_without_gap_closed": gap[f"without:{f}"], "chosen_with_gap_closed": with_gap[f],
              "chosen_with_weight": best[f] * unit, "points_added": with_gap[f] - gap["chosen"]} for f in FACTOR_COLUMNS]
    logger.info("Truth factors of the chosen model: %s.", table)
    return {
        "truth": True, "ndcg_k": int(ndcg_k), "groups": int(totals["groups"]), "rows": int(sums["rows"]),
        "factors": list(FACTOR_COLUMNS), "weights": weights, "weights_relative_to_occupation": relative, "r2": r2,
        "with_unit": unit,
        f"ndcg@{int(ndcg_k)}": ndcg, "gap_closed": gap, "table": table,
    }


def _unit(occupation_weight: float, gram: np.ndarray, names: list[str]) -> float:
    """The score's weight on log occupation, the unit of the weights tried for a perfect factor; the ratio of the
    score's to the log relevance's within-group spread where that weight is not positive."""
    if occupation_weight > 0:
        return float(occupation_weight)
    score, target = names.index(score_column("ensemble")), names.index(_TARGET)
    return float(np.sqrt(gram[score, score] / gram[target, target])) if gram[target, target] > 0 else 1.0


def _gap(value: float, search: float, oracle: float) -> float | None:
    return (value - search) / (oracle - search) if oracle > search else None
