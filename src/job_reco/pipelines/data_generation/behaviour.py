"""The behaviour model: which shown ad a seeker clicks and which click becomes an application.

P(click) = examination(position) x attractiveness (the examination hypothesis, Richardson et al. 2007;
Joachims et al. 2017). Attractiveness is a product of factors, each computable from what a network
logs (docs/data_generation.md has the table with sources and strengths):

    relevance      = min(1, base x occupation x distance x level x pay x freshness x employer quality)
    attractiveness = min(1, relevance before the cap x noise)   (noise: mean-one log-normal per impression)

`relevance` is the truth a ranker should recover: the expected attractiveness without position and
without per-impression noise. Each factor is written to `truth_impressions` separately.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from job_reco.columns import (
    APPLICATION_ID,
    APPLIED_AT,
    ATTRACTIVENESS,
    CLICK_ID,
    CLICK_PROBABILITY,
    CLICKED_AT,
    DISTANCE_FACTOR,
    DISTANCE_KM,
    EMPLOYER_QUALITY,
    EXAMINATION,
    FRESHNESS_FACTOR,
    JOB_ID,
    LATITUDE,
    LEVEL,
    LEVEL_FACTOR,
    LEVELS,
    LONGITUDE,
    MATCH_GRADE,
    NOISE,
    OCCUPATION_CODE,
    OCCUPATION_FACTOR,
    PAY_EXPECTATION,
    PAY_FACTOR,
    PAY_MIDPOINT,
    POSITION,
    POSTED_AT,
    RAW_SCHEMAS,
    RELEVANCE,
    RELOCATES,
    REMOTE,
    RESUME_ID,
    SALARY_MAX,
    SALARY_MIN,
    SEARCH_ID,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    TERTIARY_OCCUPATION_CODE,
    TRUTH_IMPRESSIONS_COLUMNS,
    TRUTH_JOBS_COLUMNS,
)
from job_reco.pipelines.data_generation import draws
from job_reco.pipelines.data_generation.draws import DAY, SECOND
from job_reco.geo import haversine_km
from job_reco.validation import require_columns

logger = logging.getLogger(__name__)

OTHER_OCCUPATIONS = (SECONDARY_OCCUPATION_CODE, TERTIARY_OCCUPATION_CODE)
BEHAVIOUR_KEYS = (
    "eta", "base_attractiveness", "occupation_factor_by_grade", "other_occupation_weight", "distance_scale_km",
    "distance_floor", "level_underqualified_factor", "level_overqualified_factor", "pay_elasticity",
    "pay_factor_range", "pay_hidden_factor", "freshness_half_life_days", "noise_sigma",
)


# --------------------------------------------------------------------------------------------------
# The factors, each a pure function of arrays


def match_grade(seeker_codes: Sequence, job_codes: Sequence) -> np.ndarray:
    """Latent match of a seeker's occupation with a job's: 3 same O*NET-SOC code, 2 same SOC minor group
    (first 4 characters, "11-1"), 1 same major group (first 2), 0 otherwise or when either is missing.

    Returns int8 array; works on arrays of codes of any length (factorised, no Python loop per pair).
    """
    seeker_codes = pd.Series(np.asarray(seeker_codes, dtype=object))
    job_codes = pd.Series(np.asarray(job_codes, dtype=object))
    codes, uniques = pd.factorize(pd.concat([seeker_codes, job_codes], ignore_index=True), use_na_sentinel=True)
    if len(uniques) == 0:
        return np.zeros(len(seeker_codes), dtype="int8")
    uniques = pd.Series(uniques, dtype=object)
    minor, major = pd.factorize(uniques.str[:4])[0], pd.factorize(uniques.str[:2])[0]
    a, b = codes[: len(seeker_codes)], codes[len(seeker_codes):]
    known = (a >= 0) & (b >= 0)
    a_, b_ = np.maximum(a, 0), np.maximum(b, 0)
    grade = np.select([known & (a == b), known & (minor[a_] == minor[b_]), known & (major[a_] == major[b_])],
                      [3, 2, 1], default=0)
    return grade.astype("int8")


def examination_probability(position: np.ndarray, eta: float) -> np.ndarray:
    """P(a seeker looks at the impression at 1-based `position`) = 1 / position^eta (1 at position 1)."""
    position = np.asarray(position, dtype="float64")
    if (position < 1).any():
        raise ValueError("positions are 1-based; got a position below 1")
    return position ** (-float(eta))


def occupation_factor(grades: np.ndarray, by_grade: Sequence[float], other_weight: float) -> np.ndarray:
    """Best occupation match over the seeker's occupations: by_grade[grade], the first occupation (the one
    they look for) at full weight, their other occupations (columns 1..) times `other_weight`.

    `grades`: impressions x occupations int array (grade 0 where the seeker has no such occupation).
    """
    if len(by_grade) != 4:
        raise ValueError(f"data_generation.behaviour.occupation_factor_by_grade needs 4 values; got {by_grade}")
    value = np.asarray(by_grade, dtype="float64")[np.asarray(grades, dtype="int64")]
    value[:, 1:] *= float(other_weight)
    return value.max(axis=1)


def distance_factor(km: np.ndarray, scale_km: float, floor: float, exempt: np.ndarray) -> np.ndarray:
    """floor + (1 - floor) x exp(-km / scale_km); 1 where `exempt` (remote ad or a seeker who relocates)."""
    decay = float(floor) + (1.0 - float(floor)) * np.exp(-np.asarray(km, float) / float(scale_km))
    return np.where(np.asarray(exempt, bool), 1.0, decay)


def level_factor(seeker_level: np.ndarray, job_level: np.ndarray, under: float, over: float) -> np.ndarray:
    """under^(levels the ad asks above the seeker's) x over^(levels below); 1 for the seeker's own level."""
    gap = np.asarray(job_level, "int64") - np.asarray(seeker_level, "int64")
    return np.where(gap > 0, float(under) ** np.maximum(gap, 0), float(over) ** np.maximum(-gap, 0))


def pay_factor(shown_pay: np.ndarray, actual_pay: np.ndarray, expectation: np.ndarray, elasticity: float,
               value_range: Sequence[float], hidden: float) -> np.ndarray:
    """(pay / expected pay)^elasticity clipped to value_range, pay = the shown midpoint; where the ad shows
    no pay (NaN), its actual midpoint (what seekers guess from its occupation and level) times `hidden`."""
    shown_pay = np.asarray(shown_pay, float)
    pay = np.where(np.isnan(shown_pay), np.asarray(actual_pay, float), shown_pay)
    value = np.clip((pay / np.asarray(expectation, float)) ** float(elasticity), float(value_range[0]),
                    float(value_range[1]))
    return np.where(np.isnan(shown_pay), float(hidden) * value, value)


def freshness_factor(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """0.5^(ad age at search time / half-life): 1 for an ad posted at search time."""
    return 0.5 ** (np.maximum(np.asarray(age_days, float), 0.0) / float(half_life_days))


def mean_one_lognormal(sigma: float, n: int, generator: np.random.Generator) -> np.ndarray:
    """n draws of a log-normal with mean 1 (mu = -sigma^2 / 2)."""
    return generator.lognormal(-0.5 * float(sigma) ** 2, float(sigma), n)


# --------------------------------------------------------------------------------------------------
# Nodes


def _rng(seed: int, stream: str, part: int | None) -> np.random.Generator:
    """The stream of a node, or of one part of searches when the logs are generated in parts."""
    return draws.rng(seed, stream) if part is None else draws.rng(seed, stream, part)


def select_truth_jobs(job_postings: pd.DataFrame) -> pd.DataFrame:
    """The latent side of each job (`truth_jobs`): occupation, place, level, pay and employer quality."""
    require_columns(job_postings, list(TRUTH_JOBS_COLUMNS), "job_postings")
    return job_postings[list(TRUTH_JOBS_COLUMNS)].reset_index(drop=True)


def _pairs(impressions, searches, truth_seekers, truth_jobs, jobs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row of each impression's search, seeker and job in their tables."""
    search = draws.lookup(impressions[SEARCH_ID], pd.Index(searches[SEARCH_ID]), "impressions.search_id")
    seeker = draws.lookup(searches[SEEKER_ID].to_numpy(dtype=object)[search], pd.Index(truth_seekers[SEEKER_ID]),
                          "searches.seeker_id")
    job = draws.lookup(impressions[JOB_ID], pd.Index(truth_jobs[JOB_ID]), "impressions.job_id")
    if not truth_jobs[JOB_ID].reset_index(drop=True).equals(jobs[JOB_ID].reset_index(drop=True)):
        raise ValueError("truth_jobs and jobs must list the same job_ids in the same order")
    return search, seeker, job


def _factors(impressions, searches, truth_seekers, truth_jobs, jobs, behaviour: Mapping) -> dict[str, np.ndarray]:
    """Every factor of attractiveness per impression (plus the match grade and the distance)."""
    search, seeker, job = _pairs(impressions, searches, truth_seekers, truth_jobs, jobs)
    job_code = truth_jobs[OCCUPATION_CODE].to_numpy(dtype=object)[job]
    grades = np.column_stack([match_grade(truth_seekers[c].to_numpy(dtype=object)[seeker], job_code)
                              for c in (OCCUPATION_CODE, *OTHER_OCCUPATIONS)])
    km = haversine_km(truth_seekers[LATITUDE].to_numpy(float)[seeker], truth_seekers[LONGITUDE].to_numpy(float)[seeker],
                      truth_jobs[LATITUDE].to_numpy(float)[job], truth_jobs[LONGITUDE].to_numpy(float)[job])
    exempt = truth_jobs[REMOTE].to_numpy(bool)[job] | truth_seekers[RELOCATES].to_numpy(bool)[seeker]
    level = pd.Index(LEVELS)
    shown = ((jobs[SALARY_MIN].to_numpy(float) + jobs[SALARY_MAX].to_numpy(float)) / 2)[job]
    age = (draws.micros(searches[SEARCHED_AT])[search] - draws.micros(jobs[POSTED_AT])[job]) / DAY
    return {
        MATCH_GRADE: grades.max(axis=1).astype("int8"),
        DISTANCE_KM: km,
        OCCUPATION_FACTOR: occupation_factor(grades, behaviour["occupation_factor_by_grade"],
                                             behaviour["other_occupation_weight"]),
        DISTANCE_FACTOR: distance_factor(km, behaviour["distance_scale_km"], behaviour["distance_floor"], exempt),
        LEVEL_FACTOR: level_factor(level.get_indexer(truth_seekers[LEVEL].to_numpy(dtype=object)[seeker]),
                                   level.get_indexer(truth_jobs[LEVEL].to_numpy(dtype=object)[job]),
                                   behaviour["level_underqualified_factor"], behaviour["level_overqualified_factor"]),
        PAY_FACTOR: pay_factor(shown, truth_jobs[PAY_MIDPOINT].to_numpy(float)[job],
                               truth_seekers[PAY_EXPECTATION].to_numpy(float)[seeker],
                               behaviour["pay_elasticity"], behaviour["pay_factor_range"], behaviour["pay_hidden_factor"]),
        FRESHNESS_FACTOR: freshness_factor(age, behaviour["freshness_half_life_days"]),
        EMPLOYER_QUALITY: truth_jobs[EMPLOYER_QUALITY].to_numpy(float)[job],
    }


def score_impressions(
    impressions: pd.DataFrame, searches: pd.DataFrame, truth_seekers: pd.DataFrame, truth_jobs: pd.DataFrame,
    jobs: pd.DataFrame, behaviour: Mapping, seed: int, *, part: int | None = None,
) -> pd.DataFrame:
    """The latent truth per impression (`truth_impressions`): every factor, relevance, examination,
    attractiveness and click probability. `part`: the part of searches (its own random stream)."""
    require_columns(impressions, [SEARCH_ID, JOB_ID, POSITION], "impressions")
    require_columns(jobs, [JOB_ID, POSTED_AT, SALARY_MIN, SALARY_MAX], "jobs")
    missing = [key for key in BEHAVIOUR_KEYS if key not in behaviour]
    if missing:
        raise ValueError(f"data_generation.behaviour is missing {missing}; expected {list(BEHAVIOUR_KEYS)}")
    values = _factors(impressions, searches, truth_seekers, truth_jobs, jobs, behaviour)
    product = float(behaviour["base_attractiveness"]) * np.prod(
        [values[c] for c in (OCCUPATION_FACTOR, DISTANCE_FACTOR, LEVEL_FACTOR, PAY_FACTOR, FRESHNESS_FACTOR,
                             EMPLOYER_QUALITY)], axis=0)
    noise = mean_one_lognormal(behaviour["noise_sigma"], len(impressions), _rng(seed, "attractiveness", part))
    examination = examination_probability(impressions[POSITION].to_numpy(), behaviour["eta"])
    attractiveness = np.minimum(product * noise, 1.0)
    out = pd.DataFrame({SEARCH_ID: impressions[SEARCH_ID].to_numpy(dtype=object),
                        JOB_ID: impressions[JOB_ID].to_numpy(dtype=object),
                        POSITION: impressions[POSITION].to_numpy().astype("int32"), **values,
                        NOISE: noise, RELEVANCE: np.minimum(product, 1.0), EXAMINATION: examination,
                        ATTRACTIVENESS: attractiveness, CLICK_PROBABILITY: examination * attractiveness})
    return out[list(TRUTH_IMPRESSIONS_COLUMNS)]


def build_examination_curve(eta: float, impressions_per_search: int) -> pd.DataFrame:
    """The true examination probability of each position 1..N (`truth_examination`)."""
    position = np.arange(1, int(impressions_per_search) + 1, dtype="int32")
    return pd.DataFrame({POSITION: position, EXAMINATION: examination_probability(position, eta)})


def simulate_clicks(
    truth_impressions: pd.DataFrame, searches: pd.DataFrame, seed: int, *, part: int | None = None
) -> pd.DataFrame:
    """Click each impression with its click probability; clicked seconds to minutes after the search.
    `part`: the part of searches (its own random stream and click ids)."""
    require_columns(truth_impressions, [SEARCH_ID, JOB_ID, POSITION, CLICK_PROBABILITY], "truth_impressions")
    generator = _rng(seed, "clicks", part)
    clicked = generator.random(len(truth_impressions)) < truth_impressions[CLICK_PROBABILITY].to_numpy()
    hits = truth_impressions.loc[clicked, [SEARCH_ID, JOB_ID, POSITION]]
    search = draws.lookup(hits[SEARCH_ID], pd.Index(searches[SEARCH_ID]), "truth_impressions.search_id")
    delay = ((3 + 2 * hits[POSITION].to_numpy() + generator.exponential(40.0, len(hits))) * SECOND).astype("int64")
    at = draws.micros(searches[SEARCHED_AT])[search] + delay
    at -= at % 1000
    return pd.DataFrame({CLICK_ID: draws.ids("C", len(hits), part), SEARCH_ID: hits[SEARCH_ID].to_numpy(dtype=object),
                         JOB_ID: hits[JOB_ID].to_numpy(dtype=object), CLICKED_AT: draws.timestamps(at)})


def _draw_job_in_group(job_groups: pd.Series, wanted: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """For each wanted group, a uniformly drawn job index of that group (any job if the group has none)."""
    order = np.argsort(job_groups.to_numpy(dtype=str), kind="stable")
    sorted_groups = job_groups.to_numpy(dtype=str)[order]
    wanted = np.asarray(wanted, dtype=str)
    lo = np.searchsorted(sorted_groups, wanted, side="left")
    size = np.searchsorted(sorted_groups, wanted, side="right") - lo
    u = generator.random(len(wanted))
    in_group = order[np.minimum(lo + np.floor(u * np.maximum(size, 1)).astype("int64"), len(order) - 1)]
    return np.where(size > 0, in_group, np.floor(u * len(order)).astype("int64"))


def _external_applications(n, truth_seekers, truth_jobs, jobs, log_window, generator):
    """n applications that came from elsewhere: a random seeker applies to a job of their SOC minor
    group (any job if none) some time after it was posted. Returns (resume_ids, job_ids, epoch micros)."""
    seeker = generator.integers(0, len(truth_seekers), n)
    job_minor = pd.Series(truth_jobs[OCCUPATION_CODE].to_numpy(dtype=object)).str[:4]
    job = _draw_job_in_group(job_minor, truth_seekers[OCCUPATION_CODE].str[:4].to_numpy(dtype=object)[seeker],
                             generator)
    job_ids = truth_jobs[JOB_ID].to_numpy(dtype=object)[job]
    earliest = np.maximum(draws.micros(jobs.set_index(JOB_ID).loc[job_ids, POSTED_AT]), log_window[0])
    at = earliest + (generator.random(n) * (log_window[1] - earliest)).astype("int64")
    return truth_seekers[RESUME_ID].to_numpy(dtype=object)[seeker], job_ids, at


def simulate_applications(
    clicks: pd.DataFrame, truth_impressions: pd.DataFrame, searches: pd.DataFrame, truth_seekers: pd.DataFrame,
    truth_jobs: pd.DataFrame, jobs: pd.DataFrame, apply_probability_by_grade: Sequence[float],
    external_share: float, start_date: str, n_months: int, seed: int, *, part: int | None = None,
) -> pd.DataFrame:
    """Apply after some clicks (more often for better occupation matches) with the seeker's resume; add a
    share of applications that came from elsewhere (click_id null) to a job of the seeker's SOC minor group.
    `part`: the part of searches (its own random stream and application ids)."""
    require_columns(clicks, list(RAW_SCHEMAS["clicks"]), "clicks")
    if len(apply_probability_by_grade) != 4:
        raise ValueError(f"data_generation.apply_probability_by_grade needs 4 values; got {apply_probability_by_grade}")
    generator = _rng(seed, "applications", part)
    grades = truth_impressions.set_index([SEARCH_ID, JOB_ID])[MATCH_GRADE]
    row = draws.lookup(pd.MultiIndex.from_frame(clicks[[SEARCH_ID, JOB_ID]]), grades.index, "clicks (search_id, job_id)")
    applied = clicks[generator.random(len(clicks)) < np.asarray(apply_probability_by_grade, float)[grades.to_numpy()[row]]]
    search = draws.lookup(applied[SEARCH_ID], pd.Index(searches[SEARCH_ID]), "clicks.search_id")
    seeker = draws.lookup(searches[SEEKER_ID].to_numpy(dtype=object)[search], pd.Index(truth_seekers[SEEKER_ID]),
                          "searches.seeker_id")
    after_click = draws.micros(applied[CLICKED_AT]) + ((60 + generator.exponential(600.0, len(applied))) * SECOND
                                                       ).astype("int64")
    share = min(max(float(external_share), 0.0), 0.9)
    n_ext = round(len(applied) * share / (1.0 - share))
    ext_resume, ext_job, ext_at = _external_applications(n_ext, truth_seekers, truth_jobs, jobs,
                                                         draws.window(start_date, n_months), generator)
    at = np.concatenate([after_click, ext_at])
    out = pd.DataFrame({
        RESUME_ID: np.concatenate([truth_seekers[RESUME_ID].to_numpy(dtype=object)[seeker], ext_resume]),
        JOB_ID: np.concatenate([applied[JOB_ID].to_numpy(dtype=object), ext_job]),
        CLICK_ID: np.concatenate([applied[CLICK_ID].to_numpy(dtype=object), np.full(n_ext, None, dtype=object)]),
        APPLIED_AT: at - at % 1000,
    }).sort_values(APPLIED_AT, kind="stable", ignore_index=True)
    out.insert(0, APPLICATION_ID, draws.ids("A", len(out), part))
    out[APPLIED_AT] = draws.timestamps(out[APPLIED_AT].to_numpy())
    return out
