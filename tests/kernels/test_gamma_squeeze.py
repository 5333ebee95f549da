"""The gamma draw's squeeze (sim/streams.py) changes no draw.

`gamma` accepts most Marsaglia-Tsang attempts by the squeeze u < 1 - 0.0331 x^4 before
the log test. Two checks that it accepts nothing the log test alone would reject:
exact equality with the plain method (written out here without the squeeze) over many
fixed keys and shapes, and the worst case of the inequality itself: for a dense grid
of x, including tiny |x| where both bounds approach 1 and only rounding separates
them, the largest u the squeeze accepts passes the log test, as evaluated in floats.
"""

import numpy as np
import pytest
from numba import njit

import kernel_reference as R
from sim import streams as S

SHAPES = (0.2, 0.5, 1.0, 1.5, 2.5, 6.0, 40.0, 1000.0)
N = 300_000


@njit(cache=True)
def _gamma_plain(h, shape, rate):
    """Marsaglia-Tsang with the log test only (the method before the squeeze)."""
    boost = 1.0
    a = shape
    if a < 1.0:
        boost = S.uniform64(S.nth(h, 1000)) ** (1.0 / a)
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    j = 0
    while True:
        x = S.normal(S.nth(h, 2 * j))
        v = 1.0 + c * x
        if v > 0.0:
            v = v * v * v
            u = S.uniform64(S.nth(h, 2 * j + 1))
            if np.log(u) < 0.5 * x * x + d - d * v + d * np.log(v):
                return boost * d * v / rate
        j += 1


@njit(cache=True)
def _both(hs, shape, rate):
    plain = np.empty(hs.size)
    fast = np.empty(hs.size)
    for i in range(hs.size):
        plain[i] = _gamma_plain(hs[i], shape, rate)
        fast[i] = S.gamma(hs[i], shape, rate)
    return plain, fast


@pytest.mark.parametrize("shape", SHAPES)
def test_gamma_equals_plain_marsaglia_tsang(shape):
    dk = np.uint64(R.day_key(R.mix(99), R.decision("test.gamma"), int(shape * 10)))
    hs = R.mix_np(R.mix_np(np.arange(N, dtype=np.uint64)) ^ dk)
    plain, fast = _both(hs, shape, 3.0)
    assert np.array_equal(plain.view(np.uint64), fast.view(np.uint64))


@njit(cache=True)
def _squeeze_escapes(d, xs):
    """How many x have a u accepted by the squeeze (the largest such float) that the
    log test would reject, each computed as `gamma` computes it."""
    c = 1.0 / np.sqrt(9.0 * d)
    top = 1.0 - S.SQUEEZE_GUARD * (1.0 + d)
    bad = 0
    for x in xs:
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        x2 = x * x
        u = np.nextafter(top - 0.0331 * x2 * x2, 0.0)
        if u <= 0.0:
            continue
        if not np.log(u) < 0.5 * x * x + d - d * v + d * np.log(v):
            bad += 1
    return bad


@pytest.mark.parametrize("shape", (1.0, 1.0 + 1e-9, 1.04, 1.5, 3.0, 40.0, 1e4, 1e8))
def test_squeeze_lies_inside_the_log_test(shape):
    tiny = np.logspace(-12, 0, 200_000)
    xs = np.concatenate([tiny, -tiny, np.linspace(-2.5, 2.5, 500_001)])
    assert _squeeze_escapes(shape - 1.0 / 3.0, xs) == 0
