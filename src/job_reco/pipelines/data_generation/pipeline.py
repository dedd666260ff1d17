"""The data_generation pipeline: occupations and cities -> jobs, seekers, searches -> impressions ->
clicks -> applications, in four stages whose nodes live in a module per theme."""

from kedro.pipeline import Pipeline, node

from job_reco.geo import load_cities
from job_reco.pipelines.data_generation import (
    behaviour,
    documents,
    logs,
    resumes,
    sampling,
)

P = "params:data_generation."


def _material() -> list:
    """Occupations with their text material and median pay; the cities."""
    return [
        node(documents.prepare_occupations, "onet_occupations", "occupations_base", name="prepare_occupations"),
        node(documents.attach_esco_skills, ["occupations_base", "esco_skills", P + "skills_per_occupation"],
             "occupations_with_skills", name="attach_esco_skills"),
        node(documents.attach_esco_occupations,
             ["occupations_with_skills", "esco_occupations", P + "esco_occupations_per_occupation"],
             "occupations_with_text", name="attach_esco_occupations"),
        node(sampling.attach_median_pay, ["occupations_with_text", P + "job_market.occupation_pay_sigma", P + "seed"],
             "occupations", name="attach_median_pay"),
        node(load_cities, [P + "cities.min_population", P + "cities.country"], "cities", name="load_cities"),
        node(sampling.select_preset, [P + "presets", P + "preset"], "generation_sizes", name="select_preset"),
    ]


def _market() -> list:
    """Who is in the market, and the documents and searches they leave."""
    window = [P + "start_date", P + "n_months"]
    return [
        node(sampling.draw_jobs, ["occupations", "cities", "generation_sizes", *window, P + "job_active_days",
                                  P + "job_market", P + "seed"], "job_postings", name="draw_jobs"),
        node(documents.write_job_ads, ["job_postings", "occupations", P + "seed"], "raw_jobs@pandas",
             name="write_job_ads"),
        node(behaviour.select_truth_jobs, "job_postings", "truth_jobs", name="select_truth_jobs"),
        node(sampling.draw_seekers, ["occupations", "cities", "generation_sizes", P + "seekers",
                                     P + "job_market.pay_by_level", P + "seed"], "truth_seekers", name="draw_seekers"),
        node(sampling.draw_searches,
             ["truth_seekers", "occupations", "cities", "generation_sizes", *window, P + "query_mix",
              P + "city_in_query_share", P + "other_occupation_query_share", P + "randomized_share",
              P + "impressions_per_search", P + "seed"],
             "raw_searches@pandas", name="draw_searches"),
        node(resumes.find_first_searches, "raw_searches@pandas", "first_searches", name="find_first_searches"),
        node(resumes.write_resumes,
             ["truth_seekers", "occupations", "cities", "first_searches", *window, P + "seekers.short_resume_share",
              P + "seekers.level_years", P + "seed"], "raw_resumes@pandas", name="write_resumes"),
    ]


def _logs() -> list:
    """What search shows, what seekers click and apply to, and the faults real logs have: written in parts
    of searches (logs.py), so memory holds one part whatever the number of searches."""
    per_part, dirty = P + "searches_per_part", P + "dirty_share"
    return [
        node(logs.rank_impression_parts,
             ["raw_searches@pandas", "raw_jobs@pandas", P + "impressions_per_search", P + "bm25_candidates",
              P + "job_active_days", per_part, P + "seed"], "ranked_impression_parts", name="rank_impression_parts"),
        node(logs.score_impression_parts,
             ["ranked_impression_parts", "raw_searches@pandas", "truth_seekers", "truth_jobs", "raw_jobs@pandas",
              P + "behaviour", per_part, P + "seed"], "truth_impressions@parts", name="score_impression_parts"),
        node(behaviour.build_examination_curve, [P + "behaviour.eta", P + "impressions_per_search"],
             "truth_examination", name="build_examination_curve"),
        node(logs.log_impression_parts, ["truth_impressions@parts", "raw_searches@pandas", per_part, dirty, P + "seed"],
             "raw_impressions@parts", name="log_impression_parts"),
        node(logs.log_click_parts, ["truth_impressions@parts", "raw_searches@pandas", per_part, dirty, P + "seed"],
             "raw_clicks@parts", name="log_click_parts"),
        node(logs.log_application_parts,
             ["truth_impressions@parts", "raw_searches@pandas", "truth_seekers", "truth_jobs", "raw_jobs@pandas",
              P + "apply_probability_by_grade", P + "external_application_share", P + "start_date", P + "n_months",
              per_part, dirty, P + "seed"], "raw_applications@parts", name="log_application_parts"),
        node(logs.summarise_network,
             ["raw_impressions@parts", "raw_clicks@parts", "raw_applications@parts", "raw_searches@pandas"],
             "data_generation_summary", name="summarise_network"),
    ]


def create_pipeline(**kwargs) -> Pipeline:
    """Generate the six raw tables (`raw_<table>@pandas` or `@parts`, contract v2) and the truth tables (`truth_*`)."""
    return Pipeline([*_material(), *_market(), *_logs()],
                    namespace="data_generation", prefix_datasets_with_namespace=False)
