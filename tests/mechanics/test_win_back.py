"""Win-back (models/mechanics/win_back.py): offers go only to lapsed and churned
customers on the set days of silence; only the latently alive can respond; the offer
costs `offer_cost` per response on top of the channel's cost per contact; and with an
uplift it brings customers back."""

import numpy as np
import pytest

from mechanics_common import SEEDS, recount_targets, rich, run_summary
from models.stages import CHURNED, LAPSED
from scenarios.build import make_sim

DAYS = [70, 100, 160, 200]          # lapsed after 60 days, churned after 150 (RICH)
OPEN = {"cost_per_contact": 0.5, "fatigue_step": 0.0}   # all reached, read, never tired


def win_back(**kw):
    return {"win_back": {"enabled": True, "days_since_last_purchase": DAYS, **kw}}


def picks(c, n, day):
    s = c.stage[:n]
    return ((s == LAPSED) | (s == CHURNED)) & np.isin(day - c.last[:n], np.array(DAYS))


@pytest.mark.parametrize("response_rate", [1.0, 0.3])
def test_only_lapsed_and_churned_are_contacted_and_only_alive_ones_respond(response_rate):
    """Recount from the state just before each send. Contacts are exactly the lapsed and
    churned customers on the set days of silence, dead or alive (the CRM cannot tell);
    responses never exceed the alive among them, nor the alive lapsed and churned stock of
    the evening before. With response_rate 1 (every message delivered and read, no
    fatigue) every alive target responds and no dead one does; with 0.3 the responses are
    Binomial(alive targets, 0.3): within 4 SE."""
    sc = rich(channels={"email": OPEN}, mechanics=win_back(response_rate=response_rate))
    sim = make_sim(sc, 4)
    counts = recount_targets(sim, "win_back", picks)
    r = sim.run()
    contacts, responses = r["new_contacts_win_back"], r["new_responses_win_back"]
    assert contacts.sum() > 500
    assert counts["alive"].sum() < 0.8 * counts["targets"].sum()     # many are dead
    assert np.array_equal(contacts, counts["targets"])
    assert np.all(responses <= counts["alive"])
    stock = r["n_lapsed_alive"] + r["n_churned_alive"]
    assert np.all(responses[1:] <= stock[:-1])
    alive = counts["alive"].sum()
    if response_rate == 1.0:
        assert np.array_equal(responses, counts["alive"])
    else:
        p = response_rate
        assert abs(responses.sum() - p * alive) < 4 * np.sqrt(alive * p * (1 - p))


def test_the_offer_is_booked_per_response_beyond_the_contacts():
    """crm_cost_win_back = contacts x cost per contact + responses x offer_cost, day by
    day; the channel's own cost flow carries only the contacts; the total CRM cost carries
    both."""
    sc = rich(channels={"email": OPEN},
              mechanics=win_back(response_rate=0.4, offer_cost=150.0))
    _, r, summary = run_summary(sc, seed=6)
    contacts, responses = r["new_contacts_win_back"], r["new_responses_win_back"]
    assert responses.sum() > 100
    assert r["new_crm_cost_win_back"] == pytest.approx(contacts * 0.5 + responses * 150.0,
                                                       rel=1e-12, abs=1e-9)
    assert np.array_equal(r["new_crm_cost_email"], contacts * 0.5)
    assert r["new_crm_cost"] == pytest.approx(r["new_crm_cost_win_back"], rel=1e-12,
                                              abs=1e-9)
    assert summary["crm_cost"] == pytest.approx(contacts.sum() * 0.5 + responses.sum() * 150)


def test_with_an_uplift_it_wins_customers_back_in_every_seed():
    """Same seed with and without win-back (common random numbers): more customers are
    won back (bought again from lapsed or churned) with an offer that multiplies the
    day's purchase odds by 6 (half of the readers respond), in every seed."""
    for seed in SEEDS:
        _, base, _ = run_summary(rich(), seed)
        _, r, _ = run_summary(rich(mechanics=win_back(response_rate=0.5, uplift=5.0)), seed)
        assert r["cum_responses_win_back"][-1] > 50
        assert r["cum_won_back"][-1] > base["cum_won_back"][-1], seed
        assert r["cum_revenue"][-1] > base["cum_revenue"][-1], seed
