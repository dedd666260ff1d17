"""The data_generation pipeline: occupations -> jobs, seekers, searches -> impressions -> clicks -> applications."""

from kedro.pipeline import Pipeline, node

from job_reco.pipelines.data_generation import nodes

P = "params:data_generation."


def create_pipeline(**kwargs) -> Pipeline:
    """Generate the six raw tables (`raw_<table>@pandas`) and the truth tables (`truth_*`)."""
    seed = P + "seed"
    window = [P + "start_date", P + "n_months"]
    return Pipeline(
        [
            node(nodes.prepare_occupations, "onet_occupations", "occupations_base", name="prepare_occupations"),
            node(nodes.attach_esco_skills, ["occupations_base", "esco_skills", P + "skills_per_occupation"],
                 "occupations", name="attach_esco_skills"),
            node(nodes.select_preset, [P + "presets", P + "preset"], "generation_sizes", name="select_preset"),
            node(nodes.draw_jobs, ["occupations", "generation_sizes", *window, P + "job_active_days", seed],
                 "job_postings", name="draw_jobs"),
            node(nodes.write_job_ads, ["job_postings", "occupations", seed], "raw_jobs@pandas", name="write_job_ads"),
            node(nodes.select_truth_jobs, "job_postings", "truth_jobs", name="select_truth_jobs"),
            node(nodes.draw_seekers, ["occupations", "generation_sizes", P + "secondary_occupation_share", seed],
                 "truth_seekers", name="draw_seekers"),
            node(nodes.draw_searches,
                 ["truth_seekers", "occupations", "generation_sizes", *window, P + "query_mix",
                  P + "city_in_query_share", seed],
                 "raw_searches@pandas", name="draw_searches"),
            node(nodes.write_resumes, ["truth_seekers", "occupations", "raw_searches@pandas", *window, seed],
                 "raw_resumes@pandas", name="write_resumes"),
            node(nodes.rank_jobs_for_searches,
                 ["raw_searches@pandas", "raw_jobs@pandas", P + "impressions_per_search", P + "bm25_candidates",
                  P + "job_active_days", P + "chunk_size", seed],
                 "generated_impressions", name="rank_jobs_for_searches"),
            node(nodes.score_impressions,
                 ["generated_impressions", "raw_searches@pandas", "truth_seekers", "truth_jobs", P + "eta",
                  P + "attractiveness_by_grade", P + "same_city_factor", P + "attractiveness_noise", seed],
                 "truth_impressions", name="score_impressions"),
            node(nodes.build_examination_curve, [P + "eta", P + "impressions_per_search"], "truth_examination",
                 name="build_examination_curve"),
            node(nodes.simulate_clicks, ["truth_impressions", "raw_searches@pandas", seed], "generated_clicks",
                 name="simulate_clicks"),
            node(nodes.simulate_applications,
                 ["generated_clicks", "truth_impressions", "raw_searches@pandas", "truth_seekers", "truth_jobs",
                  "raw_jobs@pandas", P + "apply_probability_by_grade", P + "external_application_share", *window,
                  seed],
                 "generated_applications", name="simulate_applications"),
            node(nodes.add_dirty_rows,
                 ["generated_impressions", "generated_clicks", "generated_applications", P + "dirty_share", seed],
                 ["raw_impressions@pandas", "raw_clicks@pandas", "raw_applications@pandas"], name="add_dirty_rows"),
            node(nodes.summarise_network,
                 ["generated_impressions", "generated_clicks", "generated_applications", "raw_searches@pandas"],
                 "data_generation_summary", name="summarise_network"),
        ]
    )
