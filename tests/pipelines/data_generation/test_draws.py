"""The generator's shared helpers (`draws`)."""

from __future__ import annotations

import pandas as pd
import pytest

from job_reco.pipelines.data_generation import draws


def test_ids_are_zero_padded_to_at_least_six_digits_and_carry_the_part():
    assert draws.ids("Q", 3).tolist() == ["Q000001", "Q000002", "Q000003"]
    assert draws.ids("C", 2, part=12).tolist() == ["C00012-000001", "C00012-000002"]
    assert draws.ids("S", 1_234_567)[-1] == "S1234567"  # wider than six digits: the width of n
    assert draws.ids("A", 0).tolist() == []


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_micros_reads_arrow_backed_timestamps_as_numpy_ones(unit):
    import pyarrow as pa

    stamps = pd.Series(pd.to_datetime(["2024-01-01 00:00:01.5", "1969-12-31 23:59:59.0", "2024-06-30 12:00:00.0"], utc=True))
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(stamps.dt.floor("s" if unit == "s" else "ms"),
                                                              type=pa.timestamp(unit, tz="UTC"))))
    expected = [1_704_067_201_000_000 if unit == "s" else 1_704_067_201_500_000, -1_000_000, 1_719_748_800_000_000]
    assert draws.micros(arrow).tolist() == expected == draws.micros(stamps.dt.floor("s" if unit == "s" else "ms")).tolist()
