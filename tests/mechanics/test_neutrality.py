"""What a mechanic must not do: a mechanic switched off is not there at all; a mechanic
with zero effect and zero cost changes nothing customers do; a mechanic never changes
another mechanic's draws; and a response without an uplift changes no purchase where
exposure means nothing (no impulse demand).

All comparisons are bit for bit on the same seed (common random numbers), over a base
with every route a mechanic could touch (`mechanics_common.RICH`). Every registered
mechanic is covered: its "zero" parameters are derived from the field names the
mechanics share (response_rate, uplift, ... -> 0; churn_multiplier -> 1).
"""

import numpy as np
import pytest

from mechanics_common import assert_same_funnel, rich, run_summary
from models.mechanics import discover

MECHANICS = sorted(discover())
ZERO = {"response_rate": 0.0, "uplift": 0.0, "offer_cost": 0.0, "budget_per_year": 0.0,
        "discount": 0.0, "churn_multiplier": 1.0, "probability_per_purchase": 0.0,
        "reward_per_conversion": 0.0, "conversion_multiplier": 1.0, "price_share": 1.0,
        "cost_per_year": 0.0, "response": 0.0, "extra_items": 0.0, "upsell_share": 0.0,
        "cost_per_promo": 0.0, "conversion_lift_max": 0.0, "earn_rate": 0.0, "tiers": []}
# A strong setting of each field, for the "switched off" test: it must not matter.
STRONG = {"response_rate": 0.5, "uplift": 4.0, "offer_cost": 100.0, "budget_per_year": 1e6,
          "discount": 0.2, "churn_multiplier": 0.3, "probability_per_purchase": 0.3,
          "reward_per_conversion": 50.0, "conversion_multiplier": 3.0, "price_share": 0.5,
          "cost_per_year": 1e5, "response": 0.05, "extra_items": 1.0, "upsell_share": 0.1,
          "cost_per_promo": 1e4, "conversion_lift_max": 0.5, "earn_rate": 5.0}
FREE_EMAIL = {"optin_share": 0.8, "deliverability": 0.95, "open_rate": 0.5,
              "cost_per_contact": 0.0, "unsubscribe_rate": 0.01}


def params(name, values):
    fields = discover()[name].Params.model_fields
    out = {k: v for k, v in values.items() if k in fields}
    assert out, f"mechanic {name!r} has none of the fields {sorted(values)}: add its " \
                "zero-effect setting to tests/mechanics/test_neutrality.py"
    return out


@pytest.mark.parametrize("name", MECHANICS)
def test_a_mechanic_switched_off_is_bit_identical_to_the_baseline(name):
    """enabled: false with strong parameters gives exactly the baseline: every daily
    series (funnel, contacts, costs) and every summary metric."""
    _, base, b = run_summary(rich(), 7)
    _, r, s = run_summary(rich(mechanics={name: {"enabled": False,
                                                 **params(name, STRONG)}}), 7)
    assert sorted(r.names) == sorted(base.names)
    for series in base.names:
        assert np.array_equal(r[series], base[series]), series
    assert s == b


@pytest.mark.parametrize("name", MECHANICS)
def test_a_mechanic_with_zero_effect_and_cost_changes_nothing(name):
    """Enabled with zero response, uplift, incentive, budget and discount (churn
    multiplier 1), through a free channel: revenue, purchases, churn and every stage
    stock are bit-identical to the same scenario without it, and it costs nothing. It
    may still contact people (and tire them, and lose opt-ins): that changes no purchase."""
    sc0 = rich(channels={"email": FREE_EMAIL})
    sc1 = rich(channels={"email": FREE_EMAIL},
               mechanics={name: {"enabled": True, **params(name, ZERO)}})
    _, base, b = run_summary(sc0, 8)
    _, r, s = run_summary(sc1, 8)
    assert_same_funnel(r, base)
    assert np.all(r["new_crm_cost"] == 0)
    for metric in ("revenue", "gross_margin", "purchases", "contribution", "repeat_rate",
                   "churned_premature", "churned_natural", "customer_equity"):
        assert s[metric] == b[metric], metric
    if "new_contacts_" + name in r:
        assert r["cum_contacts_" + name][-1] > 0      # it did send: a real no-op test


def test_adding_win_back_does_not_change_the_welcome_series_draws():
    """Welcome alone vs welcome + win-back (win-back with response 0, sharing the channel,
    its fatigue and unsubscribes): the welcome series contacts and responses are the
    same every day, and so is everything customers do. (Each mechanic draws from its own
    stream, and a lapsed customer never becomes 'new' again, so win-back's fatigue and
    unsubscribes never reach a welcome target.)"""
    welcome = {"enabled": True, "response_rate": 0.3, "uplift": 2.0}
    _, alone, _ = run_summary(rich(mechanics={"welcome_series": welcome}), 9)
    _, both, _ = run_summary(rich(mechanics={
        "welcome_series": welcome,
        "win_back": {"enabled": True, "response_rate": 0.0, "uplift": 3.0,
                     "days_since_last_purchase": [61, 90, 151, 200]}}), 9)
    assert both["cum_contacts_win_back"][-1] > 1000
    assert both["cum_unsubscribes"][-1] > alone["cum_unsubscribes"][-1]
    assert alone["cum_responses_welcome_series"][-1] > 100
    for series in ("new_contacts_welcome_series", "new_responses_welcome_series"):
        assert np.array_equal(both[series], alone[series]), series
    assert_same_funnel(both, alone)


def test_a_response_without_uplift_changes_no_purchase_without_impulse_demand():
    """A campaign every 3 days with half the readers responding but no uplift: the
    responders are forced into the funnel's exact pass with the same uniform, so their
    day comes out exactly as it would have (exposure matters only to impulse demand,
    absent here)."""
    demand = {"poisson": {"share": 0.4},
              "recurrent": {"share": 0.3, "regularity": 3.0, "share_of_wallet": 0.6},
              "complementary": {"share": 0.3, "boost": 2.0, "window_days": 20}}
    behaviour = {**rich().behaviour.model_dump(exclude_none=True), "demand": demand}
    _, base, _ = run_summary(rich(behaviour=behaviour), 10)
    _, r, _ = run_summary(rich(behaviour=behaviour, mechanics={"email_campaign": {
        "enabled": True, "every_days": 3, "response_rate": 0.5, "uplift": 0.0}}), 10)
    assert r["cum_responses_email_campaign"][-1] > 10000
    assert_same_funnel(r, base)
