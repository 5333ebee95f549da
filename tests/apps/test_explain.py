"""`snowball explain`: the day's order, priorities and effects, read from the code."""

import json

from typer.testing import CliRunner

from apps.cli import app
from models.effects import LEVERS
from models.mechanics import build
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile
from sim.loop import PHASES

runner = CliRunner()


def test_explain_json_is_the_order_the_engine_follows():
    result = runner.invoke(app, ["explain", "baby_food", "--strategy", "everything",
                                 "--json"])
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.output)
    sc = ScenarioFile("baby_food").resolve("everything")
    sim = make_sim(sc, 0)
    assert [p["phase"] for p in plan["day"]] == ["calendar", *PHASES]
    assert [(p["phase"], [m["name"] for m in p["modules"]]) for p in plan["day"][1:]] == \
        sim.day_order()
    mechanics = build(sc.mechanics)
    assert [m["name"] for m in plan["mechanics"]] == [m.name for m in mechanics]
    welcome = next(m for m in plan["mechanics"] if m["name"] == "welcome_series")
    assert welcome["priority"] == sc.mechanics.welcome_series.priority
    assert welcome["effects"][0]["lever"] == "buy_today"
    assert welcome["effects"][0]["value"] == 1.0 + sc.mechanics.welcome_series.uplift
    discount = next(m for m in plan["mechanics"] if m["name"] == "loyalty_discount")
    assert {e["lever"] for e in discount["effects"]} == {"price", "churn_hazard"}
    assert all(e["rule"] == LEVERS[e["lever"]].rule for m in plan["mechanics"]
               for e in m["effects"])


def test_explain_prints_every_strategy_with_the_days_order_and_priorities():
    result = runner.invoke(app, ["explain", "baby_food"])
    assert result.exit_code == 0, result.output
    text = result.output
    for name in ScenarioFile("baby_food").strategy_names:
        assert f"strategy {name}" in text
    positions = [text.index(f"{k}. {phase}") for k, phase in
                 enumerate(["calendar", *PHASES], 1)]
    assert positions == sorted(positions)
    assert "welcome_series: phase act, priority 30, channel email" in text
    assert "buy_today x 2, on a response" in text


def test_explain_an_unknown_strategy_is_one_clear_message():
    result = runner.invoke(app, ["explain", "baby_food", "--strategy", "nope"])
    assert result.exit_code == 2
    assert "unknown strategy 'nope'" in result.output


def explained(preset: str, strategy: str) -> dict:
    result = runner.invoke(app, ["explain", preset, "--strategy", strategy, "--json"])
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.output)
    return {m["name"]: {e["lever"]: e["value"] for e in m["effects"]}
            for m in plan["mechanics"]}


def test_explain_lists_what_tiers_referrals_and_reviews_move():
    points = ScenarioFile("coffee_shop").resolve("points_club").mechanics.loyalty_points
    tiers = explained("coffee_shop", "points_club")["loyalty_points"]
    assert set(tiers) == {"rel_buy", "rel_churn"}      # one value per lever kept: the top
    assert tiers["rel_buy"] == 1.0 + points.tiers[-1].frequency_lift
    assert tiers["rel_churn"] == points.tiers[-1].churn_multiplier
    sc = ScenarioFile("auto_dealer").resolve("referral_and_reviews").mechanics
    effects = explained("auto_dealer", "referral_and_reviews")
    assert effects["referral"] == {"arrivals": sc.referral.probability_per_purchase,
                                   "arrival_rate": sc.referral.friend_rate_multiplier,
                                   "arrival_dropout": sc.referral.friend_dropout_multiplier}
    top = sc.reviews.conversion_lift_max
    assert effects["reviews"]["lead_buy"] == 1.0 + top
    assert effects["reviews"]["inflow_lift"] == top
    text = runner.invoke(app, ["explain", "auto_dealer", "--strategy",
                               "referral_and_reviews"]).output
    assert (f"arrival_rate x {sc.referral.friend_rate_multiplier:g}, referred friends"
            in text)
