"""job_reco.hooks.input_locations: a failed node's error names where its inputs live, from the catalog."""

from __future__ import annotations

from kedro.io import DataCatalog
from kedro.pipeline import node

from job_reco.hooks.input_locations import InputLocationsHook


def test_a_failed_nodes_error_names_its_inputs_paths(tmp_path):
    catalog = DataCatalog.from_config(
        {
            "scores": {"type": "json.JSONDataset", "filepath": str(tmp_path / "moved/scores.json")},
            "tokens": {"type": "spark.SparkDataset", "filepath": "s3a://bucket/tokens.parquet"},
        }
    )
    failing = node(lambda scores, tokens, k: None, ["scores", "tokens", "params:k"], None, name="rank")
    error = ValueError("tokens is missing columns ['doc_id']")
    InputLocationsHook().on_node_error(error, failing, catalog)
    assert error.__notes__ == [
        f"node rank read: scores -> {tmp_path}/moved/scores.json; tokens -> s3a://bucket/tokens.parquet"
    ]
