"""Planted personal data that never comes out of the whole tiny pipeline.

The planted run reuses the session's finished tiny run's raw tables (`tiny_project_run`) and runs
`from_logs` once more. (That the same parameters give the same metrics and scores run after run is
checked against the same tiny run by tests/test_spark_connect.py and tests/test_cluster_env.py.)
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest

from job_reco import columns as C
from job_reco.text import tokenize
from tests.conftest import DATA_LAYERS, run_kedro

LATER_LAYERS = ("03_primary", "04_feature", "05_model_input", "06_models", "07_model_output", "08_reporting")


def copy_project(source: Path, target: Path, *, raw: bool) -> Path:
    """The project files of a tiny-run copy (and its raw tables when `raw`), with empty data layers."""
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(source / name, target)
    for name in ("src", "conf", "notebooks"):
        shutil.copytree(source / name, target / name)
    for layer in DATA_LAYERS:
        (target / "data" / layer).mkdir(parents=True)
    if raw:
        shutil.copytree(source / "data" / "01_raw", target / "data" / "01_raw", dirs_exist_ok=True)
    return target


# --- personal data planted anywhere in resumes ----------------------------------------------


def plant_personal_data(resumes: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[dict]]:
    """Resumes with a contact, a home address, references and a signature planted in them.

    Returns the new table and, per planted resume, its id, the strings planted and the name words.
    Some resumes also become edge cases: empty, about 1 MB long, HTML with control characters.
    """
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    texts, planted = [], []
    for i, (resume_id, body) in enumerate(zip(resumes[C.RESUME_ID], resumes[C.TEXT], strict=True)):
        contact, reference = (fake.first_name(), fake.last_name()), (fake.first_name(), fake.last_name())
        email, phone = fake.email(), fake.phone_number()
        street, city = fake.street_address(), f"{fake.city()}, {fake.state_abbr()} {fake.zipcode()}"
        head, _, rest = (body or "").partition("\n\n")
        own_name = head.split("\n", 1)[0]
        text = (
            f"{head}\n\nContact {contact[0]} {contact[1]} at {email} or {phone}.\n\n{rest}\n"
            f"Home: {street}, {city}\nReferences: {reference[0]} {reference[1]} and Dr. {reference[1]}.\n"
            f"Signed, {own_name}"
        )
        if i == 0:
            text = ""
        elif i == 1:
            text = text + "\n" + "Cared for patients on a busy surgical ward. " * 23_000
        elif i == 2:
            text = "<p><b>R\u00e9sum\u00e9</b>\x00\x07\u200b\u2603 &amp; caf\u00e9 \U0001f600</p>\r\n" + text
        texts.append(text)
        if i:
            # Name words the resume's own text uses as ordinary words ("Young", "Price") can't be told apart.
            ordinary = set(tokenize(rest))
            names = [w for w in (*contact, *reference, *own_name.split()) if w.lower() not in ordinary]
            strings = [email, phone, street, city, f"{contact[0]} {contact[1]}", f"{reference[0]} {reference[1]}"]
            planted.append({"resume_id": resume_id, "strings": strings, "names": names})
    assert sum(len(t) for t in texts[1:2]) > 1_000_000
    return resumes.assign(**{C.TEXT: texts}), planted


@pytest.fixture(scope="module")
def planted_run(tiny_project_run, tmp_path_factory) -> tuple[Path, list[dict], str]:
    """The tiny network's logs with personal data planted in every resume, through `from_logs`."""
    project = copy_project(tiny_project_run, tmp_path_factory.mktemp("planted"), raw=True)
    path = project / "data/01_raw/resumes.parquet"
    resumes, planted = plant_personal_data(pd.read_parquet(path), seed=2024)
    resumes.to_parquet(path, index=False)
    result = run_kedro(project, "run", "--env", "test", "--pipelines", "from_logs")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return project, planted, log


def _may_hold_text(column: pd.Series) -> bool:
    """An object column, unless its values are arrays of numbers (document vectors)."""
    if column.dtype != object:
        return False
    values = column.dropna()
    first = values.iloc[0] if len(values) else None
    return not (hasattr(first, "dtype") and first.dtype.kind in "fiu")


def _texts_after_scrub(project: Path) -> list[str]:
    """Every text a run wrote after the scrub: later layers, the scrubbed resumes, the pickles."""
    data = project / "data"
    paths = [p for layer in LATER_LAYERS for p in (data / layer).rglob("*")]
    paths.append(data / "02_intermediate/resumes_scrubbed.parquet")
    texts = []
    for path in paths:
        if path.suffix == ".parquet" and (path.is_file() or (path / "_SUCCESS").exists()):
            frame = pd.read_parquet(path)
            # Each distinct value once (ids and titles repeat on every impression); vectors of numbers left out.
            texts += [" ".join(frame[c].astype(str).unique()) for c in frame.columns if _may_hold_text(frame[c])]
        elif path.suffix in {".json", ".md", ".csv", ".txt", ".html"}:
            texts.append(path.read_text(errors="ignore"))
        elif path.suffix == ".pkl":
            saved = pickle.loads(path.read_bytes())  # the embedder (an object) or the click model (a dict)
            texts.append(str(vars(saved) if hasattr(saved, "__dict__") else saved))
    return texts


def test_planted_personal_data_reaches_no_later_dataset_report_or_log(planted_run):
    project, planted, log = planted_run
    everything = "\n".join([*_texts_after_scrub(project), log])
    leaks = sorted({s for resume in planted for s in resume["strings"] if s in everything})
    assert not leaks, f"{len(leaks)} planted strings leaked, e.g. {leaks[:5]}"


def test_no_planted_name_survives_into_its_resume_tokens(planted_run):
    project, planted, _ = planted_run
    tokens = pd.read_parquet(project / "data/02_intermediate/document_tokens.parquet")
    tokens = tokens[tokens[C.DOC_TYPE] == "resume"].set_index(C.DOC_ID)[C.TOKENS]
    leaked = {
        resume["resume_id"]: sorted({w.lower() for w in resume["names"]} & set(tokens[resume["resume_id"]]))
        for resume in planted
    }
    leaked = {rid: words for rid, words in leaked.items() if words}
    assert not leaked, f"{len(leaked)} of {len(planted)} resumes keep name words, e.g. {list(leaked.items())[:5]}"


def test_edge_case_resumes_are_embedded(planted_run):
    project, _, _ = planted_run
    resumes = pd.read_parquet(project / "data/01_raw/resumes.parquet")
    embeddings = pd.read_parquet(project / "data/04_feature/resume_embeddings.parquet").set_index(C.RESUME_ID)
    empty, huge, odd = resumes[C.RESUME_ID].iloc[:3]
    assert bool(embeddings.loc[empty, C.IS_ZERO_VECTOR])
    assert not embeddings.loc[huge, C.IS_ZERO_VECTOR] and not embeddings.loc[odd, C.IS_ZERO_VECTOR]
    quality = json.loads((project / "data/08_reporting/data_quality.json").read_text())
    assert quality["tables"]["resumes"]["rows_in"] == len(resumes) == quality["tables"]["resumes"]["rows_used"]
