"""Recommend jobs for a resume never seen before, from the artifacts of the last run (docs/recommend.md)."""

from job_reco.recommend.artifacts import ArtifactError
from job_reco.recommend.recommender import JobRecommender, RecommendSettings

__all__ = ["ArtifactError", "JobRecommender", "RecommendSettings"]
