"""Control groups: the uplift a CRM team would measure, and the truth it estimates.

A messaging mechanic with `holdout_share` > 0 keeps a stable random share of the
customers its rule picks out of every send. Comparing the revenue (over the run) of
the eligible customers it treated with that of the eligible customers it held out is
how a CRM team measures a mechanic; `measured_uplift` does exactly that, with a 90%
confidence interval (Welch). The simulator also knows the truth: run the same seed
without the mechanic (common random numbers keep every customer the same person) and
average, over the treated customers, their revenue with minus without it
(`true_uplift`). The interval should cover the truth in about 90% of replications.
"""

import numpy as np
from numba import njit

from sim.streams import mix, uniform32

Z90 = 1.6448536269514722


@njit(cache=True)
def _held_out(kh, hold_key, share):
    out = np.empty(kh.size, dtype=np.bool_)
    for i in range(kh.size):
        out[i] = uniform32(mix(kh[i] ^ hold_key)) < share
    return out


def groups(sim, mechanic: str, holdout: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(treated, held out) boolean masks over the customers `mechanic` ever picked."""
    channels = sim.module("channels")
    marks = channels.marks.get(mechanic)
    if marks is None or holdout <= 0:
        return None
    c = sim.customers
    eligible = getattr(c, marks)[: c.n] != 0
    held = _held_out(c.kh[: c.n], channels.holdout_key(sim, mechanic), holdout)
    return eligible & ~held, eligible & held


def measured_uplift(sim, mechanic: str, holdout: float) -> dict | None:
    """Revenue per treated minus per held-out customer, with its 90% interval."""
    g = groups(sim, mechanic, holdout)
    if g is None:
        return None
    revenue = sim.customers.revenue[: sim.customers.n].astype(np.float64)
    treated, held = revenue[g[0]], revenue[g[1]]
    if treated.size < 2 or held.size < 2:
        return None
    diff = treated.mean() - held.mean()
    se = np.sqrt(treated.var(ddof=1) / treated.size + held.var(ddof=1) / held.size)
    return {"uplift": float(diff), "lo": float(diff - Z90 * se), "hi": float(diff + Z90 * se),
            "treated": int(treated.size), "held_out": int(held.size)}


def true_uplift(with_sim, without_sim, mechanic: str, holdout: float) -> float | None:
    """Mean over the treated customers of revenue with minus without the mechanic."""
    g = groups(with_sim, mechanic, holdout)
    if g is None or not g[0].any():
        return None
    n = with_sim.customers.n
    if without_sim.customers.n < n:
        raise ValueError("the run without the mechanic has fewer customers: not the same "
                         "world (referral?)")
    on = with_sim.customers.revenue[:n].astype(np.float64)
    off = without_sim.customers.revenue[:n].astype(np.float64)
    return float((on - off)[g[0]].mean())
