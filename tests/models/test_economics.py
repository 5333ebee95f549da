"""Tests for models.economics: the closed-form economic model a strategist plays with.

Arithmetic and closed forms are checked exactly (to rounding); the agreement with the
simulator is statistical: a large homogeneous cohort with a fixed seed, compared within
4 standard errors of the simulated mean, the SE estimated from the same run.
"""

import math

import numpy as np
import pytest

from helpers import run, scenario
from models import analytic, cohort_reference
from models import economics as E
from models.stages import ALIVE, STAGES

Z = 4.0
YEAR = E.DAYS_PER_YEAR


def three_stage(**changes):
    base = dict(customers={"new": 6000.0, "repeat": 2500.0, "loyal": 1500.0},
                transactions={"new": 1.3, "repeat": 3.0, "loyal": 6.5},
                check={"new": 900.0, "repeat": 1050.0, "loyal": 1200.0},
                gross_margin=0.35,
                retention={"new": 0.3, "repeat": 0.55, "loyal": 0.8},
                advance={"new": 0.4, "repeat": 0.3, "loyal": 0.0},
                inflow=3000.0, cac=800.0, crm_cost=40.0, discount_rate=0.12)
    base.update(changes)
    return E.EconomicInputs(**base)


def one_segment(retention, customers=1000.0, inflow=200.0, **changes):
    return E.EconomicInputs(customers={"all": customers}, transactions=4.0, check=500.0,
                            gross_margin=0.3, retention=retention, inflow=inflow, **changes)


# ---- arithmetic ----------------------------------------------------------------


def test_revenue_is_customers_times_transactions_times_check_by_stage():
    inp = three_stage()
    rev = E.yearly_revenue(inp)
    expected = {"new": 6000 * 1.3 * 900, "repeat": 2500 * 3.0 * 1050, "loyal": 1500 * 6.5 * 1200}
    assert rev.by_segment == pytest.approx(expected, rel=1e-15)
    assert rev.total == pytest.approx(sum(expected.values()), rel=1e-15)
    margin = E.gross_margin(inp)
    assert margin.total == pytest.approx(0.35 * rev.total, rel=1e-15)
    assert E.contribution(inp) == pytest.approx(0.35 * rev.total - 40 * 10_000 - 800 * 3000,
                                                rel=1e-15)
    p = E.project(inp, 1)
    assert p.revenue[0] == pytest.approx(rev.total, rel=1e-15)
    assert p.contribution[0] == pytest.approx(E.contribution(inp), rel=1e-15)


def test_projection_follows_the_ladder_by_hand():
    inp = three_stage()
    x = E.project(inp, 2).customers[1]
    assert x[0] == pytest.approx(6000 * 0.3 * 0.6 + 3000)                   # new stay + inflow
    assert x[1] == pytest.approx(6000 * 0.3 * 0.4 + 2500 * 0.55 * 0.7)     # new up + repeat stay
    assert x[2] == pytest.approx(2500 * 0.55 * 0.3 + 1500 * 0.8)           # repeat up + loyal


def test_check_plus_one_percent_is_exactly_one_percent_of_revenue():
    lev = E.leverage(three_stage(), years=5)["check"]
    assert lev.revenue_year1.relative == pytest.approx(0.01, abs=1e-13)
    assert lev.revenue_years.relative == pytest.approx(0.01, abs=1e-13)
    # Without costs equity is margin only, so it scales with the check too.
    lev = E.leverage(three_stage(cac=0.0, crm_cost=0.0))["check"]
    assert lev.customer_equity.relative == pytest.approx(0.01, abs=1e-13)


def test_margin_plus_one_point_adds_one_percent_of_revenue_as_margin():
    inp = three_stage()
    r = E.yearly_revenue(inp).total
    up = E.apply_lever(inp, "margin")
    assert E.gross_margin(up).total - E.gross_margin(inp).total == pytest.approx(0.01 * r,
                                                                                rel=1e-12)
    lev = E.leverage(inp, years=7, equity_years=7)["margin"]
    assert lev.revenue_year1.absolute == 0 and lev.revenue_years.absolute == 0
    p = E.project(inp, 7)
    assert lev.customer_equity.absolute == pytest.approx(0.01 * (p.revenue * p.discount).sum(),
                                                         rel=1e-10)


def test_frequency_and_inflow_levers():
    inp = three_stage()
    lev = E.leverage(inp, years=4)
    one_more = sum(inp.customers[s] * inp.check[s] for s in inp.segments)
    assert lev["frequency"].revenue_year1.absolute == pytest.approx(one_more, rel=1e-12)
    # Arrivals are counted from the year after they arrive: no year-1 revenue effect.
    assert lev["inflow"].revenue_year1.absolute == 0
    assert lev["inflow"].revenue_years.absolute > 0
    assert set(lev) == set(E.LEVERS)
    assert all(e.revenue_years.absolute >= 0 for e in lev.values())


@pytest.mark.parametrize("changes, match", [
    ({"customers": {"new": -1.0}}, r"customers\[new\].*-1"),
    ({"customers": {}}, r"customers"),
    ({"retention": 1.2}, r"retention\[new\].*1\.2"),
    ({"gross_margin": {"new": 0.3, "repeat": 1.5, "loyal": 0.3}}, r"gross_margin\[repeat\].*1\.5"),
    ({"transactions": float("nan")}, r"transactions\[new\].*nan"),
    ({"check": {"new": 1.0, "repeat": 1.0}}, r"check must give exactly the segments"),
    ({"advance": {"new": 0.4, "repeat": 0.3, "loyal": 0.1}}, r"advance\[loyal\].*0\.1"),
    ({"discount_rate": -0.1}, r"discount_rate.*-0\.1"),
    ({"inflow": "many"}, r"inflow.*'many'"),
    ({"inflow_to": "vip"}, r"inflow_to.*'vip'"),
])
def test_bad_inputs_name_the_field_and_value(changes, match):
    with pytest.raises(ValueError, match=match):
        three_stage(**changes)


def test_bad_lever_and_years():
    with pytest.raises(ValueError, match=r"lever.*'price'"):
        E.apply_lever(three_stage(), "price")
    with pytest.raises(ValueError, match=r"years.*0"):
        E.project(three_stage(), 0)


# ---- the snowball --------------------------------------------------------------


def test_higher_retention_never_lowers_revenue():
    """Every entry of the transition matrix rises with retention, so no year falls."""
    rng = np.random.default_rng(4)
    for _ in range(200):
        inp = three_stage(retention=dict(zip(("new", "repeat", "loyal"), rng.uniform(0, 1, 3))),
                          advance={"new": rng.uniform(), "repeat": rng.uniform(), "loyal": 0.0},
                          inflow=rng.uniform(0, 5000))
        seg = rng.choice(inp.segments)
        up = inp.with_(retention={**inp.retention,
                                  seg: min(1.0, inp.retention[seg] + rng.uniform(0, 0.2))})
        before, after = E.project(inp, 8).revenue, E.project(up, 8).revenue
        assert np.all(after >= before * (1 - 1e-14))
        assert E.retention_uplift(inp, 5, 8).absolute >= 0


@pytest.mark.parametrize("retention", [0.3, 0.6, 0.75, 0.85, 0.95])
def test_active_base_grows_above_threshold_and_settles_at_inflow_over_churn(retention):
    """N(t+1) = r N(t) + I: N(t) = I/(1-r) + r**(t-1) (N(1) - I/(1-r)).

    It grows iff N(1) < I/(1-r), i.e. r above 1 - I/N(1) (= 0.8 here), and in either
    case settles at the geometric steady state I/(1-r). Advancing between rungs moves
    customers without changing the total, so the three-rung ladder obeys it too.
    """
    n1, inflow, years = 1000.0, 200.0, 400
    steady = inflow / (1 - retention)
    t = np.arange(1, years + 1)
    closed = steady + retention ** (t - 1) * (n1 - steady)
    ladder = three_stage(customers={"new": 500.0, "repeat": 300.0, "loyal": 200.0},
                         retention=retention, inflow=inflow)
    for inp in (one_segment(retention, n1, inflow), ladder):
        active = E.project(inp, years).active
        np.testing.assert_allclose(active, closed, rtol=1e-12)
        steps = np.diff(active[:30])       # later steps vanish below rounding
        if retention > 1 - inflow / n1:
            assert np.all(steps > 0)
        else:
            assert np.all(steps < 0)
        assert active[-1] == pytest.approx(steady, rel=1e-9)
    revenue = E.project(one_segment(retention, n1, inflow), 30).revenue
    assert np.all(np.diff(revenue) > 0) == (retention > 1 - inflow / n1)


def test_retention_uplift_compounds_with_the_horizon():
    """Without inflow year-N revenue is R1 r**(N-1), so +5 points gives ((r+.05)/r)**(N-1)."""
    inp = one_segment(0.6, inflow=0.0)
    uplifts = [E.retention_uplift(inp, 5, n).relative for n in (1, 2, 5, 10)]
    for n, u in zip((1, 2, 5, 10), uplifts):
        assert u == pytest.approx((0.65 / 0.6) ** (n - 1) - 1, rel=1e-12)
    assert uplifts == sorted(uplifts)


# ---- customer equity -------------------------------------------------------------


@pytest.mark.parametrize("inp", [
    three_stage(),
    three_stage(inflow=0.0, discount_rate=0.0),
    three_stage(retention=1.0, discount_rate=0.05, inflow_to="repeat"),
    one_segment(0.9, discount_rate=0.2, cac=300.0, crm_cost=25.0),
], ids=["ladder", "no-discount", "full-retention", "one-segment"])
def test_infinite_equity_is_the_limit_of_the_finite_sum(inp):
    infinite = E.customer_equity(inp)
    assert infinite == E.customer_equity(inp, math.inf)
    finite = E.customer_equity(inp, 1500)
    assert finite == pytest.approx(infinite, rel=1e-9)
    assert abs(E.customer_equity(inp, 5) - infinite) > 1e-6 * abs(infinite)


def test_one_segment_equity_is_gupta_lehmann():
    """N g / (1+i-r) = N g (1 + r/(1+i-r)) / (1+i): year-1 margin at year end, then GL."""
    r, i, n = 0.8, 0.1, 1000.0
    inp = one_segment(r, n, inflow=0.0, discount_rate=i)
    g = 4.0 * 500.0 * 0.3
    assert E.customer_equity(inp) == pytest.approx(n * g / (1 + i - r), rel=1e-14)
    assert E.customer_equity(inp) == pytest.approx(
        n * g * (1 + analytic.clv_multiple(r, i)) / (1 + i), rel=1e-14)


def test_equity_needs_discounting_when_nothing_ends():
    with pytest.raises(ValueError, match="retention"):
        E.customer_equity(one_segment(1.0, inflow=0.0, discount_rate=0.0))
    with pytest.raises(ValueError, match=r"discount_rate.*0"):
        E.customer_equity(one_segment(0.5, inflow=10.0, discount_rate=0.0))


# ---- from a scenario, and against the simulator -----------------------------------

RATE, HAZARD, SPEND = 0.02, 0.0015, 250.0


def homogeneous(days, orders, history, n=40_000, levers=None):
    """One churn hazard for every stage (potential and won_back included), no lapse."""
    stages = {s: {"churn_hazard": HAZARD} for s in STAGES}
    return scenario(horizon_days=days, base={"customers": n, "history": history},
                    behaviour={"purchase_rate": RATE, "spend": SPEND,
                               "orders_per_day": orders, "stages": stages},
                    funnel={"lapsed_after_days": 10_000, "loyal_after_purchases": 4},
                    levers=levers or {})


@pytest.mark.parametrize("orders", ["single", "poisson"])
def test_from_scenario_is_the_homogeneous_closed_form(orders):
    """One stage for everyone, a constant rate and hazard: the chain's step odds are
    exact for a constant daily process, so year 1 is the closed form but for the step
    that straddles the year's end, whose flow is spread evenly over its days (a
    relative error of order h x dt / 365 x the step's share: ~1e-4 here)."""
    n = 1000
    p = E.from_scenario(homogeneous(YEAR, orders, {"new": 0.5, "repeat": 0.3,
                                                   "loyal": 0.2}, n=n), years=2)
    if orders == "single":
        expected = cohort_reference.homogeneous_cohort_revenue(YEAR, n, RATE, HAZARD, SPEND)
    else:   # Poisson orders: RATE orders a live day
        expected = n * RATE * SPEND * sum((1 - HAZARD) ** d for d in range(1, YEAR + 1))
    assert p.revenue[0, 0] == pytest.approx(expected, rel=2e-4)
    assert p.gross_margin[0, 0] == pytest.approx(0.3 * expected, rel=2e-4)
    assert p.alive[0, 0] == pytest.approx(cohort_reference.homogeneous_cohort_alive(YEAR, n, HAZARD),
                                          rel=2e-4)


@pytest.mark.parametrize("orders, history, levers", [
    ("single", {"new": 0.5, "repeat": 0.3, "loyal": 0.2}, None),
    ("poisson", {"potential": 0.3, "new": 0.4, "loyal": 0.3},
     {"premature_churn_multiplier": 0.8, "spend_multiplier": 1.1,
      "extra_purchases_per_year": 3.0}),
])
def test_projection_agrees_with_the_simulator(orders, history, levers):
    """Years 1 and 2 of a 40,000-customer homogeneous base vs from_scenario.

    The simulator's draws are pure functions of (seed, decision, customer, day), so a
    one-year run with the same seed is exactly the first year of the two-year run:
    per-customer revenue of year 1 is the short run's, of year 2 the difference. The
    SE of each simulated yearly revenue is n x the per-customer std / sqrt(n); the SE
    of customers alive is binomial with the simulated share.
    """
    n, seed = 40_000, 17
    sim1, res1, _ = run(homogeneous(YEAR, orders, history, n, levers), seed=seed)
    sim2, res2, _ = run(homogeneous(2 * YEAR, orders, history, n, levers), seed=seed)
    assert res2["cum_revenue"][YEAR - 1] == res1["cum_revenue"][-1]
    rev1 = sim1.customers.revenue[:n].astype(np.float64)
    rev2 = sim2.customers.revenue[:n].astype(np.float64) - rev1
    p = E.from_scenario(homogeneous(YEAR, orders, history, n, levers), years=2)
    for year, per_customer, series in ((0, rev1, res1["new_revenue"]),
                                       (1, rev2, res2["new_revenue"][YEAR:])):
        simulated = series.sum()
        assert simulated == pytest.approx(per_customer.sum(), rel=1e-6)
        se = per_customer.std() / np.sqrt(n) * n
        model = p.revenue[0, year]
        assert abs(simulated - model) < Z * se, (year, simulated, model, se)
    for sim, expected in ((sim1, p.alive[0, 0]), (sim2, p.alive[0, 1])):
        alive = ((sim.customers.flags[:n] & ALIVE) != 0).sum()
        share = alive / n
        se = np.sqrt(n * share * (1 - share))
        assert abs(alive - expected) < Z * se, (alive, expected, se)
