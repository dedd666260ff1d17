"""data_integration: validate, quarantine, the three joins of the original design, split in time."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from job_reco.columns import RAW_TABLES
from job_reco.pipelines.data_integration.joins import (
    define_query_groups,
    join_clicks_to_applications,
    restore_impressions,
)
from job_reco.pipelines.data_integration.quality import summarise_data_quality
from job_reco.pipelines.data_integration.quarantine import (
    check_applications,
    check_clicks,
    check_impressions,
    check_jobs,
    check_resumes,
    check_searches,
    extract_quarantined_rows,
    select_valid_documents,
)
from job_reco.pipelines.data_integration.schema import validate_raw_tables
from job_reco.pipelines.data_integration.search_impressions import (
    restore_search_impressions,
)
from job_reco.pipelines.data_integration.split import split_groups_by_time

CHECKED = [f"checked_{table}" for table in RAW_TABLES]


P = "params:data_integration."


def create_pipeline(**kwargs) -> Pipeline:
    """Raw logs -> quarantine_<table>, valid_resumes, valid_jobs, labeled_impressions, data_quality."""
    return Pipeline([*_check_nodes(), *_join_nodes()],
                    namespace="data_integration", prefix_datasets_with_namespace=False)


def _check_nodes() -> list:
    """Types and rules per table, then the rows each table's parents vouch for; the quarantine and the valid documents."""
    return [
        node(validate_raw_tables, [*(f"raw_{table}@spark" for table in RAW_TABLES), P + "timestamp_format"],
             [f"typed_{table}" for table in RAW_TABLES], name="validate_raw_tables"),
        node(check_resumes, "typed_resumes", "checked_resumes", name="check_resumes"),
        node(check_jobs, "typed_jobs", "checked_jobs", name="check_jobs"),
        node(check_searches, "typed_searches", "checked_searches", name="check_searches"),
        node(check_impressions, ["typed_impressions", "checked_searches", "checked_jobs"], "checked_impressions",
             name="check_impressions"),
        node(check_clicks, ["typed_clicks", "checked_impressions"], "checked_clicks", name="check_clicks"),
        node(check_applications, ["typed_applications", "checked_clicks", "checked_resumes"], "checked_applications",
             name="check_applications"),
        node(extract_quarantined_rows, CHECKED, [f"quarantine_{table}" for table in RAW_TABLES],
             name="extract_quarantined_rows"),
        node(select_valid_documents, ["checked_resumes", "checked_jobs"], ["valid_resumes", "valid_jobs"],
             name="select_valid_documents"),
    ]


def _join_nodes() -> list:
    """The three joins of the original design, the split in time, every search's impressions, the quality summary."""
    return [
        node(join_clicks_to_applications, ["checked_applications", "checked_clicks"], "application_pairs",
             name="join_clicks_to_applications"),
        node(define_query_groups, ["application_pairs", "checked_searches"], "query_groups", name="define_query_groups"),
        node(split_groups_by_time, ["query_groups", P + "test_fraction"], "split_groups", name="split_groups_by_time"),
        node(restore_impressions,
             ["split_groups", "checked_impressions", "checked_clicks", "application_pairs", P + "output_partitions"],
             "labeled_impressions", name="restore_impressions"),
        node(restore_search_impressions,
             ["split_groups", "checked_searches", "checked_resumes", "checked_impressions", "checked_clicks",
              "application_pairs"],
             "search_impressions", name="restore_search_impressions"),
        node(summarise_data_quality, [*CHECKED, "labeled_impressions", P + "test_fraction"], "data_quality",
             name="summarise_data_quality"),
    ]
