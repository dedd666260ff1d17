"""clustering: resume vectors -> K-means (k-means||) groups of resumes, their centres and a report."""

from job_reco.pipelines.clustering.pipeline import create_pipeline

__all__ = ["create_pipeline"]
