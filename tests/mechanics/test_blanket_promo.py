"""Blanket promo: on promo days every order is discounted and some non-buyers are pulled
in; the discount given to those who would have bought anyway is booked apart.

The base is homogeneous (every customer buys at the same daily rate, single orders,
fixed check, no churn), so each customer-day is a Bernoulli draw with a known
probability: q = 1 - exp(-rate) outside promos, q' = q + (1 - q) r inside. Counts are
checked within 4 binomial standard errors; money is checked exactly from the counts.
"""

import numpy as np
import pytest

from helpers import run, scenario

RATE, CHECK, N = 0.02, 100.0, 4000
PROMO_DAYS = [*range(10, 15), *range(40, 45)]


def shop(**promo):
    mechanics = {"blanket_promo": {"enabled": True, "start_day": 10, "every_days": 30,
                                   "duration_days": 5, **promo}} if promo else {}
    return scenario(horizon_days=60, base={"customers": N, "history": {"potential": 1.0}},
                    behaviour={"purchase_rate": RATE, "spend": CHECK,
                               "orders_per_day": "single"},
                    mechanics=mechanics)


def within(count, trials, p, k=4.0):
    return abs(count - trials * p) < k * np.sqrt(trials * p * (1 - p))


def test_promo_days_discount_every_order_and_pull_non_buyers():
    d, r = 0.2, 0.05
    _, res, _ = run(shop(discount=d, response=r), 3)
    promo = np.zeros(60, dtype=bool)
    promo[PROMO_DAYS] = True
    orders = res["new_purchases"]
    q = 1 - np.exp(-RATE)
    q_promo = q + (1 - q) * r
    assert within(orders[promo].sum(), N * promo.sum(), q_promo)
    assert within(orders[~promo].sum(), N * (~promo).sum(), q)
    # money: exactly the check at the promo price, the rest given away
    assert res["new_revenue"][promo].sum() == pytest.approx(CHECK * (1 - d) * orders[promo].sum())
    assert res["new_offer_discounts"][promo].sum() == pytest.approx(CHECK * d * orders[promo].sum())
    assert np.all(res["new_offer_discounts"][~promo] == 0)
    assert res["new_revenue"][~promo].sum() == pytest.approx(CHECK * orders[~promo].sum())
    # of the promo buyers, the share who would have bought anyway is q / q'
    buyers, anyway = res["new_offer_buyers"].sum(), res["new_offer_buyers_anyway"].sum()
    assert buyers == orders[promo].sum()
    assert within(anyway, buyers, q / q_promo)
    assert res["new_offer_discounts_anyway"].sum() == pytest.approx(CHECK * d * anyway)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_pure_discount_only_gives_margin_away(seed):
    """With no pull (response 0) nobody buys because of the promo: every promo buyer would
    have bought anyway, purchases are those of the baseline, and margin is lower."""
    _, base, b = run(shop(), seed)
    _, res, s = run(shop(discount=0.15, response=0.0), seed)
    assert np.array_equal(res["new_purchases"], base["new_purchases"])
    assert res["new_offer_buyers_anyway"].sum() == res["new_offer_buyers"].sum() > 0
    assert s["gross_margin"] < b["gross_margin"]
    assert s["offer_buyers_anyway_share"] == 1.0


def test_the_bound_holds_while_the_promo_runs():
    """The funnel sweeps with cached bounds that the promo recomputes when it starts:
    a strong pull must show on its first day (the bound did not hide it)."""
    _, res, _ = run(shop(discount=0.1, response=0.5), 4)
    q = 1 - np.exp(-RATE)
    first = res["new_purchases"][10]
    assert within(first, N, q + (1 - q) * 0.5)
