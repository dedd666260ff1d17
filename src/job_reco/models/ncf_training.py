"""Training the NCF (`job_reco.models.ncf`) on logged clicks, with PAL's position branch, in TensorFlow.

One compiled TensorFlow function runs a whole epoch (shuffle, slice batches, step) so Python is out
of the per-batch loop. Tracing that function costs far more than an epoch of a cluster-sized
training (0.4-1.4 s against 0.02-0.05 s on the default network), so it is traced once per network
shape and settings in each process and reused: Spark reuses its Python workers across tasks, and
the per-cluster training sends several clusters to each worker. Before each training the reused
model and optimizers are set back to the seeded initial state, so a training gives the same
weights whether its function was traced for it or reused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from job_reco.models.early_stopping import EarlyStopping
from job_reco.models.ncf import (
    EPSILON,
    EXAMINATION_LAYER,
    NCFConfig,
    binary_cross_entropy,
    build_ncf,
    build_training_model,
    clip_positions,
    configure_tensorflow,
    ncf_click_probability,
    roc_auc,
)

TRAIN_AUC_ROWS = 50_000
# Traced trainers kept per process (one per network shape and settings); the oldest goes beyond this.
MAX_CACHED_TRAINERS = 4


@dataclass
class TrainedNCF:
    """What `train_ncf` returns: plain numpy and numbers, so a Spark task can ship it back.

    Attributes:
        weights: the NCF's weights, `keras.Model.get_weights()` order (kernel, bias per Dense).
        examination: P(seen | position) relative to position 1 for positions 0..max_position
            (index 0 unused, index 1 = 1.0), from the PAL branch; None with position_bias "none".
        history: per epoch: loss (training, PAL product), auc (NCF alone, on up to 50k training
            rows), seconds; with validation rows also val_loss (PAL product) and val_auc (NCF alone).
        epochs_run, best_epoch: epochs trained, and the 1-based epoch whose weights were kept.
        n_train, n_validation, n_positive: rows used (after down-sampling), clicks among training rows.
        validation_auc, validation_loss: at the best epoch (NaN without validation rows).
        samples_per_second: training rows x epochs / seconds spent in the training loop.
        cpu_seconds: CPU seconds of this process in the training loop (on a shared machine the
            wall-clock rate falls with the load; rows x epochs / cpu_seconds is the rate one free core gives).
        trained_from, trained_until: wall-clock time (epoch seconds) when the first epoch began and the
            last epoch's validation ended: tasks on other cores can be put on one time line.
    """

    weights: list[np.ndarray]
    examination: np.ndarray | None
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    n_train: int
    n_validation: int
    n_positive: int
    validation_auc: float
    validation_loss: float
    samples_per_second: float
    seconds: float
    position_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    position_clicks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cpu_seconds: float = float("nan")
    trained_from: float = float("nan")
    trained_until: float = float("nan")


def _subsample(labels: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Row indices kept: every click, each non-click with probability `rate`."""
    if rate >= 1:
        return np.arange(labels.shape[0])
    keep = (labels > 0) | (rng.random(labels.shape[0]) < rate)
    return np.flatnonzero(keep)


class _Trainer:
    """A training model, its optimizers and its traced epoch function, for one network shape and settings."""

    def __init__(self, width: int, config: NCFConfig):
        import keras  # noqa: PLC0415
        import tensorflow as tf  # noqa: PLC0415

        self.config, self.width, self.pal = config, int(width), config.position_bias == "pal"
        self.ncf = build_ncf(width, hidden_units=config.hidden_units, final_relu=config.final_relu, init_std=config.init_std)
        self.model = build_training_model(self.ncf, position_bias=config.position_bias, max_position=config.max_position)
        self.ncf_variables = self.ncf.trainable_variables
        self.exam_variables = self.model.get_layer(EXAMINATION_LAYER).trainable_variables if self.pal else []
        self.optimizers = [keras.optimizers.Adam(learning_rate=config.learning_rate)]
        self.optimizers[0].build(self.ncf_variables)
        if self.pal:
            self.optimizers.append(keras.optimizers.Adam(learning_rate=config.examination_learning_rate))
            self.optimizers[1].build(self.exam_variables)
        self.initial_optimizer_state = [[v.numpy() for v in o.variables] for o in self.optimizers]
        self.initial_examination = [w.copy() for w in self.model.get_layer(EXAMINATION_LAYER).get_weights()] if self.pal else []
        # XLA fuses a step's ~100 small ops into a few kernels: at batch 1024 the per-op overhead is
        # as large as the arithmetic. The epoch loop around it (shuffle, slicing) stays plain TF.
        self.step = tf.function(self._step, jit_compile=config.jit_compile)
        signature = [tf.TensorSpec([None, self.width], tf.float32), tf.TensorSpec([None], tf.int32),
                     tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([2], tf.int32)]
        self.run_epoch = tf.function(self._epoch, input_signature=signature)

    def reset(self, seed: int) -> None:
        """Seeded initial weights (as a fresh `build_ncf(seed=seed)`), examination logits 0, optimizers as built."""
        c = self.config
        fresh = build_ncf(self.width, hidden_units=c.hidden_units, final_relu=c.final_relu, init_std=c.init_std, seed=seed)
        self.ncf.set_weights(fresh.get_weights())
        if self.pal:
            self.model.get_layer(EXAMINATION_LAYER).set_weights(self.initial_examination)
        for optimizer, values in zip(self.optimizers, self.initial_optimizer_state, strict=True):
            for variable, value in zip(optimizer.variables, values, strict=True):
                variable.assign(value)

    def _step(self, inputs, target, weight):
        import tensorflow as tf  # noqa: PLC0415

        with tf.GradientTape() as tape:
            probability = tf.clip_by_value(self.model(inputs, training=True), EPSILON, 1 - EPSILON)
            loss_rows = -(target * tf.math.log(probability) + (1 - target) * tf.math.log(1 - probability))
            loss = tf.reduce_mean(weight * loss_rows)
        gradients = tape.gradient(loss, self.ncf_variables + self.exam_variables)
        self.optimizers[0].apply(gradients[: len(self.ncf_variables)], self.ncf_variables)
        if self.pal:
            self.optimizers[1].apply(gradients[len(self.ncf_variables) :], self.exam_variables)
        return loss

    def _epoch(self, x_all, p_all, y_all, w_all, shuffle_seed):
        import tensorflow as tf  # noqa: PLC0415

        n_rows = tf.shape(x_all)[0]
        batch_size = tf.minimum(self.config.batch_size, n_rows)
        order = tf.random.experimental.stateless_shuffle(tf.range(n_rows), seed=shuffle_seed)
        x, p = tf.gather(x_all, order), tf.gather(p_all, order)
        y, w = tf.gather(y_all, order), tf.gather(w_all, order)
        total = tf.constant(0.0)
        for batch in tf.range((n_rows + batch_size - 1) // batch_size):
            start = batch * batch_size
            end = tf.minimum(start + batch_size, n_rows)
            inputs = [x[start:end], p[start:end]] if self.pal else x[start:end]
            loss = self.step(inputs, y[start:end], w[start:end])
            total += loss * tf.cast(end - start, tf.float32)
        return total / tf.cast(n_rows, tf.float32)

    def examination(self) -> np.ndarray | None:
        """P(seen | position) relative to position 1 (index 0 unused), or None without PAL."""
        if not self.pal:
            return None
        logits = np.asarray(self.model.get_layer(EXAMINATION_LAYER).get_weights()[0][:, 0], dtype=np.float64)
        examination = 1.0 / (1.0 + np.exp(-logits))
        examination[1] = 1.0
        return examination


_TRAINERS: dict[tuple, _Trainer] = {}


def _trainer(width: int, config: NCFConfig) -> _Trainer:
    """This process's trainer for `width` and `config` (what shapes the graph), traced on first use."""
    settings = config.to_dict()
    key = (int(width), *(str(settings[k]) for k in sorted(settings) if k not in _NOT_IN_GRAPH))
    if key not in _TRAINERS:
        while len(_TRAINERS) >= MAX_CACHED_TRAINERS:
            _TRAINERS.pop(next(iter(_TRAINERS)))
        _TRAINERS[key] = _Trainer(width, config)
    return _TRAINERS[key]


# Settings that the training loop reads in Python, not the traced graph.
_NOT_IN_GRAPH = ("epochs", "early_stopping_patience", "early_stopping_min_delta", "negative_sample_rate",
                 "positive_weight", "interactions")


@dataclass
class _Rows:
    """Training rows as float32/int32 arrays, after clipping positions and down-sampling."""

    features: np.ndarray
    positions: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    position_rows: np.ndarray
    position_clicks: np.ndarray


def _training_rows(features, positions, labels, config: NCFConfig, seed: int) -> _Rows:
    """Checked arrays, the per-position counts of all rows, then the rows kept by down-sampling."""
    features = np.ascontiguousarray(features, dtype=np.float32)
    labels = np.asarray(labels).astype(np.float32)
    positions = clip_positions(positions, config.max_position)
    if not features.shape[0] == labels.shape[0] == positions.shape[0] or features.ndim != 2:
        raise ValueError(f"features {features.shape}, positions {positions.shape}, labels {labels.shape} disagree")
    if features.shape[0] == 0:
        raise ValueError("no training rows")
    position_rows = np.bincount(positions, minlength=config.max_position + 1).astype(np.int64)
    position_clicks = np.bincount(positions, weights=labels > 0, minlength=config.max_position + 1).astype(np.int64)
    if config.negative_sample_rate < 1:  # (indexing by every row would copy the features for nothing)
        keep = _subsample(labels, config.negative_sample_rate, np.random.default_rng(int(seed)))
        features, positions, labels = features[keep], positions[keep], labels[keep]
    weights = np.where(labels > 0, config.positive_weight, 1.0).astype(np.float32)
    return _Rows(features, positions, labels, weights, position_rows, position_clicks)


def train_ncf(
    features: np.ndarray,
    positions: np.ndarray,
    labels: np.ndarray,
    *,
    config: NCFConfig,
    seed: int,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    threads: int | None = None,
) -> TrainedNCF:
    """Train one NCF on (features, position, label) rows; early-stop on the validation rows.

    The data sit in memory as float32 tensors; the epoch function is this process's traced one for
    the network's shape (see the module). Same inputs, config and seed give the same weights
    (seeded initializers, seeded shuffles, deterministic ops, a complete reset of a reused trainer).

    Args:
        features: (n, w) float32, `model_features` of the resume and job vectors.
        positions: (n,) displayed positions (1-based).
        labels: (n,) 1 = click, 0 = none.
        config: network and training settings.
        seed: seeds initial weights, down-sampling and shuffles.
        validation: (features, positions, labels) of held-out rows for early stopping, or None
            (then all `epochs` run and the validation figures are NaN).
        threads: TensorFlow threads (`configure_tensorflow`; None leaves them as they are).
    """
    configure_tensorflow(threads)
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
    rows = _training_rows(features, positions, labels, config, seed)
    trainer = _trainer(rows.features.shape[1], config)
    trainer.reset(seed)
    data = (tf.constant(rows.features), tf.constant(rows.positions), tf.constant(rows.labels[:, None]),
            tf.constant(rows.weights[:, None]))
    monitor = np.random.default_rng(int(seed) + 1).permutation(len(rows.labels))[:TRAIN_AUC_ROWS]
    fit = _run_epochs(trainer, data, (rows.features[monitor], rows.labels[monitor]), _validation_arrays(validation, config),
                      seed=int(seed))
    return TrainedNCF(
        weights=[np.asarray(w) for w in trainer.ncf.get_weights()], examination=trainer.examination(),
        n_train=int(len(rows.labels)), n_positive=int((rows.labels > 0).sum()),
        position_rows=rows.position_rows, position_clicks=rows.position_clicks, **fit,
    )


def _validation_arrays(validation, config: NCFConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(features float32, clipped positions, labels float32) of the validation rows, or None without any."""
    if validation is None or len(validation[2]) == 0:
        return None
    return (np.asarray(validation[0], dtype=np.float32), clip_positions(validation[1], config.max_position),
            np.asarray(validation[2]).astype(np.float32))


def _run_epochs(trainer: _Trainer, data: tuple, monitor: tuple, validation, *, seed: int) -> dict[str, Any]:
    """The epoch loop with early stopping on the validation loss; the best epoch's weights left in the model."""
    config = trainer.config
    history: dict[str, list[float]] = {"loss": [], "auc": [], "seconds": []} | ({"val_loss": [], "val_auc": []} if validation else {})
    stopping = EarlyStopping(patience=config.early_stopping_patience, higher_is_better=False,
                             min_delta=config.early_stopping_min_delta, best_state=trainer.model.get_weights())
    train_seconds, cpu_seconds, epoch = 0.0, 0.0, 0
    trained_from = time.time()
    for epoch in range(1, config.epochs + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        history["loss"].append(float(trainer.run_epoch(*data, np.array([seed, epoch], dtype=np.int32))))
        history["seconds"].append(time.perf_counter() - started)
        train_seconds += history["seconds"][-1]
        cpu_seconds += time.process_time() - cpu_started
        weights = trainer.ncf.get_weights()
        history["auc"].append(roc_auc(monitor[1], ncf_click_probability(weights, monitor[0], final_relu=config.final_relu)))
        if validation is not None:
            _record_validation(trainer, weights, validation, history)
            if stopping.update(epoch, history["val_loss"][-1], trainer.model.get_weights):
                break
    if validation is not None:
        trainer.model.set_weights(stopping.best_state)
    n_rows, best_epoch = int(data[0].shape[0]), stopping.best_epoch if validation is not None else epoch
    kept = validation is not None and best_epoch
    return {
        "history": history, "epochs_run": epoch, "best_epoch": best_epoch,
        "n_validation": 0 if validation is None else int(len(validation[2])),
        "validation_auc": history["val_auc"][best_epoch - 1] if kept else float("nan"),
        "validation_loss": history["val_loss"][best_epoch - 1] if kept else float("nan"),
        "samples_per_second": n_rows * epoch / train_seconds if train_seconds > 0 else float("nan"),
        "seconds": train_seconds, "cpu_seconds": cpu_seconds, "trained_from": trained_from, "trained_until": time.time(),
    }


def _record_validation(trainer: _Trainer, weights: list[np.ndarray], validation: tuple, history: dict[str, list[float]]) -> None:
    """Append the epoch's validation loss (the PAL product with PAL) and the NCF's validation AUC to history."""
    val_x, val_p, val_y = validation
    relevance = ncf_click_probability(weights, val_x, final_relu=trainer.config.final_relu)
    history["val_loss"].append(binary_cross_entropy(val_y, relevance * trainer.examination()[val_p] if trainer.pal else relevance))
    history["val_auc"].append(roc_auc(val_y, relevance))
