"""The KPIs of the README's "Metrics": exact identities on hand-built results, definitions on a
deterministic scenario, and the lifecycle length against the hazard it comes from."""

from types import SimpleNamespace

import numpy as np
import pytest

from helpers import run, scenario
from models import kpis
from models.analytic import clv_multiple
from models.metrics import METRICS
from models.stages import STAGES
from sim.results import Results


def fabricate(days, flows=(), stocks=(), n_cohorts=None):
    """Results with the series kpis() reads, all zero unless given (name -> array)."""
    r = Results(days)
    for name in ("revenue", "gross_margin", "crm_cost", "acquisition_cost", "arrivals",
                 "paid_arrivals", "purchases", "churned_premature", "churned_natural"):
        r.flow(name)
    for name in ("alive", "alive_leads", "active"):
        r.stock(name)
    for name, values in dict(flows).items():
        r.flow(name)[:] = values
    for name, values in dict(stocks).items():
        r.stock(name)[:] = values
    n_cohorts = n_cohorts or 2 + days * 12 // 365
    n_months = 1 + (days - 1) * 12 // 365
    r.matrix("cohort_gross_margin", (n_cohorts, n_months))
    r.matrix("cohort_buyers", (n_cohorts, n_months))
    r.matrices["cohort_size"] = np.zeros(n_cohorts)
    r.finalize()
    return r


def fake_sim(results, last=()):
    last = np.asarray(last, dtype=np.int32)
    return SimpleNamespace(results=results, customers=SimpleNamespace(last=last, n=len(last)))


def month_starts(days):
    """First day of every cohort month of a run."""
    d = np.arange(days)
    return np.flatnonzero(np.diff(d * 12 // 365, prepend=-1))


# ---- exact identities on hand-built results --------------------------------------


def test_money_kpis_are_their_definitions():
    days = 730
    r = fabricate(days, flows={"revenue": 1000.0, "gross_margin": 300.0, "crm_cost": 20.0,
                               "acquisition_cost": 40.0, "arrivals": 4.0,
                               "paid_arrivals": 2.0},
                  stocks={"active": np.linspace(100, 300, days)})
    out = kpis.kpis(fake_sim(r), 0.1)
    assert out["inflow"] == pytest.approx(4 * 365)
    assert out["cac"] == pytest.approx(40 / 2)
    assert out["drr"] == pytest.approx((20 + 40) / 1000)
    # per active customer (mean 200) per year
    assert out["crm_budget_per_customer"] == pytest.approx(20 * 365 / 200)
    assert out["margin_per_customer"] == pytest.approx(300 * 365 / 200)
    assert out["crm_budget_share"] == pytest.approx(20 / 300)


def test_kpis_are_none_when_the_run_cannot_show_them():
    out = kpis.kpis(fake_sim(fabricate(200)), 0.1)   # no arrivals, buyers, money; 200 days
    assert out["inflow"] == 0.0                     # no inflow is a number, not unknown
    for name in ("cac", "drr", "churn_rate", "lifecycle_length", "survival_rate",
                 "transactions_per_customer", "crm_budget_per_customer",
                 "margin_per_customer", "crm_budget_share", "ltv_observed", "ltv_projected"):
        assert out[name] is None, name
    assert set(kpis.KPIS) <= set(METRICS)


def test_churn_rate_and_lifecycle_come_from_the_buyer_hazard_of_the_last_year():
    days = 500
    buyers, leads = 1000.0, 400.0
    premature = np.where(np.arange(days) < days - 365, 50.0, 2.0)   # the first days differ
    natural = np.where(np.arange(days) < days - 365, 0.0, 1.0)
    r = fabricate(days, flows={"churned_premature": premature, "churned_natural": natural},
                  stocks={"alive": buyers + leads, "alive_leads": leads})
    h = 3.0 / 1003.0                 # at risk: 1000 alive at the end of the day + 3 dead
    out = kpis.kpis(fake_sim(r), 0.1)
    assert out["churn_rate"] == pytest.approx(1 - (1 - h) ** 365, rel=1e-12)
    assert out["churn_rate_premature"] == pytest.approx(out["churn_rate"] * 2 / 3, rel=1e-12)
    assert out["churn_rate_natural"] == pytest.approx(out["churn_rate"] / 3, rel=1e-12)
    assert out["lifecycle_length"] == pytest.approx(1003.0 / 3.0, rel=1e-12)
    assert kpis.annual_retention(r) == pytest.approx(1 - out["churn_rate"], rel=1e-12)


def test_survival_rate_pools_whole_month_pairs():
    days = 400                                   # 13 whole months, month 13 partial
    starts = month_starts(days)
    r = fabricate(days, flows={"returning_buyers": 0.0})
    buyers = np.array([100, 80, 60, 50, 40, 40, 40, 40, 30, 30, 30, 30, 30, 999.0])
    returning = np.array([77, 40, 30, 20, 20, 20, 20, 20, 10, 10, 10, 10, 10, 999.0])
    r.matrices["cohort_buyers"][0] = buyers * 0.75          # two cohorts share them
    r.matrices["cohort_buyers"][1] = buyers * 0.25
    r["new_returning_buyers"][starts] = returning
    r.finalize()
    expected = returning[1:13].sum() / buyers[:12].sum()    # month 0 and month 13 left out
    assert kpis.survival_rate(r) == pytest.approx(expected, rel=1e-12)
    assert kpis.survival_rate(fabricate(days)) is None      # no kernel series
    short = fabricate(40, flows={"returning_buyers": 1.0})  # one whole month: no pair
    assert kpis.survival_rate(short) is None


def test_transactions_per_customer_counts_orders_over_distinct_buyers_of_the_last_year():
    days = 500
    orders = np.zeros(days)
    orders[:days - 365] = 1000.0                 # older orders do not count
    orders[days - 365:] = 2.0
    r = fabricate(days, flows={"purchases": orders})
    last = [499, days - 365, days - 366, -5, -(2**30), 300]     # 3 bought within the year
    assert kpis.transactions_per_customer(r, np.array(last)) == pytest.approx(2 * 365 / 3)
    assert kpis.transactions_per_customer(fabricate(364), np.array(last)) is None


def test_ltv_table_observed_and_projected_by_cohort():
    days, r_ret, i = 730, 0.8, 0.1               # 24 whole months
    r = fabricate(days)
    margin, size = r.matrices["cohort_gross_margin"], r.matrices["cohort_size"]
    size[0], margin[0] = 100, 10.0               # the base: 10 a month
    size[1], margin[1, 0], margin[1, 1:] = 50, 100.0, 5.0      # arrived in month 0
    size[20], margin[20, 19], margin[20, 20:] = 10, 30.0, 2.0  # month 19: 4 months after
    size[24], margin[24, 23] = 10, 30.0          # arrived in the last month: no tail
    table = kpis.ltv_by_cohort(r, i, r_ret)
    m = clv_multiple(r_ret, i)
    cols = {c: k for k, c in enumerate(kpis.LTV_COLUMNS)}
    assert table.shape == (margin.shape[0], len(kpis.LTV_COLUMNS))
    np.testing.assert_allclose(table[[0, 1, 20, 24], cols["months_observed"]], [24, 24, 5, 1])
    np.testing.assert_allclose(table[[0, 1, 20, 24], cols["ltv_observed"]],
                               [2.4, (100 + 23 * 5) / 50, (30 + 4 * 2) / 10, 3.0])
    np.testing.assert_allclose(table[[0, 1, 20], cols["yearly_margin"]],
                               [1.2, 12 * 5 / 50, 4 * 2 * 12 / 4 / 10])
    np.testing.assert_allclose(table[[0, 1, 20], cols["ltv_projected"]],
                               table[[0, 1, 20], cols["ltv_observed"]]
                               + table[[0, 1, 20], cols["yearly_margin"]] * m)
    assert np.isnan(table[24, cols["ltv_projected"]])
    assert np.isnan(table[5, cols["ltv_observed"]])          # an empty cohort
    # Summary: arrival cohorts with 12 whole months after arrival (only cohort 1 here).
    summary = kpis.ltv_summary(table)
    assert summary["ltv_observed"] == pytest.approx(table[1, cols["ltv_observed"]])
    assert summary["ltv_projected"] == pytest.approx(table[1, cols["ltv_projected"]])
    assert np.isnan(kpis.ltv_by_cohort(r, i, None)[:, cols["ltv_projected"]]).all()


# ---- a deterministic scenario ----------------------------------------------------


@pytest.fixture(scope="module")
def everyone_buys_every_day():
    """No churn, a purchase rate high enough that every live customer buys every day,
    a fixed check: every number is known in advance."""
    days, base, inflow, cac, spend = 400, 500, 5, 30.0, 100.0
    sc = scenario(horizon_days=days,
                  base={"customers": base, "history": {"new": 1.0}, "fresh_cohort": True},
                  acquisition={"inflow_per_day": inflow, "cac": cac,
                               "arrive_as": "new"},
                  behaviour={"purchase_rate": 50.0, "spend": spend, "orders_per_day": "single"},
                  economics={"gross_margin": 0.3, "discount_rate_per_year": 0.1})
    sim, results, summary = run(sc, seed=5)
    return SimpleNamespace(days=days, base=base, inflow=inflow, cac=cac, spend=spend,
                           sim=sim, results=results, summary=summary)


def test_kpis_of_a_deterministic_scenario(everyone_buys_every_day):
    s = everyone_buys_every_day
    days, out = s.days, s.summary
    arrival_day = np.repeat(np.arange(days), s.inflow)
    orders = np.concatenate([np.full(s.base, days), days - arrival_day])
    assert s.results["cum_purchases"][-1] == orders.sum()
    revenue = orders.sum() * s.spend
    assert out["inflow"] == pytest.approx(s.inflow * 365, rel=1e-12)
    assert out["cac"] == pytest.approx(s.cac, rel=1e-12)
    assert out["drr"] == pytest.approx(s.cac * len(arrival_day) / revenue, rel=1e-12)
    recent = np.minimum(orders, 365)             # orders in the last 365 days, per customer
    assert out["transactions_per_customer"] == pytest.approx(recent.sum() / len(orders))
    assert out["churn_rate"] == 0.0 and out["churn_rate_premature"] == 0.0
    assert out["retention_rate"] == 1.0
    assert out["lifecycle_length"] is None       # nobody dies: an unbounded lifecycle
    assert out["crm_budget_per_customer"] == 0.0
    active = s.base + np.minimum(np.arange(1, days + 1) * s.inflow, len(arrival_day))
    assert out["margin_per_customer"] == pytest.approx(
        revenue * 0.3 * 365 / days / active.mean(), rel=1e-9)
    # Nobody misses a month, so every buyer of a month buys in the next one.
    expected_survival = 1.0 if kpis.RETURNING in s.results else None
    assert out["survival_rate"] == expected_survival


def test_ltv_of_a_deterministic_scenario(everyone_buys_every_day):
    s = everyone_buys_every_day
    table = s.results.matrices["ltv_by_cohort"]
    cols = {c: k for k, c in enumerate(kpis.LTV_COLUMNS)}
    month0 = np.flatnonzero(np.arange(s.days) * 12 // 365 == 0)   # cohort 1 arrives here
    per_customer = (s.days - month0).mean() * s.spend * 0.3
    assert table[1, cols["size"]] == len(month0) * s.inflow
    assert table[1, cols["ltv_observed"]] == pytest.approx(per_customer, rel=1e-9)
    assert s.summary["ltv_observed"] == pytest.approx(per_customer, rel=1e-9)
    # retention 1 at a 10% discount rate: the yearly margin goes on for 1/0.1 years
    last12 = (np.arange(s.days) * 12 // 365 < 13) & (np.arange(s.days) * 12 // 365 >= 1)
    yearly = last12.sum() * s.spend * 0.3
    assert s.summary["ltv_projected"] == pytest.approx(per_customer + yearly / 0.1, rel=1e-9)


# ---- lifecycle length against the hazard ----------------------------------------


def test_lifecycle_length_is_one_over_the_daily_hazard():
    """A homogeneous cohort dies at h a day: 1/lifecycle_length estimates h within the
    binomial standard error of the death count (4 SE: fails by chance 1 in 16,000)."""
    h, n, days = 0.004, 20_000, 365
    sc = scenario(horizon_days=days,
                  base={"customers": n, "history": {"new": 1.0}, "fresh_cohort": True},
                  behaviour={"purchase_rate": 0.05, "spend": 10.0, "orders_per_day": "single",
                             "stages": {s: {"churn_hazard": h} for s in STAGES}})
    _, results, summary = run(sc, seed=17)
    deaths = results["cum_churned_premature"][-1]
    at_risk = (results["n_alive"] - results["n_alive_leads"]).sum() + deaths
    assert deaths > 10_000                       # the test has power
    se = np.sqrt(at_risk * h * (1 - h))          # SE of the death count given the exposure
    assert abs(deaths - h * at_risk) < 4 * se, (deaths, h * at_risk, se)
    assert summary["lifecycle_length"] == pytest.approx(at_risk / deaths, rel=1e-12)
    assert abs(1 / summary["lifecycle_length"] - h) < 4 * se / at_risk
    assert summary["churn_rate"] == pytest.approx(1 - (1 - deaths / at_risk) ** 365)
    assert summary["churn_rate"] + summary["retention_rate"] == pytest.approx(1.0)
    assert summary["churn_rate_natural"] == 0.0
