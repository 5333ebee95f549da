"""Designs: the points of a sweep, each a value per parameter, reproducible from the seed.

Grid (full factorial) and Latin hypercube (`scipy.stats.qmc`) for exploring; Sobol' and
Morris through SALib's `ProblemSpec`, so the analysis reads the same problem. A
parameter given by levels enters the continuous designs as [0, k) and takes level
floor(x): each level covers an equal share of the unit range.
"""

import itertools
import typing
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.messages import field_info
from scenarios.sweep_spec import Levels, SweepSpec


@dataclass
class Design:
    method: str
    names: list[str]
    sample: np.ndarray          # the raw sample (SALib / qmc space), one row per point
    points: pd.DataFrame        # the parameter values of every point (index: point id)

    def __len__(self) -> int:
        return len(self.points)


def problem(spec: SweepSpec) -> dict:
    """The SALib problem: names and bounds (levels as [0, k])."""
    names = list(spec.parameters)
    bounds = [[0.0, float(len(v.levels))] if isinstance(v, Levels) else [float(v[0]), float(v[1])]
              for v in spec.parameters.values()]
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def problem_spec(spec: SweepSpec):
    from SALib import ProblemSpec

    return ProblemSpec(problem(spec))


def build_design(spec: SweepSpec) -> Design:
    method, settings = spec.design.method, spec.design.settings
    if method == "grid":
        sample = _grid(spec, settings.levels)
    elif method == "lhs":
        sample = _lhs(spec, settings.n)
    elif method == "sobol":
        sample = problem_spec(spec).sample_sobol(
            settings.n, calc_second_order=settings.second_order, seed=spec.seed).samples
    else:
        sample = problem_spec(spec).sample_morris(
            settings.trajectories, num_levels=settings.levels, seed=spec.seed).samples
    return Design(method, list(spec.parameters), sample, to_values(spec, sample))


def _grid(spec: SweepSpec, levels: int) -> np.ndarray:
    axes = [np.arange(len(v.levels), dtype=float) if isinstance(v, Levels)
            else np.linspace(v[0], v[1], levels) for v in spec.parameters.values()]
    return np.array(list(itertools.product(*axes)), dtype=float)


def _lhs(spec: SweepSpec, n: int) -> np.ndarray:
    from scipy.stats import qmc

    d = len(spec.parameters)
    try:
        unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(spec.seed)).random(n)
    except TypeError:       # scipy before 1.15 names it seed
        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(spec.seed)).random(n)
    bounds = np.array(problem(spec)["bounds"])
    return qmc.scale(unit, bounds[:, 0], bounds[:, 1])


def to_values(spec: SweepSpec, sample: np.ndarray) -> pd.DataFrame:
    """The raw sample as parameter values: levels picked, integer fields rounded."""
    from scenarios.schema import Scenario

    columns = {}
    for j, (path, value) in enumerate(spec.parameters.items()):
        x = sample[:, j]
        if isinstance(value, Levels):
            k = len(value.levels)
            index = np.clip(np.floor(x).astype(int), 0, k - 1)
            columns[path] = pd.Series([value.levels[i] for i in index], dtype=object)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.levels):
                columns[path] = columns[path].astype(float)
        elif integer_field(Scenario, path):
            columns[path] = np.round(x).astype(np.int64)
        else:
            columns[path] = x.astype(float)
    frame = pd.DataFrame(columns)
    frame.index.name = "point"
    return frame


def integer_field(model, path: str) -> bool:
    found = field_info(model, tuple(path.split(".")))
    if found is None:
        return False
    tp = found[0]
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp is int
