"""The examination curve of modeling v2: randomized-slice counts on Spark, the choice between estimators.

See `job_reco.models.propensity` for the two estimators and the held-out likelihood that picks one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import EXPERIMENT, EXPERIMENT_SWAP_PREFIX, LABEL, POSITION, SEARCH_ID
from job_reco.models.propensity import choose_curve, fold_log_likelihoods, fold_totals, pool, swap_curve, swap_power_law

logger = logging.getLogger(__name__)

_K = "_swap_k"


def count_swap_interventions(training_impressions: DataFrame, n_folds: int) -> dict[str, Any]:
    """Per fold of searches (a hash of search_id): impressions and clicks of search's first ad shown at k
    (searches marked swap_1_<k>) and at position 1 in the ordinary searches, over the training period.

    A few numbers per fold and position; {} when the logs have no `experiment` column.
    """
    if EXPERIMENT not in training_impressions.columns:
        return {}
    k = F.regexp_extract(F.col(EXPERIMENT), f"^{EXPERIMENT_SWAP_PREFIX}([0-9]+)$", 1)
    marked = training_impressions.withColumn(_K, F.when(k != "", k.cast("int")))
    first_ad = (F.col(_K).isNotNull() & (F.col(POSITION) == F.col(_K))) | (F.col(EXPERIMENT).isNull() & (F.col(POSITION) == 1))
    shown_at = F.when(F.col(_K).isNotNull(), F.col(_K)).otherwise(F.lit(1))
    fold = F.pmod(F.xxhash64(SEARCH_ID), F.lit(int(n_folds)))
    found = (
        marked.filter(first_ad)
        .groupBy(fold.alias("fold"), shown_at.alias(POSITION))
        .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(LABEL).cast("long")).alias("clicks"))
        .collect()
    )
    folds: dict[str, Any] = {str(f): {"counts": {}, "baseline": [0, 0]} for f in range(int(n_folds))}
    for row in found:
        entry = folds[str(row["fold"])]
        if row[POSITION] == 1:
            entry["baseline"] = [int(row["n"]), int(row["clicks"])]
        else:
            entry["counts"][str(row[POSITION])] = [int(row["n"]), int(row["clicks"])]
    return {"folds": folds}


def _counts(entry: Mapping[str, Any]) -> tuple[dict[int, tuple[float, float]], tuple[float, float]]:
    counts = {int(k): (float(n), float(c)) for k, (n, c) in entry.get("counts", {}).items()}
    return counts, tuple(float(x) for x in entry.get("baseline", (0, 0)))


# Estimators from the fewest fitted parameters: one exponent; one ratio per position; a click model.
SIMPLEST_FIRST = ("swap_power_law", "swap_interventions", "click_model")


def select_propensity(
    click_model: Mapping[str, Any], swap_interventions: Mapping[str, Any], max_position: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """The examination curve used everywhere (IPS weights, the ranker's targets, reporting), and why it was chosen."""
    click_curve = {**{str(p): float(v) for p, v in click_model["curve"].items()}, "1": 1.0}
    estimators = {
        "click_model": lambda counts, baseline: click_curve,
        "swap_interventions": swap_curve,
        "swap_power_law": lambda counts, baseline: swap_power_law(counts, baseline, max_position),
    }
    folds = [_counts(entry) for entry in swap_interventions.get("folds", {}).values()]
    folds = [fold for fold in folds if fold[0]]
    everything = pool(folds)
    candidates = {"click_model": click_curve}
    if everything[0] and everything[1][1] > 0:
        candidates |= {name: estimators[name](*everything) for name in ("swap_interventions", "swap_power_law")}
    per_fold = fold_log_likelihoods({name: estimators[name] for name in candidates}, folds)
    scores = fold_totals(per_fold)
    chosen = choose_curve(scores, folds=per_fold, simplest_first=SIMPLEST_FIRST)
    logger.info("Examination curve: %s (cross-fitted log-likelihood of randomized clicks %s).", chosen, scores)
    report = {
        "selected": chosen,
        "criterion": "cross-fitted binomial log-likelihood of the randomized slice's swapped first ads; "
                     "the simplest estimator within one standard error of the best (one-standard-error rule)",
        "log_likelihood": scores,
        "log_likelihood_by_fold": per_fold,
        "simplest_first": list(SIMPLEST_FIRST),
        "randomized_first_ads": int(sum(n for n, _ in everything[0].values())),
        "folds": len(folds),
        "candidates": candidates,
    }
    return dict(sorted(candidates[chosen].items(), key=lambda item: int(item[0]))), report
