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
        # the days a month starts on, looked up in Python: no kernel call on the others
        month = month_of(np.arange(sim.days))
        self._month_starts = set(np.flatnonzero(np.diff(month, prepend=-1)).tolist())
        r = sim.results
        self.grid = r.matrix("rfm_grid", (months, 5, 5))
        self.segments = r.matrix("rfm_segments", (months, len(SEGMENTS)))
        self.revenue = r.matrix("rfm_segment_revenue", (months, len(SEGMENTS)))

    def step(self, sim, day: int) -> None:
        if day not in self._month_starts:
            return
        c = sim.customers
        n = c.n
        if n == 0:
            return
        r_edges, f_edges = np.empty(4), np.empty(4)
        if not _edges(n, max(1, n // SAMPLE), day, c.last, c.purchases, r_edges, f_edges):
            return
        chunks = (n + CHUNK - 1) // CHUNK
        grid = np.zeros((chunks, 5, 5), dtype=np.int64)
        money = np.zeros((chunks, 5, 5), dtype=np.float64)
        _score(n, day, c.last, c.purchases, c.revenue, r_edges, f_edges, grid, money)
        m = month_of(day)
        _tally(grid, money, _MAP, self.grid[m], self.segments[m], self.revenue[m])


def customer_segments(c, day: int) -> np.ndarray:
    """Named segment (index into SEGMENTS; -1: never bought) of every customer today,
    by the same quintile scoring as the monthly snapshot."""
    n = c.n
    out = np.full(n, -1, dtype=np.int8)
    r_edges, f_edges = np.empty(4), np.empty(4)
    if _edges(n, max(1, n // SAMPLE), day, c.last, c.purchases, r_edges, f_edges):
        _segment_of(n, day, c.last, c.purchases, r_edges, f_edges, _MAP, out)
    return out


@njit(cache=True)
def _segment_of(n, day, last, purchases, r_edges, f_edges, seg_map, out):
    cells = np.empty(n, dtype=np.uint8)
    _cells(0, n, day, last, purchases, r_edges, f_edges, cells)
    for i in range(n):
        if cells[i] != NO_CELL:
            out[i] = seg_map[cells[i] // 5, cells[i] % 5]


@njit(cache=True)
def _sample(n, step, day, last, purchases):
    """Recency (days) and frequency of every `step`-th buyer."""
    r = np.empty(n // step + 1, dtype=np.int64)
    f = np.empty(n // step + 1, dtype=np.int64)
    m = 0
    for i in range(0, n, step):
        if purchases[i] > 0 and last[i] != NEVER:
            r[m] = day - last[i]
            f[m] = purchases[i]
            m += 1
    return r[:m], f[:m]


@njit(cache=True)
def _edges(n, step, day, last, purchases, r_edges, f_edges):
    """Quintile edges of the sampled buyers' recency and frequency; False: no buyer."""
    recency, frequency = _sample(n, step, day, last, purchases)
    if recency.size == 0:
        return False
    quintile_edges(recency, r_edges)
    quintile_edges(frequency, f_edges)
    return True


QUINTILES = np.array([0.2, 0.4, 0.6, 0.8])
COUNTING_RANGE = 1 << 22      # wider ranges of values are sorted instead


@njit(cache=True)
def quintile_edges(values, out):
    """np.quantile(values, QUINTILES) of integer values, bit for bit (numpy's 'linear'
    method: the same order statistics, the same interpolation), by counting: a pass
    over the values instead of two partitions of a float copy."""
    m = values.size
    lo, hi = values.min(), values.max()
    if hi - lo < COUNTING_RANGE:
        cum = np.zeros(hi - lo + 1, dtype=np.int64)
        for v in values:
            cum[v - lo] += 1
        for j in range(1, cum.size):
            cum[j] += cum[j - 1]
    else:
        ordered = np.sort(values)
    for q in range(QUINTILES.size):
        virtual = (m - 1) * QUINTILES[q]
        below = m - 1 if virtual >= m - 1 else int(np.floor(virtual))
        above = m - 1 if virtual >= m - 1 else below + 1
        gamma = virtual - below if virtual < m - 1 else virtual + 1.0
        if hi - lo < COUNTING_RANGE:     # k-th smallest: first value counting past k
            a = float(lo + np.searchsorted(cum, below, side="right"))
            b = float(lo + np.searchsorted(cum, above, side="right"))
        else:
            a, b = float(ordered[below]), float(ordered[above])
        diff = b - a
        out[q] = b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma


@njit(cache=True, inline="always")
def _quintile(x, e0, e1, e2, e3):
    """0-4: how many quintile edges x exceeds (no branches)."""
    return (x > e0) + (x > e1) + (x > e2) + (x > e3)


@njit(cache=True, inline="always")
def _cell(idle, purchases, r0, r1, r2, r3, f0, f1, f2, f3):
    """(R, F) scores 0-4 of a buyer: recent is high, frequent is high (scalar edges: an
    inlined helper taking arrays would pay reference counting per customer)."""
    return 4 - _quintile(idle, r0, r1, r2, r3), _quintile(purchases, f0, f1, f2, f3)


NO_CELL = 25     # the cell of a customer who never bought


@njit(cache=True)
def _cells(lo, hi, day, last, purchases, r_edges, f_edges, out):
    """out[i - lo] = 5 R + F of every customer of [lo, hi) (NO_CELL: never bought), in a
    loop of its own: fused with the counting, the scores' int-to-float compares ran 3x
    slower (they do not vectorise there)."""
    r0, r1, r2, r3 = r_edges[0], r_edges[1], r_edges[2], r_edges[3]
    f0, f1, f2, f3 = f_edges[0], f_edges[1], f_edges[2], f_edges[3]
    for i in range(lo, hi):
        r, f = _cell(day - last[i], purchases[i], r0, r1, r2, r3, f0, f1, f2, f3)
        out[i - lo] = 5 * r + f if purchases[i] > 0 else NO_CELL


@njit(cache=True)
def _tally(grid, money, seg_map, grid_out, segments_out, revenue_out):
    """The chunks' cells summed in chunk order, then each segment's cells in row-major
    order: the sums numpy's `sum(axis=0)` and `[cells].sum()` give (fewer than 8 terms
    are added one after the other), without a dozen small numpy calls."""
    total = np.zeros((5, 5))
    for c in range(grid.shape[0]):
        for r in range(5):
            for f in range(5):
                grid_out[r, f] = grid_out[r, f] + grid[c, r, f] if c else grid[c, r, f]
                total[r, f] += money[c, r, f]
    for seg in range(segments_out.size):
        count, value = 0.0, 0.0
        for r in range(5):
            for f in range(5):
                if seg_map[r, f] == seg:
                    count += grid_out[r, f]
                    value += total[r, f]
        segments_out[seg] = count
        revenue_out[seg] = value


@njit(cache=True, parallel=True)
def _score(n, day, last, purchases, revenue, r_edges, f_edges, grid, money):
    """Count buyers per (R, F) cell and add up their revenue, per fixed chunk, in customer
    order (sums in chunk order)."""
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo, hi = c * CHUNK, min((c + 1) * CHUNK, n)
        cells = np.empty(hi - lo, dtype=np.uint8)
        _cells(lo, hi, day, last, purchases, r_edges, f_edges, cells)
        count = np.zeros(NO_CELL + 1, dtype=np.int64)
        value = np.zeros(NO_CELL + 1)
        for j in range(hi - lo):
            k = cells[j]
            count[k] += 1
            value[k] += revenue[lo + j]
        for k in range(NO_CELL):
            grid[c, k // 5, k % 5] = count[k]
            money[c, k // 5, k % 5] = value[k]
