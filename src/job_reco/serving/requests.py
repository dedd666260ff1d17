"""What a served recommender accepts: a list of resumes, each {"text", optional "location", optional "k"}.

Every bad request is one `RequestError` (HTTP 400 from MLflow's scoring server) whose message says
which resume and which field was wrong and what is accepted, and never repeats the resume's text
or location: an error is as safe to log as an answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from job_reco.recommend.resume import resolve_location

FIELDS = ("text", "location", "k")
LOCATION_FORMS = '"City, ST" (a US city of 15,000+ inhabitants) or {"latitude": ..., "longitude": ...}'


class ServingError(MlflowException):
    """An error of the served model whose message stays as written here (no request data added to it)."""

    def __init__(self, message: str, error_code: int = INVALID_PARAMETER_VALUE) -> None:
        self._served_message = message
        super().__init__(message, error_code=error_code)

    @property
    def message(self) -> str:
        """The message as written here."""
        return self._served_message

    @message.setter
    def message(self, _value: str) -> None:
        # MLflow's scoring server prefixes a predict error's message with the request's data
        # ("Failed to predict data '...'"): a resume's text must not come back (nor 5 MB of it).
        pass


class RequestError(ServingError):
    """A bad request: HTTP 400 with a message that names the resume and the field, never their values."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)


@dataclass(frozen=True)
class RequestLimits:
    """How much one request may ask: resumes per request, characters per resume, jobs per resume."""

    max_resumes: int = 64
    max_text_chars: int = 100_000
    max_k: int = 20
    default_k: int = 10


@dataclass(frozen=True)
class ResumeRequest:
    """One checked resume of a request; `location` is (latitude, longitude) or None."""

    text: str
    k: int
    location: tuple[float, float] | None = None


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list | tuple) else "an object"


def _text(item: Mapping[str, Any], where: str, limits: RequestLimits) -> str:
    if "text" not in item or item["text"] is None:
        raise RequestError(f"{where} has no text: give the resume's text as \"text\"")
    text = item["text"]
    if not isinstance(text, str):
        raise RequestError(f"{where}: text must be a string, got {_json_type(text)}")
    if len(text) > limits.max_text_chars:
        raise RequestError(f"{where}: text has {len(text):,} characters; at most {limits.max_text_chars:,}")
    if not text.strip():
        raise RequestError(f"{where}: text is empty")
    return text


def _k(item: Mapping[str, Any], where: str, limits: RequestLimits) -> int:
    k = item.get("k")
    if k is None:
        return limits.default_k
    if isinstance(k, bool) or not isinstance(k, int):
        raise RequestError(f"{where}: k must be a whole number from 1 to {limits.max_k}, got {_json_type(k)}")
    if not 1 <= k <= limits.max_k:
        raise RequestError(
            f"{where}: k is {k}; give 1 to {limits.max_k} (this model re-ranks the top {limits.max_k} candidates)"
        )
    return int(k)


def _coordinate(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if low <= value <= high else None


def _location(item: Mapping[str, Any], where: str) -> tuple[float, float] | None:
    location = item.get("location")
    if location is None:
        return None
    if isinstance(location, str):
        try:
            if len(location) <= 200:
                return resolve_location(location)
        except (ValueError, KeyError):
            pass
        raise RequestError(f"{where}: location is not a known place; give {LOCATION_FORMS}")
    if isinstance(location, Mapping):
        unknown = sorted(set(location) - {"latitude", "longitude"})
        latitude = _coordinate(location.get("latitude"), -90.0, 90.0)
        longitude = _coordinate(location.get("longitude"), -180.0, 180.0)
        if not unknown and latitude is not None and longitude is not None:
            return latitude, longitude
    raise RequestError(f"{where}: location must be {LOCATION_FORMS}, got {_json_type(location)} that is neither")


def parse_resume(item: Any, index: int, limits: RequestLimits) -> ResumeRequest:
    """One resume of a request, checked: text (required), k (default `limits.default_k`), location."""
    where = f"resume {index}"
    if not isinstance(item, Mapping):
        raise RequestError(f"{where} is {_json_type(item)}; each resume is an object: {{\"text\": ..., \"location\": ..., \"k\": ...}}")
    unknown = [str(name)[:40] for name in item if name not in FIELDS]
    if unknown:
        shown = ", ".join(repr(name) for name in sorted(unknown)[:5])
        raise RequestError(f"{where} has unknown fields [{shown}]; a resume has {', '.join(FIELDS)}")
    return ResumeRequest(text=_text(item, where, limits), k=_k(item, where, limits), location=_location(item, where))


def parse_requests(model_input: Any, limits: RequestLimits) -> list[ResumeRequest]:
    """Every resume of a request (a list of resume objects), checked; the first problem is a RequestError."""
    if isinstance(model_input, Mapping):
        model_input = [model_input]
    if not isinstance(model_input, list | tuple) or not model_input:
        raise RequestError('"inputs" must be a non-empty list of resumes: [{"text": ..., "location": ..., "k": ...}, ...]')
    if len(model_input) > limits.max_resumes:
        raise RequestError(f"{len(model_input)} resumes in one request; at most {limits.max_resumes}: send them in several requests")
    return [parse_resume(item, index, limits) for index, item in enumerate(model_input)]
