"""embeddings: scrubbed, tokenized resumes and jobs -> GloVe/SIF document vectors on Spark."""

from job_reco.pipelines.embeddings.pipeline import create_pipeline

__all__ = ["create_pipeline"]
