"""Training throughput of the NCF: job_reco.models.ncf_training.train_ncf next to Keras `model.fit` and scikit-learn's MLPClassifier.

Run: `.venv/bin/python -m benchmarks.bench_training [--rows N] [--epochs E] [--sweep]`;
`measure(size)` returns the same figures as a dict (`make bench`).

Data: the original network's input (100-d float32 = two 50-d vectors) with positions 1..20 and
clicks = Bernoulli(examination(position) x relevance) from a planted linear signal: synthetic,
since the figure is about feeding the model, not about what it learns. Every trainer sees the
same arrays, the same layers (Dense 40-20-10 ReLU, two outputs), batches of 1024, Adam at the same
learning rate, the same number of epochs, one thread (BLAS / TensorFlow), as in a pipeline task:

- train_ncf: the pipeline's trainer (TensorFlow: data held as tensors, one compiled function per
  epoch, PAL on) with the parameters of conf/base/parameters_modeling.yml;
- Keras: `model.compile(Adam, sparse_categorical_crossentropy); model.fit(x, y, batch_size=1024)`;
- scikit-learn: `MLPClassifier((40, 20, 10), solver="adam", batch_size=1024)` (a logistic output
  unit instead of the two-way softmax: the same function class, one weight column fewer).

Samples/s of train_ncf and Keras are steady-state (epochs after the first, which traces the
graph); scikit-learn's is its whole `fit` (nothing to trace). Per CPU second (this process's CPU
time, steadier on a shared machine): train_ncf over all its epochs, Keras over its steady ones. Then as many train_ncf processes
as CPUs run at once, as the pipeline's Spark tasks do (one cluster per task, one thread each): all
their steady samples over the wall-clock span from the first steady epoch's start to the last one's
end. Last, the share of the CPU's arithmetic peak that this reaches (`arithmetic_peak`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from job_reco.models.ncf import NCFConfig, configure_tensorflow, ncf_click_probability, roc_auc
from job_reco.models.ncf_training import train_ncf

from benchmarks import cli

DIM = 100
HIDDEN = (40, 20, 10)
PARAMETERS = Path(__file__).resolve().parents[1] / "conf" / "base" / "parameters_modeling.yml"
MAX_POSITION = 20
SIZES = {"tiny": (20_000, 2, False), "quick": (200_000, 4, True), "full": (300_000, 6, True)}  # rows, epochs, parallel


def synthetic_rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features float32 (n, 100), positions 1..20, clicks) with a planted signal and a 1/p^0.7 examination curve."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, DIM)).astype(np.float32)
    direction = rng.normal(size=DIM) / np.sqrt(DIM)
    relevance = 1.0 / (1.0 + np.exp(-(2.5 * features @ direction - 1.5)))
    positions = rng.integers(1, MAX_POSITION + 1, n)
    clicks = (rng.random(n) < relevance / positions**0.7).astype(np.int64)
    return features, positions, clicks


def flops_per_sample(widths: tuple[int, ...] = (DIM, *HIDDEN, 2)) -> int:
    """Multiply-add FLOPs (2 per MAC) of one sample's forward and backward pass through the Dense layers.

    Forward: x @ W per layer. Backward: the weight gradient (as many MACs as the forward) and the
    input gradient for every layer but the first. Bias adds, ReLUs, the loss and Adam are left out
    (under 3% of the total here).
    """
    macs = [a * b for a, b in zip(widths[:-1], widths[1:])]
    return 2 * (2 * sum(macs) + sum(macs[1:]))


def arithmetic_peak(gemm_size: int = 2048) -> dict:
    """The CPU's fp32 peak: cores x FMA units x fp32 lanes x 2 FLOPs x clock, and a measured single-thread sgemm.

    From /proc/cpuinfo: the cores, the clock (`cpu MHz`, the nominal/TSC clock under a hypervisor;
    a boost clock above it would raise the peak), AVX-512 (16 fp32 lanes per FMA, else AVX2's 8).
    Two FMA units per core (AMD Zen 4/5, Intel server cores since Skylake-SP) are assumed. The
    sgemm (numpy/OpenBLAS, one thread, the best of three in CPU seconds) is what this BLAS reaches on
    big matrices.
    """
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    flags, mhz = "", float("nan")
    try:
        info = Path("/proc/cpuinfo").read_text()
        flags = next((line for line in info.splitlines() if line.startswith("flags")), "")
        mhz = float(next(line for line in info.splitlines() if line.startswith("cpu MHz")).split(":")[1])
    except (OSError, StopIteration, ValueError):
        pass
    lanes = 16 if " avx512f" in flags else 8
    cores = os.cpu_count() or 1
    per_core = 2 * lanes * 2 * mhz / 1e3  # GFLOP/s: 2 FMA units x lanes x (multiply + add)
    a = np.random.default_rng(0).random((gemm_size, gemm_size), dtype=np.float32)
    with threadpool_limits(1):
        a @ a
        best = min(_wall_and_cpu(lambda: a @ a)[1] for _ in range(3))  # CPU seconds: steady under load
    return {
        "clock_ghz": round(mhz / 1e3, 3), "cores": cores, "fp32_lanes": lanes, "fma_units_assumed": 2,
        "peak_gflops_per_core": round(per_core, 1), "peak_gflops": round(per_core * cores, 1),
        "sgemm_gflops_one_thread": round(2 * gemm_size**3 / best / 1e9, 1),
    }


def _seconds(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _wall_and_cpu(function) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of a call: on a shared machine the CPU figure is the steadier."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def plain_fit_samples_per_second(
    features: np.ndarray, clicks: np.ndarray, epochs: int, learning_rate: float
) -> tuple[float, float]:
    """Steady-state (samples/s, samples per CPU second) of a plain Keras `model.fit` on numpy arrays at batch 1024."""
    import keras  # noqa: PLC0415

    from job_reco.models.ncf import build_ncf  # noqa: PLC0415

    model = build_ncf(DIM, hidden_units=HIDDEN, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(features, clicks, batch_size=1024, epochs=1, verbose=0)  # trace + first epoch
    wall, cpu = _wall_and_cpu(lambda: model.fit(features, clicks, batch_size=1024, epochs=epochs - 1, verbose=0))
    return features.shape[0] * (epochs - 1) / wall, features.shape[0] * (epochs - 1) / cpu


def sklearn_samples_per_second(
    features: np.ndarray, clicks: np.ndarray, epochs: int, learning_rate: float
) -> tuple[float, float]:
    """(samples/s, per CPU second) of scikit-learn's MLPClassifier: same layers, batch, Adam rate, epochs, one thread."""
    import warnings  # noqa: PLC0415

    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415
    from sklearn.neural_network import MLPClassifier  # noqa: PLC0415
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    model = MLPClassifier(
        HIDDEN, solver="adam", batch_size=1024, learning_rate_init=learning_rate, max_iter=epochs,
        n_iter_no_change=epochs + 1, tol=0.0, random_state=0,
    )
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached, as asked
        wall, cpu = _wall_and_cpu(lambda: model.fit(features, clicks))
    return features.shape[0] * model.n_iter_ / wall, features.shape[0] * model.n_iter_ / cpu


def train_ncf_figures(
    features: np.ndarray,
    positions: np.ndarray,
    clicks: np.ndarray,
    config: NCFConfig,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[float, float, float, float]:
    """(steady-state samples/s, samples/s including the first epoch, per CPU second, validation AUC of the NCF)."""
    trained = train_ncf(features, positions, clicks, config=config, seed=0, threads=1)
    seconds = trained.history["seconds"]
    steady = features.shape[0] * (len(seconds) - 1) / sum(seconds[1:])
    auc = roc_auc(validation[2], ncf_click_probability(trained.weights, validation[0], final_relu=config.final_relu))
    return steady, trained.samples_per_second, features.shape[0] * trained.epochs_run / trained.cpu_seconds, auc


def _parallel_worker(rows: int, config: dict, seed: int, barrier, results) -> None:
    """One process = one Spark task of the pipeline: one thread, its own data, train_ncf."""
    features, positions, clicks = synthetic_rows(rows, seed)
    barrier.wait()  # all trainings start together
    trained = train_ncf(features, positions, clicks, config=NCFConfig(**config), seed=seed, threads=1)
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


def default_config(epochs: int) -> NCFConfig:
    """The pipeline's NCF settings (conf/base/parameters_modeling.yml), all `epochs` run, 100-d input."""
    import yaml  # noqa: PLC0415

    with PARAMETERS.open(encoding="utf-8") as stream:
        params = yaml.safe_load(stream)["modeling"]
    training = {**params["training"], "epochs": epochs, "early_stopping_patience": 0}
    network = {**params["network"], "hidden_units": list(HIDDEN)}
    return NCFConfig.from_params(network, training, position_bias=params["position_bias"], max_position=params["max_position"])


def measure(size: str = "quick", *, tasks: int | None = None) -> dict:
    """Samples/s of each trainer on the same data ("tiny", "quick" or "full"), their ratios and the share of peak."""
    rows, epochs, parallel = SIZES[size]
    configure_tensorflow(1)
    features, positions, clicks = synthetic_rows(rows + 50_000)
    validation = (features[rows:], positions[rows:], clicks[rows:])
    features, positions, clicks = features[:rows], positions[:rows], clicks[:rows]
    config = default_config(epochs)
    steady, overall, per_cpu, auc = train_ncf_figures(features, positions, clicks, config, validation)
    keras_rate, keras_cpu = plain_fit_samples_per_second(features, clicks, epochs, config.learning_rate)
    sklearn_rate, sklearn_cpu = sklearn_samples_per_second(features, clicks, epochs, config.learning_rate)
    figures = {
        "rows": rows, "epochs": epochs, "batch_size": config.batch_size, "layers": [DIM, *HIDDEN, 2], "threads": 1,
        "train_ncf_samples_per_second": round(steady), "train_ncf_samples_per_second_all_epochs": round(overall),
        "train_ncf_validation_auc": round(auc, 4),
        "keras_fit_samples_per_second": round(keras_rate), "sklearn_mlp_samples_per_second": round(sklearn_rate),
        "ratio_train_ncf_to_keras_fit": round(steady / keras_rate, 2),
        "ratio_train_ncf_to_sklearn_mlp": round(steady / sklearn_rate, 2),
        # Per CPU second of this process: what one free core gives, whatever else the machine runs.
        "train_ncf_samples_per_cpu_second": round(per_cpu), "keras_fit_samples_per_cpu_second": round(keras_cpu),
        "sklearn_mlp_samples_per_cpu_second": round(sklearn_cpu),
        "cpu_ratio_train_ncf_to_keras_fit": round(per_cpu / keras_cpu, 2),
        "cpu_ratio_train_ncf_to_sklearn_mlp": round(per_cpu / sklearn_cpu, 2),
    }
    tasks = tasks if tasks is not None else (os.cpu_count() or 1)
    if parallel and tasks > 1:
        figures["parallel_tasks"] = tasks
        figures["parallel_samples_per_second"] = round(parallel_samples_per_second(tasks, rows, config))
    peak = arithmetic_peak(1024 if size == "tiny" else 2048)
    flops = flops_per_sample()
    best, cores_used = per_cpu, 1  # one core's rate, first epoch included: robust to the machine's load
    figures["arithmetic_basis"] = "train_ncf samples per CPU second, one core"
    figures["arithmetic"] = {
        **peak, "flops_per_sample": flops, "cores_used": cores_used,
        "peak_samples_per_second": round(peak["peak_gflops_per_core"] * cores_used * 1e9 / flops),
        "achieved_gflops": round(best * flops / 1e9, 1),
        "share_of_peak": round(best * flops / (peak["peak_gflops_per_core"] * cores_used * 1e9), 4),
        "share_of_sgemm": round(best * flops / (peak["sgemm_gflops_one_thread"] * cores_used * 1e9), 4),
    }
    return figures


def main(argv: list[str] | None = None) -> None:
    """Print samples/s of train_ncf, Keras fit and scikit-learn's MLP at batch 1024, their ratios and the peak."""
    parser = cli.size_parser(__doc__, SIZES, default="full")
    parser.add_argument("--tasks", type=int, default=None, help="parallel single-threaded trainings (default: CPUs)")
    parser.add_argument("--sweep", action="store_true", help="also time train_ncf at batch 1024..16384")
    args = cli.parse(parser, argv, __name__)
    figures = measure(args.size, tasks=args.tasks)
    print(f"synthetic data: {figures['rows']:,} rows x {DIM} float32, {figures['epochs']} epochs, batch 1024, one thread")
    print(f"train_ncf (TF, PAL):     {figures['train_ncf_samples_per_second'] / 1e6:6.2f} M samples/s "
          f"(validation AUC {figures['train_ncf_validation_auc']:.3f})")
    print(f"per CPU second: train_ncf {figures['train_ncf_samples_per_cpu_second'] / 1e6:.2f} M, Keras "
          f"{figures['keras_fit_samples_per_cpu_second'] / 1e6:.2f} M ({figures['cpu_ratio_train_ncf_to_keras_fit']}x), "
          f"sklearn {figures['sklearn_mlp_samples_per_cpu_second'] / 1e6:.2f} M ({figures['cpu_ratio_train_ncf_to_sklearn_mlp']}x)")
    print(f"Keras model.fit:         {figures['keras_fit_samples_per_second'] / 1e6:6.2f} M samples/s "
          f"-> train_ncf {figures['ratio_train_ncf_to_keras_fit']:.1f}x")
    print(f"sklearn MLPClassifier:   {figures['sklearn_mlp_samples_per_second'] / 1e6:6.2f} M samples/s "
          f"-> train_ncf {figures['ratio_train_ncf_to_sklearn_mlp']:.1f}x")
    if "parallel_samples_per_second" in figures:
        print(f"{figures['parallel_tasks']} train_ncf at once (one per Spark task/core): "
              f"{figures['parallel_samples_per_second'] / 1e6:6.2f} M samples/s in all")
    a = figures["arithmetic"]
    print(f"arithmetic: {a['flops_per_sample']:,} FLOPs/sample (forward + backward); peak "
          f"{a['peak_gflops_per_core'] * a['cores_used']:.0f} GFLOP/s ({a['cores_used']} core(s) x 2 FMA x "
          f"{a['fp32_lanes']} lanes x 2 x {a['clock_ghz']} GHz) = "
          f"{a['peak_samples_per_second'] / 1e6:.1f} M samples/s; reached {a['achieved_gflops']} GFLOP/s = "
          f"{100 * a['share_of_peak']:.1f}% of peak, {100 * a['share_of_sgemm']:.0f}% of what one-thread sgemm does "
          f"({a['sgemm_gflops_one_thread']} GFLOP/s per core)", flush=True)
    if args.sweep:
        features, positions, clicks = synthetic_rows(figures["rows"] + 50_000)
        validation = (features[figures["rows"]:], positions[figures["rows"]:], clicks[figures["rows"]:])
        for batch_size in (1024, 2048, 4096, 8192, 16384):
            swept = NCFConfig(**{**default_config(figures["epochs"]).to_dict(), "batch_size": batch_size})
            n = figures["rows"]
            steady, _, _, auc = train_ncf_figures(features[:n], positions[:n], clicks[:n], swept, validation)
            print(f"  batch {batch_size:5d}: {steady / 1e6:6.2f} M samples/s, validation AUC {auc:.4f}", flush=True)


if __name__ == "__main__":
    main()
