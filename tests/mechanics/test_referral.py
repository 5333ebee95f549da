"""Referral: friends arrive as leads, rewards are paid on conversion, and with strong
referral the base grows without paid acquisition (self-activating growth)."""

import numpy as np
import pytest

from helpers import run, scenario

STAGES = ("potential", "new", "repeat", "loyal", "lapsed", "won_back")


def referral_scenario(probability, reward=50.0, days=540):
    return scenario(
        horizon_days=days,
        base={"customers": 3000, "history": {"new": 0.3, "repeat": 0.4, "loyal": 0.3}},
        acquisition={"inflow_per_day": 0.0},
        behaviour={"purchase_rate": {"gamma": {"shape": 2, "rate": 60}}, "spend": 100.0,
                   "stages": {s: {"churn_hazard": 0.002} for s in STAGES}},
        mechanics={"referral": {"enabled": True, "probability_per_purchase": probability,
                                "reward_per_conversion": reward}})


def test_strong_referral_grows_the_base_without_paid_acquisition():
    _, none, _ = run(referral_scenario(0.0), seed=3)
    _, strong, summary = run(referral_scenario(0.2), seed=3)
    assert none["n_active"][-1] < none["n_active"][0]            # the snowball crumbles
    assert strong["n_active"][-1] > strong["n_active"][0]        # it grows on its own
    assert summary["acquisition_cost"] == 0.0
    assert strong["cum_revenue"][-1] > none["cum_revenue"][-1]


def test_rewards_are_paid_per_converted_friend():
    sim, r, summary = run(referral_scenario(0.05, reward=75.0), seed=5)
    conversions = r["cum_referral_conversions"][-1]
    assert conversions > 0
    assert summary["crm_cost"] == pytest.approx(75.0 * conversions)
    # every converted friend is a referred customer who has bought
    referred = slice(3000, sim.customers.n)
    assert r["cum_referrals"][-1] == sim.customers.n - 3000
    assert (sim.customers.purchases[referred] > 0).sum() >= conversions


def test_referrals_change_no_existing_customer():
    """Friends get keys of their own: the customers who exist without referral behave
    exactly the same (bit for bit) when referral brings others in."""
    a, _, _ = run(referral_scenario(0.0, days=300), seed=8)
    b, _, _ = run(referral_scenario(0.1, days=300), seed=8)
    n = a.customers.n
    assert b.customers.n > n
    for name in ("purchases", "last", "revenue", "flags"):
        np.testing.assert_array_equal(getattr(a.customers, name)[:n],
                                      getattr(b.customers, name)[:n])
    keys = b.customers.kh[: b.customers.n]
    assert np.unique(keys).size == keys.size


def _friends_reference(n, day, key, kh, last, stage, flags, referrals, eligible, probability):
    """Plain Python: every customer tested in order."""
    from kernels.stream_reference import mix, uniform32
    from models.mechanics.referral import _SALT
    from models.stages import ALIVE

    out = []
    for i in range(n):
        if last[i] != day or (flags[i] & ALIVE) == 0 or not eligible[stage[i]]:
            continue
        if uniform32(mix(int(kh[i]) ^ int(key))) >= probability:
            continue
        referrals[i] += 1
        out.append((mix(int(kh[i]) ^ int(_SALT)) + int(referrals[i])) % 2**64)
    return np.array(out, dtype=np.uint64)


@pytest.mark.parametrize("n", [0, 7, 4096, 4103, 20_011])
def test_friends_kernel_matches_the_plain_reference(n):
    from models.mechanics.referral import friends
    from models.stages import ALIVE

    rng = np.random.default_rng(n)
    kh = rng.integers(0, 2**63, n, dtype=np.uint64)
    last = rng.integers(95, 101, n).astype(np.int32)     # a sixth bought yesterday (99)
    stage = rng.integers(0, len(STAGES), n).astype(np.int8)
    flags = np.where(rng.random(n) < 0.8, ALIVE, 0).astype(np.uint8)
    eligible = np.array([False, True, True, True, False, False, True])   # by models.stages
    ours, theirs = np.zeros(n, np.uint16), np.zeros(n, np.uint16)
    ours[:] = theirs[:] = rng.integers(0, 3, n)
    key = np.uint64(0x9E3779B97F4A7C15)
    got = friends(n, 99, key, kh, last, stage, flags, ours, eligible, 0.4)
    want = _friends_reference(n, 99, key, kh, last, stage, flags, theirs, eligible, 0.4)
    assert n < 4096 or got.size > 64       # the output grows past its first allocation
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ours, theirs)
