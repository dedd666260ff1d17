"""The examination curve of modeling v2: randomized-slice counts on Spark, the choice between estimators.

See `job_reco.propensity` for the two estimators and the held-out likelihood that picks one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import EXPERIMENT, EXPERIMENT_SWAP_PREFIX, LABEL, POSITION, SUBSET, TRAIN, VALIDATION
from job_reco.pipelines.modeling.ranker_inputs import TRAINING_SOURCE
from job_reco.propensity import choose_curve, swap_curve, swap_power_law

logger = logging.getLogger(__name__)

_K = "_swap_k"


def count_swap_interventions(ranker_base_inputs: DataFrame) -> dict[str, Any]:
    """Per subset: impressions and clicks of search's first ad shown at k (searches marked swap_1_<k>), and at 1 elsewhere.

    A few numbers per position; {} when the logs have no `experiment` column or no marked search.
    """
    rows = ranker_base_inputs.filter(F.col(TRAINING_SOURCE) == F.lit("training"))
    if EXPERIMENT not in rows.columns:
        return {}
    k = F.regexp_extract(F.col(EXPERIMENT), f"^{EXPERIMENT_SWAP_PREFIX}([0-9]+)$", 1)
    marked = rows.withColumn(_K, F.when(k != "", k.cast("int")))
    first_ad = (F.col(_K).isNotNull() & (F.col(POSITION) == F.col(_K))) | (F.col(EXPERIMENT).isNull() & (F.col(POSITION) == 1))
    shown_at = F.when(F.col(_K).isNotNull(), F.col(_K)).otherwise(F.lit(1))
    found = (
        marked.filter(first_ad)
        .groupBy(SUBSET, shown_at.alias(POSITION))
        .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(LABEL).cast("long")).alias("clicks"))
        .collect()
    )
    out: dict[str, Any] = {}
    for row in found:
        entry = out.setdefault(row[SUBSET], {"counts": {}, "baseline": [0, 0]})
        if row[POSITION] == 1:
            entry["baseline"] = [int(row["n"]), int(row["clicks"])]
        else:
            entry["counts"][str(row[POSITION])] = [int(row["n"]), int(row["clicks"])]
    return out


def _counts(entry: Mapping[str, Any]) -> tuple[dict[int, tuple[float, float]], tuple[float, float]]:
    counts = {int(k): (float(n), float(c)) for k, (n, c) in entry.get("counts", {}).items()}
    return counts, tuple(float(x) for x in entry.get("baseline", (0, 0)))


def select_propensity(
    click_model: Mapping[str, Any], swap_interventions: Mapping[str, Any], max_position: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """The examination curve used everywhere (IPS weights, the ranker's targets, reporting), and why it was chosen."""
    candidates = {"click_model": {**{str(p): float(v) for p, v in click_model["curve"].items()}, "1": 1.0}}
    train_counts, train_base = _counts(swap_interventions.get(TRAIN, {}))
    if train_counts and train_base[1] > 0:
        candidates["swap_interventions"] = swap_curve(train_counts, train_base)
        candidates["swap_power_law"] = swap_power_law(train_counts, train_base, max_position)
    valid_counts, valid_base = _counts(swap_interventions.get(VALIDATION, {}))
    chosen, scores = choose_curve(candidates, valid_counts, valid_base)
    logger.info("Examination curve: %s (held-out log-likelihood of randomized clicks %s).", chosen, scores)
    curve = dict(sorted(candidates[chosen].items(), key=lambda item: int(item[0])))
    report = {
        "selected": chosen,
        "criterion": "binomial log-likelihood of the validation period's swapped first ads",
        "log_likelihood": scores,
        "randomized_first_ads": {s: sum(n for n, _ in _counts(swap_interventions.get(s, {}))[0].values()) for s in (TRAIN, VALIDATION)},
        "candidates": candidates,
    }
    return curve, report
