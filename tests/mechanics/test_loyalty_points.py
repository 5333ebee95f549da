"""Loyalty points (models/mechanics/loyalty_points.py): members, and only members, earn
earn_rate points per currency paid; the liability is booked as it is earned, net of the
expected breakage; idle balances expire; tiers follow cumulative programme spend and move
rel_buy / rel_churn; every point earned is redeemed, expired or still held. Then the
strategy questions: tier effects raise revenue in every seed, and a shorter expiry
leaves more breakage. Counts recounted from the customer arrays are exact (float sums up
to rounding); the one random share is checked exactly against its stream."""

import numpy as np
import pytest

from mechanics_common import SEEDS, assert_same_funnel, rich, run_summary
from models.stages import ALIVE
from sim.streams import day_keys, decision, mix, uniform32

TIERS = [{"name": "silver", "min_spend": 400.0, "earn_multiplier": 1.0, "frequency_lift": 0.1,
          "churn_multiplier": 0.8},
         {"name": "gold", "min_spend": 1500.0, "earn_multiplier": 1.0, "frequency_lift": 0.2,
          "churn_multiplier": 0.6}]
PROGRAMME = {"enabled": True, "enrolment_share": 0.6, "earn_rate": 2.0, "point_value": 0.01,
             "redeem_threshold": 300.0, "redemption_rate": 0.4, "expiry_days": 90,
             "expected_breakage": 0.25, "posting_every_days": 7, "tiers": TIERS}
NEUTRAL_TIERS = [{"name": "silver", "min_spend": 400.0}]


def programme(seed=1, **changes):
    return run_summary(rich(mechanics={"loyalty_points": {**PROGRAMME, **changes}}), seed)


def last_posting(sim, every=7):
    return (sim.days - 1) // every * every


def members_of(sim):
    c, n = sim.customers, sim.customers.n
    return c.loyalty_tier[:n] >= 0


def test_members_and_only_members_earn_the_earn_rate_on_what_they_paid():
    sim, r, _ = programme()
    c, n = sim.customers, sim.customers.n
    member = members_of(sim)
    spend = c.loyalty_spend[:n].astype(np.float64)
    assert r["cum_points_earned"][-1] == pytest.approx(2.0 * spend[member].sum(), rel=1e-12)
    # what members paid before the last posting is converted; nothing of non-members is
    posted = member & (c.last[:n] < last_posting(sim))
    np.testing.assert_array_equal(c.loyalty_spend[:n][posted], c.revenue[:n][posted])
    assert np.all(spend[~member] == 0) and np.all(c.loyalty_balance[:n][~member] == 0)
    assert c.revenue[:n][~member].sum() > 0.2 * c.revenue[:n].sum()
    # who joined: exactly the buyers whose stable enrolment draw is under the share
    key = day_keys(sim.seed_key, np.array([decision("loyalty_points.enrol")]), 0)[0]
    u = np.array([uniform32(np.uint64(mix(k ^ key))) for k in c.kh[:n]])
    bought = (c.purchases[:n] > 0) & (c.last[:n] < last_posting(sim))
    np.testing.assert_array_equal(member[bought], u[bought] < 0.6)
    assert r["cum_loyalty_enrolments"][-1] == member.sum() == r["n_loyalty_members"][-1]


def test_membership_is_stable_across_strategies():
    """The same draw decides: a larger share keeps every member of the smaller one."""
    small, _, _ = programme(seed=2)
    large, _, _ = programme(seed=2, enrolment_share=0.8)
    a, b = members_of(small), members_of(large)
    n = min(a.size, b.size)
    assert np.all(b[:n][a[:n]]) and b.sum() > a.sum()


def test_liability_is_booked_when_earned_net_of_expected_breakage():
    sim, r, s = programme(seed=3)
    earned = r["new_points_earned"]
    assert earned.sum() > 1e5
    assert np.array_equal(r["new_crm_cost_loyalty_points"], earned * 0.01 * (1 - 0.25))
    assert np.array_equal(r["n_points_liability"], r["n_points_outstanding"] * 0.01 * (1 - 0.25))
    assert s["crm_cost"] == pytest.approx(earned.sum() * 0.01 * 0.75, rel=1e-12)
    _, fixed, _ = programme(seed=3, cost_per_year=3650.0)
    assert fixed["cum_crm_cost_loyalty_points"][-1] == pytest.approx(
        earned.sum() * 0.01 * 0.75 + 10.0 * sim.days, rel=1e-12)


def test_idle_balances_expire_and_redemptions_come_in_blocks():
    sim, r, _ = programme(seed=4)
    c, n = sim.customers, sim.customers.n
    member = members_of(sim)
    idle = last_posting(sim) - c.last[:n]
    balance = c.loyalty_balance[:n]
    assert np.all(balance[member & (idle > 90)] == 0)
    assert np.count_nonzero(balance[member & (idle <= 90)] > 0) > 100
    assert r["cum_points_expired"][-1] > 0 and r["cum_points_redeemed"][-1] > 0
    assert np.all(r["new_points_redeemed"] % 300.0 == 0)


def test_tiers_follow_programme_spend_and_move_the_multipliers():
    sim, r, _ = programme(seed=5)
    c, n = sim.customers, sim.customers.n
    member = members_of(sim)
    level = np.searchsorted([400.0, 1500.0], c.loyalty_spend[:n][member], side="right")
    np.testing.assert_array_equal(c.loyalty_tier[:n][member], level)
    for k, name in ((1, "silver"), (2, "gold")):
        assert r[f"n_loyalty_members_{name}"][-1] == np.count_nonzero(level == k) > 20
    # float32 multiply-in / divide-out: equal to the tier's factors up to rounding
    np.testing.assert_allclose(c.rel_buy[:n][member], np.array([1.0, 1.1, 1.2])[level],
                               rtol=1e-6)
    np.testing.assert_allclose(c.rel_churn[:n][member], np.array([1.0, 0.8, 0.6])[level],
                               rtol=1e-6)
    assert np.all(c.rel_buy[:n][~member] == 1) and np.all(c.rel_churn[:n][~member] == 1)


def test_every_point_earned_is_redeemed_expired_or_held():
    sim, r, _ = programme(seed=6)
    c, n = sim.customers, sim.customers.n
    held = r["n_points_outstanding"][-1]
    settled = r["cum_points_redeemed"][-1] + r["cum_points_expired"][-1]
    assert r["cum_points_earned"][-1] == pytest.approx(settled + held, rel=1e-12)
    assert c.loyalty_balance[:n].sum() == pytest.approx(held, rel=1e-12)
    # balances of the latently gone: held at the last posting, all of them dead by the end
    dead = members_of(sim) & ((c.flags[:n] & ALIVE) == 0)
    lost = r["n_points_held_by_lost"][-1]
    assert 0 < lost <= c.loyalty_balance[:n][dead].sum() * (1 + 1e-12)


def test_points_without_tier_effects_change_nothing_customers_do():
    """Earning, redemption and expiry move no one (no tier effect): the funnel is bit-
    identical to the baseline; with a zero earn rate and no fixed cost nothing is booked;
    and another mechanic's contacts and responses are the same with it as without."""
    welcome = {"enabled": True, "response_rate": 0.3, "uplift": 2.0}
    _, base, _ = run_summary(rich(mechanics={"welcome_series": welcome}), 8)
    _, paid, _ = run_summary(rich(mechanics={"welcome_series": welcome, "loyalty_points": {
        **PROGRAMME, "tiers": NEUTRAL_TIERS}}), 8)
    _, zero, _ = run_summary(rich(mechanics={"welcome_series": welcome, "loyalty_points": {
        **PROGRAMME, "tiers": NEUTRAL_TIERS, "earn_rate": 0.0, "cost_per_year": 0.0}}), 8)
    for r in (paid, zero):
        assert_same_funnel(r, base)
        for series in ("new_contacts_welcome_series", "new_responses_welcome_series"):
            assert np.array_equal(r[series], base[series]), series
        assert r["n_loyalty_members_silver"][-1] > 100     # tiers were assigned
    assert paid["cum_points_redeemed"][-1] > 0
    assert np.all(zero["new_crm_cost_loyalty_points"] == 0) and zero["cum_points_earned"][-1] == 0


def test_tier_effects_raise_revenue_in_every_seed():
    """Frequency lifts and churn multipliers under 1 for silver and gold members: more
    revenue than the baseline on the same seed (common random numbers), every seed."""
    for seed in SEEDS:
        _, _, base = run_summary(rich(), seed)
        _, _, with_ = programme(seed)
        assert with_["revenue"] > base["revenue"], seed


def test_shorter_expiry_leaves_more_breakage_in_every_seed():
    """Without tier effects the points earned are the same whatever the expiry (common
    random numbers); with a 45-day expiry more of them expire than with 150 days."""
    for seed in SEEDS:
        _, short, _ = programme(seed, tiers=NEUTRAL_TIERS, expiry_days=45)
        _, long, _ = programme(seed, tiers=NEUTRAL_TIERS, expiry_days=150)
        assert np.array_equal(short["new_points_earned"], long["new_points_earned"])
        assert short["cum_points_expired"][-1] > long["cum_points_expired"][-1], seed
