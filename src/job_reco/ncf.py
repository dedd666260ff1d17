"""The dense NCF click model of the original design, its position-aware (PAL) training, pure numpy in/out.

Nothing here touches Spark: the modeling pipeline calls `train_ncf` inside one Spark task per
resume cluster (`applyInPandas`), and scores with `ncf_click_probability`, a numpy forward pass, inside
`mapInPandas`. Everything is testable on small arrays.

The network (Talroo / Analytics Zoo, see docs/modeling.md): the concatenated (resume vector, job
vector) goes through Dense 40 -> 20 -> 10 with ReLU, then Dense 2 and a softmax over
{no click, click}; every weight and bias drawn from N(0, 0.1). Optional interaction features
(`model_features`, NeuMF's GMF signal) are appended to that input: the element-wise product and/or
the cosine of the two vectors.

Position bias, PAL (Guo, Liu, Tang, Chen & He, "PAL: a position-bias aware learning framework for
CTR prediction in live recommender systems", RecSys 2019): a logged click needs the job to be seen
*and* liked, so training models

    P(click | x, position) = P(seen | position) * P(click | seen, x)

with P(seen | position) = sigmoid(a_position) (position 1, the reference, = 1), one learned number
per position in its own branch, and P(click | seen, x) the NCF. The loss is the binary
cross-entropy of the product. Scoring uses the NCF alone, so the model ranks by relevance, not by
where search happened to show a job, and a new resume with no search list can be scored. The
learned P(seen | position) is the examination curve relative to position 1.

Heavy imports (TensorFlow, Keras) happen inside the functions that need them.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from job_reco.vectors import cosine_similarity

logger = logging.getLogger(__name__)

POSITION_BIAS_MODES = ("pal", "none")
# Interaction features `model_features` can append to resume ++ job (modeling.network.interactions).
INTERACTIONS = ("product", "cosine")
# Names of the layers that `ncf_weights` and the numpy forward pass rely on.
LOGITS_LAYER = "logits"
FINAL_RELU_LAYER = "final_relu"
SOFTMAX_LAYER = "click_softmax"
EXAMINATION_LAYER = "examination_logit"
# Keras' own clipping of probabilities in binary cross-entropy.
_EPSILON = 1e-7
TRAIN_AUC_ROWS = 50_000


@dataclass(frozen=True)
class NCFConfig:
    """Every setting of the network and its training (conf/base/parameters_modeling.yml).

    Attributes:
        hidden_units: widths of the hidden Dense layers (ReLU), input to output.
        final_relu: put a ReLU on the two logits, as the original did (see `build_ncf`).
        init_std: standard deviation of the N(0, std) draw of every weight and bias.
        learning_rate: Adam's step size for the NCF.
        examination_learning_rate: Adam's step size for the PAL position factors. They are few
            and each sees only its position's rows, and the curve spans several logits (0.95 at
            the top to ~0.1 further down), so at the NCF's rate they need thousands of steps.
        batch_size: rows per gradient step.
        epochs: most passes over the training rows.
        early_stopping_patience: epochs without a better validation loss before stopping
            (0 = never stop early); the best epoch's weights are kept.
        early_stopping_min_delta: smallest decrease of the validation loss that counts as better.
        positive_weight: loss weight of a click relative to a non-click (class weighting).
        negative_sample_rate: fraction of non-clicks kept (seeded), 1.0 = all (down-sampling).
        position_bias: "pal" (learn P(seen | position) alongside) or "none" (fit clicks directly).
        max_position: positions above it share the examination factor of `max_position`.
        jit_compile: compile each training step with XLA.
        interactions: features appended to resume ++ job (`model_features`), a subset of
            INTERACTIONS in any order, each at most once; () = the original plain concatenation.
    """

    hidden_units: tuple[int, ...] = (40, 20, 10)
    final_relu: bool = False
    init_std: float = 0.1
    learning_rate: float = 0.003
    examination_learning_rate: float = 0.05
    batch_size: int = 1024
    epochs: int = 40
    early_stopping_patience: int = 5
    early_stopping_min_delta: float = 0.0
    positive_weight: float = 1.0
    negative_sample_rate: float = 1.0
    position_bias: str = "pal"
    max_position: int = 50
    jit_compile: bool = False
    interactions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_units", tuple(int(units) for units in self.hidden_units))
        problems = []
        try:
            object.__setattr__(self, "interactions", check_interactions(self.interactions))
        except ValueError as error:
            problems.append(str(error))
        if not self.hidden_units or min(self.hidden_units) < 1:
            problems.append(f"hidden_units must be positive widths, got {list(self.hidden_units)}")
        if self.position_bias not in POSITION_BIAS_MODES:
            problems.append(f"position_bias must be one of {POSITION_BIAS_MODES}, got {self.position_bias!r}")
        if self.batch_size < 1 or self.epochs < 1 or self.max_position < 1:
            problems.append(
                f"batch_size, epochs and max_position must be >= 1, got {self.batch_size}, "
                f"{self.epochs}, {self.max_position}"
            )
        if not 0 < self.negative_sample_rate <= 1:
            problems.append(f"negative_sample_rate must lie in (0, 1], got {self.negative_sample_rate}")
        if min(self.positive_weight, self.learning_rate, self.examination_learning_rate, self.init_std) <= 0:
            problems.append("positive_weight, learning_rate, examination_learning_rate and init_std must be positive")
        if self.early_stopping_patience < 0:
            problems.append(f"early_stopping_patience must be >= 0, got {self.early_stopping_patience}")
        if problems:
            raise ValueError("invalid modeling parameters: " + "; ".join(problems))

    @classmethod
    def from_params(
        cls, network: Mapping[str, Any], training: Mapping[str, Any], *, position_bias: str, max_position: int
    ) -> NCFConfig:
        """Build from the `modeling.network` and `modeling.training` blocks; unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        settings = {**network, **training}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown modeling.network/training parameters {unknown}; expected some of {sorted(known)}")
        return cls(**settings, position_bias=position_bias, max_position=int(max_position))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        settings = asdict(self)
        settings["hidden_units"] = list(self.hidden_units)
        settings["interactions"] = list(self.interactions)
        return settings


def check_interactions(interactions: Sequence[str] | None) -> tuple[str, ...]:
    """`interactions` as a tuple; error on a name not in INTERACTIONS or a repeated one."""
    if isinstance(interactions, str):
        raise ValueError(f"modeling.network.interactions must be a list, got the string {interactions!r}")
    found = tuple(str(name) for name in (interactions or ()))
    unknown = [name for name in found if name not in INTERACTIONS]
    if unknown or len(set(found)) != len(found):
        raise ValueError(
            f"modeling.network.interactions must list some of {list(INTERACTIONS)}, each at most once; got {list(found)}"
        )
    return found


def feature_width(dimension: int, interactions: Sequence[str] | None) -> int:
    """Width of `model_features` for vectors of `dimension`: 2d, + d for product, + 1 for cosine."""
    extra = {"product": int(dimension), "cosine": 1}
    return 2 * int(dimension) + sum(extra[name] for name in check_interactions(interactions))


def model_input_layout(dimension: int, interactions: Sequence[str] | None) -> dict[str, Any]:
    """What a model's `features` input holds, column ranges [start, end) per block (for training_history)."""
    blocks, start = [], 0
    for name, width in [("resume", dimension), ("job", dimension)] + [
        (name, dimension if name == "product" else 1) for name in check_interactions(interactions)
    ]:
        blocks.append({"block": name, "start": start, "end": start + int(width)})
        start += int(width)
    return {"interactions": list(check_interactions(interactions)), "width": start, "columns": blocks}


def model_features(resume: np.ndarray, job: np.ndarray, interactions: Sequence[str] | None) -> np.ndarray:
    """The model input: resume ++ job ++ [resume * job] ++ [cosine(resume, job)], float32 (n, width).

    The appended blocks follow the order of `interactions`: "product" the element-wise product (the
    GMF signal of NeuMF, He et al. 2017), "cosine" one column, 0 where either vector is zero. Used
    alike for training, validation and scoring, so a saved model always sees the same layout.
    """
    resume = np.asarray(resume, dtype=np.float32)
    job = np.asarray(job, dtype=np.float32)
    if resume.ndim != 2 or resume.shape != job.shape:
        raise ValueError(f"resume vectors {resume.shape} and job vectors {job.shape} must be (n, d) alike")
    blocks = [resume, job]
    for name in check_interactions(interactions):
        if name == "product":
            blocks.append(resume * job)
        else:
            blocks.append(cosine_similarity(resume, job)[:, None].astype(np.float32))
    return np.concatenate(blocks, axis=1).astype(np.float32, copy=False)


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


def configure_tensorflow(threads: int | None) -> None:
    """Bound TensorFlow's thread pools (intra- and inter-op) to `threads`; None leaves TF's default.

    Must run before TensorFlow does any work in this process: the environment variables cover a
    process that has not imported TF yet, the `tf.config` calls one that has imported but not
    started it. In a process whose TF runtime already started (a reused Spark worker) the
    setting stays what the first task set, which is the same value.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if threads is None:
        return
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ[name] = str(int(threads))
    import tensorflow as tf  # noqa: PLC0415

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    except RuntimeError:  # the runtime already started; its pools stay as they are
        logger.debug("TensorFlow already initialised; thread pools unchanged")


def build_ncf(
    input_dim: int,
    *,
    hidden_units: Sequence[int] = (40, 20, 10),
    final_relu: bool = False,
    init_std: float = 0.1,
    seed: int = 0,
):
    """The NCF: Dense(hidden, ReLU)... -> Dense(2) [-> ReLU] -> softmax; output (n, 2) = P(no click), P(click).

    Each kernel and bias has its own seeded N(0, init_std) initializer, so the same seed gives the
    same network and no two tensors share a draw.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras  # noqa: PLC0415

    def normal(offset: int):
        return keras.initializers.RandomNormal(mean=0.0, stddev=float(init_std), seed=int(seed) * 1000 + offset)

    features = keras.Input(shape=(int(input_dim),), dtype="float32", name="features")
    hidden = features
    for index, units in enumerate(hidden_units):
        hidden = keras.layers.Dense(
            int(units),
            activation="relu",
            kernel_initializer=normal(2 * index),
            bias_initializer=normal(2 * index + 1),
            name=f"dense_{index}",
        )(hidden)
    offset = 2 * len(hidden_units)
    logits = keras.layers.Dense(
        2, kernel_initializer=normal(offset), bias_initializer=normal(offset + 1), name=LOGITS_LAYER
    )(hidden)
    if final_relu:
        # The original (BigDL) model ended Linear(10, 2) -> ReLU, before a softmax/NLL loss. A ReLU
        # there clips both logits at 0: a class whose logit goes negative is pinned to 0 with zero
        # gradient, so the click probability can never fall below what the no-click logit allows
        # (both clipped = a constant 0.5 for every pair), and once both logits of an input are
        # negative nothing flows back through that input ("dead" outputs). Off by default; kept
        # for comparison with the original.
        logits = keras.layers.ReLU(name=FINAL_RELU_LAYER)(logits)
    probabilities = keras.layers.Softmax(name=SOFTMAX_LAYER)(logits)
    return keras.Model(features, probabilities, name="ncf")


def build_training_model(ncf, *, position_bias: str = "pal", max_position: int = 50):
    """The model trained on logged clicks: inputs (features, position), output (n, 1) P(click).

    With "pal" the output is e(position) * P(click | seen, x), e(1) = 1 and e(p) = sigmoid(a[p]),
    a[] an Embedding of max_position + 1 numbers (index 0 and 1 unused) starting at 0 (seen with
    probability 0.5); with "none" it is the NCF's click probability (the position input is ignored).
    Positions must already be clipped to 1..max_position.
    """
    import keras  # noqa: PLC0415

    if position_bias not in POSITION_BIAS_MODES:
        raise ValueError(f"position_bias must be one of {POSITION_BIAS_MODES}, got {position_bias!r}")
    relevance = ncf.output[:, 1:2]
    if position_bias == "none":
        return keras.Model(ncf.input, relevance, name="ncf_click")
    position = keras.Input(shape=(), dtype="int32", name="position")
    examination_logit = keras.layers.Embedding(
        int(max_position) + 1, 1, embeddings_initializer="zeros", name=EXAMINATION_LAYER
    )(position)
    # Only the curve relative to position 1 is identifiable (the NCF absorbs any common scale), so
    # position 1 is the reference: seen with probability 1, the others sigmoid(a_p) in (0, 1).
    # Learning a_1 as well lets the pair drift along that scale and slows convergence a lot
    # (sigmoid(a_1) has to crawl up to ~1 before the ratios settle).
    is_first = keras.ops.expand_dims(keras.ops.equal(position, 1), -1)
    examination = keras.ops.where(is_first, 1.0, keras.ops.sigmoid(examination_logit))
    return keras.Model([ncf.input, position], examination * relevance, name="pal")


def ncf_weights(model) -> tuple[list[np.ndarray], bool]:
    """(weights in Dense order, final_relu) of a model made by `build_ncf` (e.g. loaded from .keras)."""
    names = [layer.name for layer in model.layers]
    if LOGITS_LAYER not in names or SOFTMAX_LAYER not in names:
        raise ValueError(f"not an NCF from build_ncf: layers {names} lack {LOGITS_LAYER!r}/{SOFTMAX_LAYER!r}")
    return [np.asarray(w) for w in model.get_weights()], FINAL_RELU_LAYER in names


def ncf_click_probability(weights: Sequence[np.ndarray], features: np.ndarray, *, final_relu: bool) -> np.ndarray:
    """P(click | x) of the NCF in numpy: float32 matrix products, the 2-way softmax as a sigmoid.

    softmax([l0, l1])[1] = 1 / (1 + exp(l0 - l1)), so only the logit difference is needed. Equals
    the Keras model's `predict(...)[:, 1]` to float32 rounding. Returns float64, shape (n,).
    """
    if len(weights) % 2 or len(weights) < 2:
        raise ValueError(f"expected (kernel, bias) pairs, got {len(weights)} arrays")
    hidden = np.asarray(features, dtype=np.float32)
    pairs = [(np.asarray(weights[i], np.float32), np.asarray(weights[i + 1], np.float32)) for i in range(0, len(weights), 2)]
    if hidden.ndim != 2 or hidden.shape[1] != pairs[0][0].shape[0]:
        raise ValueError(f"features of shape {hidden.shape}; the model expects (n, {pairs[0][0].shape[0]})")
    for kernel, bias in pairs[:-1]:
        hidden = hidden @ kernel
        hidden += bias
        np.maximum(hidden, 0.0, out=hidden)
    kernel, bias = pairs[-1]
    logits = hidden @ kernel + bias
    if final_relu:
        logits = np.maximum(logits, 0.0)
    difference = logits[:, 1].astype(np.float64) - logits[:, 0]
    return 1.0 / (1.0 + np.exp(-difference))


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve over all rows (Mann-Whitney, ties counted half). NaN with one class."""
    from scipy.stats import rankdata  # noqa: PLC0415

    labels = np.asarray(labels) > 0
    positives = int(labels.sum())
    negatives = labels.shape[0] - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def binary_cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean binary cross-entropy, probabilities clipped to [1e-7, 1 - 1e-7] as Keras does."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), _EPSILON, 1 - _EPSILON)
    y = np.asarray(labels, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def weights_to_bytes(weights: Sequence[np.ndarray]) -> bytes:
    """Serialise a weight list (np.savez, arrays w000, w001, ... in order)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"w{index:03d}": np.asarray(w) for index, w in enumerate(weights)})
    return buffer.getvalue()


def weights_from_bytes(data: bytes) -> list[np.ndarray]:
    """Inverse of `weights_to_bytes`."""
    with np.load(io.BytesIO(data)) as archive:
        return [archive[name] for name in sorted(archive.files)]


def clip_positions(positions: np.ndarray, max_position: int) -> np.ndarray:
    """Positions as int32 in 1..max_position (larger ones share max_position); < 1 is an error."""
    positions = np.asarray(positions)
    if positions.size and positions.min() < 1:
        raise ValueError(f"positions are 1-based; got a minimum of {positions.min()} in column 'position'")
    return np.minimum(positions, max_position).astype(np.int32)


def _subsample(labels: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Row indices kept: every click, each non-click with probability `rate`."""
    if rate >= 1:
        return np.arange(labels.shape[0])
    keep = (labels > 0) | (rng.random(labels.shape[0]) < rate)
    return np.flatnonzero(keep)


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

    One compiled TensorFlow function runs a whole epoch (shuffle, slice batches, step) so Python
    is out of the per-batch loop; the data sit in memory as float32 tensors. Same inputs, config
    and seed give the same weights (seeded initializers, seeded shuffles, deterministic ops).

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
    sample_weight = np.where(labels > 0, config.positive_weight, 1.0).astype(np.float32)

    ncf = build_ncf(
        features.shape[1],
        hidden_units=config.hidden_units,
        final_relu=config.final_relu,
        init_std=config.init_std,
        seed=seed,
    )
    pal = config.position_bias == "pal"
    model = build_training_model(ncf, position_bias=config.position_bias, max_position=config.max_position)
    ncf_variables = ncf.trainable_variables
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
    optimizer.build(ncf_variables)
    exam_variables = model.get_layer(EXAMINATION_LAYER).trainable_variables if pal else []
    exam_optimizer = keras.optimizers.Adam(learning_rate=config.examination_learning_rate)
    if pal:
        exam_optimizer.build(exam_variables)
    variables = ncf_variables + exam_variables

    n_rows, batch_size = features.shape[0], min(config.batch_size, features.shape[0])
    n_batches = -(-n_rows // batch_size)
    x_all, p_all = tf.constant(features), tf.constant(positions)
    y_all, w_all = tf.constant(labels[:, None]), tf.constant(sample_weight[:, None])

    def step(inputs, target, weight):
        with tf.GradientTape() as tape:
            probability = tf.clip_by_value(model(inputs, training=True), _EPSILON, 1 - _EPSILON)
            loss_rows = -(target * tf.math.log(probability) + (1 - target) * tf.math.log(1 - probability))
            loss = tf.reduce_mean(weight * loss_rows)
        gradients = tape.gradient(loss, variables)
        optimizer.apply(gradients[: len(ncf_variables)], ncf_variables)
        if pal:
            exam_optimizer.apply(gradients[len(ncf_variables) :], exam_variables)
        return loss

    # XLA fuses a step's ~100 small ops into a few kernels: at batch 1024 the per-op overhead is
    # as large as the arithmetic. The epoch loop around it (shuffle, slicing) stays plain TF.
    step = tf.function(step, jit_compile=config.jit_compile)

    @tf.function
    def run_epoch(shuffle_seed):
        order = tf.random.experimental.stateless_shuffle(tf.range(n_rows), seed=shuffle_seed)
        x, p = tf.gather(x_all, order), tf.gather(p_all, order)
        y, w = tf.gather(y_all, order), tf.gather(w_all, order)
        total = tf.constant(0.0)
        for batch in tf.range(n_batches):
            start = batch * batch_size
            end = tf.minimum(start + batch_size, n_rows)
            inputs = [x[start:end], p[start:end]] if pal else x[start:end]
            loss = step(inputs, y[start:end], w[start:end])
            total += loss * tf.cast(end - start, tf.float32)
        return total / n_rows

    if validation is not None and len(validation[2]) > 0:
        val_x = np.asarray(validation[0], dtype=np.float32)
        val_p = clip_positions(validation[1], config.max_position)
        val_y = np.asarray(validation[2]).astype(np.float32)
    else:
        val_x = val_p = val_y = None

    def examination_now() -> np.ndarray | None:
        if not pal:
            return None
        logits = np.asarray(model.get_layer(EXAMINATION_LAYER).get_weights()[0][:, 0], dtype=np.float64)
        examination = 1.0 / (1.0 + np.exp(-logits))
        examination[1] = 1.0
        return examination

    # Training AUC per epoch on a fixed seeded subset of the training rows (a full pass would cost
    # a third of an epoch).
    monitor = np.random.default_rng(int(seed) + 1).permutation(n_rows)[:TRAIN_AUC_ROWS]
    monitor_x, monitor_y = features[monitor], labels[monitor]
    history: dict[str, list[float]] = {"loss": [], "auc": [], "seconds": []}
    if val_y is not None:
        history.update(val_loss=[], val_auc=[])
    best = (np.inf, 0, [w.copy() for w in model.get_weights()])
    waited, train_seconds, cpu_seconds = 0, 0.0, 0.0
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        loss = float(run_epoch(tf.constant([int(seed), epoch], dtype=tf.int32)))
        elapsed = time.perf_counter() - started
        train_seconds += elapsed
        cpu_seconds += time.process_time() - cpu_started
        history["loss"].append(loss)
        history["seconds"].append(elapsed)
        weights = ncf.get_weights()
        history["auc"].append(roc_auc(monitor_y, ncf_click_probability(weights, monitor_x, final_relu=config.final_relu)))
        if val_y is None:
            best = (loss, epoch, None)
            continue
        relevance = ncf_click_probability(weights, val_x, final_relu=config.final_relu)
        examination = examination_now()
        clicked = relevance * examination[val_p] if pal else relevance
        val_loss = binary_cross_entropy(val_y, clicked)
        history["val_loss"].append(val_loss)
        history["val_auc"].append(roc_auc(val_y, relevance))
        if val_loss < best[0] - config.early_stopping_min_delta:
            best, waited = (val_loss, epoch, [w.copy() for w in model.get_weights()]), 0
        else:
            waited += 1
            if config.early_stopping_patience and waited >= config.early_stopping_patience:
                break
    if best[2] is not None:
        model.set_weights(best[2])
    best_epoch = best[1]
    return TrainedNCF(
        weights=[np.asarray(w) for w in ncf.get_weights()],
        examination=examination_now(),
        history=history,
        epochs_run=epoch,
        best_epoch=best_epoch,
        n_train=int(n_rows),
        n_validation=0 if val_y is None else int(val_y.shape[0]),
        n_positive=int((labels > 0).sum()),
        validation_auc=history["val_auc"][best_epoch - 1] if val_y is not None and best_epoch else float("nan"),
        validation_loss=history["val_loss"][best_epoch - 1] if val_y is not None and best_epoch else float("nan"),
        samples_per_second=n_rows * epoch / train_seconds if train_seconds > 0 else float("nan"),
        seconds=train_seconds,
        position_rows=position_rows,
        position_clicks=position_clicks,
        cpu_seconds=cpu_seconds,
    )
