"""Closed-form results for a homogeneous discrete-time cohort.

The simulator's reductions are checked against these: with identical customers and
no acquisition, the agent-based run must reproduce them within sampling error.
"""

from __future__ import annotations

import numpy as np

from models.analytic import _array


def homogeneous_cohort_alive(t_days, n, h):
    """Expected survivors after t whole days: n (1-h)^t.

    Each day every still-active customer churns with probability h,
    independently; nobody is ever re-acquired.
    """
    t = _array("t_days", t_days, low=0, integer=True)
    n = float(_array("n", n, low=0))
    h = float(_array("h", h, low=0, high=1))
    return n * (1.0 - h) ** t


def homogeneous_cohort_revenue(t_days, n, rate_per_day, churn_hazard_per_day, mean_spend):
    """Expected cumulative revenue of n identical customers after t whole days.

    Discrete-time convention (days d = 0, ..., t-1, all customers active
    before day 0):
      1. churn is tested first: an active customer survives day d with
         probability 1-h (h = churn_hazard_per_day); churned customers never
         return and do not buy on the day they churn;
      2. a survivor then buys at most once that day, with probability
         q = 1 - exp(-rate_per_day) (the chance a Poisson(rate) clock ticks
         at least once), spending mean_spend on average.
    So P(active and buying on day d) = (1-h)^(d+1) q and
        E[revenue(t)] = n m q sum_{d=0}^{t-1} (1-h)^(d+1)
                      = n m q (1-h)(1-(1-h)^t)/h     (h > 0),   n m q t  (h = 0).
    """
    t = _array("t_days", t_days, low=0, integer=True)
    n = float(_array("n", n, low=0))
    rate = float(_array("rate_per_day", rate_per_day, low=0))
    h = float(_array("churn_hazard_per_day", churn_hazard_per_day, low=0, high=1))
    m = float(_array("mean_spend", mean_spend, low=0))
    q = -np.expm1(-rate)
    s = 1.0 - h  # sum_{d=0}^{t-1} s^(d+1) = s (1 - s^t) / h
    days = t if h == 0.0 else (s * -np.expm1(t * np.log(s)) / h if s > 0 else np.zeros_like(t))
    return n * m * q * days
