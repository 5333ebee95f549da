"""Experiments of one process share the parsed base scenario (apps/sweep/experiment.py)
and each adjusts its own copy: an experiment's overrides never reach the next one."""

from pathlib import Path

from apps.sweep.experiment import SweepScenario, _parsed, run_experiment

CHURN = "levers.premature_churn_multiplier"


def test_an_experiments_overrides_stay_its_own():
    text = (Path(__file__).parents[2] / "scenarios/presets/baby_food.yaml").read_text()
    scenario = SweepScenario(text, "baby_food.yaml", 500, 60, ("baseline", "retention_plus"))
    first = run_experiment(scenario, {}, 3)
    changed = run_experiment(scenario, {CHURN: 0.3}, 3)
    again = run_experiment(scenario, {}, 3)
    assert changed["baseline"]["revenue"] != first["baseline"]["revenue"]
    assert again == first
    base = _parsed(text, "baby_food.yaml")
    assert base._adjust == {} and base._customers is None
