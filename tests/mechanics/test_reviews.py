"""Reviews: requests after a purchase, a fading stock of reviews, and the saturating
lift it gives to the conversion of leads and of the acquisition traffic."""

import numpy as np
import pytest

from helpers import run, scenario
from mechanics_common import rich, run_summary

REVIEWS = {"enabled": True, "response_rate": 0.3, "days_after_purchase": [3],
           "conversion_lift_max": 0.5, "reviews_for_half_lift": 100.0, "half_life_days": 60.0}


def test_stock_fades_and_the_lift_follows_the_curve():
    sim, r, _ = run_summary(rich(mechanics={"reviews": REVIEWS}), 1)
    stock, written = r["n_reviews"], r["new_responses_reviews"]
    fade = 0.5 ** (1 / 60.0)
    assert np.allclose(stock[1:], stock[:-1] * fade + written[1:], rtol=1e-12)
    assert stock[-1] > 0
    lift = 0.5 * stock / (stock + 100.0)
    assert np.allclose(r["n_lead_conversion_lift"], lift, rtol=1e-12)
    assert lift.max() < 0.5                        # never past the ceiling


def leads(reviews: bool):
    mechanics = {"reviews": {**REVIEWS, "initial_reviews": 300.0}} if reviews else {}
    return scenario(horizon_days=120,
                    base={"customers": 5000, "history": {"potential": 1.0}},
                    acquisition={"inflow_per_day": 20.0, "arrive_as": "new", "cac": 30.0,
                                 "paid_share": 1.0},
                    behaviour={"purchase_rate": 0.005, "spend": 100.0,
                               "orders_per_day": "single"},
                    channels={"email": {"optin_share": 0.8}},
                    mechanics=mechanics)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reviews_convert_more_leads_and_traffic_at_the_same_ad_spend(seed):
    _, off, _ = run(leads(False), seed)
    _, on, _ = run(leads(True), seed)
    assert on["cum_first_purchases"][-1] > off["cum_first_purchases"][-1]
    assert on["cum_arrivals"][-1] > off["cum_arrivals"][-1]
    # the extra arrivals come from better conversion of the same traffic: unpaid
    assert np.array_equal(on["new_paid_arrivals"], off["new_paid_arrivals"])
    assert np.array_equal(on["new_acquisition_cost"], off["new_acquisition_cost"])


def test_leads_convert_at_the_lifted_rate():
    """With no requests answered the stock only fades: the lift on each day is known, so
    the expected first purchases of the leads are a sum of known probabilities
    (checked within 4 SE of that sum of Bernoullis; leads never die here)."""
    sc = leads(True).model_copy(deep=True)
    sc.mechanics.reviews.response_rate = 0.0
    sc.acquisition.inflow_per_day = 0.0
    _, r, _ = run(sc, 4)
    lift = r["n_lead_conversion_lift"]
    q = 1 - np.exp(-0.005 * (1 + lift))
    remaining, expected, var = 5000.0, 0.0, 0.0
    for d in range(120):
        expected += remaining * q[d]
        var += remaining * q[d] * (1 - q[d])
        remaining -= remaining * q[d]
    assert abs(r["cum_first_purchases"][-1] - expected) < 4 * np.sqrt(var)
