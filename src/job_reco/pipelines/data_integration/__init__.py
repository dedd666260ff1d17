"""data_integration: the six raw logs -> quarantine, valid documents and labeled_impressions."""

from job_reco.pipelines.data_integration.pipeline import create_pipeline

__all__ = ["create_pipeline"]
