"""Designs: sizes, reproducibility from the seed, levels and integer fields."""

import numpy as np
import pytest

from apps.sweep.design import build_design
from scenarios.sweep_spec import SweepSpec

PARAMS = {"levers.premature_churn_multiplier": [0.5, 1.0],
          "economics.gross_margin": [0.2, 0.4],
          "funnel.loyal_after_purchases": [3, 8],                  # an integer field
          "behaviour.orders_per_day": {"levels": ["single", "multiple"]}}


def spec(design: dict, seed: int = 1, params=PARAMS) -> SweepSpec:
    return SweepSpec.model_validate({"scenario": "baby_food", "parameters": params,
                                     "outcomes": ["revenue"], "design": design, "seed": seed})


@pytest.mark.parametrize("design, size", [
    ({"grid": {"levels": 3}}, 3 * 3 * 3 * 2),                 # levels keep their own count
    ({"lhs": {"n": 20}}, 20),
    ({"sobol": {"n": 16}}, 16 * (2 * 4 + 2)),
    ({"sobol": {"n": 16, "second_order": False}}, 16 * (4 + 2)),
    ({"morris": {"trajectories": 5}}, 5 * (4 + 1)),
])
def test_design_sizes_and_seed(design, size):
    a, b, c = build_design(spec(design)), build_design(spec(design)), build_design(spec(design, 2))
    assert len(a) == size
    assert a.points.equals(b.points)                       # the seed fixes the design
    if "grid" not in design:
        assert not a.points.equals(c.points)               # another seed, another design


def test_values_stay_in_range_levels_and_integers():
    points = build_design(spec({"lhs": {"n": 50}})).points
    assert points["levers.premature_churn_multiplier"].between(0.5, 1.0).all()
    assert set(points["behaviour.orders_per_day"]) == {"single", "multiple"}
    loyal = points["funnel.loyal_after_purchases"]
    assert loyal.dtype.kind == "i" and loyal.between(3, 8).all()


def test_lhs_is_a_latin_hypercube():
    """Each of the n equal slices of a range holds exactly one point."""
    n = 30
    d = build_design(spec({"lhs": {"n": n}}))
    slices = np.floor((d.sample[:, 0] - 0.5) / 0.5 * n).astype(int)
    assert sorted(slices) == list(range(n))


def test_grid_is_the_full_factorial():
    params = {"economics.gross_margin": [0.2, 0.4],
              "levers.spend_multiplier": {"levels": [0.9, 1.0, 1.1]}}
    points = build_design(spec({"grid": {"levels": 3}}, params=params)).points
    pairs = set(map(tuple, points.to_numpy().round(6)))
    assert pairs == {(m, s) for m in (0.2, 0.3, 0.4) for s in (0.9, 1.0, 1.1)}
