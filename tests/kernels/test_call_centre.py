"""The call centre's seats, through small simulations: a day never makes more calls than
its seats allow, the rest are reported as dropped, and capped customers take no seat."""

import pytest
from helpers import scenario

from scenarios.build import make_sim


def test_call_centre_never_exceeds_its_seats():
    """A win-back by phone with 4 seats x 20 calls: never more than 80 calls a day, the
    calls it could not make are reported as dropped, and each call costs its price."""
    seats, per_seat, price = 4, 20, 40.0
    sc = scenario(horizon_days=120,
                  base={"customers": 6000, "history": {"new": 0.3, "repeat": 0.4,
                                                       "loyal": 0.3}},
                  channels={"email": {}, "call_centre": {"cost_per_contact": price,
                                                         "seats": seats,
                                                         "calls_per_seat_per_day": per_seat}},
                  funnel={"lapsed_after_days": 45},
                  mechanics={"win_back": {"enabled": True, "channel": "call_centre",
                                          "days_since_last_purchase": [50, 60, 70, 80]}})
    sim = make_sim(sc, 2)
    r = sim.run()
    assert r["new_contacts"].max() == seats * per_seat
    assert r["cum_calls_dropped"][-1] > 0
    assert r["cum_crm_cost_call_centre"][-1] == pytest.approx(price * r["cum_contacts"][-1])
    busy = r["new_calls_dropped"] > 0
    assert (r["new_contacts"][busy] == seats * per_seat).all()


def test_capacity_is_not_wasted_on_capped_customers():
    """With a weekly cap, customers without a token do not take a seat: every day that
    drops calls makes exactly the seats' worth of calls."""
    sc = scenario(horizon_days=30, base={"customers": 2000},
                  channels={"email": {}, "call_centre": {"seats": 10,
                                                         "calls_per_seat_per_day": 50}},
                  contact_policy={"max_contacts_per_week": 1},
                  mechanics={"email_campaign": {"enabled": True, "channel": "call_centre",
                                                "every_days": 1, "stages": ["potential"]}})
    r = make_sim(sc, 3).run()
    busy = r["new_calls_dropped"] > 0
    assert busy.sum() >= 3
    assert (r["new_contacts"][busy] == 500).all()
    assert r["new_contacts"].max() == 500
