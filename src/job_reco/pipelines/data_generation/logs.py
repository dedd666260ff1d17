"""The logs in parts of searches: impressions, their truth, clicks and applications are generated and
written one part of `searches_per_part` consecutive searches at a time, so the generator's memory
holds one part, whatever the number of searches.

Each node returns {part id: function}; kedro-datasets' PartitionedDataset calls the functions one by
one while it saves ("lazy saving") and hands the next node {part id: loader} ("lazy loading"). Every
part draws from its own random streams (`draws.rng(seed, stream, part)`): the same seed and the same
`searches_per_part` give the same tables; another part size gives other draws of the same model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd

from job_reco.columns import (
    CLICK_ID,
    EXPERIMENT,
    JOB_ID,
    POSITION,
    POSTED_AT,
    SEARCH_ID,
    SEARCHED_AT,
    SHOWN_AT,
)
from job_reco.pipelines.data_generation import behaviour, draws, faults, search
from job_reco.progress import Progress

logger = logging.getLogger(__name__)

Parts = Mapping[str, Callable[[], pd.DataFrame]]
PART_PREFIX = "part-"


def part_rows(n_searches: int, searches_per_part: int) -> dict[str, slice]:
    """{part id: rows of the searches table}: consecutive blocks of `searches_per_part` searches."""
    size = int(searches_per_part)
    if size < 1:
        raise ValueError(f"data_generation.searches_per_part must be at least 1; got {searches_per_part}")
    return {f"{PART_PREFIX}{lo // size:05d}": slice(lo, min(lo + size, n_searches)) for lo in range(0, n_searches, size)}


def part_number(part_id: str) -> int:
    """The number of a part id ('part-00012' -> 12)."""
    return int(part_id.removeprefix(PART_PREFIX))


def _counted(make: Callable[[], pd.DataFrame], progress: Progress, rows: int) -> pd.DataFrame:
    """Make one part, then count its searches as done."""
    frame = make()
    progress.update(rows)
    return frame


def _each_part(searches: pd.DataFrame, searches_per_part: int, what: str, make: Callable) -> dict[str, Callable]:
    """{part id: function making that part}: `make(part number, rows)`, with progress logged per part."""
    rows = part_rows(len(searches), searches_per_part)
    progress = Progress(what, len(searches), unit="searches")
    logger.info("%s: %d searches in %d parts of at most %d.", what, len(searches), len(rows), int(searches_per_part))
    return {pid: partial(_counted, partial(make, part_number(pid), r), progress, r.stop - r.start)
            for pid, r in rows.items()}


def _ranked_part(number, rows, searches, jobs, query_code, docs, impressions_per_search, active_days, seed):
    """One part's impressions in the order the logging policy shows them."""
    part = searches.iloc[rows]
    ranked = search.rank_searches(part, jobs, query_code[rows], docs, impressions_per_search, active_days,
                                  max(len(part), 1), draws.rng(seed, "ranking", number))
    return search.apply_logging_policy(ranked, part)


def rank_impression_parts(
    searches: pd.DataFrame, jobs: pd.DataFrame, impressions_per_search: int, n_candidates: int, active_days: int,
    searches_per_part: int, seed: int,
) -> dict[str, Callable[[], pd.DataFrame]]:
    """What search shows, per part: BM25 once for all distinct queries, then per part the active ads
    (`search.rank_searches`) in the order the logging policy shows them (`search.apply_logging_policy`)."""
    query_code, docs = search.search_candidates(searches, jobs, n_candidates)
    # the parts keep only what ranking reads: the queries, titles and descriptions are freed with this
    # node instead of waiting for the next one (about 0.4 GB at `xlarge`)
    make = partial(_ranked_part, searches=searches[[SEARCH_ID, SEARCHED_AT, EXPERIMENT]], jobs=jobs[[JOB_ID, POSTED_AT]],
                   query_code=query_code, docs=docs, impressions_per_search=impressions_per_search,
                   active_days=active_days, seed=seed)
    return {pid: partial(make, part_number(pid), r) for pid, r in part_rows(len(searches), searches_per_part).items()}


def score_impression_parts(
    ranked_impression_parts: Parts, searches: pd.DataFrame, truth_seekers: pd.DataFrame, truth_jobs: pd.DataFrame,
    jobs: pd.DataFrame, behaviour_params: Mapping, searches_per_part: int, seed: int,
) -> dict[str, Callable[[], pd.DataFrame]]:
    """The latent truth of each part's impressions (`behaviour.score_impressions`)."""
    def make(number, rows):
        ranked = ranked_impression_parts[f"{PART_PREFIX}{number:05d}"]()
        return behaviour.score_impressions(ranked, searches.iloc[rows], truth_seekers, truth_jobs, jobs,
                                           behaviour_params, seed, part=number)

    return _each_part(searches, searches_per_part, "truth_impressions", make)


def log_impression_parts(
    truth_impression_parts: Parts, searches: pd.DataFrame, searches_per_part: int, dirty_share: float, seed: int,
) -> dict[str, Callable[[], pd.DataFrame]]:
    """The raw impressions of each part (shown when searched), with their share of faulty rows."""
    def make(number, rows):
        truth = truth_impression_parts[f"{PART_PREFIX}{number:05d}"]()
        part = searches.iloc[rows]
        shown = draws.lookup(truth[SEARCH_ID], pd.Index(part[SEARCH_ID]), "truth_impressions.search_id")
        impressions = pd.DataFrame({SEARCH_ID: truth[SEARCH_ID].to_numpy(dtype=object),
                                    JOB_ID: truth[JOB_ID].to_numpy(dtype=object),
                                    POSITION: truth[POSITION].to_numpy().astype("int32"),
                                    SHOWN_AT: draws.timestamps(draws.micros(part[SEARCHED_AT])[shown])})
        return faults.dirty_impressions(impressions, dirty_share, seed, number)

    return _each_part(searches, searches_per_part, "raw_impressions", make)


def log_click_parts(
    truth_impression_parts: Parts, searches: pd.DataFrame, searches_per_part: int, dirty_share: float, seed: int,
) -> dict[str, Callable[[], pd.DataFrame]]:
    """The raw clicks of each part (`behaviour.simulate_clicks`), with their share of faulty rows."""
    def make(number, rows):
        truth = truth_impression_parts[f"{PART_PREFIX}{number:05d}"]()
        clicks = behaviour.simulate_clicks(truth, searches.iloc[rows], seed, part=number)
        return faults.dirty_clicks(clicks, dirty_share, seed, number)

    return _each_part(searches, searches_per_part, "raw_clicks", make)


def log_application_parts(
    truth_impression_parts: Parts, searches: pd.DataFrame, truth_seekers: pd.DataFrame, truth_jobs: pd.DataFrame,
    jobs: pd.DataFrame, apply_probability_by_grade: Sequence[float], external_share: float, start_date: str,
    n_months: int, searches_per_part: int, dirty_share: float, seed: int,
) -> dict[str, Callable[[], pd.DataFrame]]:
    """The raw applications of each part: its clean clicks drawn again (the same stream as
    `log_click_parts`), then `behaviour.simulate_applications`, with their share of faulty rows."""
    def make(number, rows):
        truth, part = truth_impression_parts[f"{PART_PREFIX}{number:05d}"](), searches.iloc[rows]
        clicks = behaviour.simulate_clicks(truth, part, seed, part=number)
        applications = behaviour.simulate_applications(
            clicks, truth, part, truth_seekers, truth_jobs, jobs, apply_probability_by_grade, external_share,
            start_date, n_months, seed, part=number)
        return faults.dirty_applications(applications, dirty_share, seed, number)

    return _each_part(searches, searches_per_part, "raw_applications", make)


def summarise_network(
    impression_parts: Parts, click_parts: Parts, application_parts: Parts, searches: pd.DataFrame
) -> dict[str, float]:
    """Sizes, click-through rate and the share of searches with an applied click, read part by part from
    the written raw tables (faulty rows included: `dirty_share`), logged and returned."""
    counts = np.zeros(4, dtype="int64")
    for pid in sorted(impression_parts):
        clicks, applications = click_parts[pid](), application_parts[pid]()
        applied = clicks.loc[clicks[CLICK_ID].isin(applications[CLICK_ID].dropna()), SEARCH_ID].nunique()
        counts += [len(impression_parts[pid]()), len(clicks), len(applications), applied]
    n_impressions, n_clicks, n_applications, applied_searches = (int(c) for c in counts)
    summary = {
        "searches": len(searches), "impressions": n_impressions, "clicks": n_clicks,
        "applications": n_applications, "click_through_rate": n_clicks / max(n_impressions, 1),
        "searches_with_applied_click": applied_searches / max(len(searches), 1),
        "randomized_searches": int(searches[EXPERIMENT].notna().sum()) if EXPERIMENT in searches else 0,
    }
    logger.info("Generated network: %s", summary)
    return summary
