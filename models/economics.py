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


def from_scenario(sc, years: int = 3, variants=None):
    """The economic model of any validated scenario: yearly revenue, gross margin,
    active and alive customers per lever variant (`models.econ_model.Projection`),
    the simulator's process in expectation rather than these segment-level numbers
    (which a strategist enters by hand)."""
    from models.econ_model import Model, Variant

    return Model(sc, years).project(variants or (Variant(),))
