"""The economic model agrees with the simulator's mean within 5% per year (revenue, gross
margin, active customers at the year's end) on presets of three demand types.

The acceptance is measured at 200,000 customers and 4 replications for every preset
(`python -m apps.bench.economics`, benchmarks/economics_agreement.json). This test
keeps to a size the suite can afford (40,000 customers, 4 replications, the baseline
and the retention lever), so the simulated mean carries sampling noise: each year's
figure must lie within 5% of it plus 3 standard errors of that mean (estimated from
the replications, fixed seed).
"""

import numpy as np
import pytest

from apps.bench.economics import simulate
from apps.economics import economics_document
from scenarios.loader import ScenarioFile

CUSTOMERS, REPS, YEARS, Z = 40_000, 4, 3, 3.0
CASES = {"shoe_polish": "poisson", "telecom_subscription": "contractual",
         "baby_food": "recurrent"}


@pytest.mark.parametrize("name", list(CASES))
def test_model_within_five_percent_of_the_simulator(name):
    f = ScenarioFile(name)
    f.adjust(customers=CUSTOMERS, days=365 * YEARS)
    strategies = ["baseline", "retention_plus"]
    sim = simulate({s: f.resolve(s) for s in strategies}, REPS, 42, YEARS)
    for s in strategies:
        doc = economics_document(f, s, YEARS)
        for y in range(YEARS):
            for metric in ("revenue", "gross_margin", "active_customers"):
                v = np.asarray(sim[s][metric])[:, y]
                mean, se = v.mean(), v.std(ddof=1) / np.sqrt(REPS)
                model = doc["years"][y][metric]
                assert abs(model - mean) <= 0.05 * mean + Z * se, (s, y + 1, metric, model,
                                                                    mean, se)
