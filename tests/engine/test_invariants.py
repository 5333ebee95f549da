"""Invariants that hold for any scenario: customers are conserved, money adds up,
cumulative series never fall, incremental counts agree with the final state."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import run, scenario
from models.stages import ALIVE, STAGES

STAGE_STOCKS = ["n_" + s for s in STAGES]


def check_invariants(sim, results, summary):
    c = sim.customers
    n = c.n
    stocks = np.vstack([results[s] for s in STAGE_STOCKS])
    np.testing.assert_array_equal(stocks.sum(axis=0), results["n_customers"])
    assert (results["n_alive"] <= results["n_customers"]).all()
    assert (results["n_lapsed_alive"] <= results["n_lapsed"]).all()
    # The incremental counts equal a full recount of the final state.
    final = np.bincount(c.stage[:n], minlength=len(STAGES))
    np.testing.assert_array_equal(stocks[:, -1], final)
    assert results["n_alive"][-1] == ((c.flags[:n] & ALIVE) != 0).sum()
    # Money adds up.
    revenue = results["cum_revenue"][-1]
    assert np.isclose(revenue, results["cum_revenue_first"][-1]
                      + results["cum_revenue_repeat"][-1], rtol=1e-12)
    assert np.isclose(revenue, c.revenue[:n].astype(np.float64).sum(), rtol=1e-4)
    assert np.isclose(revenue, results.matrices["cohort_revenue"].sum(), rtol=1e-12)
    assert np.isclose(results["cum_gross_margin"][-1],
                      results.matrices["cohort_gross_margin"].sum(), rtol=1e-12)
    assert np.isclose(summary["contribution"], summary["gross_margin"] - summary["crm_cost"]
                      - summary["acquisition_cost"], rtol=1e-12)
    assert results["cum_purchases"][-1] == (results["cum_first_purchases"][-1]
                                            + results["cum_repeat_purchases"][-1])
    assert np.isclose(results.matrices["cohort_size"].sum(), n)
    # Cumulative series never fall; flows are never negative.
    for name in results.names:
        if name.startswith("cum_"):
            assert (np.diff(results[name]) >= 0).all(), name
        if name.startswith("new_"):
            assert (results[name] >= 0).all(), name


demand = st.sampled_from([
    {"poisson": {"share": 1.0}},
    {"recurrent": {"share": 1.0, "regularity": 3.0, "share_of_wallet": 0.7}},
    {"complementary": {"share": 1.0, "boost": 3.0, "window_days": 20}},
    {"situational": {"share": 1.0, "monthly_intensity": [1, 1, 2, 1, 1, 0.5, 0.5, 1, 1, 1, 2, 3],
                     "occasions": [{"day_of_year": 20, "days": 5, "lift": 4}]}},
    {"impulse": {"share": 1.0, "organic_exposure": 0.2}},
    {"contractual": {"share": 1.0, "period_days": 30}},
    {"poisson": {"share": 0.3}, "recurrent": {"share": 0.3}, "impulse": {"share": 0.2},
     "contractual": {"share": 0.2}},
])
history = st.sampled_from([
    {"potential": 1.0},
    {"potential": 0.2, "new": 0.2, "repeat": 0.2, "loyal": 0.2, "lapsed": 0.1, "churned": 0.1},
])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demand=demand, history=history,
       rate=st.floats(0.001, 0.2), hazard=st.floats(0.0, 0.02),
       dropout=st.floats(0.0, 0.5), inflow=st.floats(0.0, 40.0),
       arrive_as=st.sampled_from(["potential", "new"]),
       orders=st.sampled_from(["poisson", "single"]),
       churned_after=st.sampled_from([None, 120]),
       seed=st.integers(0, 2**31))
def test_invariants_hold_for_any_scenario(demand, history, rate, hazard, dropout, inflow,
                                          arrive_as, orders, churned_after, seed):
    stages = {s: {"churn_hazard": hazard} for s in STAGES}
    if churned_after is None and "churned" in history:   # no churned stage to start in
        history = {**history, "lapsed": history["lapsed"] + history["churned"]}
        del history["churned"]
    sc = scenario(horizon_days=150,
                  base={"customers": 1500, "history": history, "history_days": 400},
                  acquisition={"inflow_per_day": inflow, "arrive_as": arrive_as, "cac": 50.0},
                  behaviour={"purchase_rate": {"gamma": {"shape": 1.5, "rate": 1.5 / rate}},
                             "dropout": dropout, "spend": 80.0, "orders_per_day": orders,
                             "demand": demand, "stages": stages,
                             "need_lifetime_days": {"uniform": [50, 400]}},
                  funnel={"lapsed_after_days": 60, "churned_after_days": churned_after})
    check_invariants(*run(sc, seed))


def test_invariants_hold_for_the_benchmark_model():
    from scenarios.build import make_sim
    from scenarios.loader import ScenarioFile
    from models.metrics import summarize
    f = ScenarioFile("bench_funnel")
    f.adjust(customers=30_000, days=120)
    sim = make_sim(f.resolve("baseline"), 4)
    results = sim.run()
    check_invariants(sim, results, summarize(sim, 0.1))


def check_offer_and_cost_invariants(results):
    """Offers, baskets and the CRM bill: parts never exceed their wholes, and every CRM
    cost is some mechanic's."""
    total = {name: results["cum_" + name][-1] for name in
             ("offer_buyers", "offer_buyers_anyway", "offer_discounts",
              "offer_discounts_anyway", "discounts", "items", "purchases", "addon_revenue",
              "revenue", "crm_cost")}
    assert total["offer_buyers_anyway"] <= total["offer_buyers"]
    assert total["offer_discounts_anyway"] <= total["offer_discounts"] * (1 + 1e-12)
    assert total["offer_discounts"] <= total["discounts"] * (1 + 1e-12)
    assert total["items"] >= total["purchases"]
    assert total["addon_revenue"] <= total["revenue"] * (1 + 1e-12)
    by_mechanic = sum(results[name] for name in results.names
                      if name.startswith("new_crm_cost_") and name[13:] not in
                      ("email", "sms", "push", "messenger", "call_centre"))
    np.testing.assert_allclose(by_mechanic, results["new_crm_cost"], rtol=1e-9, atol=1e-9)


MECHANICS = {
    "blanket_promo": {"enabled": True, "discount": 0.2, "response": 0.02, "start_day": 10,
                      "every_days": 40, "duration_days": 10, "cost_per_promo": 50.0},
    "differentiated_offer": {"enabled": True, "discount": 0.15, "response": 0.05,
                             "start_day": 5, "every_days": 30, "reach_share": 0.5,
                             "precision": 0.5, "holdout_share": 0.1},
    "cross_sell": {"enabled": True, "extra_items": 0.4, "item_price": 15.0,
                   "upsell_share": 0.05, "cost_per_year": 500.0},
    "abandoned_cart": {"enabled": True, "response_rate": 0.3, "uplift": 2.0},
    "reviews": {"enabled": True, "response_rate": 0.2, "reviews_for_half_lift": 20.0},
    "loyalty_points": {"enabled": True, "earn_rate": 1.0, "point_value": 0.05,
                       "redeem_threshold": 200, "expiry_days": 60, "posting_every_days": 5,
                       "tiers": [{"name": "gold", "min_spend": 300, "frequency_lift": 0.2,
                                  "churn_multiplier": 0.5}]},
    "win_back": {"enabled": True, "days_since_last_purchase": [61, 90]},
}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demand=demand, on=st.sets(st.sampled_from(sorted(MECHANICS)), min_size=1),
       items=st.floats(1.0, 4.0), seed=st.integers(0, 2**31))
def test_invariants_hold_with_mechanics_on(demand, on, items, seed):
    """Any mix of the offer, basket, review, points and trigger mechanics on any demand:
    the engine's invariants hold, and so do those of offers, baskets and costs."""
    sc = scenario(horizon_days=150,
                  base={"customers": 1500, "history": {"potential": 0.2, "new": 0.3,
                                                       "repeat": 0.3, "lapsed": 0.2},
                        "history_days": 300},
                  acquisition={"inflow_per_day": 5.0, "arrive_as": "potential", "cac": 50.0},
                  behaviour={"purchase_rate": {"gamma": {"shape": 1.5, "rate": 50.0}},
                             "dropout": 0.05, "spend": 80.0, "items_per_order": items,
                             "demand": demand},
                  funnel={"lapsed_after_days": 60},
                  channels={"email": {"optin_share": 0.8, "cost_per_contact": 0.1,
                                      "unsubscribe_rate": 0.01}},
                  mechanics={name: MECHANICS[name] for name in on})
    sim, results, summary = run(sc, seed)
    check_invariants(sim, results, summary)
    check_offer_and_cost_invariants(results)
