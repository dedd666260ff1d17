"""Word weights and SIF document vectors: the embedder a run fits and `recommend` reuses for a new resume.

Pure Python / numpy / pyarrow, no Spark: the embeddings pipeline applies the same rules on Spark
(the regular expressions below are written in the subset that Java and Python read alike), and a
later `recommend` step embeds a NEW resume with `embed_texts(texts, embedder)` and gets the vector
the pipeline would have given it.

Token rules (version `TOKEN_RULES_VERSION`):
1. scrub personal data (e-mail addresses, URLs, phone numbers, street addresses, and in resumes
   names: the first line when it is a name and its words anywhere, a known given name followed by
   capitalised words, a title and a surname), each match replaced by one space;
2. lower-case; fold common accented Latin letters to ASCII (`é` -> `e`);
3. drop markup: HTML/XML tags and character entities;
4. every run of characters other than `a`-`z` (punctuation, digits, symbols) separates tokens;
5. drop tokens shorter than `MIN_TOKEN_LENGTH` and Spark ML's default English stop words.
"""

from job_reco.text.embedder import (
    DocumentEmbedder,
    METHODS,
    TOKEN_SEPARATOR,
    compute_word_weights,
    embed_texts,
    embed_token_lists,
    first_principal_component,
    gram_matrix,
    select_vocabulary,
)
from job_reco.text.scrub import (
    CITY_STATE_ZIP_PATTERN,
    DOMAIN_PATTERN,
    EMAIL_PATTERN,
    FULL_ADDRESS_PATTERN,
    GIVEN_NAMES_PATTERN,
    GIVEN_NAME_LOCALES,
    NAME_HEADER_PATTERN,
    NAME_PATTERNS,
    NAME_WORD_SEPARATOR,
    OWN_NAME_HEADER_PATTERN,
    OWN_NAME_PREFIX,
    OWN_NAME_SUFFIX,
    PERSON_NAME_PATTERN,
    PHONE_PATTERN,
    POSTAL_BOX_PATTERN,
    SCRUB_PATTERNS,
    SCRUB_REPLACEMENT,
    STREET_PATTERN,
    TITLED_NAME_PATTERN,
    URL_PATTERN,
    given_names,
    own_name_pattern,
    scrub_personal_data,
    words_pattern,
)
from job_reco.text.tokens import (
    ACCENTED_LETTERS,
    ENTITY_PATTERN,
    MARKUP_PATTERN,
    MIN_TOKEN_LENGTH,
    NON_LETTER_PATTERN,
    STOP_WORDS,
    TOKEN_RULES_VERSION,
    UNACCENTED_LETTERS,
    job_text,
    normalise_text,
    prepare_job,
    prepare_text,
    tokenize,
)

# `job_reco.text` is the rules' one public name: saved embedders (document_embedder.pkl) name their class
# `job_reco.text.DocumentEmbedder` or `job_reco.text.embedder.DocumentEmbedder`, and both load.
__all__ = [
    "ACCENTED_LETTERS",
    "CITY_STATE_ZIP_PATTERN",
    "DOMAIN_PATTERN",
    "DocumentEmbedder",
    "EMAIL_PATTERN",
    "ENTITY_PATTERN",
    "FULL_ADDRESS_PATTERN",
    "GIVEN_NAMES_PATTERN",
    "GIVEN_NAME_LOCALES",
    "MARKUP_PATTERN",
    "METHODS",
    "MIN_TOKEN_LENGTH",
    "NAME_HEADER_PATTERN",
    "NAME_PATTERNS",
    "NAME_WORD_SEPARATOR",
    "NON_LETTER_PATTERN",
    "OWN_NAME_HEADER_PATTERN",
    "OWN_NAME_PREFIX",
    "OWN_NAME_SUFFIX",
    "PERSON_NAME_PATTERN",
    "PHONE_PATTERN",
    "POSTAL_BOX_PATTERN",
    "SCRUB_PATTERNS",
    "SCRUB_REPLACEMENT",
    "STOP_WORDS",
    "STREET_PATTERN",
    "TITLED_NAME_PATTERN",
    "TOKEN_RULES_VERSION",
    "TOKEN_SEPARATOR",
    "UNACCENTED_LETTERS",
    "URL_PATTERN",
    "compute_word_weights",
    "embed_texts",
    "embed_token_lists",
    "first_principal_component",
    "given_names",
    "gram_matrix",
    "job_text",
    "normalise_text",
    "own_name_pattern",
    "prepare_job",
    "prepare_text",
    "scrub_personal_data",
    "select_vocabulary",
    "tokenize",
    "words_pattern",
]
