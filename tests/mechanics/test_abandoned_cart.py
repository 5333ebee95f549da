"""Abandoned-cart trigger: impulse buyers leave carts, the reminder brings some back.

Impulse buyers with a fixed purchase probability q a day start a cart with probability
q / cart_conversion; the carts left are the difference (checked within 4 binomial SE),
the reminder goes the next day to exactly the customers who left one, and a response
raises that day's purchases.
"""

import numpy as np
import pytest

from helpers import run, scenario

N, RATE = 6000, 0.01


def shop(enabled=True, **cart):
    return scenario(
        horizon_days=60,
        base={"customers": N, "history": {"repeat": 1.0}, "history_days": 30},
        behaviour={"purchase_rate": RATE, "spend": 50.0, "orders_per_day": "single",
                   "demand": {"impulse": {"share": 1.0, "organic_exposure": 1.0}}},
        funnel={"lapsed_after_days": 1000},
        channels={"email": {"optin_share": 1.0}},
        mechanics={"abandoned_cart": {"enabled": enabled, "cart_conversion": 0.25, **cart}})


def test_carts_left_follow_the_cart_conversion_and_each_gets_one_reminder():
    _, r, s = run(shop(response_rate=0.0), 1)
    q = 1 - np.exp(-RATE)
    days = np.arange(1, 60)
    alive_days = N * days.size                    # no churn in this shop
    carts = r["new_abandoned_carts"][days].sum()
    p_cart = min(1.0, 4 * q) - q
    assert abs(carts - alive_days * p_cart) < 4 * np.sqrt(alive_days * p_cart * (1 - p_cart))
    # yesterday's carts are today's reminders, exactly
    assert np.array_equal(r["new_contacts_abandoned_cart"][1:], r["new_abandoned_carts"][:-1])
    assert s["abandoned_carts"] == r["new_abandoned_carts"].sum()


def test_switched_off_no_cart_is_marked():
    _, r, s = run(shop(enabled=False), 1)
    assert s["abandoned_carts"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reminders_bring_buyers_back(seed):
    _, off, _ = run(shop(response_rate=0.0), seed)
    _, on, _ = run(shop(response_rate=0.3, uplift=20.0), seed)
    assert on["cum_purchases"][-1] > off["cum_purchases"][-1]
