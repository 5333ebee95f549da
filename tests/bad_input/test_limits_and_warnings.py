"""The loader's limits hold for YAML given as text (an upload) as for a file, aliases
cost nothing once limited, and settings that cannot act in part are warned about on
stderr while the run goes on."""

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app
from apps.json_doc import dumps
from scenarios.errors import InputError
from scenarios.loader import ScenarioFile
from scenarios.yaml_source import MAX_BYTES

HERE = Path(__file__).resolve().parent
TINY = (HERE / "good" / "tiny.yaml").read_text()
CORPUS = HERE / "scenarios"
runner = CliRunner()


def test_text_above_the_size_cap_is_refused_as_a_file_is():
    padded = TINY + "#" * MAX_BYTES + "\n"           # a valid scenario, only too long
    with pytest.raises(InputError, match=r"upload\.yaml: the scenario is [\d,]+ bytes; at "
                                         r"most 256 KiB"):
        ScenarioFile.from_text(padded, "upload.yaml")
    assert ScenarioFile.from_text(TINY, "upload.yaml").scenario.name == "tiny"


@pytest.mark.parametrize("name", ["alias_bomb", "alias_bomb_in_overrides",
                                  "nesting_too_deep", "include_tag"])
def test_text_goes_through_the_same_limits(name):
    text = (CORPUS / f"{name}.yaml").read_text()
    expected = text.split("\n", 1)[0].split("|")[-1].strip()
    with pytest.raises(InputError, match="upload.yaml") as e:
        ScenarioFile.from_text(text, "upload.yaml")
    assert expected in e.value.message


def test_an_override_of_an_aliased_section_changes_only_that_place():
    """An alias is a copy: overriding one place leaves the other as written."""
    text = TINY.replace("mechanics:\n", "channels:\n  email: &channel {cost_per_contact: "
                        "0.5, open_rate: 0.3}\n  sms: *channel\nmechanics:\n")
    f = ScenarioFile.from_text(text, "aliases.yaml")
    f.adjust(overrides={"channels.email.cost_per_contact": 2.0})
    channels = f.resolve("less_churn").channels
    assert (channels["email"].cost_per_contact, channels["sms"].cost_per_contact) == (2.0, 0.5)
    assert channels["sms"].open_rate == 0.3


def test_nothing_non_finite_reaches_json():
    doc = {"a": math.nan, "b": [1.0, -math.inf, {"c": math.inf}], "d": "text", "e": 2}
    assert json.loads(dumps(doc)) == {"a": None, "b": [1.0, None, {"c": None}], "d": "text",
                                      "e": 2}


def _run(text: str, tmp_path, *flags: str):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return runner.invoke(app, ["run", str(path), "--customers", "1000", "--reps", "1",
                               "--json", *flags])


def test_a_campaign_starting_after_the_horizon_is_warned_about(tmp_path):
    text = TINY.replace("    response_rate: 0.1\n",
                        "    response_rate: 0.1\n    start_day: 60\n")
    result = _run(text, tmp_path, "--days", "30")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "mechanics.email_campaign.start_day" in result.stderr
    assert "60 is not before the end of the run (day 29)" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["strategies"]["baseline"]["crm_cost"]["mean"] == 0.0    # it never acted
    assert "warning" not in _run(text, tmp_path, "--days", "90").stderr


def test_win_back_days_below_the_lapse_threshold_are_warned_about(tmp_path):
    text = TINY.replace("mechanics:\n", "mechanics:\n  win_back: {enabled: true, "
                        "days_since_last_purchase: [30, 120]}\n")
    result = _run(text, tmp_path, "--days", "30")
    assert result.exit_code == 0, result.output
    assert "mechanics.win_back.days_since_last_purchase: [30] of [30, 120] never fire" \
        in result.stderr
    assert "91 or more" in result.stderr
