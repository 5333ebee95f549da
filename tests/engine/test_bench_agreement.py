"""The bench_funnel preset agrees in distribution with an independent implementation.

`apps.bench.reference_numpy` implements the benchmark specification with numpy's own
generator; the engine uses counter-based streams, so the two agree in distribution,
not bit for bit. Over K seeds each, the difference of means of every output must lie
within 4 standard errors (SE from the spread across seeds of both implementations).
"""

import numpy as np
import pytest

from apps.bench.reference_numpy import simulate_bench_funnel
from models.stages import STAGES
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile

N, DAYS, K = 20_000, 365, 8


def engine_outcome(seed: int) -> dict:
    f = ScenarioFile("bench_funnel")
    f.adjust(customers=N, days=DAYS)
    sim = make_sim(f.resolve("baseline"), seed)
    results = sim.run()
    counts = sim.module("funnel").counts
    out = {"mean_daily_revenue": results["new_revenue"].mean()}
    for s, name in enumerate(STAGES):
        if name not in ("churned", "won_back"):
            out[name] = counts[1, s]
    out["churned"] = counts[0].sum()
    return out


def reference_outcome(seed: int) -> dict:
    ref = simulate_bench_funnel(N, DAYS, seed=seed)
    return {"mean_daily_revenue": ref.daily_revenue.mean(), **ref.stage_counts_end}


@pytest.fixture(scope="module")
def outcomes():
    return ([engine_outcome(1000 + k) for k in range(K)],
            [reference_outcome(2000 + k) for k in range(K)])


@pytest.mark.parametrize("output", ["mean_daily_revenue", "potential", "new", "repeat",
                                    "loyal", "lapsed", "churned"])
def test_engine_matches_reference(outcomes, output):
    engine = np.array([o[output] for o in outcomes[0]], dtype=np.float64)
    reference = np.array([o[output] for o in outcomes[1]], dtype=np.float64)
    se = np.sqrt(engine.var(ddof=1) / K + reference.var(ddof=1) / K)
    assert abs(engine.mean() - reference.mean()) < 4 * se, (engine.mean(), reference.mean(), se)
