"""The order in which a scenario lists its mechanics changes nothing, bit for bit.

Mechanics run in their run order (priority, then name) and their declared effects
compose by each lever's rule in the order of the mechanics' names; so reordering the
`mechanics` mapping (and each strategy's overrides) of every preset must give
bit-identical series for every strategy. The schema hands the named mechanics over in
an order of its own, so the same permutation is also applied where the engine receives
them (`models.mechanics.configured`, before they are put in run order): a result that
hung on the order anywhere downstream would differ. Two orders are tried: reversed
(every pair of mechanics swaps places) and a random permutation. The mechanics that
act through a customer's own multipliers or a lever moved each day (loyalty tiers,
referred friends, the review stock) must be seen acting at the test's size, beside
other mechanics, or the test would prove nothing for them.
"""

import copy

import numpy as np
import pytest
import yaml

from models import mechanics
from models.mechanics import build
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile, parse, preset_names, read_text

ORDERS = {"reversed": lambda n, rng: np.arange(n)[::-1],
          "shuffled": lambda n, rng: rng.permutation(n)}

# How each of these mechanics shows that it acted in a run (sim, results).
ACTS = {
    "loyalty_points": lambda sim, r: np.any(sim.customers.rel_buy[:sim.customers.n] != 1),
    "referral": lambda sim, r: r["cum_referrals"][-1] > 0,
    "reviews": lambda sim, r: r["n_lead_conversion_lift"].max() > 0,
}


def reordered(data: dict, order: str) -> dict:
    out, rng = copy.deepcopy(data), np.random.default_rng(11)
    items = list(out.get("mechanics", {}).items())
    out["mechanics"] = dict(items[k] for k in ORDERS[order](len(items), rng))
    for strategy in out.get("strategies", {}).values():
        over = list((strategy.get("overrides") or {}).items())
        if over:
            strategy["overrides"] = dict(over[k] for k in ORDERS[order](len(over), rng))
    return out


def handed_over(order: str):
    """`configured` giving the mechanics in `order` instead of the schema's."""
    original = mechanics.configured

    def configured(section):
        out = original(section)
        return [out[k] for k in ORDERS[order](len(out), np.random.default_rng(11))]
    return configured


def small(data: dict, label: str) -> ScenarioFile:
    f = ScenarioFile.from_text(yaml.safe_dump(data, sort_keys=False), label)
    f.adjust(customers=800, days=120)
    return f


@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("preset", preset_names())
def test_reordering_the_mechanics_of_every_strategy_changes_nothing(preset, order,
                                                                   monkeypatch):
    data, _ = parse(*read_text(preset))
    assert len(data.get("mechanics", {})) >= 1 or preset == "bench_funnel"
    first = small(data, preset)
    second = small(reordered(data, order), preset)
    if len(data.get("mechanics", {})) > 1:
        assert list(reordered(data, order)["mechanics"]) != list(data["mechanics"])
    for strategy in first.strategy_names:
        a = make_sim(first.resolve(strategy), 5).run()
        with monkeypatch.context() as m:
            m.setattr(mechanics, "configured", handed_over(order))
            b = make_sim(second.resolve(strategy), 5).run()
        assert sorted(a.names) == sorted(b.names)
        for name in a.names:
            assert np.array_equal(a[name], b[name]), (strategy, name)
        assert sorted(a.matrices) == sorted(b.matrices)
        for name in a.matrices:
            assert np.array_equal(a.matrices[name], b.matrices[name]), (strategy, name)


def test_loyalty_referral_and_reviews_act_beside_other_mechanics_in_the_test():
    seen = {name: [] for name in ACTS}
    for preset in preset_names():
        data, _ = parse(*read_text(preset))
        f = small(data, preset)
        for strategy in f.strategy_names:
            sc = f.resolve(strategy)
            names = [m.name for m in build(sc.mechanics)]
            if len(names) < 2 or not set(ACTS) & set(names):
                continue
            sim = make_sim(sc, 5)
            r = sim.run()
            for name in set(ACTS) & set(names):
                if ACTS[name](sim, r):
                    seen[name].append(f"{preset}/{strategy}")
    assert all(seen.values()), seen
