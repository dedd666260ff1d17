"""recommend on hand-made artifacts (a 4-d vocabulary of nursing and trucking words, a ranker in numpy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from job_reco.models.ranker_layout import ranker_layout, side_offset
from job_reco.models.ranker import RankerConfig
from job_reco.recommend.artifacts import ArtifactError, Artifacts, check_compatible
from job_reco.models.features import pay_reference
from job_reco.recommend.jobs import appeal_of_keys
from job_reco.recommend.model import blend_scores
from job_reco.recommend.recommender import JobRecommender, RecommendSettings
from job_reco.recommend.resume import resolve_location
from job_reco.text import DocumentEmbedder

WORDS = {  # word -> 4-d vector: nursing words along axis 0, trucking words along axis 1
    "nurse": [1.0, 0.0, 0.1, 0.0], "patient": [0.9, 0.1, 0.0, 0.1], "hospital": [0.8, 0.0, 0.2, 0.0],
    "medication": [0.9, 0.0, 0.0, 0.2], "truck": [0.0, 1.0, 0.1, 0.0], "driver": [0.1, 0.9, 0.0, 0.0],
    "cargo": [0.0, 0.8, 0.0, 0.2], "road": [0.0, 0.9, 0.2, 0.0],
}
SIDE = ["log_distance_km", "distance_missing", "log_years", "level", "log_job_appeal", "best_section_cosine",
        "log_title_pair_appeal"]
JOBS = pd.DataFrame({
    "job_id": ["N1", "T1", "N2", "T2"],
    "title": ["Nurse", "Truck driver", "Hospital nurse", "Cargo truck driver"],
    "description": ["patient medication", "road cargo", "patient hospital", "road truck"],
    "latitude": [29.76, 29.76, 40.71, 40.71], "longitude": [-95.37, -95.37, -74.01, -74.01],
    "level": ["mid", "entry", "senior", "lead"],
})


def _artifacts(residual: float = 0.0, dimension: int = 4) -> Artifacts:
    config = RankerConfig(hidden_units=(3,), cluster_embedding_dim=2)
    layout = ranker_layout(dimension, SIDE, np.full(len(SIDE), 0.5), np.full(len(SIDE), 2.0), config, n_clusters=2,
                           blocks=["resume_vector", "job_vector", "product"])
    width = layout["width"]
    generator = np.random.default_rng(0)
    weights = {
        "cluster_embedding": [generator.normal(size=(2, 2)).astype(np.float32)],
        "hidden_0": [generator.normal(size=(width + 2, 3)).astype(np.float32), np.zeros(3, np.float32)],
        "residual": [np.full((3, 1), residual, np.float32), np.zeros(1, np.float32)],
        "cosine_scale": [np.array([[10.0]], np.float32)],
    }
    vectors = np.array(list(WORDS.values()), dtype=np.float32)[:, :dimension]
    embedder = DocumentEmbedder(method="mean", words=list(WORDS), vectors=vectors, weights=np.ones(len(WORDS), np.float32),
                                n_corpus_words=len(WORDS))
    centres = {"k": 2, "normalised": True, "centres": [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]}
    return Artifacts(document_embedder=embedder, cluster_centres=centres, ranker_weights=weights, ranker_layout=layout,
                     architecture_selection={"selected": "ranker"})


@pytest.fixture
def recommender() -> JobRecommender:
    made = JobRecommender(_artifacts(residual=0.0), RecommendSettings(candidates=3))
    made.jobs = made.job_table(JOBS)
    return made


def test_candidates_are_the_top_n_by_cosine(recommender):
    vectors = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], dtype=np.float32)
    index = recommender.candidates(vectors, recommender.jobs)
    assert index.shape == (2, 3)  # candidates = 3 of 4 jobs
    assert set(recommender.jobs.job_id[index[0, :2]]) == {"N1", "N2"}
    assert set(recommender.jobs.job_id[index[1, :2]]) == {"T1", "T2"}


def test_nurse_resume_ranks_nursing_jobs_first(recommender):
    out = recommender.recommend("Nurse caring for hospital patient medication", k=4)
    assert list(out["job_id"][:2].sort_values()) == ["N1", "N2"]
    assert list(out["rank"]) == [1, 2, 3]  # only the 3 candidates are scored
    assert out["score"].is_monotonic_decreasing
    assert "nurse" in out["explanation"].iloc[0]


def test_features_a_request_cannot_give_take_the_training_mean(recommender):
    start = side_offset(recommender.layout)  # after the three 4-d vector blocks
    assert start == 3 * 4
    column = {name: start + j for j, name in enumerate(SIDE)}
    resumes = _prepared(recommender, [None, (29.76, -95.37)])
    batch = recommender._rows(resumes, np.array([[0, 1, 2, 3], [0, 1, 2, 3]]), recommender.jobs, pd.Timestamp("2026-01-01", tz="UTC"))
    features = batch.inputs.features
    unlocated, located = features[:4], features[4:]
    assert np.all(unlocated[:, column["log_distance_km"]] == 0) and np.all(unlocated[:, column["distance_missing"]] == 0)
    # To the same place: log1p(0 km) standardised by mean 0.5, std 2 = -0.25; to New York (2,281 km): (log1p(2281) - 0.5) / 2
    assert located[0, column["log_distance_km"]] == pytest.approx(-0.25, abs=1e-6)
    assert located[2, column["log_distance_km"]] == pytest.approx((np.log1p(2281) - 0.5) / 2, abs=0.001)
    # No appeal tables: the appeal features are unknown for every row.
    assert np.all(features[:, column["log_job_appeal"]] == 0) and np.all(features[:, column["log_title_pair_appeal"]] == 0)
    assert batch.unknown[:, SIDE.index("log_title_pair_appeal")].all()
    # level is known (the jobs have it): entry 0 -> (0 - 0.5) / 2
    assert located[1, column["level"]] == pytest.approx(-0.25)


def _prepared(recommender, locations):
    from job_reco.recommend.resume import prepare_resumes

    return prepare_resumes(["nurse patient", "truck driver"], recommender.embed, as_of_year=2026, max_sections=4,
                           locations=locations)


def test_jobs_without_a_column_leave_its_features_at_the_mean():
    made = JobRecommender(_artifacts(), RecommendSettings(candidates=4))
    table = made.job_table(JOBS.drop(columns=["level"]))
    batch = made._rows(_prepared(made, [None, None]), np.array([[0, 1, 2, 3]] * 2), table, pd.Timestamp("2026-01-01", tz="UTC"))
    assert np.all(batch.inputs.features[:, side_offset(made.layout) + SIDE.index("level")] == 0)
    assert batch.unknown[:, SIDE.index("level")].all() and not batch.unknown[:, SIDE.index("log_years")].any()


def test_appeal_of_keys_by_hand():
    counts = pd.DataFrame({"job_id": ["A", "B"], "clicks_all": [4.0, 0.0], "expected_all": [2.0, 3.0]})
    # (clicks + alpha) / (mu x expected + alpha), alpha 2, mu 0.5: A (4 + 2) / (1 + 2); B 2 / 3.5; unseen C 2 / 2 = 1
    got = appeal_of_keys(pd.Series(["A", "B", "C"]), counts, "job_id", {"alpha": 2.0, "mu": 0.5})
    assert got == pytest.approx([2.0, 2 / 3.5, 1.0])


def test_known_appeal_tables_give_the_job_and_title_pair_appeal():
    artifacts = _artifacts()
    artifacts.job_appeal = pd.DataFrame({"job_id": ["N1"], "clicks_all": [4.0], "expected_all": [2.0]})
    artifacts.title_pair_appeal = pd.DataFrame({"title_pair": ["nurse | hospital nurse"], "clicks_all": [1.0],
                                                "expected_all": [3.0]})
    artifacts.appeal_priors = {"job": {"alpha": 2.0, "mu": 1.0}, "title_pair": {"alpha": 1.0, "mu": 1.0}}
    made = JobRecommender(artifacts, RecommendSettings(candidates=4))
    table = made.job_table(JOBS)
    assert table.side["job_appeal"].tolist() == pytest.approx([1.5, 1.0, 1.0, 1.0])
    from job_reco.recommend.resume import prepare_resumes

    resumes = prepare_resumes(["Senior Nurse | City General | 2019 - present\nI cared for patients."], made.embed,
                              as_of_year=2026, max_sections=4, locations=[None])
    batch = made._rows(resumes, np.array([[0, 1, 2, 3]]), table, pd.Timestamp("2026-01-01", tz="UTC"))
    column = side_offset(made.layout) + SIDE.index("log_title_pair_appeal")
    # "nurse | hospital nurse": (1 + 1) / (3 + 1) = 0.5, standardised by mean 0.5, std 2; the other pairs: log 1 = 0
    assert batch.inputs.features[:, column] == pytest.approx([(0 - 0.5) / 2, (0 - 0.5) / 2, (np.log(0.5) - 0.5) / 2, (0 - 0.5) / 2])
    assert not batch.unknown[:, SIDE.index("log_title_pair_appeal")].any()


def test_appeal_lookup_refuses_repeated_keys():
    counts = pd.DataFrame({"job_id": ["A", "A"], "clicks_all": [4.0, 1.0], "expected_all": [2.0, 3.0]})
    with pytest.raises(ValueError, match="job_id appeal counts repeat job_id values, e.g. 'A'"):
        appeal_of_keys(pd.Series(["A"]), counts, "job_id", {"alpha": 2.0, "mu": 0.5})


def test_replaced_title_pair_counts_are_read_on_the_next_request():
    artifacts = _artifacts()
    artifacts.title_pair_appeal = pd.DataFrame({"title_pair": ["nurse | hospital nurse"], "clicks_all": [1.0], "expected_all": [3.0]})
    artifacts.appeal_priors = {"job": {"alpha": 2.0, "mu": 1.0}, "title_pair": {"alpha": 1.0, "mu": 1.0}}
    made = JobRecommender(artifacts, RecommendSettings(candidates=4))
    table = made.job_table(JOBS)
    from job_reco.recommend.resume import prepare_resumes

    resumes = prepare_resumes(["Senior Nurse | City General | 2019 - present\nI cared for patients."], made.embed,
                              as_of_year=2026, max_sections=4, locations=[None])
    column = side_offset(made.layout) + SIDE.index("log_title_pair_appeal")
    when = pd.Timestamp("2026-01-01", tz="UTC")
    first = made._rows(resumes, np.array([[0, 1, 2, 3]]), table, when).inputs.features[2, column]
    artifacts.title_pair_appeal = pd.DataFrame({"title_pair": ["nurse | hospital nurse"], "clicks_all": [7.0], "expected_all": [3.0]})
    second = made._rows(resumes, np.array([[0, 1, 2, 3]]), table, when).inputs.features[2, column]
    # (1 + 1) / (3 + 1) = 0.5, then (7 + 1) / (3 + 1) = 2, each standardised by mean 0.5, std 2
    assert (first, second) == pytest.approx(((np.log(0.5) - 0.5) / 2, (np.log(2.0) - 0.5) / 2))


def test_pay_reference_by_hand():
    titles = pd.Series(["Nurse", "Senior Nurse", "Nurse", "Driver"])
    got = pay_reference(titles, np.array([50.0, 70.0, 60.0, 40.0]), min_ads_per_title=2)
    assert got == pytest.approx([60.0, 60.0, 60.0, 55.0])  # "nurse" has 3 ads; "driver" 1 < 2: median of all


def test_blend_by_hand():
    stats = {"ranker_mean": 1.0, "ranker_std": 2.0, "gbdt_mean": 0.0, "gbdt_std": 0.5}
    got = blend_scores(np.array([3.0]), np.array([1.0]), 0.25, stats)
    assert got == pytest.approx([0.25 * 1.0 + 0.75 * 2.0])


def test_locations():
    assert resolve_location(None)[0] != resolve_location(None)[0]  # NaN: unknown
    assert resolve_location((1.5, 2.5)) == (1.5, 2.5)
    assert resolve_location({"latitude": 3.0, "longitude": 4.0}) == (3.0, 4.0)
    assert resolve_location({"city": "Houston, TX", "state": "TX"}) == resolve_location("Houston, TX")  # resumes.city
    lat, lon = resolve_location({"city": "Houston", "state": "TX"})
    assert lat == pytest.approx(29.76, abs=0.1) and lon == pytest.approx(-95.36, abs=0.1)
    with pytest.raises(ValueError, match="unknown city 'atlantis, zz'"):
        resolve_location("Atlantis, ZZ")


def test_bad_inputs_name_the_columns(recommender):
    with pytest.raises(ValueError, match=r"jobs is missing columns \['description'\]"):
        recommender.job_table(JOBS.drop(columns=["description"]))
    with pytest.raises(ValueError, match=r"resumes is missing columns \['text'\]"):
        recommender.recommend_batch(pd.DataFrame({"resume_id": ["r1"]}))


def test_another_vector_width_is_one_clear_error():
    artifacts = _artifacts()
    artifacts.ranker_layout = {**artifacts.ranker_layout, "vector_dimension": 50}
    with pytest.raises(ArtifactError, match=r"disagree on the document-vector width .*rerun `kedro run --pipelines embeddings`"):
        check_compatible(artifacts)


def test_an_older_layout_is_one_clear_error():
    artifacts = _artifacts()
    artifacts.ranker_layout = {**artifacts.ranker_layout, "layout_version": 1}
    with pytest.raises(ArtifactError, match="layout_version 1.*rerun `kedro run --pipelines modeling`"):
        check_compatible(artifacts)


def test_recommend_is_registered_but_not_in_the_default_run():
    from job_reco.pipeline_registry import register_pipelines

    pipelines = register_pipelines()
    recommend_nodes = {n.name for n in pipelines["recommend"].nodes}
    assert "recommend.recommend_for_resumes" in recommend_nodes
    assert not recommend_nodes & {n.name for n in pipelines["__default__"].nodes}
    assert not recommend_nodes & {n.name for n in pipelines["from_logs"].nodes}


def test_side_effects_by_hand():
    from job_reco.recommend.explain import side_effects

    features = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 0.0]])
    # score = 2 x0 + 1 x1 (x2 does not count): effect of a feature = its term, since occlusion sets it to 0
    got = side_effects(lambda x: 2 * x[:, 0] + x[:, 1], features, {"a": 0, "b": 1, "c": 2}, n=2)
    assert got == [[("a", 2.0), ("b", -2.0)], [("b", 3.0)]]


def test_few_document_embedder_gives_the_pipeline_vectors():
    from job_reco.recommend.resume import FewDocumentEmbedder
    from job_reco.text import embed_texts

    embedder = _artifacts().document_embedder.with_component(np.array([0.5, 0.5, 0.5, 0.5]))
    texts = ["Nurse: patient care, medication; hospital nurse.", "truck driver on the road", "", "unknown words only"]
    expected, _ = embed_texts(texts, embedder)
    from job_reco.text import prepare_text

    assert np.array_equal(FewDocumentEmbedder(embedder)([prepare_text(t) for t in texts]), expected)


def test_per_cluster_scores_with_the_ncfs_and_no_side_features():
    artifacts = _artifacts()
    generator = np.random.default_rng(1)
    width = 3 * 4 + 1  # resume ++ job ++ product ++ cosine (modeling.network.interactions)
    # An NCF whose click logit difference is 5 x the cosine input: P(click) = sigmoid(5 cos), highest for the most similar ad.
    kernel_1, kernel_2 = np.zeros((width, 1), np.float32), np.array([[0.0, 5.0]], np.float32)
    kernel_1[-1, 0] = 1.0
    ncf = [np.eye(width, dtype=np.float32)[:, :width], np.zeros(width, np.float32), kernel_1, np.full(1, 1.0, np.float32),
           kernel_2, np.zeros(2, np.float32)]
    artifacts.architecture_selection = {"selected": "per_cluster"}
    artifacts.cluster_models = [(0, ncf, False), (1, [w + generator.normal(0, 1e-3, w.shape).astype(np.float32) for w in ncf], False)]
    artifacts.ensemble_selection = {"selected": "average"}
    made = JobRecommender(artifacts, RecommendSettings(candidates=4))
    out = made.recommend("nurse patient hospital", k=4, jobs=JOBS)
    assert list(out["job_id"][:2].sort_values()) == ["N1", "N2"]
    assert ((out["score"] > 0) & (out["score"] < 1)).all()
    assert out["side_features"].map(len).eq(0).all()


def test_a_model_of_another_width_than_its_layout_is_one_clear_error():
    from types import SimpleNamespace

    from job_reco.recommend.artifacts import _ranker_weights

    layout = _artifacts().ranker_layout
    model = SimpleNamespace(inputs=[SimpleNamespace(shape=(None, layout["width"] + 1))])
    with pytest.raises(ArtifactError, match=r"ranker_model takes 20 features but ranker_layout says 19 .*rerun `kedro run --pipelines modeling`"):
        _ranker_weights(model, layout, 4)


def test_a_group_of_features_is_occluded_together():
    from job_reco.recommend.explain import side_effects

    features = np.array([[1.0, -2.0, 0.5]])
    got = side_effects(lambda x: 2 * x[:, 0] + x[:, 1] + x[:, 0] * x[:, 1], features, {"ab": [0, 1], "c": 2}, n=3)
    assert got == [[("ab", -2.0)]]  # 2 - 2 - 2 against 0; c does not count


def test_reasons_in_words_by_hand():
    from job_reco.recommend.explain import RowFacts, describe, phrase, reasons

    facts = RowFacts(place="Houston", km=12.4, days=3.2, level="senior", years=7.0, pay_ratio=1.12, pay_reference="ads with this title",
                     appeal=1.8, pair_appeal=0.5, current_title="Registered Nurse", current_title_share=1.0)
    assert phrase("place", facts) == "12 km from Houston"
    assert phrase("place", RowFacts(place="Houston", km=0.4)) == "in Houston"
    assert phrase("place", RowFacts(km=850.0)) == "850 km away"
    assert phrase("place", RowFacts(place="Houston", km=30.0, remote=True)) == "remote"
    assert phrase("age", facts) == "posted 3 days ago" and phrase("age", RowFacts(days=0.5)) == "posted today"
    assert phrase("current_title", facts) == "matches your current title: Registered Nurse"
    assert phrase("current_title", RowFacts(current_title="ICU Nurse", current_title_share=0.5)) == "close to your current title: ICU Nurse"
    assert phrase("level", facts) == "senior role; you have 7 years"
    assert phrase("pay", facts) == "pay 12% above the median of ads with this title"
    assert phrase("pay", RowFacts(pay_ratio=0.8, pay_reference="all ads")) == "pay 20% below the median of all ads"
    assert phrase("appeal", facts) == "often chosen by seekers (1.8x what its match predicts)"
    assert phrase("title_pair", facts) == "seldom chosen by seekers titled Registered Nurse (0.5x what its match predicts)"
    assert phrase("appeal", RowFacts(appeal=1.02)) == "chosen by seekers as often as its match predicts"
    told = reasons([("age", -0.4), ("current_title", 1.1), ("place", 0.3)], facts)
    assert told == [("matches your current title: Registered Nurse", 1.1), ("12 km from Houston", 0.3), ("posted 3 days ago", -0.4)]
    assert describe([("nurse", "nurse", 1.0), ("patient", "care", 0.71)], told) == (
        "matches your current title: Registered Nurse · 12 km from Houston · but posted 3 days ago · words: nurse, patient~care")


def _walk_down_the_sorted_pairs(value: np.ndarray, n: int) -> list[tuple[int, int]]:
    """The pairs rule: every (row, column) by value, highest first (ties in row-major order), each row and column once."""
    pairs: list[tuple[int, int]] = []
    for flat in np.argsort(-value, axis=None, kind="stable"):
        i, j = divmod(int(flat), value.shape[1])
        if all(i != p[0] and j != p[1] for p in pairs) and len(pairs) < n:
            pairs.append((i, j))
    return pairs


def test_greedy_pairs_are_the_walk_down_the_sorted_pairs():
    from job_reco.recommend.explain import _greedy_pairs

    generator = np.random.default_rng(3)
    for _ in range(500):
        shape = tuple(generator.integers(1, 7, 2))
        value = generator.integers(-2, 3, shape).astype(np.float64) / 2  # few distinct values: many ties, -0.0 and 0.0
        if generator.random() < 0.2:
            value[generator.random(shape) < 0.3] = generator.choice([np.nan, np.inf, -np.inf])
        n = int(generator.integers(0, 6))
        assert _greedy_pairs(value, n) == _walk_down_the_sorted_pairs(value, n), (value, n)


def test_word_matcher_keeps_the_last_ads_and_answers_as_a_fresh_one():
    from job_reco.recommend.explain import WordMatcher

    embedder = _artifacts().document_embedder
    ads = ["Nurse. patient medication", "Truck driver. road cargo", "Hospital nurse. patient hospital", "Cook. kitchen"]
    kept = WordMatcher(embedder, ads_kept=2)
    tokens = ["nurse", "hospital", "medication", "truck"]
    first = kept.best_pairs_of_ads(tokens, ads, 3)
    assert len(kept._ads) == 2 and list(kept._ads) == ads[2:]
    assert kept.best_pairs_of_ads(tokens, ads[::-1], 3) == first[::-1]
    assert first == [WordMatcher(embedder).best_pairs(tokens, ad, 3) for ad in ads]
    # equal weights: identical words first (cosine 1, in the resume's order), each word once; "cook", "kitchen" unknown
    assert first[0][:2] == [("nurse", "nurse", 1.0), ("medication", "medication", 1.0)] and first[3] == []
    assert kept.best_pairs_of_ads(["kitchen"], ads, 3) == [[], [], [], []]


def test_row_facts_from_the_ads_columns():
    from job_reco.models.features import title_key, title_words
    from job_reco.recommend.explain import row_facts
    from job_reco.recommend.resume import PreparedResume

    side = pd.DataFrame({
        "job_title": ["Registered Nurse", "Truck Driver"], "job_latitude": [29.76, 40.71], "job_longitude": [-95.37, -74.01],
        "remote": [False, True], "level": ["senior", "entry"], "salary_mid": [80_000.0, 50_000.0],
        "pay_reference": [70_000.0, 60_000.0], "posted_at": pd.to_datetime(["2026-01-01", "2025-12-01"], utc=True),
        "job_appeal": [1.5, 0.7],
    })
    resume = PreparedResume(np.zeros(4, np.float32), [], 7.0, 29.86, -95.37, [], ["Registered Nurse", "Truck Driver"], "Houston")
    keys = title_key(side["job_title"]).tolist()  # what the job table keeps of each ad's title
    facts = row_facts(side, resume, pd.Timestamp("2026-01-04", tz="UTC"), all_ads_pay=60_000.0,
                      ad_keys=keys, ad_words=[title_words(key) for key in keys])
    assert round(facts[0].km) == 11 and facts[0].place == "Houston" and facts[1].remote
    assert [f.days for f in facts] == [3.0, 34.0] and [f.level for f in facts] == ["senior", "entry-level"]
    assert facts[0].pay_ratio == pytest.approx(80 / 70) and facts[0].pay_reference == "ads with this title"
    assert facts[1].pay_reference == "all ads"  # its reference is all ads' median
    assert (facts[0].current_title_share, facts[1].current_title_share) == (1.0, 0.0)
    assert (facts[1].past_title, facts[1].past_title_share) == ("Truck Driver", 1.0)
    assert [f.appeal for f in facts] == [1.5, 0.7]


def test_an_unreadable_model_file_is_one_clear_error(tmp_path):
    from kedro.io import DataCatalog

    from job_reco.recommend.artifacts import ProjectCatalog

    (tmp_path / "model.keras").write_bytes(b"not a zip")
    catalog = DataCatalog.from_config({"ranker_model@weights": {
        "type": "job_reco.datasets.keras_weights.KerasWeightsDataset", "filepath": str(tmp_path / "model.keras")}})
    project = ProjectCatalog(catalog=catalog, params={}, project_path=tmp_path)
    with pytest.raises(ArtifactError, match=r"ranker_model@weights could not be read .*model.keras.*not a saved Keras model.*"
                                              r"rerun `kedro run --pipelines modeling`"):
        project.require("ranker_model@weights")
