"""Text rules of job_reco: personal-data scrub, tokenizer, word weights and document vectors.

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

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOKEN_RULES_VERSION = "2"

# --- personal-data scrub -------------------------------------------------------------------------
# Java (Spark regexp_replace) and Python `re` read these patterns the same way: explicit ASCII
# classes instead of \w, \d, \s, \b (whose Unicode meaning differs between the two), fixed-length
# look-behinds, scoped (?i:...) groups. The leading look-arounds only spare the engine hopeless
# start positions (Python's re has no literal prefilter, and Java tries each branch of an alternation
# at every position: a one-character look-ahead before the given names and the postal boxes halved
# their cost in Spark, issue #12); they change no match.

EMAIL_PATTERN = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

URL_PATTERN = r"(?=[HhFfWw])(?i:(?:https?|ftp)://|www\.)[^ \t\r\n<>\"'()\[\]]+"

_TOP_LEVEL_DOMAINS = "com|org|net|edu|gov|io|co|us|info|biz|me|ly|dev|ai|uk|ca|de"
DOMAIN_PATTERN = (
    r"(?<![A-Za-z0-9@._-])[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*"
    rf"\.(?:{_TOP_LEVEL_DOMAINS})(?:/[^ \t\r\n<>\"']*)?(?![A-Za-z0-9])"
)

# North American numbers in the usual layouts (555-123-4567, (555) 123-4567, 555.123.4567,
# 5551234567, +1-555-123-4567, 001-555-123-4567, with an extension x123 / ext. 123), international
# numbers written with a leading + (+44 20 7946 0958), and 7-digit local numbers (555-1234).
PHONE_PATTERN = (
    r"(?=[0-9+(])(?:(?<![A-Za-z0-9+])(?:(?:\+|00)?1[-. ]?|001[-. ]?)?(?:\([0-9]{3}\)[-. ]?|[0-9]{3}[-. ]?)"
    r"[0-9]{3}[-. ]?[0-9]{4}(?:[ ]?(?i:x|ext\.?|extension)[ ]?[0-9]{1,6})?(?![0-9])"
    r"|(?<![A-Za-z0-9])\+[0-9]{1,3}(?:[-. ]?\(?[0-9]{1,4}\)?){2,6}(?![0-9])"
    r"|(?<![A-Za-z0-9.-])[0-9]{3}[-.][0-9]{4}(?![0-9]))"
)

_CITY_STATE_ZIP = (
    r"(?<![A-Za-z])[A-Z][A-Za-z.'-]*(?:[ ][A-Z][A-Za-z.'-]*){0,3},?[ ]+[A-Z]{2}[ ]+[0-9]{5}(?:-[0-9]{4})?(?![0-9])"
)
# "City, ST 12345" (US state abbreviation and ZIP code), alone or after a street line.
CITY_STATE_ZIP_PATTERN = _CITY_STATE_ZIP
# A street line of any form followed by its city line: "123 Any Words Apt. 4, City, ST 12345".
FULL_ADDRESS_PATTERN = (
    r"(?<![A-Za-z0-9])[0-9]{1,6}[A-Za-z]?(?:,?[ ]+[A-Za-z0-9.'#-]+){1,8}?[ ]*(?:,[ ]*|\r?\n[ ]*)"
    + _CITY_STATE_ZIP
)
_STREET_SUFFIXES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Ter"
    "|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Plaza|Plz|Alley|Row|Crescent|Close"
    "|Loop|Pike|Turnpike|Expressway|Freeway|Causeway|Crossing|Xing|Heights|Hts|Junction|Jct|Ridge"
    "|Manor|Mews|Path|Route|Rte|Walk|Run|Bypass|Grove|Gardens|Estates|Landing|Meadows|Hollow"
    "|Ranch|Shores|Springs|Summit|Stravenue|Throughway|Trace|Track|Trafficway|Underpass|Viaduct"
)
# A street line on its own: number, capitalised name words, a common street suffix, an optional
# apartment/suite ("456 W. 42nd St. Suite 100").
STREET_PATTERN = (
    r"(?<![A-Za-z0-9])[0-9]{1,6}[A-Za-z]?"
    r"(?:[ ]+(?:[NSEW]\.?|[A-Z][A-Za-z'.-]*|[0-9]{1,3}(?:st|nd|rd|th))){1,4}"
    rf"[ ]+(?i:{_STREET_SUFFIXES})\.?(?![A-Za-z])"
    r"(?:,?[ ]+(?i:apt|apartment|suite|ste|unit|room|rm|floor|fl)\.?[ ]*#?[0-9A-Za-z-]{1,6})?"
)
# US military and post-office-box addresses.
POSTAL_BOX_PATTERN = (
    r"(?=[ADFPUp])(?:(?:PSC|Unit)[ ][0-9]{4},?[ ]Box[ ][0-9]{4}"
    r"|(?:APO|FPO|DPO)[ ](?:AE|AA|AP)[ ][0-9]{5}"
    r"|(?:USS|USNS|USNV|USCGC)[ ][A-Z][A-Za-z'-]+"
    r"|(?i:p\.?[ ]?o\.?[ ]+box)[ ]+[0-9]+)"
)

# --- names (resumes only) -------------------------------------------------------------------------
# A resume's first line when it is only two to four capitalised words: the person's name.
NAME_HEADER_PATTERN = r"\A[ \t\r\n]*[A-Z][A-Za-z'.-]+(?:[ ]+[A-Z][A-Za-z'.-]+){1,3}[ \t]*(?=\r?\n)"
# When its first word is a known given name, the words of that header (two letters or more) are
# the person's own name: each is removed wherever it appears in the same resume, in any case
# ("JANE DOE" in a signature).
NAME_WORD_SEPARATOR = r"[^A-Za-z'-]+"
OWN_NAME_PREFIX = r"(?<![A-Za-z])(?i:"
OWN_NAME_SUFFIX = r")(?![A-Za-z])"
# Given names of Faker's person providers (many locales; ASCII spellings): a capitalised given
# name followed by one or two capitalised words or initials is a person's name anywhere in a
# resume ("references: Maria Gonzalez", "John F. Kennedy"). A given name that is also an English
# word ("Grant Writer") is removed too: privacy before recall.
GIVEN_NAME_LOCALES = (
    "en_US", "en_GB", "en_IN", "en_NG", "es_ES", "es_MX", "fr_FR", "de_DE", "it_IT", "pt_BR",
    "pl_PL", "nl_NL", "tr_TR", "sw", "yo_NG", "zh_CN", "ja_JP", "vi_VN",
)


def given_names(locales: Sequence[str] = GIVEN_NAME_LOCALES) -> tuple[str, ...]:
    """Sorted distinct given names ("Maria") of Faker's person providers, ASCII spellings only."""
    import importlib

    names: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female", "first_romanized_names"):
            names.update(getattr(provider, attribute, ()) or ())
    return tuple(sorted(n for n in names if re.fullmatch(r"[A-Z][a-z'-]+", n)))


def words_pattern(words: Iterable[str]) -> str:
    """A regular expression matching exactly `words`, as a character trie (fast in Java and Python)."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if "" in node else "")

    return build(trie)


GIVEN_NAMES_PATTERN = words_pattern(given_names())
PERSON_NAME_PATTERN = (
    rf"(?=[A-Z])(?<![A-Za-z])(?:{GIVEN_NAMES_PATTERN})(?:[ ]+(?:[A-Z]\.|[A-Z][A-Za-z'-]+)){{1,2}}(?![A-Za-z])"
)
# A header whose first word is a given name: only then are its words removed everywhere (a first
# line "Registered Nurse" is removed as a possible name, but "nurse" stays in the rest).
OWN_NAME_HEADER_PATTERN = rf"\A[ \t\r\n]*(?:{GIVEN_NAMES_PATTERN})[ ]"
# A title and a surname: "Dr. Okafor", "Ms Lee".
TITLED_NAME_PATTERN = r"(?=[MDP])(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?[ ]+[A-Z][A-Za-z'-]+(?:[ ]+[A-Z][A-Za-z'-]+)?"
NAME_PATTERNS: tuple[tuple[str, str], ...] = (("person_name", PERSON_NAME_PATTERN), ("titled_name", TITLED_NAME_PATTERN))

# Applied in this order (e-mails before URLs and domains; phones and postal boxes before the
# street patterns, so an address pattern never starts inside a phone number or a box number).
SCRUB_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email", EMAIL_PATTERN),
    ("url", URL_PATTERN),
    ("domain", DOMAIN_PATTERN),
    ("phone", PHONE_PATTERN),
    ("postal_box", POSTAL_BOX_PATTERN),
    ("full_address", FULL_ADDRESS_PATTERN),
    ("street", STREET_PATTERN),
    ("city_state_zip", CITY_STATE_ZIP_PATTERN),
)
SCRUB_REPLACEMENT = " "
_NAME_HEADER = re.compile(NAME_HEADER_PATTERN)
_SCRUB_REGEXES = tuple(re.compile(pattern) for _, pattern in SCRUB_PATTERNS)
_NAME_REGEXES = tuple(re.compile(pattern) for _, pattern in NAME_PATTERNS)
_OWN_NAME_HEADER = re.compile(OWN_NAME_HEADER_PATTERN)


def own_name_pattern(text: str) -> str | None:
    """The pattern of the words of a resume's name header (see NAME_HEADER_PATTERN), else None."""
    header = _NAME_HEADER.search(text)
    if header is None or not _OWN_NAME_HEADER.search(header.group(0)):
        return None
    words = [w for w in re.split(NAME_WORD_SEPARATOR, header.group(0)) if len(w) >= 2]
    return OWN_NAME_PREFIX + "|".join(words) + OWN_NAME_SUFFIX if words else None


def scrub_personal_data(text: str | None, *, name_header: bool = True) -> str:
    """Replace e-mail addresses, URLs, phone numbers, street addresses and (with `name_header`,
    for resumes) names by a space.

    Names: a first line that is a name, its words anywhere in the resume, a known given name
    followed by capitalised words, a title and a surname. None gives "" (a missing text is an
    empty document, not an error).
    """
    if text is None:
        return ""
    own_name = own_name_pattern(text) if name_header else None
    if name_header:
        text = _NAME_HEADER.sub(SCRUB_REPLACEMENT, text)
    for regex in _SCRUB_REGEXES:
        text = regex.sub(SCRUB_REPLACEMENT, text)
    if name_header:
        for regex in _NAME_REGEXES:
            text = regex.sub(SCRUB_REPLACEMENT, text)
    # Last: removing the owner's "Jones" first would leave a reference "Elizabeth Jones" as a
    # lone given name, which the rule above no longer sees.
    if own_name:
        text = re.sub(own_name, SCRUB_REPLACEMENT, text)
    return text


# --- tokenizer -----------------------------------------------------------------------------------

ACCENTED_LETTERS = "àáâãäåāăąçćčďèéêëēėęěìíîïīįñńňòóôõöøōőùúûüūůűųýÿžźżšśşťłđ"
UNACCENTED_LETTERS = "aaaaaaaaacccdeeeeeeeeiiiiiinnnoooooooouuuuuuuuyyzzzssstld"
MARKUP_PATTERN = r"<[a-z/!?][^<>]{0,500}>"
ENTITY_PATTERN = r"&(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);"
NON_LETTER_PATTERN = r"[^a-z]+"
MIN_TOKEN_LENGTH = 2

# Spark ML's `StopWordsRemover.loadDefaultStopWords("english")`, copied so the rules hold without
# Spark (a test checks the two lists are equal).
STOP_WORDS: tuple[str, ...] = tuple(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now i'll you'll he'll she'll we'll
    they'll i'd you'd he'd she'd we'd they'd i'm you're he's she's it's we're they're i've we've
    you've they've isn't aren't wasn't weren't haven't hasn't hadn't don't doesn't didn't won't
    wouldn't shan't shouldn't mustn't can't couldn't cannot could here's how's let's ought that's
    there's what's when's where's who's why's would""".split()
)
_STOP_WORD_SET = frozenset(STOP_WORDS)
_ACCENT_TABLE = str.maketrans(ACCENTED_LETTERS, UNACCENTED_LETTERS)
_MARKUP = re.compile(MARKUP_PATTERN)
_ENTITY = re.compile(ENTITY_PATTERN)
_NON_LETTER = re.compile(NON_LETTER_PATTERN)
_TOKEN = re.compile(f"[a-z]{{{MIN_TOKEN_LENGTH},}}")


def normalise_text(text: str | None) -> str:
    """Steps 2-4 of the token rules: lower-case, fold accents, drop markup, keep a-z runs."""
    if text is None:
        return ""
    text = text.lower().translate(_ACCENT_TABLE)
    text = _ENTITY.sub(" ", _MARKUP.sub(" ", text))
    return _NON_LETTER.sub(" ", text).strip()


def tokenize(text: str | None) -> list[str]:
    """Tokens of an already scrubbed text: steps 2-5 of the token rules."""
    return [
        token
        for token in normalise_text(text).split(" ")
        if len(token) >= MIN_TOKEN_LENGTH and token not in _STOP_WORD_SET
    ]


def prepare_text(text: str | None) -> list[str]:
    """Scrub, then tokenize: what the embeddings pipeline does to a resume."""
    return tokenize(scrub_personal_data(text))


def job_text(title: str | None, description: str | None) -> str:
    """A job's document: its title, then its description."""
    return f"{title or ''}. {description or ''}"


def prepare_job(title: str | None, description: str | None) -> list[str]:
    """A job's tokens, as the embeddings pipeline makes them (no name-header rule for ads)."""
    return tokenize(scrub_personal_data(job_text(title, description), name_header=False))


# --- word weights --------------------------------------------------------------------------------

METHODS = ("sif", "mean", "tfidf")


def compute_word_weights(
    method: str,
    occurrences: np.ndarray,
    documents: np.ndarray,
    *,
    n_tokens: int,
    n_documents: int,
    a: float = 1e-3,
) -> np.ndarray:
    """Weight of each word in a document vector, from corpus counts.

    - `mean`: 1.
    - `sif` (smooth inverse frequency, Arora et al. 2017): a / (a + p(w)), p(w) = occurrences of w
      / all tokens of the corpus. A word the corpus never saw has p(w) = 0, weight 1.
    - `tfidf`: idf(w) = ln((1 + N) / (1 + df(w))) + 1 (N documents, df(w) documents holding w;
      scikit-learn's smooth idf); the term frequency enters through the average.

    Returns float64 weights, one per word, in the order of `occurrences`.
    """
    occurrences = np.asarray(occurrences, dtype=np.float64)
    documents = np.asarray(documents, dtype=np.float64)
    if method == "mean":
        return np.ones_like(occurrences)
    if method == "sif":
        if a <= 0:
            raise ValueError(f"embeddings.sif_a must be > 0, got {a}")
        probability = occurrences / n_tokens if n_tokens > 0 else np.zeros_like(occurrences)
        return a / (a + probability)
    if method == "tfidf":
        return np.log((1.0 + n_documents) / (1.0 + documents)) + 1.0
    raise ValueError(f"embeddings.method must be one of {list(METHODS)}, got {method!r}")


# --- document vectors ----------------------------------------------------------------------------


@dataclass(eq=False)
class DocumentEmbedder:
    """Everything needed to embed a new document without Spark (pickled as `document_embedder`).

    The document vector of tokens t_1..t_n is  sum_i w(t_i) v(t_i) / n_known  over the tokens
    found in `words` (n_known of them; others are out of vocabulary and skipped), minus its
    projection on `component` when one was removed. A document with no known token is the zero
    vector. `mean` is the plain average; `sif` is Arora et al.'s SIF embedding; `tfidf` is the
    tf-idf weighted sum divided by the document's length.

    `words[:n_corpus_words]` are the corpus words that have a vector; the rest are the most
    frequent other words of the vector source (weights as for an unseen word), so a new resume's
    words outside the corpus still count.
    """

    method: str
    words: list[str]
    vectors: np.ndarray  # (len(words), dimension) float32
    weights: np.ndarray  # (len(words),) float32
    n_corpus_words: int
    a: float | None = None
    component: np.ndarray | None = None  # (dimension,) unit vector, or None
    vectors_source: dict[str, Any] = field(default_factory=dict)
    token_rules_version: str = TOKEN_RULES_VERSION

    @property
    def dimension(self) -> int:
        """Length of the document vectors."""
        return int(self.vectors.shape[1])

    def with_component(self, component: np.ndarray | None) -> DocumentEmbedder:
        """A copy that removes `component` (a unit vector) from every document vector."""
        return DocumentEmbedder(
            method=self.method,
            words=self.words,
            vectors=self.vectors,
            weights=self.weights,
            n_corpus_words=self.n_corpus_words,
            a=self.a,
            component=None if component is None else np.asarray(component, dtype=np.float32),
            vectors_source=self.vectors_source,
            token_rules_version=self.token_rules_version,
        )


TOKEN_SEPARATOR = " "  # tokens are runs of a-z (`tokenize`), so one space joins and splits them losslessly


def _as_list_array(token_lists: Any):
    """A pyarrow list<string> array from Arrow data (lists, or strings of space-joined tokens) or Python lists."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(token_lists, pa.ChunkedArray):
        token_lists = token_lists.combine_chunks()
    if isinstance(token_lists, (pa.ListArray, pa.LargeListArray)):
        return token_lists
    if isinstance(token_lists, (pa.StringArray, pa.LargeStringArray)):
        # "" (a document without tokens) splits into [""], a word no vocabulary holds: a zero vector.
        return pc.split_pattern(token_lists, TOKEN_SEPARATOR)
    return pa.array([list(tokens) if tokens is not None else None for tokens in token_lists],
                    type=pa.list_(pa.string()))


def embed_token_lists(
    token_lists: Any, embedder: DocumentEmbedder, *, remove_component: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Document vectors of many token lists at once: (float32 (n, d) matrix, bool zero flags).

    `token_lists` is a pyarrow list<string> array, a pyarrow string array of space-joined tokens
    (what the Spark path hands over: see `embeddings.nodes.joined_tokens`) or a sequence of token
    lists. Vectorised: one hash look-up of all tokens in pyarrow, one sparse (documents x words) count matrix times the weighted word vectors; no Python call per word.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from scipy import sparse

    lists = _as_list_array(token_lists)
    n_docs = len(lists)
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    flat = lists.flatten()
    vocabulary = pa.array(embedder.words, type=flat.type)
    index = pc.fill_null(pc.index_in(flat, value_set=vocabulary), -1).to_numpy(zero_copy_only=False)
    document = np.repeat(np.arange(n_docs), lengths.astype(np.int64))
    known = index >= 0
    counts = np.bincount(document[known], minlength=n_docs)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    occurrence = sparse.csr_array(
        (np.ones(int(known.sum()), dtype=np.float32), index[known], indptr),
        shape=(n_docs, len(embedder.words)),
    )
    weighted = embedder.vectors * embedder.weights[:, None].astype(np.float32)
    sums = np.asarray(occurrence @ weighted, dtype=np.float64)
    is_zero = counts == 0
    vectors = sums / np.maximum(counts, 1)[:, None]
    if remove_component and embedder.component is not None:
        component = embedder.component.astype(np.float64)
        vectors -= np.outer(vectors @ component, component)
    vectors[is_zero] = 0.0
    return vectors.astype(np.float32), is_zero


def embed_texts(
    texts: Iterable[str | None], embedder: DocumentEmbedder, *, scrubbed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Embed new raw texts (e.g. a new resume) exactly as the pipeline embeds its documents.

    `scrubbed`: the texts are pieces of an already scrubbed text (a resume's experience sections):
    tokenized only, as the pipeline tokenizes a scrubbed document. Scrubbing a piece again would
    apply the rules anchored at a text's start (a first line that is a name) to a job heading.
    """
    if embedder.token_rules_version != TOKEN_RULES_VERSION:
        raise ValueError(
            f"document_embedder was built with token rules version {embedder.token_rules_version!r}; "
            f"this code applies version {TOKEN_RULES_VERSION!r}: rerun the embeddings pipeline"
        )
    return embed_token_lists([tokenize(text) if scrubbed else prepare_text(text) for text in texts], embedder)


def first_principal_component(gram: np.ndarray) -> np.ndarray | None:
    """Unit eigenvector of the largest eigenvalue of X^T X (X's first right singular vector).

    The sign is fixed (largest-magnitude coordinate positive) so the result is deterministic.
    None when the matrix is all zeros (no document had a known word).
    """
    gram = np.asarray(gram, dtype=np.float64)
    if not np.any(gram):
        return None
    _, eigenvectors = np.linalg.eigh((gram + gram.T) / 2.0)
    component = eigenvectors[:, -1]
    if component[np.argmax(np.abs(component))] < 0:
        component = -component
    return component


def gram_matrix(vectors: np.ndarray) -> np.ndarray:
    """X^T X of document vectors, in float64 (summed over batches to fit the component)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors.T @ vectors


def select_vocabulary(
    corpus_words: Sequence[str],
    source_words: Sequence[str],
    *,
    extra_words: int,
    source_lookup: Container[str] | None = None,
) -> tuple[list[str], int]:
    """Words the embedder keeps: corpus words with a vector (in corpus order), then up to
    `extra_words` of the source's other words that the tokenizer can produce (a-z, long enough,
    not stop words), in the source's order (most frequent first for GloVe and word2vec files).
    Returns (words, number of corpus words among them).

    `source_lookup` (e.g. KeyedVectors.key_to_index) answers `word in source` quickly.
    """
    lookup = source_lookup if source_lookup is not None else set(source_words)
    kept = [word for word in corpus_words if word in lookup]
    kept_set = set(kept)
    extra: list[str] = []
    if extra_words > 0:
        for word in source_words:
            if len(extra) >= extra_words:
                break
            if word not in kept_set and _TOKEN.fullmatch(word) and word not in _STOP_WORD_SET:
                extra.append(word)
    return kept + extra, len(kept)
