"""Responders left out of the funnel's exact pass (models/responder_visits.py).

The kernels against plain references written from the module docstring; the bound
against the exact boosted event probability of drawn customers (every demand type,
offers, promo, cart intent, boosts below and above 1, exposures); and the point of it:
the funnel's days come out exactly as if every responder had been forced into the
pass, in the kernel and in whole runs, with fewer customers visited.
"""

import numpy as np
import pytest
from numba import njit

import contact_reference as CR
import day_reference as D
import funnel_states as FS
import kernel_reference as R
from models import contact_kernel as ck
from models import funnel as fm
from models import funnel_kernel as fk
from models import funnel_screen as fs
from models import responder_visits as rv
from models.contact_sure import responded
from models.stages import STAGES
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile
from sim.streams import mix

SEED_KEY = R.mix(777)


# ---------------------------------------------------------------- against the references


def test_after_response_and_release_equal_their_references():
    """Two chunks, one list nearly full, customers listed twice (two sends), impulse
    buyers, boosts below 1, offers and offers' last days: the same p_hi, lists, flags
    and boosts."""
    rng = np.random.default_rng(3)
    size, day, slots = 2 * fk.CHUNK + 100, 90, 40
    p_hi = rng.integers(0, 6554, size).astype(np.uint16)     # bounds up to 0.2, in 2**-15
    boost = rng.uniform(0.5, 4.0, size).astype(np.float32)
    kind = rng.integers(0, 6, size).astype(np.int8)
    offer_end = day + rng.integers(-2, 4, size).astype(np.int32)
    lists_k, lists_r = rv.empty_lists(3, slots), rv.empty_lists(3, slots)
    lists_k[2, 0] = lists_r[2, 0] = slots      # the third chunk's list is full
    lists_k[2, 1:] = lists_r[2, 1:] = np.arange(slots)
    picks = np.concatenate([rng.choice(fk.CHUNK, 30, replace=False),
                            fk.CHUNK + rng.choice(fk.CHUNK, 100, replace=False)])
    picks = np.concatenate([picks, picks[:5], [2 * fk.CHUNK - 1, 2 * fk.CHUNK + 50]])
    for i in picks:
        u = np.float64(rng.random())
        args = (u, day, int(rng.random() < 0.1), p_hi[i], boost[i], kind[i], offer_end[i],
                1 / 0.3)
        assert rv.after_response(i, *args, lists_k) == CR.responder_p_hi(i, *args, lists_r)
    assert np.array_equal(lists_k, lists_r)
    assert 0 < lists_k[0, 0] < slots and lists_k[1, 0] == slots    # one filled up
    flags = rng.integers(0, 32, size).astype(np.uint8)
    flags_r, boost_r = flags.copy(), boost.copy()
    rv.release(3, lists_k, flags, boost)
    D.release_listed({"flags": flags_r, "boost": boost_r}, lists_r, fk.CHUNK)
    assert np.array_equal(flags, flags_r) and np.array_equal(boost, boost_r)
    assert np.array_equal(lists_k, lists_r) and not lists_k[:, 0].any()


def test_no_list_forces_and_nan_forces():
    """Without lists (no funnel) every responder is forced; an infinite lift times a
    zero bound (an impulse share of 0) forces too."""
    none = rv.empty_lists(0)
    assert rv.after_response(5, 0.99, 10, 0, np.uint16(1), 1.0, 0, 0, 1.0, none) == R.ALWAYS
    lists = rv.empty_lists(1)
    assert rv.after_response(5, 0.99, 10, 0, np.uint16(0), 1.0, R.IMPULSE, 0, np.inf,
                             lists) == R.ALWAYS
    assert rv.exposure_lift(np.array([[0.0, 0.0]] * 6)) == np.inf
    assert lists[0, 0] == 0


def test_lists_rows_are_the_contact_kernels_chunks():
    """Each parallel chunk of the contact kernel writes only its own row."""
    assert ck.CHUNK == fk.CHUNK


# ---------------------------------------------------------------- the bound


def _event_probability(c, day, tables):
    """Today's probability of any event the uniform decides (death, purchase, cart)."""
    _, _, _, par = tables
    s, kind, n, last = int(c["stage"]), int(c["dtype"]), int(c["purchases"]), int(c["last"])
    q = D._todays_offer(c, s, kind, n, last, int(c["flags"]), day, tables)[0]
    h = R.hazard(s, c["rel_churn"], tables[0], par)
    return max(h + (1.0 - h) * q, h + (1.0 - h) * R.cart_intent(kind, q, par))


def _bound_today(S, day, tables):
    """Cached timers and bounds taken today (a refresh before the sends: arrivals, a
    promo starting) instead of yesterday."""
    stage_tab, dem_tab, _, par = tables
    for i in range(S["kh"].size):
        c = D.customer(S, i)
        kind, n, flags = int(c["dtype"]), int(c["purchases"]), int(c["flags"])
        S["t_next"][i], S["p_hi"][i] = R.bound(
            int(c["stage"]), bool(flags & R.ALIVE),
            R.due_pending(kind, n, flags, int(c["due"]), day), kind, n, int(c["last"]),
            int(c["need_end"]), int(c["due"]), c["lam"], c["rel_buy"], c["rel_churn"],
            c["offer_end"], day, stage_tab, dem_tab, par)


@pytest.mark.parametrize("variant", [0, 1, 2, 3])
@pytest.mark.parametrize("today", [False, True])
def test_must_visit_bounds_the_boosted_event_probability(variant, today):
    """On drawn customers (cached bound taken yesterday or today, every demand type,
    offers ending today, tomorrow or later, promo and cart intent in variant 3) with
    boosts in [0.3, 4] and half of them exposed: any uniform below the exact boosted
    event probability is one `must_visit` sends to the pass, unless the timer already
    does; an offer's last day too, whichever day the bound was taken. The bound is not
    loose (often within a factor 2)."""
    tables = FS.make_tables(variant)
    lift = rv.exposure_lift(tables[1])
    checked = tight = last_days = 0
    for day in (20, 150, 300):
        rng = np.random.default_rng(variant * 1000 + day)
        S = FS.random_state(rng, 3000, day, tables, forced=0.0)
        if today:
            _bound_today(S, day, tables)
        S["boost"][:] = np.where(rng.random(3000) < 0.3, rng.uniform(0.3, 1.0, 3000),
                                 rng.uniform(1.0, 4.0, 3000))
        S["flags"] |= np.where(rng.random(3000) < 0.5, R.EXPOSED, 0).astype(np.uint8)
        for i in range(3000):
            c = D.customer(S, i)
            if not c["flags"] & R.ALIVE or c["t_next"] <= day:
                continue
            p = _event_probability(c, day, tables)
            e = lift if c["dtype"] == R.IMPULSE else 1.0
            if p == 0:
                continue
            reached = rv.must_visit(np.nextafter(p, 0.0), c["p_hi"], c["boost"], e)
            assert reached, (i, p)
            checked += 1
            last_days += c["offer_end"] == day + 1
            tight += not rv.must_visit(2 * p, c["p_hi"], c["boost"], e)
    assert checked > 3000 and tight > checked // 10
    assert last_days > 0


# ---------------------------------------------------------------- equal to forcing


def _respond(rng, S, day, lists, e):
    """A campaign day on copies: responders (alive, ~30%) get a boost (some below 1),
    the exposure, and with some sends a personal offer; in S[0] they are forced, in
    S[1] `after_response` decides. Returns how many S[1] listed."""
    size = S[0]["kh"].size
    lift = np.float32(rng.choice([0.7, 2.0, 3.5]))
    offer_days = int(rng.random() < 0.3) * 7
    ek = FS.day_keys(SEED_KEY, day)[R.K_EVENT]
    for i in np.flatnonzero((rng.random(size) < 0.3) & ((S[0]["flags"] & R.ALIVE) != 0)):
        for k, T in enumerate(S):
            T["boost"][i], T["flags"][i], T["offer_end"][i] = responded(
                T["boost"][i], T["flags"][i], T["offer_end"][i], day, lift, offer_days)
            if k == 0:
                T["p_hi"][i] = R.ALWAYS
            else:
                u = np.float64(R.uniform32(R.mix(int(T["kh"][i]) ^ int(ek))))
                T["p_hi"][i] = rv.after_response(i, u, day, offer_days, T["p_hi"][i],
                                                 T["boost"][i], T["dtype"][i],
                                                 T["offer_end"][i], e, lists)
    return int(lists[0, 0])


def _flagged(S, day, dks):
    ek = int(dks[R.K_EVENT])
    return sum(R.swept(S["kh"][i], ek, S["p_hi"][i], S["t_next"][i], day)
               for i in range(S["kh"].size))


@pytest.mark.parametrize("variant,seed", [(0, 1), (1, 2), (2, 3), (3, 4)])
def test_listing_equals_forcing_day_by_day(variant, seed):
    """20 days of campaigns on 2500 customers: the kernel with listed responders and
    `release` leaves every state array (p_hi and t_next too), acc, counts and cohorts
    exactly as the reference with every responder forced, and visits fewer."""
    tables = FS.make_tables(variant)
    rng = np.random.default_rng(seed)
    day0, size = 120, 2500
    S_f = FS.random_state(rng, size, day0, tables, forced=0.0)
    S_u = FS.copy_state(S_f)
    lists = rv.empty_lists(1)
    blocks = fs.new_summaries(size)    # kept from day to day: responders are all alive
    listed = saved = 0
    for day in range(day0, day0 + 20):
        dks = FS.day_keys(SEED_KEY, day)
        listed += _respond(np.random.default_rng(day), (S_f, S_u), day, lists,
                           rv.exposure_lift(tables[1]))
        saved += _flagged(S_f, day, dks) - _flagged(S_u, day, dks)
        acc = np.zeros(R.N_ACC)
        counts = np.zeros((2, len(STAGES)), dtype=np.int64)
        coh = np.zeros((FS.n_cohorts(), R.N_COH))
        fk.chunk_step(0, size, day, dks, FS.as_tuple(S_u), tables, acc, counts, coh, blocks)
        rv.release(1, lists, S_u["flags"], S_u["boost"])
        acc_f, counts_f, coh_f = D.reference_chunk(S_f, 0, size, day, dks, tables,
                                                   FS.n_cohorts())
        for name in R.STATE_ORDER:
            bad = np.flatnonzero(S_u[name] != S_f[name])
            assert bad.size == 0, (day, name, bad[:5])
        assert np.array_equal(acc, acc_f) and np.array_equal(counts, counts_f)
        assert np.array_equal(coh, coh_f)
    assert listed > 50 and saved > listed // 2     # hazards near 1 (variant 2): few


# ---------------------------------------------------------------- whole runs


@njit(cache=False)
def _count_flagged(n, day, ek, kh, p_hi, t_next):
    m = 0
    for i in range(n):
        m += fs.may_fall_under(mix(kh[i] ^ ek), p_hi[i]) | (t_next[i] <= day)
    return m


def _run(monkeypatch, force: bool):
    """bench_funnel, 20,000 customers, 100 days; visits of the exact pass by day."""
    visits = {}
    step, own = fm.Funnel.step, fm.Funnel.responder_lists

    def counted(self, sim, day):
        c = sim.customers
        ek = self.keys(sim, day)[R.K_EVENT]
        visits[day] = _count_flagged(c.n, day, ek, c.kh, c.p_hi, c.t_next)
        step(self, sim, day)

    def forced(self, sim):
        lift, _ = own(self, sim)
        return lift, rv.empty_lists(0)

    monkeypatch.setattr(fm.Funnel, "step", counted)
    if force:
        monkeypatch.setattr(fm.Funnel, "responder_lists", forced)
    f = ScenarioFile("bench_funnel")
    f.adjust(customers=20_000, days=100)
    sim = make_sim(f.resolve("baseline"), 11)
    r = sim.run()
    monkeypatch.undo()
    return r, sim.customers, visits


def test_a_campaign_day_visits_fewer_than_its_responders_with_the_same_results(monkeypatch):
    """The weekly campaign's responders are mostly left out of the exact pass: on
    campaign days the pass visits fewer customers than when all are forced, by more
    than half the responders; every result series and customer array is identical."""
    r_f, c_f, v_f = _run(monkeypatch, force=True)
    r_u, c_u, v_u = _run(monkeypatch, force=False)
    for name in r_f.names:
        assert np.array_equal(r_f[name], r_u[name]), name
    for name in c_f._specs:
        assert np.array_equal(getattr(c_f, name)[:c_f.n], getattr(c_u, name)[:c_u.n]), name
    responses = r_f["new_responses"]
    days = np.flatnonzero(responses > 100)
    assert days.size >= 10
    for day in days:
        assert v_f[day] - v_u[day] > responses[day] / 2, day
        assert v_u[day] < responses[day]
