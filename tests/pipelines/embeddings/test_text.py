"""job_reco.text: scrub, tokenizer, word weights and document vectors, on hand-worked cases (no Spark)."""

from __future__ import annotations

import math
import pickle
import pickletools
import re

import numpy as np
import pytest

from job_reco import text

# (input, expected output): every match becomes one space.
SCRUB_CASES = [
    # e-mail addresses
    ("Mail jane.doe@example.com now", "Mail   now"),
    ("a.b+tag@mail.co.uk", " "),
    ("JOHN_SMITH12@Yahoo.COM, thanks", " , thanks"),
    # phones, several layouts
    ("call (555) 123-4567 today", "call   today"),
    ("call 555-123-4567 today", "call   today"),
    ("call 555.123.4567 today", "call   today"),
    ("call 5551234567 today", "call   today"),
    ("call +1-555-123-4567x1234 today", "call   today"),
    ("call 001-555-123-4567x55 today", "call   today"),
    ("call (555)123-4567x123 today", "call   today"),
    ("call +1 555 201 0042 today", "call   today"),
    ("call 1-800-555-0199 today", "call   today"),
    ("call 555-123-4567 ext. 12 today", "call   today"),
    ("call +44 20 7946 0958 today", "call   today"),
    ("call 555-1234 today", "call   today"),
    # URLs and bare domains
    ("see https://www.linkedin.com/in/jane-doe.", "see  "),
    ("visit www.janedoe.dev today", "visit   today"),
    ("portfolio: janedoe.github.io/projects", "portfolio:  "),
    # street addresses
    ("1234 Smith Mission, Houston, TX 77001\nnext", " \nnext"),
    ("123 Main Street, Apt. 4B\nSpringfield, IL 62704-1234", " "),
    ("lives at 456 W. 42nd St. Suite 100 now", "lives at   now"),
    ("lives at 77 Oak Ave now", "lives at   now"),
    ("Springfield, IL 62704", " "),
    ("PSC 1234, Box 5678\nAPO AE 12345", " \n "),
    ("USNS Smith\nFPO AP 12345", " \n "),
    ("P.O. Box 77, end", " , end"),
    # names anywhere in a resume: a given name and a surname or initial, a title and a surname
    ("references: Maria Gonzalez, RN", "references:  , RN"),
    ("worked with John F. Kennedy daily", "worked with   daily"),
    ("ask Dr. Okafor or Ms Lee", "ask   or  "),
    # the header's words anywhere in the same resume, in any case
    ("Priya Raghunathan\nNurse\nSigned: PRIYA raghunathan.", " \nNurse\nSigned:    ."),
    # a reference who shares the owner's surname goes as a whole
    ("Robyn Jones\nNurse\nReferences: Elizabeth Jones.", " \nNurse\nReferences:  ."),
]

# Text that must come through unchanged: years, salaries, versions, codes, ordinary words.
NOT_PERSONAL = [
    "Managed 12 staff from 2015 - 2019, salary $45,000-$55,000, 40 hours/week.",
    "Python 3.11, C++ and 5+ years; O*NET 29-1141.00; e.g. Node.js and ASP.NET.",
    "Worked at Mercy Medical Center in 2019-2021 (night shift).",
]


@pytest.mark.parametrize(("raw", "expected"), SCRUB_CASES)
def test_scrub_removes_personal_data(raw, expected):
    assert text.scrub_personal_data(raw) == expected


@pytest.mark.parametrize("raw", NOT_PERSONAL)
def test_scrub_keeps_ordinary_text(raw):
    assert text.scrub_personal_data(raw) == raw


def test_scrub_names_anywhere_and_only_for_resumes():
    raw = "Jane Q. Doe\nRegistered Nurse at Mercy\nJane Doe wrote this. Doe, J."
    assert text.scrub_personal_data(raw) == " \nRegistered Nurse at Mercy\n  wrote this.  , J."
    assert text.scrub_personal_data(raw, name_header=False) == raw
    # One line with no line break after it is not a header.
    assert text.scrub_personal_data("Registered Nurse") == "Registered Nurse"


def test_a_header_that_is_no_given_name_is_removed_but_its_words_stay_elsewhere():
    assert text.scrub_personal_data("Registered Nurse\nnurse at Mercy") == " \nnurse at Mercy"


def test_words_pattern_matches_exactly_its_words():
    pattern = re.compile(rf"(?:{text.words_pattern(['Ann', 'Anna', 'Bo', 'Anne-Marie'])})")
    for word in ("Ann", "Anna", "Bo", "Anne-Marie"):
        assert pattern.fullmatch(word), word
    for word in ("An", "Annb", "B", "Anne", "bo"):
        assert not pattern.fullmatch(word), word


def test_given_names_come_from_several_locales():
    names = set(text.given_names())
    assert {"Maria", "John", "Priya", "Carlos", "Wei"} <= names
    assert len(names) > 3000


def test_scrub_none_is_empty():
    assert text.scrub_personal_data(None) == ""


def _faker_resumes(n: int, seed: int) -> list[tuple[str, list[str]]]:
    """Resumes with Faker's en_US personal data; each with the personal strings it holds."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    resumes = []
    for _ in range(n):
        email, phone, address = fake.email(), fake.phone_number(), fake.address()
        url = fake.url()
        body = (f"{fake.first_name()} {fake.last_name()}\n{address}\n{email} | {phone}\n{url}\n\n"
                "SUMMARY\nRegistered nurse with years of experience in patient care.")
        resumes.append((body, [email, phone, url, *address.split("\n")]))
    return resumes


def test_scrub_removes_faker_personal_data():
    for body, personal in _faker_resumes(300, seed=7):
        scrubbed = text.scrub_personal_data(body)
        assert "@" not in scrubbed
        assert re.search(r"[0-9]{3}", scrubbed) is None, scrubbed
        for value in personal:
            assert value not in scrubbed
        assert scrubbed.endswith("Registered nurse with years of experience in patient care.")


def test_tokenize_hand_case():
    raw = "<p>The Registered&nbsp;Nurse's duties: caring for 12 patients/day &amp; résumé-writing! I'm a RN.</p>"
    # lower + accents: résumé -> resume; <p>, </p>, &nbsp;, &amp; -> spaces; non-letters split;
    # "the", "for" are stop words; "s", "i", "m", "a" are shorter than 2 letters.
    assert text.tokenize(raw) == ["registered", "nurse", "duties", "caring", "patients", "day", "resume", "writing", "rn"]


def test_tokenize_markup_attributes_and_numbers():
    assert text.tokenize('<a href="x.html">Forklift</a> 3rd-shift 24/7 OSHA-10 <br/>') == ["forklift", "rd", "shift", "osha"]


def test_tokenize_keeps_comparison_signs_text():
    # "<" followed by a space is not a tag: the words between survive.
    assert text.tokenize("pay < 50k and > 30k") == ["pay"]


def test_tokenize_empty_and_none():
    assert text.tokenize("") == []
    assert text.tokenize(None) == []
    assert text.tokenize("!!! 123 ...") == []


def test_prepare_text_scrubs_before_tokenizing():
    raw = "Jane Doe\njane.doe@example.com (555) 123-4567 www.janedoe.dev\nNurse, 77 Oak Ave"
    assert text.prepare_text(raw) == ["nurse"]


def test_prepare_job_joins_title_and_description():
    assert text.prepare_job("Night Nurse", "Care for patients. Apply: jobs@acme.com") == [
        "night", "nurse", "care", "patients", "apply"]


# --- weights and vectors, by hand -------------------------------------------------------------------
# Corpus: word "a" 3 occurrences in 2 documents, word "b" 1 occurrence in 1 document; 4 tokens, 2 docs.
OCCURRENCES = np.array([3, 1])
DOCUMENTS = np.array([2, 1])


def test_weights_mean():
    assert text.compute_word_weights("mean", OCCURRENCES, DOCUMENTS, n_tokens=4, n_documents=2).tolist() == [1, 1]


def test_weights_sif():
    # p(a) = 3/4, p(b) = 1/4; a = 0.25: 0.25 / (0.25 + 0.75) = 0.25, 0.25 / (0.25 + 0.25) = 0.5
    weights = text.compute_word_weights("sif", OCCURRENCES, DOCUMENTS, n_tokens=4, n_documents=2, a=0.25)
    assert weights == pytest.approx([0.25, 0.5])


def test_weights_tfidf():
    # idf = ln((1 + 2) / (1 + df)) + 1: a -> ln(1) + 1 = 1, b -> ln(1.5) + 1
    weights = text.compute_word_weights("tfidf", OCCURRENCES, DOCUMENTS, n_tokens=4, n_documents=2)
    assert weights == pytest.approx([1.0, math.log(1.5) + 1.0])


def test_weights_unknown_method_named():
    with pytest.raises(ValueError, match="embeddings.method"):
        text.compute_word_weights("bm25", OCCURRENCES, DOCUMENTS, n_tokens=4, n_documents=2)


def _embedder(method: str, weights, component=None) -> text.DocumentEmbedder:
    # v(a) = (1, 0), v(b) = (0, 2)
    return text.DocumentEmbedder(
        method=method, words=["a", "b"], vectors=np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32),
        weights=np.asarray(weights, dtype=np.float32), n_corpus_words=2, component=component,
    )


@pytest.mark.parametrize(
    ("method", "weights", "expected"),
    [
        # document [a, b, zzz]: zzz is out of vocabulary; 2 known tokens
        ("mean", [1.0, 1.0], [0.5, 1.0]),  # ((1,0) + (0,2)) / 2
        ("sif", [0.25, 0.5], [0.125, 0.5]),  # (0.25 (1,0) + 0.5 (0,2)) / 2
        ("tfidf", [1.0, math.log(1.5) + 1.0], [0.5, math.log(1.5) + 1.0]),  # (1 (1,0) + 1.405 (0,2)) / 2
    ],
)
def test_document_vector_by_hand(method, weights, expected):
    vectors, is_zero = text.embed_token_lists([["a", "b", "zzz"]], _embedder(method, weights))
    assert vectors.dtype == np.float32
    assert vectors[0] == pytest.approx(expected, rel=1e-6)
    assert is_zero.tolist() == [False]


def test_repeated_word_counts_each_time():
    # [a, a, b]: mean = ((1,0) + (1,0) + (0,2)) / 3
    vectors, _ = text.embed_token_lists([["a", "a", "b"]], _embedder("mean", [1.0, 1.0]))
    assert vectors[0] == pytest.approx([2 / 3, 2 / 3])


def test_component_removed():
    # sif vector (0.125, 0.5) minus its projection on u = (0, 1) -> (0.125, 0)
    embedder = _embedder("sif", [0.25, 0.5], component=np.array([0.0, 1.0]))
    vectors, _ = text.embed_token_lists([["a", "b"]], embedder)
    assert vectors[0] == pytest.approx([0.125, 0.0])


def test_documents_without_known_words_are_zero_and_flagged():
    vectors, is_zero = text.embed_token_lists([[], ["zzz", "yyy"], None, ["b"]], _embedder("mean", [1.0, 1.0]))
    assert vectors.shape == (4, 2)
    assert is_zero.tolist() == [True, True, True, False]
    assert not vectors[:3].any()
    assert vectors[3] == pytest.approx([0.0, 2.0])


def test_space_joined_tokens_embed_like_their_lists():
    # What the Spark path hands over (embeddings.nodes.joined_tokens): "" is an empty list, null stays null
    import pyarrow as pa

    joined = pa.array(["a a b", "", "zzz yyy", None, "b"])
    vectors, is_zero = text.embed_token_lists(joined, _embedder("mean", [1.0, 1.0]))
    assert is_zero.tolist() == [False, True, True, True, False]
    assert vectors[0] == pytest.approx([2 / 3, 2 / 3])  # the same as [a, a, b]
    assert not vectors[1:4].any()
    assert vectors[4] == pytest.approx([0.0, 2.0])


def test_first_principal_component_by_hand():
    # X = [[3, 0], [0, 1]]: X^T X = diag(9, 1) -> u = (1, 0)
    x = np.array([[3.0, 0.0], [0.0, 1.0]])
    assert text.first_principal_component(text.gram_matrix(x)) == pytest.approx([1.0, 0.0])
    # X = [[-1, -1], [-2, -2]]: u = (1, 1)/sqrt(2), sign fixed positive
    x = np.array([[-1.0, -1.0], [-2.0, -2.0]])
    assert text.first_principal_component(text.gram_matrix(x)) == pytest.approx([2**-0.5, 2**-0.5])
    assert text.first_principal_component(np.zeros((2, 2))) is None


def test_select_vocabulary_corpus_words_then_extra_source_words():
    source = ["the", ",", "care", "of", "nurse", "x", "2020", "Paris", "hospital", "shift", "ward"]
    words, n_corpus = text.select_vocabulary(["nurse", "qqq", "care"], source, extra_words=2)
    # extra words: only what the tokenizer can produce (no stop words, punctuation, digits, capitals,
    # single letters), most frequent first
    assert words == ["nurse", "care", "hospital", "shift"]
    assert n_corpus == 2


def test_embed_texts_refuses_other_token_rules():
    embedder = _embedder("mean", [1.0, 1.0])
    embedder.token_rules_version = "0"
    with pytest.raises(ValueError, match="token rules version"):
        text.embed_texts(["a b"], embedder)


def test_embed_texts_new_resume():
    embedder = text.DocumentEmbedder(
        method="mean", words=["nurse", "care"], vectors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        weights=np.ones(2, dtype=np.float32), n_corpus_words=2,
    )
    vectors, is_zero = text.embed_texts(["Jane Doe\njane@x.com\nNurse; patient CARE.", "555-123-4567"], embedder)
    assert vectors[0] == pytest.approx([0.5, 0.5])
    assert is_zero.tolist() == [False, True]


def test_embed_texts_of_scrubbed_pieces_only_tokenizes():
    embedder = text.DocumentEmbedder(
        method="mean", words=["nurse", "care"], vectors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        weights=np.ones(2, dtype=np.float32), n_corpus_words=2,
    )
    section = "Nurse Care\n2019 - 2021: nurse"  # a first line of capitalised words reads as a name to the scrubber
    assert text.embed_texts([section], embedder)[0][0] == pytest.approx([1.0, 0.0])
    assert text.embed_texts([section], embedder, scrubbed=True)[0][0] == pytest.approx([2 / 3, 1 / 3])


def _pickled_as(embedder: text.DocumentEmbedder, module: str) -> bytes:
    """The embedder pickled (protocol 0, whose class reference is plain text) as if its class lived in `module`."""
    data = pickle.dumps(embedder, protocol=0)
    stored = f"c{type(embedder).__module__}\nDocumentEmbedder\n".encode()
    assert data.count(stored) == 1
    return data.replace(stored, f"c{module}\nDocumentEmbedder\n".encode())


@pytest.mark.parametrize("module", ["job_reco.text", "job_reco.text.embedder"])
def test_a_saved_embedder_loads_under_either_class_path(module):
    # A document_embedder.pkl names the class job_reco.text.DocumentEmbedder or
    # job_reco.text.embedder.DocumentEmbedder: the package re-exports it, so both load.
    embedder = _embedder("sif", [0.5, 0.25], component=np.array([0.6, 0.8], dtype=np.float32))
    data = _pickled_as(embedder, module)
    classes = [arg for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL" and "DocumentEmbedder" in arg]
    assert classes == [f"{module} DocumentEmbedder"]
    loaded = pickle.loads(data)
    assert type(loaded) is type(embedder) and loaded.words == ["a", "b"]
    np.testing.assert_array_equal(text.embed_texts(["a b b"], loaded)[0], text.embed_texts(["a b b"], embedder)[0])
