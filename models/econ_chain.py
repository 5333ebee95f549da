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

from models.econ_kernel import MAX_JUMP, N_STAGES, run_kernel


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


FLOWS = ("revenue", "margin", "purchases", "first", "active", "alive",
         "died_premature",   # buyers who churned prematurely in the step
         "died_natural",     # buyers whose need ended
         "buyer_days")       # alive buyers x days at risk


def priced(out, paid, margin) -> np.ndarray:
    """A run's flows (steps, FLOWS, V) from its outputs (steps, V, N_OUT: orders by
    stage first) at the variants' prices `paid`, `margin` (V, 7)."""
    orders = out[..., :N_STAGES]
    return np.stack([(orders * paid).sum(axis=-1), (orders * margin).sum(axis=-1),
                     orders.sum(axis=-1), *np.moveaxis(out[..., N_STAGES:], -1, 0)], axis=1)


def _split(jumps):
    """Weights of count + 1..MAX_JUMP matching a mean of `jumps` purchases."""
    jumps = np.clip(np.nan_to_num(jumps, nan=1.0), 1.0, MAX_JUMP)
    low = np.floor(jumps)
    frac = jumps - low
    return [np.where(low == m, 1.0 - frac, 0.0) + np.where(low == m - 1, frac, 0.0)
            for m in range(1, MAX_JUMP + 1)]


def lead_coefs(t: Tables, inp, dt):
    """The step of a lead (no purchase yet), kept apart: leads have no silence or stage."""
    l_stay, l_buy, l_after, l_days = step_odds(t.hazard[:, None, 0], inp.lead_q, dt,
                                               t.hazard[:, None, t.stage_a[0, 0]],
                                               inp.q_a[:, :, 0, 0, 0])
    l_jumps = np.clip(l_days / np.maximum(l_buy + l_after, 1e-300), 1.0, MAX_JUMP)
    l_keep = np.where(t.contract[None, :], 1.0, (1.0 - t.pdrop) ** (l_jumps - 1.0))
    return np.array([l_stay, *(l_buy * l_keep * s for s in _split(l_jumps)),
                     l_buy * (1.0 - l_keep) + l_after, l_days * inp.orders,
                     l_buy + l_after])


def stacked(t: Tables, inputs: list, days: list) -> tuple:
    """The distinct step inputs (StepInputs, each for steps of `days`) as the kernel
    reads them: arrays stacked along a first axis, the leads' coefficients beside."""
    V, J = t.pdrop.shape

    def stack(name, shape):
        return np.ascontiguousarray(np.stack([np.broadcast_to(getattr(i, name), shape)
                                              for i in inputs]))

    K = t.w_lapsed.shape[1]
    q_a, renew_a = (stack(n, inputs[0].q_a.shape) for n in ("q_a", "renew_a"))
    rest = [stack(n, (V, J, 1, 1, K)).reshape(-1, V, J, K)
            for n in ("q_l", "q_c", "renew_l", "renew_c")]
    lead = np.stack([lead_coefs(t, i, d) for i, d in zip(inputs, days)])
    return (q_a, rest[0], rest[1], renew_a, rest[2], rest[3], stack("orders", (V, J)),
            stack("jumps_r", (V, J, 1, 1, 1)).reshape(-1, V, J),
            np.asarray(days, dtype=np.float64), lead)


class Steps:
    """A chain's steps: each one's index among the distinct step inputs (made once
    each, by `make(e, season, renewals)`), its need survival and whether silence ages."""

    def __init__(self, make):
        self.make, self.keys, self.inputs, self.days = make, {}, [], []
        self.which, self.nats, self.ages = [], [], []

    def add(self, e, season, renewals, days, nat, age=True):
        key = (days, float(season), tuple(np.round(e, 12)))
        if key not in self.keys:
            self.keys[key] = len(self.inputs)
            self.inputs.append(self.make(e, season, renewals))
            self.days.append(days)
        self.which.append(self.keys[key])
        self.nats.append(nat)
        self.ages.append(age)


class Chain:
    """State (leads, buyers, dead) of one population and the rule that advances it."""

    def __init__(self, t: Tables, leads, buyers, dead):
        self.t = t                 # C order: one compiled signature of the kernel
        self.leads = np.array(leads, dtype=np.float64, order="C")     # (V, J)
        self.x = np.array(buyers, dtype=np.float64, order="C")        # (V, J, 2, C, K)
        self.dead = np.array(dead, dtype=np.float64, order="C")       # (V, J, K)

    def run(self, steps: Steps) -> np.ndarray:
        """Advance through `steps` (nat: the share whose need has not ended over a
        step; age False keeps silence where it is: the half step of a day's arrivals).
        Returns the outputs (steps, V, N_OUT: orders by stage, then FIRST.. of
        `econ_kernel`); `priced` makes them the flows."""
        t = self.t
        tab = (t.hazard, t.stage_a, bool(t.won_back), t.renewing, t.contract, t.pdrop,
               t.w_lapsed, t.w_churned)
        out, self.x, self.dead, self.leads = run_kernel(
            tab, stacked(t, steps.inputs, steps.days), np.asarray(steps.which, dtype=np.int64),
            np.asarray(steps.nats, dtype=np.float64), np.asarray(steps.ages, dtype=np.bool_),
            self.x, self.dead, self.leads, t.active_alive, t.active_dead)
        return out
