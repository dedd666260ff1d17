"""Custom Kedro datasets of job_reco (referenced from conf/*/catalog*.yml)."""
