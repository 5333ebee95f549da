"""The loyalty-points posting kernel: enrol, earn, re-tier, expire and redeem in one pass.

It runs on posting days only, serially over all customers (cheap: a few simple steps
per customer), so its sums are in customer order and bit-identical whatever the thread
count. Draws come from counter-based streams: the enrolment draw is keyed by customer
alone, so membership is stable; the redemption draw by customer and day.

Rule per customer, in this order:
1. a non-member who has bought joins if its enrolment uniform is below the share, and
   otherwise declines for good (the draw is the same at every posting: it is not made
   again);
2. a member earns earn_rate x its level's earn multiplier points per currency of
   revenue paid since the last posting (revenue - spend, spend then = revenue);
3. its level becomes the highest whose minimum spend it has reached (level 0: below
   every tier, factors 1); a customer whose new level has other factors is listed in
   `moved`, with its old level in `was`: the mechanic hands the change of factors to
   the funnel (`Funnel.move_each`), which owns rel_buy and rel_churn;
4. a balance idle (days since the last purchase) beyond the expiry expires; otherwise an
   alive member holding at least one block redeems all whole blocks with the
   redemption probability.
"""

import numpy as np
from numba import njit

from models.stages import ALIVE
from sim.streams import mix, uniform32

# Customer arrays, in the order of the tuple `S` the kernel takes.
STATE_ORDER = ("kh", "flags", "purchases", "last", "revenue", "loyalty_tier",
               "loyalty_spend", "loyalty_balance")
# Scalar parameters (rows of `par`).
P_SHARE, P_EARN, P_BLOCK, P_REDEEM, P_EXPIRY, N_PAR = range(6)
# Level table columns; row 0 is the level below every tier, row k the k-th tier.
L_MIN_SPEND, L_EARN, L_BUY, L_CHURN, N_LEVEL = range(5)
# Stream keys (rows of `keys`).
K_ENROL, K_REDEEM, N_KEYS = range(3)
# `loyalty_tier` of customers outside the programme: not asked yet, or declined.
NOT_ASKED, DECLINED = -1, -2
# Outputs: flows of this posting, then stocks after it.
O_ENROLLED, O_EARNED, O_REDEEMED, O_EXPIRED, O_OUTSTANDING, O_HELD_LOST, N_OUT = range(7)


@njit(cache=True)
def post(day, n, keys, par, levels, S, out, members, moved, was):
    """One posting over customers [0, n); `members` gets the member count per level;
    returns m, the customers whose factors change, listed in moved[:m] (in customer
    order, with their old level in was[:m]; both hold at least n). Sums are kept in
    local variables (not in `out`, which would chain every customer through memory)
    and added in customer order."""
    kh, flags, purchases, last, revenue, tier, spend, balance = S
    members[:] = 0
    m = 0
    enrolled = earned = redeemed = expired = outstanding = held_lost = 0.0
    share, earn, block, redeem, expiry = (par[P_SHARE], par[P_EARN], par[P_BLOCK],
                                          par[P_REDEEM], par[P_EXPIRY])
    top = levels.shape[0] - 1
    for i in range(n):
        t = tier[i]
        if t < 0:
            if t == DECLINED or purchases[i] == 0:
                continue
            if uniform32(mix(kh[i] ^ keys[K_ENROL])) >= share:
                tier[i] = DECLINED
                continue
            t = 0
            tier[i] = 0
            enrolled += 1.0
        paid = np.float64(revenue[i]) - np.float64(spend[i])
        if paid > 0.0:
            points = paid * earn * levels[t, L_EARN]
            balance[i] += points
            earned += points
            spend[i] = revenue[i]
        new = t
        while new < top and spend[i] >= levels[new + 1, L_MIN_SPEND]:
            new += 1
        if new != t and (levels[new, L_BUY] != levels[t, L_BUY]
                         or levels[new, L_CHURN] != levels[t, L_CHURN]):
            moved[m] = i
            was[m] = t
            m += 1
        tier[i] = new
        b = balance[i]
        alive = (flags[i] & ALIVE) != 0
        if b > 0.0 and day - last[i] > expiry:
            expired += b
            b = 0.0
        elif alive and b >= block and uniform32(mix(kh[i] ^ keys[K_REDEEM])) < redeem:
            r = block * np.floor(b / block)
            redeemed += r
            b -= r
        balance[i] = b
        outstanding += b
        if not alive:
            held_lost += b
        members[new] += 1
    out[O_ENROLLED], out[O_EARNED], out[O_REDEEMED] = enrolled, earned, redeemed
    out[O_EXPIRED], out[O_OUTSTANDING], out[O_HELD_LOST] = expired, outstanding, held_lost
    return m
