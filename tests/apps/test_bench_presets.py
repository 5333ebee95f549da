"""`snowball bench --presets`: every strategy of a preset against the bare engine.

The table must hold one figure per strategy, the ratios must be those figures over the
bare engine's, and the slowest strategy the one with the smallest figure."""

import json

import pytest
from typer.testing import CliRunner

from apps.bench.presets import parse_presets, time_preset
from apps.cli import app
from scenarios.errors import InputError
from scenarios.loader import ScenarioFile, preset_names

runner = CliRunner()


def test_time_preset_ratios_are_each_strategy_over_the_bare_engine():
    row = time_preset("shoe_polish", 2000, 20, rounds=2, seed=5)
    strategies = ScenarioFile("shoe_polish").strategy_names
    assert list(row["customer_days_per_s_by_strategy"]) == strategies
    bare = row["bench_funnel_customer_days_per_s"]
    assert bare > 0
    for s, v in row["customer_days_per_s_by_strategy"].items():
        assert v > 0 and row["vs_bench_funnel_by_strategy"][s] == pytest.approx(v / bare)
    slowest = row["slowest_strategy"]
    assert row["customer_days_per_s_by_strategy"][slowest] == min(
        row["customer_days_per_s_by_strategy"].values())
    assert row["slowest_strategy_vs_bench_funnel"] == min(
        row["vs_bench_funnel_by_strategy"].values())


def test_all_is_every_preset_with_mechanics_and_names_are_checked():
    assert parse_presets("all") == [p for p in preset_names() if p != "bench_funnel"]
    assert parse_presets("coffee_shop, baby_food") == ["coffee_shop", "baby_food"]
    with pytest.raises(InputError, match="not a preset: nope"):
        parse_presets("coffee_shop,nope")


def test_cli_writes_the_table_to_out(tmp_path):
    out = tmp_path / "presets.json"
    result = runner.invoke(app, ["bench", "--presets", "telecom_subscription",
                                 "--preset-customers", "1000", "--days", "10", "--rounds",
                                 "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["customers"] == 1000 and report["days"] == 10
    (row,) = report["presets"].values()
    assert row["threads"] == 1 and len(row["load_average_at_start"]) == 3
    assert report["worst_slowest_strategy_vs_bench_funnel"] == row[
        "slowest_strategy_vs_bench_funnel"]
