"""Plain-Python reference of the arrival kernel (models/arrival_kernel.py): where a
day-0 base customer stands in its history, and the traits every arrival draws."""

from __future__ import annotations

import math

import numpy as np
from kernel_reference import (
    ALIVE,
    CONTRACTUAL,
    F32,
    FOREVER,
    LAPSED,
    LOYAL,
    NEVER,
    NEW,
    OVERDUE,
    P_CHURNED_AFTER,
    P_LAPSED_AFTER,
    P_LOYAL_AFTER,
    POTENTIAL,
    RECURRENT,
    REPEAT,
    due_pending,
    next_due,
    stage_of,
)
from stream_reference import beta, draw, gamma, mix, nth, uniform64

T_TYPE, T_RATE, T_SPEND, T_DROP, T_NEED, T_HIST, T_DUE = range(7)
H_DAYS, H_LAPSED_ALIVE, H_CHURNED_ALIVE = range(3)
TRAIT_GAMMA, TRAIT_BETA = 1, 2


def history(h, target, par, hist):
    """(purchases, last day, tenure, alive) of a base customer, as the kernel places it."""
    lapsed = float(par[P_LAPSED_AFTER])
    churned = min(float(par[P_CHURNED_AFTER]), float(hist[H_DAYS]))
    horizon = float(hist[H_DAYS])
    loyal_after = int(par[P_LOYAL_AFTER])
    u0, u1, u2, u3 = (uniform64(nth(h, k)) for k in range(4))
    if target == POTENTIAL:
        return 0, NEVER, 0.0, True
    if target == NEW:
        idle = int(u0 * min(lapsed, horizon))
        return 1, -1 - idle, idle + 1.0, True
    if target in (REPEAT, LOYAL):
        if target == REPEAT:
            n = 2 + int(u1 * max(1, loyal_after - 2))
        else:
            n = loyal_after + int(-loyal_after * math.log(1.0 - u1))
        tenure = 1.0 + u0 * (horizon - 1.0)
        idle = int(u2 * min(tenure, lapsed))
        return n, -1 - idle, tenure, True
    n = 1 + int(-2.0 * math.log(1.0 - u1))
    if target == LAPSED:
        idle = int(lapsed) + int(u0 * max(0.0, churned - lapsed))
        alive = u3 < hist[H_LAPSED_ALIVE]
    else:
        idle = int(churned) + int(u0 * max(0.0, horizon - churned))
        alive = u3 < hist[H_CHURNED_ALIVE]
    tenure = idle + u2 * max(0.0, horizon - idle)
    return n, -1 - idle, tenure, bool(alive)


def init_arrival(k, day, keys, target, with_history, rate_trait, spend_trait, drop_trait,
                 need_trait, has_need, share_cum, dem_tab, par, hist):
    """Traits (and history) of one arriving customer with key k; returns a dict."""
    k = int(k)
    keys = [int(x) for x in keys]
    u_type = uniform64(mix(k ^ keys[T_TYPE]))
    kind = 0
    while kind < len(share_cum) - 1 and u_type >= share_cum[kind]:
        kind += 1
    count, last_day, tenure, alive = 0, NEVER, 0.0, True
    if with_history:
        count, last_day, tenure, alive = history(mix(k ^ keys[T_HIST]), target, par, hist)
        period = int(dem_tab[CONTRACTUAL, 0])
        if kind == CONTRACTUAL and 0 <= -1 - last_day < par[P_LAPSED_AFTER]:
            last_day = -1 - (-1 - last_day) % period
    x = max(count - 1, 0)
    hr = mix(k ^ keys[T_RATE])
    if int(rate_trait[0]) == TRAIT_GAMMA and count > 0:
        lam = F32(gamma(hr, float(rate_trait[1]) + x, float(rate_trait[2]) + tenure))
    else:
        lam = F32(draw(hr, rate_trait))
    nu = F32(draw(mix(k ^ keys[T_SPEND]), spend_trait))
    hd = mix(k ^ keys[T_DROP])
    if int(drop_trait[0]) == TRAIT_BETA and count > 0 and alive:
        pdrop = F32(beta(hd, float(drop_trait[1]), float(drop_trait[2]) + x))
    else:
        pdrop = F32(draw(hd, drop_trait))
    need_end = FOREVER
    if has_need:
        life = draw(mix(k ^ keys[T_NEED]), need_trait)
        if with_history:
            life *= uniform64(nth(mix(k ^ keys[T_NEED]), 7))
        need_end = int(min(FOREVER - 1.0, day + max(1.0, float(np.ceil(life)))))
    due = FOREVER
    flags = ALIVE if alive else 0
    if count > 0 and kind in (RECURRENT, CONTRACTUAL):
        d = next_due(mix(k ^ keys[T_DUE]), kind, last_day, lam, dem_tab, par)
        if d < day or day - 1 - last_day >= par[P_LAPSED_AFTER]:
            flags |= OVERDUE    # a need passed unbought (or the history says lapsed)
        if d < day:
            span = d - last_day
            d = day + int(uniform64(nth(mix(k ^ keys[T_DUE]), 9)) * span)
        due = d
    pending = due_pending(kind, count, flags, due, day - 1)
    return {"dtype": kind, "purchases": count, "last": last_day, "lam": lam, "nu": nu,
            "pdrop": pdrop, "need_end": need_end, "due": due,
            "flags": flags, "tenure": tenure,
            "stage": stage_of(count, last_day, day - 1, POTENTIAL, False, pending, par)}


def profile_arrival(k, day, keys, kind, row, rate_trait, drop_trait, dem_tab, par):
    """What `apply_profiles` gives a base customer of profile `row` (purchases, days since
    the last, days since the first purchase): alive with the BG/NBD posterior
    probability, then the posterior traits and its place in the funnel; a dict."""
    k = int(k)
    keys = [int(x) for x in keys]
    count, idle, tenure = int(row[0]), float(row[1]), float(row[2])
    x = count - 1
    if x <= 0:
        dead = -math.inf
    else:
        if int(drop_trait[0]) == TRAIT_BETA:
            dead = math.log(drop_trait[1]) - math.log(drop_trait[2] + x - 1.0)
        else:
            p = float(drop_trait[1])
            dead = -math.inf if p <= 0 else math.inf if p >= 1 else math.log(p / (1 - p))
        if int(rate_trait[0]) == TRAIT_GAMMA:
            r, alpha = float(rate_trait[1]), float(rate_trait[2])
            dead += (r + x) * (math.log(alpha + tenure) - math.log(alpha + tenure - idle))
        else:
            dead += float(rate_trait[1]) * idle
    u = uniform64(nth(mix(k ^ keys[T_HIST]), 5))
    alive = u * (1.0 + (math.exp(dead) if dead < 700 else math.inf)) < 1.0
    hr = mix(k ^ keys[T_RATE])
    if int(rate_trait[0]) == TRAIT_GAMMA:
        lam = F32(gamma(hr, float(rate_trait[1]) + x, float(rate_trait[2]) + tenure))
    else:
        lam = F32(draw(hr, rate_trait))
    hd = mix(k ^ keys[T_DROP])
    if int(drop_trait[0]) == TRAIT_BETA and alive:
        pdrop = F32(beta(hd, float(drop_trait[1]), float(drop_trait[2]) + x))
    else:
        pdrop = F32(draw(hd, drop_trait))
    last_day = -1 - int(idle)
    due = None
    flags = ALIVE if alive else 0
    if kind in (RECURRENT, CONTRACTUAL):
        d = next_due(mix(k ^ keys[T_DUE]), kind, last_day, lam, dem_tab, par)
        if d < day or day - 1 - last_day >= par[P_LAPSED_AFTER]:
            flags |= OVERDUE    # a need passed unbought (or the history says lapsed)
        if d < day:
            d = day + int(uniform64(nth(mix(k ^ keys[T_DUE]), 9)) * (d - last_day))
        due = d
    pending = due_pending(kind, count, flags, FOREVER if due is None else due, day - 1)
    return {"purchases": count, "last": last_day, "lam": lam, "pdrop": pdrop,
            "flags": flags, "due": due,
            "stage": stage_of(count, last_day, day - 1, POTENTIAL, False, pending, par)}
