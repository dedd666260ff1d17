"""The parts of searches the logs are generated in."""

import pytest

from job_reco.pipelines.data_generation import logs


def test_part_rows_cover_every_search_once_in_blocks():
    assert logs.part_rows(7, 3) == {"part-00000": slice(0, 3), "part-00001": slice(3, 6), "part-00002": slice(6, 7)}
    assert logs.part_rows(0, 3) == {}
    assert logs.part_number("part-00012") == 12


def test_part_rows_names_a_part_size_below_one():
    with pytest.raises(ValueError, match="searches_per_part must be at least 1; got 0"):
        logs.part_rows(7, 0)
