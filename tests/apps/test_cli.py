"""The CLI as a user drives it: presets, run (--json, --out), schema."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from apps.cli import app
from scenarios.loader import ScenarioFile

runner = CliRunner()
REQUIRED = ("revenue", "gross_margin", "crm_cost", "acquisition_cost", "contribution",
            "purchases", "new_customers", "active_customers_end", "churned_premature",
            "churned_natural", "one_time_share", "repeat_rate", "avg_check_new",
            "avg_check_repeat", "arppu", "ltv_365", "customer_equity")
PRESETS = ("ecommerce_fashion", "baby_food", "pet_food_recurrent", "auto_dealer",
           "coffee_shop", "telecom_subscription", "shoe_polish", "bench_funnel")


def test_presets_lists_every_builtin_scenario():
    result = runner.invoke(app, ["presets", "--json"])
    assert result.exit_code == 0, result.output
    names = [row["name"] for row in json.loads(result.stdout)]
    assert set(PRESETS) <= set(names)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_has_a_baseline_and_three_strategies_that_run(name):
    f = ScenarioFile(name)
    assert f.strategy_names[0] == "baseline" or "baseline" in f.strategy_names
    assert len(f.strategy_names) >= 4
    result = runner.invoke(app, ["run", name, "--customers", "800", "--days", "120", "--reps",
                                 "1", "--strategies", "all", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc["strategies"]) == set(f.strategy_names)
    base = doc["strategies"]["baseline"]
    assert base["revenue"]["mean"] > 0
    assert base["contribution"]["mean"] == pytest.approx(
        base["gross_margin"]["mean"] - base["crm_cost"]["mean"]
        - base["acquisition_cost"]["mean"])


def test_run_json_document_and_out_files(tmp_path):
    out = tmp_path / "results"
    args = ["run", "bench_funnel", "--customers", "3000", "--days", "400", "--reps", "2",
            "--strategies", "no_campaign", "--seed", "9", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"scenario", "scenario_id", "version", "seed", "customers", "days", "reps",
            "strategies"} <= set(doc)
    assert (doc["scenario"], doc["seed"], doc["customers"], doc["days"], doc["reps"]) == \
        ("bench_funnel", 9, 3000, 400, 2)
    assert list(doc["strategies"]) == ["baseline", "no_campaign"]
    for metric in REQUIRED:
        stat = doc["strategies"]["baseline"][metric]
        assert set(stat) == {"mean", "lo", "hi"}
        assert stat["mean"] is not None, metric       # 400 days: every metric observable
        assert stat["lo"] <= stat["mean"] <= stat["hi"]
    assert json.loads((out / "summary.json").read_text()) == doc

    daily = pd.read_parquet(out / "daily.parquet")
    assert len(daily) == 2 * 2 * 400
    assert {"strategy", "rep", "day", "n_loyal", "new_revenue", "cum_revenue"} <= set(daily)
    one = daily[(daily.strategy == "baseline") & (daily.rep == 0)]
    assert one["cum_revenue"].iloc[-1] == pytest.approx(one["new_revenue"].sum())
    cohorts = pd.read_parquet(out / "cohorts.parquet")
    assert {"strategy", "rep", "cohort", "month", "revenue", "gross_margin", "buyers",
            "cohort_size"} <= set(cohorts)
    total = cohorts[(cohorts.strategy == "baseline") & (cohorts.rep == 0)]["revenue"].sum()
    assert total == pytest.approx(one["new_revenue"].sum())
    segments = pd.read_parquet(out / "segments.parquet")
    assert {"strategy", "rep", "month", "segment", "customers", "revenue"} <= set(segments)
    assert "champions" in set(segments["segment"].astype(str))
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and set(REQUIRED) <= set(runs)


def test_table_output_names_every_strategy():
    result = runner.invoke(app, ["run", "bench_funnel", "--customers", "1000", "--days",
                                 "30", "--reps", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("baseline", "no campaign", "no loyalty", "churn minus 20", "Revenue"):
        assert name in result.output


def test_schema_exports_fields_with_units():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    text = json.dumps(schema)
    assert "per day" in text and "currency" in text and "days" in text
    assert "email_campaign" in text and "loyalty_discount" in text
    assert set(schema["required"]) >= {"name", "base", "behaviour", "economics"}


def test_bench_job_times_every_strategy():
    result = runner.invoke(app, ["bench", "--job", "bench_funnel", "--job-customers", "2000",
                                 "--job-years", "0.1", "--job-reps", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["customer_days_per_s_by_strategy"]) == {
        "baseline", "no_campaign", "no_loyalty", "churn_minus_20"}
    assert all(v > 0 for v in report["customer_days_per_s_by_strategy"].values())
    assert report["slowest_strategy_vs_bench_funnel"] == pytest.approx(
        min(report["customer_days_per_s_by_strategy"].values())
        / report["bench_funnel_customer_days_per_s"])


def test_many_strategies_are_split_into_tables_that_fit():
    from rich.console import Console

    from apps.tables import summary_tables
    result = runner.invoke(app, ["run", "baby_food", "--customers", "500", "--days", "60",
                                 "--reps", "1", "--json"])
    doc = json.loads(result.stdout)
    tables = summary_tables(doc, 80)
    assert len(tables) > 1
    shown = [col.header for t in tables for col in t.columns[1:]]
    assert all(t.columns[1].header == "baseline" for t in tables)
    assert {s.replace("_", " ") for s in doc["strategies"]} == set(shown)
    console = Console(width=80, record=True)
    for t in tables:
        console.print(t)
    assert max(len(line) for line in console.export_text().splitlines()) <= 80
