"""E-mail campaign kernel (models/mechanics/email_campaign.py::send) against a plain
reference: lazy fatigue decay f * decay**(day - fatigue_day), response with probability
response_rate * (1 - f) from the campaign's own stream, fatigue min(1, f + step), and
for alive responders boost *= 1 + uplift and p_hi = 2 (forced into the exact pass).

The kernel reads decay**dt from a table; the tests pass a table built with Python's
pow, so kernel and reference agree bit for bit. Past the table (dt >= 4096) the kernel
extrapolates as table[-1] ** (dt / 4095), equal to decay**dt up to rounding.
"""

import numpy as np
import pytest

import kernel_reference as R
from models.mechanics.email_campaign import DECAY_TABLE, send

SEED_KEY = R.mix(4242)


def population(rng, size, day, max_gap):
    return {
        "kh": np.frombuffer(rng.bytes(8 * size), dtype=np.uint64).copy(),
        "stage": rng.integers(0, 7, size).astype(np.int8),
        "flags": (np.where(rng.random(size) < 0.8, R.ALIVE, 0)
                  | np.where(rng.random(size) < 0.3, R.EXPOSED, 0)).astype(np.uint8),
        "fatigue": np.where(rng.random(size) < 0.2, 0.0,
                            np.where(rng.random(size) < 0.1, 1.0,
                                     rng.random(size))).astype(np.float32),
        "fatigue_day": (day - rng.integers(0, max_gap, size)).astype(np.int32),
        "boost": np.where(rng.random(size) < 0.8, 1.0,
                          rng.uniform(1, 3, size)).astype(np.float32),
        "p_hi": rng.random(size).astype(np.float32),
    }


def run_both(P, n_live, day, decay, rate, uplift, step, targets):
    key = R.day_key(SEED_KEY, R.decision("email_campaign.response"), day)
    table = np.array([decay**k for k in range(DECAY_TABLE)], dtype=np.float64)
    K = {k: v.copy() for k, v in P.items()}
    Q = {k: v.copy() for k, v in P.items()}
    got = send(n_live, day, np.uint64(key), K["kh"], K["stage"], K["flags"], K["fatigue"],
               K["fatigue_day"], K["boost"], K["p_hi"], targets, table, rate, 1.0 + uplift,
               step)
    ref = R.email_send(n_live, day, key, Q["kh"], Q["stage"], Q["flags"], Q["fatigue"],
                       Q["fatigue_day"], Q["boost"], Q["p_hi"], targets, decay, rate,
                       1.0 + uplift, step)
    return K, Q, tuple(int(g) for g in got), ref


@pytest.mark.parametrize("decay,rate,uplift,step", [(0.98, 0.10, 2.0, 0.05),
                                                    (0.9, 0.6, 0.5, 0.4),
                                                    (1.0, 1.0, 0.0, 0.0)])
def test_send_matches_reference_exactly(decay, rate, uplift, step):
    rng = np.random.default_rng(int(rate * 100))
    size, n_live, day = 8000, 7900, 4200
    P = population(rng, size, day, DECAY_TABLE)
    targets = np.array([True, True, True, True, True, False, True])   # all but churned
    K, Q, got, ref = run_both(P, n_live, day, decay, rate, uplift, step, targets)
    assert got == ref
    for name in P:
        assert np.array_equal(K[name], Q[name]), name
    contacted = targets[P["stage"][:n_live]]
    assert got[0] == contacted.sum()
    if rate > 0 and step < 1:
        assert got[1] > 50
    # untouched: non-targets, customers past n_live, and everyone's keys
    for name in ("fatigue", "fatigue_day", "boost", "p_hi", "flags"):
        assert np.array_equal(K[name][:n_live][~contacted], P[name][:n_live][~contacted])
        assert np.array_equal(K[name][n_live:], P[name][n_live:])
    assert np.array_equal(K["kh"], P["kh"])
    # a response is an exposure: exactly the forced responders gain the EXPOSED flag
    gained = (K["flags"] & R.EXPOSED) & ~P["flags"]
    assert np.array_equal(K["flags"] & ~np.uint8(R.EXPOSED), P["flags"] & ~np.uint8(R.EXPOSED))
    assert np.all(K["p_hi"][gained != 0] == 2.0)
    # only alive customers are forced
    forced = K["p_hi"] == 2.0
    assert np.all(K["flags"][forced & (P["p_hi"] != 2.0)] & R.ALIVE)


def test_send_past_the_decay_table():
    """Gaps of 4096 to 40,000 days: the extrapolated decay equals decay**dt to rounding,
    so fatigue agrees to float32 precision and the responses are the same."""
    rng = np.random.default_rng(3)
    size, day = 4000, 50_000
    P = population(rng, size, day, 40_000)
    P["fatigue_day"][:] = day - rng.integers(DECAY_TABLE, 40_000, size)
    targets = np.ones(7, dtype=np.bool_)
    for decay in (0.9999, 0.999):
        K, Q, got, ref = run_both(P, size, day, decay, 0.5, 2.0, 0.05, targets)
        assert got == ref
        np.testing.assert_allclose(K["fatigue"], Q["fatigue"], rtol=1e-6, atol=0)
        for name in ("fatigue_day", "boost", "p_hi", "flags"):
            assert np.array_equal(K[name], Q[name]), name


def test_response_rate_without_fatigue():
    """Untired alive targets respond with probability response_rate: the share of
    responders is within 4 standard errors (fixed keys)."""
    rng = np.random.default_rng(8)
    size, day, rate = 100_000, 10, 0.1
    P = population(rng, size, day, 5)
    P["fatigue"][:] = 0.0
    P["flags"][:] = R.ALIVE
    K, Q, got, ref = run_both(P, size, day, 0.98, rate, 2.0, 0.05, np.ones(7, np.bool_))
    assert got == ref == (size, got[1])
    se = np.sqrt(rate * (1 - rate) / size)
    assert abs(got[1] / size - rate) < 4 * se
    assert np.all(K["fatigue"] == np.float32(0.05))
