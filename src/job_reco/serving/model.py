"""The recommender as an MLflow pyfunc model: resumes in, each one's ranked jobs with the CLI's explanation out.

    request:  {"inputs": [{"text": "...", "location": "Houston, TX", "k": 5}, ...]}
    answer:   {"predictions": [{"jobs": [{"rank": 1, "job_id": "J003147", "title": "...",
                                          "score": 1.93, "explanation": "words: ...; side: ..."}, ...]}, ...]}

Each resume's jobs are exactly `JobRecommender.recommend(text, k, resume_location=location)`.
The model's artifact is a recommender folder (`job_reco.recommend.folder`); its model config may
name the current jobs (`jobs`: a parquet file in the contract's jobs format, `job_vectors`: their
vectors, optional) to rank instead of the run's, and the request limits (`RequestLimits`). The
model is logged with every key of `MODEL_CONFIG`: MLflow hands a loader's model config to the model
only for the keys logged with it, and drops the others with a warning.
Nothing of a resume is logged: an unexpected failure logs its type and where it happened only.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from mlflow.protos.databricks_pb2 import INTERNAL_ERROR
from mlflow.pyfunc import PythonModel

from job_reco.serving.requests import RequestLimits, ResumeRequest, ServingError, parse_requests

logger = logging.getLogger(__name__)

ARTIFACT = "recommender"
ANSWER_FIELDS = ("rank", "job_id", "title", "score", "explanation")
# A resume without personal data: the model's input example and its warm-up request.
EXAMPLE_RESUME = (
    "Registered nurse with 6 years of experience in patient care, medication administration and vital signs "
    "monitoring on a busy hospital ward.\n\nStaff Nurse, City Hospital 2019 - present\n"
    "Cared for patients after surgery, administered medications, monitored vital signs."
)
INPUT_EXAMPLE = [{"text": EXAMPLE_RESUME, "location": "Houston, TX", "k": 5}]
# The model config's keys and their defaults, as logged with the model (null jobs: the folder's).
MODEL_CONFIG = {"jobs": None, "job_vectors": None, "max_resumes": RequestLimits().max_resumes,
                "max_text_chars": RequestLimits().max_text_chars, "blas_threads": 1}


def answer_jobs(frame) -> list[dict[str, Any]]:
    """The served fields of `JobRecommender.recommend`'s frame, one dict per job, in rank order."""
    return [
        {"rank": int(row.rank), "job_id": str(row.job_id), "title": str(row.title), "score": float(row.score),
         "explanation": str(row.explanation)}
        for row in frame.itertuples(index=False)
    ]


def limits_from_config(config: Mapping[str, Any], *, candidates: int, top_k: int) -> RequestLimits:
    """Request limits: the model config's `max_resumes`, `max_text_chars`; k from 1 to the model's candidates."""
    defaults = RequestLimits()
    return RequestLimits(
        max_resumes=int(config.get("max_resumes", defaults.max_resumes)),
        max_text_chars=int(config.get("max_text_chars", defaults.max_text_chars)),
        max_k=int(candidates), default_k=min(int(top_k), int(candidates)),
    )


class RecommenderModel(PythonModel):
    """`JobRecommender` behind MLflow's pyfunc interface (see the module docstring)."""

    def load_context(self, context) -> None:
        """Load the recommender folder, the current jobs if the model config names them, and warm it up."""
        import pandas as pd  # noqa: PLC0415
        from threadpoolctl import threadpool_limits  # noqa: PLC0415

        from job_reco.columns import EMBEDDING, JOB_ID  # noqa: PLC0415
        from job_reco.recommend import JobRecommender  # noqa: PLC0415

        config = getattr(context, "model_config", None) or {}
        # One request's matrix product is small: BLAS threads would only queue behind each other.
        threadpool_limits(int(config.get("blas_threads", 1)))
        jobs = pd.read_parquet(config["jobs"]) if config.get("jobs") else None
        vectors = pd.read_parquet(config["job_vectors"], columns=[JOB_ID, EMBEDDING]) if config.get("job_vectors") else None
        self.recommender = JobRecommender.from_folder(context.artifacts[ARTIFACT], jobs=jobs, job_vectors=vectors)
        top_k = int((self.recommender.artifacts.params.get("recommend") or {}).get("top_k", 10))
        self.limits = limits_from_config(config, candidates=self.recommender.settings.candidates, top_k=top_k)
        self.predict(INPUT_EXAMPLE)  # the word lookups and the city table, built before the first request
        logger.info("Serving %s over %d jobs.", self.recommender.model.selected, len(self.recommender.jobs))

    def _answer(self, request: ResumeRequest, index: int) -> dict[str, Any]:
        try:
            frame = self.recommender.recommend(request.text, k=request.k, resume_location=request.location)
        except Exception as error:  # noqa: BLE001 - any failure here is the server's, and its message may hold the resume
            where = "".join(traceback.format_tb(error.__traceback__)[-3:])
            logger.error("Recommending for resume %d failed with %s at:\n%s", index, type(error).__name__, where)
            raise ServingError(
                f"the recommender failed on resume {index} ({type(error).__name__}); the server's log says where",
                error_code=INTERNAL_ERROR,
            ) from None
        return {"jobs": answer_jobs(frame)}

    def predict(self, model_input: list[dict[str, Any]], params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Per resume, {"jobs": [{rank, job_id, title, score, explanation}, ...]}; a bad request is a RequestError (400)."""
        return [self._answer(request, index) for index, request in enumerate(parse_requests(model_input, self.limits))]
