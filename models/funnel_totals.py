"""The funnel's daily sums: arrivals counted in, chunk rows reduced into the series.

The day kernel keeps its sums per fixed chunk of customers; `close_day` adds them in
chunk order (so totals are bit-identical whatever the thread count) together with the
day's arrivals, and writes the flows, stocks and cohort cells: one call a day.
"""

from numba import njit

from models.funnel_kernel import cohort_of, month_of
from models.layouts import C_BUYERS, C_MARGIN, C_REVENUE
from models.stages import ALIVE, CHURNED, LAPSED, POTENTIAL


@njit(cache=True)
def count_arrivals(lo, hi, stage, flags, arrival, counts, cohort_size):
    """Add customers [lo, hi) to the (alive, stage) counts and the cohort sizes."""
    for i in range(lo, hi):
        counts[1 if (flags[i] & ALIVE) != 0 else 0, stage[i]] += 1
        cohort_size[cohort_of(arrival[i])] += 1.0


@njit(cache=True)
def close_day(day, n_customers, used, P):
    """Reduce the day's chunk rows (in chunk order, as numpy's sum over rows would) plus
    today's arrivals into the flows, the (alive, stage) counts, the stocks and the
    cohort cells of the month, then clear the arrivals' sums: one call a day.

    `P`: a `sim.pack.Pack` of the chunk rows (acc, chunk_counts, chunk_coh) and the
    totals (arrival_acc, flow_cols, flows, counts, active_stage, stocks, arrival_coh,
    coh_revenue, coh_margin, coh_buyers). Stock rows: the stages, then customers, alive,
    alive leads, active, lapsed but alive, churned but alive."""
    (acc, chunk_counts, chunk_coh), totals = P.items
    (arrival_acc, flow_cols, flows, counts, active_stage, stocks, arrival_coh, coh_revenue,
     coh_margin, coh_buyers) = totals
    for k in range(flow_cols.size):
        col = flow_cols[k]
        total = 0.0
        for c in range(used):
            total += acc[c, col]
        flows[k, day] = total + arrival_acc[col]
    for c in range(used):
        for a in range(2):
            for s in range(counts.shape[1]):
                counts[a, s] += chunk_counts[c, a, s]
    alive = 0
    active = 0
    for s in range(counts.shape[1]):
        stocks[s, day] = counts[0, s] + counts[1, s]
        alive += counts[1, s]
        if active_stage[s]:
            active += counts[0, s] + counts[1, s]
    n_stages = counts.shape[1]
    stocks[n_stages, day] = n_customers
    stocks[n_stages + 1, day] = alive
    stocks[n_stages + 2, day] = counts[1, POTENTIAL]
    stocks[n_stages + 3, day] = active
    stocks[n_stages + 4, day] = counts[1, LAPSED]
    stocks[n_stages + 5, day] = counts[1, CHURNED]
    month = month_of(day)
    for g in range(arrival_coh.shape[0]):
        r, m, b = 0.0, 0.0, 0.0
        for c in range(used):
            r += chunk_coh[c, g, C_REVENUE]
            m += chunk_coh[c, g, C_MARGIN]
            b += chunk_coh[c, g, C_BUYERS]
        coh_revenue[g, month] += r + arrival_coh[g, C_REVENUE]
        coh_margin[g, month] += m + arrival_coh[g, C_MARGIN]
        coh_buyers[g, month] += b + arrival_coh[g, C_BUYERS]
    arrival_acc[:] = 0.0
    arrival_coh[:, :] = 0.0
