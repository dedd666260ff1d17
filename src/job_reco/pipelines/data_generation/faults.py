"""The logs' faults and summary: a small share of the faults real logs have (for data_integration's
quarantine), and the generated network's sizes and rates."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from job_reco.columns import (
    APPLICATION_ID,
    CLICK_ID,
    EXPERIMENT,
    JOB_ID,
    RESUME_ID,
    SEARCH_ID,
)
from job_reco.pipelines.data_generation import draws

logger = logging.getLogger(__name__)


def _tags(prefix: str, index: pd.Index) -> pd.Series:
    """prefix + 0, 1, 2, ... aligned on `index`: ids that exist nowhere else."""
    return prefix + pd.Series(np.arange(len(index)), index=index).astype(str)


def add_dirty_rows(
    impressions: pd.DataFrame, clicks: pd.DataFrame, applications: pd.DataFrame, dirty_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Append a small share of the faults real logs have, for data_integration to quarantine.

    With share s > 0, each table gets ceil(s x rows) rows of each kind: impressions: exact duplicates
    and rows with a null job_id; clicks: a click on a job its search never showed (new click_id) and a
    duplicated click_id; applications: an unknown click_id and an unknown resume_id. s = 0: unchanged.
    """
    share = float(dirty_share)
    if share <= 0:
        return impressions, clicks, applications
    generator = draws.rng(seed, "dirty")

    def sample(df: pd.DataFrame) -> pd.DataFrame:
        k = min(len(df), int(np.ceil(share * len(df))))
        return df.iloc[np.sort(generator.choice(len(df), size=k, replace=False))].copy() if k else df.iloc[:0].copy()

    dup_impressions, null_job = sample(impressions), sample(impressions)
    null_job[JOB_ID] = None
    unshown = sample(clicks)
    # a job id that never appears in impressions, so the click has no impression behind it
    unshown[JOB_ID] = _tags("J-UNSHOWN-", unshown.index)
    unshown[CLICK_ID] = _tags("C-UNSHOWN-", unshown.index)
    unknown_click, unknown_resume = sample(applications), sample(applications)
    unknown_click[CLICK_ID] = _tags("C-UNKNOWN-", unknown_click.index)
    unknown_click[APPLICATION_ID] = unknown_click[APPLICATION_ID] + "-X"
    unknown_resume[RESUME_ID] = _tags("R-UNKNOWN-", unknown_resume.index)
    unknown_resume[APPLICATION_ID] = unknown_resume[APPLICATION_ID] + "-Y"
    out = (
        pd.concat([impressions, dup_impressions, null_job], ignore_index=True),
        pd.concat([clicks, unshown, sample(clicks)], ignore_index=True),
        pd.concat([applications, unknown_click, unknown_resume], ignore_index=True),
    )
    logger.info("Added dirty rows: %d impressions, %d clicks, %d applications.",
                len(out[0]) - len(impressions), len(out[1]) - len(clicks), len(out[2]) - len(applications))
    return out


def summarise_network(
    impressions: pd.DataFrame, clicks: pd.DataFrame, applications: pd.DataFrame, searches: pd.DataFrame
) -> dict[str, float]:
    """Sizes, click-through rate and the share of searches with an applied click (logged, returned)."""
    clicked_apps = applications[CLICK_ID].notna()
    applied_searches = clicks.loc[clicks[CLICK_ID].isin(applications.loc[clicked_apps, CLICK_ID]), SEARCH_ID].nunique()
    summary = {
        "searches": len(searches), "impressions": len(impressions), "clicks": len(clicks),
        "applications": len(applications),
        "click_through_rate": len(clicks) / max(len(impressions), 1),
        "searches_with_applied_click": applied_searches / max(len(searches), 1),
        "randomized_searches": int(searches[EXPERIMENT].notna().sum()) if EXPERIMENT in searches else 0,
    }
    logger.info("Generated network: %s", summary)
    return summary
