"""Summary metrics of one run: the numbers a strategist compares across strategies.

Everything is computed from the daily series, the cohort matrices and the final
customer state, so the same definitions serve the CLI, the Python API and tests.
Money is in the scenario's currency; `None` marks a metric the horizon cannot show
(e.g. a 365-day LTV in a 6-month run).
"""

import math

import numpy as np

from models import kpis
from models.analytic import clv_multiple
from models.uplift import measured_uplift
from models.stages import FIRST_IN_RUN

METRICS = (
    "revenue", "gross_margin", "crm_cost", "acquisition_cost", "contribution", "purchases",
    "new_customers", "active_customers_end", "alive_customers_end", "churned_premature",
    "churned_natural", "one_time_share", "repeat_rate", "avg_check_new", "avg_check_repeat",
    "arppu", "discounts", "retention_rate", "ltv_365", "customer_equity",
    *kpis.KPIS,
)


def _total(results, name: str) -> float:
    return float(results["cum_" + name][-1]) if "cum_" + name in results else 0.0


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def annual_retention(results) -> float | None:
    """Measured share of live buyers who stay alive over a year (last year of the run).

    Daily deaths of buyers over buyer-days at risk gives a daily hazard h; retention is
    (1 - h) ** 365 (see `models.kpis.buyer_hazard`).
    """
    return kpis.annual_retention(results)


def ltv_365(results) -> float | None:
    """Gross margin per customer in the first 12 months after acquisition.

    Averaged (size-weighted) over the inflow cohorts whose first 12 months the run
    observes in full; the day-0 base stands in when no inflow cohort qualifies.
    """
    margin = results.matrices["cohort_gross_margin"]
    size = results.matrices["cohort_size"]
    n_months = kpis.full_months(results.days)     # whole months only
    total, count = 0.0, 0.0
    for row in range(1, margin.shape[0]):
        first = row - 1
        if size[row] > 0 and first + 12 <= n_months:
            total += margin[row, first:first + 12].sum()
            count += size[row]
    if count == 0 and size[0] > 0 and n_months >= 12:
        total, count = margin[0, :12].sum(), size[0]
    return total / count if count > 0 else None


def customer_equity(results, discount_rate: float) -> float:
    """Discounted contribution over the horizon plus the discounted value of the base left.

    The base left at the end is valued at its last-year margin times the Gupta-Lehmann
    multiple r / (1 + i - r), r the measured annual retention.
    """
    days = results.days
    daily = (results["new_gross_margin"] - results["new_acquisition_cost"]
             - (results["new_crm_cost"] if "new_crm_cost" in results else 0.0))
    factor = (1.0 + discount_rate) ** (-np.arange(1, days + 1) / 365.0)
    equity = float((daily * factor).sum())
    r = annual_retention(results)
    if r is not None:
        window = slice(max(0, days - 365), days)
        yearly_margin = results["new_gross_margin"][window].sum() * 365.0 / min(days, 365)
        equity += float(yearly_margin * clv_multiple(r, discount_rate) * factor[-1])
    return equity


def summarize(sim, discount_rate: float) -> dict[str, float | None]:
    r = sim.results
    c = sim.customers
    n = c.purchases[: c.n]
    buyers = int((n >= 1).sum())
    first_in_run = (c.flags[: c.n] & FIRST_IN_RUN) != 0
    out = {
        "revenue": _total(r, "revenue"),
        "gross_margin": _total(r, "gross_margin"),
        "crm_cost": _total(r, "crm_cost"),
        "acquisition_cost": _total(r, "acquisition_cost"),
        "purchases": _total(r, "purchases"),
        "new_customers": _total(r, "first_purchases"),
        "active_customers_end": float(r["n_active"][-1]),
        "alive_customers_end": float(r["n_alive"][-1]),
        "churned_premature": _total(r, "churned_premature"),
        "churned_natural": _total(r, "churned_natural"),
        "one_time_share": _ratio(float((n == 1).sum()), buyers),
        "repeat_rate": _ratio(float((n[first_in_run] >= 2).sum()), float(first_in_run.sum())),
        "avg_check_new": _ratio(_total(r, "revenue_first"), _total(r, "first_purchases")),
        "avg_check_repeat": _ratio(_total(r, "revenue_repeat"), _total(r, "repeat_purchases")),
        "arppu": _ratio(_total(r, "revenue"), float((c.revenue[: c.n] > 0).sum())),
        "discounts": _total(r, "discounts"),
        "retention_rate": annual_retention(r),
        "ltv_365": ltv_365(r),
        "customer_equity": customer_equity(r, discount_rate),
    }
    out["contribution"] = out["gross_margin"] - out["crm_cost"] - out["acquisition_cost"]
    out.update(kpis.kpis(sim, discount_rate))
    names = list(METRICS)
    for name, value in control_group_uplifts(sim).items():
        out[name] = value
        names.append(name)
    return {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            for k, v in ((m, out[m]) for m in names)}


def control_group_uplifts(sim) -> dict[str, float | None]:
    """`uplift_<mechanic>` (revenue per treated minus per held-out customer), its 90%
    interval `_lo`/`_hi` and `_treated` (customers treated: per treated times treated is
    the measured total), for every mechanic that keeps a control group."""
    out = {}
    for m in sim.modules:
        holdout = getattr(getattr(m, "params", None), "holdout_share", 0.0)
        if holdout > 0:
            u = measured_uplift(sim, m.name, holdout)
            for suffix, key in (("", "uplift"), ("_lo", "lo"), ("_hi", "hi"),
                                ("_treated", "treated")):
                out[f"uplift_{m.name}{suffix}"] = None if u is None else u[key]
    return out

