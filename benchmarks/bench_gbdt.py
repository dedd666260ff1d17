"""Training time of the LambdaMART baseline (xgboost `rank:ndcg`) next to the listwise ranker, on the same rows.

Run: `.venv/bin/python -m benchmarks.bench_gbdt [--size quick]`; `measure(size)` returns the figures.

Data: G query groups of 20 rows shaped like the ranker's inputs (161 float32 columns: resume and
job vectors, their product, 10 side features, the cosine), graded labels (2 application, 1 click,
0 shown) from a planted signal. Both trainers run on one thread, as in the pipeline's single task:

- LambdaMART: `xgboost.XGBRanker(objective="rank:ndcg", n_jobs=1)` with the tree settings of
  conf/base/parameters_modeling.yml (`modeling.gbdt`: depth, learning rate, hist) and a fixed
  number of trees (no early stopping, so the figure does not depend on when it would stop);
- the ranker: `job_reco.models.ranker.train_ranker` (TensorFlow, one thread) with `modeling.ranker`, a
  fixed number of epochs.

Figures: seconds, seconds per tree / per epoch, and rows x trees (rows x epochs) per second.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from benchmarks import cli

PARAMETERS = Path(__file__).resolve().parents[1] / "conf" / "base" / "parameters_modeling.yml"
LIST_LENGTH, WIDTH = 20, 161
SIZES = {"tiny": (500, 10, 1), "quick": (10_000, 50, 2), "full": (40_000, 200, 5)}  # groups, trees, ranker epochs


def synthetic_lists(n_groups: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features float32 (n, 161), gains 0/1/2, group of each row): n_groups lists of 20 with a planted signal."""
    rng = np.random.default_rng(seed)
    n = n_groups * LIST_LENGTH
    features = rng.normal(size=(n, WIDTH)).astype(np.float32)
    utility = features[:, :8] @ rng.normal(size=8) + rng.gumbel(size=n)
    gain = np.where(utility > np.quantile(utility, 0.97), 2, np.where(utility > np.quantile(utility, 0.9), 1, 0))
    return features, gain, np.repeat(np.arange(n_groups), LIST_LENGTH)


def _parameters() -> tuple[dict, dict]:
    import yaml  # noqa: PLC0415

    with PARAMETERS.open(encoding="utf-8") as stream:
        params = yaml.safe_load(stream)["modeling"]
    return params["gbdt"], params["ranker"]


def gbdt_seconds(
    features: np.ndarray, gain: np.ndarray, group: np.ndarray, trees: int, settings: dict
) -> tuple[float, float]:
    """(wall, CPU) seconds of XGBRanker.fit with `trees` trees, one thread, the pipeline's tree settings."""
    import xgboost  # noqa: PLC0415

    kept = {k: v for k, v in settings.items() if k not in {"n_jobs", "early_stopping_rounds", "n_estimators", "eval_metric"}}
    model = xgboost.XGBRanker(objective="rank:ndcg", random_state=0, n_jobs=1, n_estimators=trees, **kept)
    started, cpu = time.perf_counter(), time.process_time()
    model.fit(features, gain, qid=group, verbose=False)
    return time.perf_counter() - started, time.process_time() - cpu


def ranker_seconds(
    features: np.ndarray, gain: np.ndarray, group: np.ndarray, epochs: int, settings: dict
) -> tuple[float, float, float]:
    """(seconds of train_ranker's epochs, of them after the first, CPU seconds) with `epochs` epochs, one TF thread."""
    from job_reco.models.ncf import configure_tensorflow  # noqa: PLC0415

    configure_tensorflow(1)
    from job_reco.models.ranker import RankerConfig, pack_groups, train_ranker  # noqa: PLC0415

    config = RankerConfig.from_params({**settings, "epochs": epochs, "early_stopping_patience": 0}, ips_clip=10.0)
    packed = pack_groups(group, features[:, :-1], features[:, -1], np.zeros(len(group)), gain.astype(np.float32), LIST_LENGTH)
    trained = train_ranker(packed, 1, config=config, seed=0)
    return trained.seconds, sum(trained.history["seconds"][1:]), trained.cpu_seconds


def measure(size: str = "quick") -> dict:
    """Training seconds and throughput of LambdaMART and the ranker on the same synthetic lists."""
    n_groups, trees, epochs = SIZES[size]
    features, gain, group = synthetic_lists(n_groups)
    gbdt, ranker = _parameters()
    rows = len(gain)
    tree_s, tree_cpu = gbdt_seconds(features, gain, group, trees, gbdt)
    ranker_s, steady_s, ranker_cpu = ranker_seconds(features, gain, group, epochs, ranker)
    figures = {
        "groups": n_groups, "rows": rows, "columns": WIDTH, "threads": 1,
        "gbdt_trees": trees, "gbdt_max_depth": gbdt.get("max_depth"), "gbdt_seconds": round(tree_s, 3),
        "gbdt_seconds_per_tree": round(tree_s / trees, 4), "gbdt_row_trees_per_second": round(rows * trees / tree_s),
        "ranker_epochs": epochs, "ranker_seconds": round(ranker_s, 3),
        "ranker_samples_per_second": round(rows * epochs / ranker_s),
        # CPU seconds of this process (one thread each): steadier than wall time on a shared machine.
        "gbdt_cpu_seconds": round(tree_cpu, 3), "gbdt_row_trees_per_cpu_second": round(rows * trees / tree_cpu),
        "ranker_cpu_seconds": round(ranker_cpu, 3), "ranker_samples_per_cpu_second": round(rows * epochs / ranker_cpu),
    }
    if epochs > 1:
        figures["ranker_samples_per_second_after_first_epoch"] = round(rows * (epochs - 1) / steady_s)
    return figures


def main(argv: list[str] | None = None) -> None:
    """Print LambdaMART's and the ranker's training time on the same rows."""
    args = cli.parse(cli.size_parser(__doc__, SIZES), argv, __name__)
    f = measure(args.size)
    print(f"{f['groups']:,} groups x {LIST_LENGTH} = {f['rows']:,} rows x {WIDTH} columns, one thread")
    print(f"LambdaMART (xgboost rank:ndcg, depth {f['gbdt_max_depth']}): {f['gbdt_trees']} trees in {f['gbdt_seconds']:.1f} s, "
          f"{f['gbdt_seconds_per_tree']:.3f} s/tree, {f['gbdt_row_trees_per_second']:,} rows x trees/s "
          f"({f['gbdt_cpu_seconds']:.1f} CPU s)")
    steady = f.get("ranker_samples_per_second_after_first_epoch")
    print(f"listwise ranker (TensorFlow): {f['ranker_epochs']} epochs in {f['ranker_seconds']:.1f} s, "
          f"{f['ranker_samples_per_second']:,} samples/s" + (f" ({steady:,} after the first epoch)" if steady else "")
          + f", {f['ranker_samples_per_cpu_second']:,} per CPU second")


if __name__ == "__main__":
    main()
