"""`snowball run --by-mechanic` end to end: the JSON, the tables and the files."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from apps.cli import app
from models.comparison import BY_MECHANIC

runner = CliRunner()
SCENARIO = """\
name: pair
horizon_days: 60
base:
  customers: 1500
  history: {new: 0.5, repeat: 0.5}
acquisition: {inflow_per_day: 5}
behaviour: {purchase_rate: 0.03, spend: 100}
economics: {gross_margin: 0.3}
channels: {email: {cost_per_contact: 0.2}}
mechanics:
  email_campaign: {enabled: true, every_days: 14, response_rate: 0.1}
  welcome_series: {days_after_first_purchase: [1, 7], response_rate: 0.2}
  experience: {churn_multiplier: 0.8, budget_per_year: 2000}
strategies:
  baseline: {}
  pair:
    overrides: {mechanics.welcome_series.enabled: true, mechanics.experience.enabled: true,
                mechanics.email_campaign.every_days: 14}
  lever:
    overrides: {levers.spend_multiplier: 1.1}
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(document, out folder) of `run pair.yaml --by-mechanic --json --out`."""
    folder = tmp_path_factory.mktemp("pair")
    path, out = folder / "pair.yaml", folder / "out"
    path.write_text(SCENARIO)
    result = runner.invoke(app, ["run", str(path), "--reps", "3", "--seed", "4",
                                 "--by-mechanic", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out


def test_json_has_each_mechanic_reduced_over_replications(pair):
    doc, out = pair
    split = doc["strategies"]["pair"]["by_mechanic"]
    # email_campaign is set as in the baseline (every 14 days): not the strategy's
    assert list(split) == ["experience", "welcome_series"]
    for stats in split.values():
        assert set(stats) == set(BY_MECHANIC)
        for stat in stats.values():
            assert stat["lo"] <= stat["mean"] <= stat["hi"]
    experience = split["experience"]
    assert experience["booked_cost"]["mean"] == pytest.approx(2000 * 60 / 365)
    assert doc["strategies"]["lever"]["by_mechanic"] == {}
    assert json.loads((out / "summary.json").read_text()) == doc


def test_mechanics_parquet_has_a_row_per_strategy_mechanic_and_replication(pair):
    doc, out = pair
    frame = pd.read_parquet(out / "mechanics.parquet")
    assert list(frame.columns) == ["strategy", "mechanic", "rep", *BY_MECHANIC]
    assert sorted(zip(frame.strategy, frame.mechanic, frame.rep)) == [
        ("pair", m, rep) for m in ("experience", "welcome_series") for rep in range(3)]
    for (strategy, mechanic), rows in frame.groupby(["strategy", "mechanic"]):
        stats = doc["strategies"][strategy]["by_mechanic"][mechanic]
        for metric in ("incremental_gross_margin", "incremental_contribution",
                       "booked_cost"):
            assert rows[metric].mean() == pytest.approx(stats[metric]["mean"], rel=1e-12)
    assert len(pd.read_parquet(out / "runs.parquet")) == 3 * 3    # no twin among the runs


def test_terminal_shows_a_table_per_split_strategy(tmp_path):
    path = tmp_path / "pair.yaml"
    path.write_text(SCENARIO)
    result = runner.invoke(app, ["run", str(path), "--reps", "1", "--strategies", "pair",
                                 "--by-mechanic"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "pair: each mechanic" in result.output
    for label in ("welcome series", "experience", "Booked", "ROMI"):
        assert label in result.output
    plain = runner.invoke(app, ["run", str(path), "--reps", "1", "--strategies", "pair"],
                          env={"COLUMNS": "120"})
    assert plain.exit_code == 0 and "each mechanic" not in plain.output


def test_the_flag_is_documented():
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "--by-mechanic" in result.output and "same seeds" in result.output
