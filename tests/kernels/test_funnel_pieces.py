"""The small pieces of the funnel kernel, each exactly equal to its plain-Python reference.

Stage from purchase count and recency, hazard, buy probability and its bound, refresh,
next due day, order, spend and booking: checked one by one so a disagreement in the
whole day (tests/kernels/test_funnel_kernel.py) points at its piece.
"""

import numpy as np
import pytest

import day_reference as D
import funnel_states as FS
import kernel_reference as R
from models import basket_kernel as bk
from models import funnel_kernel as fk


@pytest.mark.parametrize("variant", [0, 1])
def test_stage_of_matches_reference(variant):
    par = FS.make_tables(variant)[3]
    lapsed, churned = int(par[R.P_LAPSED_AFTER]), int(min(par[R.P_CHURNED_AFTER], 10**6))
    day = 500
    idles = sorted({0, 1, lapsed - 1, lapsed, lapsed + 1, churned - 1, churned, churned + 1,
                    3 * churned})
    for n in range(0, 7):
        for idle in idles:
            last = R.NEVER if n == 0 else day - idle
            for previous in range(7):
                for bought in (False, True):
                    for pending in (False, True):
                        assert fk.stage_of(n, last, day, previous, bought, pending, par) == \
                            R.stage_of(n, last, day, previous, bought, pending, par)


@pytest.mark.parametrize("variant", [0, 1, 2, 3])
def test_hazard_buy_probability_bound_and_refresh_match_reference(variant):
    tables = FS.make_tables(variant)
    stage_tab, dem_tab, season, par = tables
    rng = np.random.default_rng(7 + variant)
    day = 200
    S = FS.random_state(rng, 1500, day, tables)
    for i in range(S["kh"].size):
        c = D.customer(S, i)
        s, kind, n, last = int(c["stage"]), int(c["dtype"]), int(c["purchases"]), int(c["last"])
        assert fk.hazard(s, c["rel_churn"], stage_tab, par) == \
            R.hazard(s, c["rel_churn"], stage_tab, par)
        for exposed in (False, True):
            for d, due in ((day, int(c["due"])), (day, day), (day + 3, day + 3)):
                assert fk.buy_probability(s, kind, n, last, due, c["lam"], c["rel_buy"],
                                          exposed, d, season[d], par[R.P_LEAD_BUY], stage_tab,
                                          dem_tab, par, fk.NO_RATE) == \
                    R.buy_probability(s, kind, n, last, due, c["lam"], c["rel_buy"], exposed,
                                      d, season[d], par[R.P_LEAD_BUY], stage_tab, dem_tab,
                                      par)
        pending = R.due_pending(kind, n, int(c["flags"]), int(c["due"]), day)
        assert fk.due_pending(kind, n, c["flags"], c["due"], day) == pending
        args = (s, bool(c["flags"] & R.ALIVE), pending, kind, n, last, c["need_end"], c["due"],
                c["lam"], c["rel_buy"], c["rel_churn"], c["offer_end"], day, stage_tab,
                dem_tab, par)
        t, p = fk.bound(*args, fk.NO_RATE)
        tr, pr = R.bound(*args)
        assert (int(t), int(p)) == (tr, pr)
        # the day's chance handed on, as a visit does: the same bound without its exp
        _, known = fk.buy_chance(s, kind, n, last, int(c["due"]), c["lam"], c["rel_buy"],
                                 False, day, par[R.P_SEASON_MAX], par[R.P_LEAD_BUY_MAX],
                                 stage_tab, dem_tab, par, fk.NO_RATE)
        t, p = fk.bound(*args, known)
        assert (int(t), int(p)) == (tr, pr)
    # refresh_range recomputes exactly the reference bound for [lo, hi) and nothing else
    before = FS.copy_state(S)
    lo, hi = 100, 1400
    fk.refresh_range(lo, hi, day, FS.as_tuple(S), tables)
    for i in range(S["kh"].size):
        if lo <= i < hi:
            c = D.customer(before, i)
            pending = R.due_pending(int(c["dtype"]), int(c["purchases"]), int(c["flags"]),
                                    int(c["due"]), day)
            tr, pr = R.bound(int(c["stage"]), bool(c["flags"] & R.ALIVE), pending,
                             int(c["dtype"]),
                             int(c["purchases"]), int(c["last"]), int(c["need_end"]),
                             int(c["due"]), c["lam"], c["rel_buy"], c["rel_churn"],
                             c["offer_end"], day, stage_tab, dem_tab, par)
            assert (int(S["t_next"][i]), int(S["p_hi"][i])) == (tr, pr)
        else:
            assert (S["t_next"][i], S["p_hi"][i]) == (before["t_next"][i], before["p_hi"][i])


def test_next_due_order_spend_and_book_orders_match_reference():
    rng = np.random.default_rng(11)
    for variant in (0, 1, 3):
        stage_tab, dem_tab, season, par = FS.make_tables(variant)
        for trial in range(400):
            h = R.mix(trial * 7919 + variant)
            kind = int(rng.integers(0, 6))
            lam = np.float32(rng.uniform(0.001, 0.5))
            day = int(rng.integers(0, 400))
            assert fk.next_due(np.uint64(h), kind, day, lam, dem_tab, par) == \
                R.next_due(h, kind, day, lam, dem_tab, par)
            s = int(rng.integers(0, 7))
            nu = np.float32(rng.uniform(0.05, 0.3))
            assert bk.order_spend(np.uint64(h), nu, s, stage_tab, par, bk.spend_form(par)) == \
                R.order_spend(h, nu, s, stage_tab, par)
            orders = int(rng.integers(1, 6))
            n = int(rng.integers(0, 4))
            last = int(rng.choice([R.NEVER, -5, day, day - 1, day - 40]))
            arrival = int(rng.integers(-1, day + 1))
            p_drop = float(rng.choice([0.0, 0.3, 1.0]))
            price = float(stage_tab[s, R.PRICE] * rng.choice([1.0, 0.8]))
            anyway = bool(rng.random() < 0.5)
            acc_k, coh_k = np.zeros(R.N_ACC), np.zeros((FS.n_cohorts(), R.N_COH))
            acc_r = [0.0] * R.N_ACC
            coh_r = np.zeros((FS.n_cohorts(), R.N_COH))
            out_k = fk.book_orders(np.uint64(h), np.uint64(R.mix(h)), np.uint64(R.mix(h + 1)),
                                   orders, day, s, kind, n, last, R.cohort_of(arrival), nu,
                                   p_drop, price, anyway, stage_tab, par, acc_k, coh_k,
                                   bk.spend_form(par))
            out_r = R.book_orders(h, R.mix(h), R.mix(h + 1), orders, day, s, kind, n, last,
                                  R.cohort_of(arrival), nu, p_drop, price, anyway,
                                  stage_tab, par, acc_r, coh_r)
            assert tuple(out_k) == out_r
            assert np.array_equal(acc_k, np.array(acc_r))
            assert np.array_equal(coh_k, coh_r)
