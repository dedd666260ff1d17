"""The dense NCF click model of the original design, its position-aware (PAL) training, pure numpy in/out.

Nothing here touches Spark: the modeling pipeline calls `job_reco.models.ncf_training.train_ncf` inside
one Spark task per resume cluster (`applyInPandas`), and scores with `ncf_click_probability`, a numpy
forward pass, inside `mapInPandas`. Everything is testable on small arrays.

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

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from job_reco.text.vectors import cosine_similarity

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
EPSILON = 1e-7


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


def model_features(
    resume: np.ndarray, job: np.ndarray, interactions: Sequence[str] | None, extra: np.ndarray | None = None
) -> np.ndarray:
    """The model input: resume ++ job ++ [resume * job] ++ [cosine(resume, job)] (++ extra), float32 (n, width).

    The appended blocks follow the order of `interactions`: "product" the element-wise product (the
    GMF signal of NeuMF, He et al. 2017), "cosine" one column, 0 where either vector is zero. Used
    alike for training, validation and scoring, so a saved model always sees the same layout.
    `extra`: (n, k) columns appended last (the ranker's side features), written in the same matrix.
    """
    resume = np.asarray(resume, dtype=np.float32)
    job = np.asarray(job, dtype=np.float32)
    if resume.ndim != 2 or resume.shape != job.shape:
        raise ValueError(f"resume vectors {resume.shape} and job vectors {job.shape} must be (n, d) alike")
    names = check_interactions(interactions)
    n, d = resume.shape
    extra = np.zeros((n, 0), dtype=np.float32) if extra is None else np.asarray(extra)
    out = np.empty((n, 2 * d + sum(d if name == "product" else 1 for name in names) + extra.shape[1]), dtype=np.float32)
    out[:, :d], out[:, d : 2 * d] = resume, job
    start = 2 * d
    for name in names:
        if name == "product":
            np.multiply(resume, job, out=out[:, start : start + d])
            start += d
        else:
            out[:, start] = cosine_similarity(resume, job)
            start += 1
    out[:, start:] = extra
    return out


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
    """(weights in Dense order, final_relu) of a model made by `build_ncf`: a Keras model or its `SavedWeights`."""
    from job_reco.models.keras_file import SavedWeights  # noqa: PLC0415

    saved = isinstance(model, SavedWeights)
    names = list(model.layers) if saved else [layer.name for layer in model.layers]
    if LOGITS_LAYER not in names or SOFTMAX_LAYER not in names:
        raise ValueError(f"not an NCF from build_ncf: layers {names} lack {LOGITS_LAYER!r}/{SOFTMAX_LAYER!r}")
    weights = model.flat() if saved else model.get_weights()
    return [np.asarray(w) for w in weights], FINAL_RELU_LAYER in names


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
    p = np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1 - EPSILON)
    y = np.asarray(labels, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def clip_positions(positions: np.ndarray, max_position: int) -> np.ndarray:
    """Positions as int32 in 1..max_position (larger ones share max_position); < 1 is an error."""
    positions = np.asarray(positions)
    if positions.size and positions.min() < 1:
        raise ValueError(f"positions are 1-based; got a minimum of {positions.min()} in column 'position'")
    return np.minimum(positions, max_position).astype(np.int32)


MODEL_PREFIX = "cluster_"  # cluster_models' keys: cluster_<c>


def cluster_model_weights(cluster_models: Mapping[str, Any]) -> list[tuple[int, list[np.ndarray], bool]]:
    """(cluster, weights, final_relu) per saved model, sorted by cluster; loads lazily saved partitions.

    The values: Keras models (`cluster_models@keras`), `SavedWeights` (`cluster_models@weights`, no
    TensorFlow), or a PartitionedDataset's load functions of either.
    """
    found = []
    for key, value in cluster_models.items():
        # A Keras model is callable too; a partition's load function has no layers.
        model = value() if callable(value) and not hasattr(value, "layers") else value
        weights, final_relu = ncf_weights(model)
        found.append((int(str(key).removeprefix(MODEL_PREFIX)), weights, final_relu))
    if not found:
        raise ValueError("cluster_models is empty (data/06_models/ncf/)")
    return sorted(found, key=lambda item: item[0])
