"""The served model's request checks, answers and version tags, without a server (tests/test_serving_e2e.py has one)."""

from __future__ import annotations

import pandas as pd
import pytest

from job_reco.hooks.serving_model import version_tags
from job_reco.serving.model import answer_jobs, limits_from_config
from job_reco.serving.registry import serving_requirements
from job_reco.serving.requests import RequestError, RequestLimits, ResumeRequest, parse_requests

LIMITS = RequestLimits(max_resumes=3, max_text_chars=1_000, max_k=20, default_k=10)
SECRET = "Maria Gonzalez, 42 Elm Street, Springfield"


def test_a_resume_takes_its_defaults_and_a_city_becomes_coordinates():
    [plain, placed] = parse_requests([{"text": "nurse"}, {"text": "driver", "location": "Houston, TX", "k": 3}], LIMITS)
    assert plain == ResumeRequest(text="nurse", k=10, location=None)
    assert placed.k == 3 and placed.location == pytest.approx((29.76, -95.36), abs=0.01)
    [pair] = parse_requests([{"text": "nurse", "location": {"latitude": 40.7, "longitude": -74.0}}], LIMITS)
    assert pair.location == (40.7, -74.0)


def test_one_resume_object_is_a_request_of_one():
    assert parse_requests({"text": "nurse"}, LIMITS) == [ResumeRequest("nurse", 10)]


@pytest.mark.parametrize(("payload", "message"), [
    ([{"k": 3}], r"resume 0 has no text"),
    ([{"text": "   "}], r"resume 0: text is empty"),
    ([{"text": 42}], r"resume 0: text must be a string, got a number"),
    ([{"text": "x" * 1_001}], r"resume 0: text has 1,001 characters; at most 1,000"),
    ([{"text": "nurse", "k": 0}], r"resume 0: k is 0; give 1 to 20"),
    ([{"text": "nurse"}, {"text": "nurse", "k": 10_000}], r"resume 1: k is 10000; give 1 to 20"),
    ([{"text": "nurse", "k": "5"}], r"resume 0: k must be a whole number from 1 to 20, got a string"),
    ([{"text": "nurse", "k": True}], r"k must be a whole number .* got a boolean"),
    ([{"text": "nurse", "k": 2.5}], r"k must be a whole number .* got a number"),
    ([{"text": "nurse", "colour": "red", "age": 3}], r"resume 0 has unknown fields \['age', 'colour'\]; a resume has text, location, k"),
    ([{"text": "nurse", "location": "Atlantis, ZZ"}], r"resume 0: location is not a known place"),
    ([{"text": "nurse", "location": {"latitude": 95, "longitude": 0}}], r"resume 0: location must be"),
    ([{"text": "nurse", "location": {"latitude": 40, "longitude": -74, "zip": "10001"}}], r"resume 0: location must be"),
    ([{"text": "nurse", "location": [40, -74]}], r"location must be .* got a list"),
    (["nurse"], r"resume 0 is a string; each resume is an object"),
    ([], r'"inputs" must be a non-empty list'),
    ("nurse", r'"inputs" must be a non-empty list'),
    ([{"text": "nurse"}] * 4, r"4 resumes in one request; at most 3"),
])
def test_a_bad_request_is_one_400_that_says_what_was_wrong(payload, message):
    with pytest.raises(RequestError, match=message) as caught:
        parse_requests(payload, LIMITS)
    assert caught.value.get_http_status_code() == 400


def test_an_error_never_repeats_the_resume_and_keeps_its_message():
    for payload in ([{"text": SECRET, "k": 0}], [{"text": SECRET, "location": SECRET}], [{"text": SECRET * 100}]):
        with pytest.raises(RequestError) as caught:
            parse_requests(payload, LIMITS)
        error = caught.value
        assert "Maria" not in error.message and "Elm" not in error.serialize_as_json()
        # MLflow's scoring server prefixes the request's data to a predict error's message; it stays as written.
        error.message = f"Failed to predict data '{payload}'. Error: {error.message}"
        assert "Maria" not in error.message and "stack_trace" not in error.serialize_as_json()


def test_limits_follow_the_model_candidates_and_top_k():
    limits = limits_from_config({"max_resumes": 8}, candidates=20, top_k=10)
    assert (limits.max_resumes, limits.max_text_chars, limits.max_k, limits.default_k) == (8, 100_000, 20, 10)
    assert limits_from_config({}, candidates=5, top_k=10).default_k == 5


def test_an_answer_is_the_served_fields_of_recommend():
    frame = pd.DataFrame({"rank": [1, 2], "job_id": ["J1", "J2"], "title": ["Nurse", "Driver"], "score": [0.9, 0.1],
                          "cosine": [0.5, 0.4], "matched_words": [[], []], "side_features": [[], []],
                          "explanation": ["words: nurse=nurse", "words: none"]})
    assert answer_jobs(frame) == [
        {"rank": 1, "job_id": "J1", "title": "Nurse", "score": 0.9, "explanation": "words: nurse=nurse"},
        {"rank": 2, "job_id": "J2", "title": "Driver", "score": 0.1, "explanation": "words: none"},
    ]


def test_version_tags_hold_the_architecture_and_the_chosen_rankers_test_figures():
    metrics = {"headline": {"chosen": "ensemble"}, "lift_vs_search": {"ensemble": {"ips_mrr": 0.4278}},
               "rankers": {"ensemble": {"ips_mrr": 0.3959813, "mrr": 0.645, "ndcg@10": 0.69274934}}}
    assert version_tags({"selected": "blend"}, metrics, ["ips_mrr", "ndcg@10", "auc"]) == {
        "architecture": "blend", "test.ranker": "ensemble", "test.ips_mrr": "0.395981", "test.ndcg_10": "0.692749",
        "test.ips_mrr_lift_vs_search": "0.4278",
    }
    assert version_tags({"selected": "ranker"}, None, ["ips_mrr"]) == {"architecture": "ranker"}


def test_requirements_pin_this_environment_and_leave_pyarrow_to_mlflow():
    from importlib.metadata import version

    requirements = serving_requirements()
    assert f"mlflow=={version('mlflow')}" in requirements and f"h5py=={version('h5py')}" in requirements
    assert "pyarrow<26" in requirements and not any(r.startswith("pyarrow==") for r in requirements)
    assert not [r for r in requirements if r.startswith(("tensorflow", "keras", "xgboost"))]


class ReadKeys(dict):
    """A model config that notes each key read from it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_the_logged_model_config_declares_every_key_the_model_reads(monkeypatch):
    """MLflow hands a loader's model config to the model only for the keys logged with it (MODEL_CONFIG)."""
    from types import SimpleNamespace

    from job_reco.recommend import JobRecommender
    from job_reco.serving.model import MODEL_CONFIG, RecommenderModel

    frame = pd.DataFrame({"rank": [1], "job_id": ["J1"], "title": ["Nurse"], "score": [0.9], "explanation": ["words: none"]})
    fake = SimpleNamespace(artifacts=SimpleNamespace(params={"recommend": {"top_k": 5}}), settings=SimpleNamespace(candidates=20),
                           model=SimpleNamespace(selected="ranker"), jobs=[None], recommend=lambda *args, **kwargs: frame)
    monkeypatch.setattr(JobRecommender, "from_folder", classmethod(lambda cls, folder, **kwargs: fake))
    config = ReadKeys(MODEL_CONFIG)
    model = RecommenderModel()
    model.load_context(SimpleNamespace(artifacts={"recommender": "folder"}, model_config=config))
    assert config.read and config.read <= set(MODEL_CONFIG), sorted(config.read - set(MODEL_CONFIG))
    assert model.limits == limits_from_config({}, candidates=20, top_k=5)


def test_a_failure_inside_the_recommender_is_a_500_that_repeats_nothing_of_the_resume(caplog):
    from job_reco.serving.model import RecommenderModel

    class Failing:
        def recommend(self, text, k, resume_location=None):
            raise ValueError(f"cannot rank {text!r}")

    model = RecommenderModel()
    model.recommender, model.limits = Failing(), LIMITS
    with caplog.at_level("ERROR", logger="job_reco.serving.model"), pytest.raises(Exception) as caught:
        model.predict([{"text": "nurse"}, {"text": SECRET}])
    error = caught.value
    assert error.get_http_status_code() == 500
    assert error.message == "the recommender failed on resume 0 (ValueError); the server's log says where"
    error.message = f"Failed to predict data '{SECRET}'"
    assert "Maria" not in error.serialize_as_json()
    assert "ValueError" in caplog.text and "recommend" in caplog.text and "nurse" not in caplog.text
