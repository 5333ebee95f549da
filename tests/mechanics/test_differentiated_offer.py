"""Differentiated offer: personal discounts to the customers who need a stimulus, against
a blanket promo of the same depth and pull.

The shop has heterogeneous purchase rates (Gamma), so some buyers would buy in the
offer's window anyway and others would not: exactly what targeting is about. Paired
comparisons share the seed (common random numbers) and ask for the sign in every seed.
"""

import numpy as np
import pytest

from helpers import run, scenario
from models import offer_targeting as ot
from scenarios.build import make_sim

DEPTH, PULL, DAYS = 0.2, 0.03, 14


def shop(**mechanics):
    return scenario(
        horizon_days=120,
        base={"customers": 6000, "history": {"new": 0.3, "repeat": 0.4, "loyal": 0.3},
              "history_days": 300},
        behaviour={"purchase_rate": {"gamma": {"shape": 1.0, "rate": 40.0}}, "spend": 100.0,
                   "dropout": {"beta": {"a": 1.0, "b": 20.0}}},
        economics={"gross_margin": 0.35},
        channels={"email": {"optin_share": 1.0, "cost_per_contact": 0.1}},
        mechanics=mechanics)


def offer(**changes):
    return {"differentiated_offer": {"enabled": True, "discount": DEPTH, "response": PULL,
                                     "valid_days": DAYS, "start_day": 30, "every_days": 200,
                                     "reach_share": 0.3, "precision": 1.0, **changes}}


def promo():
    return {"blanket_promo": {"enabled": True, "discount": DEPTH, "response": PULL,
                              "start_day": 30, "every_days": 200, "duration_days": DAYS}}


def test_picks_are_the_top_share_by_need_and_only_they_get_the_offer():
    sim = make_sim(shop(**offer()), 1)
    mech = sim.module("differentiated_offer")
    seen = {}
    pick = mech.pick

    def spy(s, day):
        idx = mech.eligible(s, day)
        need = np.empty(idx.size)
        c, b = s.customers, mech.funnel.behaviour
        ot.need(idx, day, DAYS, c.flags, c.stage, c.dtype, c.lam, c.rel_buy, c.due,
                b.stage_tab, b.dem_tab, mech.funnel.par, need)
        picks = pick(s, day)
        seen.update(day=day, idx=idx, need=need, picks=picks)
        return picks

    mech.pick = spy
    r = sim.run()
    idx, need, picks = seen["idx"], seen["need"], seen["picks"]
    assert seen["day"] == 30 and picks.size == round(0.3 * idx.size)
    chosen = np.isin(idx, picks)
    assert need[chosen].min() >= need[~chosen].max()        # precision 1: the oracle
    c = sim.customers
    holders = np.flatnonzero(c.offer_end[: c.n] == 30 + DAYS)
    assert np.all(np.isin(holders, picks))                  # only picks hold the offer
    assert holders.size == r["new_responses_differentiated_offer"][30]
    assert r["new_offers_picked"][30] == picks.size


def test_precision_zero_picks_at_random():
    """Random targeting: the picks' mean need is the eligible mean within 4 SE."""
    sim = make_sim(shop(**offer(precision=0.0)), 2)
    mech = sim.module("differentiated_offer")
    sim.init()
    for day in range(30):
        sim.day = day
        for modules in sim._by_phase:
            for m in modules:
                m.step(sim, day)
    idx = mech.eligible(sim, 30)
    need = np.empty(idx.size)
    c, b = sim.customers, mech.funnel.behaviour
    ot.need(idx, 30, DAYS, c.flags, c.stage, c.dtype, c.lam, c.rel_buy, c.due, b.stage_tab,
            b.dem_tab, mech.funnel.par, need)
    picked = np.isin(idx, mech.pick(sim, 30))
    k = picked.sum()
    se = need.std() * np.sqrt((1 - k / idx.size) / k)       # sampling without replacement
    assert abs(need[picked].mean() - need.mean()) < 4 * se


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_blanket_discount_loses_margin_against_a_differentiated_offer(seed):
    """Same depth, pull and days: the promo discounts every order of everyone, most of
    them bought anyway; the offer discounts only those picked for needing it."""
    _, _, blanket = run(shop(**promo()), seed)
    _, _, targeted = run(shop(**offer()), seed)
    assert targeted["gross_margin"] > blanket["gross_margin"]
    assert targeted["offer_discounts_anyway"] < blanket["offer_discounts_anyway"]
    assert targeted["offer_buyers_anyway_share"] < blanket["offer_buyers_anyway_share"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_precision_pays_at_the_same_reach(seed):
    """The same number of offers, picked by a perfect model or at random: the random
    pick gives more of the discount to people who would have bought anyway."""
    _, _, random = run(shop(**offer(precision=0.0)), seed)
    _, _, precise = run(shop(**offer(precision=1.0)), seed)
    assert precise["offer_discounts_anyway"] < random["offer_discounts_anyway"]
    assert precise["gross_margin"] > random["gross_margin"]


def test_an_offer_to_every_eligible_buyer_is_the_blanket_promo():
    """Reach 1 through a perfect channel, every customer a buyer: the same discount and
    pull on the same days for everyone, so what customers do is bit for bit the promo's."""
    _, blanket, _ = run(shop(**promo()), 5)
    _, everyone, _ = run(shop(**offer(reach_share=1.0)), 5)
    for name in ("new_revenue", "new_gross_margin", "new_purchases", "new_offer_discounts",
                 "new_offer_discounts_anyway", "n_alive"):
        assert np.array_equal(everyone[name], blanket[name]), name
