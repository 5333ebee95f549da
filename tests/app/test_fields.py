"""The app's inputs come from the scenario schema: same names, limits and help."""

from apps.app.fields import groups
from scenarios.loader import ScenarioFile
from scenarios.schema import Economics


def _all(scenario):
    return {f.path: f for _, specs in groups(scenario) for f in specs}


def test_limits_and_help_are_the_schemas():
    fields = _all(ScenarioFile("baby_food").scenario)
    margin = fields["economics.gross_margin"]
    info = Economics.model_fields["gross_margin"]
    assert (margin.low, margin.high, margin.help) == (0, 1, info.description)
    assert margin.value == 0.22                      # the preset's value
    assert fields["behaviour.items_per_order"].high == 100
    assert fields["funnel.loyal_after_purchases"].kind == "int"
    assert fields["funnel.loyal_after_purchases"].low == 2
    assert fields["mechanics.replenishment.enabled"].kind == "bool"


def test_groups_follow_the_scenario():
    baby = _all(ScenarioFile("baby_food").scenario)
    assert "behaviour.demand.recurrent.share_of_wallet" in baby
    assert not any(p.startswith("behaviour.demand.poisson") for p in baby)   # not used there
    titles = [t for t, _ in groups(ScenarioFile("baby_food").scenario)]
    assert titles[:4] == ["Base and acquisition", "Behaviour, stages and demand",
                          "Assortment and basket", "Channels and contact policy"]
    assert "Mechanic: replenishment" in titles
    assert "base.customers" not in baby              # a run setting, not a parameter
