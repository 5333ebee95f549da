"""Tests of the plain-numpy benchmark reference itself (spec v1).

The reference is what the engine is checked against, so it must be checked on its
own first: the deterministic work metric, conservation of customers, the stage
rules that can be checked exactly, and day 0 against expectations derived from the
specification's distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from apps.bench.reference_numpy import (
    STAGES,
    FunnelOutcome,
    arrivals_per_day,
    customer_days,
    simulate_bench_funnel,
)

# --- work metric and arrivals (exact, no randomness) -------------------------------------


@pytest.mark.parametrize("n", [0, 1, 7, 364, 365, 366, 1000, 20_000, 123_457, 1_000_000])
def test_customer_days_is_the_spec_formula(n: int) -> None:
    t = np.arange(365, dtype=np.int64)
    expected = 365 * n + int(((t + 1) * n // 365).sum())
    assert customer_days(n, 365) == expected
    assert isinstance(customer_days(n, 365), int)


@pytest.mark.parametrize("n", [1, 364, 1000, 123_457, 1_000_000])
def test_customer_days_is_about_547_5_n(n: int) -> None:
    # The spec's "≈ 547.5·N" is the continuous approximation. Exactly, arrivals come
    # at the start of the day, so the sum is 548·N minus the floors' rounding, which
    # is below 1 on each of the 364 days with k < 365: 548·N − 364 < metric ≤ 548·N.
    cd = customer_days(n, 365)
    assert 548 * n - 364 < cd <= 548 * n
    if n >= 1000:
        assert abs(cd / n - 547.5) / 547.5 < 1e-3


@pytest.mark.parametrize("n", [1, 364, 365, 1000, 123_457])
def test_arrivals_total_n_per_year(n: int) -> None:
    a = arrivals_per_day(n, 365)
    assert a.shape == (365,)
    assert a.min() >= 0
    assert int(a.sum()) == n
    # customer_days is the sum over days of everyone arrived so far
    assert customer_days(n, 365) == int((n + np.cumsum(a)).sum())


def test_customer_days_for_other_horizons() -> None:
    a = arrivals_per_day(1000, 30)
    assert customer_days(1000, 30) == int((1000 + np.cumsum(a)).sum())
    assert customer_days(1000, 0) == 0
    assert int(arrivals_per_day(1000, 730).sum()) == 2000


# --- invariants of a run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def year_run() -> FunnelOutcome:
    return simulate_bench_funnel(20_000, days=365, seed=1)


def test_outcome_shape(year_run: FunnelOutcome) -> None:
    assert year_run.days == 365
    assert year_run.initial_customers == 20_000
    assert year_run.customer_days == customer_days(20_000, 365)
    assert year_run.daily_revenue.dtype == np.float64
    assert year_run.daily_revenue.shape == (365,)
    assert np.all(year_run.daily_revenue >= 0)
    assert np.all(np.isfinite(year_run.daily_revenue))
    assert year_run.wall_seconds > 0


def test_conservation_of_customers(year_run: FunnelOutcome) -> None:
    counts = year_run.stage_counts_end
    assert list(counts) == list(STAGES)
    assert all(c >= 0 for c in counts.values())
    # everyone who ever arrived is counted once, churned included: N + N in a year
    assert sum(counts.values()) == 40_000
    assert year_run.not_churned_end == 40_000 - counts["churned"]
    # a year is long enough for every stage to be occupied
    assert all(c > 0 for c in counts.values())


def test_no_lapsed_before_the_lapse_window() -> None:
    # The earliest purchase is on day 0, so t − last ≥ 90 first holds on day 90.
    assert simulate_bench_funnel(20_000, days=90, seed=3).stage_counts_end["lapsed"] == 0
    assert simulate_bench_funnel(20_000, days=91, seed=3).stage_counts_end["lapsed"] > 0


def test_same_seed_same_output_different_seed_differs() -> None:
    a = simulate_bench_funnel(3_000, days=60, seed=11)
    b = simulate_bench_funnel(3_000, days=60, seed=11)
    c = simulate_bench_funnel(3_000, days=60, seed=12)
    np.testing.assert_array_equal(a.daily_revenue, b.daily_revenue)
    assert a.stage_counts_end == b.stage_counts_end
    assert not np.array_equal(a.daily_revenue, c.daily_revenue)


# --- day 0 against expectations from the spec's distributions -----------------------------


def _expected_q_day0() -> float:
    """E over lambda ~ Gamma(0.5, rate 15) of the day-0 purchase probability.

    Day 0 is a campaign day; every customer is potential (m = 0.2) with f = 0, so
    f stays 0 after decay and the response probability is 0.1·(1 − 0) = 0.1.
    q = 1 − exp(−0.2·λ); with a response q ← min(1, 3q).
    """
    lam = stats.gamma(a=0.5, scale=1.0 / 15.0)

    def q_eff(x: float) -> float:
        q = -math.expm1(-0.2 * x)
        return 0.9 * q + 0.1 * min(1.0, 3.0 * q)

    value = lam.expect(q_eff)
    # Cross-check the integration: the cap binds only for λ ≥ 5·ln 1.5 (probability
    # ~1e-14), so the uncapped closed form 1.2·(1 − (15/15.2)^0.5) must agree.
    assert value == pytest.approx(1.2 * (1.0 - (15.0 / 15.2) ** 0.5), rel=1e-6)
    return value


def test_day0_against_expectations() -> None:
    n = 1_000_000
    out = simulate_bench_funnel(n, days=1, seed=2024)
    a0 = n + n // 365  # arrivals of day 0 take part in full
    h = 0.002  # potential churn hazard; churn is decided first
    p_buy = (1.0 - h) * _expected_q_day0()  # marginal P(survive and buy), iid per customer
    # Spend x ~ Gamma(6, rate ν), ν ~ Gamma(4, rate 30), independent of λ:
    # E[x] = 6·E[1/ν] = 6·30/3 = 60; E[x²] = 6·7·E[1/ν²] = 42·30²/(3·2) = 6300.
    ex, ex2 = 60.0, 6300.0

    counts = out.stage_counts_end
    assert sum(counts.values()) == a0
    assert counts["repeat"] == counts["loyal"] == counts["lapsed"] == 0
    assert counts["potential"] == a0 - counts["new"] - counts["churned"]

    # Each check is a sum of a0 iid terms; tolerance 4 standard errors of that sum
    # (a two-sided 4σ normal band: spurious failure probability ~6e-5 per check).
    churn_mean, churn_se = a0 * h, math.sqrt(a0 * h * (1 - h))
    assert abs(counts["churned"] - churn_mean) < 4 * churn_se

    buy_mean, buy_se = a0 * p_buy, math.sqrt(a0 * p_buy * (1 - p_buy))
    assert abs(counts["new"] - buy_mean) < 4 * buy_se

    # Revenue per customer R = B·x with B ~ Bernoulli(p_buy) independent of x:
    # E[R] = p·E[x], Var[R] = p·E[x²] − (p·E[x])². At this size 4 SE is ~6% of the
    # mean, so dropping the campaign uplift (−17% of q) would be caught.
    rev_mean = a0 * p_buy * ex
    rev_se = math.sqrt(a0 * (p_buy * ex2 - (p_buy * ex) ** 2))
    assert abs(out.daily_revenue[0] - rev_mean) < 4 * rev_se
    # (a0·p_buy·ex is what the brief calls N·E[q]·E[spend], with the exact head count
    # and the churn-first survival factor.)
