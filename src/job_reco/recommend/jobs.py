"""The candidate jobs: document vectors (the run's, or embedded on the fly) and the side columns the model reads.

The side columns are built as modeling builds them (`job_reco.models.features` for each rule, the names of
`features.JOB_SIDE`): pay_reference (`features.pay_reference`) over the candidate ads, job_appeal the
ad's appeal in the whole training period's logs (`job_reco.models.appeal`), 1 for an ad the logs
never showed (no evidence: the prior's mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from job_reco.columns import DESCRIPTION, EMBEDDING, JOB_ID, POSTED_AT, TITLE
from job_reco.models.appeal import appeal_ratio
from job_reco.models.features import JOB_SIDE, pay_reference, salary_midpoint, title_key, title_words
from job_reco.text import DocumentEmbedder, embed_token_lists, prepare_job

REQUIRED = (JOB_ID, TITLE, DESCRIPTION)
SIDE_COLUMNS = (*JOB_SIDE.values(), "salary_mid", "pay_reference", POSTED_AT, "job_appeal")


@dataclass
class JobTable:
    """Candidate jobs in one order: ids, titles, vectors (n, d) float32, unit vectors, side columns, texts,
    and each title's key (`features.title_key`) and its words (`features.title_words`), read by every request.
    Figures over all the ads (`all_ads_pay`, `newest_posting`) are computed once, on first use."""

    job_id: np.ndarray
    title: np.ndarray
    vectors: np.ndarray
    unit: np.ndarray
    side: pd.DataFrame  # one row per job, the SIDE_COLUMNS this table has
    text: np.ndarray  # title + description, for explanations
    title_key: np.ndarray  # object: each ad's title key
    title_words: np.ndarray  # object: each ad's title-key words, a frozenset shared by the ads of one key

    def __len__(self) -> int:
        return len(self.job_id)

    @cached_property
    def all_ads_pay(self) -> float:
        """The median pay midpoint of all these ads (`features.pay_reference` of a title with few ads); NaN without pay."""
        if "salary_mid" not in self.side or not np.isfinite(self.side["salary_mid"].to_numpy(np.float64)).any():
            return float("nan")
        return float(np.nanmedian(self.side["salary_mid"].to_numpy(np.float64)))

    @cached_property
    def newest_posting(self) -> pd.Timestamp | None:
        """The newest ad's posting time (the jobs' snapshot); None without posting times."""
        if POSTED_AT in self.side and self.side[POSTED_AT].notna().any():
            return self.side[POSTED_AT].max()
        return None

    @property
    def known_columns(self) -> set[str]:
        """Side columns that hold data for these jobs (a column absent from the input is unknown)."""
        return set(self.side.columns)


def _check_jobs(jobs: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in jobs.columns]
    if missing:
        raise ValueError(f"jobs is missing columns {missing}; expected at least {list(REQUIRED)}, got {list(jobs.columns)}")
    duplicated = jobs[JOB_ID].duplicated()
    if duplicated.any():
        raise ValueError(f"jobs has {int(duplicated.sum())} duplicate job_id values, e.g. {jobs.loc[duplicated, JOB_ID].iloc[0]!r}")
    if jobs.empty:
        raise ValueError("jobs is empty: there is nothing to recommend")


def job_vectors(jobs: pd.DataFrame, embedder: DocumentEmbedder, known: pd.DataFrame | None = None) -> np.ndarray:
    """(n, d) float32: the run's vector of each job it embedded (`known`: job_id, embedding), the others embedded now."""
    vectors = np.zeros((len(jobs), embedder.dimension), dtype=np.float32)
    todo = np.ones(len(jobs), dtype=bool)
    if known is not None and len(known):
        lookup = pd.Series(np.arange(len(known)), index=known[JOB_ID].astype(str))
        where = lookup.reindex(jobs[JOB_ID].astype(str)).to_numpy()
        found = ~np.isnan(where)
        if found.any():
            stacked = np.stack(known[EMBEDDING].to_numpy()[where[found].astype(np.int64)]).astype(np.float32)
            vectors[found] = stacked
            todo = ~found
    if todo.any():
        tokens = [prepare_job(t, d) for t, d in zip(jobs[TITLE][todo], jobs[DESCRIPTION][todo], strict=True)]
        vectors[todo], _ = embed_token_lists(tokens, embedder)
    return vectors


class AppealLookup:
    """The whole training period's counts of one key (clicks_all, expected_all), indexed once for many lookups."""

    def __init__(self, counts: pd.DataFrame, key: str, prior) -> None:
        self.index = pd.Index(counts[key].astype(str))
        if not self.index.is_unique:
            raise ValueError(f"the {key} appeal counts repeat {key} values, e.g. {self.index[self.index.duplicated()][0]!r}")
        self.clicks = counts["clicks_all"].fillna(0.0).to_numpy(dtype=np.float64)
        self.expected = counts["expected_all"].fillna(0.0).to_numpy(dtype=np.float64)
        self.prior = prior

    def __call__(self, keys: pd.Series) -> np.ndarray:
        """The appeal (`appeal_ratio`) of each key; 1 for a key the logs never showed."""
        where = self.index.get_indexer(keys.astype(str))
        found = where >= 0
        clicks = np.where(found, self.clicks[where], 0.0) if len(self.clicks) else np.zeros(len(where))
        expected = np.where(found, self.expected[where], 0.0) if len(self.expected) else np.zeros(len(where))
        return appeal_ratio(clicks, expected, self.prior["alpha"], self.prior["mu"])


def appeal_of_keys(keys: pd.Series, counts: pd.DataFrame, key: str, prior) -> np.ndarray:
    """The appeal (`appeal_ratio`) of each key from the whole training period's counts (clicks_all, expected_all);
    1 for a key the logs never showed."""
    return AppealLookup(counts, key, prior)(keys)


def _side_table(jobs: pd.DataFrame, job_appeal: pd.DataFrame | None, appeal_priors, *, min_ads_per_title: int) -> pd.DataFrame:
    side = pd.DataFrame(index=jobs.index)
    side["job_title"] = jobs[TITLE].fillna("").astype(str).to_numpy()
    for source, name in JOB_SIDE.items():
        if source in jobs.columns:
            side[name] = jobs[source].to_numpy()
    if {"salary_min", "salary_max"} <= set(jobs.columns):
        side["salary_mid"] = salary_midpoint(jobs["salary_min"], jobs["salary_max"])
        side["pay_reference"] = pay_reference(jobs[TITLE], side["salary_mid"].to_numpy(), min_ads_per_title)
    if POSTED_AT in jobs.columns:
        side[POSTED_AT] = pd.to_datetime(jobs[POSTED_AT], utc=True)
    if job_appeal is not None and appeal_priors is not None:
        side["job_appeal"] = appeal_of_keys(jobs[JOB_ID], job_appeal, JOB_ID, appeal_priors["job"])
    return side.reset_index(drop=True)


def build_job_table(
    jobs: pd.DataFrame,
    embedder: DocumentEmbedder,
    *,
    known_vectors: pd.DataFrame | None = None,
    job_appeal: pd.DataFrame | None = None,
    appeal_priors=None,
    min_ads_per_title: int = 5,
) -> JobTable:
    """Candidate jobs from a frame in the contract's jobs format (job_id, title, description required; v2 columns optional)."""
    _check_jobs(jobs)
    jobs = jobs.reset_index(drop=True)
    vectors = job_vectors(jobs, embedder, known_vectors)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    text = (jobs[TITLE].fillna("").astype(str) + ". " + jobs[DESCRIPTION].fillna("").astype(str)).to_numpy()
    codes, keys = pd.factorize(title_key(jobs[TITLE]))
    words = np.empty(len(keys), dtype=object)
    words[:] = [title_words(key) for key in keys]
    return JobTable(
        job_id=jobs[JOB_ID].astype(str).to_numpy(), title=jobs[TITLE].fillna("").astype(str).to_numpy(),
        vectors=vectors, unit=unit, side=_side_table(jobs, job_appeal, appeal_priors, min_ads_per_title=min_ads_per_title),
        text=text, title_key=keys.to_numpy(dtype=object)[codes], title_words=words[codes],
    )
