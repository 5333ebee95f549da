"""Plain-Python reference of the loyalty-points posting (models/loyalty_kernel.py),
written from its docstring like the other references: Python floats, float32 stores
rounded with F32, draws compared as float64 (numba promotes the float32 uniform)."""

from __future__ import annotations

import math

from kernel_reference import ALIVE, mix, uniform32

STATE_ORDER = ("kh", "flags", "purchases", "last", "revenue", "loyalty_tier",
               "loyalty_spend", "loyalty_balance")
P_SHARE, P_EARN, P_BLOCK, P_REDEEM, P_EXPIRY, N_PAR = range(6)
L_MIN_SPEND, L_EARN, L_BUY, L_CHURN, N_LEVEL = range(5)
K_ENROL, K_REDEEM, N_KEYS = range(3)
O_ENROLLED, O_EARNED, O_REDEEMED, O_EXPIRED, O_OUTSTANDING, O_HELD_LOST, N_OUT = range(7)


def draw(kh, key) -> float:
    return float(uniform32(mix(int(kh) ^ int(key))))


def post(day, n, keys, par, levels, S, lo=0) -> tuple[list[float], list[int], list[tuple]]:
    """One posting over customers [lo, n) of the dict of arrays S (changed in place);
    returns (outputs, member count per level, (customer, old level) of every member
    whose new level has other factors, in customer order)."""
    out = [0.0] * N_OUT
    members = [0] * len(levels)
    moved = []
    for i in range(lo, n):
        t = int(S["loyalty_tier"][i])
        if t < 0:
            if t == -2 or S["purchases"][i] == 0:       # declined, or not a buyer yet
                continue
            if draw(S["kh"][i], keys[K_ENROL]) >= par[P_SHARE]:
                S["loyalty_tier"][i] = -2
                continue
            t = 0
            out[O_ENROLLED] += 1.0
        paid = float(S["revenue"][i]) - float(S["loyalty_spend"][i])
        if paid > 0.0:
            points = paid * par[P_EARN] * levels[t][L_EARN]
            S["loyalty_balance"][i] = float(S["loyalty_balance"][i]) + points
            out[O_EARNED] += points
            S["loyalty_spend"][i] = S["revenue"][i]
        spend = float(S["loyalty_spend"][i])
        new = t
        while new + 1 < len(levels) and spend >= levels[new + 1][L_MIN_SPEND]:
            new += 1
        old_f = (levels[t][L_BUY], levels[t][L_CHURN])
        new_f = (levels[new][L_BUY], levels[new][L_CHURN])
        if old_f != new_f:
            moved.append((i, t))
        S["loyalty_tier"][i] = new
        b = float(S["loyalty_balance"][i])
        alive = (int(S["flags"][i]) & ALIVE) != 0
        block = par[P_BLOCK]
        if b > 0.0 and day - int(S["last"][i]) > par[P_EXPIRY]:
            out[O_EXPIRED] += b
            b = 0.0
        elif alive and b >= block and draw(S["kh"][i], keys[K_REDEEM]) < par[P_REDEEM]:
            r = block * float(math.floor(b / block))
            out[O_REDEEMED] += r
            b -= r
        S["loyalty_balance"][i] = b
        out[O_OUTSTANDING] += b
        if not alive:
            out[O_HELD_LOST] += b
        members[new] += 1
    return out, members, moved
