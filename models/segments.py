"""RFM segments over time: where the base stands each month, as a CRM would see it.

On the first day of every month each customer who has bought is scored 1-5 on recency
(days since the last purchase; recent is 5) and frequency (purchases; many is 5) by
quintiles of the buyers of that day, and counted in the 5x5 R x F grid and in the usual
named segments (champions, loyal, at risk, hibernating, lost, ...). Quintile edges are
taken from a fixed, evenly spaced sample of buyers, so a snapshot costs one pass over
the customers. Monetary value is reported per segment (revenue in the run per customer).
"""

import numpy as np
from numba import njit, prange

from models.funnel_kernel import month_of
from models.stages import NEVER
from sim.module import Module

# The usual segment map on the R x F grid (rows: R score 1-5, columns: F score 1-5).
SEGMENTS = ("lost", "hibernating", "at_risk", "cant_lose", "about_to_sleep",
            "need_attention", "promising", "new", "potential_loyal", "loyal", "champions")
_MAP = np.array([
    # F: 1  2  3  4  5
    [0, 1, 2, 2, 3],     # R = 1
    [1, 1, 2, 2, 2],     # R = 2
    [4, 4, 5, 9, 9],     # R = 3
    [6, 8, 8, 9, 9],     # R = 4
    [7, 8, 8, 9, 10],    # R = 5
], dtype=np.int64)
SAMPLE = 20_000
CHUNK = 16384


class RFM(Module):
    """Monthly RFM snapshot of the buyers: the 5x5 grid and the named segments."""

    name = "rfm"
    phase = "record"

    def init(self, sim) -> None:
        months = 1 + month_of(sim.days - 1)
        r = sim.results
        self.grid = r.matrix("rfm_grid", (months, 5, 5))
        self.segments = r.matrix("rfm_segments", (months, len(SEGMENTS)))
        self.revenue = r.matrix("rfm_segment_revenue", (months, len(SEGMENTS)))

    def step(self, sim, day: int) -> None:
        if day > 0 and month_of(day) == month_of(day - 1):
            return
        c = sim.customers
        n = c.n
        if n == 0:
            return
        step = max(1, n // SAMPLE)
        recency, frequency = _sample(n, step, day, c.last, c.purchases)
        if recency.size == 0:
            return
        r_edges = np.quantile(recency, [0.2, 0.4, 0.6, 0.8])
        f_edges = np.quantile(frequency, [0.2, 0.4, 0.6, 0.8])
        chunks = (n + CHUNK - 1) // CHUNK
        grid = np.zeros((chunks, 5, 5), dtype=np.int64)
        money = np.zeros((chunks, 5, 5), dtype=np.float64)
        _score(n, day, c.last, c.purchases, c.revenue, r_edges, f_edges, grid, money)
        m = month_of(day)
        self.grid[m] = grid.sum(axis=0)
        money = money.sum(axis=0)
        for seg in range(len(SEGMENTS)):
            cells = _MAP == seg
            self.segments[m, seg] = self.grid[m][cells].sum()
            self.revenue[m, seg] = money[cells].sum()


def customer_segments(c, day: int) -> np.ndarray:
    """Named segment (index into SEGMENTS; -1: never bought) of every customer today,
    by the same quintile scoring as the monthly snapshot."""
    n = c.n
    out = np.full(n, -1, dtype=np.int8)
    recency, frequency = _sample(n, max(1, n // SAMPLE), day, c.last, c.purchases)
    if recency.size:
        _segment_of(n, day, c.last, c.purchases, np.quantile(recency, [0.2, 0.4, 0.6, 0.8]),
                    np.quantile(frequency, [0.2, 0.4, 0.6, 0.8]), _MAP, out)
    return out


@njit(cache=True)
def _segment_of(n, day, last, purchases, r_edges, f_edges, seg_map, out):
    for i in range(n):
        if purchases[i] > 0:
            r, f = _cell(day - last[i], purchases[i], r_edges[0], r_edges[1], r_edges[2],
                         r_edges[3], f_edges[0], f_edges[1], f_edges[2], f_edges[3])
            out[i] = seg_map[r, f]


@njit(cache=True)
def _sample(n, step, day, last, purchases):
    """Recency (days) and frequency of every `step`-th buyer."""
    r = np.empty(n // step + 1, dtype=np.float64)
    f = np.empty(n // step + 1, dtype=np.float64)
    m = 0
    for i in range(0, n, step):
        if purchases[i] > 0 and last[i] != NEVER:
            r[m] = day - last[i]
            f[m] = purchases[i]
            m += 1
    return r[:m], f[:m]


@njit(cache=True, inline="always")
def _quintile(x, e0, e1, e2, e3):
    """0-4: how many quintile edges x exceeds (no branches)."""
    return (x > e0) + (x > e1) + (x > e2) + (x > e3)


@njit(cache=True, inline="always")
def _cell(idle, purchases, r0, r1, r2, r3, f0, f1, f2, f3):
    """(R, F) scores 0-4 of a buyer: recent is high, frequent is high (scalar edges: an
    inlined helper taking arrays would pay reference counting per customer)."""
    return 4 - _quintile(idle, r0, r1, r2, r3), _quintile(purchases, f0, f1, f2, f3)


@njit(cache=True, parallel=True)
def _score(n, day, last, purchases, revenue, r_edges, f_edges, grid, money):
    """Count buyers per (R, F) cell, per fixed chunk (sums in chunk order)."""
    n_chunks = (n + CHUNK - 1) // CHUNK
    r0, r1, r2, r3 = r_edges[0], r_edges[1], r_edges[2], r_edges[3]
    f0, f1, f2, f3 = f_edges[0], f_edges[1], f_edges[2], f_edges[3]
    for c in prange(n_chunks):
        for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
            if purchases[i] == 0:
                continue
            r, f = _cell(day - last[i], purchases[i], r0, r1, r2, r3, f0, f1, f2, f3)
            grid[c, r, f] += 1
            money[c, r, f] += revenue[i]
