"""`apply_profiles` (models/arrival_kernel.py): a day-0 base built from observed
histories, as `snowball calibrate` writes them.

Checked bit for bit against `arrival_reference.profile_arrival` on the same keys, then
against the BG/NBD: the share of a profile's customers alive equals P(alive | x, t_x, T)
(FHL 2005a eq. A2, `models.analytic.bgnbd_prob_alive`) within Z = 4 binomial standard
errors (deterministic keys).
"""

import arrival_reference as AR
import funnel_states as FS
import kernel_reference as R
import numba
import numpy as np
import pytest
from test_arrival_kernel import CONFIGS, DEM_TAB, blank_state, run_init, trait_keys

from models import analytic as A
from models import arrival_kernel as ak
from models import funnel_kernel as fk
from models import funnel_totals as ft
from models import traits

Z = 4.0
PROFILES = np.array([[1, 40, 40], [2, 5, 300], [3, 200, 260], [8, 0, 700], [2, 690, 700]],
                    dtype=np.float64)


def _apply(cfg, size, profile_of):
    kh, A_ = run_init(cfg, size, np.zeros(size, dtype=np.int8))
    S = tuple(kh if name == "kh" else A_[name] if name in A_ else np.zeros(size, R.DTYPES[name])
              for name in R.STATE_ORDER)
    M = (np.ones((7, 4)), DEM_TAB, np.ones(1), cfg["par"])
    ak.apply_profiles(0, size, cfg["day"], trait_keys(), profile_of, PROFILES, S, M,
                      (cfg["rate"], cfg["spend"], cfg["drop"], cfg["need"]))
    return kh, A_


@pytest.mark.parametrize("drop", [traits.encode(traits.BETA, 0.8, 2.4),
                                  traits.encode(traits.CONSTANT, 0.1)])
def test_profiles_match_reference(drop):
    cfg = dict(CONFIGS["history"], drop=drop)
    size = 600
    profile_of = (np.arange(size) % len(PROFILES)).astype(np.int32)
    kh, got = _apply(cfg, size, profile_of)
    for i in range(size):
        ref = AR.profile_arrival(kh[i], cfg["day"], trait_keys(), int(got["dtype"][i]),
                                 PROFILES[profile_of[i]], cfg["rate"], drop, DEM_TAB,
                                 cfg["par"])
        for name, value in ref.items():
            if value is not None:
                assert got[name][i] == value, (i, name, got[name][i], value)


def test_alive_share_is_the_bgnbd_posterior():
    cfg = dict(CONFIGS["history"], shares=np.array([1.0, 0, 0, 0, 0, 0]))
    per = 4000
    profile_of = np.repeat(np.arange(len(PROFILES), dtype=np.int32), per)
    _, got = _apply(cfg, profile_of.size, profile_of)
    r, alpha = cfg["rate"][1:]
    a, b = cfg["drop"][1:]
    x, idle, tenure = PROFILES[:, 0] - 1, PROFILES[:, 1], PROFILES[:, 2]
    want = A.bgnbd_prob_alive(x, tenure - idle, tenure, r, alpha, a, b)
    alive = (got["flags"] & 1).reshape(len(PROFILES), per).mean(axis=1)
    se = np.sqrt(np.maximum(want * (1 - want), 1e-12) / per)
    assert np.all(np.abs(alive - want) <= Z * se + 1e-12), (alive, want)
    assert want.min() < 0.5 < want.max()   # the check covers likely dead and alive


@pytest.mark.parametrize("threads", [1, 2])
def test_profile_base_in_parallel_equals_the_serial_steps(threads):
    """`profile_base` over several chunks (the last one partial) leaves every array and
    count as the serial steps one after the other: traits, profile, counts, bounds."""
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("needs 2 threads")
    cfg = CONFIGS["history"]
    tables = FS.make_tables(0)
    size, lo = 1800, 40
    hi = lo + 5 * ak.PARALLEL_CHUNK + 33
    profile_of = (np.arange(hi - lo) * 7 % len(PROFILES)).astype(np.int32)
    args = (trait_keys(), profile_of, PROFILES)
    more = ((cfg["rate"], cfg["spend"], cfg["drop"], cfg["need"]), cfg["has_need"],
            np.cumsum(cfg["shares"]), cfg["hist"])
    S0 = blank_state(size, lo, -1)
    ref, got = FS.copy_state(S0), FS.copy_state(S0)
    sums_ref = (np.ones((2, 7), dtype=np.int64), np.full(FS.n_cohorts(), 2.0))
    sums_got = tuple(a.copy() for a in sums_ref)
    S = FS.as_tuple(ref)
    ak.init_range(lo, hi, 0, args[0], np.zeros(hi - lo, dtype=np.int8), True, S, tables,
                  *more)
    ak.apply_profiles(lo, hi, 0, *args, S, tables, more[0])
    ft.count_arrivals(lo, hi, S[2], S[3], S[1], *sums_ref)
    fk.refresh_range(lo, hi, 0, S, tables)
    old = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        ak.profile_base(lo, hi, *args, FS.as_tuple(got), tables, *more, *sums_got)
    finally:
        numba.set_num_threads(old)
    assert len(set(ref["stage"][lo:hi].tolist())) > 2 and ref["p_hi"][lo:hi].any()
    for n in R.STATE_ORDER:
        assert np.array_equal(got[n], ref[n]), n
    for a, b in zip(sums_got, sums_ref):
        assert np.array_equal(a, b)
