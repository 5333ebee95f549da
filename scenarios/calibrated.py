"""A fitted customer base becomes a scenario whose baseline is that business.

* Heterogeneity: purchase rate ~ Gamma(r, alpha) (alpha converted from the fit's time
  unit to days), dropout after each repeat purchase ~ Beta(a, b), spend Gamma-Gamma
  (p, q, gamma): with every mechanic off the simulator is the BG/NBD and Gamma-Gamma.
  The simulator's dropout is the BG/NBD's, so the scenario is built from the BG/NBD
  fit even where the Pareto/NBD fits the log a little better (both are reported).
* The day-0 base is the log's customers as of the calibration end: one profile per
  distinct (purchases, days since the last, days since the first purchase), so every
  customer starts with its own history, alive with its posterior probability and with
  traits drawn from the posterior. Logs with very many distinct histories have their
  days rounded to a coarser grid (reported) to keep the file small.
* Inflow: first purchases per day over the last 91 days of the calibration period (the
  recent run rate of the acquisition curve), arriving as first-time buyers.
* Check: the Gamma-Gamma fit (a fixed mean check where q <= 1 leaves no finite mean);
  margin and currency from the caller.
"""

from __future__ import annotations

import re

import numpy as np
import yaml

MAX_PROFILES = 20_000
GRIDS = (1, 2, 4, 7, 14, 28, 56)
INFLOW_WINDOW_DAYS = 91


def profiles(summary, unit: float) -> tuple[list[list[int]], int]:
    """Rows [purchases, days since last, days since first, customers] and the day grid
    (1 = exact) that keeps them at most MAX_PROFILES."""
    tenure = np.rint(summary.age.to_numpy() * unit).astype(np.int64)
    idle = tenure - np.rint(summary.t_x.to_numpy() * unit).astype(np.int64)
    purchases = summary.x.to_numpy().astype(np.int64) + 1
    for grid in GRIDS:
        t = (tenure // grid) * grid
        i = np.where(purchases == 1, t, np.minimum((idle // grid) * grid, t - 1))
        i = np.maximum(i, 0)
        t = np.where((purchases > 1) & (t <= i), i + 1, t)
        rows, counts = np.unique(np.stack([purchases, i, t]), axis=1, return_counts=True)
        if rows.shape[1] <= MAX_PROFILES or grid == GRIDS[-1]:
            table = np.vstack([rows, counts]).T
            return [[int(v) for v in row] for row in table], grid
    raise AssertionError("unreachable")


def inflow_per_day(first_days, end_day: int) -> float:
    recent = (first_days > end_day - INFLOW_WINDOW_DAYS) & (first_days <= end_day)
    return float(recent.sum()) / INFLOW_WINDOW_DAYS


def scenario_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_\-]+", "_", stem).strip("_")
    return name or "calibrated"


def _spend(spend_fit, mean_check: float) -> object:
    p, q, gamma = (spend_fit.params[k] for k in ("p", "q", "gamma"))
    if q > 1:
        return {"gamma_gamma": {"p": p, "q": q, "gamma": gamma}}
    return float(mean_check)


def build_scenario(name: str, summary, unit: float, end_day: int, bgnbd, spend_fit,
                   mean_check: float, items_per_order: float, margin: float,
                   currency: str | None, provenance: dict) -> tuple[dict, int]:
    """The scenario as a plain mapping (validated by the caller) and the profile grid."""
    r, alpha, a, b = bgnbd.values()
    rows, grid = profiles(summary, unit)
    economics = {"gross_margin": margin}
    if currency:
        economics["currency"] = currency
    data = {
        "name": name,
        "description": f"Calibrated on {provenance['log']} up to "
                       f"{provenance['calibration_end']}: BG/NBD purchase and dropout, "
                       "Gamma-Gamma spend, the day-0 base from each customer's history.",
        "horizon_days": 1095,
        "base": {"customers": int(len(summary)),
                 "history_days": int(max(1, max(row[2] for row in rows))),
                 "profiles": rows},
        "acquisition": {"inflow_per_day": inflow_per_day(summary.first_day.to_numpy(),
                                                         end_day),
                        "arrive_as": "new"},
        "behaviour": {
            "purchase_rate": {"gamma": {"shape": r, "rate": alpha * unit}},
            "dropout": {"beta": {"a": a, "b": b}},
            "spend": _spend(spend_fit, mean_check),
            "orders_per_day": "poisson",
            "items_per_order": float(min(100.0, max(1.0, items_per_order))),
            "demand": {"poisson": {"share": 1.0}},
        },
        "economics": economics,
        "strategies": {
            "baseline": {"description": "the business as the log shows it"},
            "retention_plus": {"description": "premature churn -25%",
                               "overrides": {"levers.premature_churn_multiplier": 0.75}},
            "frequency_plus": {"description": "one more purchase a year per customer",
                               "overrides": {"levers.extra_purchases_per_year": 1.0}},
            "check_plus": {"description": "order value +10%",
                           "overrides": {"levers.spend_multiplier": 1.1}},
        },
        "provenance": provenance,
    }
    return data, grid


class _Dumper(yaml.SafeDumper):
    """Profile rows on one line each, the rest in block style."""


def _row(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


class FlowRow(list):
    pass


_Dumper.add_representer(FlowRow, _row)


def to_yaml(data: dict) -> str:
    data = dict(data, base=dict(data["base"], profiles=[FlowRow(r) for r in
                                                        data["base"]["profiles"]]))
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100)
