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
  days rounded to a coarser grid, and beyond a year's grid a random sample of customers
  stands for the base (both reported), to keep the file within a scenario's limits.
* Inflow: first purchases per day over the last 91 days of the calibration period (the
  recent run rate of the acquisition curve), arriving as first-time buyers.
* Check: the Gamma-Gamma fit (a fixed mean check where q <= 1 leaves no finite mean);
  margin and currency from the caller.
"""

from __future__ import annotations

import re

import numpy as np
import yaml

MAX_PROFILES = 3_000        # 5 YAML values a row: well inside a scenario's size limits
GRIDS = (1, 2, 4, 7, 14, 28, 56, 91, 182, 365)
INFLOW_WINDOW_DAYS = 91
SAMPLE_SEED = 20050101


def _rows(purchases, idle, tenure, grid):
    """Unique [purchases, idle, tenure] rows with days rounded down to `grid` days (a
    repeat buyer's last purchase stays after its first) and their customer counts."""
    t = (tenure // grid) * grid
    i = np.where(purchases == 1, t, np.minimum((idle // grid) * grid, t - 1))
    i = np.maximum(i, 0)
    t = np.where((purchases > 1) & (t <= i), i + 1, t)
    rows, counts = np.unique(np.stack([purchases, i, t]), axis=1, return_counts=True)
    return np.vstack([rows, counts]).T


def profiles(summary, unit: float) -> tuple[list[list[int]], dict]:
    """Rows [purchases, days since last, days since first, customers] and how they were
    made: the finest day grid that keeps at most MAX_PROFILES rows; if even a year's grid
    does not, a seeded random sample of MAX_PROFILES customers on that grid (the rows'
    customers are shares of base.customers, so the base keeps its size)."""
    tenure = np.rint(summary.age.to_numpy() * unit).astype(np.int64)
    idle = tenure - np.rint(summary.t_x.to_numpy() * unit).astype(np.int64)
    purchases = summary.x.to_numpy().astype(np.int64) + 1
    for grid in GRIDS:
        table = _rows(purchases, idle, tenure, grid)
        if len(table) <= MAX_PROFILES:
            return table.tolist(), {"grid_days": grid, "sampled_customers": None}
    pick = np.random.default_rng(SAMPLE_SEED).choice(purchases.size, MAX_PROFILES,
                                                     replace=False)
    table = _rows(purchases[pick], idle[pick], tenure[pick], GRIDS[-1])
    return table.tolist(), {"grid_days": GRIDS[-1], "sampled_customers": MAX_PROFILES}


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
                   currency: str | None, provenance: dict) -> tuple[dict, dict]:
    """The scenario as a plain mapping (validated by the caller) and how its profiles
    were made (see `profiles`)."""
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
