"""Tripwire: more leads convert, first orders are cheaper, and the price given away
shows as discounts; repeat orders are untouched."""

import numpy as np
import pytest

from helpers import run, scenario


def leads(enabled, multiplier=3.0, share=0.4):
    return scenario(horizon_days=120, base={"customers": 5000, "history": {"potential": 1.0}},
                    behaviour={"purchase_rate": 0.01, "spend": 100.0,
                               "orders_per_day": "single"},
                    mechanics={"tripwire": {"enabled": enabled,
                                            "conversion_multiplier": multiplier,
                                            "price_share": share}})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_more_first_purchases_at_the_tripwire_price(seed):
    _, off, _ = run(leads(False), seed)
    _, on, _ = run(leads(True), seed)
    assert on["cum_first_purchases"][-1] > off["cum_first_purchases"][-1]
    # every first order is paid at 40% of the 100 list price; the rest shows as discounts
    assert on["cum_revenue_first"][-1] == pytest.approx(40.0 * on["cum_first_purchases"][-1])
    assert on["cum_discounts"][-1] == pytest.approx(60.0 * on["cum_first_purchases"][-1])
    assert on["cum_revenue_repeat"][-1] == pytest.approx(100.0 * on["cum_repeat_purchases"][-1])


def test_first_purchases_follow_the_conversion_multiplier():
    """With a constant rate, the share of leads converted by day t is 1-(1-q)^t with
    q = 1-exp(-rate x multiplier): checked within 4 binomial SE."""
    _, r, _ = run(leads(True, multiplier=3.0), 5)
    q = 1 - np.exp(-0.01 * 3.0)
    expected = 1 - (1 - q) ** 120
    got = r["cum_first_purchases"][-1] / 5000
    assert abs(got - expected) < 4 * np.sqrt(expected * (1 - expected) / 5000)
