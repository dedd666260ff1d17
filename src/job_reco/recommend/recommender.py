"""JobRecommender: the best jobs for a resume never seen before, from the artifacts of the last run.

1. The resume is scrubbed, embedded, its experience sections and years read (`resume.py`).
2. Candidates: one matrix product of its unit vector with every job's (the document-vector
   cosine), the top `candidates` kept (np.argpartition).
3. The model chosen on validation (`architecture_selection.json`) re-ranks them by its relevance
   output, from the inputs its saved layout lists (`ranker_layout.row_inputs`, the features of
   `job_reco.models.features`).

Features the request cannot give take the training mean (standardised 0, so they move no job up
or down): the distance features without a seeker location, and any job feature whose columns
the candidate jobs lack (remote, level, pay, posting time, the logs' appeal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from job_reco.columns import RESUME_ID, SEARCHED_AT, TEXT
from job_reco.models.features import FEATURE_COLUMNS, one_resume_title_features
from job_reco.progress import Progress
from job_reco.models.ranker_layout import row_inputs, side_offset
from job_reco.recommend.artifacts import Artifacts, load_artifacts, load_project_catalog
from job_reco.recommend.explain import WordMatcher, describe, reason_groups, reasons, row_facts, side_effects
from job_reco.recommend.jobs import AppealLookup, JobTable, build_job_table
from job_reco.recommend.model import ChosenModel, RowInputs
from job_reco.recommend.resume import FewDocumentEmbedder, PreparedResume, prepare_resumes
from job_reco.text.vectors import nearest_centre

logger = logging.getLogger(__name__)

LOCATION_COLUMNS = ("city", "state", "latitude", "longitude")
RECOMMENDATION_COLUMNS = (RESUME_ID, "rank", "job_id", "score")
# Inputs every request gives: from the resume text, the candidate jobs' vectors, the request time.
_ALWAYS_KNOWN = {"years_experience", "resume_sections", "resume_titles", "job_vector", SEARCHED_AT}
# Every column some side feature reads (a feature named like one of them is computed from it, never given).
_FEATURE_INPUTS = {c for cols in FEATURE_COLUMNS.values() for c in cols}


@dataclass(frozen=True)
class RecommendSettings:
    """conf/base/parameters_recommend.yml (`recommend`) plus the settings of the run it must agree with."""

    candidates: int = 20
    batch_size: int = 64
    explain_words: int = 3
    explain_features: int = 3
    max_sections: int = 4
    min_ads_per_title: int = 5
    soft_temperature: float = 0.1
    interactions: tuple[str, ...] = ("product", "cosine")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> RecommendSettings:
        """From the project's parameters (recommend.*, embeddings.max_sections, modeling.*)."""
        own = dict(params.get("recommend") or {})
        modeling, embeddings = params.get("modeling") or {}, params.get("embeddings") or {}
        return cls(
            candidates=int(own.get("candidates", cls.candidates)), batch_size=int(own.get("batch_size", cls.batch_size)),
            explain_words=int(own.get("explain_words", cls.explain_words)),
            explain_features=int(own.get("explain_features", cls.explain_features)),
            max_sections=int(embeddings.get("max_sections", cls.max_sections)),
            min_ads_per_title=int(modeling.get("min_ads_per_title", cls.min_ads_per_title)),
            soft_temperature=float(modeling.get("soft_temperature", cls.soft_temperature)),
            interactions=tuple((modeling.get("network") or {}).get("interactions", cls.interactions)),
        )


@dataclass
class _Batch:
    """Candidate rows of a batch of resumes: which resume and which job each row is, and the model inputs."""

    resume: np.ndarray
    job: np.ndarray
    inputs: RowInputs
    unknown: np.ndarray  # (rows, side features) True where the feature took its training mean
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pair_appeal: np.ndarray | None = None  # each row's title-pair appeal, None without the run's counts


@dataclass
class _Explained:
    """Per shown row: matched word pairs, side-feature effects, reasons in words with their effects."""

    words: list
    effects: list
    reasons: list


class JobRecommender:
    """Recommend jobs for new resumes with the last run's artifacts (see the module docstring)."""

    def __init__(self, artifacts: Artifacts, settings: RecommendSettings, jobs: JobTable | None = None) -> None:
        self.artifacts = artifacts
        self.settings = settings
        self.embedder = artifacts.document_embedder
        self.layout = dict(artifacts.ranker_layout)
        self.model = ChosenModel(artifacts, soft_temperature=settings.soft_temperature, interactions=settings.interactions)
        self.jobs = jobs
        self.embed = FewDocumentEmbedder(self.embedder)
        self._matcher: WordMatcher | None = None
        self._pair_lookup: tuple[Any, Any, AppealLookup] | None = None  # (the counts and prior it holds, the lookup)

    @classmethod
    def load(cls, project: str | Path = ".", env: str | None = None, *, catalog_jobs: bool = True) -> JobRecommender:
        """Load the artifacts of the last run of the Kedro project at `project` (conf env `env`), and its jobs."""
        catalog = load_project_catalog(project, env)
        artifacts = load_artifacts(catalog, with_catalog_jobs=catalog_jobs)
        recommender = cls(artifacts, RecommendSettings.from_params(catalog.params))
        if catalog_jobs:
            recommender.jobs = recommender.job_table(artifacts.jobs, known_vectors=artifacts.job_vectors)
            artifacts.jobs = artifacts.job_vectors = None  # kept once, in the job table
        return recommender

    @classmethod
    def from_folder(
        cls, folder: str | Path, *, jobs: pd.DataFrame | None = None, job_vectors: pd.DataFrame | None = None,
    ) -> JobRecommender:
        """Load a recommender folder (`recommend.folder`: a run's artifacts and jobs, no Kedro project).

        `jobs` (the contract's jobs format) replace the folder's jobs; ads without a vector in
        `job_vectors` (job_id, embedding; default the folder's) are embedded now.
        """
        from job_reco.recommend.folder import read_model_folder  # noqa: PLC0415

        artifacts = read_model_folder(folder)
        recommender = cls(artifacts, RecommendSettings.from_params(artifacts.params))
        known = artifacts.job_vectors if job_vectors is None else job_vectors
        recommender.jobs = recommender.job_table(artifacts.jobs if jobs is None else jobs, known_vectors=known)
        artifacts.jobs = artifacts.job_vectors = None  # kept once, in the job table
        return recommender

    def job_table(self, jobs: pd.DataFrame, *, known_vectors: pd.DataFrame | None = None) -> JobTable:
        """Candidate jobs from a jobs frame (job_id, title, description; v2 columns optional); new ads embedded now."""
        return build_job_table(jobs, self.embedder, known_vectors=known_vectors, job_appeal=self.artifacts.job_appeal,
                               appeal_priors=self.artifacts.appeal_priors, min_ads_per_title=self.settings.min_ads_per_title)

    def candidate_jobs(self, jobs: pd.DataFrame | JobTable | None) -> JobTable:
        """The job table to rank: the catalog's (None), a prepared one, or one built from a jobs frame."""
        if jobs is None:
            if self.jobs is None:
                raise ValueError("no jobs to rank: pass jobs=..., or load with the catalog's jobs")
            return self.jobs
        return jobs if isinstance(jobs, JobTable) else self.job_table(jobs)

    @staticmethod
    def _as_of(table: JobTable, as_of: Any) -> pd.Timestamp:
        """The request time: `as_of`, else the newest ad's posting time (the jobs' snapshot), else now."""
        if as_of is not None:
            return pd.Timestamp(as_of, tz="UTC") if pd.Timestamp(as_of).tzinfo is None else pd.Timestamp(as_of).tz_convert("UTC")
        return table.newest_posting if table.newest_posting is not None else pd.Timestamp.now(tz="UTC")

    def candidates(self, vectors: np.ndarray, table: JobTable) -> np.ndarray:
        """(b, n) job indices: each resume's top `candidates` jobs by cosine, best first (one matrix product)."""
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        sims = (table.unit @ (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32).T).T  # (b, jobs)
        n = min(self.settings.candidates, len(table))
        top = np.argpartition(-sims, n - 1, axis=1)[:, :n] if n < len(table) else np.tile(np.arange(len(table)), (len(sims), 1))
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    @property
    def _pair_appeal_known(self) -> bool:
        """Whether the run's title-pair appeal counts are at hand (`log_title_pair_appeal`)."""
        return self.artifacts.title_pair_appeal is not None and self.artifacts.appeal_priors is not None

    def _title_pair_lookup(self) -> AppealLookup:
        """The title pairs' appeal counts indexed once (again if the artifacts' counts were replaced)."""
        counts, prior = self.artifacts.title_pair_appeal, self.artifacts.appeal_priors["title_pair"]
        if self._pair_lookup is None or self._pair_lookup[0] is not counts or self._pair_lookup[1] is not prior:
            self._pair_lookup = (counts, prior, AppealLookup(counts, "title_pair", prior))
        return self._pair_lookup[2]

    def _unknown(self, resumes: list[PreparedResume], table: JobTable, resume_of_row: np.ndarray) -> np.ndarray:
        """(rows, side features): True where the request cannot give a feature's inputs."""
        names = self.layout["side_features"]
        known = _ALWAYS_KNOWN | table.known_columns | ({"title_pair_appeal"} if self._pair_appeal_known else set())
        located = np.array([r.has_location for r in resumes])[resume_of_row]
        out = np.zeros((len(resume_of_row), len(names)), dtype=bool)
        for j, name in enumerate(names):
            needs = set(FEATURE_COLUMNS[name])
            if needs - known - {"resume_latitude", "resume_longitude"}:
                out[:, j] = True
            elif needs & {"resume_latitude", "resume_longitude"}:
                out[:, j] = ~located
        return out

    def _rows(self, resumes: list[PreparedResume], index: np.ndarray, table: JobTable, as_of: pd.Timestamp) -> _Batch:
        """The model inputs of every (resume, candidate job) row."""
        b, n = index.shape
        resume_of_row, job_of_row = np.repeat(np.arange(b), n), index.reshape(-1)
        vectors = np.stack([r.vector for r in resumes]).astype(np.float32)
        rows = len(job_of_row)
        # The rows' columns gathered first and framed once (a column added to a frame costs more than these few rows).
        columns: dict[str, Any] = {name: table.side[name].array.take(job_of_row) for name in table.side.columns}
        columns.update({name: np.full(rows, np.nan) for name in _FEATURE_INPUTS - set(columns)})
        columns["resume_vector"] = list(vectors[resume_of_row])
        columns["job_vector"] = list(table.vectors[job_of_row])
        columns["cluster"] = nearest_centre(vectors, self.artifacts.cluster_centres)[resume_of_row]
        columns["resume_latitude"] = np.array([r.latitude for r in resumes])[resume_of_row]
        columns["resume_longitude"] = np.array([r.longitude for r in resumes])[resume_of_row]
        columns["years_experience"] = np.array([r.years for r in resumes])[resume_of_row]
        columns["resume_sections"] = [resumes[i].sections for i in resume_of_row]
        columns["resume_titles"] = [resumes[i].titles for i in resume_of_row]
        # The title features from the table's title keys, one resume at a time (given to row_inputs as computed).
        titles = [one_resume_title_features(r.titles, table.title_key[index[i]], table.title_words[index[i]])
                  for i, r in enumerate(resumes)]
        for name in ("current_title_match", "past_title_match", "current_title_exact", "past_title_exact"):
            columns[name] = np.concatenate([t[name] for t in titles]) if titles else np.zeros(0)
        pair_appeal = None
        if self._pair_appeal_known:
            pairs = pd.Series(np.concatenate([t["title_pair"] for t in titles]) if titles else [], dtype=object)
            pair_appeal = columns["title_pair_appeal"] = self._title_pair_lookup()(pairs.fillna(""))
        columns[SEARCHED_AT] = pd.Series(as_of, index=pd.RangeIndex(rows))
        unknown = self._unknown(resumes, table, resume_of_row)
        for j, name in enumerate(self.layout["side_features"]):  # unknown everywhere: its value is replaced below
            if name not in _FEATURE_INPUTS and len(unknown) and unknown[:, j].all():
                columns[name] = np.zeros(rows)
        frame = pd.DataFrame(columns)
        features, cosine, cluster = row_inputs(frame, self.layout)
        start = side_offset(self.layout)
        features[:, start:][unknown] = 0.0
        inputs = RowInputs(features, cosine, cluster, vectors[resume_of_row], table.vectors[job_of_row])
        return _Batch(resume_of_row, job_of_row, inputs, unknown, pair_appeal=pair_appeal)

    def _score_batch(self, resumes: list[PreparedResume], table: JobTable, as_of: pd.Timestamp) -> _Batch:
        index = self.candidates(np.stack([r.vector for r in resumes]), table)
        batch = self._rows(resumes, index, table, as_of)
        batch.scores = self.model.scores(batch.inputs)
        return batch

    @staticmethod
    def _top(batch: _Batch, k: int) -> list[np.ndarray]:
        """Per resume, the row numbers of its k best rows (score, then cosine, then job order)."""
        out = []
        for r in range(int(batch.resume.max()) + 1 if len(batch.resume) else 0):
            rows = np.flatnonzero(batch.resume == r)
            order = np.lexsort((batch.job[rows], -batch.inputs.cosine[rows], -batch.scores[rows]))
            out.append(rows[order[:k]])
        return out

    def _side_columns(self, unknown_row: np.ndarray) -> dict[str, int]:
        """{side feature: its column in the features} for the features this row knows."""
        start = side_offset(self.layout)
        return {name: start + j for j, name in enumerate(self.layout["side_features"]) if not unknown_row[j]}

    def _explain(self, batch: _Batch, rows: np.ndarray, resume: PreparedResume, table: JobTable, as_of: pd.Timestamp) -> _Explained:
        """Matched words, side-feature effects and reasons in words of the given rows of one resume."""
        if self._matcher is None:
            self._matcher = WordMatcher(self.embedder, self.embed.index)
        words = self._matcher.best_pairs_of_ads(resume.tokens, table.text[batch.job[rows]], self.settings.explain_words)
        if not self.model.uses_side_features or not len(rows):
            return _Explained(words, [[] for _ in rows], [[] for _ in rows])
        inputs = batch.inputs
        picked = RowInputs(inputs.features[rows], inputs.cosine[rows], inputs.cluster[rows], inputs.resume[rows], inputs.job[rows])

        def score(features: np.ndarray) -> np.ndarray:  # copies of the picked rows, stacked
            copies = len(features) // len(rows)
            tile = lambda values: np.concatenate([values] * copies)  # noqa: E731
            return self.model.scores(RowInputs(features, tile(picked.cosine), tile(picked.cluster), tile(picked.resume), tile(picked.job)))

        columns = self._side_columns(batch.unknown[rows[0]])
        n = self.settings.explain_features
        effects = side_effects(score, picked.features, columns, n)
        grouped = side_effects(score, picked.features, reason_groups(columns), n)
        shown = batch.job[rows]
        facts = row_facts(table.side.iloc[shown].reset_index(drop=True), resume, as_of, table.all_ads_pay,
                          table.title_key[shown], table.title_words[shown])
        if batch.pair_appeal is not None:
            for fact, appeal in zip(facts, batch.pair_appeal[rows], strict=True):
                fact.pair_appeal = float(appeal)
        return _Explained(words, effects, [reasons(g, f) for g, f in zip(grouped, facts, strict=True)])

    def recommend(
        self, resume_text: str, k: int = 10, jobs: pd.DataFrame | JobTable | None = None, resume_location: Any = None,
        *, as_of: Any = None,
    ) -> pd.DataFrame:
        """The k best jobs for one resume: rank, job_id, title, score, cosine, matched_words, side_features, reasons, explanation.

        `jobs`: a jobs frame (job_id, title, description; the contract's v2 columns optional) or None
        for the catalog's jobs. `resume_location`: (lat, lon), {"latitude", "longitude"},
        {"city", "state"} or "City, ST"; None leaves the distance features at their training mean.
        `as_of`: the request time (ads' age); default the newest ad's posting time.
        `side_features`: (feature, effect on the score) of the features that moved it most;
        `reasons`: the same told in words (`explain.phrase`), (text, effect); `explanation`: one line.
        """
        table = self.candidate_jobs(jobs)
        when = self._as_of(table, as_of)
        resume = prepare_resumes([resume_text], self.embed, as_of_year=when.year,
                                 max_sections=self.settings.max_sections, locations=[resume_location])[0]
        batch = self._score_batch([resume], table, when)
        rows = self._top(batch, int(k))[0]
        told = self._explain(batch, rows, resume, table, when)
        return pd.DataFrame({
            "rank": np.arange(1, len(rows) + 1), "job_id": table.job_id[batch.job[rows]], "title": table.title[batch.job[rows]],
            "score": np.round(batch.scores[rows], 6), "cosine": np.round(batch.inputs.cosine[rows].astype(np.float64), 6),
            "matched_words": told.words, "side_features": told.effects, "reasons": told.reasons,
            "explanation": [describe(w, r) for w, r in zip(told.words, told.reasons, strict=True)],
        })

    def recommend_batch(
        self, resumes: pd.DataFrame, k: int = 10, jobs: pd.DataFrame | JobTable | None = None, *, as_of: Any = None,
        progress: Callable[[int], None] | None = None,
    ) -> pd.DataFrame:
        """resume_id, rank (1..k), job_id, score for every resume of `resumes` (resume_id, text[, city, state, latitude, longitude]).

        Resumes go through in batches of `recommend.batch_size`; `progress(n)` is called after each
        (by default a `Progress` that logs resumes done, rate and time left every 30 s).
        """
        missing = [c for c in (RESUME_ID, TEXT) if c not in resumes.columns]
        if missing:
            raise ValueError(f"resumes is missing columns {missing}; expected {RESUME_ID}, {TEXT}[, {', '.join(LOCATION_COLUMNS)}], got {list(resumes.columns)}")
        table = self.candidate_jobs(jobs)
        when = self._as_of(table, as_of)
        located = [c for c in LOCATION_COLUMNS if c in resumes.columns]
        progress = progress or Progress("recommend_batch", len(resumes), unit="resumes").update
        out = []
        for start in range(0, len(resumes), self.settings.batch_size):
            chunk = resumes.iloc[start : start + self.settings.batch_size]
            locations = chunk[located].to_dict("records") if located else [None] * len(chunk)
            prepared = prepare_resumes(chunk[TEXT].tolist(), self.embed, as_of_year=when.year,
                                       max_sections=self.settings.max_sections, locations=locations)
            batch = self._score_batch(prepared, table, when)
            for r, rows in enumerate(self._top(batch, int(k))):
                out.append(pd.DataFrame({RESUME_ID: chunk[RESUME_ID].iloc[r], "rank": np.arange(1, len(rows) + 1, dtype=np.int32),
                                         "job_id": table.job_id[batch.job[rows]], "score": np.round(batch.scores[rows], 6)}))
            progress(len(chunk))
        logger.info("Recommended %d jobs each for %d resumes among %d jobs.", int(k), len(resumes), len(table))
        if not out:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(RECOMMENDATION_COLUMNS, ("object", "int32", "object", "float64"), strict=True)})
        return pd.concat(out, ignore_index=True)
