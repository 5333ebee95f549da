"""The kernels inside real simulations agree with the references, day after day.

A run is built with `scenarios.build.make_sim`; the funnel's and the e-mail campaign's
`step` are wrapped on the instance so that each day the state before the kernel is
copied, the kernel runs as usual, and the reference is applied to the copy with the
same keys. Every state array, every per-chunk accumulator row and the daily flows the
funnel reports must be bit-identical (the campaign's fatigue to float32 rounding, as
its decay table comes from numpy's power, the reference from Python's pow).
"""

import numpy as np
import pytest

import funnel_states as FS
import kernel_reference as R
from models import funnel_kernel as fk
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile
from scenarios.schema import Scenario

ALL_TYPES = {
    "name": "kernels_all_types",
    "horizon_days": 36,
    "base": {"customers": 3000, "history_days": 400,
             "history": {"potential": 0.3, "new": 0.15, "repeat": 0.15, "loyal": 0.15,
                         "lapsed": 0.15, "churned": 0.1}},
    "acquisition": {"inflow_per_day": 15, "arrive_as": "new"},
    "behaviour": {
        "purchase_rate": {"gamma": {"shape": 0.8, "rate": 12}},
        "dropout": {"beta": {"a": 0.8, "b": 2.4}},
        "spend": {"gamma_gamma": {"p": 6, "q": 4, "gamma": 30}},
        "orders_per_day": "poisson",
        "need_lifetime_days": {"gamma": {"shape": 2, "rate": 0.01}},
        "demand": {
            "poisson": {"share": 0.2},
            "recurrent": {"share": 0.2, "regularity": 3, "share_of_wallet": 0.8},
            "complementary": {"share": 0.15, "boost": 2.5, "window_days": 10},
            "situational": {"share": 0.15,
                            "monthly_intensity": [1.5, 0.5] + [1.0] * 10,
                            "occasions": [{"day_of_year": 10, "days": 5, "lift": 3}]},
            "impulse": {"share": 0.15, "organic_exposure": 0.2},
            "contractual": {"share": 0.15, "period_days": 14},
        },
        "stages": {"potential": {"buy": 0.5, "churn_hazard": 0.01},
                   "new": {"buy": 0.9, "churn_hazard": 0.01},
                   "lapsed": {"buy": 0.4, "churn_hazard": 0.02},
                   "won_back": {"buy": 1.2, "churn_hazard": 0.005, "price": 0.9}},
    },
    "funnel": {"lapsed_after_days": 20, "churned_after_days": 60, "won_back_stage": True},
    "economics": {"gross_margin": 0.3},
    "levers": {"premature_churn_multiplier": 1.2, "extra_purchases_per_year": 2.0},
    "mechanics": {"email_campaign": {"enabled": True, "every_days": 4, "response_rate": 0.3,
                                     "uplift": 2.0, "fatigue_step": 0.2},
                  "loyalty_discount": {"enabled": True}},
}


def bench_funnel():
    sf = ScenarioFile("bench_funnel")
    sf.adjust(customers=3000, days=30)
    return sf.resolve("baseline")


class Checker:
    """Wraps the modules' steps of one simulation and checks each day."""

    def __init__(self, sim):
        self.sim = sim
        self.funnel = sim.module("funnel")
        self.email = sim.module("email_campaign")
        self.funnel_days = self.email_days = 0
        self.buyers = self.responses = 0
        f_step, e_step = self.funnel.step, self.email.step
        self.funnel.step = lambda s, day: self.check_funnel(f_step, s, day)
        self.email.step = lambda s, day: self.check_email(e_step, s, day)

    def check_funnel(self, step, sim, day):
        c, f = sim.customers, self.funnel
        n = c.n
        S = {name: getattr(c, name)[:n].copy() for name in R.STATE_ORDER}
        arrival_acc = f.arrival_acc.copy()
        step(sim, day)
        dks = FS.day_keys(int(sim.seed_key), day)
        model = f.model()
        total = arrival_acc.copy()
        for ci in range((n + fk.CHUNK - 1) // fk.CHUNK):
            lo, hi = ci * fk.CHUNK, min((ci + 1) * fk.CHUNK, n)
            acc, counts, coh = R.reference_chunk(S, lo, hi, day, dks, model, f.n_cohorts)
            assert np.array_equal(f.acc[ci], acc), (day, f.acc[ci], acc)
            assert np.array_equal(f.chunk_counts[ci], counts)
            assert np.array_equal(f.chunk_coh[ci], coh)
            total += acc
        for name in R.STATE_ORDER:
            bad = np.flatnonzero(getattr(c, name)[:n] != S[name])
            assert bad.size == 0, (day, name, bad[:5])
        assert sim.results["new_revenue"][day] == total[R.A_REVENUE]
        assert sim.results["new_purchases"][day] == total[R.A_ORDERS]
        assert sim.results["new_churned_premature"][day] == total[R.A_DIED_PREMATURE]
        # the stocks are the (alive, stage) table of the arrays
        assert np.array_equal(f.counts, FS.stage_counts({k: getattr(c, k)[:n]
                                                         for k in ("flags", "stage")}))
        self.funnel_days += 1
        self.buyers += total[R.A_BUYERS]

    def check_email(self, step, sim, day):
        e, c = self.email, sim.customers
        sending = e._send_today
        n = c.n
        names = ("kh", "stage", "flags", "fatigue", "fatigue_day", "boost", "p_hi")
        Q = {name: getattr(c, name)[:n].copy() for name in names}
        step(sim, day)
        if not sending:
            for name in names:
                assert np.array_equal(getattr(c, name)[:n], Q[name])
            return
        p = e.params
        key = R.day_key(int(sim.seed_key), R.decision("email_campaign.response"), day)
        contacts, responses = R.email_send(n, day, key, Q["kh"], Q["stage"], Q["flags"],
                                           Q["fatigue"], Q["fatigue_day"], Q["boost"],
                                           Q["p_hi"], e._targets, p.fatigue_decay,
                                           p.response_rate, 1.0 + p.uplift, p.fatigue_step)
        assert sim.results["new_contacts"][day] == contacts
        assert sim.results["new_responses"][day] == responses
        np.testing.assert_allclose(c.fatigue[:n], Q["fatigue"], rtol=1e-6, atol=0)
        for name in ("kh", "stage", "flags", "fatigue_day", "boost", "p_hi"):
            assert np.array_equal(getattr(c, name)[:n], Q[name]), name
        self.email_days += 1
        self.responses += responses


@pytest.mark.parametrize("which", ["all_demand_types", "bench_funnel"])
def test_kernels_agree_with_references_in_a_run(which):
    sc = Scenario.model_validate(ALL_TYPES) if which == "all_demand_types" else bench_funnel()
    sim = make_sim(sc, seed=3)
    sim.init()
    email = sim.module("email_campaign")
    d = email.params.fatigue_decay
    assert np.allclose(email._decay, [d**k for k in range(email._decay.size)],
                       rtol=5e-16, atol=0)
    check = Checker(sim)
    sim.run()
    assert check.funnel_days == sc.horizon_days
    assert check.email_days >= 5 and check.responses > 100
    assert check.buyers > 300
    if which == "all_demand_types":
        kinds = np.bincount(sim.customers.dtype[:sim.customers.n], minlength=6)
        assert np.all(kinds > 100)


def test_buyer_arrivals_buy_at_most_once_on_their_arrival_day_with_single_orders():
    sc = Scenario.model_validate({
        "name": "arrive_as_new", "horizon_days": 5,
        "base": {"customers": 10, "history": {"potential": 1.0}},
        "acquisition": {"inflow_per_day": 200, "arrive_as": "new"},
        "behaviour": {"purchase_rate": 0.3, "spend": 100.0, "orders_per_day": "single"},
        "economics": {"gross_margin": 0.3}})
    sim = make_sim(sc, seed=1)
    sim.init()
    funnel = sim.module("funnel")
    step, twice = funnel.step, []

    def checked(s, day):
        c = s.customers
        new = np.flatnonzero((c.arrival[:c.n] == day) & (c.last[:c.n] == day))
        before = c.purchases[new].copy()
        step(s, day)
        twice.append(int((c.purchases[new] > before).sum()))

    funnel.step = checked
    sim.run()
    assert sum(twice) == 0, twice
