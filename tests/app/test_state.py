"""Bad input gets the CLI's message beside the input, and changes nothing else."""

import panel as pn
import pytest

from apps.app.controls import sidebar
from apps.app.state import UPLOAD, AppState
from scenarios.yaml_source import MAX_BYTES
from scenarios.errors import InputError
from scenarios.loader import ScenarioFile, read_text

from app_fixtures import drop, remove

BAD = b"name: broken\nbase:\n  customers: -5\nbehaviour: {}\neconomics: {gross_margin: 2}\n"


def _cli_message(text: bytes, label: str) -> str:
    with pytest.raises(InputError) as e:
        ScenarioFile.from_text(text.decode(), label)
    return e.value.message


def test_a_bad_upload_shows_the_loaders_message_and_keeps_the_scenario():
    state = AppState()
    before = state.request()
    assert not state.upload(BAD, "bad.yaml")
    assert state.upload_error == _cli_message(BAD, "bad.yaml")
    assert "bad.yaml:3" in state.upload_error and "customers" in state.upload_error
    assert state.preset == "baby_food" and state.request() == before


def test_upload_size_is_capped_and_binary_refused():
    state = AppState()
    assert not state.upload(b"#" * (MAX_BYTES + 1), "big.yaml")
    assert "at most 256 KiB is allowed" in state.upload_error
    assert not state.upload(b"\xff\xfe name", "bin.yaml")
    assert "not UTF-8" in state.upload_error


def test_a_good_upload_becomes_the_scenario():
    state = AppState()
    text, _ = read_text("shoe_polish")
    assert state.upload(text.encode(), "mine.yaml")
    assert state.preset == UPLOAD and state.upload_error == ""
    assert "email_programme" in state.param.strategies.objects
    assert state.request().label == "mine.yaml"


def test_the_dropper_takes_text_or_bytes_and_removing_the_file_keeps_the_scenario():
    state = AppState()
    dropper = next(w for w in sidebar(state) if isinstance(w, pn.widgets.FileDropper))
    assert dropper.max_file_size == str(MAX_BYTES) and not dropper.multiple
    text, _ = read_text("shoe_polish")
    drop(dropper, "mine.yaml", text.encode(), "text/yaml")
    assert isinstance(dropper.value["mine.yaml"], str)
    assert state.preset == UPLOAD and state.request().label == "mine.yaml"
    drop(dropper, "bad.yml", BAD, "application/x-yaml")
    assert isinstance(dropper.value["bad.yml"], bytes)
    assert state.upload_error == _cli_message(BAD, "bad.yml")
    remove(dropper, "bad.yml")
    remove(dropper, "mine.yaml")
    assert state.request().label == "mine.yaml" and state.upload_error
    drop(dropper, "big.yaml", b"#" * (MAX_BYTES + 1), "text/yaml", chunk=2**16)
    assert "at most 256 KiB is allowed" in state.upload_error


def test_an_impossible_value_is_the_clis_message():
    state = AppState()
    state.overrides = {"economics.gross_margin": 1.5}
    assert state.request() is None
    f = ScenarioFile("baby_food")
    with pytest.raises(InputError) as e:
        f.adjust(overrides={"economics.gross_margin": 1.5})
    assert state.parameter_error == e.value.message


def test_an_unknown_override_path_in_a_strategy_is_named():
    state = AppState()
    state.custom_strategy = "mechanics.no_such_thing.enabled: true"
    assert state.request() is None
    assert "strategy 'custom'" in state.strategy_error
    assert "unknown key 'no_such_thing'" in state.strategy_error
    state.custom_strategy = "levers.premature_churn_multiplier: 0.8"
    request = state.request()
    assert state.strategy_error == "" and request.strategies[-1] == "custom"
    assert request.prepare().resolved["custom"].levers.premature_churn_multiplier == 0.8


def _bomb(levels: int) -> str:
    """shoe_polish with a strategy whose override holds 9**levels values by aliases."""
    text, _ = read_text("shoe_polish")
    lines = ["x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"] + [
        f"x{i + 1}: &a{i + 1} [" + ", ".join([f"*a{i}"] * 9) + "]" for i in range(levels)]
    return text.replace("strategies:\n  baseline:", "strategies:\n  bomb:\n    overrides:\n"
                        "      levers.spend_multiplier: 1\n      " + "\n      ".join(lines)
                        + "\n  baseline:")


def test_alias_expansion_and_nesting_are_the_loaders_limits():
    state = AppState()
    assert not state.upload(_bomb(8).encode(), "bomb.yaml")   # 387 million values
    with pytest.raises(InputError) as e:
        ScenarioFile.from_text(_bomb(8), "bomb.yaml")
    assert state.upload_error == e.value.message and "bomb.yaml" in e.value.message
    deep = "a: " + "[" * 5000 + "]" * 5000
    assert not state.upload(deep.encode(), "deep.yaml")
    assert "deeper than" in state.upload_error
    assert state.preset == "baby_food"
