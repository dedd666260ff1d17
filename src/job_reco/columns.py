"""Every column and table name of the data contract (docs/data-contract.md), typed once.

Nodes and tests import these names, so a column is never spelt twice as a string.
"""

# Keys and attributes of the six raw tables.
RESUME_ID = "resume_id"
SEEKER_ID = "seeker_id"
TEXT = "text"
UPDATED_AT = "updated_at"
JOB_ID = "job_id"
TITLE = "title"
DESCRIPTION = "description"
POSTED_AT = "posted_at"
SEARCH_ID = "search_id"
QUERY = "query"
SEARCHED_AT = "searched_at"
POSITION = "position"
SHOWN_AT = "shown_at"
CLICK_ID = "click_id"
CLICKED_AT = "clicked_at"
APPLICATION_ID = "application_id"
APPLIED_AT = "applied_at"

# Data contract v2: nullable columns a network may log (docs/data-contract.md); absent ones turn features off.
CITY = "city"
STATE = "state"
LATITUDE = "latitude"
LONGITUDE = "longitude"
REMOTE = "remote"
SALARY_MIN = "salary_min"
SALARY_MAX = "salary_max"
LEVEL = "level"
EXPERIMENT = "experiment"
# Values of jobs.level, most junior first; searches.experiment "swap_1_<k>": the swap-1-with-k policy
# showed search's first ad at position k and its k-th ad at position 1.
LEVELS = ("entry", "mid", "senior", "lead")
EXPERIMENT_SWAP_PREFIX = "swap_1_"


def swap_experiment(k) -> str:
    """The searches.experiment value of a swap of positions 1 and k."""
    return f"{EXPERIMENT_SWAP_PREFIX}{int(k)}"

# Columns job_reco adds.
LABEL = "label"
APPLIED = "applied"
SPLIT = "split"
TRAIN = "train"
TEST = "test"
REASON = "reason"
EMBEDDING = "embedding"
CLUSTER = "cluster"
TOKENS = "tokens"
# document_tokens also stores the tokens joined by one space: the form the embedding tasks read.
TOKEN_TEXT = "token_text"
DOC_ID = "doc_id"
DOC_TYPE = "doc_type"

# Score columns of scored_impressions, one per ranker; higher = ranked earlier.
RANKERS = ("ensemble", "cosine", "popularity", "search", "random")
# Added by modeling v2 (data contract v2): the shared ranker, the original per-cluster ensemble, LambdaMART.
V2_RANKERS = ("ranker", "ncf_original", "gbdt")
SCORE_PREFIX = "score_"


def score_column(ranker: str) -> str:
    """Name of the score column of a ranker, e.g. `score_ensemble`."""
    return f"{SCORE_PREFIX}{ranker}"


# Generated-data truth (data/01_raw/_truth/), read only by data_generation and reporting.
MATCH_GRADE = "match_grade"
EXAMINATION = "examination"
CLICK_PROBABILITY = "click_probability"
OCCUPATION_CODE = "occupation_code"

# The data contract's raw tables: name -> {column: Spark SQL type}.
RAW_SCHEMAS: dict[str, dict[str, str]] = {
    "resumes": {RESUME_ID: "string", SEEKER_ID: "string", TEXT: "string", UPDATED_AT: "timestamp"},
    "jobs": {JOB_ID: "string", TITLE: "string", DESCRIPTION: "string", POSTED_AT: "timestamp"},
    "searches": {SEARCH_ID: "string", SEEKER_ID: "string", QUERY: "string", SEARCHED_AT: "timestamp"},
    "impressions": {SEARCH_ID: "string", JOB_ID: "string", POSITION: "int", SHOWN_AT: "timestamp"},
    "clicks": {CLICK_ID: "string", SEARCH_ID: "string", JOB_ID: "string", CLICKED_AT: "timestamp"},
    "applications": {
        APPLICATION_ID: "string",
        RESUME_ID: "string",
        JOB_ID: "string",
        CLICK_ID: "string",
        APPLIED_AT: "timestamp",
    },
}
RAW_TABLES = tuple(RAW_SCHEMAS)

# Optional (v2) columns per raw table: checked and carried when present, never required.
OPTIONAL_SCHEMAS: dict[str, dict[str, str]] = {
    "resumes": {CITY: "string", STATE: "string", LATITUDE: "double", LONGITUDE: "double"},
    "jobs": {
        CITY: "string", STATE: "string", LATITUDE: "double", LONGITUDE: "double", REMOTE: "boolean",
        SALARY_MIN: "double", SALARY_MAX: "double", LEVEL: "string",
    },
    "searches": {EXPERIMENT: "string"},
}

LABELED_IMPRESSIONS_COLUMNS = (
    SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, APPLIED, SEARCHED_AT, SPLIT,
)
# Every impression of every search by a seeker with a resume (data_integration -> modeling v2).
SEARCH_IMPRESSIONS_COLUMNS = (
    SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, APPLIED, SEARCHED_AT, SPLIT, EXPERIMENT,
)
V1_SCORED_IMPRESSIONS_COLUMNS = (
    SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, SPLIT, *(score_column(r) for r in RANKERS),
)
SCORED_IMPRESSIONS_COLUMNS = (*V1_SCORED_IMPRESSIONS_COLUMNS, *(score_column(r) for r in V2_RANKERS))

# embeddings
IS_ZERO_VECTOR = "is_zero_vector"
DOC_TYPE_RESUME = "resume"
DOC_TYPE_JOB = "job"

# data_generation (truth tables under data/01_raw/_truth/)
SECONDARY_OCCUPATION_CODE = "secondary_occupation_code"
TERTIARY_OCCUPATION_CODE = "tertiary_occupation_code"
ATTRACTIVENESS = "attractiveness"
RELEVANCE = "relevance"
OCCUPATION_FACTOR = "occupation_factor"
DISTANCE_KM = "distance_km"
DISTANCE_FACTOR = "distance_factor"
LEVEL_FACTOR = "level_factor"
PAY_FACTOR = "pay_factor"
FRESHNESS_FACTOR = "freshness_factor"
EMPLOYER_QUALITY = "employer_quality"
NOISE = "noise"
YEARS_OF_EXPERIENCE = "years_of_experience"
RELOCATES = "relocates"
PAY_EXPECTATION = "pay_expectation"
PAY_MIDPOINT = "pay_midpoint"
FACTOR_COLUMNS = (OCCUPATION_FACTOR, DISTANCE_FACTOR, LEVEL_FACTOR, PAY_FACTOR, FRESHNESS_FACTOR, EMPLOYER_QUALITY)
TRUTH_IMPRESSIONS_COLUMNS = (
    SEARCH_ID, JOB_ID, POSITION, MATCH_GRADE, DISTANCE_KM, *FACTOR_COLUMNS, NOISE, RELEVANCE, EXAMINATION,
    ATTRACTIVENESS, CLICK_PROBABILITY,
)
TRUTH_SEEKERS_COLUMNS = (
    SEEKER_ID, RESUME_ID, OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE, TERTIARY_OCCUPATION_CODE, CITY, STATE,
    LATITUDE, LONGITUDE, RELOCATES, YEARS_OF_EXPERIENCE, LEVEL, PAY_EXPECTATION,
)
TRUTH_JOBS_COLUMNS = (
    JOB_ID, OCCUPATION_CODE, CITY, LATITUDE, LONGITUDE, REMOTE, LEVEL, PAY_MIDPOINT, EMPLOYER_QUALITY,
)

# modeling
FEATURES = "features"
SUBSET = "subset"
VALIDATION = "validation"
RESUME_VECTOR = "resume_vector"
JOB_VECTOR = "job_vector"
RESUME_VECTOR_MISSING = "resume_vector_missing"
JOB_VECTOR_MISSING = "job_vector_missing"
JOB_IMPRESSIONS = "impressions"
JOB_CLICKS = "clicks"
CTR_SMOOTHED = "ctr_smoothed"
JOB_POPULARITY_COLUMNS = (JOB_ID, JOB_IMPRESSIONS, JOB_CLICKS, CTR_SMOOTHED)
