"""A run without --strategies shows the scenario's headline strategies (a first look in
a fraction of the time); `--strategies all` runs every one; a scenario that marks none
runs every one by default."""

import json

from typer.testing import CliRunner

from apps.cli import app
from apps.job import Job
from scenarios.loader import ScenarioFile


def test_the_default_is_the_headline_and_all_is_everything():
    names = ScenarioFile("baby_food").strategy_names
    marked = [n for n, s in ScenarioFile("baby_food").scenario.strategies.items()
              if s.headline]
    assert 2 <= len(marked) < len(names) - 1
    default = Job.prepare("baby_food", 500, 5, 1, 1, None)
    assert default.strategies == ["baseline", *marked]
    assert Job.prepare("baby_food", 500, 5, 1, 1, "all").strategies == names
    assert Job.prepare("baby_food", 500, 5, 1, 1, "experience").strategies == \
        ["baseline", "experience"]


def test_a_scenario_without_headline_runs_every_strategy():
    f = ScenarioFile("auto_dealer")
    assert not any(s.headline for s in f.scenario.strategies.values())
    assert Job.prepare("auto_dealer", 500, 5, 1, 1, None).strategies == f.strategy_names


def test_the_cli_default_runs_the_headline():
    result = CliRunner().invoke(app, ["run", "baby_food", "--customers", "300", "--days",
                                      "5", "--reps", "1", "--json"])
    assert result.exit_code == 0, result.output
    marked = {n for n, s in ScenarioFile("baby_food").scenario.strategies.items()
              if s.headline}
    assert set(json.loads(result.stdout)["strategies"]) == {"baseline", *marked}
