"""Purchases added by a lever or a mechanic bring no extra chance to drop out.

BG/NBD tests dropout after every repeat purchase, so without care "one more purchase a
year" would add chances to leave and lower retention. The funnel kernel scales the
dropout probability of a day's orders by the customer's own share of the day's purchase
intensity (`own_share`). Checked here:
- with no lever and no mechanic the share is exactly 1: for every preset's baseline with
  its mechanics off, the kernel is bit for bit the plain BG/NBD rule of the reference
  (`thin_dropout=False`), day after day;
- where a lever adds purchases the two rules differ (so the check above could fail);
- statistically: with the frequency lever the survival of buyers is that of their own
  process, (1 - q p)^D with q = 1 - exp(-lam), not (1 - q' p)^D with the lever's q'.
"""

import math

import numpy as np
import pytest

import day_reference as D
import funnel_states as FS
import kernel_reference as R
from models import funnel_kernel as fk
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile, preset_names
from scenarios.schema import Scenario
from test_kernels_in_sim import ALL_TYPES


def mechanics_off(name: str, customers: int, days: int) -> Scenario:
    """A preset's baseline with every mechanic switched off and the levers neutral."""
    sf = ScenarioFile(name)
    base = sf.resolve("baseline")
    off = {f"mechanics.{m}.enabled": False for m, p in base.mechanics if p is not None
           and p.enabled}
    sf.adjust(customers=customers, days=days, overrides=off)
    return sf.resolve("baseline")


def replay(sc: Scenario, seed: int, thin_dropout: bool) -> tuple[int, int, int]:
    """Run `sc`, replaying every funnel day on the reference with the given dropout
    rule; returns (days that agreed bit for bit, days, repeat orders)."""
    sim = make_sim(sc, seed=seed)
    sim.init()
    funnel = sim.module("funnel")
    step, tally = funnel.step, {"agree": 0, "days": 0, "repeat": 0}

    def checked(s, day):
        c, n = s.customers, s.customers.n
        S = {name: getattr(c, name)[:n].copy() for name in R.STATE_ORDER}
        listed = funnel.listed.copy()
        step(s, day)
        dks = FS.day_keys(int(s.seed_key), day)
        same = True
        for ci in range((n + fk.CHUNK - 1) // fk.CHUNK):
            lo, hi = ci * fk.CHUNK, min((ci + 1) * fk.CHUNK, n)
            acc, _, _ = D.reference_chunk(S, lo, hi, day, dks, funnel.model(),
                                          funnel.n_cohorts, thin_dropout=thin_dropout)
            same &= bool(np.array_equal(funnel.acc[ci], acc))
            tally["repeat"] += int(acc[R.A_REPEAT_ORDERS])
        D.release_listed(S, listed, fk.CHUNK)
        same &= all(np.array_equal(getattr(c, k)[:n], S[k]) for k in R.STATE_ORDER)
        tally["agree"] += same
        tally["days"] += 1

    funnel.step = checked
    sim.run()
    return tally["agree"], tally["days"], tally["repeat"]


@pytest.mark.parametrize("name", preset_names())
def test_without_lever_or_mechanic_the_dropout_rule_is_plain_bgnbd(name):
    sc = mechanics_off(name, customers=1500, days=30)
    agree, days, repeat = replay(sc, seed=5, thin_dropout=False)
    assert agree == days == 30
    assert repeat > 0                  # repeat orders were made: the rule was exercised


def fashion_with_lever() -> Scenario:
    sc = mechanics_off("ecommerce_fashion", customers=1500, days=30)
    return sc.model_copy(update={"levers": sc.levers.model_copy(
        update={"extra_purchases_per_year": 24.0})})


@pytest.mark.parametrize("which", ["fashion_lever", "all_demand_types"])
def test_added_purchases_change_the_dropout_rule_and_the_kernel_follows(which):
    """Single orders with the lever; every demand type with Poisson orders, the lever, a
    campaign's boosts and exposures and a loyalty discount (ALL_TYPES)."""
    sc = fashion_with_lever() if which == "fashion_lever" else \
        Scenario.model_validate(ALL_TYPES)
    agree_old, days, repeat = replay(sc, seed=5, thin_dropout=False)
    agree_new, _, _ = replay(sc, seed=5, thin_dropout=True)
    assert repeat > 100
    assert agree_new == days and agree_old < days


LAM, P_DROP, CUSTOMERS, DAYS = 4 / 365, 0.1, 20000, 365


def one_stage(extra_per_year: float) -> Scenario:
    """Repeat buyers with one rate and one dropout, no other churn, no lapsing."""
    return Scenario.model_validate({
        "name": "thinning", "horizon_days": DAYS,
        "base": {"customers": CUSTOMERS, "history": {"repeat": 1.0}, "history_days": 30},
        "behaviour": {"purchase_rate": LAM, "dropout": P_DROP, "spend": 10.0,
                      "orders_per_day": "single"},
        "funnel": {"lapsed_after_days": 5000, "churned_after_days": 6000},
        "economics": {"gross_margin": 0.3},
        "levers": {"extra_purchases_per_year": extra_per_year}})


@pytest.mark.parametrize("extra", [0.0, 4.0])
def test_survival_is_that_of_the_customers_own_purchases(extra):
    sim = make_sim(one_stage(extra), seed=11)
    sim.run()
    alive = sim.results["n_alive"][-1] / CUSTOMERS
    q_own = 1 - math.exp(-LAM)
    expected = (1 - q_own * P_DROP) ** DAYS
    se = math.sqrt(expected * (1 - expected) / CUSTOMERS)   # binomial SE of the share
    assert abs(alive - expected) < 4 * se, (alive, expected, se)
    # the plain BG/NBD rule would give (1 - q' p)^D, q' with the lever: 17 SE lower at +4
    q_lever = 1 - math.exp(-(LAM + extra / 365))
    assert extra == 0 or (expected - (1 - q_lever * P_DROP) ** DAYS) > 10 * se
