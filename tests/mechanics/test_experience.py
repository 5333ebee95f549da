"""Customer experience (models/mechanics/experience.py): it lowers premature churn in the
chosen stages, can never touch natural churn, and its yearly budget is booked every day
and grows with the size of the business (--customers)."""

import numpy as np
import pytest
import yaml

from helpers import scenario
from mechanics_common import SEEDS, assert_same_funnel, rich, run_summary
from scenarios.loader import ScenarioFile


def experience(**kw):
    return {"experience": {"enabled": True, **kw}}


def test_it_lowers_premature_churn_in_every_seed():
    """Same seed with and without (common random numbers): halving the daily hazard of
    the active stages leaves fewer premature dropouts, more customers alive and more
    revenue, in every seed."""
    for seed in SEEDS:
        _, _, without = run_summary(rich(), seed)
        _, _, with_ = run_summary(rich(mechanics=experience(churn_multiplier=0.5)), seed)
        assert with_["churned_premature"] < without["churned_premature"], seed
        assert with_["alive_customers_end"] > without["alive_customers_end"], seed
        assert with_["revenue"] > without["revenue"], seed


def natural_only(**mech):
    """Churn is natural only: every need ends (need_lifetime_days), no stage hazard, no
    dropout after purchases."""
    return scenario(horizon_days=400,
                    base={"customers": 3000, "history": {"new": 0.3, "repeat": 0.3,
                                                         "loyal": 0.4}, "history_days": 200},
                    acquisition={"inflow_per_day": 8, "arrive_as": "new"},
                    behaviour={"purchase_rate": {"gamma": {"shape": 2.0, "rate": 40.0}},
                               "spend": 100.0, "dropout": 0.0,
                               "need_lifetime_days": {"uniform": [30, 500]}},
                    mechanics=mech)


def test_it_never_changes_natural_churn():
    """With only natural churn, a strong experience programme (hazard x0.1 in every
    stage) changes nothing customers do: natural churn, revenue and every stage stock are
    bit-identical; only its budget is added to the CRM cost."""
    _, base, b = run_summary(natural_only(), 3)
    _, r, s = run_summary(natural_only(**experience(
        churn_multiplier=0.1, budget_per_year=36500.0,
        stages=["potential", "new", "repeat", "loyal", "lapsed", "churned", "won_back"])), 3)
    assert b["churned_natural"] > 1000 and b["churned_premature"] == 0
    assert np.array_equal(r["new_churned_natural"], base["new_churned_natural"])
    assert_same_funnel(r, base)
    assert s["crm_cost"] == pytest.approx(b["crm_cost"] + 400 * 100.0)


def test_it_acts_only_in_its_stages():
    """Only 'new' customers have a premature hazard here; an experience programme for
    the loyal stage alone changes nothing, bit for bit."""
    sc = dict(behaviour={"purchase_rate": {"gamma": {"shape": 2.0, "rate": 40.0}},
                         "spend": 100.0, "stages": {"new": {"churn_hazard": 0.01}}},
              base={"customers": 3000, "history": {"new": 0.5, "loyal": 0.5},
                    "history_days": 200}, horizon_days=300)
    _, base, _ = run_summary(scenario(**sc), 5)
    _, r, _ = run_summary(scenario(**sc, mechanics=experience(churn_multiplier=0.2,
                                                              stages=["loyal"])), 5)
    _, helped, _ = run_summary(scenario(**sc, mechanics=experience(churn_multiplier=0.2,
                                                                   stages=["new"])), 5)
    assert base["cum_churned_premature"][-1] > 200
    assert_same_funnel(r, base)
    assert helped["cum_churned_premature"][-1] < base["cum_churned_premature"][-1]


def test_the_budget_is_booked_every_day():
    """budget_per_year / 365 on every day of the run, in the mechanic's own cost flow
    and in the total."""
    _, r, s = run_summary(rich(mechanics=experience(budget_per_year=73000.0)), 1)
    assert np.all(r["new_crm_cost_experience"] == 200.0)
    assert np.all(r["new_crm_cost"] == 200.0)
    assert s["crm_cost"] == pytest.approx(200.0 * 240)


def test_the_budget_scales_with_customers(tmp_path):
    """The budget is per base.customers: doubling the business (--customers, i.e.
    ScenarioFile.adjust) doubles it, in the baseline and in a strategy that sets it."""
    data = {"name": "exp", "horizon_days": 30,
            "base": {"customers": 1000, "history": {"new": 1.0}},
            "behaviour": {"purchase_rate": 0.02, "spend": 100.0},
            "economics": {"gross_margin": 0.3},
            "mechanics": {"experience": {"enabled": True, "budget_per_year": 36500.0}},
            "strategies": {"baseline": {},
                           "more": {"overrides": {
                               "mechanics.experience.budget_per_year": 73000.0}}}}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data))
    f = ScenarioFile(str(path))
    assert f.scenario.mechanics.experience.budget_per_year == 36500.0
    f.adjust(customers=2000)
    assert f.scenario.base.customers == 2000
    assert f.scenario.mechanics.experience.budget_per_year == 73000.0
    assert f.resolve("more").mechanics.experience.budget_per_year == 146000.0
    _, r, _ = run_summary(f.resolve("baseline"), 1)
    assert np.all(r["new_crm_cost_experience"] == 200.0)
