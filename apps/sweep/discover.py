"""Scenario discovery with PRIM (the EMA workbench's): which box of parameter values
holds the points where an outcome of a strategy clears a threshold.

A point counts as a case of interest when its outcome (the mean over replications) is
at least the threshold (at most, with `below`). PRIM peels the parameter space down to
a box; of the boxes on its peeling trajectory we report the one of largest coverage
whose density reaches `min_density` (or, if none does, the densest): coverage = share of
all cases inside the box, density = share of the box's points that are cases.
"""

import math
import warnings

import pandas as pd

from apps.sweep.analyze import stored_spec
from apps.sweep.store import load
from models.comparison import BASELINE
from scenarios.errors import InputError


def cases(folder, outcome: str, strategy: str | None, threshold: float,
          below: bool) -> tuple[str, pd.DataFrame, pd.Series]:
    """(strategy, x: parameter values per point, y: whether the point is a case)."""
    spec = stored_spec(folder)
    if outcome not in spec.outcomes:
        raise InputError(f"--outcome: {outcome!r} is not among the sweep's outcomes "
                         f"({', '.join(spec.outcomes)})")
    if strategy is None:
        strategy = next((s for s in spec.runs if s != BASELINE), BASELINE)
    if strategy not in spec.runs:
        raise InputError(f"--strategy: {strategy!r} is not among the sweep's strategies "
                         f"({', '.join(spec.runs)})")
    frame = load(folder)
    rows = frame[(frame["strategy"] == strategy) & frame["error"].isna()]
    params = list(spec.parameters)
    per_point = rows.groupby("point").agg({**{p: "first" for p in params}, outcome: "mean"})
    per_point = per_point[per_point[outcome].notna()]
    if len(per_point) < 10:
        raise InputError(f"{strategy}: {outcome} has a value at {len(per_point)} points; "
                         "PRIM needs at least 10")
    y = per_point[outcome] <= threshold if below else per_point[outcome] >= threshold
    return strategy, per_point[params], y


def discover(folder, outcome: str, threshold: float, strategy: str | None = None,
             below: bool = False, min_density: float = 0.8) -> dict:
    strategy, x, y = cases(folder, outcome, strategy, threshold, below)
    share = float(y.mean())
    report = {"outcome": outcome, "strategy": strategy, "threshold": threshold,
              "direction": "below" if below else "above", "points": int(len(y)),
              "cases": int(y.sum()), "box": None}
    if share in (0.0, 1.0):
        return report            # nothing to separate: every point is (not) a case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        box = prim.Prim(_numeric(x), y.to_numpy(), threshold=min_density).find_box()
    trajectory = box.peeling_trajectory
    good = trajectory[trajectory["density"] >= min_density]
    i = int(good["coverage"].idxmax()) if len(good) else int(trajectory["density"].idxmax())
    box.select(i)
    limits = box.box_lims[i]
    restricted = {}
    for p in x.columns:
        lo, hi = limits[p].iloc[0], limits[p].iloc[1]
        full = (x[p].min(), x[p].max())
        if isinstance(lo, (set, frozenset)):
            if set(lo) != set(x[p].unique()):
                restricted[p] = {"levels": sorted(lo, key=str)}
        elif lo > full[0] or hi < full[1]:
            restricted[p] = {"min": _plain(lo), "max": _plain(hi)}
    row = trajectory.loc[i]
    report["box"] = {"coverage": float(row["coverage"]), "density": float(row["density"]),
                     "mass": float(row["mass"]), "limits": restricted}
    return report


def _numeric(x: pd.DataFrame) -> pd.DataFrame:
    """PRIM wants numbers or categories: text and booleans become categories."""
    x = x.copy()
    for c in x.columns:
        if x[c].dtype == object or x[c].dtype == bool:
            x[c] = x[c].astype(str).astype("category")
    return x


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    return None if isinstance(v, float) and not math.isfinite(v) else v
