"""Fixed vocabularies of the generator: SOC major groups, level and title variants, ad and resume phrases.

Real: the SOC 2018 major-group names and the rough size of their median annual pay (US BLS orders of
magnitude). Invented: every other phrase here, kept plain so that ads and resumes read like the real
thing. (Cities come from GeoNames, see job_reco.geo.)
"""

from __future__ import annotations

import re

# SOC 2018 major group -> (name, field of study on resumes, rough median annual pay in USD, relative
# share of job ads: hourly, high-turnover groups dominate a volume job-ad network).
MAJOR_GROUPS: dict[str, tuple[str, str, int, float]] = {
    "11": ("Management", "Business Administration", 116_000, 1.0),
    "13": ("Business and Financial Operations", "Finance", 79_000, 1.0),
    "15": ("Computer and Mathematical", "Computer Science", 104_000, 1.0),
    "17": ("Architecture and Engineering", "Engineering", 91_000, 0.7),
    "19": ("Life, Physical, and Social Science", "Biology", 78_000, 0.4),
    "21": ("Community and Social Service", "Social Work", 51_000, 0.8),
    "23": ("Legal", "Law", 99_000, 0.5),
    "25": ("Educational Instruction and Library", "Education", 59_000, 0.8),
    "27": ("Arts, Design, Entertainment, Sports, and Media", "Communications", 56_000, 0.5),
    "29": ("Healthcare Practitioners and Technical", "Nursing", 83_000, 2.5),
    "31": ("Healthcare Support", "Health Sciences", 35_000, 2.0),
    "33": ("Protective Service", "Criminal Justice", 48_000, 1.0),
    "35": ("Food Preparation and Serving Related", "Culinary Arts", 31_000, 2.5),
    "37": ("Building and Grounds Cleaning and Maintenance", "Facilities Management", 35_000, 1.5),
    "39": ("Personal Care and Service", "Human Services", 32_000, 1.0),
    "41": ("Sales and Related", "Marketing", 36_000, 2.5),
    "43": ("Office and Administrative Support", "Business Administration", 44_000, 2.5),
    "45": ("Farming, Fishing, and Forestry", "Agriculture", 35_000, 0.4),
    "47": ("Construction and Extraction", "Construction Management", 55_000, 1.5),
    "49": ("Installation, Maintenance, and Repair", "Industrial Technology", 55_000, 1.5),
    "51": ("Production", "Manufacturing Technology", 43_000, 1.5),
    "53": ("Transportation and Material Moving", "Logistics", 40_000, 3.0),
    "55": ("Military Specific", "Military Science", 50_000, 0.1),
}
DEFAULT_MAJOR_GROUP = ("Other", "General Studies", 45_000, 0.5)
HOURLY_PAY_BELOW = 50_000  # ads for lower-paid occupations quote an hourly rate
HOURS_PER_YEAR = 2080

# Level words, one tuple per level of columns.LEVELS (entry, mid, senior, lead). Ads that show their
# level in the title take one of its title prefixes (mid-level ads keep the plain title); the others say
# it in their text. Resume job titles take the first prefix of the level the seeker had then.
LEVEL_TITLE_PREFIXES = (("Junior ", "Entry-Level ", "Trainee "), ("",), ("Senior ", "Experienced "), ("Lead ", "Principal "))
LEVEL_TEXT = (
    ("No experience required; we train you.", "Experience: 0-1 years.", "Open to new graduates and career starters."),
    ("Requires 2+ years of experience.", "At least two years of relevant experience.", "Experience: 2-5 years."),
    ("Requires 5+ years of experience.", "At least five years of relevant experience.", "Experience: 5-10 years."),
    ("Requires 10+ years of experience, including leading a team.", "Experience: 10+ years, with people management.",
     "At least ten years of experience and a record of leading others."),
)
REMOTE_TITLE_SUFFIX = " (Remote)"
REMOTE_TEXT = ("This is a fully remote position.", "Work from home anywhere in the US.", "Remote role; occasional travel.")
# Other title variants, kept by some ads whatever their level.
TITLE_SUFFIXES = (
    " - Night Shift", " (Part-Time)", " - Full Time", " - Weekends", " - Immediate Start",
    " - $1,000 Sign-On Bonus", " (Temporary)", " - Day Shift",
)

AD_OPENINGS = (
    "{company} is hiring: {title}, {city}.",
    "Join {company} in {city}! Position: {title}.",
    "{company} is looking for the right person to join our {city} team. Role: {title}.",
    "Now hiring: {title} at {company}, {city}.",
    "{title} wanted at {company} in {city}. Apply today.",
)
BENEFITS = (
    "Benefits: medical, dental and vision insurance; 401(k) with company match; paid time off.",
    "We offer health insurance, paid holidays, tuition reimbursement and an employee discount.",
    "Benefits include weekly pay, flexible scheduling and opportunities for advancement.",
    "Full benefits package, paid training and a supportive team.",
    "Competitive pay, life insurance, paid sick leave and a retirement plan.",
)
EQUAL_OPPORTUNITY = (
    "{company} is an Equal Opportunity Employer. All qualified applicants will receive consideration for "
    "employment without regard to race, color, religion, sex, national origin, disability or veteran status."
)
REQUIREMENTS_HEADERS = ("What you will do:", "Responsibilities:", "Key duties:", "In this role you will:")

# Resume parts. Each past job is one section: a heading line "Title | Company | City, ST | 2019-2023"
# (the latest ends in "Present") followed by its lines, written in the first person or as bullets.
RESUME_STYLES = ("first_person", "bullets")
NO_EXPERIENCE_YET = "under 1 year"
SUMMARY_ADJECTIVES = ("Dedicated", "Reliable", "Motivated", "Detail-oriented", "Hard-working", "Experienced")
EDUCATION_LEVELS = (
    "High School Diploma", "Associate of Applied Science in {field}", "Bachelor of Science in {field}",
    "Bachelor of Arts in {field}", "Master of Science in {field}", "Certificate in {field}",
)
SCHOOL_PATTERNS = ("{city} Community College", "University of {state}", "{city} State University",
                   "{city} Technical Institute")
RESUME_FILLERS = (
    "Strong communication and teamwork skills; comfortable working with the public.",
    "Known for punctuality, a positive attitude and a willingness to learn.",
    "Able to work flexible hours, including nights and weekends.",
    "Proficient with Microsoft Office and scheduling software.",
    "Valid driver's license and reliable transportation.",
    "Bilingual: English and Spanish.",
    "References available upon request.",
)
PHONE_FORMATS = ("({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1-{a}-{b}-{c}")

# Vague queries real seekers type; they match titles and boilerplate only by accident.
VAGUE_QUERIES = (
    "part time", "full time", "hiring now", "jobs near me", "no experience", "entry level",
    "weekend", "night shift", "immediate start", "work from home", "sign on bonus", "temporary",
    "weekly pay", "jobs",
)
QUERY_KINDS = ("title", "title_word", "related_title", "vague")

# Words of ad titles that make no query on their own (broad ones such as "manager" or "clerk" stay:
# seekers do type them).
GENERIC_TITLE_WORDS = frozenset({
    "and", "or", "of", "the", "for", "except", "other", "all", "worker", "workers", "related", "general",
    "first-line", "postsecondary", "setter", "tender", "helper", "occupations",
})

_NOT_PLURAL = frozenset({
    "sales", "operations", "services", "systems", "goods", "arts", "sciences", "athletics", "news",
    "glass", "gas", "bus", "class", "police", "logistics", "mathematics", "economics", "physics",
    "electronics", "gaming", "claims", "customs", "accounts", "parts", "materials", "relations",
    "communications", "affairs", "works",
})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CAPITALISED = re.compile(r"(?<=\s)([A-Z][a-z]+)\b")


def singular(word: str) -> str:
    """English singular of one plural title word ("Secretaries" -> "Secretary"); others unchanged."""
    lower = word.lower()
    if lower in _NOT_PLURAL or len(word) < 4 or not lower.endswith("s") or lower.endswith(("ss", "us", "is")):
        return word
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


def ad_title(onet_title: str) -> str:
    """Turn a plural O*NET title into a singular job-ad title.

    "Waiters and Waitresses" -> "Waiter and Waitress"; "Registered Nurses" -> "Registered Nurse";
    "Furnace, Kiln, Oven, Drier, and Kettle Operators and Tenders" -> "Furnace Tender";
    "First-Line Supervisors of Retail Sales Workers" -> "First-Line Supervisor of Retail Sales Workers".
    """
    if "--" in onet_title:  # "Helpers--Carpenters" -> "Carpenter Helper"
        kind, _, trade = onet_title.partition("--")
        return f"{ad_title(trade)} {singular(kind.strip())}"
    segments = [part.strip() for part in onet_title.split(",") if part.strip()]
    head = segments[0]
    if not head.split()[-1].lower().endswith("s"):
        # A list of modifiers ("Furnace, Kiln, ... Operators and Tenders"): take the head noun from
        # the last segment, or else the first later segment that ends in a plural.
        tails = [seg.split()[-1] for seg in segments[1:] if seg.split()[-1].lower().endswith("s")]
        last = segments[-1].split()[-1] if len(segments) > 1 else ""
        if last.lower().endswith("s"):
            head = f"{head} {last}"
        elif tails:
            head = f"{head} {tails[0]}"
    noun_phrase, of, complement = head.partition(" of ")
    words = noun_phrase.split(" ")
    out = []
    for i, word in enumerate(words):
        last_of_noun = i == len(words) - 1 or words[i + 1] in ("and", "or")
        out.append("/".join(singular(part) for part in word.split("/")) if last_of_noun else word)
    return " ".join(out) + of + complement


def title_keywords(title: str) -> tuple[str, ...]:
    """Lower-case words of an ad title that make a plausible one-word query ("nurse", "cashier")."""
    words = re.findall(r"[a-z][a-z'-]+", title.lower())
    keep = tuple(w for w in words if len(w) >= 4 and w not in GENERIC_TITLE_WORDS)
    return keep or tuple(words[-1:])


def split_sentences(text: str) -> tuple[str, ...]:
    """Split plain prose into sentences at '.', '!' or '?' followed by white space."""
    return tuple(s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip())


def esco_definition(text: str) -> str | None:
    """The definition part of an ESCO row (skills.csv or occupations.csv), or None when it cannot be told apart.

    ESCO's files concatenate the preferred label, the alternative labels (lower case) and the
    definition. The definition starts at the first capitalised word that occurs only once (capitalised
    label words such as "Turret lathe" repeat across the alternative labels).
    """
    for match in _CAPITALISED.finditer(text):
        word = match.group(1)
        if len(re.findall(rf"\b{word}\b", text)) == 1:
            return text[match.start():]
    return None


def esco_skill_sentence(text: str) -> str | None:
    """The first sentence of an ESCO skill's definition (30-220 characters), or None."""
    definition = esco_definition(text)
    if definition is None:
        return None
    sentence = split_sentences(definition)[0]
    return sentence if 30 <= len(sentence) <= 220 and sentence.endswith(".") else None
