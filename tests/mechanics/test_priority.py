"""Priority: under the weekly contact cap the mechanic with the lower priority number
sends first and gets the customer; ties go by name, never by the order of the file."""

from helpers import scenario
from models.mechanics import build
from scenarios.build import make_sim

# Every customer is new on day 0 and both mechanics want all of them every day; the cap
# (one contact a week) lets only the first sender through on day 0.
WELCOME_DAYS = list(range(0, 200))


def capped(**priorities):
    mechanics = {"email_campaign": {"enabled": True, "every_days": 1, "stages": ["new"]},
                 "welcome_series": {"enabled": True,
                                    "days_after_first_purchase": WELCOME_DAYS}}
    for name, priority in priorities.items():
        mechanics[name]["priority"] = priority
    return scenario(horizon_days=3, base={"customers": 2000, "history": {"new": 1.0},
                                          "history_days": 100},
                    contact_policy={"max_contacts_per_week": 1.0}, mechanics=mechanics)


def day0_contacts(sc) -> dict[str, float]:
    r = make_sim(sc, 1).run()
    return {m: float(r["new_contacts_" + m][0]) for m in ("email_campaign", "welcome_series")}


def test_default_priority_sends_the_welcome_before_the_mass_campaign():
    sc = capped()
    assert [m.name for m in build(sc.mechanics)] == ["welcome_series", "email_campaign"]
    got = day0_contacts(sc)
    assert got["welcome_series"] > 1000 and got["email_campaign"] == 0


def test_a_lower_priority_number_takes_the_contact():
    got = day0_contacts(capped(email_campaign=5))
    assert got["email_campaign"] > 1000 and got["welcome_series"] == 0


def test_equal_priorities_send_in_the_order_of_the_names():
    sc = capped(email_campaign=30)      # the welcome series' default
    assert [m.name for m in build(sc.mechanics)] == ["email_campaign", "welcome_series"]
    got = day0_contacts(sc)
    assert got["email_campaign"] > 1000 and got["welcome_series"] == 0


def test_mechanics_that_send_nothing_run_before_the_messages():
    sc = scenario(mechanics={"email_campaign": {"enabled": True},
                             "loyalty_points": {"enabled": True},
                             "abandoned_cart": {"enabled": True}},
                  behaviour={"purchase_rate": 0.02, "spend": 100.0,
                             "demand": {"impulse": {"share": 1.0}}})
    names = [m.name for m in build(sc.mechanics)]
    assert names == ["loyalty_points", "abandoned_cart", "email_campaign"]
