"""Loyalty discount (models/mechanics/loyalty_discount.py): members pay less on every
order (booked as discounts, netted out of revenue and margin) and churn less; the price
cut itself changes no purchase."""

import numpy as np
import pytest

from helpers import scenario
from mechanics_common import SEEDS, rich, run_summary

ALL_BUYING = ["potential", "new", "repeat", "loyal", "lapsed", "churned", "won_back"]


def fixed_check(**mech):
    return scenario(horizon_days=200,
                    base={"customers": 2000, "history": {"new": 0.5, "loyal": 0.5},
                          "history_days": 200},
                    acquisition={"inflow_per_day": 5, "arrive_as": "new"},
                    behaviour={"purchase_rate": 0.03, "spend": 100.0,
                               "stages": {"new": {"churn_hazard": 0.004}}},
                    economics={"gross_margin": 0.3}, mechanics=mech)


def test_the_discount_is_booked_on_every_member_order_and_changes_no_purchase():
    """Every stage a member, 10% off a 100 check at 30% margin: each order pays 90, gives
    away 10 and earns 20 of margin, day by day; purchases and stocks are bit-identical to
    the run without the programme (churn multiplier 1). Arrivals' first orders are made
    from the 'potential' stage, so they are discounted too."""
    _, base, _ = run_summary(fixed_check(), 1)
    _, r, _ = run_summary(fixed_check(loyalty_discount={
        "enabled": True, "discount": 0.1, "churn_multiplier": 1.0, "stages": ALL_BUYING}), 1)
    orders = r["new_purchases"]
    assert orders.sum() > 5000
    assert np.array_equal(orders, base["new_purchases"])
    assert np.array_equal(r["n_loyal"], base["n_loyal"])
    assert r["new_discounts"] == pytest.approx(10.0 * orders, rel=1e-9, abs=1e-6)
    assert r["new_revenue"] == pytest.approx(90.0 * orders, rel=1e-9, abs=1e-6)
    assert r["new_gross_margin"] == pytest.approx(20.0 * orders, rel=1e-9, abs=1e-6)
    assert np.all(r["new_crm_cost"] == 0)          # a price cut, not a CRM bill


def test_churn_protection_keeps_members_in_every_seed():
    """Halving the daily hazard of repeat, loyal and won-back members (no discount) leaves
    fewer premature dropouts and more revenue, in every seed (common random numbers)."""
    for seed in SEEDS:
        _, _, without = run_summary(rich(), seed)
        _, _, with_ = run_summary(rich(mechanics={"loyalty_discount": {
            "enabled": True, "discount": 0.0, "churn_multiplier": 0.5,
            "stages": ["repeat", "loyal", "won_back"]}}), seed)
        assert with_["churned_premature"] < without["churned_premature"], seed
        assert with_["revenue"] > without["revenue"], seed
