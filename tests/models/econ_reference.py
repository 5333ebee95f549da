"""The economic model's step in plain numpy: the reference of `models.econ_kernel`.

This is the model's step as it was written before it was compiled, whole-grid array
expressions (`coefs_reference`: a step's transition; `step_reference`: one step of a
chain; `run_reference`: a chain through its `Steps`), kept to check the kernel
against. It shares with the kernel only the Tables, the step inputs and the leads'
coefficients (numpy in both).
"""

from dataclasses import dataclass

import numpy as np

from models.econ_chain import FLOWS, Tables, _split, lead_coefs, step_odds
from models.econ_kernel import MAX_JUMP
from models.stages import CHURNED, LAPSED


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
class Coefs:
    days: float
    stay: np.ndarray       # (V, J, W, C, K)
    died: np.ndarray
    flows: np.ndarray      # (4, V, J, W, C, K) revenue, margin, orders, dropout
    go: np.ndarray         # (2, MAX_JUMP, V, J, W, C, K) buyers by (group, jump)
    lead: np.ndarray       # as `econ_chain.lead_coefs`


def _parts(t: Tables, inp, V, W, C):
    """(hazard, q, renewal, share, paid, margin, group, h_after, q_after) of the
    active, lapsed and churned routes, broadcastable to (V, J, W, C, K)."""
    sa = t.stage_a.reshape(1, -1)

    def by_stage(table):
        return np.take_along_axis(table, np.broadcast_to(sa, (V, sa.size)), 1).reshape(
            V, 1, W, C, 1)

    hz = t.hazard[:, :, None, None, None, None]
    up = np.concatenate([t.stage_a[0, 1:], t.stage_a[0, -1:]])
    h_up = t.hazard[:, up].reshape(V, 1, 1, C, 1)
    h_back = t.hazard[:, t.stage_a[1]].reshape(V, 1, 1, C, 1)
    q_fresh = inp.q_a[..., :1]                     # just bought: silence 0
    q_up = np.concatenate([q_fresh[:, :, :1, 1:], q_fresh[:, :, :1, -1:]], axis=3)
    q_back = q_fresh[:, :, 1:2] if t.won_back else q_up
    back = 1 if t.won_back else 0
    cell = (slice(None), None, None, None, None)
    return ((by_stage(t.hazard), inp.q_a, inp.renew_a, 1.0 - t.w_lapsed, by_stage(t.paid),
             by_stage(t.margin), 0, h_up, q_up),
            (hz[:, LAPSED], inp.q_l, inp.renew_l, t.w_lapsed - t.w_churned,
             t.paid[:, LAPSED][cell], t.margin[:, LAPSED][cell], back, h_back, q_back),
            (hz[:, CHURNED], inp.q_c, inp.renew_c, t.w_churned, t.paid[:, CHURNED][cell],
             t.margin[:, CHURNED][cell], back, h_back, q_back))


def coefs_reference(t: Tables, inp, dt) -> Coefs:
    """The transition of one step of `dt` days under inputs `inp`."""
    V, J = t.pdrop.shape
    W, C = t.stage_a.shape
    shape = (V, J, W, C, t.w_lapsed.shape[1])
    ren = t.renewing[None, :, None, None, None]
    contract = t.contract[None, :, None, None, None]
    pd = t.pdrop[:, :, None, None, None]
    cancel = np.where(contract, pd, 0.0)
    ords = np.where(t.renewing[None, :], 1.0, inp.orders)[:, :, None, None, None]
    stay, died = np.zeros(shape), np.zeros(shape)
    flows = np.zeros((4,) + shape)
    go = np.zeros((2, MAX_JUMP) + shape)
    for h, q, r, w, paid, marg, group, h_after, q_after in _parts(t, inp, V, W, C):
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
    return Coefs(dt, stay, died, flows, go, lead_coefs(t, inp, dt))


def step_reference(state, t: Tables, c: Coefs, nat: float, age: bool) -> np.ndarray:
    """One step of `state` (leads, buyers, dead: replaced); returns its flows
    (FLOWS, V)."""
    leads, x, dead_in = state
    V, J, W, C, K = x.shape
    sums = lambda a: (a * x).sum(axis=(2, 4))                  # noqa: E731  (V, J, C)
    f = np.array([sums(a).sum(axis=-1) for a in c.flows])      # (4, V, J)
    died_k = (x * c.died).sum(axis=(2, 3))
    stay = x * c.stay
    new = np.zeros_like(x)
    if age:
        new[..., 1:] = stay[..., :-1]
        new[..., -1] += stay[..., -1]
    else:
        new += stay
    for g in range(2):
        for m in range(MAX_JUMP):
            shift_add(new[:, :, g, :, 0], sums(c.go[g, m]), m + 1)
    dead = np.zeros_like(dead_in)
    if age:
        dead[..., 1:] = dead_in[..., :-1] + died_k[..., :-1]
        dead[..., -1] += dead_in[..., -1] + died_k[..., -1]
    else:
        dead += dead_in + died_k
    dead[..., 0] += f[3]
    l_stay, l_go, (l_drop, l_ord, l_buy) = (
        c.lead[0], c.lead[1:1 + MAX_JUMP], c.lead[1 + MAX_JUMP:])
    l_rev, l_marg = l_ord * t.paid[:, None, 0], l_ord * t.margin[:, None, 0]
    for m, w in enumerate(l_go):
        new[:, :, 0, min(m, C - 1), 0] += leads * w
    dead[..., 0] += leads * l_drop
    lead_flows = np.array([(leads * v).sum(axis=1) for v in (l_rev, l_marg, l_ord, l_buy)])
    leads = leads * l_stay * nat
    premature = died_k.sum(axis=(1, 2)) + f[3].sum(axis=1)
    by_k = new.sum(axis=(2, 3))                                     # (V, J, K)
    ended = by_k.sum(axis=(1, 2)) * (1.0 - nat)
    dead += by_k * (1.0 - nat)
    new *= nat
    by_k = by_k * nat
    buyer_days = x.sum(axis=(1, 2, 3, 4)) * c.days
    state[:] = leads, new, dead
    active = ((by_k * t.active_alive).sum(axis=(1, 2))
              + (dead * t.active_dead).sum(axis=(1, 2)))
    out = (f[0].sum(axis=1) + lead_flows[0], f[1].sum(axis=1) + lead_flows[1],
           f[2].sum(axis=1) + lead_flows[2], lead_flows[3], active,
           by_k.sum(axis=(1, 2)) + leads.sum(axis=1), premature, ended, buyer_days)
    assert len(out) == len(FLOWS)
    return np.array(out)


def run_reference(chain, steps) -> np.ndarray:
    """`Chain.run` in numpy: flows (steps, FLOWS, V); the chain's state advanced."""
    coefs = [coefs_reference(chain.t, i, d) for i, d in zip(steps.inputs, steps.days)]
    state = [chain.leads, chain.x, chain.dead]
    out = [step_reference(state, chain.t, coefs[i], nat, age)
           for i, nat, age in zip(steps.which, steps.nats, steps.ages)]
    chain.leads, chain.x, chain.dead = state
    return np.array(out)
