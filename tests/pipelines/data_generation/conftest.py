"""Hand-made frames shared by the data_generation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from job_reco.columns import (
    CITY,
    DESCRIPTION,
    EMPLOYER_QUALITY,
    EXPERIMENT,
    JOB_ID,
    LATITUDE,
    LEVEL,
    LONGITUDE,
    OCCUPATION_CODE,
    PAY_EXPECTATION,
    PAY_MIDPOINT,
    POSTED_AT,
    QUERY,
    RELOCATES,
    REMOTE,
    RESUME_ID,
    SALARY_MAX,
    SALARY_MIN,
    SEARCH_ID,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    TERTIARY_OCCUPATION_CODE,
    TITLE,
    YEARS_OF_EXPERIENCE,
)

HOUSTON = (29.76328, -95.36327)
DALLAS = (32.78306, -96.80667)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def onet_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "O*NET-SOC Code": ["29-1141.00", "11-9199.00", "29-2061.00", "53-3032.00"],
            "Title": ["Registered Nurses", "Managers, All Other", "Licensed Practical and Licensed Vocational Nurses",
                      "Heavy and Tractor-Trailer Truck Drivers"],
            "Description": ["Assess patient health problems. Administer nursing care.",
                            "All managers not listed separately.",
                            "Care for ill, injured, or convalescing patients.",
                            "Drive a tractor-trailer combination. May be required to unload the truck."],
        }
    )


@pytest.fixture
def small_world() -> dict[str, pd.DataFrame]:
    """Two seekers (a Houston nurse; a Dallas truck driver with a second occupation who relocates),
    three jobs, two searches, by hand."""
    seekers = pd.DataFrame({
        SEEKER_ID: ["S1", "S2"], RESUME_ID: ["R1", "R2"],
        OCCUPATION_CODE: ["29-1141.00", "53-3032.00"], SECONDARY_OCCUPATION_CODE: [None, "53-3033.00"],
        TERTIARY_OCCUPATION_CODE: [None, None], CITY: ["Houston, TX", "Dallas, TX"],
        LATITUDE: [HOUSTON[0], DALLAS[0]], LONGITUDE: [HOUSTON[1], DALLAS[1]], RELOCATES: [False, True],
        YEARS_OF_EXPERIENCE: [3, 12], LEVEL: ["mid", "lead"], PAY_EXPECTATION: [60000.0, 50000.0],
    })
    jobs = pd.DataFrame({
        JOB_ID: ["J1", "J2", "J3"], TITLE: ["Registered Nurse", "Truck Driver", "Light Truck Driver"],
        DESCRIPTION: ["Care for patients in Houston.", "Drive a truck in Dallas.", "Drive a light truck."],
        POSTED_AT: [ts("2024-01-01"), ts("2024-01-01"), ts("2024-03-01")],
        SALARY_MIN: [60000.0, 40000.0, np.nan], SALARY_MAX: [60000.0, 60000.0, np.nan],
    })
    truth_jobs = pd.DataFrame({
        JOB_ID: ["J1", "J2", "J3"], OCCUPATION_CODE: ["29-1141.00", "53-3032.00", "53-3033.00"],
        CITY: ["Houston, TX", "Dallas, TX", "Houston, TX"], LATITUDE: [HOUSTON[0], DALLAS[0], HOUSTON[0]],
        LONGITUDE: [HOUSTON[1], DALLAS[1], HOUSTON[1]], REMOTE: [False, False, False],
        LEVEL: ["mid", "senior", "entry"], PAY_MIDPOINT: [60000.0, 50000.0, 45000.0],
        EMPLOYER_QUALITY: [1.0, 2.0, 0.5],
    })
    searches = pd.DataFrame({
        SEARCH_ID: ["Q1", "Q2"], SEEKER_ID: ["S1", "S2"], QUERY: ["nurse", "truck driver"],
        SEARCHED_AT: [ts("2024-01-10 08:00"), ts("2024-03-05 09:00")], EXPERIMENT: [None, None],
    })
    return {"seekers": seekers, "jobs": jobs, "truth_jobs": truth_jobs, "searches": searches}
