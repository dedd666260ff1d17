"""Per-job, per-resume and per-search side tables of the v2 ranker: the columns the side features read.

Spark prepares them (joins, a median pay per title, years read from the scrubbed resume text, the
cities a seeker's queries name); the rules themselves live in `job_reco.models.features`. Every v2 column
is optional: what a network does not log is left out and logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from job_reco.columns import (
    CITY,
    JOB_ID,
    POSTED_AT,
    QUERY,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    TEXT,
    TITLE,
    UPDATED_AT,
)
from job_reco.models.features import (
    JOB_SIDE,
    RESUME_SIDE,
    city_name,
    pay_reference,
    query_city,
    query_key,
    salary_midpoint,
    section_titles,
    years_of_experience,
)
from job_reco.spark_udf import bind as _bind

logger = logging.getLogger(__name__)



def _pay_columns(frame: pd.DataFrame, *, min_ads_per_title: int) -> pd.DataFrame:
    """job_id, salary_mid and pay_reference (`features.pay_reference`) of all the ads at once."""
    mid = salary_midpoint(frame["salary_min"], frame["salary_max"])
    reference = pay_reference(frame[TITLE], mid, min_ads_per_title)
    return pd.DataFrame({JOB_ID: frame[JOB_ID], "salary_mid": mid, "pay_reference": reference})


def build_job_side_table(valid_jobs: DataFrame, min_ads_per_title: int) -> DataFrame:
    """job_id, posted_at, job_title and whichever of job_latitude, job_longitude, remote, level, salary_mid, pay_reference the jobs log.

    pay_reference: the median pay midpoint of the ads sharing the job's title key
    (`job_reco.models.features.pay_reference`, the rule `recommend` applies too), computed over all ads in
    one task: one row per ad, small next to the impressions.
    """
    present = [c for c in JOB_SIDE if c in valid_jobs.columns]
    side = valid_jobs.select(
        JOB_ID, POSTED_AT, F.col(TITLE).alias("job_title"), *(F.col(c).alias(JOB_SIDE[c]) for c in present)
    )
    if not {"salary_min", "salary_max"} <= set(valid_jobs.columns):
        logger.info("jobs have no salary_min/salary_max: the pay features are off.")
        return side
    body = _bind(_pay_columns, min_ads_per_title=int(min_ads_per_title))
    pay = (
        valid_jobs.select(JOB_ID, TITLE, "salary_min", "salary_max", F.lit(0).alias("_all"))
        .groupBy("_all")
        .applyInPandas(body, f"{JOB_ID} string, salary_mid double, pay_reference double")
    )
    return side.join(pay, on=JOB_ID, how="left")


def _resume_text_batches(batches: Iterator[pd.DataFrame], *, default_year: int) -> Iterator[pd.DataFrame]:
    for frame in batches:
        as_of = pd.to_datetime(frame[UPDATED_AT], utc=True).dt.year.fillna(default_year).astype(int).to_numpy()
        yield pd.DataFrame({
            RESUME_ID: frame[RESUME_ID],
            "years_experience": years_of_experience(frame[TEXT], as_of_year=as_of),
            "resume_titles": frame[TEXT].map(section_titles),
        })


def build_resume_side_table(valid_resumes: DataFrame, scrubbed_resumes: DataFrame) -> DataFrame:
    """resume_id, years_experience and resume_titles (read from the scrubbed text), resume_latitude/longitude when logged."""
    latest = scrubbed_resumes.agg(F.max(F.year(UPDATED_AT))).first()[0] or 2000
    years = scrubbed_resumes.select(RESUME_ID, TEXT, UPDATED_AT).mapInPandas(
        _bind(_resume_text_batches, default_year=int(latest)),
        f"{RESUME_ID} string, years_experience double, resume_titles array<string>",
    )
    present = [c for c in RESUME_SIDE if c in valid_resumes.columns]
    if len(present) < len(RESUME_SIDE):
        logger.info("resumes have no latitude/longitude: the distance features are off.")
    location = valid_resumes.select(RESUME_ID, *(F.col(c).alias(RESUME_SIDE[c]) for c in present))
    return years.join(location, on=RESUME_ID, how="left")


def _query_batches(batches: Iterator[pd.DataFrame], *, known_cities: frozenset[str]) -> Iterator[pd.DataFrame]:
    for frame in batches:
        named = query_city(frame[QUERY], known_cities)
        other = named.notna() & (named != city_name(frame["_home"]))
        yield pd.DataFrame({SEARCH_ID: frame[SEARCH_ID], RESUME_ID: frame[RESUME_ID], SEARCHED_AT: frame[SEARCHED_AT],
                            "_other": other.astype("int32"), "query_key": query_key(frame[QUERY], known_cities)})


def build_search_side_table(
    search_impressions: DataFrame, checked_searches: DataFrame, valid_resumes: DataFrame, valid_jobs: DataFrame
) -> DataFrame:
    """search_id, query_key, query_history and named_other_city: what a seeker's queries say, per search.

    query_key: the query without the city it ends with (`job_reco.models.features.query_key`), a
    title key. query_history: the distinct query keys of two words or more of the seeker's searches
    so far (this one and earlier ones, per resume, never a later one): the occupations a seeker
    looks for, also those their resume does not name. named_other_city: 1 once the seeker has named
    a city other than their resume's, a city of the network's ads or resumes (`features.query_city`);
    seekers who search elsewhere are the ones who would move, so distance matters less to them.
    Off (no column) when the searches have no query; named_other_city also when the resumes have no city.
    """
    searches = search_impressions.select(SEARCH_ID, RESUME_ID, SEARCHED_AT).distinct()
    if QUERY not in checked_searches.columns:
        logger.info("searches have no query: the query features and named_other_city are off.")
        return searches.select(SEARCH_ID)
    has_city = CITY in valid_resumes.columns
    if not has_city:
        logger.info("resumes have no city: the named_other_city feature is off.")
    cities = [frame.select(CITY) for frame in (valid_resumes, valid_jobs) if CITY in frame.columns]
    known = frozenset(city_name(cities[0].unionByName(*cities[1:]).distinct().toPandas()[CITY])) - {""} if cities else frozenset()
    home = F.col(CITY) if has_city else F.lit(None).cast("string")
    rows = (
        searches.join(checked_searches.select(SEARCH_ID, QUERY), on=SEARCH_ID, how="left")
        .join(valid_resumes.select(RESUME_ID, home.alias("_home")), on=RESUME_ID, how="left")
        .mapInPandas(_bind(_query_batches, known_cities=known),
                     f"{SEARCH_ID} string, {RESUME_ID} string, {SEARCHED_AT} timestamp, _other int, query_key string")
    )
    so_far = Window.partitionBy(RESUME_ID).orderBy(SEARCHED_AT, SEARCH_ID).rowsBetween(Window.unboundedPreceding, 0)
    titled = F.when(F.size(F.split(F.col("query_key"), " ")) >= 2, F.col("query_key"))
    history = F.array_sort(F.array_distinct(F.collect_list(titled).over(so_far)))
    columns = [SEARCH_ID, "query_key", history.alias("query_history")]
    if has_city:
        columns.append(F.max("_other").over(so_far).cast("double").alias("named_other_city"))
    return rows.select(*columns)
