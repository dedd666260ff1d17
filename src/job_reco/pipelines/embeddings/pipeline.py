"""The embeddings pipeline: valid_resumes, valid_jobs -> document tokens and document vectors."""

from kedro.pipeline import Pipeline, node

from job_reco.pipelines.embeddings.nodes import (
    build_document_embedder,
    count_corpus_tokens,
    embed_documents,
    fit_common_component,
    load_word_vectors,
    report_embeddings,
    scrub_resumes,
    tokenize_documents,
)
from job_reco.pipelines.embeddings.sections import embed_resume_sections

E = "params:embeddings."


def create_pipeline(**kwargs) -> Pipeline:
    """Scrub, tokenize, count, weigh, embed, report."""
    return Pipeline([
        node(scrub_resumes, "valid_resumes", "scrubbed_resumes", name="scrub_resumes"),
        node(tokenize_documents, ["scrubbed_resumes", "valid_jobs"], "document_tokens", name="tokenize_documents"),
        node(count_corpus_tokens, "document_tokens", "corpus_statistics", name="count_corpus_tokens"),
        node(load_word_vectors,
             ["word_vectors", "document_tokens", E + "vectors_path", E + "vectors_binary", E + "word2vec", E + "seed"],
             ["keyed_word_vectors", "word_vectors_source"], name="load_word_vectors"),
        node(build_document_embedder,
             ["keyed_word_vectors", "word_vectors_source", "corpus_statistics", E + "method", E + "sif_a",
              E + "embedder_extra_words"],
             "base_document_embedder", name="build_document_embedder"),
        node(fit_common_component, ["document_tokens", "base_document_embedder", E + "remove_first_component"],
             "document_embedder", name="fit_common_component"),
        node(embed_documents, ["document_tokens", "document_embedder"], ["resume_embeddings", "job_embeddings"],
             name="embed_documents"),
        node(embed_resume_sections, ["scrubbed_resumes", "document_embedder", E + "max_sections"],
             "resume_section_embeddings", name="embed_resume_sections"),
        node(report_embeddings, ["corpus_statistics", "document_embedder", "resume_embeddings", "job_embeddings"],
             "embedding_report", name="report_embeddings"),
    ], namespace="embeddings", prefix_datasets_with_namespace=False)
