"""Training throughput of the NCF: job_reco.ncf.train_ncf next to a plain Keras `model.fit`.

Run: `.venv/bin/python -m benchmarks.bench_training [--rows N] [--epochs E] [--threads T] [--sweep]`.

Data: the default network's input (100-d float32 = two 50-d vectors) with positions 1..20 and
clicks = Bernoulli(examination(position) x relevance) from a planted linear signal: synthetic,
since the figure is about feeding the model, not about what it learns. Both trainings see the
same arrays, the same network (Dense 40-20-10-2, N(0, 0.1)) and Adam at the same learning rate.

- baseline: `model.compile(Adam, sparse_categorical_crossentropy); model.fit(x, y, batch_size=1024)`
  on numpy arrays (Keras' own data adapter).
- train_ncf: the pipeline's trainer with the parameters of conf/base/parameters_modeling.yml
  (PAL on, batch 1024): data held as tensors, one compiled function per epoch (seeded shuffle
  by gather, batches by slicing, gradient steps in a tf.while loop), so Python never runs per batch.

Samples/s are steady-state: epochs after the first (which traces and compiles) over their time.
Then as many single-threaded train_ncf processes as CPUs run at once, as the pipeline's Spark
tasks do (one cluster per task, one TensorFlow thread each): all their steady-state samples over
the wall-clock span from the first steady epoch's start to the last one's end.
`--sweep` also times train_ncf at batch 1024..16384 with the validation AUC after the same epochs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from job_reco.ncf import NCFConfig, configure_tensorflow, ncf_click_probability, roc_auc, train_ncf

DIM = 100
PARAMETERS = Path(__file__).resolve().parents[1] / "conf" / "base" / "parameters_modeling.yml"
MAX_POSITION = 20


def synthetic_rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features float32 (n, 100), positions 1..20, clicks) with a planted signal and a 1/p^0.7 examination curve."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, DIM)).astype(np.float32)
    direction = rng.normal(size=DIM) / np.sqrt(DIM)
    relevance = 1.0 / (1.0 + np.exp(-(2.5 * features @ direction - 1.5)))
    positions = rng.integers(1, MAX_POSITION + 1, n)
    clicks = (rng.random(n) < relevance / positions**0.7).astype(np.int64)
    return features, positions, clicks


def plain_fit_samples_per_second(features: np.ndarray, clicks: np.ndarray, epochs: int, learning_rate: float) -> float:
    """Steady-state samples/s of a plain `model.fit` on numpy arrays at batch 1024."""
    import keras  # noqa: PLC0415

    from job_reco.ncf import build_ncf  # noqa: PLC0415

    model = build_ncf(DIM, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(features, clicks, batch_size=1024, epochs=1, verbose=0)  # trace + first epoch
    started = time.perf_counter()
    model.fit(features, clicks, batch_size=1024, epochs=epochs - 1, verbose=0)
    return features.shape[0] * (epochs - 1) / (time.perf_counter() - started)


def train_ncf_figures(
    features: np.ndarray,
    positions: np.ndarray,
    clicks: np.ndarray,
    config: NCFConfig,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[float, float, float]:
    """(steady-state samples/s, samples/s including the first epoch, validation AUC of the NCF alone)."""
    trained = train_ncf(features, positions, clicks, config=config, seed=0)
    seconds = trained.history["seconds"]
    steady = features.shape[0] * (len(seconds) - 1) / sum(seconds[1:])
    auc = roc_auc(validation[2], ncf_click_probability(trained.weights, validation[0], final_relu=config.final_relu))
    return steady, trained.samples_per_second, auc


def _parallel_worker(rows: int, config: dict, seed: int, barrier, results) -> None:
    """One process = one Spark task of the pipeline: one TF thread, its own data, train_ncf."""
    configure_tensorflow(1)
    features, positions, clicks = synthetic_rows(rows, seed)
    barrier.wait()  # all trainings start together
    trained = train_ncf(features, positions, clicks, config=NCFConfig(**config), seed=seed)
    finished = time.time()
    steady = sum(trained.history["seconds"][1:])
    # (samples of the steady epochs, when they began, when they ended): wall-clock stamps
    results.put((rows * (len(trained.history["seconds"]) - 1), finished - steady, finished))


def parallel_samples_per_second(tasks: int, rows: int, config: NCFConfig) -> float:
    """All steady-state samples of `tasks` single-threaded trainings run at once, over the wall-clock span they took."""
    import multiprocessing  # noqa: PLC0415

    context = multiprocessing.get_context("spawn")
    results, barrier = context.Queue(), context.Barrier(tasks)
    workers = [
        context.Process(target=_parallel_worker, args=(rows, config.to_dict(), seed, barrier, results))
        for seed in range(tasks)
    ]
    for worker in workers:
        worker.start()
    figures = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    span = max(end for _, _, end in figures) - min(start for _, start, _ in figures)
    return sum(samples for samples, _, _ in figures) / span


def main(argv: list[str] | None = None) -> None:
    """Print samples/s of train_ncf (default parameters) and of a plain fit at batch 1024, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=None, help="TensorFlow threads (default: TF's choice)")
    parser.add_argument("--sweep", action="store_true", help="also time batch sizes 1024..16384")
    parser.add_argument("--tasks", type=int, default=None, help="parallel single-threaded trainings (default: CPUs)")
    args = parser.parse_args([] if argv is None and __name__ != "__main__" else argv)
    configure_tensorflow(args.threads)
    features, positions, clicks = synthetic_rows(args.rows + 50_000)
    validation = (features[args.rows :], positions[args.rows :], clicks[args.rows :])
    features, positions, clicks = features[: args.rows], positions[: args.rows], clicks[: args.rows]
    import yaml  # noqa: PLC0415

    with PARAMETERS.open(encoding="utf-8") as stream:
        params = yaml.safe_load(stream)["modeling"]
    training = {**params["training"], "epochs": args.epochs, "early_stopping_patience": 0}
    config = NCFConfig.from_params(
        params["network"], training, position_bias=params["position_bias"], max_position=params["max_position"]
    )
    print(
        f"synthetic data: {args.rows:,} rows x {DIM} float32, CTR {clicks.mean():.3f}; {args.epochs} epochs; "
        f"TF threads {args.threads or 'default'}; {os.cpu_count()} CPUs",
        flush=True,
    )
    baseline = plain_fit_samples_per_second(features, clicks, args.epochs, config.learning_rate)
    print(f"plain model.fit, numpy, batch 1024:        {baseline / 1e6:6.2f} M samples/s", flush=True)
    steady, overall, auc = train_ncf_figures(features, positions, clicks, config, validation)
    print(
        f"train_ncf ({config.position_bias}, batch {config.batch_size}):           {steady / 1e6:6.2f} M samples/s "
        f"({overall / 1e6:.2f} M incl. tracing; validation AUC {auc:.3f})",
        flush=True,
    )
    print(f"ratio train_ncf / plain fit: {steady / baseline:.2f}x", flush=True)
    tasks = args.tasks if args.tasks is not None else (os.cpu_count() or 1)
    if tasks > 1:
        aggregate = parallel_samples_per_second(tasks, args.rows, config)
        print(
            f"{tasks} single-threaded train_ncf at once (one per Spark task/core): {aggregate / 1e6:6.2f} M samples/s "
            f"in all, {aggregate / baseline:.2f}x the plain fit",
            flush=True,
        )
    if args.sweep:
        for batch_size in (1024, 2048, 4096, 8192, 16384):
            swept = NCFConfig(**{**config.to_dict(), "batch_size": batch_size})
            steady, _, auc = train_ncf_figures(features, positions, clicks, swept, validation)
            print(f"  batch {batch_size:5d}: {steady / 1e6:6.2f} M samples/s, validation AUC {auc:.4f}", flush=True)


if __name__ == "__main__":
    main()
