"""Small builders shared by the tests: scenarios from dicts, runs with state kept."""

import copy

from models.metrics import summarize
from scenarios.build import make_sim
from scenarios.schema import Scenario

MINIMAL = {
    "name": "test",
    "horizon_days": 60,
    "base": {"customers": 2000, "history": {"potential": 1.0}},
    "behaviour": {"purchase_rate": 0.02, "spend": 100.0},
    "economics": {"gross_margin": 0.3},
}


def scenario(**sections) -> Scenario:
    """MINIMAL with sections replaced (nested dicts merge one level deep)."""
    data = copy.deepcopy(MINIMAL)
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Scenario.model_validate(data)


def run(sc: Scenario, seed: int = 1):
    """(sim, results, summary) of one run."""
    sim = make_sim(sc, seed)
    results = sim.run()
    return sim, results, summarize(sim, sc.economics.discount_rate_per_year)
