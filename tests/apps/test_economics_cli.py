"""`snowball economics` and the economics document: the contract, levers, bad input."""

import json

import pytest
from typer.testing import CliRunner

from apps.cli import app
from apps.economics import economics_document
from scenarios.loader import ScenarioFile, preset_names

runner = CliRunner()
LEVERS = {"retention", "frequency", "check", "margin", "retention_5"}


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_gets_the_document_of_the_contract(name):
    result = runner.invoke(app, ["economics", name, "--json", "--years", "3"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["scenario"], doc["strategy"]) == (name, "baseline")
    assert [y["year"] for y in doc["years"]] == [1, 2, 3]
    for y in doc["years"]:
        assert y["revenue"] > 0 and 0 < y["gross_margin"] < y["revenue"]
        assert y["active_customers"] > 0
    rows = {r["lever"]: r for r in doc["leverage"]}
    assert set(rows) == LEVERS
    for r in rows.values():
        assert {"lever", "step", "revenue_change", "revenue_change_pct"} <= set(r)
    # the check lever is linear in the model: exactly +1% of revenue and of margin
    assert rows["check"]["revenue_change_pct"] == pytest.approx(1.0, abs=1e-9)
    assert rows["check"]["gross_margin_change_pct"] == pytest.approx(1.0, abs=1e-9)
    # a point of margin moves margin, not revenue; retention and frequency raise revenue
    assert rows["margin"]["revenue_change"] == pytest.approx(0.0, abs=1e-12 * doc["revenue_total"])
    assert rows["margin"]["gross_margin_change"] > 0
    assert 0 < rows["retention"]["revenue_change"] < rows["retention_5"]["revenue_change"]
    assert rows["retention"]["override"]["levers.premature_churn_multiplier"] < 1


def test_customers_scale_the_base_and_the_inflow_as_run_does():
    """The model is linear in the base and the inflow, both scaled by --customers."""
    small, big = ScenarioFile("baby_food"), ScenarioFile("baby_food")
    small.adjust(customers=10_000)
    big.adjust(customers=40_000)
    a, b = economics_document(small), economics_document(big)
    assert a["customers"] == 10_000 and b["customers"] == 40_000
    for ya, yb in zip(a["years"], b["years"]):
        assert yb["revenue"] == pytest.approx(4 * ya["revenue"], rel=1e-6)
        assert yb["active_customers"] == pytest.approx(4 * ya["active_customers"], rel=1e-6)


def test_the_horizon_is_the_scenarios_own_span_within_the_years():
    """`horizon` covers the days the simulator would run: two whole years of a 3-year
    projection are the sum of its first two years; a year and a half lies between."""
    two, half = ScenarioFile("baby_food"), ScenarioFile("baby_food")
    two.adjust(customers=10_000, days=730)
    half.adjust(customers=10_000, days=547)
    a, b = economics_document(two, years=3), economics_document(half, years=3)
    assert a["horizon"]["days"] == 730 and b["horizon"]["days"] == 547
    for key in ("revenue", "gross_margin"):
        assert a["horizon"][key] == pytest.approx(
            sum(y[key] for y in a["years"][:2]), rel=1e-9)
        assert a["years"][0][key] < b["horizon"][key] < a["horizon"][key]
    assert a["horizon"]["active_customers_end"] == pytest.approx(
        a["years"][1]["active_customers"], rel=1e-9)


def test_strategies_and_what_the_model_leaves_to_the_simulator():
    f = ScenarioFile("shoe_polish")
    base = economics_document(f)
    plus = economics_document(f, "retention_plus")
    assert plus["years"][-1]["revenue"] > base["years"][-1]["revenue"]
    assert base["simulator_only"] == [] and base["translated"] == {}
    wb = economics_document(f, "welcome_winback")
    assert set(wb["simulator_only"]) == {"welcome_series", "win_back"}
    everything = economics_document(f, "everything")
    assert everything["translated"] == {"email_campaign": "average effect",
                                        "loyalty_discount": "exact", "experience": "exact"}


@pytest.mark.parametrize("args, words", [
    (["economics", "shoe_polish", "--strategy", "nope"], ["unknown strategy 'nope'"]),
    (["economics", "shoe_polish", "--years", "0"], ["--years", "got 0"]),
    (["economics", "shoe_polish", "--customers", "0"], ["--customers", "got 0"]),
    (["economics", "missing.yaml"], ["missing.yaml", "no such scenario file"]),
])
def test_bad_input_is_one_message_and_exit_2(args, words):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output


def test_run_reports_the_model_beside_the_simulator():
    result = runner.invoke(app, ["run", "shoe_polish", "--customers", "600", "--days", "60",
                                 "--reps", "1", "--strategies", "retention_plus,email_programme",
                                 "--json"])
    assert result.exit_code == 0, result.output
    # stdout: on a cold kernel cache, stderr also says that the simulator compiles
    strategies = json.loads(result.stdout)["strategies"]
    assert "economic_model" not in strategies["email_programme"]     # a mechanic strategy
    for name in ("baseline", "retention_plus"):
        em = strategies[name]["economic_model"]
        for metric in ("revenue", "gross_margin", "active_customers_end"):
            row = em[metric]
            assert row["simulator"] == strategies[name][metric]["mean"]
            assert row["ratio"] == pytest.approx(row["model"] / row["simulator"])
