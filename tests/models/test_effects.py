"""Declared effects: one composition rule per lever, applied in the order of the
mechanics' names, by the funnel alone."""

import numpy as np
import pytest

from helpers import scenario
from models import funnel_screen as fs
from models import layouts as lay
from models.effects import (ADD, EITHER, LEVERS, MULTIPLY, SINGLE, Effect, apply_static,
                            compose)
from models.stages import HAZARD, N_STAGE_COLS, PRICE, STAGES, XSELL
from models.funnel import Funnel
from models.mechanics import build
from scenarios.build import behaviour_model, make_sim

LOYAL = STAGES.index("loyal")


def test_each_rule_composes_as_written():
    assert compose(MULTIPLY, 2.0, [0.5, 0.8]) == 2.0 * 0.5 * 0.8
    assert compose(ADD, 0.0, [0.2, 0.3]) == 0.2 + 0.3
    assert compose(EITHER, 0.0, [0.1, 0.2]) == pytest.approx(1 - 0.9 * 0.8, abs=1e-15)
    assert compose(EITHER, 0.0, [0.1]) == 0.1        # from nothing: the value itself
    assert compose(SINGLE, 1.0, [0.7]) == 0.7


def tables():
    return np.ones((len(STAGES), N_STAGE_COLS)), np.zeros(lay.N_PAR)


def test_static_effects_compose_whatever_order_they_are_declared_in():
    declared = {"experience": [Effect("churn_hazard", 0.8, ("loyal",))],
                "loyalty_discount": [Effect("price", 0.95, ("loyal",)),
                                     Effect("churn_hazard", 0.5, ("loyal",))],
                "cross_sell": [Effect("cross_sell_items", 0.3), Effect("upsell_margin", 0.4)],
                "z_trigger": [Effect("cross_sell_items", 0.2, ("loyal",))]}
    a_tab, a_par = tables()
    apply_static(declared, a_tab, a_par)
    b_tab, b_par = tables()
    apply_static(dict(reversed(list(declared.items()))), b_tab, b_par)
    assert np.array_equal(a_tab, b_tab) and np.array_equal(a_par, b_par)
    assert a_tab[LOYAL, HAZARD] == 1.0 * 0.8 * 0.5
    assert a_tab[LOYAL, PRICE] == 0.95
    assert a_tab[LOYAL, XSELL] == 1.0 + 0.3 + 0.2
    assert a_par[lay.P_UPSELL_MARGIN] == 0.4


def test_a_lever_one_mechanic_owns_cannot_be_set_by_two():
    declared = {"a": [Effect("cart_intent", 2.0)], "b": [Effect("cart_intent", 3.0)]}
    with pytest.raises(ValueError, match="cart_intent"):
        apply_static(declared, *tables())


def test_moving_effects_are_left_to_the_run_and_unknown_levers_refused():
    tab, par = tables()
    apply_static({"promo": [Effect("promo_price", 0.8, moves=True)]}, tab, par)
    assert par[lay.P_PROMO_PRICE] == 0.0
    with pytest.raises(ValueError, match="unknown lever"):
        Effect("happiness", 2.0)
    assert all(lever.rule in (MULTIPLY, ADD, EITHER, SINGLE) for lever in LEVERS.values())


def test_the_funnel_composes_a_mechanics_effects_into_its_own_table_only():
    sc = scenario(behaviour={"purchase_rate": 0.02, "spend": 100.0,
                             "stages": {"loyal": {"churn_hazard": 0.01}}},
                  mechanics={"experience": {"enabled": True, "churn_multiplier": 0.6,
                                            "stages": ["loyal"]}})
    shared = behaviour_model(sc)
    funnel = Funnel(shared, {m.name: m.effects() for m in build(sc.mechanics)})
    assert funnel.behaviour.stage_tab[LOYAL, HAZARD] == 0.01 * 0.6
    assert shared.stage_tab[LOYAL, HAZARD] == 0.01
    sim = make_sim(sc, 1)
    sim.init()           # a mechanic's init moves nothing
    assert sim.module("funnel").behaviour.stage_tab[LOYAL, HAZARD] == 0.01 * 0.6


def test_a_mechanic_may_move_only_what_it_declared():
    sc = scenario(mechanics={"blanket_promo": {"enabled": True}})
    sim = make_sim(sc, 1)
    sim.init()
    funnel = sim.module("funnel")
    funnel.move(sim, "blanket_promo", {"promo_price": 0.7})
    assert funnel.par[lay.P_PROMO_PRICE] == 0.7
    with pytest.raises(ValueError, match="did not declare"):
        funnel.move(sim, "blanket_promo", {"offer_price": 0.5})
    with pytest.raises(ValueError, match="did not declare"):
        funnel.move(sim, "email_campaign", {"promo_price": 0.5})


def loyalty_sim():
    sc = scenario(mechanics={"loyalty_points": {"enabled": True},
                             "referral": {"enabled": True}})
    sim = make_sim(sc, 1)
    sim.init()
    sim.customers.add(0, 0, 4)
    return sim, sim.module("funnel"), sim.customers


def test_a_customers_own_factor_is_swapped_and_the_others_stay():
    sim, funnel, c = loyalty_sim()
    c.rel_buy[:4] = np.float32(1.5)          # another mechanic's factor already there
    c.p_hi[:4] = 3277                        # a bound of 0.1, in 2**-15
    idx = np.array([1, 3])
    funnel.move_each(sim, "loyalty_points", idx, {"rel_buy": (1.0, np.array([1.1, 1.2]))})
    assert c.rel_buy[1] == np.float32(1.5 * 1.1) and c.rel_buy[3] == np.float32(1.5 * 1.2)
    funnel.move_each(sim, "loyalty_points", idx[:1], {"rel_buy": (1.1, 1.2)})
    assert c.rel_buy[1] == np.float32(np.float64(np.float32(1.5 * 1.1)) / 1.1 * 1.2)
    assert c.rel_buy[0] == c.rel_buy[2] == np.float32(1.5)
    # the moved customers go to the exact pass: their cached bound no longer holds
    assert c.p_hi[:4].tolist() == [3277, fs.ALWAYS, 3277, fs.ALWAYS]


def test_a_traits_factor_keeps_its_ceiling_and_rebounds_a_range():
    sim, funnel, c = loyalty_sim()
    c.pdrop[:4], c.lam[:4] = np.float32(0.5), np.float32(0.01)
    funnel.move_each(sim, "referral", slice(0, 2), {"arrival_dropout": (1.0, np.float32(3.0)),
                                                    "arrival_rate": (1.0, np.float32(1.2))})
    assert c.pdrop[:4].tolist() == [1.0, 1.0, 0.5, 0.5]
    assert c.lam[:2].tolist() == [np.float32(0.01) * np.float32(1.2)] * 2
    assert c.lam[2] == np.float32(0.01)


def test_per_customer_and_daily_levers_each_move_only_their_own_way():
    sim, funnel, _ = loyalty_sim()
    with pytest.raises(ValueError, match="did not declare"):
        funnel.move_each(sim, "referral", np.array([0]), {"rel_buy": (1.0, 2.0)})
    with pytest.raises(ValueError, match="not moved by move_each"):
        funnel.move_each(sim, "referral", np.array([0]), {"arrivals": (1.0, 2.0)})
    with pytest.raises(ValueError, match="not moved by move"):
        funnel.move(sim, "loyalty_points", {"rel_buy": 1.1})


def test_the_review_lift_reaches_the_inflow_through_the_funnel():
    sc = scenario(acquisition={"inflow_per_day": 10.0},
                  mechanics={"reviews": {"enabled": True}})
    sim = make_sim(sc, 1)
    sim.init()
    funnel = sim.module("funnel")
    assert funnel.par[lay.P_INFLOW_LIFT] == 0.0
    funnel.move(sim, "reviews", {"inflow_lift": 0.25})
    assert funnel.par[lay.P_INFLOW_LIFT] == 0.25
    acquisition = sim.module("acquisition")
    assert sum(acquisition._converted_extra(10.0) for _ in range(8)) == 20  # 8 days x 2.5
