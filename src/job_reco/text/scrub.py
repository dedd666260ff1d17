"""Personal-data scrub: e-mail addresses, URLs, phone numbers, street addresses and, in resumes, names.

Each match is replaced by one space (`SCRUB_REPLACEMENT`). The patterns are written in the subset of
regular expressions that Java (Spark's `regexp_replace`) and Python's `re` read alike, so the
embeddings pipeline applies them on Spark and `recommend` applies them here with the same result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# --- personal-data scrub -------------------------------------------------------------------------
# Java (Spark regexp_replace) and Python `re` read these patterns the same way: explicit ASCII
# classes instead of \w, \d, \s, \b (whose Unicode meaning differs between the two), fixed-length
# look-behinds, scoped (?i:...) groups. The leading look-arounds only spare the engine hopeless
# start positions (Python's re has no literal prefilter, and Java tries each branch of an alternation
# at every position: a one-character look-ahead before the given names and the postal boxes halved
# their cost in Spark); they change no match.

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


_NAMES = given_names()
GIVEN_NAMES_PATTERN = words_pattern(_NAMES)
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
# OWN_NAME_HEADER_PATTERN in Python: a name header's first word is one of the given names (the header's words
# are separated by spaces, so the trie's match followed by a space is that whole word); a set look-up
# spares compiling the 30,000-character trie a second time.
_GIVEN_NAMES = frozenset(_NAMES)


def own_name_pattern(text: str) -> str | None:
    """The pattern of the words of a resume's name header (see NAME_HEADER_PATTERN), else None."""
    header = _NAME_HEADER.search(text)
    if header is None or header.group(0).lstrip(" \t\r\n").split(" ", 1)[0] not in _GIVEN_NAMES:
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


