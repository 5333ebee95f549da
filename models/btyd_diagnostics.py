"""How well a fitted model tracks the log: the checks of Fader, Hardie & Lee (2005a).

* Cumulative repeat transactions week by week, actual against the model's expectation
  for the same customers (each contributes E[X(t)] from its first purchase on), over
  the calibration period and on into the holdout (FHL 2005a, figure 2).
* Conditional expectations: customers grouped by their repeat purchases in the
  calibration period; the mean of their holdout purchases against the model's
  E[Y(t) | x, t_x, T] (FHL 2005a, figure 4).
Counts are purchase days (same-day orders merged); a customer's first purchase is
never a repeat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import analytic as A
from models import pareto_nbd as P
from models.btyd_fit import ModelFit

FREQUENCY_CAP = 7   # FHL 2005a group the calibration frequencies 0, 1, ..., 6, 7+


def expected_repeat(fit: ModelFit, t):
    """E[X(t)] of a new customer under either purchase model."""
    if fit.model == "bgnbd":
        return A.bgnbd_expected_repeat(t, *fit.values())
    return P.expected_repeat(t, fit.values())


def conditional_expected(fit: ModelFit, t: float, summary: pd.DataFrame) -> np.ndarray:
    """E[Y(t) | x, t_x, T] of every customer of `summary`."""
    if fit.model == "bgnbd":
        return A.bgnbd_conditional_expected(t, summary.x, summary.t_x, summary.age,
                                            *fit.values())
    data = P.ParetoNBDData(summary.x, summary.t_x, summary.age)
    return P.conditional_expected(t, fit.values(), data)


def holdout_purchases(customer, day, summary: pd.DataFrame, end_day: int,
                      holdout_end_day: int) -> np.ndarray:
    """Purchase days of each summary customer in (end_day, holdout_end_day]."""
    inside = (day > end_day) & (day <= holdout_end_day)
    counts = np.bincount(customer[inside], minlength=int(customer.max()) + 1)
    return counts[summary.index.to_numpy()]


def weekly_tracking(customer, day, summary: pd.DataFrame, fits: list[ModelFit],
                    start_day: int, last_day: int, unit: float) -> pd.DataFrame:
    """Week by week from `start_day` to `last_day`: actual repeat purchases of the
    summary's customers, cumulated, beside each model's cumulative expectation."""
    first = summary.first_day.to_numpy()
    first_of = np.full(int(customer.max()) + 1, np.iinfo(np.int64).max)
    first_of[summary.index.to_numpy()] = first
    repeat = (day > first_of[customer]) & (day <= last_day)
    weeks = (last_day - start_day) // 7 + 1
    actual = np.bincount((day[repeat] - start_day) // 7, minlength=weeks)[:weeks]
    ends = start_day + 7 * np.arange(1, weeks + 1) - 1
    starts_u, n_u = np.unique(first, return_counts=True)
    t = np.maximum(ends[:, None] - starts_u[None, :], 0) / unit
    out = pd.DataFrame({"week": np.arange(1, weeks + 1),
                        "week_end": pd.to_datetime(np.minimum(ends, last_day), unit="D"),
                        "actual": actual, "actual_cum": np.cumsum(actual)})
    for fit in fits:
        out[fit.model + "_cum"] = (expected_repeat(fit, t) * n_u[None, :]).sum(axis=1)
    return out


def by_frequency(summary: pd.DataFrame, actual: np.ndarray, t: float,
                 fits: list[ModelFit]) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency (0..6, 7+): actual and models."""
    group = np.minimum(summary.x.to_numpy(), FREQUENCY_CAP)
    frame = pd.DataFrame({"x": group, "actual": actual})
    for fit in fits:
        frame[fit.model] = conditional_expected(fit, t, summary)
    out = frame.groupby("x").agg(customers=("actual", "size"),
                                 **{c: (c, "mean") for c in frame.columns if c != "x"})
    out.index = [str(i) if i < FREQUENCY_CAP else f"{FREQUENCY_CAP}+" for i in out.index]
    out.index.name = "x"
    return out.reset_index()
