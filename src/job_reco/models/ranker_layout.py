"""The ranker's input layout: decided once at training, saved beside the model, read by scoring and `recommend`.

`ranker_layout` says what the ranker's `features` input holds (the blocks, the side features and their
standardisation, the width); `row_inputs` builds those inputs from rows; `check_ranker_artifacts`
refuses a model, layout and vectors that do not belong together, with a message that says what to rerun.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from job_reco.columns import CLUSTER
from job_reco.models.features import side_feature_matrix, vector_matrix
from job_reco.models.keras_file import SavedWeights
from job_reco.models.ranker import RankerConfig, build_ranker, ranker_weights
from job_reco.text.vectors import cosine_similarity

ARCHITECTURE = "shared_residual_listwise"
LAYOUT_VERSION = 3
# The document-vector blocks the features may start with, each `vector_dimension` wide.
VECTOR_BLOCKS = ("resume_vector", "job_vector", "product")


def check_vector_blocks(blocks: Sequence[str] | None) -> list[str]:
    """`blocks` as a list in VECTOR_BLOCKS order; error on an unknown or repeated name."""
    found = [str(b) for b in (blocks or ())]
    if len(set(found)) != len(found) or set(found) - set(VECTOR_BLOCKS):
        raise ValueError(f"modeling.vector_blocks must list some of {list(VECTOR_BLOCKS)}, each at most once; got {found}")
    return [b for b in VECTOR_BLOCKS if b in found]


def ranker_layout(
    dimension: int, side_features: Sequence[str], side_mean, side_std, config: RankerConfig, n_clusters: int,
    blocks: Sequence[str] = (),
) -> dict:
    """What the ranker's `features` input holds and how to build it: saved with the model.

    `blocks`: the document-vector blocks before the side features (VECTOR_BLOCKS; none by default:
    the vectors enter through cosine and the section cosines only, see docs/modeling.md).
    """
    blocks = check_vector_blocks(blocks)
    return {
        "layout_version": LAYOUT_VERSION,
        "architecture": ARCHITECTURE,
        "vector_dimension": int(dimension),
        "blocks": blocks,
        "side_features": list(side_features),
        "side_mean": [float(x) for x in side_mean],
        "side_std": [float(x) for x in side_std],
        "width": len(blocks) * int(dimension) + len(side_features),
        "n_clusters": int(n_clusters),
        "hidden_units": list(config.hidden_units),
        "config": config.to_dict(),
    }


def side_offset(layout: Mapping[str, Any]) -> int:
    """The column of the features where the side features start (after the vector blocks)."""
    return len(layout["blocks"]) * int(layout["vector_dimension"])


def row_inputs(frame: pd.DataFrame, layout: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, cosine, cluster) of rows with resume_vector, job_vector, cluster and the layout's side columns."""
    d = int(layout["vector_dimension"])
    resume, job = (vector_matrix(frame[c], np.float32, d) for c in ("resume_vector", "job_vector"))
    side = side_feature_matrix(frame, layout["side_features"])
    side = (side - np.asarray(layout["side_mean"], np.float32)) / np.asarray(layout["side_std"], np.float32)
    cluster = frame[CLUSTER].fillna(0).to_numpy(dtype=np.int64) if CLUSTER in frame else np.zeros(len(frame), np.int64)
    features = np.empty((len(frame), side_offset(layout) + side.shape[1]), dtype=np.float32)
    for index, block in enumerate(layout["blocks"]):
        columns = features[:, index * d : (index + 1) * d]
        if block == "product":
            np.multiply(resume, job, out=columns)
        else:
            columns[:] = resume if block == "resume_vector" else job
    features[:, side_offset(layout) :] = side
    return features, cosine_similarity(resume, job).astype(np.float32), cluster


def build_ranker_artifacts(ranker_state: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The trained weights as a Keras model, and the layout saved beside it."""
    layout = dict(ranker_state["layout"])
    config = RankerConfig(**layout["config"])
    model = build_ranker(layout["width"], layout["n_clusters"], config, seed=0)
    for layer in model.layers:
        if layer.name in ranker_state["weights"]:
            layer.set_weights(ranker_state["weights"][layer.name])
    return model, layout


def check_ranker_artifacts(model: Any, layout: Mapping[str, Any], vector_dimension: int | None = None) -> dict:
    """The model's weights by layer, after checking that model, layout and vectors agree; else a clear error.

    `model`: the Keras model (`ranker_model@keras`) or its saved weights (`ranker_model@weights`, no TensorFlow).
    """
    where = "data/06_models/ranker/ (model.keras, layout.json)"
    if layout.get("layout_version") != LAYOUT_VERSION:
        raise ValueError(
            f"ranker_layout has layout_version {layout.get('layout_version')!r}, this code reads {LAYOUT_VERSION} "
            f"({where}): retrain with `kedro run --pipelines modeling`"
        )
    saved = isinstance(model, SavedWeights)
    width = model.input_width("features") if saved else int(model.inputs[0].shape[-1])
    if width != int(layout["width"]):
        raise ValueError(f"ranker_model takes {width} features but ranker_layout says {layout['width']} ({where}): they come from different runs")
    if vector_dimension is not None and int(vector_dimension) != int(layout["vector_dimension"]):
        raise ValueError(
            f"the ranker was trained on {layout['vector_dimension']}-d document vectors, these are {vector_dimension}-d "
            f"({where}): rerun embeddings and modeling with the same word vectors"
        )
    return {name: list(arrays) for name, arrays in model.weights.items()} if saved else ranker_weights(model)
