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

Everything is a few numpy operations per step on arrays of a few thousand cells, for
all variants (the baseline and the leverage steps) at once.
"""

from dataclasses import dataclass

import numpy as np

from models.stages import CHURNED, LAPSED

MAX_JUMP = 4        # most purchases a customer may add to the count within one step


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


def step_odds(h, q, dt):
    """(stay, buy, purchase days) over dt days of daily hazard h and buy probability q:
    each day the hazard first, then the purchase; stay = alive without a purchase."""
    x = (1.0 - h) * (1.0 - q)
    stay = x ** dt
    buy = np.where(x < 1.0, (1.0 - h) * q * (1.0 - stay) / np.maximum(1.0 - x, 1e-300), 0.0)
    live = np.where(h > 0, (1.0 - h) * (1.0 - (1.0 - h) ** dt) / np.maximum(h, 1e-300), dt)
    return stay, buy, q * live


def renewal_odds(h, p, cancel, dt):
    """(stay, buy, cancelled) of a step in which a due day comes with probability p
    (mid-step), bought unless the contract is cancelled (probability `cancel`)."""
    half = (1.0 - h) ** (0.5 * dt)
    stay = (1.0 - h) ** dt * (1.0 - p)
    return stay, half * p * (1.0 - cancel), half * p * cancel


def shift_add(dest, src, m):
    """dest[..., c + m] += src[..., c], the overflow into the last count (loyal)."""
    if m <= 0:
        dest += src
        return
    dest[..., m:] += src[..., :-m]
    dest[..., -1] += src[..., -m:].sum(axis=-1)


def add_buyers(dest, buyers, jumps):
    """Buyers (V, J, W, C) with a mean of `jumps` purchases in the step go to counts
    c + floor and c + floor + 1 (weights matching the mean)."""
    jumps = np.clip(np.nan_to_num(jumps, nan=1.0), 1.0, MAX_JUMP)
    low = np.floor(jumps)
    frac = jumps - low
    for m in range(1, MAX_JUMP + 1):
        w = np.where(low == m, 1.0 - frac, 0.0) + np.where(low == m - 1, frac, 0.0)
        if np.any(w > 0):
            shift_add(dest, buyers * w, m)


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


class Chain:
    """State (leads, buyers, dead) of one population and the rule that advances it."""

    def __init__(self, t: Tables, leads, buyers, dead):
        self.t = t
        self.leads = leads.copy()      # (V, J)
        self.x = buyers.copy()         # (V, J, 2, C, K)
        self.dead = dead.copy()        # (V, J, K)

    def step(self, inp, days=None, age=True):
        """Advance `days` (default dt) with the step's inputs `inp` (`StepInputs`);
        age=False keeps silence where it is (the half step of a day's arrivals)."""
        t = self.t
        dt = t.dt if days is None else days
        lead_q, orders, jumps_r, nat = inp.lead_q, inp.orders, inp.jumps_r, inp.nat
        x = self.x
        V, J, W, C, K = x.shape
        h_st = t.hazard[:, None, None, None, None, :]        # (V,1,1,1,1,7)
        h_a = np.take_along_axis(t.hazard[:, None, :], t.stage_a.reshape(1, 1, -1), 2)
        h_a = h_a.reshape(V, 1, W, C, 1)
        h_l = h_st[..., LAPSED]
        h_c = h_st[..., CHURNED]
        ren = t.renewing[None, :, None, None, None]
        pd = t.pdrop[:, :, None, None, None]
        cancel = np.where(t.contract[None, :, None, None, None], pd, 0.0)
        portions = []
        for h, q, r, w in ((h_a, inp.q_a, inp.renew_a, 1.0 - t.w_lapsed),
                           (h_l, inp.q_l, inp.renew_l, t.w_lapsed - t.w_churned),
                           (h_c, inp.q_c, inp.renew_c, t.w_churned)):
            s_p, b_p, e_p = step_odds(h, q, dt)
            s_r, b_r, c_r = renewal_odds(h, r, cancel, dt)
            stay = np.where(ren, s_r, s_p)
            buy = np.where(ren, b_r, b_p)
            days = np.where(ren, b_r * jumps_r, e_p)
            died = 1.0 - stay - buy
            portions.append((w[None, :, None, None, :], stay, buy, days, died))
        paid_a = np.take_along_axis(t.paid[:, None, :], t.stage_a.reshape(1, 1, -1), 2)
        marg_a = np.take_along_axis(t.margin[:, None, :], t.stage_a.reshape(1, 1, -1), 2)
        paid = (paid_a.reshape(V, 1, W, C, 1), t.paid[:, LAPSED, None, None, None, None],
                t.paid[:, CHURNED, None, None, None, None])
        marg = (marg_a.reshape(V, 1, W, C, 1), t.margin[:, LAPSED, None, None, None, None],
                t.margin[:, CHURNED, None, None, None, None])
        ords = np.where(t.renewing[None, :], 1.0, orders)[:, :, None, None, None]
        new = np.zeros_like(x)
        new_dead = np.zeros_like(self.dead)
        revenue, margin, purchases = np.zeros(V), np.zeros(V), np.zeros(V)
        stay_all = np.zeros_like(x)
        died_all = np.zeros_like(x)
        for p, (w, stay, buy, days, died) in enumerate(portions):
            mass = x * w
            stay_all += mass * stay
            died_all += mass * died
            o = mass * days * ords
            purchases += o.sum(axis=(1, 2, 3, 4))
            revenue += (o * paid[p]).sum(axis=(1, 2, 3, 4))
            margin += (o * marg[p]).sum(axis=(1, 2, 3, 4))
            bought = (mass * buy).sum(axis=(2, 4))                 # (V, J, C)
            jumps = (mass * days).sum(axis=(2, 4)) / np.maximum(bought, 1e-300)
            keep = np.where(t.contract[None, :, None], 1.0,
                            (1.0 - t.pdrop[:, :, None]) ** np.clip(jumps, 1.0, None))
            back = 1 if (p > 0 and t.won_back) else 0
            add_buyers(new[:, :, back, :, 0], bought * keep, jumps)
            new_dead[..., 0] += (bought * (1.0 - keep)).sum(axis=2)
        died_k = died_all.sum(axis=(2, 3))
        premature = died_k.sum(axis=(1, 2)) + new_dead[..., 0].sum(axis=1)
        if age:
            new[..., 1:] += stay_all[..., :-1]
            new[..., -1] += stay_all[..., -1]
            new_dead[..., 1:] += self.dead[..., :-1] + died_k[..., :-1]
            new_dead[..., -1] += self.dead[..., -1] + died_k[..., -1]
        else:
            new += stay_all
            new_dead += self.dead + died_k
        # leads: a Poisson-like first purchase at the potential stage's price
        l_stay, l_buy, l_days = step_odds(t.hazard[:, None, 0], lead_q, dt)
        first_orders = self.leads * l_days * orders
        revenue += (first_orders * t.paid[:, None, 0]).sum(axis=1)
        margin += (first_orders * t.margin[:, None, 0]).sum(axis=1)
        purchases += first_orders.sum(axis=1)
        l_bought = self.leads * l_buy
        l_jumps = np.clip(l_days / np.maximum(l_buy, 1e-300), 1.0, MAX_JUMP)
        l_keep = np.where(t.contract[None, :], 1.0, (1.0 - t.pdrop) ** (l_jumps - 1.0))
        counts = np.zeros((V, J, C + 1))       # slot 0: no purchase yet
        start = np.zeros_like(counts)
        start[..., 0] = l_bought * l_keep
        add_buyers(counts, start, np.broadcast_to(l_jumps[..., None], counts.shape))
        new[:, :, 0, :, 0] += counts[..., 1:]
        new_dead[..., 0] += l_bought * (1.0 - l_keep)
        self.leads = self.leads * l_stay * nat
        ended = new * (1.0 - nat)
        new *= nat
        new_dead += ended.sum(axis=(2, 3))
        buyer_days = self.x.sum(axis=(1, 2, 3, 4)) * dt
        self.x, self.dead = new, new_dead
        active = ((new * t.active_alive[None, :, None, None, :]).sum(axis=(1, 2, 3, 4))
                  + (new_dead * t.active_dead[None]).sum(axis=(1, 2)))
        alive = new.sum(axis=(1, 2, 3, 4)) + self.leads.sum(axis=1)
        return Flows(revenue, margin, purchases, l_bought.sum(axis=1), active, alive,
                     premature, ended.sum(axis=(1, 2, 3, 4)), buyer_days)
