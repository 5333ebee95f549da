"""The order in which a scenario lists its mechanics changes nothing, bit for bit.

Mechanics run in their run order (priority, then name) and their declared effects
compose by each lever's rule in the order of the mechanics' names; so shuffling the
`mechanics` mapping (and each strategy's overrides) of every preset must give
bit-identical series for every strategy.
"""

import copy

import numpy as np
import pytest
import yaml

from scenarios.build import make_sim
from scenarios.loader import ScenarioFile, parse, preset_names, read_text


def shuffled(data: dict, rng) -> dict:
    out = copy.deepcopy(data)
    items = list(out.get("mechanics", {}).items())
    out["mechanics"] = dict(items[k] for k in rng.permutation(len(items)))
    for strategy in out.get("strategies", {}).values():
        over = list((strategy.get("overrides") or {}).items())
        if over:
            strategy["overrides"] = dict(over[k] for k in rng.permutation(len(over)))
    return out


def small(data: dict, label: str) -> ScenarioFile:
    f = ScenarioFile.from_text(yaml.safe_dump(data, sort_keys=False), label)
    f.adjust(customers=800, days=120)
    return f


@pytest.mark.parametrize("preset", preset_names())
def test_shuffling_the_mechanics_of_every_strategy_changes_nothing(preset):
    data, _ = parse(*read_text(preset))
    assert len(data.get("mechanics", {})) >= 1 or preset == "bench_funnel"
    first = small(data, preset)
    second = small(shuffled(data, np.random.default_rng(11)), preset)
    for strategy in first.strategy_names:
        a = make_sim(first.resolve(strategy), 5).run()
        b = make_sim(second.resolve(strategy), 5).run()
        assert sorted(a.names) == sorted(b.names)
        for name in a.names:
            assert np.array_equal(a[name], b[name]), (strategy, name)
        assert sorted(a.matrices) == sorted(b.matrices)
        for name in a.matrices:
            assert np.array_equal(a.matrices[name], b.matrices[name]), (strategy, name)
