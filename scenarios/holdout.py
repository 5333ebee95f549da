"""Simulate a calibrated scenario over the holdout: the simulator's side of the check.

The day-0 base is the log's customers at the calibration end; with the inflow off, each
order they place in the holdout is a repeat purchase, so the sum of the daily orders is
the simulator's count to lay beside the actual count and the BG/NBD's expectation.
"""

from __future__ import annotations

import copy

import numpy as np

from scenarios.build import make_sim
from scenarios.schema import Scenario
from sim.ensemble import Ensemble


def holdout_scenario(data: dict, days: int) -> Scenario:
    """The calibrated baseline, `days` long, without arrivals or other strategies."""
    data = copy.deepcopy(data)
    data["horizon_days"] = int(days)
    data["acquisition"] = dict(data.get("acquisition", {}), inflow_per_day=0.0)
    data["strategies"] = {"baseline": {}}
    return Scenario.model_validate(data)


def simulate_repeat(data: dict, days: int, reps: int, seed: int) -> dict:
    """Repeat purchases of the base over `days`: mean, p05-p95 band, SD and SE."""
    sc = holdout_scenario(data, days)
    ensemble = Ensemble(lambda _strategy, s: make_sim(sc, s),
                        lambda sim: {"repeat": float(sim.results["new_purchases"].sum())},
                        ["baseline"], reps, seed)
    values = np.array([run.summary["repeat"] for run in ensemble.run().runs])
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "lo": float(np.quantile(values, 0.05)),
            "hi": float(np.quantile(values, 0.95)), "sd": sd,
            "se": sd / np.sqrt(values.size), "reps": int(values.size)}
