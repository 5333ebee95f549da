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


def renewal_odds(h, p, cancel, dt, h_after):
    """(stay, buy, died after buying, cancelled) of a step in which a due day comes with
    probability p (mid-step), bought unless the contract is cancelled."""
    half = (1.0 - h) ** (0.5 * dt)
    stay = (1.0 - h) ** dt * (1.0 - p)
    bought = half * p * (1.0 - cancel)
    after = (1.0 - h_after) ** (0.5 * dt)
    return stay, bought * after, bought * (1.0 - after), half * p * cancel


def shift_add(dest, src, m):
    """dest[..., c + m] += src[..., c], the overflow into the last count (loyal)."""
    if m <= 0:
        dest += src
        return
    dest[..., m:] += src[..., :-m]
    dest[..., -1] += src[..., -m:].sum(axis=-1)


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
    long as the step's inputs stay the same."""

    days: float
    stay: np.ndarray          # alive without a purchase
    died: np.ndarray          # premature death without a purchase
    rows: np.ndarray          # (V, J, C, 4 + moves, W x K): revenue, margin, orders,
                              # dropout after buying, then the buyers of each move
    moves: list               # (group: won back or not, m: count + m + 1) of the buyers
    lead: tuple               # leads' (stay, [go by m], dropout, revenue, margin, orders,
                              # buyers), each (V, J)


def _split(jumps):
    """Weights of count + 1..MAX_JUMP matching a mean of `jumps` purchases."""
    jumps = np.clip(np.nan_to_num(jumps, nan=1.0), 1.0, MAX_JUMP)
    low = np.floor(jumps)
    frac = jumps - low
    return [np.where(low == m, 1.0 - frac, 0.0) + np.where(low == m - 1, frac, 0.0)
            for m in range(1, MAX_JUMP + 1)]


def coefs(t: Tables, inp, days=None) -> Coefs:
    """The transition of one step of `days` (default dt) under inputs `inp`."""
    dt = t.dt if days is None else days
    V, J = t.pdrop.shape
    W, C = t.stage_a.shape
    K = t.w_lapsed.shape[1]
    shape = (V, J, W, C, K)
    sa = t.stage_a.reshape(1, -1)

    def by_stage(table):
        return np.take_along_axis(table, np.broadcast_to(sa, (V, sa.size)), 1).reshape(
            V, 1, W, C, 1)

    ren = t.renewing[None, :, None, None, None]
    contract = t.contract[None, :, None, None, None]
    pd = t.pdrop[:, :, None, None, None]
    cancel = np.where(contract, pd, 0.0)
    ords = np.where(t.renewing[None, :], 1.0, inp.orders)[:, :, None, None, None]
    hz = t.hazard[:, :, None, None, None, None]
    # the stage after a purchase: by the count one up, or won back
    up = np.concatenate([t.stage_a[0, 1:], t.stage_a[0, -1:]])
    h_up = t.hazard[:, up].reshape(V, 1, 1, C, 1)
    h_back = t.hazard[:, t.stage_a[1]].reshape(V, 1, 1, C, 1)
    q_fresh = inp.q_a[..., :1]                     # just bought: silence 0
    q_up = np.concatenate([q_fresh[:, :, :1, 1:], q_fresh[:, :, :1, -1:]], axis=3)
    q_back = q_fresh[:, :, 1:2] if t.won_back else q_up
    parts = ((by_stage(t.hazard), inp.q_a, inp.renew_a, 1.0 - t.w_lapsed, by_stage(t.paid),
              by_stage(t.margin), 0, h_up, q_up),
             (hz[:, LAPSED], inp.q_l, inp.renew_l, t.w_lapsed - t.w_churned,
              t.paid[:, LAPSED, None, None, None, None],
              t.margin[:, LAPSED, None, None, None, None], 1 if t.won_back else 0, h_back,
              q_back),
             (hz[:, CHURNED], inp.q_c, inp.renew_c, t.w_churned,
              t.paid[:, CHURNED, None, None, None, None],
              t.margin[:, CHURNED, None, None, None, None], 1 if t.won_back else 0, h_back,
              q_back))
    stay, died = np.zeros(shape), np.zeros(shape)
    flows = np.zeros((4,) + shape)
    go = np.zeros((2, MAX_JUMP) + shape)
    for h, q, r, w, paid, marg, group, h_after, q_after in parts:
        w = w[None, :, None, None, :]
        s_p, b_p, a_p, e_p = step_odds(h, q, dt, h_after, q_after)
        s_r, b_r, a_r, _ = renewal_odds(h, r, cancel, dt, h_after)
        p_stay = np.where(ren, s_r, s_p)
        p_buy = np.where(ren, b_r, b_p)
        p_after = np.where(ren, a_r, a_p)
        p_days = np.where(ren, (b_r + a_r) * inp.jumps_r, e_p)
        stay += w * p_stay
        died += w * (1.0 - p_stay - p_buy - p_after)
        orders = w * p_days * ords
        flows[0] += orders * paid
        flows[1] += orders * marg
        flows[2] += orders
        jumps = p_days / np.maximum(p_buy + p_after, 1e-300)
        keep = np.where(contract, 1.0, (1.0 - pd) ** np.clip(jumps, 1.0, None))
        flows[3] += w * (p_buy * (1.0 - keep) + p_after)
        for m, split in enumerate(_split(jumps)):
            go[group, m] += w * p_buy * keep * split
    rows, moves = _matrix_rows(flows, go, shape)
    return Coefs(dt, stay, died, rows, moves, _lead_coefs(t, inp, dt))


def _matrix_rows(flows, go, shape):
    """Flows and non-empty moves laid out (V, J, C, row, W x K).

    One batched matrix product then applies them all; moves that never happen are
    left out so the product does no work for them."""
    V, J, W, C, K = shape
    moves = [(g, m) for g in range(2) for m in range(MAX_JUMP) if go[g, m].any()]
    rows = np.concatenate([flows, np.array([go[g, m] for g, m in moves]).reshape(
        (len(moves),) + shape)])
    rows = np.ascontiguousarray(rows.transpose(1, 2, 4, 0, 3, 5)).reshape(
        V, J, C, len(rows), W * K)
    return rows, moves


def _lead_coefs(t: Tables, inp, dt):
    """The step of a lead (no purchase yet), kept apart: leads have no silence or stage."""
    l_stay, l_buy, l_after, l_days = step_odds(t.hazard[:, None, 0], inp.lead_q, dt,
                                               t.hazard[:, None, t.stage_a[0, 0]],
                                               inp.q_a[:, :, 0, 0, 0])
    l_jumps = np.clip(l_days / np.maximum(l_buy + l_after, 1e-300), 1.0, MAX_JUMP)
    l_keep = np.where(t.contract[None, :], 1.0, (1.0 - t.pdrop) ** (l_jumps - 1.0))
    l_orders = l_days * inp.orders
    return (l_stay, [l_buy * l_keep * s for s in _split(l_jumps)],
            l_buy * (1.0 - l_keep) + l_after, l_orders * t.paid[:, None, 0],
            l_orders * t.margin[:, None, 0], l_orders, l_buy + l_after)


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
        t, x = self.t, self.x
        V, J, W, C, K = x.shape
        xt = x.transpose(0, 1, 3, 2, 4).reshape(V, J, C, W * K, 1)
        sums = np.matmul(c.rows, xt)[..., 0].transpose(3, 0, 1, 2)     # (row, V, J, C)
        f = sums[:4].sum(axis=-1)
        died_k = (x * c.died).sum(axis=(2, 3))
        stay = x * c.stay
        new = np.zeros_like(x)
        if age:
            new[..., 1:] = stay[..., :-1]
            new[..., -1] += stay[..., -1]
        else:
            new += stay
        for (g, m), bought in zip(c.moves, sums[4:]):
            shift_add(new[:, :, g, :, 0], bought, m + 1)
        dead = np.zeros_like(self.dead)
        if age:
            dead[..., 1:] = self.dead[..., :-1] + died_k[..., :-1]
            dead[..., -1] += self.dead[..., -1] + died_k[..., -1]
        else:
            dead += self.dead + died_k
        dead[..., 0] += f[3]
        l_stay, l_go, l_drop, l_rev, l_marg, l_ord, l_buy = c.lead
        leads = self.leads
        lead_flows = np.zeros((4, V))
        if leads.any():
            for m, w in enumerate(l_go):
                if m == 0:
                    new[:, :, 0, 0, 0] += leads * w
                else:
                    shift_add(new[:, :, 0, :, 0], _at(leads * w, C, 0), m)
            dead[..., 0] += leads * l_drop
            lead_flows = np.array([(leads * v).sum(axis=1)
                                   for v in (l_rev, l_marg, l_ord, l_buy)])
            self.leads = leads * l_stay * nat
        premature = died_k.sum(axis=(1, 2)) + f[3].sum(axis=1)
        by_k = new.sum(axis=(2, 3))                                     # (V, J, K)
        ended = by_k.sum(axis=(1, 2)) * (1.0 - nat)
        if nat != 1.0:
            dead += by_k * (1.0 - nat)
            new *= nat
            by_k = by_k * nat
        buyer_days = x.sum(axis=(1, 2, 3, 4)) * c.days
        self.x, self.dead = new, dead
        active = ((by_k * t.active_alive).sum(axis=(1, 2))
                  + (dead * t.active_dead).sum(axis=(1, 2)))
        return Flows(f[0].sum(axis=1) + lead_flows[0], f[1].sum(axis=1) + lead_flows[1],
                     f[2].sum(axis=1) + lead_flows[2], lead_flows[3], active,
                     by_k.sum(axis=(1, 2)) + self.leads.sum(axis=1),
                     premature, ended, buyer_days)


def _at(values, size, index):
    """values (V, J) placed at `index` of a new trailing axis of `size`."""
    out = np.zeros(values.shape + (size,))
    out[..., index] = values
    return out
