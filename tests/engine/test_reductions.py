"""With every mechanic off the simulator reduces to the closed forms of the literature.

Each test simulates a large cohort with a fixed seed and compares with the closed form
within 4 standard errors of the simulated mean (the SE is estimated from the same
run), so a correct engine fails by chance about once in 16,000 checks.
"""

import numpy as np
import pytest

from helpers import run, scenario
from models import analytic, cohort_reference
from models.stages import ALIVE, STAGES
from scenarios.build import make_sim

Z = 4.0
# CDNOW (Fader, Hardie & Lee 2005): r, alpha in weeks; a, b dimensionless.
R, ALPHA_WEEKS, A, B = 0.243, 4.414, 0.793, 2.426
# CDNOW Gamma-Gamma (Fader, Hardie & Lee 2005b).
P, Q, GAMMA = 6.25, 3.74, 15.44


def fresh_cohort(customers, days, behaviour):
    return scenario(horizon_days=days,
                    base={"customers": customers, "history": {"new": 1.0},
                          "fresh_cohort": True},
                    behaviour=behaviour,
                    funnel={"lapsed_after_days": 10_000})


WEEKS = (4, 13, 26, 39, 52, 78)


@pytest.fixture(scope="module")
def bgnbd_run():
    """(sim, results, repeat purchases per customer at the end of each of WEEKS)."""
    sc = fresh_cohort(60_000, 7 * WEEKS[-1], {
        "purchase_rate": {"gamma": {"shape": R, "rate": ALPHA_WEEKS * 7}},
        "dropout": {"beta": {"a": A, "b": B}},
        "spend": {"gamma_gamma": {"p": P, "q": Q, "gamma": GAMMA}},
        "orders_per_day": "poisson",
    })
    sim = make_sim(sc, 11)
    ends = {7 * w - 1: w for w in WEEKS}
    counts = {}

    def snapshot(day):
        if day in ends:
            c = sim.customers
            counts[ends[day]] = c.purchases[:c.n].astype(np.float64) - 1.0

    return sim, sim.run(snapshot), counts


@pytest.mark.parametrize("weeks", WEEKS)
def test_repeat_purchases_match_bgnbd(bgnbd_run, weeks):
    sim, results, counts = bgnbd_run
    n = sim.customers.n
    simulated = results["cum_repeat_purchases"][weeks * 7 - 1] / n
    assert simulated == pytest.approx(counts[weeks].mean(), rel=1e-9)
    expected = analytic.bgnbd_expected_repeat(weeks, R, ALPHA_WEEKS, A, B)
    # SE of the mean at this horizon, from the per-customer repeat purchases X(t) at t
    se = counts[weeks].std() / np.sqrt(n)
    assert abs(simulated - expected) < Z * se, (weeks, simulated, expected, se)


def test_mean_order_value_matches_gamma_gamma(bgnbd_run):
    sim, _, _ = bgnbd_run
    c = sim.customers
    n, revenue = c.purchases[: c.n], c.revenue[: c.n].astype(np.float64)
    per_customer = revenue / n          # every customer bought on day 0, so n >= 1
    expected = P * GAMMA / (Q - 1)
    se = per_customer.std() / np.sqrt(c.n)
    assert abs(per_customer.mean() - expected) < Z * se


@pytest.mark.parametrize("alpha,beta", [(0.704, 1.182), (0.668, 3.806)])
def test_contractual_survival_matches_sbg(alpha, beta):
    """Fader & Hardie (2007) regular and high-end customers, a 30-day period."""
    period, periods, n = 30, 12, 50_000
    sc = fresh_cohort(n, period * periods + 1, {
        "purchase_rate": 0.01,
        "dropout": {"beta": {"a": alpha, "b": beta}},
        "spend": 500.0,
        "demand": {"contractual": {"share": 1.0, "period_days": period}},
    })
    sim, results, _ = run(sc, seed=5)
    for t in range(1, periods + 1):
        simulated = results["n_alive"][period * t] / n
        expected = analytic.sbg_survival(t, alpha, beta)
        se = np.sqrt(expected * (1 - expected) / n)
        assert abs(simulated - expected) < Z * se, (t, simulated, expected)
    renewals = sim.customers.purchases[:n] - 1.0      # one renewal per period survived
    expected_renewals = sum(analytic.sbg_survival(t, alpha, beta) for t in range(1, periods + 1))
    se = renewals.std() / np.sqrt(n)
    assert abs(renewals.mean() - expected_renewals) < Z * se


def test_homogeneous_cohort_revenue_matches_closed_form():
    rate, hazard, spend, n, days = 0.03, 0.004, 250.0, 40_000, 120
    stages = {s: {"buy": 1.0, "churn_hazard": hazard}
              for s in STAGES}
    sc = scenario(horizon_days=days, base={"customers": n},
                  behaviour={"purchase_rate": rate, "spend": spend,
                             "orders_per_day": "single", "stages": stages},
                  funnel={"lapsed_after_days": 30})
    sim, results, _ = run(sc, seed=3)
    per_customer = sim.customers.revenue[:n].astype(np.float64)
    se = per_customer.std() / np.sqrt(n) * n
    for t in (10, 60, days):
        expected = cohort_reference.homogeneous_cohort_revenue(t, n, rate, hazard, spend)
        assert abs(results["cum_revenue"][t - 1] - expected) < Z * se, t
    alive = ((sim.customers.flags[:n] & ALIVE) != 0).sum()
    expected_alive = cohort_reference.homogeneous_cohort_alive(days, n, hazard)
    assert abs(alive - expected_alive) < Z * np.sqrt(n * hazard * days)
