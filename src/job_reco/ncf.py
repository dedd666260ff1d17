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

Training (`train_ncf`) is numpy mini-batch Adam with the backward pass written out; Keras is
only the saved models' format (`build_ncf`). Heavy imports (Keras) happen inside the functions
that need them.
"""

from __future__ import annotations

import contextlib
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


def init_ncf_weights(input_dim: int, hidden_units: Sequence[int], init_std: float, seed: int) -> list[np.ndarray]:
    """Weights of a fresh NCF, `build_ncf`'s order (kernel, bias per Dense), each drawn from N(0, init_std)."""
    rng = np.random.default_rng(int(seed))
    widths = [int(input_dim), *(int(u) for u in hidden_units), 2]
    weights = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        weights.append(rng.normal(0.0, init_std, (fan_in, fan_out)).astype(np.float32))
        weights.append(rng.normal(0.0, init_std, fan_out).astype(np.float32))
    return weights


class _FlatParameters:
    """Arrays that live in one flat float32 buffer (and their gradients in another), so that Adam
    updates all of them in a handful of vector operations instead of a few per array."""

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        self.values = np.concatenate([np.asarray(a, np.float32).ravel() for a in arrays])
        self.gradients = np.zeros_like(self.values)
        self.arrays, self.gradient_arrays, offset = [], [], 0
        for array in arrays:
            size, shape = int(np.size(array)), np.shape(array)
            self.arrays.append(self.values[offset : offset + size].reshape(shape))
            self.gradient_arrays.append(self.gradients[offset : offset + size].reshape(shape))
            offset += size


class _Adam:
    """Adam exactly as Keras 3 writes it (beta 0.9 / 0.999, epsilon 1e-7, bias correction in the step size)."""

    def __init__(self, size: int, learning_rate: float) -> None:
        self.learning_rate, self.iterations = float(learning_rate), 0
        self.m, self.v = np.zeros(size, np.float32), np.zeros(size, np.float32)

    def apply(self, values: np.ndarray, gradients: np.ndarray) -> None:
        self.iterations += 1
        self.m += (gradients - self.m) * np.float32(0.1)
        self.v += (gradients * gradients - self.v) * np.float32(0.001)
        step = self.learning_rate * np.sqrt(1 - 0.999**self.iterations) / (1 - 0.9**self.iterations)
        values -= np.float32(step) * self.m / (np.sqrt(self.v) + np.float32(1e-7))


def pal_step_gradients(
    layers: _FlatParameters,
    examination_logits: np.ndarray | None,
    x: np.ndarray,
    positions: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    *,
    final_relu: bool,
) -> tuple[float, np.ndarray | None]:
    """One batch's loss; writes d loss / d weights into `layers.gradients`, returns the PAL logits' gradient.

    Forward: ReLU Dense layers, logits z, r = softmax(z)[1] = sigmoid(z1 - z0), q = e(position) x r
    with e = sigmoid(a), e(1) = 1 (q = r without PAL), clipped to [1e-7, 1 - 1e-7] as Keras does
    (zero gradient where clipped). Loss: mean of weight x binary cross-entropy(label, q). The
    backward pass is the chain rule by hand, checked against TensorFlow's autodiff in the tests.
    """
    kernels, biases = layers.arrays[0::2], layers.arrays[1::2]
    activations = [x]
    for kernel, bias in zip(kernels[:-1], biases[:-1], strict=True):
        hidden = activations[-1] @ kernel
        hidden += bias
        activations.append(np.maximum(hidden, 0.0, out=hidden))
    logits = activations[-1] @ kernels[-1] + biases[-1]
    shown = np.maximum(logits, 0.0) if final_relu else logits
    relevance = 1.0 / (1.0 + np.exp(shown[:, 0] - shown[:, 1], dtype=np.float64))
    if examination_logits is not None:
        examination = 1.0 / (1.0 + np.exp(-examination_logits.astype(np.float64)))
        examination[1] = 1.0
        seen = examination[positions]
    else:
        seen = 1.0
    clicked = seen * relevance
    inside = (clicked >= _EPSILON) & (clicked <= 1 - _EPSILON)
    q = np.clip(clicked, _EPSILON, 1 - _EPSILON)
    loss = float(np.mean(weight * -(labels * np.log(q) + (1 - labels) * np.log1p(-q))))
    d_clicked = np.where(inside, weight * (q - labels) / (q * (1 - q)), 0.0) / x.shape[0]
    d_difference = d_clicked * seen * relevance * (1 - relevance)
    d_logits = np.empty_like(logits)
    d_logits[:, 1], d_logits[:, 0] = d_difference, -d_difference
    if final_relu:
        d_logits *= logits > 0
    gradients_k, gradients_b = layers.gradient_arrays[0::2], layers.gradient_arrays[1::2]
    ones = np.ones(x.shape[0], np.float32)  # a bias gradient as a BLAS product: faster than sum(axis=0)
    d_hidden = d_logits
    for index in range(len(kernels) - 1, -1, -1):
        if index < len(kernels) - 1:
            d_hidden *= activations[index + 1] > 0
        np.matmul(activations[index].T, d_hidden, out=gradients_k[index])
        np.matmul(ones, d_hidden, out=gradients_b[index])
        if index:
            d_hidden = d_hidden @ kernels[index].T
    if examination_logits is None:
        return loss, None
    d_examination = d_clicked * relevance * seen * (1 - seen)  # 0 at position 1, where seen = 1
    return loss, np.bincount(positions, weights=d_examination, minlength=examination_logits.shape[0]).astype(np.float32)


def _examination_curve(logits: np.ndarray | None) -> np.ndarray | None:
    """P(seen | position) relative to position 1 from PAL's logits (index 1 = 1.0)."""
    if logits is None:
        return None
    curve = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
    curve[1] = 1.0
    return curve


@dataclass
class _TrainingState:
    """The parameters being trained and their optimizers."""

    layers: _FlatParameters
    optimizer: _Adam
    examination_logits: np.ndarray | None
    examination_optimizer: _Adam | None

    def snapshot(self) -> tuple[np.ndarray, np.ndarray | None]:
        return self.layers.values.copy(), None if self.examination_logits is None else self.examination_logits.copy()

    def restore(self, snapshot: tuple[np.ndarray, np.ndarray | None]) -> None:
        self.layers.values[:] = snapshot[0]
        if snapshot[1] is not None:
            self.examination_logits[:] = snapshot[1]


def _run_epoch(state: _TrainingState, data: tuple, order: np.ndarray, batch_size: int, final_relu: bool) -> float:
    """One pass over the rows in `order`, a gradient step per batch; the mean training loss."""
    features, positions, labels, weight = data
    total = 0.0
    for start in range(0, order.shape[0], batch_size):
        rows = order[start : start + batch_size]
        loss, d_examination = pal_step_gradients(
            state.layers, state.examination_logits, features[rows], positions[rows], labels[rows], weight[rows],
            final_relu=final_relu,
        )
        state.optimizer.apply(state.layers.values, state.layers.gradients)
        if d_examination is not None:
            state.examination_optimizer.apply(state.examination_logits, d_examination)
        total += loss * rows.shape[0]
    return total / order.shape[0]


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

    Numpy mini-batch gradient descent (forward, backward and Adam by hand, `pal_step_gradients`):
    at this network's size (about 7k weights, batches of 1024) TensorFlow's fixed costs (its
    import, tracing the training graph, a few microseconds per op) outweighed the arithmetic
    (docs/modeling.md, "Training throughput"). Same inputs, config and seed give the same weights
    (seeded draws and shuffles; `threads` BLAS threads, 1 in the pipeline).

    Args:
        features: (n, w) float32, `model_features` of the resume and job vectors.
        positions: (n,) displayed positions (1-based).
        labels: (n,) 1 = click, 0 = none.
        config: network and training settings.
        seed: seeds initial weights, down-sampling and shuffles.
        validation: (features, positions, labels) of held-out rows for early stopping, or None
            (then all `epochs` run and the validation figures are NaN).
        threads: BLAS threads for the matrix products (None = leave numpy's setting).
    """
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    features = np.ascontiguousarray(features, dtype=np.float32)
    labels = np.asarray(labels).astype(np.float64)
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
    weight = np.where(labels > 0, config.positive_weight, 1.0)
    with threadpool_limits(limits=threads, user_api="blas") if threads else contextlib.nullcontext():
        return _train_loop(
            (features, positions, labels, weight), config=config, seed=int(seed), validation=validation,
            position_rows=position_rows, position_clicks=position_clicks,
        )


def _train_loop(
    data: tuple, *, config: NCFConfig, seed: int, validation, position_rows: np.ndarray, position_clicks: np.ndarray
) -> TrainedNCF:
    """The epoch loop of `train_ncf`: train, monitor AUC, early-stop on validation loss, keep the best."""
    features, positions, labels, _ = data
    pal = config.position_bias == "pal"
    layers = _FlatParameters(init_ncf_weights(features.shape[1], config.hidden_units, config.init_std, seed))
    exam = np.zeros(config.max_position + 1, np.float32) if pal else None
    state = _TrainingState(
        layers, _Adam(layers.values.size, config.learning_rate),
        exam, _Adam(exam.size, config.examination_learning_rate) if pal else None,
    )
    n_rows, batch_size = features.shape[0], min(config.batch_size, features.shape[0])
    if validation is not None and len(validation[2]) > 0:
        val_x = np.asarray(validation[0], dtype=np.float32)
        val_p = clip_positions(validation[1], config.max_position)
        val_y = np.asarray(validation[2]).astype(np.float32)
    else:
        val_x = val_p = val_y = None
    # Training AUC per epoch on a fixed seeded subset of the training rows (a full pass would cost
    # a third of an epoch).
    monitor = np.random.default_rng(seed + 1).permutation(n_rows)[:TRAIN_AUC_ROWS]
    monitor_x, monitor_y = features[monitor], labels[monitor]
    history: dict[str, list[float]] = {"loss": [], "auc": [], "seconds": []}
    if val_y is not None:
        history.update(val_loss=[], val_auc=[])
    best = (np.inf, 0, state.snapshot())
    waited, train_seconds, cpu_seconds, epoch = 0, 0.0, 0.0, 0
    for epoch in range(1, config.epochs + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        order = np.random.default_rng([seed, epoch]).permutation(n_rows)
        loss = _run_epoch(state, data, order, batch_size, config.final_relu)
        elapsed = time.perf_counter() - started
        train_seconds += elapsed
        cpu_seconds += time.process_time() - cpu_started
        history["loss"].append(loss)
        history["seconds"].append(elapsed)
        weights = layers.arrays
        history["auc"].append(roc_auc(monitor_y, ncf_click_probability(weights, monitor_x, final_relu=config.final_relu)))
        if val_y is None:
            best = (loss, epoch, None)
            continue
        relevance = ncf_click_probability(weights, val_x, final_relu=config.final_relu)
        clicked = relevance * _examination_curve(state.examination_logits)[val_p] if pal else relevance
        val_loss = binary_cross_entropy(val_y, clicked)
        history["val_loss"].append(val_loss)
        history["val_auc"].append(roc_auc(val_y, relevance))
        if val_loss < best[0] - config.early_stopping_min_delta:
            best, waited = (val_loss, epoch, state.snapshot()), 0
        else:
            waited += 1
            if config.early_stopping_patience and waited >= config.early_stopping_patience:
                break
    if best[2] is not None:
        state.restore(best[2])
    best_epoch = best[1]
    has_validation = val_y is not None and best_epoch > 0
    return TrainedNCF(
        weights=[array.copy() for array in layers.arrays],
        examination=_examination_curve(state.examination_logits),
        history=history,
        epochs_run=epoch,
        best_epoch=best_epoch,
        n_train=int(n_rows),
        n_validation=0 if val_y is None else int(val_y.shape[0]),
        n_positive=int((labels > 0).sum()),
        validation_auc=history["val_auc"][best_epoch - 1] if has_validation else float("nan"),
        validation_loss=history["val_loss"][best_epoch - 1] if has_validation else float("nan"),
        samples_per_second=n_rows * epoch / train_seconds if train_seconds > 0 else float("nan"),
        seconds=train_seconds,
        position_rows=position_rows,
        position_clicks=position_clicks,
        cpu_seconds=cpu_seconds,
    )
