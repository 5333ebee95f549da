"""The funnel day kernel (models/funnel_kernel.py) against its plain-Python reference.

`kernel_reference.reference_day` is one customer's day written from the module
docstring and `models/stages.py`; the tests run the kernel and the reference on the
same states with the same counter-based uniforms (computed in Python from the same
keys) and require bit-identical new states and accumulators. States are random but
reachable (`funnel_states.random_state`, fixed seeds): all six demand types, dead and
alive, leads, lapsed and churned by recency, recency on every threshold, natural death
due, renewals due, and forced customers (p_hi = 2, boost > 1, sometimes EXPOSED).
"""

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import day_reference as D
import funnel_states as FS
import kernel_reference as R
from models import funnel_kernel as fk
from models import funnel_screen as fs
from models import funnel_totals as ft
from models import layouts as lay
from models.stages import STAGES
from sim.pack import Pack

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
SEED_KEY = R.mix(20240601)


@pytest.mark.parametrize("prefix, size", [("P_", "N_PAR"), ("A_", "N_ACC"), ("C_", "N_COH"),
                                          ("K_", "N_KEYS"), ("CH_", "N_CH"), ("M_", "N_MECH"),
                                          ("O_", "N_OUT")])
def test_every_slot_table_is_dense_and_the_reference_reads_it(prefix, size):
    """Each table of `models.layouts` numbers its slots 0..N-1, once each; the kernels
    and the references import it (nothing numbers them a second time)."""
    slots = sorted(v for k, v in vars(lay).items() if k.startswith(prefix) and k != size)
    assert slots == list(range(getattr(lay, size)))
    assert R.STATE_ORDER is lay.STATE_ORDER


def test_layout_constants_agree_with_reference():
    """The reference hard-codes the stage table, flag bits and timers."""
    from models import funnel, stages
    assert (stages.ALIVE, stages.DIED_NATURAL, stages.EXPOSED, stages.FIRST_IN_RUN,
            stages.CART) == (R.ALIVE, R.DIED_NATURAL, R.EXPOSED, R.FIRST_IN_RUN, R.CART)
    assert (stages.XSELL, stages.UPSELL) == (R.XSELL, R.UPSELL)
    assert (stages.NEVER, stages.FOREVER) == (R.NEVER, R.FOREVER)
    assert funnel.KEYS == ("event", "orders", "spend", "drop", "due", "cancel",
                           "items")  # dks rows
    for name in R.STATE_ORDER[2:]:
        assert np.dtype(funnel.STATES[name][0]) == np.dtype(R.DTYPES[name]), name


def test_day_keys_match_python_day_key():
    from sim.streams import day_keys
    decisions = np.array([R.decision("funnel." + k) for k in
                          ("event", "orders", "spend", "drop", "due", "cancel", "items")],
                         dtype=np.uint64)
    for day in (0, 1, 17, 364, 10_000):
        assert np.array_equal(day_keys(np.uint64(SEED_KEY), decisions, day),
                              FS.day_keys(SEED_KEY, day))


# ------------------------------------------------------------------ chunk_step, exactly


def _run_kernel_chunk(S, lo, hi, day, dks, tables, blocks=None):
    """chunk_step on S; `blocks`: the sweep's summaries kept from earlier days (None:
    nothing known, every block swept)."""
    acc = np.zeros(R.N_ACC)
    counts = np.zeros((2, len(STAGES)), dtype=np.int64)
    coh = np.zeros((FS.n_cohorts(), R.N_COH))
    if blocks is None:
        blocks = fs.new_summaries(S["kh"].size)
    fk.chunk_step(lo, hi, day, dks, FS.as_tuple(S), tables, acc, counts, coh, blocks)
    return acc, counts, coh


def _assert_same_state(a, b, names=R.STATE_ORDER, where=""):
    for name in names:
        bad = np.flatnonzero(a[name] != b[name])
        assert bad.size == 0, (f"{where}{name} differs at {bad[:5]}: kernel "
                               f"{a[name][bad[:5]]} vs reference {b[name][bad[:5]]}")


@pytest.mark.parametrize("variant,seed", [(0, 1), (1, 2), (2, 3), (0, 4), (3, 8)])
def test_chunk_step_equals_reference_day_by_day(variant, seed):
    """25 consecutive days on 2000 customers: every state array, acc, counts and coh are
    bit-identical; customers outside [lo, hi) are untouched; the count deltas are the
    change of the (alive, stage) table of the arrays."""
    tables = FS.make_tables(variant)
    rng = np.random.default_rng(seed)
    day0 = 150
    S_k = FS.random_state(rng, 2000, day0, tables)
    S_r = FS.copy_state(S_k)
    lo, hi = 13, 1990
    blocks = fs.new_summaries(2000)
    events = 0
    levers = np.zeros(R.N_ACC)
    for day in range(day0, day0 + 25):
        dks = FS.day_keys(SEED_KEY, day)
        before = FS.copy_state(S_k)
        acc_k, counts_k, coh_k = _run_kernel_chunk(S_k, lo, hi, day, dks, tables, blocks)
        acc_r, counts_r, coh_r = D.reference_chunk(S_r, lo, hi, day, dks, tables,
                                                   FS.n_cohorts())
        _assert_same_state(S_k, S_r, where=f"day {day}: ")
        assert np.array_equal(acc_k, acc_r), (day, acc_k, acc_r)
        assert np.array_equal(counts_k, counts_r)
        assert np.array_equal(coh_k, coh_r)
        for name in R.STATE_ORDER:
            assert np.array_equal(S_k[name][:lo], before[name][:lo])
            assert np.array_equal(S_k[name][hi:], before[name][hi:])
        assert np.array_equal(FS.stage_counts(S_k) - FS.stage_counts(before), counts_k)
        events += acc_k[R.A_BUYERS]
        levers += acc_k
        # a campaign answers some customers for tomorrow, identically in both copies
        r1, r2 = np.random.default_rng(day), np.random.default_rng(day)
        fs.forget(blocks, np.flatnonzero(FS.force(r1, S_k, 0.05)))  # as Funnel.move_each
        FS.force(r2, S_r, 0.05)
    assert events > 150  # the test exercises purchases, not just the sweep
    if variant == 3:     # ... and every mechanic lever: carts, offers, add-ons
        for col in (R.A_CARTS, R.A_OFFER_BUYERS, R.A_OFFER_BUYERS_ANYWAY,
                    R.A_OFFER_DISCOUNT_ANYWAY, R.A_ADDON_REVENUE):
            assert levers[col] > 0, col
        assert levers[R.A_ITEMS] > 2 * levers[R.A_ORDERS]
        assert levers[R.A_OFFER_BUYERS_ANYWAY] < levers[R.A_OFFER_BUYERS]


@pytest.mark.parametrize("variant,seed", [(0, 5), (1, 6), (2, 7), (3, 9)])
def test_two_pass_equals_rule_applied_to_everyone(variant, seed):
    """The point of the design: sweeping with the cached bound and timers, then the
    exact rule on the flagged, gives what the per-day rule applied to every customer
    gives. Only the caches (t_next, p_hi) may differ."""
    tables = FS.make_tables(variant)
    rng = np.random.default_rng(seed)
    day0 = 180
    S_k = FS.random_state(rng, 1500, day0, tables)
    S_r = FS.copy_state(S_k)
    behaviour = [n for n in R.STATE_ORDER if n not in ("t_next", "p_hi")]
    blocks = fs.new_summaries(1500)
    for day in range(day0, day0 + 25):
        dks = FS.day_keys(SEED_KEY, day)
        acc_k, counts_k, coh_k = _run_kernel_chunk(S_k, 0, S_k["kh"].size, day, dks, tables,
                                                   blocks)
        acc_r, counts_r, coh_r = D.reference_chunk(S_r, 0, S_r["kh"].size, day, dks, tables,
                                                   FS.n_cohorts(), sweep=False)
        _assert_same_state(S_k, S_r, behaviour, where=f"day {day}: ")
        assert np.array_equal(acc_k, acc_r)
        assert np.array_equal(counts_k, counts_r)
        assert np.array_equal(coh_k, coh_r)
        pick = np.random.default_rng(day).random(S_k["kh"].size) < 0.05
        alive = (S_k["flags"] & R.ALIVE) != 0
        for S in (S_k, S_r):
            S["boost"][pick & alive] *= np.float32(3.0)
            S["p_hi"][pick & alive] = R.ALWAYS


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), variant=st.integers(0, 3),
       day=st.integers(1, FS.HORIZON - 1), forced=st.floats(0.0, 0.6))
def test_chunk_step_equals_reference_on_drawn_states(seed, variant, day, forced):
    """One day on 300 customers drawn from hypothesis-chosen seeds, days and shares of
    forced customers: the kernel and the mirrored two-pass reference agree exactly."""
    tables = FS.make_tables(variant)
    S_k = FS.random_state(np.random.default_rng(seed), 300, day, tables, forced)
    S_r = FS.copy_state(S_k)
    dks = FS.day_keys(SEED_KEY, day)
    acc_k, counts_k, coh_k = _run_kernel_chunk(S_k, 0, 300, day, dks, tables)
    acc_r, counts_r, coh_r = D.reference_chunk(S_r, 0, 300, day, dks, tables, FS.n_cohorts())
    _assert_same_state(S_k, S_r)
    assert np.array_equal(acc_k, acc_r)
    assert np.array_equal(counts_k, counts_r) and np.array_equal(coh_k, coh_r)


def test_count_arrivals_matches_bincount():
    """count_arrivals adds new customers to the (alive, stage) table and cohort sizes
    (cohort 0: the day-0 base, then 1 + month of arrival)."""
    rng = np.random.default_rng(21)
    size, lo, hi = 5000, 300, 4700
    stage = rng.integers(0, 7, size).astype(np.int8)
    flags = rng.integers(0, 16, size).astype(np.uint8)
    arrival = np.where(rng.random(size) < 0.3, -1, rng.integers(0, 400, size)).astype(np.int32)
    counts = np.ones((2, len(STAGES)), dtype=np.int64)
    sizes = np.full(FS.n_cohorts(), 2.0)
    ft.count_arrivals(lo, hi, stage, flags, arrival, counts, sizes)
    alive = (flags[lo:hi] & R.ALIVE) != 0
    expect = np.ones((2, len(STAGES)), dtype=np.int64)
    for a in (0, 1):
        expect[a] += np.bincount(stage[lo:hi][alive == bool(a)], minlength=len(STAGES))
    cohorts = [R.cohort_of(int(a)) for a in arrival[lo:hi]]
    assert np.array_equal(counts, expect)
    assert np.array_equal(sizes, 2.0 + np.bincount(cohorts, minlength=FS.n_cohorts()))


customers = st.fixed_dictionaries({
    "variant": st.integers(0, 3),
    "kind": st.integers(0, 5),
    "n": st.integers(0, 9),
    "idle": st.one_of(st.integers(0, 400), st.sampled_from([0, 1, 13, 14, 29, 30, 59, 60,
                                                             149, 150, 151])),
    "alive": st.booleans(),
    "won_back": st.booleans(),
    "overdue": st.booleans(),
    "lam": st.floats(0.0, 5.0),          # rounded to float32 in the test
    "rel_buy": st.floats(0.05, 4.0),
    "rel_churn": st.floats(0.0, 4.0),
    "due_in": st.integers(1, 90),
    "need_in": st.one_of(st.none(), st.integers(1, 400)),
    "offer_in": st.integers(-2, 40),     # the personal offer ends this many days after d0
    "day": st.integers(0, FS.HORIZON - 2),
})


def _drawn_customer(c):
    """The tables and the customer `c` describes at the end of its day d0, with its
    cached timer and bound computed then."""
    tables = FS.make_tables(c["variant"])
    stage_tab, dem_tab, season, par = tables
    d0, n, kind = c["day"], c["n"], c["kind"]
    last = R.NEVER if n == 0 else d0 - c["idle"]
    prev = R.WON_BACK if c["won_back"] and par[R.P_WON_BACK] > 0 else R.POTENTIAL
    due = d0 + c["due_in"] if n > 0 and kind in (R.RECURRENT, R.CONTRACTUAL) else R.FOREVER
    flags = R.OVERDUE if c["overdue"] else 0
    pending = fk.due_pending(kind, n, flags, due, d0)
    s = fk.stage_of(n, last, d0, prev, False, pending, par)
    need_end = R.FOREVER if c["need_in"] is None else d0 + c["need_in"]
    lam, rel_buy, rel_churn = (np.float32(c[k]) for k in ("lam", "rel_buy", "rel_churn"))
    offer_end = max(0, d0 + c["offer_in"])
    t, p = fk.bound(s, c["alive"], pending, kind, n, last, need_end, due, lam, rel_buy,
                    rel_churn, offer_end, d0, stage_tab, dem_tab, par, fk.NO_RATE)
    return tables, dict(s=s, kind=kind, n=n, last=last, due=due, flags=flags, lam=lam,
                        rel_buy=rel_buy, rel_churn=rel_churn, offer_end=offer_end,
                        t=int(t), p=p)


def _event_probability(x, d, tables):
    """The exact pass's probability of an event (death, purchase or abandoned cart) on
    day d, with that day's season, the real due day, the offer if still held on d and
    the lead multiplier at its ceiling."""
    stage_tab, dem_tab, season, par = tables
    h = fk.hazard(x["s"], x["rel_churn"], stage_tab, par)
    q = fk.buy_probability(x["s"], x["kind"], x["n"], x["last"], x["due"], x["lam"],
                           x["rel_buy"], False, d, season[d], par[R.P_LEAD_BUY_MAX],
                           stage_tab, dem_tab, par, fk.NO_RATE)
    q += (1.0 - q) * fk.offer_response(x["kind"], x["n"], x["offer_end"] > d, par)
    return h + (1.0 - h) * fk.cart_intent(x["kind"], q, par)


@SETTINGS
@given(customers)
def test_bound_is_never_below_any_days_event_probability(c):
    """After the exact pass of day d0 the cache says: nothing but u < p_hi can happen
    before t_next. So for every day d0 < d < t_next the stage stays what it is (no
    silent recency change) and the exact event probability h + (1 - h) q(d), with that
    day's season, the real due day, the offer if still held, the lead multiplier at its
    ceiling and the cart intent (an abandoned cart is an event too), is at most p_hi;
    hence the sweep never misses an event (u < exact implies u < p_hi)."""
    tables, x = _drawn_customer(c)
    par, d0, t = tables[3], c["day"], x["t"]
    assert t > d0
    if not c["alive"]:
        assert x["p"] == 0
    for d in range(d0 + 1, min(t, FS.HORIZON)):
        pending = fk.due_pending(x["kind"], x["n"], x["flags"], x["due"], d)
        assert fk.stage_of(x["n"], x["last"], d, x["s"], False, pending, par) == x["s"], (d, t)
        if c["alive"]:
            assert _event_probability(x, d, tables) <= x["p"], (d, x["p"])


@SETTINGS
@given(customers, st.integers(-1, 2))
def test_bound_taken_during_a_day_holds_on_that_day(c, offer_in):
    """Modules refresh cached bounds during a day, before its exact pass (a blanket promo
    starting, arrivals): that day's sweep reads them, so a bound taken on day d0 must
    also cover d0's own event probability, on a personal offer's last day too (offers
    ending about d0 drawn often)."""
    tables, x = _drawn_customer({**c, "offer_in": offer_in})
    if c["alive"]:
        assert _event_probability(x, c["day"], tables) <= x["p"], x["p"]


@pytest.mark.parametrize("kind", ["recurrent", "contractual"])
def test_recurring_lead_gets_a_due_day_after_first_purchase(kind):
    kind = {"recurrent": R.RECURRENT, "contractual": R.CONTRACTUAL}[kind]
    tables = FS.make_tables(0)
    stage_tab, dem_tab, season, par = tables
    day = 100
    S = {name: np.zeros(64, dtype=R.DTYPES[name]) for name in R.STATE_ORDER}
    S["kh"][:] = [R.mix(i) for i in range(64)]
    S["arrival"][:] = 50
    S["stage"][:] = R.POTENTIAL
    S["flags"][:] = R.ALIVE
    S["dtype"][:] = kind
    S["last"][:] = R.NEVER
    S["lam"][:] = 50.0                  # buys today for sure unless the hazard hits
    S["need_end"][:] = R.FOREVER
    S["due"][:] = R.FOREVER
    S["rel_buy"][:] = S["rel_churn"][:] = S["boost"][:] = 1.0
    S["nu"][:] = 0.1
    fk.refresh_range(0, 64, day - 1, FS.as_tuple(S), tables)
    _run_kernel_chunk(S, 0, 64, day, FS.day_keys(SEED_KEY, day), tables)
    bought = S["last"] == day
    assert bought.sum() > 50
    assert np.all(S["due"][bought] > day)
    assert np.all(S["due"][bought] < R.FOREVER)   # fails: due is still FOREVER


# ------------------------------------------------------------------ day_step across chunks


def test_day_step_equals_chunks_reference_and_any_thread_count():
    """Customers spanning three chunks (CHUNK = 16384), n_live short of the arrays: the
    parallel day_step writes per-chunk rows equal to serial chunk_step calls and to the
    reference; the customers past n_live are untouched; 1 and 2 threads agree bit for
    bit (totals summed in chunk order are then identical too)."""
    assert fk.CHUNK == 16384
    tables = FS.make_tables(0)
    rng = np.random.default_rng(99)
    size = 2 * fk.CHUNK + 3001
    n_live = size - 77
    day = 210
    dks = FS.day_keys(SEED_KEY, day)
    S0 = FS.random_state(rng, size, day, tables)
    chunks = (n_live + fk.CHUNK - 1) // fk.CHUNK
    assert chunks == 3

    def run_day_step(threads):
        S = FS.copy_state(S0)
        acc = np.full((chunks + 1, R.N_ACC), -1.0)   # a spare row must stay untouched
        counts = np.zeros((chunks + 1, 2, len(STAGES)), dtype=np.int64)
        coh = np.zeros((chunks + 1, FS.n_cohorts(), R.N_COH))
        old = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            fk.day_step(day, n_live, dks, Pack((FS.as_tuple(S), tables, (acc, counts, coh),
                                                fs.new_summaries(size))))
        finally:
            numba.set_num_threads(old)
        assert np.all(acc[chunks] == -1.0)
        return S, acc[:chunks], counts[:chunks], coh[:chunks]

    threads = [1] + ([2] if numba.config.NUMBA_NUM_THREADS >= 2 else [])
    runs = [run_day_step(t) for t in threads]
    S1, acc1, counts1, coh1 = runs[0]
    for S, acc, counts, coh in runs[1:]:
        _assert_same_state(S, S1)
        assert np.array_equal(acc, acc1) and np.array_equal(counts, counts1)
        assert np.array_equal(coh, coh1)
        assert np.array_equal(acc.sum(axis=0), acc1.sum(axis=0))
    S_c = FS.copy_state(S0)
    S_r = FS.copy_state(S0)
    for c in range(chunks):
        lo, hi = c * fk.CHUNK, min((c + 1) * fk.CHUNK, n_live)
        acc_c, counts_c, coh_c = _run_kernel_chunk(S_c, lo, hi, day, dks, tables)
        acc_r, counts_r, coh_r = D.reference_chunk(S_r, lo, hi, day, dks, tables,
                                                   FS.n_cohorts())
        assert np.array_equal(acc1[c], acc_c) and np.array_equal(acc_c, acc_r)
        assert np.array_equal(counts1[c], counts_c) and np.array_equal(counts_c, counts_r)
        assert np.array_equal(coh1[c], coh_c) and np.array_equal(coh_c, coh_r)
    _assert_same_state(S1, S_c)
    _assert_same_state(S_c, S_r)
    for name in R.STATE_ORDER:
        assert np.array_equal(S1[name][n_live:], S0[name][n_live:])
    # totals are the chunk rows summed in chunk order, i.e. what Funnel.step reports
    assert np.array_equal(acc1.sum(axis=0), np.add.reduce(acc1, axis=0))
    assert np.array_equal(FS.stage_counts(S1, n_live) - FS.stage_counts(S0, n_live),
                          counts1.sum(axis=0))
    assert acc1[:, R.A_BUYERS].min() > 100
