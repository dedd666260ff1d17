"""The logs' faults: a small share of the faults real logs have, for data_integration's quarantine.
With share s > 0, each table (each part of it) gets ceil(s x rows) rows of each kind of fault."""

from __future__ import annotations

import numpy as np
import pandas as pd

from job_reco.columns import (
    APPLICATION_ID,
    CLICK_ID,
    JOB_ID,
    RESUME_ID,
)
from job_reco.pipelines.data_generation import draws


def _tags(prefix: str, index: pd.Index) -> pd.Series:
    """prefix + 0, 1, 2, ... aligned on `index`: ids that exist nowhere else (prefix names the part)."""
    return prefix + pd.Series(np.arange(len(index)), index=index).astype(str)


def _sampler(dirty_share: float, seed: int, table: str, part: int):
    """A function drawing ceil(share x rows) distinct rows of a frame, in order, from the table's own stream."""
    generator = draws.rng(seed, "dirty", part, list(DIRTY_TABLES).index(table))

    def sample(df: pd.DataFrame) -> pd.DataFrame:
        k = min(len(df), int(np.ceil(float(dirty_share) * len(df))))
        return df.iloc[np.sort(generator.choice(len(df), size=k, replace=False))].copy() if k else df.iloc[:0].copy()

    return sample


def dirty_impressions(impressions: pd.DataFrame, dirty_share: float, seed: int, part: int = 0) -> pd.DataFrame:
    """Impressions plus ceil(share x rows) exact duplicates and as many rows with a null job_id."""
    if float(dirty_share) <= 0:
        return impressions
    sample = _sampler(dirty_share, seed, "impressions", part)
    duplicates, null_job = sample(impressions), sample(impressions)
    null_job[JOB_ID] = None
    return pd.concat([impressions, duplicates, null_job], ignore_index=True)


def dirty_clicks(clicks: pd.DataFrame, dirty_share: float, seed: int, part: int = 0) -> pd.DataFrame:
    """Clicks plus ceil(share x rows) clicks on a job their search never showed (new click_id) and as
    many duplicated click_ids."""
    if float(dirty_share) <= 0:
        return clicks
    sample = _sampler(dirty_share, seed, "clicks", part)
    unshown = sample(clicks)
    # a job id that never appears in impressions, so the click has no impression behind it
    unshown[JOB_ID] = _tags(f"J-UNSHOWN-{part}-", unshown.index)
    unshown[CLICK_ID] = _tags(f"C-UNSHOWN-{part}-", unshown.index)
    return pd.concat([clicks, unshown, sample(clicks)], ignore_index=True)


def dirty_applications(applications: pd.DataFrame, dirty_share: float, seed: int, part: int = 0) -> pd.DataFrame:
    """Applications plus ceil(share x rows) with an unknown click_id and as many with an unknown resume_id."""
    if float(dirty_share) <= 0:
        return applications
    sample = _sampler(dirty_share, seed, "applications", part)
    unknown_click, unknown_resume = sample(applications), sample(applications)
    unknown_click[CLICK_ID] = _tags(f"C-UNKNOWN-{part}-", unknown_click.index)
    unknown_click[APPLICATION_ID] = unknown_click[APPLICATION_ID] + "-X"
    unknown_resume[RESUME_ID] = _tags(f"R-UNKNOWN-{part}-", unknown_resume.index)
    unknown_resume[APPLICATION_ID] = unknown_resume[APPLICATION_ID] + "-Y"
    return pd.concat([applications, unknown_click, unknown_resume], ignore_index=True)


DIRTY_TABLES = {"impressions": dirty_impressions, "clicks": dirty_clicks, "applications": dirty_applications}
