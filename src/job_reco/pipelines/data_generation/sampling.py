"""Sampling: who is in the market, where and when. Job postings (occupation, city, level, pay,
employer quality, posting time), seekers (occupations, city, experience, pay expectation), their
searches (when, which keywords) and which searches the randomized logging policy serves."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from job_reco.columns import (
    swap_experiment,
    CITY,
    EMPLOYER_QUALITY,
    EXPERIMENT,
    JOB_ID,
    LATITUDE,
    LEVEL,
    LEVELS,
    LONGITUDE,
    OCCUPATION_CODE,
    PAY_EXPECTATION,
    PAY_MIDPOINT,
    POSTED_AT,
    QUERY,
    RELOCATES,
    REMOTE,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    STATE,
    TERTIARY_OCCUPATION_CODE,
    YEARS_OF_EXPERIENCE,
)
from job_reco.pipelines.data_generation import draws
from job_reco.pipelines.data_generation import vocabulary as voc
from job_reco.pipelines.data_generation.draws import DAY, SECOND
from job_reco.geo import CITY_NAME, POPULATION
from job_reco.validation import require_columns

logger = logging.getLogger(__name__)

# Columns of the generator's own frames (never in the raw tables).
MINOR_GROUP = "minor_group"
MAJOR_GROUP = "major_group"
AD_TITLE = "ad_title"
KEYWORDS = "keywords"
MEDIAN_PAY = "median_pay"
COMPANY = "company"
PAY_SHOWN = "pay_shown"
PAY_LOW = "pay_low"
PAY_HIGH = "pay_high"
LEVEL_IN_TITLE = "level_in_title"
PRESET_KEYS = ("n_jobs", "n_seekers", "n_searches")



def city_shares(cities: pd.DataFrame) -> np.ndarray:
    """Probability that a job or a seeker is in each city: its share of the cities' population."""
    population = cities[POPULATION].to_numpy(float)
    return population / population.sum()

def select_preset(presets: Mapping[str, Mapping[str, int]], preset: str) -> dict[str, int]:
    """The sizes of the chosen preset: n_jobs, n_seekers, n_searches and optionally n_occupations."""
    if preset not in presets:
        raise ValueError(f"data_generation.preset {preset!r} is not one of {sorted(presets)}")
    chosen = dict(presets[preset])
    missing = [key for key in PRESET_KEYS if key not in chosen]
    if missing:
        raise ValueError(f"data_generation.presets.{preset} is missing {missing}; got {chosen}")
    sizes = {key: int(value) for key, value in chosen.items() if value is not None}
    if min(sizes.values()) < 1:
        raise ValueError(f"data_generation.presets.{preset} needs positive sizes; got {chosen}")
    logger.info("data_generation preset %r: %s", preset, sizes)
    return sizes


def attach_median_pay(occupations: pd.DataFrame, occupation_pay_sigma: float, seed: int) -> pd.DataFrame:
    """Each occupation's median yearly pay: its SOC major group's rough median x a seeded log-normal
    (sigma `occupation_pay_sigma`), rounded to $500."""
    generator = draws.rng(seed, "pay")
    group_median = occupations[MAJOR_GROUP].map(lambda g: voc.MAJOR_GROUPS.get(g, voc.DEFAULT_MAJOR_GROUP)[2])
    out = occupations.copy()
    out[MEDIAN_PAY] = np.round(group_median.to_numpy(float) * generator.lognormal(
        0.0, float(occupation_pay_sigma), len(occupations)) / 500.0) * 500.0
    return out


def occupation_weights(occupations: pd.DataFrame, n_occupations: int | None, seed: int) -> np.ndarray:
    """Share of ads (and of seekers) per occupation: its major group's weight x a seeded lognormal.

    With `n_occupations`, only that many occupations (drawn by weight, seeded) are in the market, so a
    small network still has several ads and seekers per occupation.
    """
    generator = draws.rng(seed, "weights")
    group_weight = occupations[MAJOR_GROUP].map(lambda g: voc.MAJOR_GROUPS.get(g, voc.DEFAULT_MAJOR_GROUP)[3])
    w = group_weight.to_numpy(float) * generator.lognormal(0.0, 0.8, len(occupations))
    if n_occupations and int(n_occupations) < len(occupations):
        chosen = generator.choice(len(occupations), size=int(n_occupations), replace=False, p=w / w.sum())
        w = np.where(np.isin(np.arange(len(occupations)), chosen), w, 0.0)
    return w / w.sum()


def level_index(years: np.ndarray, level_years: list[float]) -> np.ndarray:
    """Career level (index into LEVELS) of `years` of experience: the last threshold reached."""
    if len(level_years) != len(LEVELS) or list(level_years) != sorted(level_years):
        raise ValueError(f"data_generation.seekers.level_years needs {len(LEVELS)} increasing thresholds "
                         f"(one per level {list(LEVELS)}); got {level_years}")
    return np.clip(np.searchsorted(np.asarray(level_years, float), np.asarray(years, float), side="right") - 1,
                   0, len(LEVELS) - 1)


def _shares(shares: Mapping[str, float], names: tuple[str, ...], what: str) -> np.ndarray:
    """Probabilities in the order of `names` from a {name: weight} parameter (normalised)."""
    if set(shares) != set(names):
        raise ValueError(f"data_generation.{what} needs exactly {list(names)}; got {sorted(shares)}")
    p = np.array([float(shares[name]) for name in names])
    return p / p.sum()


def _pay_multiplier(pay_by_level: Mapping[str, float]) -> np.ndarray:
    return np.array([float(pay_by_level[level]) for level in LEVELS])


def _place(cities: pd.DataFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    """City label, state, latitude and longitude of the given city rows."""
    return {column: cities[column].to_numpy()[rows] for column in (CITY, STATE, LATITUDE, LONGITUDE)}


def draw_jobs(
    occupations: pd.DataFrame, cities: pd.DataFrame, sizes: Mapping[str, int], start_date: str, n_months: int,
    active_days: int, job_market: Mapping, seed: int,
) -> pd.DataFrame:
    """Draw job ads: occupation (weighted), city (by population), remote or not, level, pay (around the
    occupation's median for the level), whether the ad shows its pay, a hidden employer quality
    (mean-one log-normal), company and posting time. Job ids follow posting time."""
    require_columns(occupations, [OCCUPATION_CODE, MEDIAN_PAY], "occupations")
    generator = draws.rng(seed, "jobs")
    n = int(sizes["n_jobs"])
    occ = generator.choice(len(occupations), size=n, p=occupation_weights(occupations, sizes.get("n_occupations"), seed))
    city = generator.choice(len(cities), size=n, p=city_shares(cities))
    level = generator.choice(len(LEVELS), size=n, p=_shares(job_market["level_shares"], LEVELS, "job_market.level_shares"))
    start, end = draws.window(start_date, n_months)
    posted = generator.integers(start - int(active_days) * DAY, end, size=n)
    posted -= posted % SECOND
    pools = draws.faker_pools(seed + draws.STREAMS["jobs"], max(50, min(2000, n // 5)))
    pay_sigma, quality_sigma = float(job_market["pay_sigma"]), float(job_market["employer_quality_sigma"])
    midpoint = (occupations[MEDIAN_PAY].to_numpy(float)[occ] * _pay_multiplier(job_market["pay_by_level"])[level]
                * generator.lognormal(0.0, pay_sigma, n))
    columns = {
        OCCUPATION_CODE: occupations[OCCUPATION_CODE].to_numpy(dtype=object)[occ],
        **_place(cities, city),
        REMOTE: generator.random(n) < float(job_market["remote_share"]),
        LEVEL: np.array(LEVELS, dtype=object)[level],
        LEVEL_IN_TITLE: generator.random(n) < float(job_market["level_in_title_share"]),
        COMPANY: pools["company"][generator.integers(0, len(pools["company"]), size=n)],
        PAY_MIDPOINT: midpoint,
        PAY_LOW: np.round(midpoint * (1 - float(job_market["pay_range_halfwidth"])), -3),
        PAY_HIGH: np.round(midpoint * (1 + float(job_market["pay_range_halfwidth"])), -3),
        PAY_SHOWN: generator.random(n) < float(job_market["salary_shown_share"]),
        EMPLOYER_QUALITY: generator.lognormal(-0.5 * quality_sigma**2, quality_sigma, n),
    }
    order = np.lexsort((occ, posted))
    jobs = pd.DataFrame({JOB_ID: draws.ids("J", n), **{k: np.asarray(v)[order] for k, v in columns.items()}})
    jobs[POSTED_AT] = draws.timestamps(posted[order])
    return jobs


def _other_occupations(
    occupations: pd.DataFrame, primary: np.ndarray, weights: np.ndarray, seekers: Mapping,
    generator: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """A second and third occupation index per seeker (-1: none): a related occupation of the same SOC
    minor group, or, for career changers, one or two occupations of other major groups."""
    n = len(primary)
    mate = draws.group_mate(pd.factorize(occupations[MINOR_GROUP])[0], primary, generator)
    related = (generator.random(n) < float(seekers["related_occupation_share"])) & (mate >= 0)
    changer = generator.random(n) < float(seekers["career_changer_share"])
    major = pd.factorize(occupations[MAJOR_GROUP])[0]
    past = generator.choice(len(occupations), size=(n, 2), p=weights)
    past = np.where(major[past] != major[primary][:, None], past, -1)  # another field, else no change
    second = np.where(changer, past[:, 0], np.where(related, mate, -1))
    third = np.where(changer & (second >= 0) & (generator.random(n) < 0.5), past[:, 1], -1)
    third = np.where(third == second, -1, third)
    return second, third


def draw_seekers(
    occupations: pd.DataFrame, cities: pd.DataFrame, sizes: Mapping[str, int], seekers: Mapping,
    pay_by_level: Mapping[str, float], seed: int,
) -> pd.DataFrame:
    """Draw seekers (`truth_seekers`): the occupation they look for (weighted) and up to two others
    (related or past careers), a city (by population), whether they would relocate, years of
    experience, the level those years make, and the yearly pay they expect."""
    generator = draws.rng(seed, "seekers")
    n = int(sizes["n_seekers"])
    weights = occupation_weights(occupations, sizes.get("n_occupations"), seed)
    primary = generator.choice(len(occupations), size=n, p=weights)
    second, third = _other_occupations(occupations, primary, weights, seekers, generator)
    codes = np.append(occupations[OCCUPATION_CODE].to_numpy(dtype=object), None)  # index -1 -> None
    years = np.minimum(generator.gamma(2.0, float(seekers["years_mean"]) / 2.0, n), 40.0).round().astype("int64")
    level = level_index(years, seekers["level_years"])
    expectation = (occupations[MEDIAN_PAY].to_numpy(float)[primary] * _pay_multiplier(pay_by_level)[level]
                   * generator.lognormal(0.0, float(seekers["pay_expectation_sigma"]), n))
    city = generator.choice(len(cities), size=n, p=city_shares(cities))
    return pd.DataFrame({
        SEEKER_ID: draws.ids("S", n), RESUME_ID: draws.ids("R", n), OCCUPATION_CODE: codes[primary],
        SECONDARY_OCCUPATION_CODE: codes[second], TERTIARY_OCCUPATION_CODE: codes[third],
        **_place(cities, city), RELOCATES: generator.random(n) < float(seekers["relocate_share"]),
        YEARS_OF_EXPERIENCE: years, LEVEL: np.array(LEVELS, dtype=object)[level],
        PAY_EXPECTATION: np.round(expectation, -2),
    })


def build_queries(
    kinds: np.ndarray, title: np.ndarray, keyword: np.ndarray, related_title: np.ndarray, vague: np.ndarray,
    city: np.ndarray, add_city: np.ndarray,
) -> np.ndarray:
    """Compose keyword queries: by kind (indices into QUERY_KINDS) the title, one title word, a related
    title or a vague phrase; lower case; the city appended where `add_city` (never to a vague query)."""
    kinds = np.asarray(kinds)
    base = np.select(
        [kinds == i for i in range(len(voc.QUERY_KINDS))],
        [np.asarray(title, dtype=object), np.asarray(keyword, dtype=object),
         np.asarray(related_title, dtype=object), np.asarray(vague, dtype=object)],
        default="",
    )
    with_city = np.asarray(add_city, dtype=bool) & (kinds != voc.QUERY_KINDS.index("vague"))
    # Composed once per distinct (phrase, city named or not): millions of searches share a few hundred
    # thousand queries, and the rows point at those strings.
    base_code, base_values = pd.factorize(base)
    city_code, city_values = pd.factorize(np.asarray(city, dtype=object))
    if (base_code < 0).any() or (with_city & (city_code < 0)).any():
        raise ValueError(f"searches.query: {int((base_code < 0).sum())} searches without a phrase and "
                         f"{int((with_city & (city_code < 0)).sum())} without the city they name; expected strings")
    key = base_code.astype("int64") * (len(city_values) + 1) + np.where(with_city, city_code + 1, 0)
    distinct, rows = np.unique(key, return_inverse=True)
    phrases, cities = base_values[distinct // (len(city_values) + 1)], distinct % (len(city_values) + 1)
    queries = [(phrase.lower() + (" " + city_values[c - 1].lower() if c else "")).strip()
               for phrase, c in zip(phrases, cities, strict=True)]
    return np.array(queries, dtype=object)[rows]


def _search_times(n: int, n_seekers: int, start_date: str, n_months: int, generator) -> tuple[np.ndarray, np.ndarray]:
    """Who searches (heavy-tailed activity) and when (inside each seeker's job hunt of about a month)."""
    activity = generator.lognormal(0.0, 1.0, n_seekers)
    who = generator.choice(n_seekers, size=n, p=activity / activity.sum())
    start, end = draws.window(start_date, n_months)
    hunt_start = generator.integers(start, end - DAY, size=n_seekers)
    hunt_length = (generator.exponential(30.0, n_seekers) + 1.0) * DAY
    when = np.minimum(hunt_start[who] + (generator.random(n) * hunt_length[who]).astype("int64"), end - SECOND)
    return who, when - when % SECOND


def _searched_occupation(truth_seekers: pd.DataFrame, occupations: pd.DataFrame, who: np.ndarray,
                         other_share: float, generator) -> np.ndarray:
    """Occupation index each search is about: the seeker's first, or with `other_share` another of theirs."""
    occ_index = pd.Index(occupations[OCCUPATION_CODE])
    primary = draws.lookup(truth_seekers[OCCUPATION_CODE], occ_index, "truth_seekers.occupation_code")[who]
    others = np.column_stack([
        occ_index.get_indexer(truth_seekers[column].fillna("").to_numpy(dtype=object))[who]
        for column in (SECONDARY_OCCUPATION_CODE, TERTIARY_OCCUPATION_CODE)])
    pick = np.where((others[:, 1] >= 0) & (generator.random(len(who)) < 0.5), others[:, 1], others[:, 0])
    return np.where((pick >= 0) & (generator.random(len(who)) < float(other_share)), pick, primary)


def draw_searches(
    truth_seekers: pd.DataFrame, occupations: pd.DataFrame, cities: pd.DataFrame, sizes: Mapping[str, int],
    start_date: str, n_months: int, query_mix: Mapping[str, float], city_in_query_share: float,
    other_occupation_query_share: float, randomized_share: float, impressions_per_search: int, seed: int,
) -> pd.DataFrame:
    """Draw searches: who, when, what query (their own city named in some; a relocator names a city
    they would move to), and which searches the randomized logging policy serves (`experiment`
    = "swap_1_<k>", k uniform in 2..impressions_per_search, logged as a real policy logs it)."""
    require_columns(truth_seekers, [SEEKER_ID, OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE, CITY, RELOCATES],
                    "truth_seekers")
    p = _shares(query_mix, voc.QUERY_KINDS, "query_mix")
    generator = draws.rng(seed, "searches")
    n = int(sizes["n_searches"])
    who, when = _search_times(n, len(truth_seekers), start_date, n_months, generator)
    occ = _searched_occupation(truth_seekers, occupations, who, other_occupation_query_share, generator)
    mate = draws.group_mate(pd.factorize(occupations[MINOR_GROUP])[0], occ, generator)
    titles = occupations[AD_TITLE].to_numpy(dtype=object)
    keywords, n_keywords = draws.padded(occupations[KEYWORDS])
    home = truth_seekers[CITY].str.rsplit(",", n=1).str[0].to_numpy(dtype=object)[who]
    elsewhere = cities[CITY_NAME].to_numpy(dtype=object)[generator.choice(len(cities), size=n, p=city_shares(cities))]
    query = build_queries(
        kinds=generator.choice(len(voc.QUERY_KINDS), size=n, p=p), title=titles[occ],
        keyword=draws.pick(keywords, n_keywords, occ, generator), related_title=titles[np.where(mate >= 0, mate, occ)],
        vague=draws.choose(voc.VAGUE_QUERIES, n, generator),
        city=np.where(truth_seekers[RELOCATES].to_numpy(bool)[who], elsewhere, home),
        add_city=generator.random(n) < float(city_in_query_share),
    )
    policy = draws.rng(seed, "policy")
    randomized = policy.random(n) < float(randomized_share)
    k = policy.integers(2, max(2, int(impressions_per_search)) + 1, size=n)
    experiment = np.full(n, None, dtype=object)
    experiment[randomized] = [swap_experiment(x) for x in k[randomized]]
    order = np.lexsort((who, when))
    return pd.DataFrame({
        SEARCH_ID: draws.ids("Q", n), SEEKER_ID: truth_seekers[SEEKER_ID].to_numpy(dtype=object)[who[order]],
        QUERY: query[order], SEARCHED_AT: draws.timestamps(when[order]),
        # a string column even when no search is randomized (all null would be written as parquet's null type)
        EXPERIMENT: pd.array(experiment[order], dtype="string"),
    })
