"""The channel layer in running simulations: opt-ins drawn at arrival, unsubscribes that
lower the reachable stock, weekly caps across mechanics, stable control groups, and
costs that add up (the kernel itself is checked against its reference in
test_contact_kernel.py)."""

import contact_reference as CR
import kernel_reference as R
import numpy as np
import pytest
from helpers import scenario

from models.channels import CHANNELS, PARALLEL_OPTINS, draw_optins
from models.mechanics.email_campaign import EmailCampaign
from scenarios.build import make_sim
from sim.loop import Sim

SEED_KEY = R.mix(4242)


def test_draw_optins_shares_independence_and_reach():
    rng = np.random.default_rng(5)
    n = 200_000
    kh = np.frombuffer(rng.bytes(8 * n), dtype=np.uint64).copy()
    shares = np.array([0.7, 0.3, 0.0, 1.0, 0.55])
    key = np.uint64(R.day_key(SEED_KEY, R.decision("channels.optin"), 0))
    optin = np.full(n, 255, dtype=np.uint8)
    reach = np.zeros(len(CHANNELS), dtype=np.int64)
    # four calls (four days' arrivals) accumulate into `reach`: a base drawn in blocks
    # on every thread, a day's few in one go, a larger inflow (in blocks on four threads
    # or more), then the rest in blocks
    cuts = (0, 123_457, 123_457 + PARALLEL_OPTINS // 2, 123_457 + 3 * PARALLEL_OPTINS, n)
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        draw_optins(lo, hi, key, kh, optin, shares, reach)
    bits = np.array([(optin >> c) & 1 for c in range(len(CHANNELS))], dtype=np.float64)
    assert np.all(optin < 32)
    assert np.array_equal(reach, bits.sum(axis=1).astype(np.int64))
    for c, s in enumerate(shares):
        se = np.sqrt(s * (1 - s) / n)
        assert abs(bits[c].mean() - s) <= 4 * se, (c, bits[c].mean())
    free = [c for c, s in enumerate(shares) if 0 < s < 1]
    corr = np.corrcoef(bits[free])
    off = corr[~np.eye(len(free), dtype=bool)]
    assert np.all(np.abs(off) < 4 / np.sqrt(n)), corr
    # the draw itself is the reference's, customer by customer
    for i in range(0, n, 97):
        assert optin[i] == CR.optin_bits(kh[i], key, shares)


# ---------------------------------------------------------------- a Sender in a run


class SecondCampaign(EmailCampaign):
    """A second regular campaign, booked under its own name."""

    name = "email_campaign_b"


def sim_with(sc, second=None, seed=1):
    """The scenario's simulation, with a second campaign (params) if given."""
    sim = make_sim(sc, seed)
    if second is None:
        return sim
    modules = sim.modules + [SecondCampaign(type(sc.mechanics.email_campaign)(**second))]
    return Sim(modules, sim.days, seed, capacity=sim.customers.capacity)


def campaign(**kw):
    return {"email_campaign": {"enabled": True, **kw}}


def test_unsubscribes_lower_the_reachable_stock_exactly():
    sc = scenario(horizon_days=40,
                  channels={"email": {"optin_share": 0.7, "unsubscribe_rate": 0.05,
                                      "fatigue_step": 0.3, "deliverability": 0.9},
                            "sms": {"optin_share": 0.5}},
                  mechanics=campaign(every_days=2, relevance=0.6))
    sim = make_sim(sc, 1)
    r = sim.run()
    c, n = sim.customers, sim.customers.n
    reach, unsub = r["n_reachable_email"], r["new_unsubscribes"]
    assert r["cum_unsubscribes"][-1] > 100
    assert np.array_equal(np.diff(reach), -unsub[1:])
    assert reach[-1] == np.count_nonzero(c.optin[:n] & 1)
    assert reach[0] + unsub[0] == pytest.approx(0.7 * n, abs=4 * np.sqrt(0.21 * n))
    # the other channel's reach is untouched by e-mail unsubscribes
    assert np.all(r["n_reachable_sms"] == np.count_nonzero(c.optin[:n] & 2))


def test_reachable_stock_with_arrivals_is_a_recount():
    sc = scenario(horizon_days=30, acquisition={"inflow_per_day": 40},
                  channels={"email": {"optin_share": 0.6, "unsubscribe_rate": 0.1}},
                  mechanics=campaign(every_days=3))
    sim = make_sim(sc, 2)
    counts = []
    ch = sim.module("channels")
    step = ch.step

    def recount(s, day):
        step(s, day)
        counts.append(np.count_nonzero(s.customers.optin[:s.customers.n] & 1))

    ch.step = recount
    # the campaign sends after channels.step: the stock is the recount after the send
    email = sim.module("email_campaign")
    e_step = email.step

    def after_send(s, day):
        e_step(s, day)
        counts[-1] = np.count_nonzero(s.customers.optin[:s.customers.n] & 1)

    email.step = after_send
    r = sim.run()
    assert r["cum_unsubscribes"][-1] > 50
    assert np.array_equal(r["n_reachable_email"], np.array(counts, dtype=np.float64))


@pytest.mark.parametrize("cap", [None, 1.0])
def test_weekly_cap_halves_two_campaigns_on_the_same_day(cap):
    """Two weekly campaigns on the same day to everyone: without a cap each customer
    gets both (2n contacts a campaign day); with a cap of 1 a week, exactly one (the
    first campaign's), every week, as the bucket refills 1/7 a day up to 1."""
    sc = scenario(horizon_days=29, contact_policy={"max_contacts_per_week": cap},
                  mechanics=campaign(every_days=7))
    sim = sim_with(sc, second={"enabled": True, "every_days": 7})
    r = sim.run()
    n = sim.customers.n
    days = np.arange(0, 29, 7)
    quiet = np.setdiff1d(np.arange(29), days)
    a, b = r["new_contacts_email_campaign"], r["new_contacts_email_campaign_b"]
    assert np.all(r["new_contacts"][quiet] == 0)
    assert np.all(a[days] == n)
    assert np.all(b[days] == (n if cap is None else 0))
    assert np.array_equal(r["new_contacts"], a + b)
    assert r["cum_contacts"][-1] == (2 if cap is None else 1) * n * days.size


def test_cap_below_one_a_week_still_allows_contacts():
    sc = scenario(horizon_days=60, contact_policy={"max_contacts_per_week": 0.5},
                  mechanics=campaign(every_days=7))
    sim = make_sim(sc, 1)
    r = sim.run()
    # one contact per customer every two weeks: about 4 over 60 days
    assert r["cum_contacts"][-1] >= 3 * sim.customers.n


def test_holdout_share_is_not_contacted():
    """One campaign day: the held-out share of the targets is within 4 SE of the
    configured share and gets nothing (no touch, no fatigue)."""
    h = 0.25
    sc = scenario(horizon_days=10, base={"customers": 20_000},
                  mechanics=campaign(every_days=100, start_day=3, holdout_share=h))
    sim = make_sim(sc, 4)
    r = sim.run()
    c, n = sim.customers, sim.customers.n
    untouched = (c.touch_day[:n] == 0) & (c.fatigue[:n] == 0)
    se = np.sqrt(h * (1 - h) / n)
    assert abs(untouched.mean() - h) < 4 * se
    assert r["new_contacts"][3] == n - untouched.sum() == r["cum_contacts"][-1]
    key = R.day_key(int(sim.seed_key), R.decision("holdout.email_campaign"), 0)
    held = np.array([CR.held_out(k, key, h) for k in c.kh[:n]])
    assert np.array_equal(held, untouched)


def test_holdout_group_is_stable_across_campaigns():
    h = 0.25
    sc = scenario(horizon_days=56, base={"customers": 20_000},
                  mechanics=campaign(every_days=7, holdout_share=h))
    sim = make_sim(sc, 4)
    sim.run()
    c, n = sim.customers, sim.customers.n
    never = (c.touch_day[:n] == 0) & (c.fatigue[:n] == 0)
    assert abs(never.mean() - h) < 4 * np.sqrt(h * (1 - h) / n)


def test_costs_are_contacts_times_cost_and_add_up():
    """Two campaigns on two channels: crm_cost = contacts x cost per contact, and the
    per-channel and per-mechanic cost flows both add up to it, day by day."""
    sc = scenario(horizon_days=30, acquisition={"inflow_per_day": 20},
                  channels={"email": {"optin_share": 0.8, "deliverability": 0.5,
                                      "cost_per_contact": 0.3},
                            "sms": {"optin_share": 0.4, "cost_per_contact": 2.5},
                            "push": {"cost_per_contact": 1.0}},
                  mechanics=campaign(every_days=7, holdout_share=0.1))
    sim = sim_with(sc, second={"enabled": True, "every_days": 3, "start_day": 1,
                               "channel": "sms", "stages": ["potential", "new"]})
    r = sim.run()
    a, b = r["new_contacts_email_campaign"], r["new_contacts_email_campaign_b"]
    assert a.sum() > 1000 and b.sum() > 1000
    assert np.array_equal(r["new_contacts"], a + b)
    assert np.array_equal(r["new_crm_cost_email"], a * 0.3)
    assert np.array_equal(r["new_crm_cost_sms"], b * 2.5)
    assert np.all(r["new_crm_cost_push"] == 0)
    assert np.array_equal(r["new_crm_cost_email_campaign"], r["new_crm_cost_email"])
    assert np.array_equal(r["new_crm_cost_email_campaign_b"], r["new_crm_cost_sms"])
    assert np.array_equal(r["new_crm_cost"], r["new_crm_cost_email"] + r["new_crm_cost_sms"])
    np.testing.assert_allclose(r["cum_crm_cost"][-1], 0.3 * a.sum() + 2.5 * b.sum(),
                               rtol=1e-12)
    # the e-mail campaign reaches the opted-in non-held-out targets, delivered or not
    reach0 = r["n_reachable_email"][0]
    assert 0.85 * reach0 < a[0] < 0.95 * reach0
