"""The reporting pipeline: ranking metrics in three views, charts and the human report."""

from job_reco.pipelines.reporting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
