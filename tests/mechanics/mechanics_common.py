"""Shared pieces of the mechanics tests: a rich base scenario, recounts of a mechanic's
targets from the customer state, paired runs and the funnel series compared bit for bit.

Every test here runs small simulations with fixed seeds. Where a count is random the
tolerance is stated in standard errors of that count; where two strategies are compared
they share the seed (common random numbers), so the paired difference is the strategy's
doing and the test asks for its sign in every one of several seeds rather than for a
tolerance.
"""

import numpy as np

from helpers import scenario
from models.metrics import summarize
from models.stages import ALIVE, STAGES
from scenarios.build import make_sim

SEEDS = (1, 2, 3, 4, 5)

# A business with every route that a mechanic could touch: a history mix (lapsed and
# churned customers, some alive), an inflow of buyers, Poisson, recurrent, impulse and
# complementary demand, stage hazards, BG/NBD dropout, natural churn and Gamma-Gamma spend.
RICH = {
    "horizon_days": 240,
    "base": {"customers": 3000,
             "history": {"potential": 0.1, "new": 0.15, "repeat": 0.15, "loyal": 0.2,
                         "lapsed": 0.2, "churned": 0.2},
             "history_days": 400, "lapsed_alive_share": 0.5, "churned_alive_share": 0.3},
    "acquisition": {"inflow_per_day": 12.5, "arrive_as": "new", "cac": 50.0,
                    "paid_share": 0.6},
    "behaviour": {
        "purchase_rate": {"gamma": {"shape": 2.0, "rate": 60.0}},
        "dropout": {"beta": {"a": 1.0, "b": 12.0}},
        "spend": {"gamma_gamma": {"p": 6.0, "q": 4.0, "gamma": 50.0}},
        "need_lifetime_days": {"uniform": [200, 900]},
        "demand": {"poisson": {"share": 0.3},
                   "recurrent": {"share": 0.3, "regularity": 3.0, "share_of_wallet": 0.6},
                   "impulse": {"share": 0.2, "organic_exposure": 0.3},
                   "complementary": {"share": 0.2, "boost": 2.0, "window_days": 20}},
        "stages": {"potential": {"buy": 0.3, "churn_hazard": 0.002},
                   "new": {"buy": 0.8, "churn_hazard": 0.006},
                   "repeat": {"churn_hazard": 0.002},
                   "loyal": {"buy": 1.2, "churn_hazard": 0.001},
                   "lapsed": {"buy": 0.5, "churn_hazard": 0.004},
                   "churned": {"buy": 0.3, "churn_hazard": 0.004},
                   "won_back": {"churn_hazard": 0.003}},
    },
    "funnel": {"loyal_after_purchases": 4, "lapsed_after_days": 60,
               "churned_after_days": 150},
    "economics": {"gross_margin": 0.3},
    "channels": {"email": {"optin_share": 0.8, "deliverability": 0.95, "open_rate": 0.5,
                           "cost_per_contact": 0.2, "unsubscribe_rate": 0.002}},
}

# Daily series of the funnel (what customers do): bit-identical when a mechanic has no
# effect. The contact state (fatigue, opt-ins, contacts, CRM cost) may differ.
FUNNEL_SERIES = ("new_revenue", "new_gross_margin", "new_discounts", "new_purchases",
                 "new_buyers", "new_first_purchases", "new_repeat_purchases",
                 "new_churned_premature", "new_churned_natural", "new_won_back",
                 "n_alive", "n_active", "n_lapsed_alive", "n_churned_alive",
                 *("n_" + s for s in STAGES))


def rich(**sections):
    """RICH with sections replaced (nested dicts merge one level deep)."""
    data = {**RICH}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return scenario(**data)


def run_summary(sc, seed=1):
    """(sim, results, summary) of one run."""
    sim = make_sim(sc, seed)
    results = sim.run()
    return sim, results, summarize(sim, sc.economics.discount_rate_per_year)


def assert_same_funnel(a, b):
    """Two runs' funnel series are bit-identical, day by day."""
    for name in FUNNEL_SERIES:
        assert np.array_equal(a[name], b[name]), name


def recount_targets(sim, mechanic: str, picks):
    """Wrap `mechanic.step` to recount, just before each send, its targets from the
    customer state: `picks(customers, n, day) -> bool mask`. Returns a dict of daily
    arrays 'targets' and 'alive' (targets who are latently alive), filled by the run."""
    mech = sim.module(mechanic)
    step = mech.step
    counts = {"targets": np.zeros(sim.days), "alive": np.zeros(sim.days)}

    def recount(s, day):
        if mech.sends_today(day):
            c, n = s.customers, s.customers.n
            mask = picks(c, n, day)
            counts["targets"][day] = np.count_nonzero(mask)
            counts["alive"][day] = np.count_nonzero(mask & ((c.flags[:n] & ALIVE) != 0))
            mech.sends_today = lambda d, _day=day: d == _day   # the schedule fired already
            try:
                step(s, day)
            finally:
                del mech.sends_today
        else:
            step(s, day)

    mech.step = recount
    return counts
