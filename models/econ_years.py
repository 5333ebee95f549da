"""Per-step flows and stocks of the economic model, summed and read off by year.

Steps need not divide a year, so a step straddling a year's end is shared between the
two years in proportion to its days, and stocks are read between the steps around it.
"""

import numpy as np

from models.econ_inputs import DAYS_PER_YEAR as YEAR


def yearly_figures(series, start, dt, years, horizon_days) -> tuple:
    """The fields of a `Projection`, in order, from the per-step `series`."""
    Y = years
    lo = np.arange(-(-YEAR * Y // dt)) * dt  # the model's steps
    ends = YEAR * np.arange(1, Y + 1)
    days = min(horizon_days, YEAR * Y)
    ends_all = np.append(ends, days)
    starts_all = np.append(ends - YEAR, 0)
    overlap = np.clip(np.minimum(lo[None, :] + dt, ends_all[:, None])
                      - np.maximum(lo[None, :], starts_all[:, None]), 0, dt) / dt
    flows = {k: overlap[:Y] @ v for k, v in series.items()}  # (Y, V)

    def stock(name, initial):
        full = np.vstack([initial, series[name]])              # row 0: before step 0
        x = ends_all / dt                                      # steps done by then
        i = np.minimum(np.floor(x).astype(int), len(full) - 2)
        w = (x - i)[:, None]
        return (full[i] * (1.0 - w) + full[i + 1] * w).T       # (V, Y + 1)

    last = overlap[Y - 1]
    deaths = last @ (series["died_premature"] + series["died_natural"])
    h = deaths / np.maximum(last @ series["buyer_days"], 1e-300)
    share = last @ series["died_premature"] / np.maximum(deaths, 1e-300)
    active, alive = stock("active", start[0]), stock("alive", start[1])
    horizon = {"days": days, "revenue": overlap[Y] @ series["revenue"],
               "gross_margin": overlap[Y] @ series["margin"], "active_end": active[:, Y]}
    return (flows["revenue"].T, flows["margin"].T, active[:, :Y], alive[:, :Y],
            flows["purchases"].T, flows["first"].T, (1.0 - h) ** YEAR, share, horizon)
