"""Sensitivity of a stored sweep: Sobol' S1/ST (Sobol design), Morris mu*/sigma (Morris
design), or the moment-independent delta with S1 (grid and LHS), through SALib's
`ProblemSpec`, per outcome and strategy; replications are averaged per point first.
The design is rebuilt from the stored spec and its seed, so SALib sees the very sample
the experiments ran.
"""

import math

import numpy as np
import pandas as pd

from apps.sweep.design import build_design, problem_spec
from apps.sweep.store import load
from models.comparison import BASELINE, VS_BASELINE
from scenarios.errors import InputError
from scenarios.sweep_spec import SweepSpec

INDICES = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"),
           "morris": ("mu_star", "mu_star_conf", "sigma"),
           "delta": ("delta", "delta_conf", "S1", "S1_conf")}


def stored_spec(folder) -> SweepSpec:
    import json
    from pathlib import Path

    from apps.sweep.store import MANIFEST

    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder}: not a sweep folder (no {MANIFEST}); run "
                         "`snowball sweep run SPEC --out FOLDER` first")
    return SweepSpec.model_validate(json.loads(path.read_text())["spec"])


def method_of(spec: SweepSpec) -> str:
    return spec.design.method if spec.design.method in ("sobol", "morris") else "delta"


def outputs(spec: SweepSpec, frame: pd.DataFrame, n_points: int) -> dict:
    """{(outcome, strategy): Y per point}; every point must be stored and have run."""
    failed = frame[frame["error"].notna()]
    missing = n_points * spec.replications - frame["experiment"].nunique()
    if missing > 0 or len(failed):
        raise InputError(f"the sweep is incomplete: {missing} experiments not run yet and "
                         f"{failed['experiment'].nunique()} failed (first error: "
                         f"{failed['error'].iloc[0] if len(failed) else '-'}); sensitivity "
                         "needs every point: rerun `snowball sweep run` (failed ones: with "
                         "--fresh after fixing the cause)")
    out = {}
    for outcome in spec.outcomes:
        for strategy in spec.runs:
            if strategy == BASELINE and outcome in VS_BASELINE:
                continue            # the baseline is not compared with itself
            rows = frame[frame["strategy"] == strategy]
            y = rows.groupby("point")[outcome].mean().reindex(range(n_points))
            out[(outcome, strategy)] = y.to_numpy(dtype=float)
    return out


def analyze(folder) -> tuple[str, pd.DataFrame]:
    """(method, one row per outcome, strategy and parameter with the method's indices);
    indices are NaN where the outcome has no value (e.g. ROMI of a free lever)."""
    spec = stored_spec(folder)
    frame = load(folder)
    design = build_design(spec)
    method = method_of(spec)
    rows = []
    for (outcome, strategy), y in outputs(spec, frame, len(design)).items():
        table = _indices(spec, method, design.sample, y)
        for parameter, values in table.items():
            rows.append({"outcome": outcome, "strategy": strategy, "parameter": parameter,
                         **values})
    return method, pd.DataFrame(rows)


def _indices(spec: SweepSpec, method: str, x: np.ndarray, y: np.ndarray) -> dict:
    names = list(spec.parameters)
    keys = INDICES[method]
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        return {p: {k: math.nan for k in keys} for p in names}
    sp = problem_spec(spec)
    sp.set_samples(x)
    sp.set_results(y)
    if method == "sobol":
        sp.analyze_sobol(calc_second_order=spec.design.sobol.second_order, seed=spec.seed)
    elif method == "morris":
        sp.analyze_morris(num_levels=spec.design.morris.levels, seed=spec.seed)
    else:
        sp.analyze_delta(seed=spec.seed)
    result = sp.analysis
    return {p: {k: float(result[k][i]) for k in keys} for i, p in enumerate(names)}


def document(method: str, table: pd.DataFrame) -> dict:
    """{"method", "outcomes": {outcome: {strategy: {parameter: {index: value}}}}};
    NaN becomes null. Morris reports mu_star and sigma."""
    keys = ("mu_star", "sigma") if method == "morris" else INDICES[method]
    outcomes: dict = {}
    for row in table.itertuples(index=False):
        values = {k: _finite(getattr(row, k)) for k in keys}
        outcomes.setdefault(row.outcome, {}).setdefault(row.strategy, {})[row.parameter] = values
    return {"method": method, "outcomes": outcomes}


def _finite(v) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def swings(spec: SweepSpec, frame: pd.DataFrame, outcome: str, strategy: str) -> pd.DataFrame:
    """Tornado data: per parameter, the mean outcome over the points in the lowest and
    the highest fifth of its range (its levels: the first and the last), minus the mean
    over all points; sorted by the size of the swing."""
    rows = frame[(frame["strategy"] == strategy) & frame["error"].isna()]
    y = rows[outcome].astype(float)
    centre = float(y.mean())
    out = []
    for path, value in spec.parameters.items():
        x = rows[path]
        if hasattr(value, "levels"):
            low_mask, high_mask = x == value.levels[0], x == value.levels[-1]
        else:
            lo, hi = value
            low_mask = x <= lo + (hi - lo) / 5
            high_mask = x >= hi - (hi - lo) / 5
        out.append({"parameter": path, "at low": float(y[low_mask].mean()) - centre,
                    "at high": float(y[high_mask].mean()) - centre})
    table = pd.DataFrame(out)
    table["swing"] = (table["at high"] - table["at low"]).abs()
    return table.sort_values("swing").reset_index(drop=True)
