"""The sweep's 16-bit caches: the stored timer fires on the day the timer does, and the
stored bound lets every uniform under the float bound through, with at most 2**-15
more (the false alarms the exact pass then looks at for nothing). Blocks of the dead
left out of the sweep change nothing."""

import numpy as np

import day_reference as D
import funnel_states as FS
import kernel_reference as R
from models import funnel_kernel as fk
from models import funnel_screen as fs
from models.stages import STAGES
from sim.streams import uniform32

DAYS = np.array([0, 1, 2, 99, 100, 365, 1095, 36_499, 36_500])   # 36,500: a run's most
SEED_KEY = R.mix(20261207)


def test_the_stored_timer_fires_on_the_timers_day():
    timers = [-(2**30), -5, -1, 0, 1, 99, 100, 101, 36_499, 36_500, 65_534, 65_535,
              65_536, 70_000, 2**31 - 1]
    for t in timers:
        stored = fs.stored_timer(t)
        assert 0 <= stored <= 65_535
        for day in DAYS:
            assert (stored <= np.uint16(day)) == (t <= day), (t, day)


def test_the_stored_bound_passes_every_uniform_under_the_float_bound():
    rng = np.random.default_rng(5)
    bounds = np.concatenate([[0.0, 1e-7, 2**-24, 2**-15, 0.5, 1.0, 1.5, 2.0],
                             rng.random(300) ** 3, rng.uniform(0.9, 1.1, 50)])
    for p in bounds.astype(np.float32):
        b = fs.stored_bound(p)
        # rounded up, by at most one step of 2**-15; capped above 1, where every
        # uniform passes anyway
        assert fs.bound_value(b) >= min(p, 1.0)
        assert fs.bound_value(b) - p <= 2**-15 or b == fs.ALWAYS
        # the largest 24-bit uniform under p, with any low bits: flagged
        k = int(np.ceil(np.float64(p) * 2**24)) - 1
        if 0 <= k < 2**24:
            for low in (0, 1, 2**40 - 1, int(rng.integers(0, 2**40))):
                h = np.uint64((k << 40) | low)
                assert uniform32(h) < p
                assert fs.may_fall_under(h, b), (p, k, low)
        # the smallest uniform of the next 15-bit step: not flagged
        if b < 2**15:
            h = np.uint64(int(b) << 49)
            assert not fs.may_fall_under(h, b) and not uniform32(h) < p


def test_the_top_bound_passes_every_uniform_and_zero_none():
    for h in (0, 1, 2**49 - 1, 2**63, 2**64 - 1):
        assert fs.may_fall_under(np.uint64(h), fs.ALWAYS)
        assert not fs.may_fall_under(np.uint64(h), np.uint16(0))
    assert fs.stored_bound(1.0) == 2**15 and fs.stored_bound(5.0) == fs.ALWAYS


def _days(S_k, S_r, blocks, day0, days, tables, forced):
    """`days` days of chunk_step on S_k (summaries `blocks` kept from day to day) and of
    the two-pass reference on S_r, which sweeps everyone: the same states and sums each
    day. A share `forced` goes to the exact pass each night, its blocks marked as
    Funnel.move_each does. Returns (block-days left out, timers of the dead that
    fired)."""
    size = S_k["kh"].size
    dead = (S_k["flags"] & R.ALIVE) == 0
    skipped = fired = 0
    for day in range(day0, day0 + days):
        dks = FS.day_keys(SEED_KEY, day)
        held, first = blocks
        skipped += int(np.sum((held == fs.DEAD) & (first > day)))
        fired += int(np.sum(dead & (S_k["t_next"] <= day)))
        acc_k = np.zeros(R.N_ACC)
        counts_k = np.zeros((2, len(STAGES)), dtype=np.int64)
        coh_k = np.zeros((FS.n_cohorts(), R.N_COH))
        fk.chunk_step(0, size, day, dks, FS.as_tuple(S_k), tables, acc_k, counts_k, coh_k,
                      blocks)
        acc_r, counts_r, coh_r = D.reference_chunk(S_r, 0, size, day, dks, tables,
                                                   FS.n_cohorts())
        for name in R.STATE_ORDER:
            assert np.array_equal(S_k[name], S_r[name]), (day, name)
        assert np.array_equal(acc_k, acc_r) and np.array_equal(counts_k, counts_r)
        assert np.array_equal(coh_k, coh_r)
        if forced:
            r1, r2 = np.random.default_rng(day), np.random.default_rng(day)
            fs.forget(blocks, np.flatnonzero(FS.force(r1, S_k, forced)))
            FS.force(r2, S_r, forced)
    return skipped, fired


def test_blocks_of_the_dead_are_left_out_and_the_days_stay_exact():
    """2,000 customers, two long runs of them dead (their stage timers still firing now
    and then), some forced each night: 40 days give exactly the reference's states and
    sums, and whole blocks were left out of the sweep."""
    tables = FS.make_tables(0)
    dead = np.zeros(2000, dtype=bool)
    dead[100:900] = dead[1300:1900] = True
    S_k = FS.random_state(np.random.default_rng(17), 2000, 120, tables, forced=0.0,
                          dead=dead)
    skipped, fired = _days(S_k, FS.copy_state(S_k), fs.new_summaries(2000), 120, 40,
                           tables, forced=0.02)
    assert skipped > 20       # block-days left out (the runs hold 21 whole blocks)
    assert fired > 20         # timers of the dead fired inside them, and were seen


def test_a_block_whose_living_die_is_then_known_dead():
    """The living of one block reach the end of their need on day 65: the block is
    counted dead when its chunk's turn to be counted comes (day 80, within
    RECOUNT_DAYS) and left out after, and the days stay exact."""
    tables = FS.make_tables(0)
    S_k = FS.random_state(np.random.default_rng(29), 500, 60, tables, forced=0.0)
    doomed = slice(3 * fs.SKIP, 4 * fs.SKIP)
    S_k["need_end"][doomed] = 65
    S_k["t_next"][doomed] = np.minimum(S_k["t_next"][doomed], 65)
    blocks = fs.new_summaries(500)
    _days(S_k, FS.copy_state(S_k), blocks, 60, 22, tables, forced=0.0)
    assert (S_k["flags"][doomed] & R.ALIVE).sum() == 0
    assert blocks[0][3] == fs.DEAD
