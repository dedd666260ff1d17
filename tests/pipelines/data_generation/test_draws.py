"""The generator's shared helpers (`draws`)."""

from __future__ import annotations

from job_reco.pipelines.data_generation import draws


def test_ids_are_zero_padded_to_at_least_six_digits_and_carry_the_part():
    assert draws.ids("Q", 3).tolist() == ["Q000001", "Q000002", "Q000003"]
    assert draws.ids("C", 2, part=12).tolist() == ["C00012-000001", "C00012-000002"]
    assert draws.ids("S", 1_234_567)[-1] == "S1234567"  # wider than six digits: the width of n
    assert draws.ids("A", 0).tolist() == []
