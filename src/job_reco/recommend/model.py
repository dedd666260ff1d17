"""The chosen model's relevance score of (resume, job) rows: the ranker, its blend with LambdaMART, or the per-cluster NCFs.

Everything in numpy, from the saved weights: the ranker's and the NCFs' forward passes, LambdaMART's
trees read from xgboost's JSON (`job_reco.models.boosted_trees`); neither TensorFlow nor xgboost is
imported. Relevance only: the ranker's score has no position term, the NCFs' click probability is PAL's
second factor (P(click | seen)), so a new resume, which has no search list, is scored as the
modeling pipeline scores the test split (`ranker_scoring`, `gbdt`, `scoring`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from job_reco.models.boosted_trees import BoostedTrees
from job_reco.models.features import lambdamart_matrix
from job_reco.models.ncf import check_interactions, model_features, ncf_click_probability
from job_reco.models.ensemble import ensemble_scores
from job_reco.models.ranker import ranker_scores
from job_reco.text.vectors import centre_distances, parse_centres

logger = logging.getLogger(__name__)


@dataclass
class RowInputs:
    """The model inputs of n (resume, job) rows."""

    features: np.ndarray  # (n, width) standardised, as `ranker_layout.row_inputs` builds them
    cosine: np.ndarray
    cluster: np.ndarray
    resume: np.ndarray  # (n, d)
    job: np.ndarray  # (n, d)


def blend_scores(ranker: np.ndarray, gbdt: np.ndarray, weight: float, stats: Mapping[str, float]) -> np.ndarray:
    """w x standardised ranker + (1 - w) x standardised gbdt (numpy form of `ranker_scoring.blend_column`)."""
    r = (ranker - stats["ranker_mean"]) / stats["ranker_std"]
    g = (gbdt - stats["gbdt_mean"]) / stats["gbdt_std"]
    return float(weight) * r + (1.0 - float(weight)) * g


def load_booster(model: bytes) -> Any:
    """LambdaMART's trees in numpy (`BoostedTrees`, no xgboost import); xgboost's Booster for a model they do not cover."""
    try:
        return BoostedTrees.from_json(model)
    except ValueError as reason:
        import xgboost  # noqa: PLC0415

        logger.info("LambdaMART scored by xgboost: %s", reason)
        booster = xgboost.Booster(model_file=bytearray(model))
        booster.set_param({"nthread": 1})
        return booster


class ChosenModel:
    """Scores rows with the architecture that `architecture_selection` chose on validation."""

    def __init__(self, artifacts: Any, *, soft_temperature: float = 0.1, interactions=("product", "cosine")) -> None:
        self.selection = dict(artifacts.architecture_selection)
        self.selected = self.selection["selected"]
        self.layout = dict(artifacts.ranker_layout)
        self.weights = artifacts.ranker_weights
        self.hidden = len(self.layout["hidden_units"])
        self.booster = load_booster(artifacts.gbdt_booster) if self.selected == "blend" else None
        self.ncf = artifacts.cluster_models
        self.mode = (artifacts.ensemble_selection or {}).get("selected")
        self.centres, self.normalised = parse_centres(artifacts.cluster_centres)
        self.temperature = float(soft_temperature)
        self.interactions = check_interactions(interactions)

    @property
    def uses_side_features(self) -> bool:
        """Whether the side features enter the score (not for the per-cluster NCFs)."""
        return self.selected in ("ranker", "blend")

    def gbdt(self, rows: RowInputs) -> np.ndarray:
        """LambdaMART's margin on its inputs (`lambdamart_matrix`, as modeling builds them)."""
        matrix = lambdamart_matrix(rows.features, rows.cosine)
        if isinstance(self.booster, BoostedTrees):
            return self.booster.margin(matrix)
        return np.asarray(self.booster.inplace_predict(matrix, predict_type="margin"), dtype=np.float64)

    def per_cluster(self, rows: RowInputs) -> np.ndarray:
        """The per-cluster NCFs' click probabilities combined by the ensemble mode chosen on validation."""
        features = model_features(rows.resume, rows.job, self.interactions)
        probabilities = np.column_stack([ncf_click_probability(w, features, final_relu=relu) for _, w, relu in self.ncf])
        distances = centre_distances(rows.resume, self.centres, normalised=self.normalised)
        return ensemble_scores(self.mode, probabilities, [c for c, _, _ in self.ncf], row_clusters=rows.cluster,
                               distances=distances, temperature=self.temperature)

    def scores(self, rows: RowInputs) -> np.ndarray:
        """float64 (n,): higher = more relevant."""
        if self.selected == "per_cluster":
            return self.per_cluster(rows)
        ranker = ranker_scores(self.weights, rows.features, rows.cosine, rows.cluster, self.hidden)
        if self.selected == "ranker":
            return ranker
        return blend_scores(ranker, self.gbdt(rows), self.selection["blend_weight"], self.selection["standardisation"])
