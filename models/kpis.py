"""The base KPIs a CRM analyst asks for (README "Metrics"), as summary metrics of one run.

Every KPI is computed from the daily series and cohort matrices of `sim.results` (and,
for transactions per customer, the final `last` purchase day of each customer), so
they need no per-customer history. A KPI the run cannot show (no buyers, no deaths,
a horizon too short) is None.

Periods: a *year* is 365 days; a *month* is the simulator's cohort month (day d is in
month d*12//365, so 30.4 days on average), which keeps monthly KPIs aligned with the
cohort matrices. Only whole months enter monthly KPIs; the last month of a run that
ends mid-month is left out.

Latent churn is measured as a daily hazard of buyers (customers with at least one
purchase, latently alive): h = deaths / buyer-days at risk over the last 365 days of
the run (the whole run when it is shorter), where the buyers at risk on a day are the
buyers alive at its end plus those who died during it. From it:
retention = (1-h)^365, churn_rate = 1 - retention, lifecycle_length = 1/h (the mean of
the geometric lifetime a constant daily hazard implies).
"""

import math

import numpy as np

from models.analytic import clv_multiple

YEAR = 365
RETURNING = "new_returning_buyers"   # kernel flow for survival_rate (see survival_rate)

KPIS = (
    "inflow", "cac", "survival_rate", "churn_rate", "churn_rate_premature",
    "churn_rate_natural", "transactions_per_customer", "lifecycle_length", "drr",
    "crm_budget_per_customer", "margin_per_customer", "crm_budget_share", "ltv_observed",
    "ltv_projected", "items_per_check", "addon_revenue_share", "offer_discounts",
    "offer_discounts_anyway", "offer_buyers_anyway_share", "abandoned_carts",
)

LTV_COLUMNS = ("size", "months_observed", "ltv_observed", "yearly_margin", "ltv_projected")


def month_of(day):
    """Cohort month of a day (the kernel's rule: day * 12 // 365)."""
    return (np.asarray(day) * 12) // YEAR


def full_months(days: int) -> int:
    """Months of a `days`-long run that the run covers from first day to last."""
    return int(month_of(days))


def _series(results, name: str) -> np.ndarray:
    return results[name] if name in results else np.zeros(results.days)


def _total(results, name: str) -> float:
    return float(_series(results, "new_" + name).sum())


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den > 0 else None


def _window(days: int) -> slice:
    return slice(max(0, days - YEAR), days)


# ---- latent churn of buyers ---------------------------------------------------------


def buyer_hazard(results) -> tuple[float, float, float] | None:
    """Daily hazard of buyers (total, premature, natural) over the last year of the run.

    Buyers at risk on a day = live buyers at its end + buyers who died during it, so for
    a closed cohort this is the maximum-likelihood estimate deaths / days at risk.
    Natural deaths are those the kernel books as natural (a lead whose need ends counts
    there too, so with natural churn and many leads h_natural is a little high).
    None when the window holds no buyer-days.
    """
    w = _window(results.days)
    premature = float(results["new_churned_premature"][w].sum())
    natural = float(results["new_churned_natural"][w].sum())
    buyers = results["n_alive"][w] - results["n_alive_leads"][w]
    at_risk = float(buyers.sum()) + premature + natural
    if at_risk <= 0:
        return None
    return (premature + natural) / at_risk, premature / at_risk, natural / at_risk


def churn_rates(results) -> dict[str, float | None]:
    """Yearly latent churn of buyers, split by cause.

    churn_rate = 1 - (1-h)^365; each cause gets its share h_cause/h of it (competing
    constant hazards), so premature + natural = churn_rate exactly.
    """
    hz = buyer_hazard(results)
    if hz is None:
        return {"churn_rate": None, "churn_rate_premature": None, "churn_rate_natural": None}
    h, hp, hn = hz
    churn = 1.0 - (1.0 - h) ** YEAR
    return {"churn_rate": churn,
            "churn_rate_premature": churn * hp / h if h > 0 else 0.0,
            "churn_rate_natural": churn * hn / h if h > 0 else 0.0}


def annual_retention(results) -> float | None:
    """(1-h)^365: the share of buyers alive now who are still alive in a year."""
    hz = buyer_hazard(results)
    return None if hz is None else float((1.0 - hz[0]) ** YEAR)


def lifecycle_length(results) -> float | None:
    """Expected days a buyer stays alive, 1/h (None when no buyer died: h = 0)."""
    hz = buyer_hazard(results)
    return None if hz is None or hz[0] <= 0 else 1.0 / hz[0]


# ---- behaviour in the CRM's view --------------------------------------------------


def monthly(results, name: str) -> np.ndarray:
    """A daily flow summed by cohort month (the last month may be partial)."""
    days = results.days
    return np.bincount(month_of(np.arange(days)), weights=_series(results, name),
                       minlength=int(month_of(days - 1)) + 1)


def survival_rate(results) -> float | None:
    """Share of a month's buyers who buy again in the next month, pooled over the run.

    sum_m R[m] / sum_m B[m-1] over pairs of whole months (m >= 1), B[m] the distinct
    buyers of month m (column sums of `cohort_buyers`) and R[m] the buyers of month m
    who also bought in month m-1. R needs the kernel flow `new_returning_buyers` (a
    customer's first purchase in a month whose previous purchase fell in the month
    before); without it the rate is None. Month 0 is left out: the day-0 base's
    purchases before day 0 are not counted in B.
    """
    if RETURNING not in results or "cohort_buyers" not in results.matrices:
        return None
    full = full_months(results.days)
    if full < 2:
        return None
    buyers = results.matrices["cohort_buyers"].sum(axis=0)
    returning = monthly(results, RETURNING)
    return _ratio(float(returning[1:full].sum()), float(buyers[:full - 1].sum()))


def transactions_per_customer(results, last: np.ndarray) -> float | None:
    """Orders per buyer in the last 365 days: orders / distinct customers who bought.

    `last` is every customer's last purchase day at the end of the run. None for runs
    shorter than a year.
    """
    days = results.days
    if days < YEAR:
        return None
    orders = float(results["new_purchases"][days - YEAR:].sum())
    buyers = float(np.count_nonzero(np.asarray(last) >= days - YEAR))
    return _ratio(orders, buyers)


# ---- money -------------------------------------------------------------------------


def budget(results) -> dict[str, float | None]:
    """The CRM budget view: yearly margin per customer, and the CRM spend it carries.

    Per active customer (CRM stages new, repeat, loyal, won back; the run's daily
    average) per year: margin_per_customer and crm_budget_per_customer (realised CRM
    cost); crm_budget_share = crm cost / gross margin (the slice of margin spent).
    """
    years = results.days / YEAR
    active = float(results["n_active"].mean())
    margin = _total(results, "gross_margin")
    crm = _total(results, "crm_cost")
    return {"crm_budget_per_customer": _ratio(crm / years, active),
            "margin_per_customer": _ratio(margin / years, active),
            "crm_budget_share": _ratio(crm, margin)}


def ltv_by_cohort(results, discount_rate: float, retention: float | None) -> np.ndarray:
    """Per-customer margin of each cohort, observed to date and projected (LTV_COLUMNS).

    Row k is cohort k (0 = the day-0 base, k >= 1 = arrivals of month k-1):
    size; months_observed (whole months since its arrival month, inclusive);
    ltv_observed = its gross margin so far / size; yearly_margin = its margin per
    customer over the last (up to) 12 whole months after the arrival month, annualised
    (the base: any whole month); ltv_projected = ltv_observed + yearly_margin x
    r/(1+i-r), the Gupta-Lehmann multiple of the measured annual retention r at the
    scenario's discount rate i. NaN where a value cannot be shown.
    """
    margin = results.matrices["cohort_gross_margin"]
    size = results.matrices["cohort_size"]
    full = full_months(results.days)
    multiple = None
    if retention is not None and 1.0 + discount_rate - retention > 0:
        multiple = clv_multiple(retention, discount_rate)
    out = np.full((margin.shape[0], len(LTV_COLUMNS)), np.nan)
    for k in range(margin.shape[0]):
        n = float(size[k]) if k < len(size) else 0.0
        first = 0 if k == 0 else k - 1
        out[k, 0] = n
        out[k, 1] = max(0, full - first)
        if n <= 0:
            continue
        out[k, 2] = margin[k].sum() / n
        tail_start = 0 if k == 0 else first + 1
        tail = min(12, full - tail_start)
        if tail >= 1:
            out[k, 3] = margin[k, full - tail:full].sum() / n * 12.0 / tail
            if multiple is not None:
                out[k, 4] = out[k, 2] + out[k, 3] * multiple
    return out


def ltv_frame(results):
    """The `ltv_by_cohort` matrix of a summarised run as a DataFrame (one row a cohort)."""
    import pandas as pd

    frame = pd.DataFrame(results.matrices["ltv_by_cohort"], columns=list(LTV_COLUMNS))
    frame.insert(0, "cohort", np.arange(len(frame)))
    return frame


def ltv_summary(table: np.ndarray) -> dict[str, float | None]:
    """Size-weighted LTV of an acquired customer, observed and projected.

    Over the arrival cohorts whose yearly margin rests on 12 whole months after the
    arrival month; the day-0 base stands in when none does (and it has 12 whole months).
    """
    months_after = table[:, 1] - 1
    months_after[0] = table[0, 1]
    rows = [k for k in range(1, len(table)) if table[k, 0] > 0 and months_after[k] >= 12]
    if not rows and table[0, 0] > 0 and months_after[0] >= 12:
        rows = [0]
    if not rows:
        return {"ltv_observed": None, "ltv_projected": None}
    w = table[rows, 0]
    observed = float((table[rows, 2] * w).sum() / w.sum())
    projected = table[rows, 4]
    return {"ltv_observed": observed,
            "ltv_projected": None if np.isnan(projected).any()
            else float((projected * w).sum() / w.sum())}


# ---- all of them --------------------------------------------------------------------


def offers_and_baskets(results) -> dict[str, float | None]:
    """Basket and offer KPIs: items per order, the share of revenue from cross- and
    up-sold add-ons, the discounts offers and promos gave (and the part that went to
    buyers who would have bought anyway), the share of offer buyers who needed no
    offer, and the carts left unbought."""
    return {
        "items_per_check": _ratio(_total(results, "items"), _total(results, "purchases")),
        "addon_revenue_share": _ratio(_total(results, "addon_revenue"),
                                      _total(results, "revenue")),
        "offer_discounts": _total(results, "offer_discounts"),
        "offer_discounts_anyway": _total(results, "offer_discounts_anyway"),
        "offer_buyers_anyway_share": _ratio(_total(results, "offer_buyers_anyway"),
                                            _total(results, "offer_buyers")),
        "abandoned_carts": _total(results, "abandoned_carts"),
    }


def kpis(sim, discount_rate: float) -> dict[str, float | None]:
    """Every KPI of a finished run; stores the LTV table as results.matrices['ltv_by_cohort']."""
    r = sim.results
    c = sim.customers
    retention = annual_retention(r)
    table = ltv_by_cohort(r, discount_rate, retention)
    r.matrices["ltv_by_cohort"] = table
    r.meta["ltv_by_cohort_columns"] = LTV_COLUMNS
    out = {
        "inflow": _total(r, "arrivals") * YEAR / r.days,
        "cac": _ratio(_total(r, "acquisition_cost"), _total(r, "paid_arrivals")),
        "survival_rate": survival_rate(r),
        "transactions_per_customer": transactions_per_customer(r, c.last[: c.n]),
        "lifecycle_length": lifecycle_length(r),
        "drr": _ratio(_total(r, "crm_cost") + _total(r, "acquisition_cost"),
                      _total(r, "revenue")),
        **churn_rates(r),
        **budget(r),
        **ltv_summary(table),
        **offers_and_baskets(r),
    }
    return {k: (None if v is None or (isinstance(v, float) and not math.isfinite(v))
                else float(v)) for k, v in ((m, out[m]) for m in KPIS)}
