"""A scenario in the economic model's terms: classes, stage tables, starting states.

Read from a validated scenario (duck-typed: models never import the schema). The
mechanics that act through the stage table (experience, loyalty discount) are
translated exactly, as the simulator applies them; the rest is `models.econ_mechanics`.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc

from models import traits as T
from models.econ_traits import classes
from models.season import season_curve
from models.stages import (
    BUY, CHURNED, COMPLEMENTARY, CONTRACTUAL, DEMAND_TYPES, HAZARD, IMPULSE, LAPSED, LOYAL,
    NEW, POTENTIAL, PRICE, RECURRENT, REPEAT, SITUATIONAL, SPEND, STAGES, WON_BACK,
    stage_table)

DAYS_PER_YEAR = 365
N_RATE, N_DROP = 8, 3            # classes of the purchase rate and of the dropout
SAMPLES = 128                    # quasi-random histories per stage of the day-0 base
HISTORY = STAGES[:WON_BACK]     # stages a day-0 history can end in (no win-back yet)


def encode(trait):
    if isinstance(trait, (int, float)):
        return T.encode(T.CONSTANT, float(trait))
    return trait.encode()


def mean_check(spend) -> float:
    return float(spend) if isinstance(spend, (int, float)) else float(spend.mean())


def step_days(sc) -> int:
    """Days per step: about a sixth of the lapse threshold (so silence is resolved
    finely where it matters), from a week to four weeks; never more than a contract
    period or half a complementary window."""
    d = sc.behaviour.demand
    dt = min(28, max(7, sc.funnel.lapsed_after_days // 6))
    if d.contractual is not None and d.contractual.share > 0:
        dt = min(dt, d.contractual.period_days)
    if d.complementary is not None and d.complementary.share > 0:
        dt = min(dt, max(1, d.complementary.window_days // 2))
    return dt


def stage_params(sc) -> np.ndarray:
    """The simulator's stage table with experience and loyalty discount applied."""
    tab = stage_table(sc.behaviour.stages)
    m = sc.mechanics
    exp, loy = getattr(m, "experience", None), getattr(m, "loyalty_discount", None)
    if exp is not None and exp.enabled:
        for s in exp.stages:
            tab[STAGES.index(s), HAZARD] *= exp.churn_multiplier
    if loy is not None and loy.enabled:
        for s in loy.stages:
            tab[STAGES.index(s), PRICE] *= 1.0 - loy.discount
            tab[STAGES.index(s), HAZARD] *= loy.churn_multiplier
    return tab


def _quasi(n: int, dims: int) -> np.ndarray:
    """n points of a low-discrepancy sequence in [0, 1)^dims (Roberts' R-sequence)."""
    g = 1.0
    for _ in range(30):
        g = (1.0 + g) ** (1.0 / (dims + 1))
    alpha = (1.0 / g) ** np.arange(1, dims + 1)
    return (0.5 + np.arange(1, n + 1)[:, None] * alpha) % 1.0


def histories(sc):
    """(weight, purchases, idle days at the end of day -1, tenure) of quasi-random alive
    base customers of every history stage, drawn as the acquisition kernel draws them
    (the dead of the base never buy nor count as active: left out)."""
    f, base = sc.funnel, sc.base
    lapsed = f.lapsed_after_days
    horizon = base.history_days
    churned = min(f.churned_after_days or 2**31 - 1, horizon)
    la = f.loyal_after_purchases
    out = []
    u0, u1, u2, u3 = _quasi(SAMPLES, 4).T
    for target in HISTORY:
        share = base.history.get(target, 0.0)
        if share <= 0:
            continue
        alive = np.ones(SAMPLES, dtype=bool)
        if target == "potential":
            n, idle, tenure = np.zeros(SAMPLES), np.zeros(SAMPLES), np.zeros(SAMPLES)
        elif target == "new":
            idle = np.floor(u0 * min(lapsed, horizon))
            n, tenure = np.ones(SAMPLES), idle + 1.0
        elif target in ("repeat", "loyal"):
            n = (2 + np.floor(u1 * max(1, la - 2)) if target == "repeat"
                 else la + np.floor(-la * np.log(1.0 - u1)))
            tenure = 1.0 + u0 * (horizon - 1.0)
            idle = np.floor(u2 * np.minimum(tenure, lapsed))
        else:
            n = 1 + np.floor(-2.0 * np.log(1.0 - u1))
            if target == "lapsed":
                idle = lapsed + np.floor(u0 * max(0.0, churned - lapsed))
                alive = u3 < base.lapsed_alive_share
            else:
                idle = churned + np.floor(u0 * max(0.0, horizon - churned))
                alive = u3 < base.churned_alive_share
            tenure = idle + u2 * np.maximum(0.0, horizon - idle)
        w = np.full(SAMPLES, share * base.customers / SAMPLES)
        out.append((w[alive], n[alive], idle[alive], tenure[alive]))
    if not out:
        return [np.zeros(0)] * 4
    return [np.concatenate(v) for v in zip(*out)]


@dataclass
class Classes:
    """Trait classes J = (demand type, rate class, dropout class), flattened."""

    kind: np.ndarray          # (J,) demand type
    rate: np.ndarray          # (J,) purchase rate per day (before the frequency lever)
    drop: np.ndarray          # (J,) dropout probability
    prior: np.ndarray         # (J,) share of an arriving customer
    kinds: list               # (kind, share, spec) of the demand types present


def _components(trait, n, tenure):
    """(a, b) of the base's posterior of a Gamma rate or Beta dropout given history."""
    kind, a, b = int(trait[0]), float(trait[1]), float(trait[2])
    x, has = np.maximum(n - 1.0, 0.0), n > 0
    if kind == T.GAMMA:
        return a + np.where(has, x, 0.0), b + np.where(has, tenure, 0.0)
    return np.full(n.shape, a), b + np.where(has, x, 0.0)


def _trait_classes(sc, trait, count, w, n, tenure):
    """(values, masses): masses has a row per base history and a last row, the prior."""
    arrivals = max(sc.acquisition.inflow_per_day * sc.horizon_days, 1e-9)
    if int(trait[0]) in (T.GAMMA, T.BETA):
        ca, cb = _components(trait, n, tenure)
        return classes(trait, count, (np.append(ca, trait[1]), np.append(cb, trait[2]),
                                      np.append(w, arrivals)))
    values, mass = classes(trait, count)
    return values, np.vstack([np.outer(w, mass[0]), mass[0] * arrivals])


def build(sc):
    """(Classes, the base's histories with their class masses) for `base_state`."""
    b = sc.behaviour
    hist = histories(sc)
    w, n, idle, tenure = hist
    rv, rm = _trait_classes(sc, encode(b.purchase_rate), N_RATE, w, n, tenure)
    dv, dm = _trait_classes(sc, encode(b.dropout), N_DROP, w, n, tenure)
    kinds = [(DEMAND_TYPES.index(k), v.share, v) for k, v in b.demand if v is not None
             and v.share > 0]
    prior = np.outer(rm[-1], dm[-1]).ravel()
    prior /= prior.sum()
    nrd = len(rv) * len(dv)
    cls = Classes(np.repeat([k for k, _, _ in kinds], nrd),
                  np.tile(np.repeat(rv, len(dv)), len(kinds)),
                  np.tile(dv, len(kinds) * len(rv)),
                  np.concatenate([s * prior for _, s, _ in kinds]), kinds)
    joint = (rm[:-1, :, None] * dm[:-1, None, :]).reshape(len(w), nrd)
    joint /= np.maximum(w, 1e-300)[:, None]      # each history's masses sum to its weight
    return cls, (w, n, idle, joint)


def base_state(sc, cls: Classes, base, dt: int, K: int, C: int):
    """(leads (J,), buyers (J, 2, C, K)) of the alive day-0 base."""
    w, n, idle, joint = base
    nrd = joint.shape[1]
    leads = np.zeros(len(cls.kind))
    buyers = np.zeros((len(cls.kind), 2, C, K))
    lead = n == 0
    c = np.clip(n.astype(int), 1, C) - 1
    for j0, (kind, share, spec) in enumerate(cls.kinds):
        sl = slice(j0 * nrd, (j0 + 1) * nrd)
        i = idle
        if kind == CONTRACTUAL:     # a paying subscriber paid within the current period
            i = np.where(idle < sc.funnel.lapsed_after_days, idle % spec.period_days, idle)
        k = np.minimum(i.astype(int) // dt, K - 1)
        leads[sl] += share * joint[lead].sum(axis=0)
        cells = np.zeros((C * K, nrd))
        np.add.at(cells, (c * K + k)[~lead], share * joint[~lead])
        buyers[sl, 0] += cells.reshape(C, K, nrd).transpose(2, 0, 1)
    return leads, buyers


def need_survival(sc, ages: np.ndarray, base: bool) -> np.ndarray:
    """Share whose need has not ended `ages` days after arrival (base: after day 0,
    their remaining need being a uniform share of a whole one)."""
    life = sc.behaviour.need_lifetime_days
    if life is None:
        return np.ones_like(ages, dtype=np.float64)
    t = encode(life)
    kind, a, b = int(t[0]), t[1], t[2]
    if kind == T.CONSTANT:
        lives, probs = np.array([a]), np.array([1.0])
    elif kind == T.UNIFORM:
        lives, probs = a + (b - a) * (np.arange(200) + 0.5) / 200, np.full(200, 1 / 200)
    else:
        qs = (np.arange(200) + 0.5) / 200
        grid = np.geomspace(a / b * 1e-3, a / b * 20, 4000)
        lives, probs = np.interp(qs, gammainc(a, b * grid), grid), np.full(200, 1 / 200)
    lives = np.maximum(1.0, np.ceil(lives))
    if base:
        return (probs * np.clip(1.0 - ages[:, None] / lives, 0.0, 1.0)).sum(axis=1)
    return (probs * (lives > ages[:, None])).sum(axis=1)


def season_by_step(sc, dt: int, steps: int) -> np.ndarray:
    """Mean situational intensity over each step's days (1 without situational demand)."""
    s = sc.behaviour.demand.situational
    if s is None or s.share == 0:
        return np.ones(steps)
    curve = season_curve(s, steps * dt)
    return curve.reshape(steps, dt).mean(axis=1)


