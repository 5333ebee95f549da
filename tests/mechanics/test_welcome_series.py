"""Welcome series (models/mechanics/welcome_series.py): messages go only to customers in
the 'new' stage on the configured days after their first purchase, and a real effect
turns more first purchases into second ones."""

import numpy as np
import pytest
from numba import njit

from helpers import scenario
from mechanics_common import SEEDS, recount_targets, rich, run_summary
from models.stages import NEW
from scenarios.build import make_sim
from sim.streams import day_keys, decision, mix, uniform32


@njit
def held_out(kh, key, share):
    """The control group's draw, as the contact kernel makes it."""
    out = np.empty(kh.size, dtype=np.bool_)
    for i in range(kh.size):
        out[i] = uniform32(mix(kh[i] ^ key)) < share
    return out


def arrivals_scenario(days_after, **mech):
    """Everybody arrives as a buyer (an uneven 23.7 a day); the day-0 base are leads who
    never buy; repeat purchases are rare (1e-4 a day), so nearly every arrival is still
    'new' k days later; everyone opted in, no cap, no holdout."""
    return scenario(horizon_days=200,
                    base={"customers": 500, "history": {"potential": 1.0}},
                    acquisition={"inflow_per_day": 23.7, "arrive_as": "new"},
                    behaviour={"purchase_rate": 1e-4, "spend": 100.0,
                               "orders_per_day": "single",
                               "stages": {"potential": {"buy": 0.0},
                                          "new": {"churn_hazard": 0.01}}},
                    mechanics={"welcome_series": {"enabled": True,
                                                  "days_after_first_purchase": days_after,
                                                  **mech}})


@pytest.mark.parametrize("days_after", [[0], [6], [3, 11, 40]])
def test_contacts_are_the_arrivals_k_days_before(days_after):
    """On day t the series contacts the arrivals of day t - k (for each k of the series)
    who are still 'new', i.e. have not bought a second time before day t (the send comes
    before the day's purchases). From the final state: a customer with one purchase was
    new throughout; one with two was new until the day of the second (its last); one with
    three or more is unknown, so the count is bracketed, and the bracket is tight."""
    sc = arrivals_scenario(days_after)
    sim, r, _ = run_summary(sc, seed=3)
    c, n = sim.customers, sim.customers.n
    arrival, purchases, last = c.arrival[:n], c.purchases[:n], c.last[:n]
    contacts = r["new_contacts_welcome_series"]
    inflow = r["new_arrivals"]
    lower = np.zeros(sc.horizon_days)
    upper = np.zeros(sc.horizon_days)
    for t in range(sc.horizon_days):
        for k in days_after:
            if t - k < 0:
                continue
            cohort = arrival == t - k
            assert cohort.sum() == inflow[t - k]
            sure = cohort & ((purchases == 1) | ((purchases == 2) & (last >= t)))
            lower[t] += sure.sum()
            upper[t] += sure.sum() + (cohort & (purchases >= 3)).sum()
    assert np.all(lower <= contacts) and np.all(contacts <= upper)
    assert (upper - lower).sum() <= 2                    # the bracket is (nearly) exact
    assert contacts.sum() > 0.9 * sum(inflow[: sc.horizon_days - k].sum() for k in days_after)
    assert np.all(contacts[: min(days_after)] == 0)


def test_targets_are_new_customers_on_the_set_days_in_a_rich_base():
    """Recount from the state just before each send: stage 'new' and days since the
    (first and only) purchase in the series. Every target is reached (opt-in 1, no cap,
    no holdout); only alive ones respond, and with no fatigue (step 0) and every message
    read, responses ~ Binomial(alive targets, response_rate): within 4 SE."""
    days = [1, 4, 10, 21]
    sc = rich(channels={"email": {"cost_per_contact": 0.2, "fatigue_step": 0.0}},
              mechanics={"welcome_series": {"enabled": True, "response_rate": 0.3,
                                            "days_after_first_purchase": days}})
    sim = make_sim(sc, 2)
    days_arr = np.array(days)
    counts = recount_targets(sim, "welcome_series", lambda c, n, day: (
        (c.stage[:n] == NEW) & np.isin(day - c.last[:n], days_arr)))
    r = sim.run()
    contacts = r["new_contacts_welcome_series"]
    responses = r["new_responses_welcome_series"]
    assert contacts.sum() > 2000
    assert np.array_equal(contacts, counts["targets"])
    assert np.all(responses <= counts["alive"])
    alive = counts["alive"].sum()
    p = 0.3
    assert abs(responses.sum() - p * alive) < 4 * np.sqrt(alive * p * (1 - p))
    assert np.array_equal(r["new_crm_cost_welcome_series"], contacts * 0.2)


def welcome_effect_scenario(uplift, holdout=0.0):
    """Poisson buyers arriving as new (fixed check), a high churn hazard while 'new': the
    weeks after the first purchase decide whether a second one comes."""
    mech = {} if uplift is None else {"welcome_series": {
        "enabled": True, "response_rate": 0.3, "uplift": uplift, "holdout_share": holdout,
        "days_after_first_purchase": [1, 4, 10, 21]}}
    return scenario(horizon_days=300, base={"customers": 1000, "history": {"new": 1.0},
                                            "history_days": 30},
                    acquisition={"inflow_per_day": 20, "arrive_as": "new"},
                    behaviour={"purchase_rate": {"gamma": {"shape": 2.0, "rate": 200.0}},
                               "spend": 100.0,
                               "stages": {"new": {"churn_hazard": 0.01}}},
                    mechanics=mech)


def test_a_real_effect_raises_the_repeat_rate_in_every_seed():
    """Same seed with and without the series (common random numbers): the repeat rate of
    the run's first-time buyers is higher with an uplift of 4, in every seed; with an
    uplift of 0 it is exactly the same (responses change nothing for Poisson demand)."""
    for seed in SEEDS:
        _, _, without = run_summary(welcome_effect_scenario(None), seed)
        _, _, neutral = run_summary(welcome_effect_scenario(0.0), seed)
        _, r, with_ = run_summary(welcome_effect_scenario(4.0), seed)
        assert r["cum_responses_welcome_series"][-1] > 300
        assert with_["repeat_rate"] > without["repeat_rate"], seed
        assert neutral["repeat_rate"] == without["repeat_rate"]
        assert with_["revenue"] > without["revenue"]


def test_the_holdout_group_is_a_true_control_group():
    """holdout_share 0.3: the held-out customers (a stable draw per customer: uniform of
    key ^ the mechanic's holdout key below 0.3) are never contacted, and each of them
    buys exactly what they buy in the run without the series, to the cent; the treated
    ones buy more. So comparing the groups measures the series' effect."""
    base_sim, _, _ = run_summary(welcome_effect_scenario(None), 6)
    sim, r, _ = run_summary(welcome_effect_scenario(4.0, holdout=0.3), 6)
    c, n = sim.customers, sim.customers.n
    assert n == base_sim.customers.n
    hold_key = day_keys(sim.seed_key, np.array([decision("holdout.welcome_series")],
                                               dtype=np.uint64), 0)[0]
    held = held_out(c.kh[:n], hold_key, 0.3)
    assert abs(held.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    assert np.all(c.touch_day[:n][held] == 0) and np.all(c.fatigue[:n][held] == 0)
    b = base_sim.customers
    for state in ("purchases", "revenue", "last", "stage", "flags"):
        assert np.array_equal(getattr(c, state)[:n][held], getattr(b, state)[:n][held]), state
    treated = ~held & (c.touch_day[:n] > 0)
    assert treated.sum() > 3000 and r["cum_responses_welcome_series"][-1] > 300
    assert c.purchases[:n][treated].sum() > b.purchases[:n][treated].sum()
