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

LABELED_IMPRESSIONS_COLUMNS = (
    SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, APPLIED, SEARCHED_AT, SPLIT,
)
# Every impression of every search by a seeker with a resume (data_integration -> modeling v2).
EXPERIMENT = "experiment"
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
CITY = "city"
ATTRACTIVENESS = "attractiveness"
TRUTH_IMPRESSIONS_COLUMNS = (
    SEARCH_ID, JOB_ID, POSITION, MATCH_GRADE, EXAMINATION, ATTRACTIVENESS, CLICK_PROBABILITY,
)
TRUTH_SEEKERS_COLUMNS = (SEEKER_ID, RESUME_ID, OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE, CITY)
TRUTH_JOBS_COLUMNS = (JOB_ID, OCCUPATION_CODE, CITY)

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
