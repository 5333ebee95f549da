"""The economic model: the instant, closed-form view a strategist plays with.

Yearly revenue = customers x transactions per customer x average check, summed over
funnel segments (the "plug in your numbers" view of CRM economics). A year-by-year Markov projection of the
segments shows the snowball (each year's survivors carry their revenue into the next
year, on top of the new arrivals), and `leverage` shows what one step of each lever
(retention, frequency, check, margin, inflow) does to revenue and customer equity.
No simulation: everything is a few matrix products, so it answers instantly.

Conventions (one year = 365 days, the simulator's):
- `customers` are counted at the start of a year; `transactions` are the purchases a
  customer counted at the start of the year makes during it on average, churn during
  the year included (so revenue needs no mid-year correction);
- a share `retention` of a segment is still alive at the start of the next year; a
  share `advance` of those survivors moves one rung up the ladder (segments in the
  order given: e.g. new -> repeat -> loyal); the last rung never advances;
- `inflow` customers arrive during each year and are counted from the start of the
  next one, in `inflow_to` (the first segment by default); their CAC is booked in the
  year they arrive;
- money of a year is discounted at the end of that year: factor (1 + i) ** -t.
"""

import math
from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np
from scipy import stats

from models.analytic import clv_multiple

DAYS_PER_YEAR = 365
PER_SEGMENT = {"transactions": (0, None), "check": (0, None), "gross_margin": (None, 1),
               "retention": (0, 1), "advance": (0, 1)}     # field -> (low, high)
LEVERS = {
    "retention": "+1 point of yearly retention in every segment",
    "frequency": "+1 purchase a year per customer in every segment",
    "check": "+1% average check",
    "margin": "+1 point of gross margin",
    "inflow": "+1% yearly inflow of new customers",
}


def _finite(name: str, value, low=None, high=None) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(v) or (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be finite and within [{-math.inf if low is None else low}"
                         f", {math.inf if high is None else high}] (got {value!r})")
    return v


@dataclass(frozen=True)
class EconomicInputs:
    """The strategist's numbers. Per-segment fields take one number or segment -> number.

    Limits: customers, transactions, check, inflow, cac, crm_cost, discount_rate >= 0;
    retention and advance within 0-1; gross_margin <= 1 (negative: a loss-making price).
    """

    customers: Mapping[str, float]               # segment -> customers at the start of year 1
    transactions: float | Mapping[str, float]    # purchases per customer per year
    check: float | Mapping[str, float]           # average order value (currency)
    gross_margin: float | Mapping[str, float]    # share of revenue kept (0-1)
    retention: float | Mapping[str, float]       # share alive at the start of the next year
    advance: float | Mapping[str, float] = 0.0   # share of survivors moving one rung up
    inflow: float = 0.0                          # new customers a year
    inflow_to: str | None = None                 # segment they join (default: the first)
    cac: float = 0.0                             # acquisition cost per arrival
    crm_cost: float = 0.0                        # CRM cost per customer per year
    discount_rate: float = 0.1                   # per year

    def __post_init__(self):
        if not isinstance(self.customers, Mapping) or not self.customers:
            raise ValueError(f"customers must map at least one segment to a count "
                             f"(got {self.customers!r})")
        segs = tuple(str(s) for s in self.customers)
        set_ = object.__setattr__
        set_(self, "customers", {str(s): _finite(f"customers[{s}]", v, 0)
                                 for s, v in self.customers.items()})
        for name, limits in PER_SEGMENT.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                if set(map(str, value)) != set(segs):
                    raise ValueError(f"{name} must give exactly the segments {list(segs)} "
                                     f"(got {list(value)})")
                value = {str(s): value[s] for s in value}
            else:
                value = {s: value for s in segs}
            set_(self, name, {s: _finite(f"{name}[{s}]", value[s], *limits) for s in segs})
        if self.advance[segs[-1]] != 0:
            raise ValueError(f"advance[{segs[-1]}] must be 0: the last segment has no rung "
                             f"above it (got {self.advance[segs[-1]]!r})")
        for name in ("inflow", "cac", "crm_cost", "discount_rate"):
            set_(self, name, _finite(name, getattr(self, name), 0))
        if self.inflow_to is not None and self.inflow_to not in segs:
            raise ValueError(f"inflow_to must be one of {list(segs)} (got {self.inflow_to!r})")

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.customers)

    @property
    def inflow_index(self) -> int:
        return self.segments.index(self.inflow_to or self.segments[0])

    def vector(self, name: str) -> np.ndarray:
        """A per-segment field (or customers) as an array in segment order."""
        d = getattr(self, name)
        return np.array([d[s] for s in self.segments], dtype=np.float64)

    def with_(self, **changes) -> "EconomicInputs":
        return replace(self, **changes)


@dataclass(frozen=True)
class Breakdown:
    by_segment: dict[str, float]
    total: float


def _by(inputs: EconomicInputs, values: np.ndarray) -> Breakdown:
    return Breakdown(dict(zip(inputs.segments, values.tolist())), float(values.sum()))


def _value_per_customer(inputs: EconomicInputs) -> np.ndarray:
    """Yearly revenue of one customer counted at the start of the year, by segment."""
    return inputs.vector("transactions") * inputs.vector("check")


def yearly_revenue(inputs: EconomicInputs) -> Breakdown:
    """Year-1 revenue: customers x transactions x check, by segment and in total."""
    return _by(inputs, inputs.vector("customers") * _value_per_customer(inputs))


def gross_margin(inputs: EconomicInputs) -> Breakdown:
    """Year-1 gross margin: revenue x margin, by segment."""
    return _by(inputs, inputs.vector("customers") * _value_per_customer(inputs)
               * inputs.vector("gross_margin"))


def contribution(inputs: EconomicInputs) -> float:
    """Year-1 gross margin less CRM cost of the base and CAC of the year's arrivals."""
    return (gross_margin(inputs).total - inputs.crm_cost * sum(inputs.customers.values())
            - inputs.cac * inputs.inflow)


def transition_matrix(inputs: EconomicInputs) -> np.ndarray:
    """A with customers(t+1) = A customers(t) + inflow: stay r(1-a), move up r a."""
    r, a = inputs.vector("retention"), inputs.vector("advance")
    m = np.diag(r * (1.0 - a))
    k = np.arange(len(r) - 1)
    m[k + 1, k] = (r * a)[:-1]
    return m


@dataclass(frozen=True)
class Projection:
    """Year-by-year results; row t-1 is year t. `customers` is counted at its start."""

    segments: tuple[str, ...]
    years: np.ndarray
    customers: np.ndarray              # (years, segments)
    revenue_by_segment: np.ndarray     # (years, segments)
    revenue: np.ndarray
    gross_margin: np.ndarray
    crm_cost: np.ndarray
    acquisition_cost: np.ndarray
    contribution: np.ndarray
    discount: np.ndarray               # (1 + i) ** -t

    @property
    def active(self) -> np.ndarray:
        """Customers (all segments) at the start of each year."""
        return self.customers.sum(axis=1)


def project(inputs: EconomicInputs, years: int) -> Projection:
    """The cohort Markov projection: each year's survivors plus the year's arrivals."""
    if int(years) != years or years < 1:
        raise ValueError(f"years must be a whole number >= 1 (got {years!r})")
    years = int(years)
    a, b = transition_matrix(inputs), np.zeros(len(inputs.segments))
    b[inputs.inflow_index] = inputs.inflow
    x = np.empty((years, len(inputs.segments)))
    x[0] = inputs.vector("customers")
    for t in range(1, years):
        x[t] = a @ x[t - 1] + b
    rev = x * _value_per_customer(inputs)
    margin = (rev * inputs.vector("gross_margin")).sum(axis=1)
    crm = inputs.crm_cost * x.sum(axis=1)
    acq = np.full(years, inputs.cac * inputs.inflow)
    t = np.arange(1, years + 1)
    return Projection(inputs.segments, t, x, rev, rev.sum(axis=1), margin, crm, acq,
                      margin - crm - acq, (1.0 + inputs.discount_rate) ** -t.astype(float))


def customer_equity(inputs: EconomicInputs, years: int | None = None) -> float:
    """Discounted contribution of current and future customers (Rust, Lemon, Zeithaml).

    Finite `years`: the sum over the projection. `None` (or inf): the closed form.
    With the ladder, the value of one customer counted in segment s at the start of a
    year solves V_s = (g_s + r_s a_s V_{s+1}) / (1 + i - rho_s), rho_s = r_s (1 - a_s)
    the share that stays, g_s its yearly contribution; 1/(1+i-rho) is
    (1 + m(rho, i)) / (1 + i), m the Gupta-Lehmann multiple rho/(1+i-rho), so each
    rung is a GL customer. Arrivals are worth V at arrival less CAC, a perpetuity:
    inflow (V_in - cac) / i.
    """
    if years is not None and not (isinstance(years, float) and math.isinf(years)):
        p = project(inputs, years)
        return float((p.contribution * p.discount).sum())
    i = inputs.discount_rate
    r, a = inputs.vector("retention"), inputs.vector("advance")
    g = _value_per_customer(inputs) * inputs.vector("gross_margin") - inputs.crm_cost
    v = np.zeros(len(r))
    for s in range(len(r) - 1, -1, -1):
        up = r[s] * a[s] * v[s + 1] if s + 1 < len(r) else 0.0
        v[s] = (g[s] + up) * (1.0 + clv_multiple(r[s] * (1.0 - a[s]), i)) / (1.0 + i)
    equity = float(inputs.vector("customers") @ v)
    per_year = inputs.inflow * (v[inputs.inflow_index] - inputs.cac)
    if per_year != 0.0:
        if i == 0:
            raise ValueError("discount_rate must be > 0 for the infinite-horizon equity of "
                             f"a constant inflow (got {i!r})")
        equity += per_year / i
    return equity


# ---- levers ----------------------------------------------------------------


def apply_lever(inputs: EconomicInputs, lever: str, steps: float = 1.0) -> EconomicInputs:
    """The inputs after `steps` steps of one lever (retention and margin capped at 1)."""
    pp = 0.01 * steps
    rules = {"retention": ("retention", lambda v: min(1.0, v + pp)),
             "frequency": ("transactions", lambda v: v + steps),
             "check": ("check", lambda v: v * (1 + pp)),
             "margin": ("gross_margin", lambda v: min(1.0, v + pp))}
    if lever == "inflow":
        return inputs.with_(inflow=inputs.inflow * (1 + pp))
    if lever not in rules:
        raise ValueError(f"lever must be one of {list(LEVERS)} (got {lever!r})")
    name, step = rules[lever]
    return inputs.with_(**{name: {s: step(v) for s, v in getattr(inputs, name).items()}})


@dataclass(frozen=True)
class Change:
    before: float
    after: float

    @property
    def absolute(self) -> float:
        return self.after - self.before

    @property
    def relative(self) -> float:
        """after / before - 1 (nan when before is 0)."""
        return self.after / self.before - 1.0 if self.before != 0 else math.nan


@dataclass(frozen=True)
class LeverEffect:
    lever: str
    description: str
    revenue_year1: Change
    revenue_years: Change      # cumulative revenue over the N years
    customer_equity: Change


def _outcomes(inputs, years, equity_years):
    p = project(inputs, years)
    return (float(p.revenue[0]), float(p.revenue.sum()),
            customer_equity(inputs, equity_years))


def leverage(inputs: EconomicInputs, years: int = 5,
             equity_years: int | None = None) -> dict[str, LeverEffect]:
    """What one step of each lever does to year-1 revenue, N-year revenue and equity.

    Equity is infinite-horizon by default (`equity_years=None`); pass a horizon when
    the discount rate is 0.
    """
    base, out = _outcomes(inputs, years, equity_years), {}
    for lever, text in LEVERS.items():
        new = _outcomes(apply_lever(inputs, lever), years, equity_years)
        out[lever] = LeverEffect(lever, text, *map(Change, base, new))
    return out


def retention_uplift(inputs: EconomicInputs, points: float = 5.0, years: int = 5) -> Change:
    """Annual revenue in year `years` before and after +`points` points of retention.

    The material claims "+5 points of retention -> +50-95% annual revenue"; this lets a
    user test that on their own numbers rather than take it as given.
    """
    before = project(inputs, years).revenue[-1]
    after = project(apply_lever(inputs, "retention", points), years).revenue[-1]
    return Change(float(before), float(after))


# ---- from a scenario ---------------------------------------------------------


def _require_homogeneous(sc) -> None:
    """ValueError naming the first field outside the case from_scenario can express."""
    b = sc.behaviour
    checks = [
        ("behaviour.purchase_rate", b.purchase_rate,
         isinstance(b.purchase_rate, (int, float)), "a constant"),
        ("behaviour.spend", b.spend, isinstance(b.spend, (int, float)), "a constant check"),
        ("behaviour.dropout", b.dropout, b.dropout == 0, "0 (use stage churn hazards)"),
        ("behaviour.need_lifetime_days", b.need_lifetime_days, b.need_lifetime_days is None,
         "null (no natural churn)")]
    checks += [(f"behaviour.demand.{k}.share", v.share, k == "poisson" or v.share == 0,
                "0 (only Poisson demand has a closed form)") for k, v in b.demand if v]
    checks += [(f"mechanics.{k}.enabled", True, False, "false")
               for k, v in sc.mechanics if v is not None and v.enabled]
    for name, value, ok, want in checks:
        if not ok:
            raise ValueError(f"{name} must be {want} for the economic model (got {value!r})")


def from_scenario(sc) -> EconomicInputs:
    """EconomicInputs of a validated Scenario in the homogeneous case.

    Requires a constant purchase rate and check, no dropout, no need lifetime, Poisson
    demand only and no mechanic on (ValueError otherwise). For each funnel stage s:
    - daily hazard h_s = min(1, churn_hazard_s x premature_churn_multiplier);
      yearly retention r_s = (1 - h_s) ** 365;
    - daily rate l_s = (purchase_rate + extra_purchases_per_year / 365) x buy_s;
      expected orders per live day e_s = 1 - exp(-l_s) (orders_per_day single) or l_s
      (poisson); each day a live customer first faces h_s, then buys, so
      transactions_s = e_s x sum_{d=1..365} (1 - h_s) ** d;
    - check_s = spend x spend_s x price_s x spend_multiplier (paid value);
      margin_s = (price_s - 1 + gross_margin) / price_s (margin on paid revenue);
    - advance: of the customers alive all year, the share buying at least k times in
      it (Binomial(365, 1 - exp(-l_s)) or Poisson(365 l_s) purchases): k = 1 from
      potential and new, loyal_after_purchases - 2 from repeat (as if just repeat).
    Segments: potential (if the base has leads or the inflow arrives as leads), new,
    repeat (if loyal_after_purchases > 2), loyal, then lapsed / churned for the alive
    share of those base stages (they never advance: the won-back path is not modelled).
    Inflow = inflow_per_day x 365 a year, counted from the next year (the simulator
    spreads it over the year and arrivals as `new` buy on arrival); cac = cac x
    paid_share; crm_cost = 0. The day-0 purchase of a fresh cohort is not counted.

    Exact (revenue and customers alive, in expectation) when every stage a customer
    passes through has the same buy, churn_hazard, spend and price, as in a one-stage
    model; the split by segment is an approximation (customers may skip a rung or
    lapse within a year), and so is everything when stage parameters differ.
    """
    _require_homogeneous(sc)
    b, lv, f = sc.behaviour, sc.levers, sc.funnel
    single = b.orders_per_day == "single"

    def stage(name):
        p = b.stages.get(name)
        return (1.0, 0.0, 1.0, 1.0) if p is None else (p.buy, p.churn_hazard, p.spend, p.price)

    hist, n = sc.base.history, sc.base.customers
    counts = {s: hist.get(s, 0.0) * n for s in ("potential", "new", "repeat", "loyal")}
    segs = ["new", "repeat", "loyal"] if f.loyal_after_purchases > 2 else ["new", "loyal"]
    leads_in = sc.acquisition.inflow_per_day > 0 and sc.acquisition.arrive_as == "potential"
    if counts["potential"] > 0 or leads_in:
        segs.insert(0, "potential")
    for name, alive in (("lapsed", sc.base.lapsed_alive_share),
                        ("churned", sc.base.churned_alive_share)):
        if hist.get(name, 0.0) * alive > 0:
            counts[name] = hist[name] * alive * n
            segs.append(name)
    out = {k: {} for k in ("transactions", "check", "gross_margin", "retention", "advance")}
    need = {"potential": 1, "new": 1, "repeat": max(1, f.loyal_after_purchases - 2)}
    for s in segs:
        buy, h, spend, price = stage(s)
        h = min(1.0, h * lv.premature_churn_multiplier)
        rate = (float(b.purchase_rate) + lv.extra_purchases_per_year / DAYS_PER_YEAR) * buy
        e = -math.expm1(-rate) if single else rate
        out["transactions"][s] = e * ((1.0 - h) ** np.arange(1, DAYS_PER_YEAR + 1)).sum()
        out["check"][s] = float(b.spend) * spend * price * lv.spend_multiplier
        out["gross_margin"][s] = (price - 1.0 + sc.economics.gross_margin) / price
        out["retention"][s] = (1.0 - h) ** DAYS_PER_YEAR
        k = need.get(s)             # loyal, lapsed and churned never advance
        if k is None:
            out["advance"][s] = 0.0
        elif single:
            out["advance"][s] = float(stats.binom.sf(k - 1, DAYS_PER_YEAR, -math.expm1(-rate)))
        else:
            out["advance"][s] = float(stats.poisson.sf(k - 1, DAYS_PER_YEAR * rate))
    acq = sc.acquisition
    return EconomicInputs(
        customers={s: counts[s] for s in segs}, **out,
        inflow=acq.inflow_per_day * DAYS_PER_YEAR,
        inflow_to="potential" if acq.arrive_as == "potential" and "potential" in segs else "new",
        cac=acq.cac * acq.paid_share, crm_cost=0.0,
        discount_rate=sc.economics.discount_rate_per_year)

