"""Replenishment (models/mechanics/replenishment.py): reminders go only to customers with
recurrent demand, timed to their next need, and they raise revenue where part of the
needs is bought elsewhere (share of wallet < 1), and only there."""

import numpy as np
import pytest

from helpers import scenario
from mechanics_common import SEEDS, recount_targets, rich, run_summary
from models.stages import POTENTIAL, RECURRENT
from scenarios.build import make_sim

OPEN = {"cost_per_contact": 0.3, "fatigue_step": 0.0}


@pytest.mark.parametrize("days_before", [[0], [0, 3]])
def test_reminders_go_to_recurrent_customers_on_their_due_days(days_before):
    """Recount from the state just before each send: buyers (not leads) with recurrent
    demand whose next need is `days_before` days away. Every one is reached (opt-in 1, no
    cap, no holdout); customers of the other demand types never are."""
    sc = rich(channels={"email": OPEN},
              mechanics={"replenishment": {"enabled": True, "days_before_need": days_before}})
    sim = make_sim(sc, 3)
    ahead = np.array(days_before)
    counts = recount_targets(sim, "replenishment", lambda c, n, day: (
        (c.stage[:n] != POTENTIAL) & (c.dtype[:n] == RECURRENT)
        & np.isin(c.due[:n] - day, ahead)))
    r = sim.run()
    contacts = r["new_contacts_replenishment"]
    assert contacts.sum() > 3000
    assert np.array_equal(contacts, counts["targets"])
    # nobody outside recurrent demand was ever touched
    c, n = sim.customers, sim.customers.n
    touched = c.touch_day[:n] > 0
    assert touched.sum() > 0 and np.all(c.dtype[:n][touched] == RECURRENT)
    assert np.array_equal(r["new_crm_cost_replenishment"], contacts * 0.3)


def recurrent_scenario(share_of_wallet, reminders):
    """Recurrent demand only, a need every ~20 days, `share_of_wallet` of it bought here;
    stage hazards and dropout give it a churn to beat."""
    mech = {"replenishment": {"enabled": True, "response_rate": 0.2, "uplift": 1.0}} \
        if reminders else {}
    return scenario(horizon_days=300,
                    base={"customers": 3000, "history": {"new": 0.3, "repeat": 0.3,
                                                         "loyal": 0.4},
                          "history_days": 200},
                    acquisition={"inflow_per_day": 10, "arrive_as": "new"},
                    behaviour={"purchase_rate": {"gamma": {"shape": 5.0, "rate": 100.0}},
                               "spend": 100.0, "orders_per_day": "single",
                               "dropout": {"beta": {"a": 1.0, "b": 30.0}},
                               "demand": {"recurrent": {"share": 1.0, "regularity": 4.0,
                                                        "share_of_wallet": share_of_wallet}},
                               "stages": {"new": {"churn_hazard": 0.005},
                                          "repeat": {"churn_hazard": 0.002},
                                          "loyal": {"churn_hazard": 0.001}}},
                    channels={"email": OPEN}, mechanics=mech)


def test_reminders_raise_revenue_when_needs_leak_elsewhere_in_every_seed():
    """Share of wallet 0.6: a responder's due-day purchase chance doubles (0.6 -> 1), so
    revenue and purchases are higher with the reminders, in every seed (common random
    numbers: the same seed with and without)."""
    for seed in SEEDS:
        _, _, without = run_summary(recurrent_scenario(0.6, False), seed)
        _, r, with_ = run_summary(recurrent_scenario(0.6, True), seed)
        assert r["cum_responses_replenishment"][-1] > 1000
        assert with_["revenue"] > without["revenue"], seed
        assert with_["purchases"] > without["purchases"], seed


def test_reminders_add_nothing_when_every_need_is_already_bought_here():
    """Share of wallet 1 (and stage purchase multipliers 1): every due need is bought here
    anyway, so the reminders cost money and change no purchase, bit for bit."""
    _, base, _ = run_summary(recurrent_scenario(1.0, False), 2)
    _, r, _ = run_summary(recurrent_scenario(1.0, True), 2)
    assert r["cum_responses_replenishment"][-1] > 1000
    for name in ("new_revenue", "new_purchases", "n_alive", "n_loyal", "new_churned_premature"):
        assert np.array_equal(r[name], base[name]), name
    assert r["cum_crm_cost"][-1] == pytest.approx(r["cum_contacts_replenishment"][-1] * 0.3)
