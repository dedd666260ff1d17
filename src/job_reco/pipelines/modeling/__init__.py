"""modeling: per-cluster dense NCF models (Keras) trained in parallel on Spark, the ensemble, the baselines."""

from job_reco.pipelines.modeling.pipeline import create_pipeline

__all__ = ["create_pipeline"]
