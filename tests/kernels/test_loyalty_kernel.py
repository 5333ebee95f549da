"""The loyalty-points posting kernel (models/loyalty_kernel.py) against its plain-Python
reference (loyalty_reference.post), bit for bit: every customer array and every output,
over several postings of random populations that reach every branch (enrolment or not,
earning at each level, upgrades with and without a change of factors, expiry, redemption,
dead members), and the members listed as changing factors (with their old level). A
base of several chunks is posted chunk by chunk on every thread: each chunk's sums in
customer order, added in chunk order, the same at 1 and 2 threads."""

import numba
import numpy as np
import pytest

import kernel_reference as R
import loyalty_reference as LR
from models import loyalty_kernel as lk

SEED_KEY = R.mix(9090)
DAY = 700
DTYPES = {"kh": np.uint64, "flags": np.uint8, "purchases": np.int32, "last": np.int32,
          "revenue": np.float32, "loyalty_tier": np.int8, "loyalty_spend": np.float32,
          "loyalty_balance": np.float64}
# (min spend, earn multiplier, 1 + frequency lift, churn multiplier) per tier; "flat" has a
# tier at 0 (effect on joining) and an upgrade that changes no factor.
LEVELS = {
    "three": [[300.0, 1.25, 1.05, 0.9], [1000.0, 1.5, 1.05, 0.9], [2500.0, 2.0, 1.2, 0.7]],
    "flat": [[0.0, 1.0, 1.1, 0.8], [800.0, 1.5, 1.1, 0.8]],
    "none": [],
}


def test_layout_matches_reference():
    assert lk.STATE_ORDER == LR.STATE_ORDER == tuple(DTYPES)
    assert (lk.P_SHARE, lk.P_EARN, lk.P_BLOCK, lk.P_REDEEM, lk.P_EXPIRY, lk.N_PAR) == tuple(
        range(6)) == (LR.P_SHARE, LR.P_EARN, LR.P_BLOCK, LR.P_REDEEM, LR.P_EXPIRY, LR.N_PAR)
    assert (lk.L_MIN_SPEND, lk.L_EARN, lk.L_BUY, lk.L_CHURN, lk.N_LEVEL) == (
        LR.L_MIN_SPEND, LR.L_EARN, LR.L_BUY, LR.L_CHURN, LR.N_LEVEL)
    assert (lk.K_ENROL, lk.K_REDEEM, lk.N_KEYS) == (LR.K_ENROL, LR.K_REDEEM, LR.N_KEYS)
    assert (lk.O_ENROLLED, lk.O_EARNED, lk.O_REDEEMED, lk.O_EXPIRED, lk.O_OUTSTANDING,
            lk.O_HELD_LOST, lk.N_OUT) == tuple(range(7)) == (
            LR.O_ENROLLED, LR.O_EARNED, LR.O_REDEEMED, LR.O_EXPIRED, LR.O_OUTSTANDING,
            LR.O_HELD_LOST, LR.N_OUT)


def population(rng, size, n_levels):
    bought = rng.random(size) < 0.8
    revenue = np.where(bought, rng.uniform(1, 4000, size), 0.0)
    member = bought & (rng.random(size) < 0.5)

    def kh_bits(k):        # a deterministic pattern that leaves the rng's sequence alone
        return np.arange(k) * 7 + 3

    return {
        "kh": np.frombuffer(rng.bytes(8 * size), dtype=np.uint64).copy(),
        "flags": np.where(rng.random(size) < 0.8, R.ALIVE, 0).astype(np.uint8),
        "purchases": np.where(bought, rng.integers(1, 20, size), 0).astype(np.int32),
        "last": np.where(bought, DAY - rng.integers(1, 400, size), R.NEVER).astype(np.int32),
        "revenue": revenue.astype(np.float32),
        # outside the programme: not asked yet (-1) or, for some buyers, declined (-2)
        "loyalty_tier": np.where(member, rng.integers(0, n_levels, size),
                                 np.where(bought & (kh_bits(size) % 4 == 0), -2, -1)
                                 ).astype(np.int8),
        "loyalty_spend": np.where(member & (rng.random(size) < 0.7),
                                  revenue * rng.random(size), 0.0).astype(np.float32),
        "loyalty_balance": np.where(member & (rng.random(size) < 0.7),
                                    rng.uniform(0, 3000, size), 0.0),
    }


def spend_more(rng, P, day):
    """Between postings some alive customers buy: revenue grows, last moves."""
    buy = ((P["flags"] & R.ALIVE) != 0) & (rng.random(P["kh"].size) < 0.3)
    P["revenue"][buy] += rng.uniform(5, 900, buy.sum()).astype(np.float32)
    P["purchases"][buy] += 1
    P["last"][buy] = day - 1


@pytest.mark.parametrize("levels", sorted(LEVELS))
@pytest.mark.parametrize("seed", [1, 2])
def test_kernel_matches_reference_over_several_postings(levels, seed):
    rng = np.random.default_rng(seed)
    table = np.array([[0.0, 1.0, 1.0, 1.0]] + LEVELS[levels])
    P = population(rng, 3000, len(table))
    K = {k: v.copy() for k, v in P.items()}
    par = np.array([0.6, 1.3, 500.0, 0.5, 180.0])
    reached = np.zeros(lk.N_OUT)
    moves = 0
    for step in range(4):
        day = DAY + 7 * step
        keys = np.array([R.day_key(SEED_KEY, R.decision("loyalty_points.enrol"), 0),
                         R.day_key(SEED_KEY, R.decision("loyalty_points.redeem"), day)],
                        dtype=np.uint64)
        out = np.zeros(lk.N_OUT)
        members = np.zeros(len(table), dtype=np.int64)
        moved, was = np.zeros(3000, dtype=np.int64), np.zeros(3000, dtype=np.int8)
        m = lk.post(day, 3000, keys, par, table, tuple(K[k] for k in lk.STATE_ORDER), out,
                    members, moved, was, True)
        ref_out, ref_members, ref_moved = LR.post(day, 3000, [int(k) for k in keys],
                                                  list(par), table.tolist(), P)
        assert list(zip(moved[:m].tolist(), was[:m].tolist())) == ref_moved
        moves += m
        for name, dtype in DTYPES.items():
            np.testing.assert_array_equal(K[name], P[name], err_msg=name)
            assert K[name].dtype == dtype
        assert out.tolist() == ref_out
        assert members.tolist() == ref_members
        reached += out > 0
        spend_more(np.random.default_rng(seed * 100 + step), P, day + 7)
        spend_more(np.random.default_rng(seed * 100 + step), K, day + 7)
    assert np.all(reached[[lk.O_ENROLLED, lk.O_EARNED, lk.O_REDEEMED, lk.O_EXPIRED,
                           lk.O_HELD_LOST]] > 0)
    assert (moves > 0) == (levels != "none")


def _keys(day):
    return np.array([R.day_key(SEED_KEY, R.decision("loyalty_points.enrol"), 0),
                     R.day_key(SEED_KEY, R.decision("loyalty_points.redeem"), day)],
                    dtype=np.uint64)


def test_a_base_of_several_chunks_sums_each_chunk_then_the_chunks_at_any_thread_count():
    """Two whole chunks and a part: the reference posts each chunk on its own, in chunk
    order; outputs are the chunks' sums added in chunk order (from 0.0), member counts
    their totals, the movers the chunks' lists one after the other."""
    n = 2 * lk.CHUNK + 1500
    table = np.array([[0.0, 1.0, 1.0, 1.0]] + LEVELS["three"])
    par = np.array([0.6, 1.3, 500.0, 0.5, 180.0])
    P = population(np.random.default_rng(5), n + 20, len(table))   # 20 past n: untouched
    expect_out, expect_members, expect_moved = [0.0] * lk.N_OUT, [0] * len(table), []
    for lo in range(0, n, lk.CHUNK):
        out, members, moved = LR.post(DAY, min(lo + lk.CHUNK, n), [int(k) for k in _keys(DAY)],
                                      list(par), table.tolist(), P, lo=lo)
        expect_out = [a + b for a, b in zip(expect_out, out)]
        expect_members = [a + b for a, b in zip(expect_members, members)]
        expect_moved += moved
    assert len(expect_moved) > 100
    start = population(np.random.default_rng(5), n + 20, len(table))
    before = numba.get_num_threads()
    try:
        for threads, spread in [(1, False), (1, True)] + (
                [(2, True)] if numba.config.NUMBA_NUM_THREADS >= 2 else []):
            numba.set_num_threads(threads)
            K = {k: v.copy() for k, v in start.items()}
            out, members = np.full(lk.N_OUT, 7.0), np.full(len(table), 7, dtype=np.int64)
            moved, was = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int8)
            m = lk.post(DAY, n, _keys(DAY), par, table, tuple(K[k] for k in lk.STATE_ORDER),
                        out, members, moved, was, spread)
            assert out.tolist() == expect_out, (threads, spread)
            assert members.tolist() == expect_members, (threads, spread)
            assert list(zip(moved[:m].tolist(), was[:m].tolist())) == expect_moved, spread
            for name in DTYPES:
                np.testing.assert_array_equal(K[name], P[name], err_msg=name)
    finally:
        numba.set_num_threads(before)
