"""Strategies against the baseline: exact identities on hand-built runs (payback month,
ROMI, pairing by replication), and the JSON document and table of a real run."""

import json

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from apps.cli import app
from apps.tables import summary_table
from models import comparison as cmp
from models.kpis import KPIS
from sim.ensemble import EnsembleResult, Run
from sim.results import Results

DAYS = 365


PAID = ("campaign",)    # a strategy that brings the mechanic `campaign`
OUTLAY = 1.0            # daily discounts: an investment that leaves contribution alone


def money(days=DAYS, revenue=0.0, gross_margin=0.0, crm_cost=0.0, acquisition_cost=0.0,
          discounts=0.0, own=None):
    """Results holding only the daily money flows (scalars or arrays); `own`: the CRM
    cost booked by each mechanic ({name: daily cost}), by default all of it by
    `campaign`."""
    r = Results(days)
    for name, values in (("revenue", revenue), ("gross_margin", gross_margin),
                         ("crm_cost", crm_cost), ("acquisition_cost", acquisition_cost),
                         ("discounts", discounts),
                         *(("crm_cost_" + m, v) for m, v in
                           (own or {"campaign": crm_cost}).items())):
        r.flow(name)[:] = values
    r.finalize()
    return r


def by_month(monthly, days=DAYS):
    """A daily series holding each month's amount on the month's first day."""
    month = np.arange(days) * 12 // 365
    starts = np.flatnonzero(np.diff(month, prepend=-1))
    out = np.zeros(days)
    out[starts[:len(monthly)]] = monthly
    return out


# ---- payback month -----------------------------------------------------------------


def test_three_negative_months_then_positive_pay_back_in_month_four():
    month = np.arange(DAYS) * 12 // 365
    margin = np.where(month < 3, -10.0, 1000.0)          # every day of months 1-3 loses
    out = cmp.compare(money(gross_margin=margin, revenue=3 * margin, discounts=OUTLAY),
                      money(), PAID)
    assert out["payback_month"] == 4
    assert out["incremental_gross_margin"] == pytest.approx(margin.sum())
    assert out["incremental_revenue"] == pytest.approx(3 * margin.sum())


@pytest.mark.parametrize("monthly, expected", [
    ([-5, -5, -5, 20], 4),
    ([-5, -5, -5, 6, 6, 6], 6),                # positive from month 4, recovered in 6
    ([10, -20, 5, 20, -30, 40], 6),            # back below zero in month 5
    ([1, 2, 3], 1),                            # never below zero
    ([0] * 12, 1),                             # identical to the baseline
    ([-5, 10, -6], None),                      # ends below zero
    ([-1] * 12, None),
])
def test_payback_month_is_where_the_cumulative_sum_stays_non_negative(monthly, expected):
    assert cmp.payback_month(by_month(monthly)) == expected
    strategy = money(gross_margin=by_month(monthly) + 7.0, crm_cost=1.0, discounts=OUTLAY)
    assert cmp.compare(strategy, money(gross_margin=7.0, crm_cost=1.0), PAID)[
        "payback_month"] == expected


def test_payback_counts_crm_and_acquisition_costs():
    gm = by_month([0, 0, 0, 100])
    crm = by_month([30, 30, 30])
    acq = by_month([0, 0, 0, 0, 50])                     # month 5 back to -40
    out = cmp.compare(money(gross_margin=gm, crm_cost=crm, acquisition_cost=acq), money(),
                      PAID)     # the campaign's 90 are the outlay
    assert out["incremental_contribution"] == pytest.approx(100 - 90 - 50)
    assert out["payback_month"] is None
    out = cmp.compare(money(gross_margin=gm + by_month([0] * 5 + [40]), crm_cost=crm,
                            acquisition_cost=acq), money(), PAID)
    assert out["payback_month"] == 6


# ---- ROMI ----------------------------------------------------------------------------


def test_romi_is_incremental_margin_less_cost_over_the_investment():
    base = money(revenue=100.0, gross_margin=30.0, crm_cost=2.0, acquisition_cost=1.0)
    strategy = money(revenue=100.0 + 2000 / DAYS, gross_margin=30.0 + 500 / DAYS,
                     crm_cost=2.0 + 200 / DAYS, acquisition_cost=1.0 + 50 / DAYS)
    out = cmp.compare(strategy, base, PAID)
    assert out["incremental_revenue"] == pytest.approx(2000)
    assert out["incremental_gross_margin"] == pytest.approx(500)
    assert out["incremental_crm_cost"] == pytest.approx(200)
    assert out["incremental_contribution"] == pytest.approx(500 - 200 - 50)
    assert out["investment"] == pytest.approx(200)
    assert out["romi"] == pytest.approx((500 - 200) / 200)
    assert cmp.romi(0.0, 100.0, 100.0) == -1.0           # spends and earns nothing
    assert cmp.romi(50.0, 100.0, 100.0) == -0.5


def test_a_free_lever_has_no_investment_so_no_romi_and_no_payback():
    """A lever keeps more customers alive and they get more of the baseline's campaign:
    2% more CRM cost for 100 more margin. Nobody chose to spend those 2: the strategy
    brings no mechanic, so it has no investment, no ROMI (not (100 - 2) / 2 = 4900%) and
    nothing to pay back; its gain is in the incremental contribution."""
    base = money(gross_margin=30.0, crm_cost=100 / DAYS)
    lever = money(gross_margin=30.0 + 100 / DAYS, crm_cost=102 / DAYS)
    out = cmp.compare(lever, base)
    assert out["investment"] == 0.0
    assert out["romi"] is None and out["payback_month"] is None
    assert out["incremental_crm_cost"] == pytest.approx(2)
    assert out["incremental_contribution"] == pytest.approx(98)
    # the same 2 booked by a mechanic the strategy brings is an investment (2% of the
    # baseline's spend, over the 1% bar): (100 - 2) / 2
    paid = money(gross_margin=30.0 + 100 / DAYS, crm_cost=102 / DAYS,
                 own={"campaign": 100 / DAYS, "welcome": 2 / DAYS})
    out = cmp.compare(paid, base, ("welcome",))
    assert out["investment"] == pytest.approx(2)
    assert out["romi"] == pytest.approx(49.0) and out["payback_month"] == 1
    # brought beside the lever, only the mechanic's own outlay is the investment; the
    # campaign's incidental 2 more stay a cost in the return
    both = money(gross_margin=30.0 + 150 / DAYS, crm_cost=106 / DAYS,
                 own={"campaign": 102 / DAYS, "welcome": 4 / DAYS})
    out = cmp.compare(both, base, ("welcome",))
    assert out["investment"] == pytest.approx(4)
    assert out["romi"] == pytest.approx((150 - 6) / 4)


def test_romi_is_none_for_savings_and_outlays_under_one_percent_of_the_baseline():
    base = money(gross_margin=30.0, crm_cost=2.0)
    saving = cmp.compare(money(gross_margin=29.0, crm_cost=1.0), base, PAID)
    assert saving["romi"] is None and saving["investment"] == pytest.approx(-DAYS)
    assert saving["payback_month"] is None                # nothing was paid to pay back
    assert cmp.romi(100.0, 0.0, 0.0) is None and cmp.romi(100.0, -1.0, -1.0) is None
    assert cmp.romi(100.0, 0.5, 1.0, baseline_spend=100.0) is None    # 1%: a nudge
    assert cmp.romi(100.0, 2.0, 2.0, baseline_spend=100.0) == pytest.approx(49.0)


def test_discounts_are_part_of_the_investment():
    """A discount programme costs no CRM bill but gives price away: its ROMI divides by
    the discounts too, and a programme that gives away more margin than it brings back
    has ROMI below zero."""
    base = money(gross_margin=30.0, crm_cost=1.0, discounts=0.0)
    programme = money(gross_margin=30.0 - 300 / DAYS, crm_cost=1.0, discounts=500 / DAYS)
    out = cmp.compare(programme, base, ("loyalty_discount",))
    assert out["incremental_discounts"] == pytest.approx(500)
    assert out["investment"] == pytest.approx(500)
    assert out["romi"] == pytest.approx(-300 / 500)


# ---- pairing and reduction ----------------------------------------------------------


def ensemble(levels, effects, romi_free_rep=None):
    """Runs of baseline and 'plus' whose level differs a lot by replication and whose
    effect (strategy - baseline, in gross margin) is `effects[rep]`."""
    runs = []
    for rep, (level, effect) in enumerate(zip(levels, effects)):
        extra_cost = 0.0 if rep == romi_free_rep else 10.0
        runs.append(Run("plus", rep, 100 + rep,
                        money(gross_margin=(level + effect) / DAYS,
                              crm_cost=(5.0 + extra_cost) / DAYS), {}))
        runs.append(Run("baseline", rep, 100 + rep,
                        money(gross_margin=level / DAYS, crm_cost=5.0 / DAYS), {}))
    return EnsembleResult(runs[::-1])                   # order must not matter


def test_replication_r_is_paired_with_baseline_replication_r():
    result = ensemble(levels=[1e3, 1e6, 1e4, 1e5], effects=[40.0] * 4)
    stats = cmp.vs_baseline(result, {"plus": PAID})
    assert set(stats) == {"plus"}                        # the baseline gets no entry
    gm = stats["plus"]["incremental_gross_margin"]
    assert gm["mean"] == pytest.approx(40) and gm["lo"] == pytest.approx(40)
    assert gm["hi"] == pytest.approx(40)                 # unpaired, the band would be huge
    assert stats["plus"]["romi"]["mean"] == pytest.approx((40 - 10) / 10)
    frame = cmp.paired_frame(result, {"plus": PAID})
    assert sorted(frame["rep"]) == [0, 1, 2, 3]
    assert list(frame.columns) == ["strategy", "rep", *cmp.VS_BASELINE]


def test_reduction_is_mean_and_p05_p95_band_and_none_if_any_replication_is_none():
    effects = [10.0, 20.0, 70.0, 0.0, 35.0]
    stats = cmp.vs_baseline(ensemble([1e3] * 5, effects), {"plus": PAID})["plus"]
    lo, hi = np.percentile(effects, [5, 95])
    assert stats["incremental_gross_margin"] == pytest.approx(
        {"mean": np.mean(effects), "lo": lo, "hi": hi})
    assert stats["incremental_contribution"]["mean"] == pytest.approx(np.mean(effects) - 10)
    romi = cmp.vs_baseline(ensemble([1e3] * 5, effects, romi_free_rep=2),
                           {"plus": PAID})["plus"]["romi"]
    assert romi == {"mean": None, "lo": None, "hi": None, "note": cmp.SMALL_INVESTMENT}


def test_a_strategy_without_a_mechanic_says_why_it_has_no_romi():
    stats = cmp.vs_baseline(ensemble([1e3] * 3, [40.0] * 3), {"plus": []})["plus"]
    for metric in ("romi", "payback_month"):
        assert stats[metric] == {"mean": None, "lo": None, "hi": None,
                                 "note": cmp.NO_INVESTMENT}
    assert stats["investment"] == {"mean": 0.0, "lo": 0.0, "hi": 0.0}
    assert stats["incremental_contribution"]["mean"] == pytest.approx(40 - 10)


def test_unpaired_seeds_are_refused():
    result = ensemble([1e3, 1e3], [1.0, 1.0])
    result.runs[0].seed += 1
    with pytest.raises(ValueError, match="not paired"):
        cmp.paired(result, {"plus": PAID})


# ---- the JSON document and the table -----------------------------------------------


@pytest.fixture(scope="module")
def bench_document():
    result = CliRunner().invoke(app, ["run", "bench_funnel", "--customers", "2000", "--days",
                                      "400", "--reps", "2", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_document_has_kpis_and_vs_baseline(bench_document):
    strategies = bench_document["strategies"]
    base = strategies["baseline"]
    assert "vs_baseline" not in base
    for name, s in strategies.items():
        for kpi in KPIS:
            assert set(s[kpi]) == {"mean", "lo", "hi"}, (name, kpi)
            # survival_rate needs a kernel series (see kpis.py); bench_funnel has no offers
            if kpi not in ("survival_rate", "offer_buyers_anyway_share"):
                assert s[kpi]["mean"] is not None, (name, kpi)
        # means are linear: the identities of single runs hold for them too
        assert s["churn_rate"]["mean"] + s["retention_rate"]["mean"] == pytest.approx(1)
        assert s["churn_rate_premature"]["mean"] + s["churn_rate_natural"]["mean"] \
            == pytest.approx(s["churn_rate"]["mean"])
        if name == "baseline":
            continue
        vs = s["vs_baseline"]
        assert set(vs) == set(cmp.VS_BASELINE)
        for metric, key in (("revenue", "incremental_revenue"),
                            ("gross_margin", "incremental_gross_margin"),
                            ("crm_cost", "incremental_crm_cost"),
                            ("contribution", "incremental_contribution")):
            assert vs[key]["mean"] == pytest.approx(s[metric]["mean"] - base[metric]["mean"],
                                                    rel=1e-9, abs=1e-6), (name, key)
            assert vs[key]["lo"] <= vs[key]["mean"] <= vs[key]["hi"]
    no_campaign = strategies["no_campaign"]["vs_baseline"]
    assert no_campaign["incremental_crm_cost"]["hi"] <= 0     # it spends nothing more
    assert no_campaign["incremental_revenue"]["hi"] < 0       # and loses the campaign's sales
    # switching a mechanic off (no_loyalty too) and a free lever invest nothing: no
    # ROMI, no payback, and the document says why
    less_churn = strategies["churn_minus_20"]["vs_baseline"]
    assert less_churn["incremental_contribution"]["lo"] > 0
    for free in (no_campaign, less_churn, strategies["no_loyalty"]["vs_baseline"]):
        assert free["investment"] == {"mean": 0.0, "lo": 0.0, "hi": 0.0}
        for metric in ("romi", "payback_month"):
            assert free[metric]["mean"] is None and free[metric]["note"] == cmp.NO_INVESTMENT


def test_table_shows_romi_and_payback(bench_document):
    console = Console(record=True, width=200)
    console.print(summary_table(bench_document))
    text = console.export_text()
    for label in ("ROMI", "Payback month", "Δ Contribution vs baseline", "Lifecycle (days)",
                  "DRR"):
        assert label in text
