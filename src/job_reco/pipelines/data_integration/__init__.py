"""data_integration: the six raw logs -> quarantine, valid documents and labeled_impressions.

The nodes by theme: `schema` (the contract's columns and types), `quarantine` (rules per table and
across tables), `joins` (the original design's three joins), `split` (train and test in time),
`search_impressions` (every search, for the ranker), `quality` (data_quality.json). Everything is
Spark DataFrame code: no Python UDFs, no rows collected to the driver (the split's cut-off and the
data-quality counts are aggregates, a few numbers each).
"""

from job_reco.pipelines.data_integration.pipeline import create_pipeline

__all__ = ["create_pipeline"]
