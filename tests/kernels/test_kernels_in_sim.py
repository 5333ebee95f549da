"""The kernels inside real simulations agree with the references, day after day.

A run is built with `scenarios.build.make_sim`; the funnel's and the e-mail campaign's
`step` are wrapped on the instance so that each day the state before the kernel is
copied, the kernel runs as usual, and the reference is applied to the copy with the
same keys. Every state array, every per-chunk accumulator row and the daily flows the
funnel reports must be bit-identical. The campaign sends through the channel layer
(`Sender.send` -> `contact_kernel.deliver`); its replay is
`kernel_reference.contact_chunks` with the send's parameters rebuilt from the scenario
and the channel module's own decay table (checked against Python's pow), so fatigue
agrees bit for bit too.
"""

import numpy as np
import pytest

import funnel_states as FS
import contact_reference as CR
import day_reference as D
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
    "channels": {"email": {"optin_share": 0.85, "deliverability": 0.95, "open_rate": 0.7,
                           "cost_per_contact": 0.2, "unsubscribe_rate": 0.01,
                           "fatigue_step": 0.2, "irrelevant_fatigue_step": 0.3},
                 "sms": {"optin_share": 0.4}},
    "contact_policy": {"fatigue_decay_per_day": 0.95},
    "mechanics": {"email_campaign": {"enabled": True, "every_days": 4, "response_rate": 0.3,
                                     "uplift": 2.0, "relevance": 0.8, "holdout_share": 0.1,
                                     "stages": ["potential", "new", "repeat", "loyal",
                                                "lapsed", "won_back"]},
                  "loyalty_discount": {"enabled": True}},
}


def all_types_capped():
    """ALL_TYPES under a cap of 1.5 contacts a week (every_days 4 runs into it)."""
    data = {**ALL_TYPES, "contact_policy": {"fatigue_decay_per_day": 0.95,
                                            "max_contacts_per_week": 1.5}}
    return Scenario.model_validate(data)


def bench_funnel():
    sf = ScenarioFile("bench_funnel")
    sf.adjust(customers=3000, days=30)
    return sf.resolve("baseline")


class Checker:
    """Wraps the modules' steps of one simulation and checks each day."""

    def __init__(self, sim, sc):
        self.sim, self.sc = sim, sc
        self.funnel = sim.module("funnel")
        self.email = sim.module("email_campaign")
        self.channels = sim.module("channels")
        self.funnel_days = self.email_days = 0
        self.buyers = self.responses = self.capped = 0
        f_step, e_step = self.funnel.step, self.email.step
        self.funnel.step = lambda s, day: self.check_funnel(f_step, s, day)
        self.email.step = lambda s, day: self.check_email(e_step, s, day)

    def check_funnel(self, step, sim, day):
        c, f = sim.customers, self.funnel
        n = c.n
        S = {name: getattr(c, name)[:n].copy() for name in R.STATE_ORDER}
        arrival_acc = f.arrival_acc.copy()
        listed = f.listed.copy()
        step(sim, day)
        dks = FS.day_keys(int(sim.seed_key), day)
        model = f.model()
        total = arrival_acc.copy()
        for ci in range((n + fk.CHUNK - 1) // fk.CHUNK):
            lo, hi = ci * fk.CHUNK, min((ci + 1) * fk.CHUNK, n)
            acc, counts, coh = D.reference_chunk(S, lo, hi, day, dks, model, f.n_cohorts)
            assert np.array_equal(f.acc[ci], acc), (day, f.acc[ci], acc)
            assert np.array_equal(f.chunk_counts[ci], counts)
            assert np.array_equal(f.chunk_coh[ci], coh)
            total += acc
        D.release_listed(S, listed, fk.CHUNK)
        assert not f.listed[:, 0].any()
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

    def send_parameters(self):
        """(bit, chan, mech, rule) of the campaign's send, from the scenario alone."""
        p = self.email.params
        spec = self.sc.channels[p.channel]
        cap = self.sc.contact_policy.max_contacts_per_week
        chan = (spec.deliverability, spec.open_rate, spec.unsubscribe_rate,
                spec.fatigue_step, spec.irrelevant_fatigue_step)
        mech = (p.response_rate, 1.0 + p.uplift, p.relevance, p.holdout_share,
                0.0 if cap is None else cap / 7, 0.0, 0.0)
        return (1 << CR.CHANNEL_ORDER.index(p.channel), chan, mech,
                CR.rule_tables(stages=tuple(p.stages)))

    def check_email(self, step, sim, day):
        e, c, r = self.email, sim.customers, sim.results
        sending = e._send_today
        n = c.n
        marks = self.channels.marks.get("email_campaign")
        names = CR.KERNEL_ORDER + CR.CONTACT_ORDER + ((marks,) if marks else ())
        Q = {name: getattr(c, name)[:n].copy() for name in names}
        Q[CR.MARKS] = Q[marks] if marks else np.zeros(n, dtype=np.uint8)
        flows = ("new_contacts", "new_responses", "new_unsubscribes", "new_crm_cost",
                 "new_crm_cost_email", "new_contacts_email_campaign",
                 "new_crm_cost_email_campaign", "n_reachable_email")
        before = {k: r[k][day] for k in flows}
        listed = self.funnel.listed.copy()
        step(sim, day)
        if not sending:
            for name in names:
                assert np.array_equal(getattr(c, name)[:n], Q[name])
            for k in flows:
                assert r[k][day] == before[k], k
            return
        bit, chan, mech, rule = self.send_parameters()
        key = R.day_key(int(sim.seed_key), R.decision("send.email_campaign"), day)
        hold = R.day_key(int(sim.seed_key), R.decision("holdout.email_campaign"), 0)
        mbit = 1 if marks else 0
        visits = (FS.day_keys(int(sim.seed_key), day)[R.K_EVENT],
                  CR.exposure_lift(self.funnel.behaviour.dem_tab), listed)
        rows = CR.contact_chunks(n, day, key, hold, bit, mbit, Q, self.channels.decay, chan, mech,
                                rule, visits)
        assert np.array_equal(self.funnel.listed[:listed.shape[0]], listed)
        assert np.array_equal(e._sender.out[:rows.shape[0]], rows), (day, rows)
        for name in names:
            bad = np.flatnonzero(getattr(c, name)[:n] != Q[name])
            assert bad.size == 0, (day, name, bad[:5])
        t = rows.sum(axis=0)
        cost = self.sc.channels[e.params.channel].cost_per_contact
        delta = {k: r[k][day] - before[k] for k in flows}
        assert delta["new_contacts"] == delta["new_contacts_email_campaign"] == t[CR.O_SENT]
        assert delta["new_responses"] == t[CR.O_RESPONSES]
        assert delta["new_unsubscribes"] == t[CR.O_UNSUBSCRIBES]
        assert delta["n_reachable_email"] == -t[CR.O_UNSUBSCRIBES]
        assert (delta["new_crm_cost"] == delta["new_crm_cost_email"]
                == delta["new_crm_cost_email_campaign"] == t[CR.O_SENT] * cost)
        self.email_days += 1
        self.responses += t[CR.O_RESPONSES]
        self.capped += t[CR.O_CAPPED]


CASES = ["all_demand_types", "bench_funnel", "all_demand_types_capped"]


@pytest.mark.parametrize("which", CASES)
def test_kernels_agree_with_references_in_a_run(which):
    sc = {"all_demand_types": lambda: Scenario.model_validate(ALL_TYPES),
          "all_demand_types_capped": all_types_capped, "bench_funnel": bench_funnel}[which]()
    sim = make_sim(sc, seed=3)
    sim.init()
    d = sc.contact_policy.fatigue_decay_per_day
    table = sim.module("channels").decay
    assert np.allclose(table, [d**k for k in range(table.size)], rtol=5e-16, atol=0)
    check = Checker(sim, sc)
    sim.run()
    assert check.funnel_days == sc.horizon_days
    assert check.email_days >= 5 and check.responses > 100
    assert check.buyers > 300
    if which == "all_demand_types_capped":
        assert check.capped > 100
    if which != "bench_funnel":
        assert sim.results["cum_unsubscribes"][-1] > 0
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
