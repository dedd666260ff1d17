"""Shared helpers of the generator: seeded random streams, time in epoch microseconds, ids, and
vectorised picks from ragged per-occupation lists (no Python loop per event)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SECOND = 1_000_000  # timestamps are handled as int64 microseconds since the epoch
HOUR = 3600 * SECOND
DAY = 24 * HOUR
_EPOCH = pd.Timestamp(0, tz="UTC")

# One random stream per node: changing one node's draws leaves the others' alone.
STREAMS = {
    "weights": 0, "jobs": 1, "ads": 2, "seekers": 3, "searches": 4, "resumes": 5, "ranking": 6,
    "attractiveness": 7, "clicks": 8, "applications": 9, "dirty": 10, "policy": 11, "pay": 12,
}


def rng(seed: int, stream: str, *keys: int) -> np.random.Generator:
    """The random generator of one node: numpy's default_rng([seed, stream number, *keys]); `keys` give
    independent streams inside one node (a part of searches, a table)."""
    return np.random.default_rng([int(seed), STREAMS[stream], *map(int, keys)])


def window(start_date: str, n_months: int) -> tuple[int, int]:
    """Start and end of the log window in epoch microseconds (UTC)."""
    start = pd.Timestamp(start_date, tz="UTC")
    end = start + pd.DateOffset(months=int(n_months))
    return int((start - _EPOCH) // pd.Timedelta(1, "us")), int((end - _EPOCH) // pd.Timedelta(1, "us"))


def timestamps(micros: np.ndarray) -> pd.DatetimeIndex:
    """Epoch microseconds -> tz-aware UTC timestamps (microsecond resolution)."""
    return pd.DatetimeIndex(np.asarray(micros, dtype="int64").astype("datetime64[us]")).tz_localize("UTC")


_MICROS_PER_UNIT = {"s": (SECOND, 1), "ms": (1000, 1), "us": (1, 1), "ns": (1, 1000)}  # (multiply, floor-divide)


def micros(values: pd.Series) -> np.ndarray:
    """Tz-aware timestamps -> epoch microseconds, whatever their pandas resolution.

    An Arrow-backed column (a table read with Arrow dtypes) is read by Arrow: pandas would turn
    each value into a Timestamp object first (2.4 s per 2M rows).
    """
    dtype = getattr(values.dtype, "pyarrow_dtype", None)
    if dtype is not None and pa.types.is_timestamp(dtype) and not values.isna().any():
        multiply, divide = _MICROS_PER_UNIT[dtype.unit]
        return pc.cast(pa.array(values), pa.int64()).to_numpy() * multiply // divide
    # cache=False: deciding whether to cache made a Timestamp of each value (0.06 s per part of 20,000 searches)
    return ((pd.to_datetime(values, utc=True, cache=False) - _EPOCH) // pd.Timedelta(1, "us")).to_numpy("int64")


def ids(prefix: str, n: int, part: int | None = None) -> np.ndarray:
    """`prefix` + zero-padded 1..n (width at least 6), as an object array of str; with `part`,
    `prefix` + the part number (5 digits) + "-" first, so ids stay unique across parts."""
    width = max(6, len(str(n)))
    head = prefix if part is None else f"{prefix}{int(part):05d}-"
    # one string per id, built once: pandas' astype(str), zfill and concatenation made three (5M searches)
    return np.array([f"{head}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def lookup(keys: pd.Series | np.ndarray, index: pd.Index, what: str) -> np.ndarray:
    """Positions of `keys` in `index`; ValueError if any is unknown."""
    pos = index.get_indexer(keys)
    if (pos < 0).any():
        unknown = pd.Series(keys)[pos < 0].iloc[:3].tolist()
        raise ValueError(f"{what}: {int((pos < 0).sum())} unknown keys, e.g. {unknown}")
    return pos


def fill(template: str, index: pd.Index, **columns: pd.Series | str) -> pd.Series:
    """Format one `{name}` template row-wise by string concatenation (vectorised str.format)."""
    parts = re.split(r"\{(\w+)\}", template)
    out = pd.Series(parts[0], index=index, dtype=object)
    for i in range(1, len(parts), 2):
        out = out + columns[parts[i]] + parts[i + 1]
    return out


def fill_choice(templates: Sequence[str], choice: np.ndarray, index: pd.Index, **columns) -> pd.Series:
    """Row i gets templates[choice[i]] filled with its own column values."""
    out = pd.Series("", index=index, dtype=object)
    for k, template in enumerate(templates):
        rows = choice == k
        if rows.any():
            picked = {name: (col[rows] if isinstance(col, pd.Series) else col) for name, col in columns.items()}
            out[rows] = fill(template, index[rows], **picked)
    return out


def choose(options: Sequence[str], n: int, generator: np.random.Generator) -> np.ndarray:
    """n uniform draws from a fixed list of strings, as an object array."""
    return np.array(options, dtype=object)[generator.integers(0, len(options), n)]


def padded(values: pd.Series, fill_value: str = "") -> tuple[np.ndarray, np.ndarray]:
    """A column of tuples -> (rows x longest) object matrix padded with `fill_value`, and each row's length."""
    lengths = values.map(len).to_numpy("int64")
    matrix = np.full((len(values), max(1, int(lengths.max(initial=0)))), fill_value, dtype=object)
    for row, items in enumerate(values):  # one row per occupation (about 1,000), not per event
        matrix[row, : len(items)] = items
    return matrix, lengths


def pick(matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """For each row index in `rows`, one uniformly chosen non-padding item ('' where the row is empty)."""
    n = lengths[rows]
    col = np.floor(generator.random(len(rows)) * np.maximum(n, 1)).astype("int64")
    return np.where(n > 0, matrix[rows, col], "")


def pick_distinct(
    matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray, k: int, generator: np.random.Generator,
    *, prefix: str = " ", suffix: str = "",
) -> pd.Series:
    """For each row index in `rows`, up to k distinct items in random order, each written as
    prefix + item + suffix and joined; '' where the row is empty."""
    keys = generator.random((len(rows), matrix.shape[1]))
    keys[np.arange(matrix.shape[1])[None, :] >= lengths[rows][:, None]] = 2.0  # padding sorts last
    cols = np.argsort(keys, axis=1)[:, :k]
    picked = matrix[rows[:, None], cols]
    out = pd.Series("", index=pd.RangeIndex(len(rows)), dtype=object)
    for j in range(picked.shape[1]):  # k columns, not rows
        out = out + np.where(picked[:, j] != "", prefix + picked[:, j] + suffix, "")
    return out


def some_sentences(
    matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray, keep: float, generator: np.random.Generator
) -> pd.Series:
    """For each row index in `rows`: its first sentence plus each later one with probability `keep`,
    in their original order, joined by a space."""
    kept = generator.random((len(rows), matrix.shape[1])) < keep
    kept[:, 0] = True
    kept &= np.arange(matrix.shape[1])[None, :] < lengths[rows][:, None]
    out = pd.Series("", index=pd.RangeIndex(len(rows)), dtype=object)
    for j in range(matrix.shape[1]):  # columns (a handful of sentences), not rows
        out = out + np.where(kept[:, j], " " + matrix[rows, j], "")
    return out.str.strip()


def group_mate(group_of: np.ndarray, items: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """For each item (an index into `group_of`), a different uniformly drawn member of its group.

    Returns -1 where the item is alone in its group.
    """
    order = np.argsort(group_of, kind="stable")
    sorted_groups = group_of[order]
    starts = np.searchsorted(sorted_groups, group_of, side="left")
    sizes = np.searchsorted(sorted_groups, group_of, side="right") - starts
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    offset = rank - starts  # the item's own place in its group
    size = sizes[items]
    step = 1 + np.floor(generator.random(len(items)) * np.maximum(size - 1, 1)).astype("int64")
    mate = order[starts[items] + (offset[items] + step) % np.maximum(size, 1)]
    return np.where(size > 1, mate, -1)


def faker_pools(seed: int, size: int) -> dict[str, np.ndarray]:
    """Pools of fake first names, last names, street names, companies and e-mail domains (Faker, seeded)."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(int(seed))
    draws = {
        "first": fake.first_name, "last": fake.last_name, "street": fake.street_name,
        "company": fake.company, "domain": fake.free_email_domain,
    }
    return {name: np.array([draw() for _ in range(size)], dtype=object) for name, draw in draws.items()}
