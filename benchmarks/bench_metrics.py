"""Ranking metrics: job_reco.metrics (vectorised over groups) next to a per-group Python loop and ranx, same scores.

Run: `.venv/bin/python -m benchmarks.bench_metrics [--size quick]`; `measure(size)` returns the figures.

Data: G query groups of 20 rows (the generator's list length) with continuous random scores (no
ties, so every implementation ranks alike), binary clicks at a 10% rate and at least one click per
group (ranx leaves a query without a relevant document out of its mean; job_reco counts it 0).
Metrics: MRR and nDCG@10 with linear gain, each three ways:

- job_reco.metrics: `mrr` and `ndcg_at_k` on the pandas frame (one lexsort over all rows, per-group
  sums by bincount), what reporting and modeling call; each call numbers the groups itself
  (`group_codes`, a pandas groupby of the two string keys), and separately the same with the group
  numbers computed once (`rank_groups(..., codes=)`), the vectorised arithmetic alone;
- a plain loop: the groups by one pandas groupby, then per group argsort its scores, the reciprocal
  rank and DCG / ideal DCG in numpy;
- ranx 0.3 (numba): `Qrels.from_df`, `Run.from_df`, `evaluate(..., ["mrr", "ndcg@10"])`, one thread
  (its numba functions are compiled on a small warm-up first, not timed); timed with and without
  building its Qrels/Run from the frame.

Groups/s are wall clock; all three must agree to 1e-9 (checked, reported).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from benchmarks import cli

LIST_LENGTH = 20
SIZES = {"tiny": 2_000, "quick": 50_000, "full": 200_000}
LOOP_GROUPS = 50_000  # the Python loop runs on at most this many groups (its rate does not depend on G)


def synthetic_groups(n_groups: int, seed: int = 0) -> pd.DataFrame:
    """search_id, resume_id, position, label, score: n_groups lists of 20, >= 1 click each."""
    rng = np.random.default_rng(seed)
    n = n_groups * LIST_LENGTH
    label = (rng.random(n) < 0.1).astype(np.int64)
    label[np.arange(n_groups) * LIST_LENGTH + rng.integers(0, LIST_LENGTH, n_groups)] = 1
    return pd.DataFrame({
        "search_id": np.repeat(np.arange(n_groups), LIST_LENGTH).astype(str),
        "resume_id": "r",
        "position": np.tile(np.arange(1, LIST_LENGTH + 1), n_groups),
        "label": label,
        "score": rng.random(n),
    })


def job_reco_metrics(frame: pd.DataFrame) -> dict[str, float]:
    """MRR and nDCG@10 by job_reco.metrics."""
    from job_reco import metrics  # noqa: PLC0415

    return {"mrr": metrics.mrr(frame, "score"), "ndcg@10": metrics.ndcg_at_k(frame, "score", 10)}


def job_reco_arithmetic(frame: pd.DataFrame, codes: np.ndarray) -> dict[str, float]:
    """MRR and nDCG@10 by job_reco.metrics with the group numbers given (one ranking for both)."""
    from job_reco import metrics  # noqa: PLC0415

    ranked = metrics.rank_groups(frame, "score", codes=codes)
    ndcg = metrics.ndcg_at_k_per_group(ranked, ranked.ranked(frame["label"]), 10)
    return {"mrr": float(metrics.reciprocal_ranks(ranked).mean()), "ndcg@10": float(ndcg.mean())}


def loop_metrics(frame: pd.DataFrame) -> dict[str, float]:
    """MRR and nDCG@10 by a Python loop over the groups of one pandas groupby."""
    scores, labels = frame["score"].to_numpy(), frame["label"].to_numpy(dtype=float)
    discount = 1.0 / np.log2(np.arange(2, 12))
    reciprocal, ndcg = [], []
    for rows in frame.groupby(["search_id", "resume_id"], sort=True).indices.values():
        score, label = scores[rows], labels[rows]
        ranked = label[np.argsort(-score, kind="stable")]
        hits = np.flatnonzero(ranked > 0)
        reciprocal.append(1.0 / (hits[0] + 1) if hits.size else 0.0)
        best = np.sort(label)[::-1][:10]
        ideal = best @ discount[: best.size]
        top = ranked[:10]
        ndcg.append(top @ discount[: top.size] / ideal if ideal > 0 else 0.0)
    return {"mrr": float(np.mean(reciprocal)), "ndcg@10": float(np.mean(ndcg))}


def ranx_inputs(frame: pd.DataFrame):
    """ranx Qrels (the clicks) and Run (the scores) of the frame."""
    from ranx import Qrels, Run  # noqa: PLC0415

    frame = frame.assign(q_id=frame["search_id"], doc_id=frame["position"].astype(str))
    qrels = Qrels.from_df(frame.loc[frame["label"] > 0, ["q_id", "doc_id", "label"]], score_col="label")
    return qrels, Run.from_df(frame[["q_id", "doc_id", "score"]], score_col="score")


def ranx_metrics(qrels, run) -> dict[str, float]:
    """MRR and nDCG@10 by ranx (one thread)."""
    from ranx import evaluate  # noqa: PLC0415

    values = evaluate(qrels, run, ["mrr", "ndcg@10"], threads=1, save_results_in_run=False)
    return {name: float(value) for name, value in values.items()}


def _timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def measure(size: str = "quick") -> dict:
    """Groups/s of each implementation on the same scores, their ratios and their largest disagreement."""
    n_groups = SIZES[size]
    frame = synthetic_groups(n_groups)
    ranx_metrics(*ranx_inputs(synthetic_groups(50, seed=1)))  # compile ranx's numba functions
    from job_reco import metrics  # noqa: PLC0415

    ours, ours_s = _timed(lambda: job_reco_metrics(frame))
    codes, codes_s = _timed(lambda: metrics.group_codes(frame))
    arithmetic, arithmetic_s = _timed(lambda: job_reco_arithmetic(frame, codes))
    loop_groups = min(n_groups, LOOP_GROUPS)
    loop, loop_s = _timed(lambda: loop_metrics(frame.iloc[: loop_groups * LIST_LENGTH]))
    (qrels, run), build_s = _timed(lambda: ranx_inputs(frame))
    theirs, ranx_s = _timed(lambda: ranx_metrics(qrels, run))
    reference = ours if loop_groups == n_groups else job_reco_metrics(frame.iloc[: loop_groups * LIST_LENGTH])
    rates = {
        "job_reco_groups_per_second": n_groups / ours_s,
        "job_reco_given_groups_groups_per_second": n_groups / arithmetic_s,
        "group_codes_groups_per_second": n_groups / codes_s,
        "python_loop_groups_per_second": loop_groups / loop_s,
        "ranx_groups_per_second": n_groups / ranx_s,
        "ranx_with_inputs_groups_per_second": n_groups / (ranx_s + build_s),
    }
    return {
        "groups": n_groups, "rows": n_groups * LIST_LENGTH, "loop_groups": loop_groups,
        "metrics": {name: round(value, 6) for name, value in ours.items()},
        **{name: round(rate) for name, rate in rates.items()},
        "ratio_job_reco_to_python_loop": round(rates["job_reco_groups_per_second"] / rates["python_loop_groups_per_second"], 2),
        "ratio_job_reco_to_ranx": round(rates["job_reco_groups_per_second"] / rates["ranx_groups_per_second"], 2),
        "ratio_job_reco_to_ranx_with_inputs": round(
            rates["job_reco_groups_per_second"] / rates["ranx_with_inputs_groups_per_second"], 2
        ),
        "ratio_job_reco_given_groups_to_ranx": round(
            rates["job_reco_given_groups_groups_per_second"] / rates["ranx_groups_per_second"], 2
        ),
        "max_difference_vs_loop": max(abs(reference[k] - loop[k]) for k in ours),
        "max_difference_given_groups": max(abs(ours[k] - arithmetic[k]) for k in ours),
        "max_difference_vs_ranx": max(abs(ours[k] - theirs[k]) for k in ours),
    }


def main(argv: list[str] | None = None) -> None:
    """Print groups/s of job_reco.metrics, the Python loop and ranx, and how far apart their values are."""
    args = cli.parse(cli.size_parser(__doc__, SIZES), argv, __name__)
    f = measure(args.size)
    print(f"{f['groups']:,} groups x {LIST_LENGTH} rows; MRR {f['metrics']['mrr']:.4f}, nDCG@10 {f['metrics']['ndcg@10']:.4f}")
    print(f"job_reco.metrics (MRR + nDCG@10):  {f['job_reco_groups_per_second']:>12,} groups/s")
    print(f"  of which group numbers (groupby):{f['group_codes_groups_per_second']:>12,} groups/s; with them given: "
          f"{f['job_reco_given_groups_groups_per_second']:,} groups/s ({f['ratio_job_reco_given_groups_to_ranx']}x ranx)")
    print(f"Python loop per group:             {f['python_loop_groups_per_second']:>12,} groups/s "
          f"-> job_reco {f['ratio_job_reco_to_python_loop']}x")
    print(f"ranx evaluate (numba, 1 thread):   {f['ranx_groups_per_second']:>12,} groups/s "
          f"-> job_reco {f['ratio_job_reco_to_ranx']}x")
    print(f"ranx incl. Qrels/Run from frame:   {f['ranx_with_inputs_groups_per_second']:>12,} groups/s "
          f"-> job_reco {f['ratio_job_reco_to_ranx_with_inputs']}x")
    print(f"largest difference: vs loop {f['max_difference_vs_loop']:.1e}, vs ranx {f['max_difference_vs_ranx']:.1e}")


if __name__ == "__main__":
    main()
