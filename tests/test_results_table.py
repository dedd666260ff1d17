"""scripts/results_table.py: the README's results block from a run's reports, on a hand-made metrics.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "results_table.py"
spec = importlib.util.spec_from_file_location("results_table", SCRIPT)
results_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(results_table)

VIEWS = ["ndcg@10", "ips_mrr"]
METRICS = {
    "n_groups": 1200,
    "headline": {
        "truth": True, "chosen": "ensemble", "baseline": "search", "oracle": "oracle", "views": VIEWS,
        "values": {"search": {"ndcg@10": 0.60, "ips_mrr": 0.20, "mrr": 0.5}, "ensemble": {"ndcg@10": 0.66, "ips_mrr": 0.30, "mrr": 0.55},
                   "oracle": {"ndcg@10": 0.80, "ips_mrr": 0.40, "mrr": 0.9}},
        # (0.66 - 0.60) / (0.80 - 0.60) = 30% of the gap
        "gap_closed": {"search": {"ndcg@10": 0.0}, "ensemble": {"ndcg@10": 0.30, "ndcg@10_ci95": [0.25, 0.35]}},
        "chosen_minus_baseline": {"search": {"ndcg@10": 0.06, "ndcg@10_ci95": [0.02, 0.10],
                                             "ips_mrr": 0.10, "ips_mrr_ci95": [-0.01, 0.2]}},
    },
    "rankers": {"search": {"precision@5": 0.21}, "ensemble": {"precision@5": 0.25}},
    "truth": {"oracle": {}},
    "lift_vs_search": {"ensemble": {"mrr": 0.1, "mrr_ci95": [0.05, 0.15], "ips_mrr": 0.5, "ips_mrr_ci95": [0.4, 0.6]}},
}


@pytest.fixture
def reports(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps(METRICS))
    return tmp_path


def test_the_block_shows_each_ranker_its_gap_closed_and_the_differences(reports):
    block = "\n".join(results_table.results_block(reports, "abc1234"))
    assert block.startswith(results_table.BEGIN) and block.endswith(results_table.END)
    assert "Commit `abc1234`" in block and "1,200 test query groups" in block
    chosen_row = next(line for line in block.splitlines() if "(chosen)" in line)
    assert "| 0.660 | 30.0% [25.0, 35.0] |" in chosen_row and chosen_row.endswith("| 0.250 |")  # nDCG, gap closed, P@5
    assert "| oracle (true relevance) | 0.800 | 100% |" in block
    search_row = next(line for line in block.splitlines() if line.startswith("| search |"))
    assert "+0.0600 [+0.0200, +0.1000] better" in search_row and "+0.1000 [-0.0100, +0.2000] not established" in search_row
    assert "naive MRR +10.0%" in block and "+50.0%" in block


def test_the_readme_block_is_replaced_between_its_markers_only(reports, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results_table.BEGIN}\nold\n{results_table.END}\noutro\n")
    results_table.main(["--reports", str(reports), "--commit", "abc1234", "--write", str(readme)])
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text and "abc1234" in text


def test_a_missing_metrics_file_and_missing_markers_name_the_path(tmp_path, reports):
    with pytest.raises(SystemExit, match="no metrics.json in"):
        results_table.results_block(tmp_path / "nowhere", "abc1234")
    with pytest.raises(SystemExit, match="has no results-table markers"):
        results_table.replace_block("no markers here", ["x"], Path("README.md"))
