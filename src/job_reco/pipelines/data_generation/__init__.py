"""data_generation: a synthetic job-ad network (six raw tables + truth) from real O*NET/ESCO text."""

from job_reco.pipelines.data_generation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
