"""ROMI per mechanic by leave-one-out twins: which mechanics a strategy brings, the
twin's scenario, the pairing and the free-lever rule on hand-built runs, and the
figures of real runs (one mechanic = the strategy; a mechanic that does nothing = 0;
booked costs add up to the CRM bill). Every comparison of real runs is exact: the
twins share the seeds, so no tolerance for noise is needed."""

import numpy as np
import pytest

from apps.job import Job
from models import comparison as cmp
from sim.ensemble import Run
from sim.results import Results
from helpers import scenario

DAYS = 365
SPLIT = """\
name: split
horizon_days: 90
base:
  customers: 2000
  history: {new: 0.3, repeat: 0.3, lapsed: 0.4}
  history_days: 200
  lapsed_alive_share: 0.5
acquisition: {inflow_per_day: 5, paid_share: 0.5, cac: 10}
behaviour:
  purchase_rate: {gamma: {shape: 2, rate: 60}}
  spend: 100
  dropout: 0.02
funnel: {lapsed_after_days: 45}
economics: {gross_margin: 0.3}
channels: {email: {cost_per_contact: 0.5}}
mechanics:
  win_back: {days_since_last_purchase: [50, 70], stages: [lapsed], response_rate: 0.2,
             uplift: 2, offer_cost: 5}
  welcome_series: {days_after_first_purchase: [1, 7], response_rate: 0.2}
  loyalty_discount: {discount: 0.05, stages: [repeat, loyal]}
  experience: {churn_multiplier: 1.0, budget_per_year: 0}   # switched on, it does nothing
strategies:
  baseline: {description: no mechanic at all}
  win_back:
    overrides: {mechanics.win_back.enabled: true}
  with_noop:
    overrides: {mechanics.win_back.enabled: true, mechanics.experience.enabled: true}
  trio:
    overrides: {mechanics.win_back.enabled: true, mechanics.welcome_series.enabled: true,
                mechanics.loyalty_discount.enabled: true}
  with_lever:
    overrides: {mechanics.win_back.enabled: true, levers.spend_multiplier: 1.1}
  lever_only:
    overrides: {levers.spend_multiplier: 1.1}
"""
SHARED = [m for m in cmp.BY_MECHANIC if m in cmp.VS_BASELINE]


# ---- which mechanics, and the twin ---------------------------------------------------


def test_a_strategys_mechanics_are_those_it_enables_and_the_baseline_runs_otherwise():
    base = scenario(mechanics={"email_campaign": {"enabled": True, "every_days": 7},
                               "experience": {"enabled": True}})
    strategy = scenario(mechanics={"email_campaign": {"enabled": True, "every_days": 3},
                                   "experience": {"enabled": True},   # as in the baseline
                                   "win_back": {"enabled": True},
                                   "tripwire": {"enabled": False}},
                        levers={"spend_multiplier": 1.2})
    assert cmp.strategy_mechanics(strategy, base) == ["email_campaign", "win_back"]
    assert cmp.strategy_mechanics(base, base) == []
    assert cmp.strategy_mechanics(base, strategy) == ["email_campaign"]


def test_the_twin_has_the_mechanic_as_in_the_baseline_and_everything_else_as_the_strategy():
    base = scenario(mechanics={"email_campaign": {"enabled": True, "every_days": 7}})
    strategy = scenario(mechanics={"email_campaign": {"enabled": True, "every_days": 3},
                                   "win_back": {"enabled": True}},
                        levers={"spend_multiplier": 1.2})
    without_win_back = cmp.leave_one_out(strategy, "win_back", base)
    assert without_win_back.mechanics.win_back is None                # off: not in the baseline
    assert without_win_back.mechanics.email_campaign.every_days == 3
    assert without_win_back.levers.spend_multiplier == 1.2
    reverted = cmp.leave_one_out(strategy, "email_campaign", base)
    assert reverted.mechanics.email_campaign == base.mechanics.email_campaign
    assert reverted.mechanics.win_back.enabled
    assert strategy.mechanics.win_back.enabled                        # the strategy is intact
    no_lever = scenario(mechanics={"email_campaign": {"enabled": True, "every_days": 7},
                                   "win_back": {"enabled": True}})
    assert cmp.leave_one_out(no_lever, "win_back", base) == base


# ---- hand-built runs -----------------------------------------------------------------


def money(gross_margin=0.0, crm_cost=0.0, discounts=0.0, own=None):
    """Results with yearly totals spread over the days; `own` {mechanic: booked cost}."""
    r = Results(DAYS)
    totals = {"revenue": gross_margin, "gross_margin": gross_margin, "crm_cost": crm_cost,
              "acquisition_cost": 0.0, "discounts": discounts,
              **{"crm_cost_" + m: cost for m, cost in (own or {}).items()}}
    for name, total in totals.items():
        r.flow(name)[:] = total / DAYS
    r.finalize()
    return r


def test_mechanic_effect_is_strategy_minus_twin_with_the_baselines_threshold():
    """The baseline spends 1 000, the twin 20 000 (another mechanic's budget): a mechanic
    that books 48 and gives 30 of discounts invests 78, over 1% of the baseline's spend,
    so it has a ROMI, though it is under 1% of the twin's. The other 2 of CRM cost the
    strategy adds are not the mechanic's outlay: a cost in its return, not investment."""
    base = money(gross_margin=5000, crm_cost=1000)
    twin = money(gross_margin=9000, crm_cost=20000, own={"experience": 19000})
    strategy = money(gross_margin=9200, crm_cost=20050, discounts=30,
                     own={"experience": 19000, "win_back": 48})
    runs = [Run(name, 0, 7, results, {}) for name, results in
            (("baseline", base), ("all", strategy), ("all without win_back", twin))]
    rows = cmp.mechanic_rows(runs, {"all": {"win_back": "all without win_back"}})
    assert len(rows) == 1
    row = rows[0]
    assert (row["strategy"], row["mechanic"], row["rep"]) == ("all", "win_back", 0)
    assert row["incremental_gross_margin"] == pytest.approx(200)
    assert row["incremental_crm_cost"] == pytest.approx(50)
    assert row["incremental_discounts"] == pytest.approx(30)
    assert row["incremental_contribution"] == pytest.approx(150)
    assert row["investment"] == pytest.approx(48 + 30)
    assert row["romi"] == pytest.approx((200 - 50) / (48 + 30))
    assert row["booked_cost"] == pytest.approx(48)
    assert cmp.compare(strategy, twin, ("win_back",))["romi"] is None   # the twin's bar: 200
    runs[2].seed = 8
    with pytest.raises(ValueError, match="not paired"):
        cmp.mechanic_rows(runs, {"all": {"win_back": "all without win_back"}})


def test_by_mechanic_reduces_over_replications_like_vs_baseline():
    runs = []
    for rep, effect in enumerate([10.0, 40.0, 25.0]):
        runs += [Run("baseline", rep, rep, money(crm_cost=100), {}),
                 Run("s", rep, rep, money(gross_margin=effect, crm_cost=120), {})]
    stats = cmp.by_mechanic(runs[::-1], {"s": {"win_back": "baseline"}, "free": {}})
    assert stats["free"] == {}
    lo, hi = np.percentile([10.0, 40.0, 25.0], [5, 95])
    assert stats["s"]["win_back"]["incremental_gross_margin"] == pytest.approx(
        {"mean": 25.0, "lo": lo, "hi": hi})
    assert stats["s"]["win_back"]["booked_cost"] == {"mean": 0.0, "lo": 0.0, "hi": 0.0}
    assert set(stats["s"]["win_back"]) == set(cmp.BY_MECHANIC)


# ---- real runs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """(job, result, document) of every SPLIT strategy by mechanic, 2 replications."""
    path = tmp_path_factory.mktemp("split") / "split.yaml"
    path.write_text(SPLIT)
    job = Job.prepare(str(path), None, None, 2, 5, "all", by_mechanic=True)
    result = job.run()
    return job, result, job.document(result)


def test_twins_run_only_where_the_twin_is_not_the_baseline(split):
    job, result, _ = split
    assert job.plan == {
        "win_back": {"win_back": "baseline"},
        "with_noop": {"experience": "with_noop without experience",
                      "win_back": "with_noop without win_back"},
        "trio": {m: f"trio without {m}" for m in ("loyalty_discount", "welcome_series",
                                                  "win_back")},
        "with_lever": {"win_back": "with_lever without win_back"},   # the lever stays on
        "lever_only": {},
    }
    assert len(result.runs) == 6 * 2 and len(result.twins) == 6 * 2
    assert {r.strategy for r in result.runs} == set(job.strategies)


def test_one_mechanic_strategy_figures_are_the_strategys(split):
    _, _, doc = split
    s = doc["strategies"]["win_back"]
    for metric in SHARED:
        assert s["by_mechanic"]["win_back"][metric] == s["vs_baseline"][metric], metric
    assert s["by_mechanic"]["win_back"]["romi"]["mean"] is not None
    assert doc["strategies"]["lever_only"]["by_mechanic"] == {}
    assert "by_mechanic" not in doc["strategies"]["baseline"]


def test_a_mechanic_that_does_nothing_gets_zero_and_the_other_the_whole_effect(split):
    _, _, doc = split
    s = doc["strategies"]["with_noop"]
    zero = {"mean": 0.0, "lo": 0.0, "hi": 0.0}
    for metric in ("incremental_revenue", "incremental_gross_margin", "incremental_crm_cost",
                   "incremental_discounts", "incremental_contribution", "booked_cost"):
        assert s["by_mechanic"]["experience"][metric] == zero, metric
    assert s["by_mechanic"]["experience"]["romi"]["mean"] is None
    for metric in SHARED:
        assert s["by_mechanic"]["win_back"][metric] == s["vs_baseline"][metric], metric
    # and the whole effect is win_back's effect alone (same seeds, an idle experience)
    assert s["by_mechanic"]["win_back"] == doc["strategies"]["win_back"]["by_mechanic"][
        "win_back"]


def test_booked_costs_add_up_to_the_crm_bill_and_discounts_show_where_given(split):
    """The baseline runs no mechanic and every CRM cost (contacts included) is booked by
    a mechanic, so the strategy's mechanics booked its whole CRM cost, per replication."""
    job, result, doc = split
    frame = cmp.mechanic_frame(result.runs + result.twins, job.plan)
    trio = frame[frame.strategy == "trio"]
    for run in (r for r in result.runs if r.strategy == "trio"):
        booked = trio[trio.rep == run.rep]["booked_cost"].sum()
        assert booked == pytest.approx(run.summary["crm_cost"], rel=1e-12)
        assert run.summary["crm_cost"] > 0
    loyalty = doc["strategies"]["trio"]["by_mechanic"]["loyalty_discount"]
    assert loyalty["booked_cost"]["hi"] == 0.0                   # no CRM bill of its own
    assert loyalty["incremental_discounts"]["lo"] > 0            # it gives price away


def test_without_the_flag_nothing_changes_and_nothing_extra_runs(split, tmp_path):
    job, _, doc = split
    plain = Job.prepare(job.file.label, None, None, 2, 5, "all")
    result = plain.run()
    assert (plain.plan, plain.twins, result.twins) == ({}, {}, [])
    assert len(result.runs) == 6 * 2
    assert plain.customer_days() * 2 == job.customer_days()      # 6 strategies + 6 twins
    stripped = {**doc, "strategies": {n: {k: v for k, v in s.items() if k != "by_mechanic"}
                                      for n, s in doc["strategies"].items()}}
    assert plain.document(result) == stripped                    # the twins disturb nothing
    plain.write(result, tmp_path, stripped)
    assert not (tmp_path / "mechanics.parquet").exists()
