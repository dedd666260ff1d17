"""Nodes of modeling: per-cluster NCF models trained in parallel on Spark, the ensemble, the baselines.

Data flow (docs/modeling.md):

1. `mark_validation_groups`: the latest `validation_fraction` of the training groups (in time, as
   the test split is) become the validation slice: early stopping and the choice of ensemble.
2. `assemble_model_inputs`: each impression with its resume vector, job vector and resume cluster.
3. `train_cluster_models`: `groupBy(cluster).applyInPandas`: one Spark task per cluster trains its
   NCF (`job_reco.models.ncf_training.train_ncf`) and returns weights, history and position factors as one row.
4. `build_cluster_models`, `summarise_training`, `estimate_propensity`: the driver turns those rows
   into Keras models, the training history and the examination curve.
5. `score_validation_ensembles` + `select_ensemble_mode`: every ensemble mode scored on the
   validation slice (`mapInPandas`, numpy forward pass), the best IPS-weighted MRR wins.
6. `compute_job_popularity`, `score_test_impressions`: the test split scored by the chosen
   ensemble and the four baselines, into the contract's `scored_impressions`.

Impressions never reach the driver: only per-cluster results, counts and metric sums do.
"""

from job_reco.pipelines.modeling.inputs import (
    assemble_model_inputs,
    compute_job_popularity,
    mark_validation_groups,
    smoothed_ctr,
)
from job_reco.pipelines.modeling.scoring import score_test_impressions, score_validation_ensembles, select_ensemble_mode
from job_reco.pipelines.modeling.training import (
    SKIPPED,
    TRAINED,
    build_cluster_models,
    estimate_propensity,
    summarise_training,
    train_cluster_models,
)

__all__ = [
    "SKIPPED",
    "TRAINED",
    "assemble_model_inputs",
    "build_cluster_models",
    "compute_job_popularity",
    "estimate_propensity",
    "mark_validation_groups",
    "score_test_impressions",
    "score_validation_ensembles",
    "select_ensemble_mode",
    "smoothed_ctr",
    "summarise_training",
    "train_cluster_models",
]
