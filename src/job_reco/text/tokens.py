"""The tokenizer: lower-case, accents folded, markup dropped, runs of a-z, no stop words (rules 2-5 of `job_reco.text`)."""

from __future__ import annotations

import re

from job_reco.text.scrub import scrub_personal_data

TOKEN_RULES_VERSION = "2"

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


