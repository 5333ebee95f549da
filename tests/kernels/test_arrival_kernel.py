"""Arrival kernels (models/arrival_kernel.py) against their plain-Python references.

`init_range` and `first_purchases` are checked bit for bit against
`kernel_reference.init_arrival` / `book_orders` on the same keys, and the parallel
`arrive_parallel` against the serial `arrive` on 1 and 2 threads. Then the properties
the module docstring promises: a base customer's history puts it in its target stage
(at the end of day -1, where the kernel evaluates it), and the purchase rate and
dropout are drawn from the BG/NBD posterior given that history, Gamma(r + x, alpha + T)
and Beta(a, b + x) with x = purchases - 1 repeat purchases and T the tenure. Moment
checks use Z = 4 standard errors of the mean over fixed keys (deterministic).
"""

import math

import arrival_reference as AR
import funnel_states as FS
import kernel_reference as R
import numba
import numpy as np
import pytest

from models import arrival_kernel as ak
from models import funnel_screen as fs
from models import traits
from sim.pack import Pack

Z = 4.0
TRAIT_KEYS = ("type", "rate", "spend", "drop", "need", "history", "due")
SEED_KEY = R.mix(777)
ARRAYS = {"stage": np.int8, "flags": np.uint8, "dtype": np.int8, "purchases": np.int32,
          "last": np.int32, "lam": np.float32, "nu": np.float32, "pdrop": np.float32,
          "need_end": np.int32, "due": np.int32}
FILL = {"flags": R.ALIVE, "last": R.NEVER, "need_end": R.FOREVER, "due": R.FOREVER}


def funnel_par(loyal=4, lapsed=90, churned=180):
    par = np.zeros(R.N_PAR)
    par[R.P_LOYAL_AFTER] = loyal
    par[R.P_LAPSED_AFTER] = lapsed
    par[R.P_CHURNED_AFTER] = R.FOREVER if churned is None else churned
    par[R.P_RATE_ADD] = 0.001
    par[R.P_SPEND_CONST] = 40.0
    par[R.P_SEASON_MAX] = 1.0
    par[R.P_CHURN_MULT] = par[R.P_SPEND_MULT] = 1.0
    return par


DEM_TAB = FS.make_tables(0)[1]
CONFIGS = {
    # all six demand types, Gamma rate, Gamma-Gamma spend rate, Beta dropout, a need
    "history": dict(day=0, with_history=True, rate=traits.encode(traits.GAMMA, 0.5, 15.0),
                    spend=traits.encode(traits.GAMMA, 4.0, 30.0),
                    drop=traits.encode(traits.BETA, 0.8, 2.4),
                    need=traits.encode(traits.GAMMA, 2.0, 1 / 300), has_need=True,
                    shares=np.full(6, 1 / 6), par=funnel_par(),
                    hist=np.array([730.0, 0.5, 0.2])),
    # inflow: no history, constant and uniform traits, three demand types
    "inflow": dict(day=37, with_history=False, rate=traits.encode(traits.CONSTANT, 0.02),
                   spend=traits.encode(traits.UNIFORM, 0.05, 0.2),
                   drop=traits.encode(traits.CONSTANT, 0.1),
                   need=traits.encode(traits.UNIFORM, 10.0, 400.0), has_need=True,
                   shares=np.array([0.5, 0.3, 0.0, 0.0, 0.0, 0.2]), par=funnel_par(3, 30, None),
                   hist=np.array([365.0, 0.5, 0.2])),
    # short history, no need, constant dropout, recurrent and contractual only
    "short": dict(day=0, with_history=True, rate=traits.encode(traits.GAMMA, 2.0, 40.0),
                  spend=traits.encode(traits.CONSTANT, 0.0),
                  drop=traits.encode(traits.CONSTANT, 0.0),
                  need=np.zeros(3), has_need=False,
                  shares=np.array([0.0, 0.6, 0.0, 0.0, 0.0, 0.4]), par=funnel_par(5, 60, 120),
                  hist=np.array([100.0, 1.0, 0.0])),
}


def trait_keys():
    return np.array([R.day_key(SEED_KEY, R.decision("traits." + k), 0) for k in TRAIT_KEYS],
                    dtype=np.uint64)


def run_init(cfg, size, targets, lo=0, hi=None, source=0):
    hi = size if hi is None else hi
    kh = R.mix_np((np.uint64(source) << np.uint64(56)) ^ np.arange(size, dtype=np.uint64))
    A = {name: np.full(size, FILL.get(name, 0), dtype=dt) for name, dt in ARRAYS.items()}
    S = tuple(kh if name == "kh" else A[name] if name in A else np.zeros(size, R.DTYPES[name])
              for name in R.STATE_ORDER)
    M = (np.ones((7, 4)), DEM_TAB, np.ones(1), cfg["par"])
    ak.init_range(lo, hi, cfg["day"], trait_keys(), targets, cfg["with_history"], S, M,
         (cfg["rate"], cfg["spend"], cfg["drop"], cfg["need"]), cfg["has_need"],
         np.cumsum(cfg["shares"]), cfg["hist"])
    return kh, A


def reference(cfg, k, target):
    return AR.init_arrival(k, cfg["day"], trait_keys(), target, cfg["with_history"],
                          cfg["rate"], cfg["spend"], cfg["drop"], cfg["need"],
                          cfg["has_need"], np.cumsum(cfg["shares"]), DEM_TAB, cfg["par"],
                          cfg["hist"])


@pytest.mark.parametrize("name", list(CONFIGS))
def test_init_arrivals_matches_reference(name):
    """Every array of customers [lo, hi) equals the reference; the rest is untouched."""
    cfg = CONFIGS[name]
    size, lo, hi = 2600, 50, 2550
    targets = np.arange(hi - lo, dtype=np.int8) % 6 if cfg["with_history"] else \
        np.zeros(hi - lo, dtype=np.int8)
    kh, A = run_init(cfg, size, targets, lo, hi)
    for i in range(size):
        if not lo <= i < hi:
            assert all(A[n][i] == FILL.get(n, 0) for n in ARRAYS)
            continue
        ref = reference(cfg, kh[i], int(targets[i - lo]))
        for n in ARRAYS:
            assert A[n][i] == ref[n], (i, n, A[n][i], ref[n])
    kinds = np.bincount(A["dtype"][lo:hi], minlength=6)
    assert np.all((kinds > 0) == (cfg["shares"] > 0))


def test_history_matches_reference():
    for cfg in CONFIGS.values():
        for target in range(6):
            for j in range(300):
                h = R.mix(j * 31 + target)
                got = ak._history(np.uint64(h), target, cfg["par"], cfg["hist"])
                assert tuple(got) == AR.history(h, target, cfg["par"], cfg["hist"])


def base_of(target, size, par, hist_days):
    cfg = dict(CONFIGS["history"], par=par, hist=np.array([float(hist_days), 0.5, 0.2]))
    return run_init(cfg, size, np.full(size, target, dtype=np.int8), source=target)[1]


SETTINGS = [  # (loyal_after, lapsed_after, churned_after, history days)
    (4, 90, 180, 730), (3, 30, None, 365), (6, 60, 400, 200), (2, 120, 240, 1000),
    (5, 7, 8, 30)]


@pytest.mark.parametrize("loyal,lapsed,churned,days", SETTINGS)
def test_base_active_stages_equal_their_target(loyal, lapsed, churned, days):
    par = funnel_par(loyal, lapsed, churned)
    for target in (R.POTENTIAL, R.NEW, R.REPEAT, R.LOYAL):
        if target == R.REPEAT and loyal == 2:
            continue   # no purchase count is 'repeat' when 2 purchases already make loyal
        A = base_of(target, 20_000, par, days)
        assert np.all(A["stage"] == target), (target, np.bincount(A["stage"], minlength=7))
        if target != R.POTENTIAL:
            assert np.all(A["last"] < 0) and np.all(A["purchases"] >= 1)


@pytest.mark.parametrize("loyal,lapsed,churned,days", [(4, 90, 180, 730), (5, 7, 8, 30)])
def test_base_lapsed_and_churned_stages_equal_their_target(loyal, lapsed, churned, days):
    par = funnel_par(loyal, lapsed, churned)
    for target in (R.LAPSED, R.CHURNED):
        A = base_of(target, 20_000, par, days)
        assert np.all(A["stage"] == target), (target, np.bincount(A["stage"], minlength=7))


def test_posterior_rate_mean_for_fixed_purchases_and_tenure():
    """history_days = 1 pins the tenure at T = 1 day; with loyal_after = 3 'new' is
    n = 1 and 'repeat' n = 2, 'loyal' n >= 3 grouped by n. The mean of lam over the
    group must be (r + n - 1) / (alpha + T) within Z SE (SE = sqrt(shape)/rate/sqrt(m));
    leads (no history) keep the prior, mean r / alpha."""
    r, alpha = 0.5, 15.0
    par = funnel_par(3, 90, 180)
    checked = 0
    for target in (R.POTENTIAL, R.NEW, R.REPEAT, R.LOYAL):
        A = base_of(target, 60_000, par, 1)
        n_all = A["purchases"].astype(np.int64)
        for n in np.unique(n_all):
            lam = A["lam"][n_all == n].astype(np.float64)
            if lam.size < 2000:
                continue
            shape, rate = (r, alpha) if n == 0 else (r + n - 1, alpha + 1.0)
            se = math.sqrt(shape) / rate / math.sqrt(lam.size)
            assert abs(lam.mean() - shape / rate) < Z * se, (n, lam.mean(), shape / rate, se)
            checked += 1
    assert checked >= 5


def test_posterior_rate_and_dropout_given_each_history():
    """Over a realistic base (730 days of history, every stage) the standardised sum
    sum(lam - E) / sqrt(sum Var), with E, Var of Gamma(r + x, alpha + T) for each
    customer's own (x, T) from the reference history, is within Z of 0; the same for
    the dropout of alive buyers, Beta(a, b + x), and of the rest, the prior Beta(a, b)."""
    cfg = CONFIGS["history"]
    r, alpha = cfg["rate"][1], cfg["rate"][2]
    a, b = cfg["drop"][1], cfg["drop"][2]
    size = 30_000
    targets = np.arange(size, dtype=np.int8) % 6
    kh, A = run_init(cfg, size, targets, source=9)
    hk = trait_keys()[5]
    e_lam, v_lam, e_drop, v_drop = (np.empty(size) for _ in range(4))
    for i in range(size):
        n, _, tenure, alive = AR.history(R.mix(int(kh[i]) ^ int(hk)), int(targets[i]),
                                        cfg["par"], cfg["hist"])
        assert n == A["purchases"][i]
        x = max(n - 1, 0)
        shape, rate = (r + x, alpha + tenure) if n > 0 else (r, alpha)
        e_lam[i], v_lam[i] = shape / rate, shape / rate**2
        bb = b + x if n > 0 and alive else b
        e_drop[i] = a / (a + bb)
        v_drop[i] = a * bb / ((a + bb) ** 2 * (a + bb + 1))
    z_lam = (A["lam"] - e_lam).sum() / math.sqrt(v_lam.sum())
    z_drop = (A["pdrop"] - e_drop).sum() / math.sqrt(v_drop.sum())
    assert abs(z_lam) < Z and abs(z_drop) < Z, (z_lam, z_drop)
    # loyal customers really are the frequent buyers
    lam_by_stage = [A["lam"][A["stage"] == s].mean() for s in (R.NEW, R.REPEAT, R.LOYAL)]
    assert lam_by_stage[0] < lam_by_stage[1] < lam_by_stage[2]


def test_first_purchases_matches_reference():
    """Arrivals who come as buyers: one order at the potential stage's price and spend,
    booked into acc/coh in customer order, last = day, stage new, FIRST_IN_RUN, and
    recurrent/contract buyers get their first due day; dead arrivals are skipped."""
    tables = FS.make_tables(0)
    stage_tab, dem_tab, season, par = tables
    cfg = CONFIGS["inflow"]
    size, lo, hi, day = 1500, 100, 1400, 37
    kh, A = run_init(cfg, size, np.zeros(hi - lo, dtype=np.int8), lo, hi)
    A["flags"][lo + 7::13] = 0                         # some arrive dead
    S = {name: np.zeros(size, dtype=R.DTYPES[name]) for name in R.STATE_ORDER}
    S.update({k: v for k, v in A.items() if k in S})
    S["kh"][:] = kh
    S["arrival"][:] = day
    S["arrival"][:lo] = -1
    S["revenue"][:] = 3.0
    dks = FS.day_keys(SEED_KEY, day)
    S_r = FS.copy_state(S)
    acc = np.zeros(R.N_ACC)
    coh = np.zeros((FS.n_cohorts(), R.N_COH))
    ak.first_purchases(lo, hi, day, dks, FS.as_tuple(S), tables, acc, coh)
    acc_r = [0.0] * R.N_ACC
    coh_r = np.zeros_like(coh)
    for i in range(lo, hi):
        if not S_r["flags"][i] & R.ALIVE:
            continue
        kind = int(S_r["dtype"][i])
        n, paid, _, _ = R.book_orders(R.mix(int(kh[i]) ^ int(dks[R.K_SPEND])), 0,
                                      R.mix(int(kh[i]) ^ int(dks[R.K_ITEMS])), 1, day,
                                      R.POTENTIAL, kind, 0, int(S_r["last"][i]),
                                      R.cohort_of(int(S_r["arrival"][i])), S_r["nu"][i], 0.0,
                                      stage_tab[R.POTENTIAL, R.PRICE] * par[R.P_PROMO_PRICE],
                                      True, stage_tab, par, acc_r, coh_r)
        S_r["purchases"][i] = n
        S_r["last"][i] = day
        S_r["revenue"][i] = np.float32(S_r["revenue"][i] + np.float32(paid))
        S_r["stage"][i] = R.NEW
        S_r["flags"][i] |= np.uint8(R.FIRST_IN_RUN)
        if kind in (R.RECURRENT, R.CONTRACTUAL):
            S_r["due"][i] = R.next_due(R.mix(int(kh[i]) ^ int(dks[R.K_DUE])), kind, day,
                                       S_r["lam"][i], dem_tab, par)
    for name in R.STATE_ORDER:
        assert np.array_equal(S[name], S_r[name]), name
    assert np.array_equal(acc, np.array(acc_r))
    assert np.array_equal(coh, coh_r)
    assert acc[R.A_FIRST] == ((A["flags"][lo:hi] & R.ALIVE) != 0).sum()


def test_active_contract_customers_of_the_base_paid_within_the_current_period():
    """A subscriber still active at day 0 has paid within the last billing period, so the
    next renewal falls within the first period of the run (no false lapses)."""
    cfg = dict(CONFIGS["short"], shares=np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
               par=funnel_par(5, 90, 200), hist=np.array([720.0, 1.0, 0.0]))
    period = int(DEM_TAB[R.CONTRACTUAL, 0])
    assert period < 90
    targets = np.repeat(np.array([R.NEW, R.REPEAT, R.LOYAL], dtype=np.int8), 3000)
    _, A = run_init(cfg, targets.size, targets)
    idle = -1 - A["last"].astype(np.int64)
    assert (idle >= 0).all() and (idle < period).all()
    assert ((A["due"] >= 0) & (A["due"] < period)).all()
    assert (A["stage"] == targets).all()


def blank_state(size, lo, day):
    """Every state array of `size` customers as created, those from lo on arriving on
    `day` (the base before them), with neutral multipliers."""
    S = {n: np.full(size, FILL.get(n, 0), dtype=R.DTYPES[n]) for n in R.STATE_ORDER}
    S["kh"][:] = R.mix_np(np.arange(size, dtype=np.uint64))
    S["arrival"][:] = np.where(np.arange(size) < lo, -1, day)
    S["rel_buy"][:] = S["rel_churn"][:] = 1.0
    return S


@pytest.mark.parametrize("buying", [False, True])
@pytest.mark.parametrize("name", ["history", "inflow"])
def test_parallel_arrive_equals_serial_at_every_thread_count(name, buying):
    """`arrive_parallel` over several chunks (the last one partial) leaves every array,
    sum and count exactly as the serial `arrive` does, on 1 and 2 threads; the sums
    start non-zero, so adding them in another order would show."""
    cfg = CONFIGS[name]
    tables = FS.make_tables(0)
    size, lo, day = 1700, 60, cfg["day"]
    hi = lo + 5 * ak.PARALLEL_CHUNK + 77
    targets = (np.arange(hi - lo) % 6).astype(np.int8) if cfg["with_history"] else \
        np.zeros(hi - lo, dtype=np.int8)
    S0 = blank_state(size, lo, day)

    def run(kernel, threads):
        S = FS.copy_state(S0)
        sums = (np.full(R.N_ACC, 0.1), np.full((FS.n_cohorts(), R.N_COH), 0.3),
                np.ones((2, 7), dtype=np.int64), np.full(FS.n_cohorts(), 2.0))
        held = np.full(-(-size // fs.SKIP), fs.LIVE, dtype=np.uint8)
        old = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            kernel(lo, hi, day, FS.day_keys(SEED_KEY, day), targets, cfg["with_history"],
                   buying, Pack((trait_keys(), FS.as_tuple(S), tables,
                                 (cfg["rate"], cfg["spend"], cfg["drop"], cfg["need"]),
                                 cfg["has_need"], np.cumsum(cfg["shares"]), cfg["hist"],
                                 *sums, held)))
        finally:
            numba.set_num_threads(old)
        return S, (*sums, held)

    S1, sums1 = run(ak.arrive, 1)
    # the sweep counts the arrivals' blocks anew (their bounds were set here), no other
    unknown = np.flatnonzero(sums1[-1] == fs.UNKNOWN)
    assert np.array_equal(unknown, np.arange(lo // fs.SKIP, -(-hi // fs.SKIP)))
    assert np.all(np.delete(sums1[-1], unknown) == fs.LIVE)
    assert ((S1["flags"][lo:hi] & R.FIRST_IN_RUN) != 0).any() == buying
    alive = (S1["flags"][lo:hi] & R.ALIVE) != 0
    assert np.all(S1["p_hi"][lo:hi][alive] > 0)          # bounds cached, for them only
    assert not S1["p_hi"][:lo].any() and not S1["p_hi"][hi:].any()
    for threads in [1] + ([2] if numba.config.NUMBA_NUM_THREADS >= 2 else []):
        S, sums = run(ak.arrive_parallel, threads)
        for n in R.STATE_ORDER:
            assert np.array_equal(S[n], S1[n]), (threads, n)
        for got, ref in zip(sums, sums1):
            assert np.array_equal(got, ref), threads
