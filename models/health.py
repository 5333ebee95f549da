"""The health of a customer base as a CRM analyst reads it off the transaction log.

Everything is computed from purchase days (same-day orders merged) on or before the
report's end date, by calendar month. Definitions follow the simulator's KPIs where they
exist, so a calibrated run can be laid beside the log:

* survival rate: share of a month's buyers who buy again the next month, pooled over
  the pairs of whole months;
* churn rate: share of the buyers of the year before the last year who did not buy in
  the last year (windows of `window_days`, at most 365, half the log if it is shorter);
* transactions per customer, ARPPU: purchase days and revenue in the last window per
  customer who bought in it;
* lifecycle length: days from first to last purchase (observed so far; censored);
* RFM: recency, frequency and monetary value scored 1-5 by quintile of the buyers,
  segments named on the R x F grid as in the simulator's monthly snapshot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.segments import _MAP as SEGMENT_MAP
from models.segments import SEGMENTS


def _months(day: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _label(month: int) -> str:
    return str(np.datetime64(int(month), "M"))


def _mean(values) -> float | None:
    values = np.asarray(values, dtype=float)
    return float(values.mean()) if values.size else None


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def health_report(customer, day, value, orders, items, end_day: int) -> dict:
    """The health report (JSON-ready) of purchase days up to and including `end_day`."""
    keep = day <= end_day
    customer, day, value, orders = customer[keep], day[keep], value[keep], orders[keep]
    items = None if items is None else items[keep]
    starts = np.flatnonzero(np.concatenate(([True], customer[1:] != customer[:-1])))
    first_of = np.repeat(day[starts], np.diff(np.append(starts, day.size)))
    is_first = np.zeros(day.size, dtype=bool)
    is_first[starts] = True
    month = _months(day)
    cohort = _months(first_of)
    window = int(min(365, max(1, (end_day - int(day.min())) // 2)))
    report = {"end": str(np.datetime64(int(end_day), "D")), "window_days": window,
              "kpis": _kpis(customer, day, value, orders, items, starts, is_first, end_day,
                            window, month)}
    report["inflow_by_month"] = [
        {"month": _label(m), "new_customers": int(n)}
        for m, n in zip(*np.unique(cohort[is_first], return_counts=True))]
    report["cohorts"] = _cohorts(customer, month, cohort, value)
    report["rfm_segments"] = _rfm(customer, day, value, starts, end_day)
    return report


def _kpis(customer, day, value, orders, items, starts, is_first, end_day, window, month):
    purchases = np.diff(np.append(starts, day.size))
    last = day[np.append(starts[1:], day.size) - 1]
    recent = day > end_day - window
    before = (day > end_day - 2 * window) & ~recent
    was = np.unique(customer[before])
    still = np.isin(was, np.unique(customer[recent]))
    return {
        "customers": int(starts.size),
        "purchase_days": int(day.size),
        "orders": int(orders.sum()),
        "revenue": float(value.sum()),
        "one_time_share": float(np.mean(purchases == 1)),
        "avg_check_new": _mean(value[is_first]),
        "avg_check_repeat": _mean(value[~is_first]),
        "items_per_check": None if items is None else _ratio(items.sum(), orders.sum()),
        "transactions_per_customer": _ratio(recent.sum(), np.unique(customer[recent]).size),
        "arppu": _ratio(value[recent].sum(), np.unique(customer[recent]).size),
        "survival_rate": _survival(customer, month),
        "churn_rate": None if was.size == 0 or day.min() > end_day - 2 * window + 1
        else float(1.0 - still.mean()),
        "lifecycle_length_days": float(np.mean(last - day[starts])),
        "lifecycle_length_days_repeat_buyers": _mean((last - day[starts])[purchases > 1]),
    }


def _survival(customer, month) -> float | None:
    """Pooled share of month m's buyers who also buy in month m+1 (whole months)."""
    pairs = np.unique(np.stack([customer, month]), axis=1)
    months = np.unique(pairs[1])
    if months.size < 2:
        return None
    nxt = pd.MultiIndex.from_arrays([pairs[0], pairs[1] + 1])
    have = pd.MultiIndex.from_arrays([pairs[0], pairs[1]])
    inner = pairs[1] < months[-1]                      # the last month has no next
    again = nxt[inner].isin(have)
    return _ratio(again.sum(), inner.sum())


def _cohorts(customer, month, cohort, value) -> dict:
    """Cohort retention (share of the cohort buying in each month since acquisition)
    and the revenue layer cake (revenue by calendar month and cohort)."""
    frame = pd.DataFrame({"customer": customer, "month": month, "cohort": cohort,
                          "value": value})
    sizes = frame.groupby("cohort")["customer"].nunique()
    since = frame["month"] - frame["cohort"]
    active = frame.assign(since=since).groupby(["cohort", "since"])["customer"].nunique()
    share = (active / sizes.reindex(active.index.get_level_values(0)).to_numpy()).unstack()
    cake = frame.groupby(["month", "cohort"])["value"].sum().unstack(fill_value=0.0)
    return {
        "cohorts": [_label(c) for c in share.index],
        "sizes": [int(sizes[c]) for c in share.index],
        "retention": [[None if pd.isna(v) else float(v) for v in row]
                      for row in share.to_numpy()],
        "months": [_label(m) for m in cake.index],
        "layer_cake": {_label(c): [float(v) for v in cake[c]] for c in cake.columns},
    }


def _scores(values: np.ndarray, high_is_good: bool = True) -> np.ndarray:
    """1-5 by quintile of the buyers (ties share a score)."""
    edges = np.quantile(values, [0.2, 0.4, 0.6, 0.8])
    score = 1 + np.searchsorted(edges, values, side="left")
    return score if high_is_good else 6 - score


def _rfm(customer, day, value, starts, end_day) -> list[dict]:
    ends = np.append(starts[1:], day.size)
    recency = end_day - day[ends - 1]
    frequency = np.diff(np.append(starts, day.size))
    monetary = np.add.reduceat(value, starts) / frequency
    r, f = _scores(recency, high_is_good=False), _scores(frequency)
    m = _scores(monetary)
    segment = SEGMENT_MAP[r - 1, f - 1]
    out = []
    for k, name in enumerate(SEGMENTS):
        inside = segment == k
        if inside.any():
            out.append({"segment": name, "customers": int(inside.sum()),
                        "share": float(inside.mean()),
                        "recency_days": float(recency[inside].mean()),
                        "purchases": float(frequency[inside].mean()),
                        "monetary": float(monetary[inside].mean()),
                        "m_score": float(m[inside].mean())})
    return out
