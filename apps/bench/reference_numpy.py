"""Plain vectorised numpy implementation of the loyalty-funnel benchmark model (spec v1).

Why this exists: it is the independent reference against which the project's
engine (the ``bench_funnel`` preset) is checked *in distribution*, and the
baseline whose speed the benchmark reports as a ratio. It therefore shares no
code with the engine: it is written straight from the specification, with one
``np.random.default_rng(seed)`` stream, one numpy array per customer field
(sized for every arrival up front) and one vectorised pass per step per day.
Because the generator differs from the engine's counter-based streams, results
agree with the engine in distribution only, never bit for bit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = [
    "STAGES",
    "FunnelOutcome",
    "arrivals_per_day",
    "customer_days",
    "simulate_bench_funnel",
]

# --- model constants, one per line, as in the specification -------------------------

DAYS_PER_YEAR = 365  # acquisition brings N customers per 365 days
LAMBDA_SHAPE = 0.5  # r: purchase rate lambda ~ Gamma(r, rate alpha)
LAMBDA_RATE = 15.0  # alpha (mean lambda = 1/30 per day)
NU_SHAPE = 4.0  # q: spend rate nu ~ Gamma(q, rate gamma)
NU_RATE = 30.0  # gamma
SPEND_SHAPE = 6.0  # p: spend of one purchase x ~ Gamma(p, rate nu)
P_RESP = 0.10  # campaign response probability before fatigue
UPLIFT = 2.0  # U: a response multiplies the purchase probability by (1 + U)
FATIGUE_STEP = 0.05  # fatigue added per contact
FATIGUE_DECAY = 0.98  # fatigue multiplier per day
CAMPAIGN_EVERY = 7  # campaign on days with t % 7 == 0
LAPSE_WINDOW = 90  # days without purchase after which a buyer is lapsed
LOYALTY_DISCOUNT = 0.05  # d: loyal customers pay x * (1 - d)

STAGES = ("potential", "new", "repeat", "loyal", "lapsed", "churned")
POTENTIAL, NEW, REPEAT, LOYAL, LAPSED, CHURNED = range(len(STAGES))

# Indexed by stage code. Churned gets 0 for both: it is absorbing, and a zero hazard
# means the churn draw can never fire for it again.
PURCHASE_MULT = np.array([0.2, 0.8, 1.0, 1.2, 0.3, 0.0])  # m_s
CHURN_HAZARD = np.array([0.002, 0.003, 0.0015, 0.002 * 0.5, 0.005, 0.0])  # h_s

# Stage of a customer with n purchases who is not lapsed, indexed by min(n, 4).
_STAGE_BY_N = np.array([POTENTIAL, NEW, REPEAT, REPEAT, LOYAL], dtype=np.int8)


@dataclass(frozen=True)
class FunnelOutcome:
    """What one run reports (the spec's "What to report", minus derived ratios)."""

    days: int
    initial_customers: int
    customer_days: int  # the spec's deterministic work metric
    daily_revenue: np.ndarray  # float64, length days
    stage_counts_end: dict[str, int]  # per stage at the end of day T-1, all arrivals
    not_churned_end: int
    wall_seconds: float  # build + simulate (imports excluded)

    @property
    def total_revenue(self) -> float:
        return float(self.daily_revenue.sum())

    @property
    def mean_daily_revenue(self) -> float:
        return float(self.daily_revenue.mean()) if self.days else 0.0

    @property
    def customer_days_per_second(self) -> float:
        return self.customer_days / self.wall_seconds if self.wall_seconds > 0 else float("inf")


def _cumulative_arrivals(customers: int, days: int) -> list[int]:
    """floor((t+1)·N/365) for t < days, as exact Python integers."""
    return [(t + 1) * customers // DAYS_PER_YEAR for t in range(days)]


def arrivals_per_day(customers: int, days: int = DAYS_PER_YEAR) -> np.ndarray:
    """a_t = floor((t+1)·N/365) − floor(t·N/365): integer spreading of N per year."""
    cum = np.array([0] + _cumulative_arrivals(customers, days), dtype=np.int64)
    return np.diff(cum)


def customer_days(customers: int, days: int = DAYS_PER_YEAR) -> int:
    """Σ_t (customers arrived by day t), churned included: the throughput denominator.

    Deterministic, so every implementation divides the same amount of work by its
    own wall time. For T = 365 it equals 365·N + Σ_t floor((t+1)·N/365).
    """
    if customers < 0 or days < 0:
        raise ValueError("customers and days must be non-negative")
    return days * customers + sum(_cumulative_arrivals(customers, days))


def simulate_bench_funnel(customers: int, days: int = DAYS_PER_YEAR, seed: int = 0) -> FunnelOutcome:
    """Run the benchmark model for ``days`` days and report the outcome.

    State is a struct of numpy arrays with one slot per customer that will ever
    arrive (ids in arrival order), so day ``t`` works on the contiguous prefix of
    customers arrived by then. Traits are drawn for all slots at build time; since
    draws are independent, this is the same distribution as drawing on arrival.

    Two shortcuts are unobservable and therefore faithful to the spec: fatigue
    decay / increments are also applied to churned customers (their fatigue is
    never read again), and uniform draws are also made for churned customers and
    then ignored (draws are independent, so discarding some changes nothing).
    """
    if customers < 0 or days < 0:
        raise ValueError("customers and days must be non-negative")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)

    # --- build ----------------------------------------------------------------------
    arrived_by = [customers + c for c in _cumulative_arrivals(customers, days)]
    size = arrived_by[-1] if days else customers
    lam = rng.gamma(LAMBDA_SHAPE, 1.0 / LAMBDA_RATE, size)  # rate -> numpy scale
    nu = rng.gamma(NU_SHAPE, 1.0 / NU_RATE, size)
    spend_scale = 1.0 / nu  # x ~ Gamma(p, rate nu) = Gamma(p, scale 1/nu)
    stage = np.full(size, POTENTIAL, dtype=np.int8)
    n_purchases = np.zeros(size, dtype=np.int32)
    last = np.full(size, -1, dtype=np.int32)  # -1: no purchase yet (read only if n > 0)
    fatigue = np.zeros(size, dtype=np.float64)
    daily_revenue = np.zeros(days, dtype=np.float64)

    # --- simulate ---------------------------------------------------------------------
    for t in range(days):
        _simulate_day(t, arrived_by[t], rng, lam, spend_scale,
                      (stage, n_purchases, last, fatigue), daily_revenue)

    wall = time.perf_counter() - start
    counts = np.bincount(stage, minlength=len(STAGES))
    return FunnelOutcome(
        days=days,
        initial_customers=customers,
        customer_days=customer_days(customers, days),
        daily_revenue=daily_revenue,
        stage_counts_end={name: int(c) for name, c in zip(STAGES, counts)},
        not_churned_end=int(size - counts[CHURNED]),
        wall_seconds=wall,
    )


def _simulate_day(t, a, rng, lam, spend_scale, state, daily_revenue) -> None:
    """Day ``t`` for the ``a`` customers arrived by then, updating ``state`` in place.

    Kept apart from the build so each rule of the spec reads as one numbered step;
    the random draws are made in the spec's order, so a seed gives one outcome.
    """
    stage, n_purchases, last, fatigue = state
    s = stage[:a].copy()  # stage at the start of the day; every rule uses it
    f = fatigue[:a]  # views: in-place updates write the state
    n = n_purchases[:a]
    lst = last[:a]

    # 1. churn (h = 0 for already churned, so the draw never fires for them)
    churn = rng.random(a) < CHURN_HAZARD[s]
    live = (s != CHURNED) & ~churn  # customers that act today

    # 2. fatigue decay
    f *= FATIGUE_DECAY

    # 4. purchase probability from the start-of-day stage
    q = -np.expm1(-lam[:a] * PURCHASE_MULT[s])  # 1 - exp(-lambda * m_s)

    # 3. campaign: respond with p_resp * (1 - f), then f <- min(1, f + step)
    if t % CAMPAIGN_EVERY == 0:
        responded = rng.random(a) < P_RESP * (1.0 - f)
        np.minimum(f + FATIGUE_STEP, 1.0, out=f)
        q = np.where(responded, np.minimum(q * (1.0 + UPLIFT), 1.0), q)

    buyers = np.flatnonzero(live & (rng.random(a) < q))

    # 5. revenue, then n += 1, last = t
    if buyers.size:
        x = rng.gamma(SPEND_SHAPE, spend_scale[buyers])
        x[s[buyers] == LOYAL] *= 1.0 - LOYALTY_DISCOUNT
        daily_revenue[t] = x.sum()
        n[buyers] += 1
        lst[buyers] = t

    # 6. stage at the end of the day, from n and last
    new_stage = _STAGE_BY_N[np.minimum(n, 4)]
    new_stage[(n > 0) & (t - lst >= LAPSE_WINDOW)] = LAPSED
    new_stage[~live] = CHURNED
    stage[:a] = new_stage
