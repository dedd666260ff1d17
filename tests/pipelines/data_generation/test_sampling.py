"""Sampling: presets, cities, jobs, seekers and searches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from job_reco.columns import (
    CITY,
    EMPLOYER_QUALITY,
    EXPERIMENT,
    LATITUDE,
    LEVEL,
    LEVELS,
    LONGITUDE,
    OCCUPATION_CODE,
    PAY_EXPECTATION,
    PAY_MIDPOINT,
    QUERY,
    RELOCATES,
    REMOTE,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    STATE,
    TERTIARY_OCCUPATION_CODE,
    YEARS_OF_EXPERIENCE,
)
from job_reco import geo
from job_reco.pipelines.data_generation import documents, sampling
from job_reco.pipelines.data_generation import vocabulary as voc
from tests.pipelines.data_generation.conftest import DALLAS, HOUSTON, onet_frame

JOB_MARKET = {
    "level_shares": {"entry": 0.3, "mid": 0.35, "senior": 0.25, "lead": 0.1}, "level_in_title_share": 0.4,
    "remote_share": 0.1, "salary_shown_share": 0.7, "pay_by_level": {"entry": 0.8, "mid": 1.0, "senior": 1.25, "lead": 1.5},
    "pay_sigma": 0.1, "pay_range_halfwidth": 0.1, "occupation_pay_sigma": 0.2, "employer_quality_sigma": 0.5,
}
SEEKERS = {"relocate_share": 0.1, "related_occupation_share": 0.4, "career_changer_share": 0.3,
           "short_resume_share": 0.1, "years_mean": 8, "level_years": [0, 2, 5, 10], "pay_expectation_sigma": 0.1}
MIX = {"title": 0.4, "title_word": 0.3, "related_title": 0.1, "vague": 0.2}


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    return geo.load_cities(200_000, "US")


@pytest.fixture(scope="module")
def occupations() -> pd.DataFrame:
    nurse_practitioners = pd.DataFrame({"O*NET-SOC Code": ["29-1171.00"], "Title": ["Nurse Practitioners"],
                                        "Description": ["Diagnose and treat acute health conditions."]})
    occ = documents.prepare_occupations(pd.concat([onet_frame(), nurse_practitioners], ignore_index=True))
    return sampling.attach_median_pay(occ, occupation_pay_sigma=0.2, seed=1)


def test_select_preset_returns_sizes_and_names_an_unknown_preset():
    presets = {"tiny": {"n_jobs": 4, "n_seekers": 3, "n_searches": 9, "n_occupations": None}}
    assert sampling.select_preset(presets, "tiny") == {"n_jobs": 4, "n_seekers": 3, "n_searches": 9}
    with pytest.raises(ValueError, match="'huge'"):
        sampling.select_preset(presets, "huge")
    with pytest.raises(ValueError, match="n_searches"):
        sampling.select_preset({"tiny": {"n_jobs": 4, "n_seekers": 3}}, "tiny")


def test_haversine_between_houston_and_dallas():
    # Great-circle distance Houston-Dallas is about 362 km; zero to itself.
    km = geo.haversine_km(np.array([HOUSTON[0], HOUSTON[0]]), np.array([HOUSTON[1], HOUSTON[1]]),
                             np.array([DALLAS[0], HOUSTON[0]]), np.array([DALLAS[1], HOUSTON[1]]))
    assert km[0] == pytest.approx(362.7, abs=1.0) and km[1] == 0.0


def test_load_cities_reads_real_us_cities_with_coordinates(cities):
    assert cities[CITY].iloc[0] == "New York, NY"
    assert {"Houston, TX", "Chicago, IL"} <= set(cities[CITY])
    assert cities[LATITUDE].between(18, 72).all() and cities[LONGITUDE].between(-170, -60).all()
    assert cities[geo.POPULATION].min() >= 200_000 and cities[CITY].is_unique
    assert sampling.city_shares(cities).sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="population"):
        geo.load_cities(10**9, "US")


def test_level_index_follows_the_thresholds():
    assert sampling.level_index(np.array([0, 1, 2, 4, 5, 9, 10, 30]), [0, 2, 5, 10]).tolist() == [
        0, 0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="level_years"):
        sampling.level_index(np.array([1]), [0, 5, 2, 10])


def test_draw_jobs_places_levels_pays_and_remote(occupations, cities):
    jobs = sampling.draw_jobs(occupations, cities, {"n_jobs": 4000}, "2024-01-01", 5, 60, JOB_MARKET, seed=3)
    assert set(jobs[LEVEL]) == set(LEVELS)
    assert jobs[LEVEL].value_counts(normalize=True)["mid"] == pytest.approx(0.35, abs=0.03)
    assert jobs[REMOTE].mean() == pytest.approx(0.1, abs=0.02)
    assert jobs[sampling.PAY_SHOWN].mean() == pytest.approx(0.7, abs=0.03)
    assert jobs[EMPLOYER_QUALITY].mean() == pytest.approx(1.0, abs=0.05)
    assert set(jobs[CITY]) <= set(cities[CITY]) and jobs[[STATE, LATITUDE, LONGITUDE]].notna().all().all()
    # pay rises with level: lead ads pay about 1.5 / 0.8 of entry ads of the same occupation
    median = jobs.groupby([OCCUPATION_CODE, LEVEL])[PAY_MIDPOINT].median().unstack()
    assert ((median["lead"] / median["entry"]).between(1.5, 2.3)).all()
    assert (jobs[sampling.PAY_LOW] < jobs[sampling.PAY_HIGH]).all()


def test_draw_seekers_career_changers_come_from_other_fields(occupations, cities):
    seekers = sampling.draw_seekers(occupations, cities, {"n_seekers": 3000}, SEEKERS, JOB_MARKET["pay_by_level"], 4)
    second = seekers[SECONDARY_OCCUPATION_CODE].dropna()
    primary = seekers.loc[second.index, OCCUPATION_CODE]
    same_minor = second.str[:4] == primary.str[:4]
    other_major = second.str[:2] != primary.str[:2]
    assert (same_minor | other_major).all() and same_minor.any() and other_major.any()
    third = seekers[TERTIARY_OCCUPATION_CODE].dropna()
    assert len(third) > 0 and (third.str[:2] != seekers.loc[third.index, OCCUPATION_CODE].str[:2]).all()
    assert seekers[RELOCATES].mean() == pytest.approx(0.1, abs=0.02)
    level = pd.Series(sampling.level_index(seekers[YEARS_OF_EXPERIENCE].to_numpy(), [0, 2, 5, 10]))
    assert seekers[LEVEL].tolist() == [LEVELS[i] for i in level]
    # expectation = occupation median x level pay x noise: lead seekers expect more than entry ones
    by_level = seekers.groupby(LEVEL)[PAY_EXPECTATION].median()
    assert by_level["lead"] > by_level["entry"]


def test_build_queries_by_kind_with_city_but_never_on_vague_queries():
    got = sampling.build_queries(
        kinds=np.array([0, 1, 2, 3, 0]), title=np.array(["Registered Nurse"] * 5, dtype=object),
        keyword=np.array(["nurse"] * 5, dtype=object), related_title=np.array(["Nurse Practitioner"] * 5, dtype=object),
        vague=np.array(["part time"] * 5, dtype=object), city=np.array(["Houston"] * 5, dtype=object),
        add_city=np.array([False, True, False, True, True]),
    )
    assert got.tolist() == ["registered nurse", "nurse houston", "nurse practitioner", "part time",
                            "registered nurse houston"]


def test_build_queries_compose_each_row_from_its_own_phrase_and_city():
    title = np.array(["Welder", "Welder", "Welder", "Registered Nurse"], dtype=object)
    got = sampling.build_queries(
        kinds=np.zeros(4, dtype=int), title=title, keyword=title, related_title=title, vague=title,
        city=np.array(["Austin", "Boston", "Austin", "Austin"], dtype=object),
        add_city=np.array([True, True, False, True]),
    )
    assert got.tolist() == ["welder austin", "welder boston", "welder", "registered nurse austin"]
    with pytest.raises(ValueError, match="1 without the city"):
        sampling.build_queries(kinds=np.zeros(2, dtype=int), title=title[:2], keyword=title[:2],
                               related_title=title[:2], vague=title[:2], city=np.array(["Austin", None], dtype=object),
                               add_city=np.array([True, True]))


def test_draw_searches_marks_the_randomized_share_and_names_wrong_query_kinds(occupations, cities):
    seekers = sampling.draw_seekers(occupations, cities, {"n_seekers": 50}, SEEKERS, JOB_MARKET["pay_by_level"], 1)
    searches = sampling.draw_searches(seekers, occupations, cities, {"n_searches": 5000}, "2024-01-01", 5, MIX, 1.0,
                                      0.3, 0.1, 20, seed=2)
    marked = searches[EXPERIMENT].dropna()
    assert marked.str.fullmatch(r"swap_1_([2-9]|1[0-9]|20)").all()  # k in 2..impressions_per_search (20)
    assert searches[EXPERIMENT].notna().mean() == pytest.approx(0.1, abs=0.02)
    # with every query naming a city, a seeker who does not relocate names their own
    stay = seekers.loc[~seekers[RELOCATES], [SEEKER_ID, CITY]]
    named = searches.merge(stay, on=SEEKER_ID)
    not_vague = ~named[QUERY].isin(voc.VAGUE_QUERIES).to_numpy()
    own = np.array([query.endswith(city.split(",")[0].lower()) for city, query in zip(named[CITY], named[QUERY])])
    assert own[not_vague].all() and not_vague.sum() > 1000
    none = sampling.draw_searches(seekers, occupations, cities, {"n_searches": 50}, "2024-01-01", 5, MIX, 0.3, 0.3,
                                  0.0, 20, seed=2)
    assert none[EXPERIMENT].isna().all()
    assert pa.Table.from_pandas(none).schema.field(EXPERIMENT).type == pa.string()  # not parquet's null type
    with pytest.raises(ValueError, match="query_mix"):
        sampling.draw_searches(seekers, occupations, cities, {"n_searches": 5}, "2024-01-01", 5, {"title": 1.0},
                               0.3, 0.3, 0.02, 20, 1)
