"""recommend: the best jobs for new resumes, from the last run's artifacts (docs/recommend.md)."""

from job_reco.pipelines.recommend.pipeline import create_pipeline

__all__ = ["create_pipeline"]
