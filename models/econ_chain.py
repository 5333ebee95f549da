"""The economic model's state machine: the simulator's customer process in expectation.

Customers are followed as masses, not individuals, over a grid of states:
(variant, trait class, won back or not, purchase count, weeks of silence), advanced
`dt` days at a time. Within a step a customer faces the day's premature hazard, buys
with the day's probability (Poisson-like demand), or on a need or renewal day
(recurrent and contractual demand, from the distribution of the time since the last
purchase), may drop out after a repeat purchase; the stage (new, repeat, loyal, won
back, lapsed, churned) follows from count and silence as the simulator's stage rule
says, so the stage tables, the lapse and churn thresholds and the won-back path act
as they do there. Each bucket of silence holds customers whose silence is spread
evenly over its days; the share of a bucket past a threshold during the next step
gets that stage's parameters (the blend is exact for the threshold, approximate in
the order of events within a step).

A step works on arrays of a few thousand cells, for all variants (the baseline and the
leverage steps) at once, in the compiled loops of `models.econ_kernel`.
"""

from dataclasses import dataclass

import numpy as np

from models.econ_kernel import MAX_JUMP, coefs_kernel, step_kernel


@dataclass
class Tables:
    """The static part of one scenario's chain (V variants, J classes, C counts, K
    buckets of silence); see `models.econ_scenario` for how each is built."""

    dt: int
    renewing: np.ndarray      # (J,) bool: recurrent or contractual (buys on due days)
    contract: np.ndarray      # (J,) bool
    pdrop: np.ndarray         # (V, J) dropout after a repeat purchase / cancellation
    hazard: np.ndarray        # (V, 7) daily premature hazard by stage
    paid: np.ndarray          # (V, 7) revenue per order by stage
    margin: np.ndarray        # (V, 7) gross margin per order by stage
    stage_a: np.ndarray       # (2, C) stage of the active share by (won back, count)
    w_lapsed: np.ndarray      # (J, K) share of a bucket lapsed during the next step
    w_churned: np.ndarray     # (J, K) share churned
    active_alive: np.ndarray  # (J, K) share of a bucket active at the end of a step
    active_dead: np.ndarray   # (J, K)
    won_back: bool            # a lapsed or churned buyer comes back as 'won back'


def step_odds(h, q, dt, h_after, q_after):
    """(stay, buy, died after buying, purchases) over dt days of daily hazard h and buy
    probability q, each day the hazard first, then the purchase; after the first
    purchase the next stage's hazard h_after and buy probability q_after: stay = alive
    without a purchase; buy = bought and alive at the end of the step."""
    x = (1.0 - h) * (1.0 - q)
    y = 1.0 - h_after
    stay = x ** dt
    any_buy = np.where(x < 1.0, (1.0 - h) * q * (1.0 - stay) / np.maximum(1.0 - x, 1e-300),
                       0.0)
    close = np.abs(y - x) < 1e-9
    buy = (1.0 - h) * q * np.where(close, dt * x ** (dt - 1.0),
                                   (y ** dt - stay) / np.where(close, 1.0, y - x))
    # first purchase on day d (x^(d-1) (1-h) q), then q_after on each live day after it
    # (y^j, j = 1..dt-d): sum over d of x^(d-1) (1 + q_after y (1 - y^(dt-d)) / (1 - y))
    ye = np.minimum(y, 1.0 - 1e-9)                  # no hazard: the limit, dt - d days
    s1 = np.where(x < 1.0, (1.0 - stay) / np.maximum(1.0 - x, 1e-300), dt)
    close_e = np.abs(ye - x) < 1e-9
    s2 = np.where(close_e, dt * x ** (dt - 1.0),
                  (ye ** dt - stay) / np.where(close_e, 1.0, ye - x))
    purchases = (1.0 - h) * q * (s1 + q_after * ye / (1.0 - ye) * (s1 - s2))
    return stay, buy, any_buy - buy, purchases


@dataclass
class Flows:
    """One step's flows and end-of-step stocks, summed over classes, per variant."""

    revenue: np.ndarray
    margin: np.ndarray
    purchases: np.ndarray
    first: np.ndarray
    active: np.ndarray
    alive: np.ndarray
    died_premature: np.ndarray   # buyers who churned prematurely in the step
    died_natural: np.ndarray     # buyers whose need ended
    buyer_days: np.ndarray       # alive buyers x days at risk


@dataclass
class Coefs:
    """A step's transition coefficients per cell (V, J, 2, C, K), built once for as
    long as the step's inputs stay the same (layout: `models.econ_kernel`)."""

    days: float
    stay: np.ndarray          # alive without a purchase
    died: np.ndarray          # premature death without a purchase
    rows: np.ndarray          # (V, J, C, W x K, N_ROWS): revenue, margin, orders,
                              # dropout after buying, then the buyers of each move
    used: np.ndarray          # (2 x MAX_JUMP,) bool: the moves that happen at all
    lead: np.ndarray          # (6 + MAX_JUMP, V, J) leads' stay, go by m, dropout,
                              # revenue, margin, orders, buyers


def _split(jumps):
    """Weights of count + 1..MAX_JUMP matching a mean of `jumps` purchases."""
    jumps = np.clip(np.nan_to_num(jumps, nan=1.0), 1.0, MAX_JUMP)
    low = np.floor(jumps)
    frac = jumps - low
    return [np.where(low == m, 1.0 - frac, 0.0) + np.where(low == m - 1, frac, 0.0)
            for m in range(1, MAX_JUMP + 1)]


def coefs(t: Tables, inp, days=None) -> Coefs:
    """The transition of one step of `days` (default dt) under inputs `inp`."""
    dt = float(t.dt if days is None else days)
    V, J = t.pdrop.shape
    stay, died, rows, used = coefs_kernel(
        dt, t.hazard, t.paid, t.margin, t.stage_a, bool(t.won_back), t.renewing,
        t.contract, t.pdrop, t.w_lapsed, t.w_churned, inp.q_a, inp.q_l, inp.q_c,
        inp.renew_a, inp.renew_l, inp.renew_c, np.broadcast_to(inp.orders, (V, J)).copy(),
        inp.jumps_r.reshape(V, J))
    return Coefs(dt, stay, died, rows, used, lead_coefs(t, inp, dt))


def lead_coefs(t: Tables, inp, dt):
    """The step of a lead (no purchase yet), kept apart: leads have no silence or stage."""
    l_stay, l_buy, l_after, l_days = step_odds(t.hazard[:, None, 0], inp.lead_q, dt,
                                               t.hazard[:, None, t.stage_a[0, 0]],
                                               inp.q_a[:, :, 0, 0, 0])
    l_jumps = np.clip(l_days / np.maximum(l_buy + l_after, 1e-300), 1.0, MAX_JUMP)
    l_keep = np.where(t.contract[None, :], 1.0, (1.0 - t.pdrop) ** (l_jumps - 1.0))
    l_orders = l_days * inp.orders
    return np.array([l_stay, *(l_buy * l_keep * s for s in _split(l_jumps)),
                     l_buy * (1.0 - l_keep) + l_after, l_orders * t.paid[:, None, 0],
                     l_orders * t.margin[:, None, 0], l_orders, l_buy + l_after])


class Chain:
    """State (leads, buyers, dead) of one population and the rule that advances it."""

    def __init__(self, t: Tables, leads, buyers, dead):
        self.t = t
        self.leads = np.array(leads, dtype=np.float64)      # (V, J)
        self.x = np.array(buyers, dtype=np.float64)         # (V, J, 2, C, K)
        self.dead = np.array(dead, dtype=np.float64)        # (V, J, K)

    def step(self, c: Coefs, nat: float = 1.0, age: bool = True) -> Flows:
        """Advance one step with coefficients `c`; nat: the share whose need has not
        ended over the step; age=False keeps silence where it is (the half step of a
        day's arrivals)."""
        self.x, self.dead, self.leads, out = step_kernel(
            self.x, self.dead, self.leads, c.stay, c.died, c.rows, c.used, c.lead,
            float(nat), bool(age), float(c.days), self.t.active_alive, self.t.active_dead)
        return Flows(*out)
