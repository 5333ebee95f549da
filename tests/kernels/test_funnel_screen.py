"""The sweep's 16-bit caches: the stored timer fires on the day the timer does, and the
stored bound lets every uniform under the float bound through, with at most 2**-15
more (the false alarms the exact pass then looks at for nothing)."""

import numpy as np

from models import funnel_screen as fs
from sim.streams import uniform32

DAYS = np.array([0, 1, 2, 99, 100, 365, 1095, 36_499, 36_500])   # 36,500: a run's most


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
