"""The v2 ranker: one shared model that starts from cosine and learns a residual, trained listwise.

score(resume, job) = scale * cosine(resume, job) + residual([features, cluster embedding])

- `scale` starts at `cosine_scale` and `residual`'s last layer starts at zero, so before any step
  the model ranks exactly as cosine does: it cannot start below it.
- The K-means cluster of the resume stays in the model as a learned embedding concatenated to the
  features (the original design's clusters, without splitting the data five ways).
- The loss is listwise within each query group (a search and its resume): softmax cross-entropy
  between the scores and graded, propensity-weighted targets, t_i = gain_i * w_i with gain
  `applied_gain` for an application, `click_gain` for a click, 0 for a job only shown, and
  w_i = min(1 / propensity(position_i), ips_clip) (Joachims et al. WSDM 2017; Ai et al. SIGIR 2018
  for the listwise form). Scoring uses the score alone: no position, so a new resume can be scored.

Pure numpy in and out (TensorFlow only inside `train_ranker`), like `job_reco.models.ncf`; the modeling
pipeline runs it in one Spark task and scores with `ranker_scores`, a numpy forward pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from job_reco.models.early_stopping import EarlyStopping
from job_reco.models.ncf import configure_tensorflow

logger = logging.getLogger(__name__)

SCALE_LAYER = "cosine_scale"
CLUSTER_LAYER = "cluster_embedding"
RESIDUAL_LAYER = "residual"


@dataclass(frozen=True)
class RankerConfig:
    """Settings of the ranker and its training (conf/base/parameters_modeling.yml, `modeling.ranker`).

    Attributes:
        hidden_units: widths of the residual MLP's hidden layers (ReLU).
        cluster_embedding_dim: width of the learned cluster embedding (0 = no cluster input).
        cosine_scale: starting value of the learned factor on cosine (a softmax temperature).
        learning_rate: Adam's step size.
        batch_groups: query groups per gradient step.
        epochs: most passes over the training groups.
        early_stopping_patience: epochs without a better validation metric before stopping.
        click_gain, applied_gain: target gains of a click and of an application.
        ips_clip: cap of the propensity weights (one value for modeling and reporting).
        l2: weight decay on the residual's kernels.
        learning_rate_decay: factor on the step size after each epoch (1 = constant).
    """

    hidden_units: tuple[int, ...] = (64, 32)
    cluster_embedding_dim: int = 4
    cosine_scale: float = 10.0
    learning_rate: float = 0.002
    batch_groups: int = 64
    epochs: int = 30
    early_stopping_patience: int = 4
    click_gain: float = 1.0
    applied_gain: float = 2.0
    ips_clip: float = 10.0
    l2: float = 1e-5
    learning_rate_decay: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_units", tuple(int(u) for u in self.hidden_units))
        problems = []
        if not self.hidden_units or min(self.hidden_units) < 1:
            problems.append(f"hidden_units must be positive widths, got {list(self.hidden_units)}")
        if self.batch_groups < 1 or self.epochs < 1 or self.cluster_embedding_dim < 0:
            problems.append("batch_groups and epochs must be >= 1, cluster_embedding_dim >= 0")
        if min(self.learning_rate, self.ips_clip, self.click_gain, self.applied_gain) <= 0 or self.l2 < 0:
            problems.append("learning_rate, ips_clip and the gains must be positive, l2 >= 0")
        if not 0 < self.learning_rate_decay <= 1:
            problems.append(f"learning_rate_decay must be in (0, 1], got {self.learning_rate_decay}")
        if problems:
            raise ValueError("invalid modeling.ranker parameters: " + "; ".join(problems))

    @classmethod
    def from_params(cls, ranker: Mapping[str, Any], *, ips_clip: float) -> RankerConfig:
        """Build from `modeling.ranker` (+ the shared ips_clip); unknown keys are an error."""
        unknown = sorted(set(ranker) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown modeling.ranker parameters {unknown}; expected some of {sorted(cls.__dataclass_fields__)}")
        return cls(**{**ranker, "ips_clip": float(ips_clip)})

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {**asdict(self), "hidden_units": list(self.hidden_units)}


@dataclass
class PackedGroups:
    """Rows of query groups packed into fixed-length lists: arrays (G, L, ...) and a mask (G, L)."""

    features: np.ndarray
    cosine: np.ndarray
    cluster: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    row: np.ndarray  # index of the source row at each slot, -1 for padding

    @property
    def n_groups(self) -> int:
        return int(self.mask.shape[0])


def graded_targets(
    label: np.ndarray, applied: np.ndarray, position: np.ndarray, propensity: Mapping[str, float], config: RankerConfig
) -> np.ndarray:
    """t = gain * min(1 / propensity(position), ips_clip); gain = applied_gain, click_gain or 0."""
    from job_reco.metrics import ips_weights  # noqa: PLC0415

    gain = np.where(np.asarray(applied) > 0, config.applied_gain, np.where(np.asarray(label) > 0, config.click_gain, 0.0))
    return (gain * ips_weights(position, propensity, config.ips_clip)).astype(np.float32)


def list_length(group: np.ndarray, max_position: int) -> int:
    """Slots per packed list: the longest query group, capped at max_position (`pack_groups` refuses longer).

    Packing to max_position (50) when search shows 20 made every step carry 2.5x the rows, the
    padding included (docs/modeling.md, "Training throughput"); masked slots change no gradient.
    """
    group = np.asarray(group)
    if group.size == 0:
        return int(max_position)
    _, sizes = np.unique(group, return_counts=True)
    return int(min(sizes.max(), max_position))


def pack_groups(
    group: np.ndarray, features: np.ndarray, cosine: np.ndarray, cluster: np.ndarray, target: np.ndarray, list_size: int
) -> PackedGroups:
    """Pack rows (any order) into (G, list_size) lists by group code; rows past list_size are an error."""
    group = np.asarray(group)
    order = np.argsort(group, kind="stable")
    codes, starts, sizes = np.unique(group[order], return_index=True, return_counts=True)
    if sizes.size and sizes.max() > list_size:
        raise ValueError(f"a query group has {sizes.max()} rows; the ranker packs at most {list_size} (modeling.max_position)")
    slot = np.arange(order.size) - np.repeat(starts, sizes)
    where = (np.repeat(np.arange(codes.size), sizes), slot)
    rows = np.full((codes.size, list_size), -1, dtype=np.int64)
    rows[where] = order
    mask = rows >= 0
    safe = np.where(mask, rows, 0)

    def take(values: np.ndarray, dtype) -> np.ndarray:
        out = np.asarray(values)[safe].astype(dtype, copy=False)
        out[~mask] = 0
        return out

    return PackedGroups(
        features=take(features, np.float32),
        cosine=take(cosine, np.float32),
        cluster=take(cluster, np.int32),
        target=take(target, np.float32),
        mask=mask,
        row=rows,
    )


def build_ranker(n_features: int, n_clusters: int, config: RankerConfig, seed: int):
    """Keras model: inputs (features (F,), cosine (), cluster ()), output the score, shape (n,)."""
    import keras  # noqa: PLC0415

    features = keras.Input(shape=(int(n_features),), dtype="float32", name="features")
    cosine = keras.Input(shape=(), dtype="float32", name="cosine")
    cluster = keras.Input(shape=(), dtype="int32", name="cluster")
    hidden = features
    if config.cluster_embedding_dim:
        embedded = keras.layers.Embedding(
            max(1, int(n_clusters)), config.cluster_embedding_dim, name=CLUSTER_LAYER,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=0.05, seed=seed),
        )(cluster)
        hidden = keras.layers.Concatenate(name="with_cluster")([features, embedded])
    regulariser = keras.regularizers.L2(config.l2) if config.l2 else None
    for index, units in enumerate(config.hidden_units):
        hidden = keras.layers.Dense(
            units, activation="relu", kernel_regularizer=regulariser, name=f"hidden_{index}",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + index),
        )(hidden)
    residual = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name=RESIDUAL_LAYER)(hidden)
    scale = keras.layers.Dense(
        1, use_bias=False, name=SCALE_LAYER, kernel_initializer=keras.initializers.Constant(config.cosine_scale)
    )(keras.ops.expand_dims(cosine, -1))
    score = keras.ops.squeeze(scale + residual, -1)
    return keras.Model([features, cosine, cluster], score, name="ranker")


def listwise_loss(scores, target, mask):
    """Sum over groups of -sum_i t_i log softmax(scores)_i over the group's real rows (TensorFlow)."""
    import tensorflow as tf  # noqa: PLC0415

    masked = tf.where(mask, scores, tf.fill(tf.shape(scores), -1e9))
    log_p = tf.nn.log_softmax(masked, axis=-1)
    return -tf.reduce_sum(tf.where(mask, target * log_p, 0.0))


def ranker_weights(model) -> dict[str, list[np.ndarray]]:
    """{layer name: [arrays]} of the layers `ranker_scores` needs."""
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers if layer.get_weights()}


def ranker_scores(
    weights: Mapping[str, Sequence[np.ndarray]], features: np.ndarray, cosine: np.ndarray, cluster: np.ndarray, hidden: int
) -> np.ndarray:
    """The ranker's score in numpy (equal to the Keras model to float32 rounding), float64 (n,)."""
    x = np.asarray(features, dtype=np.float32)
    if CLUSTER_LAYER in weights:
        table = np.asarray(weights[CLUSTER_LAYER][0], dtype=np.float32)
        index = np.clip(np.asarray(cluster, dtype=np.int64), 0, table.shape[0] - 1)
        x = np.concatenate([x, table[index]], axis=1)
    for index in range(hidden):
        kernel, bias = weights[f"hidden_{index}"]
        x = np.maximum(x @ kernel + bias, 0.0)
    kernel, bias = weights[RESIDUAL_LAYER]
    residual = (x @ kernel + bias)[:, 0]
    scale = float(np.asarray(weights[SCALE_LAYER][0]).ravel()[0])
    return (scale * np.asarray(cosine, dtype=np.float64) + residual).astype(np.float64)


@dataclass
class TrainedRanker:
    """What `train_ranker` returns: weights by layer, the history and the figures of the run."""

    weights: dict[str, list[np.ndarray]]
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    best_metric: float
    n_groups: int
    n_rows: int
    seconds: float
    samples_per_second: float
    config: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float = float("nan")


def _epoch_function(model, optimizer, packed: PackedGroups, batch_groups: int):
    """A compiled TensorFlow function that runs one shuffled epoch over the packed groups."""
    import tensorflow as tf  # noqa: PLC0415

    n_groups, list_size, width = packed.features.shape
    x = tf.constant(packed.features.reshape(-1, width))
    c = tf.constant(packed.cosine.reshape(-1))
    k = tf.constant(packed.cluster.reshape(-1))
    t, m = tf.constant(packed.target), tf.constant(packed.mask)
    n_batches = -(-n_groups // batch_groups)
    variables = model.trainable_variables

    def step(rows, target, mask):
        with tf.GradientTape() as tape:
            scores = tf.reshape(model([tf.gather(x, rows), tf.gather(c, rows), tf.gather(k, rows)], training=True), tf.shape(mask))
            loss = listwise_loss(scores, target, mask) / tf.cast(tf.shape(mask)[0], tf.float32) + tf.add_n(model.losses or [0.0])
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    @tf.function
    def run_epoch(shuffle_seed):
        order = tf.random.experimental.stateless_shuffle(tf.range(n_groups), seed=shuffle_seed)
        total = tf.constant(0.0)
        for batch in tf.range(n_batches):
            groups = order[batch * batch_groups : tf.minimum((batch + 1) * batch_groups, n_groups)]
            rows = tf.reshape(groups[:, None] * list_size + tf.range(list_size)[None, :], [-1])
            total += step(rows, tf.gather(t, groups), tf.gather(m, groups))
        return total / tf.cast(n_batches, tf.float32)

    return run_epoch


def train_ranker(
    packed: PackedGroups,
    n_clusters: int,
    *,
    config: RankerConfig,
    seed: int,
    validation_metric=None,
) -> TrainedRanker:
    """Train the ranker on packed groups; keep the epoch with the best `validation_metric(weights)` (higher = better).

    `validation_metric` takes the weights dict and returns a ranking metric of the validation
    slice (modeling passes IPS-weighted MRR); None trains all epochs and keeps the last.
    Same data, config and seed give the same weights (seeded initialisers and shuffles).
    """
    configure_tensorflow(None)
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
    if packed.n_groups == 0:
        raise ValueError("no training groups for the ranker")
    model = build_ranker(packed.features.shape[-1], n_clusters, config, int(seed))
    batch_groups = min(config.batch_groups, packed.n_groups)
    rate = config.learning_rate
    if config.learning_rate_decay < 1:  # one factor per epoch: steps of an epoch share one rate
        rate = keras.optimizers.schedules.ExponentialDecay(
            config.learning_rate, decay_steps=-(-packed.n_groups // batch_groups), decay_rate=config.learning_rate_decay,
            staircase=True)
    optimizer = keras.optimizers.Adam(learning_rate=rate)
    optimizer.build(model.trainable_variables)
    run_epoch = _epoch_function(model, optimizer, packed, batch_groups)
    stopping, history, timing = _run_ranker_epochs(model, run_epoch, config, int(seed), validation_metric)
    n_rows, epochs_run, seconds = int(packed.mask.sum()), timing["epochs_run"], timing["seconds"]
    return TrainedRanker(
        weights=stopping.best_state, history=history, epochs_run=epochs_run, best_epoch=stopping.best_epoch,
        best_metric=float(stopping.best_value), n_groups=packed.n_groups, n_rows=n_rows, seconds=seconds,
        samples_per_second=n_rows * epochs_run / seconds if seconds > 0 else float("nan"), config=config.to_dict(),
        cpu_seconds=timing["cpu_seconds"],
    )


def _run_ranker_epochs(model, run_epoch, config: RankerConfig, seed: int, validation_metric):
    """The epoch loop: (early stopping with the best epoch's weights, history, {epochs_run, seconds, cpu_seconds})."""
    import tensorflow as tf  # noqa: PLC0415

    history: dict[str, list[float]] = {"loss": [], "seconds": [], "validation": []}
    initial = ranker_weights(model)
    stopping = EarlyStopping(patience=config.early_stopping_patience, higher_is_better=True,
                             best_value=validation_metric(initial) if validation_metric else None, best_state=initial)
    history["validation_at_start"] = [stopping.best_value]
    seconds, cpu_seconds, epoch = 0.0, 0.0, 0
    for epoch in range(1, config.epochs + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        history["loss"].append(float(run_epoch(tf.constant([seed, epoch], dtype=tf.int32))))
        seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu_started
        history["seconds"].append(time.perf_counter() - started)
        weights = ranker_weights(model)
        metric = validation_metric(weights) if validation_metric else float(epoch)
        history["validation"].append(metric)
        if stopping.update(epoch, metric, lambda weights=weights: weights):
            break
    return stopping, history, {"epochs_run": epoch, "seconds": seconds, "cpu_seconds": cpu_seconds}
