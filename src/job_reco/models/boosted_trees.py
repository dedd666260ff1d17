"""LambdaMART's margin from xgboost's own JSON model, in numpy: the same trees walked without importing xgboost.

xgboost's import pulls in scikit-learn and SciPy (seconds of wall time, 230 MB), more than the rest
of a recommendation. The booster that modeling saves (`gbdt_booster`, data/06_models/gbdt/model.json) is a
JSON list of trees: per node the split feature, threshold (`split_conditions`), children and the
direction of a missing value; a leaf (left child -1) keeps its value in `split_conditions`. The margin
is base_score plus each tree's leaf, accumulated in float32 in tree order, as xgboost's CPU predictor
does; a test checks it against `Booster.inplace_predict(..., predict_type="margin")`.

Only what modeling trains is read (gbtree, numerical splits, one target, an objective whose margin
is base_score + the leaves); `BoostedTrees.from_json` refuses anything else with a ValueError that
says why, and the caller then scores with xgboost itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

# Objectives whose margin is base_score + the sum of the leaves (no link function on base_score).
IDENTITY_OBJECTIVES = ("rank:ndcg", "rank:map", "rank:pairwise", "reg:squarederror")


@dataclass(frozen=True)
class BoostedTrees:
    """Trees padded to one width: per (tree, node) the feature, threshold, children, missing direction and leaf value."""

    feature: np.ndarray  # (trees, nodes) int64
    threshold: np.ndarray  # (trees, nodes) float32
    left: np.ndarray  # (trees, nodes) int64, -1 at a leaf
    right: np.ndarray
    default_left: np.ndarray  # (trees, nodes) bool
    value: np.ndarray  # (trees, nodes) float32, the leaf values
    depth: int
    base_score: np.float32
    n_features: int

    @classmethod
    def from_json(cls, model: bytes | str) -> BoostedTrees:
        """Read a booster saved with `save_raw("json")`; ValueError for what this reader does not cover."""
        learner = json.loads(model)["learner"]
        objective = learner["objective"]["name"]
        booster = learner["gradient_booster"]
        params = learner["learner_model_param"]
        problems = []
        if booster.get("name") != "gbtree":
            problems.append(f"booster {booster.get('name')!r} (gbtree expected)")
        if objective not in IDENTITY_OBJECTIVES:
            problems.append(f"objective {objective!r} (one of {list(IDENTITY_OBJECTIVES)} expected)")
        if int(params.get("num_target", 1)) > 1 or int(params.get("num_class", 0)) > 1:
            problems.append("several targets or classes")
        trees = booster.get("model", {}).get("trees", []) if not problems else []
        if any(any(int(t) != 0 for t in tree.get("split_type", [])) for tree in trees):
            problems.append("categorical splits")
        if problems:
            raise ValueError("the numpy reader of xgboost's JSON does not cover " + ", ".join(problems))
        base = np.float32(float(str(params["base_score"]).strip("[]")))
        return cls._padded(trees, base, int(params["num_feature"]))

    @classmethod
    def _padded(cls, trees: list[dict], base: np.float32, n_features: int) -> BoostedTrees:
        width = max((len(tree["left_children"]) for tree in trees), default=1)

        def table(key: str, dtype, fill) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for index, tree in enumerate(trees):
                out[index, : len(tree[key])] = np.asarray(tree[key], dtype=dtype)
            return out

        left, right = table("left_children", np.int64, -1), table("right_children", np.int64, -1)
        return cls(feature=table("split_indices", np.int64, 0), threshold=table("split_conditions", np.float32, 0.0),
                   left=left, right=right, default_left=table("default_left", bool, False),
                   value=table("split_conditions", np.float32, 0.0), depth=_depth(left, right),
                   base_score=base, n_features=n_features)

    def margin(self, features: np.ndarray) -> np.ndarray:
        """float64 (n,): base_score + the leaf of every tree, summed in float32 in tree order."""
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"LambdaMART reads {self.n_features} features, got a matrix of shape {x.shape}")
        n_trees, width = self.feature.shape
        # Every (row, tree) walks down at once; nodes are numbered tree * width + node in the flat tables.
        node = np.broadcast_to(np.arange(n_trees, dtype=np.int64) * width, (len(x), n_trees)).copy()
        row_start = (np.arange(len(x), dtype=np.int64) * self.n_features)[:, None]
        flat_x, feature, threshold = x.ravel(), self.feature.ravel(), self.threshold.ravel()
        left, right, default_left = self.left.ravel(), self.right.ravel(), self.default_left.ravel()
        tree_start = node[:1].copy()
        for _ in range(self.depth):
            value = flat_x.take(row_start + feature.take(node))
            go_left = np.where(np.isnan(value), default_left.take(node), value < threshold.take(node))
            child = np.where(go_left, left.take(node), right.take(node))
            node = np.where(child < 0, node, tree_start + child)
        start = np.full((len(x), 1), self.base_score, dtype=np.float32)
        leaves = self.value.ravel().take(node)
        return np.cumsum(np.concatenate([start, leaves], axis=1), axis=1, dtype=np.float32)[:, -1].astype(np.float64)


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """The most splits from a root to a leaf over all trees (children always follow their parent)."""
    parent = np.full(left.shape, -1, dtype=np.int64)
    trees = np.broadcast_to(np.arange(left.shape[0])[:, None], left.shape)
    for children in (left, right):
        has = children >= 0
        parent[trees[has], children[has]] = np.broadcast_to(np.arange(left.shape[1])[None, :], left.shape)[has]
    depth, up = 0, parent
    while (up >= 0).any():
        depth += 1
        up = np.where(up >= 0, parent[trees, np.maximum(up, 0)], -1)
    return depth
