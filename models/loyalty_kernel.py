"""The loyalty-points posting kernel: enrol, earn, re-tier, expire and redeem in one pass.

It runs on posting days only, over fixed chunks of customers in parallel (a posting is
a pass over the whole base: serial, it would hold every other thread at large sizes);
each chunk sums in customer order, the chunks' sums are added in chunk order, and the
members whose factors change are listed in customer order, so every result is
bit-identical whatever the thread count. Draws come from counter-based streams: the
enrolment draw is keyed by customer alone, so membership is stable; the redemption draw
by customer and day.

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
from numba import njit, prange

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


CHUNK = 16384      # customers a posting sums in order before the next chunk's


@njit(cache=True)
def post(day, n, keys, par, levels, S, out, members, moved, was, spread):
    """One posting over customers [0, n): `out` gets the outputs (O_*), `members` the
    member count per level; returns m, the customers whose factors change, listed in
    moved[:m] (in customer order, with their old level in was[:m]; both hold at least
    n). With `spread` (the caller has several threads) a base of several chunks is
    posted on every thread; either way, the same results."""
    n_chunks = max(1, (n + CHUNK - 1) // CHUNK)
    sums = np.zeros((n_chunks, N_OUT))
    counts = np.zeros((n_chunks, levels.shape[0]), dtype=np.int64)
    m = 0
    if n_chunks == 1 or not spread:
        for c in range(n_chunks):
            lo = c * CHUNK
            m += post_range(lo, min(lo + CHUNK, n), day, keys, par, levels, S, sums[c],
                            counts[c], moved[m:], was[m:])
    else:
        listed = np.zeros(n_chunks, dtype=np.int64)
        _post_chunks(n, day, keys, par, levels, S, sums, counts, listed, moved, was)
        for c in range(n_chunks):  # chunk c listed at moved[c * CHUNK:], and m <= c * CHUNK
            for t in range(c * CHUNK, c * CHUNK + listed[c]):
                moved[m], was[m] = moved[t], was[t]
                m += 1
    for k in range(N_OUT):
        out[k] = 0.0
        for c in range(n_chunks):
            out[k] += sums[c, k]
    for level in range(members.size):
        members[level] = counts[:, level].sum()
    return m


@njit(cache=True, parallel=True)
def _post_chunks(n, day, keys, par, levels, S, sums, counts, listed, moved, was):
    for c in prange(sums.shape[0]):
        lo = c * CHUNK
        listed[c] = post_range(lo, min(lo + CHUNK, n), day, keys, par, levels, S, sums[c],
                               counts[c], moved[lo:], was[lo:])


@njit(cache=True)
def post_range(lo, hi, day, keys, par, levels, S, out, members, moved, was):
    """The posting of customers [lo, hi): outputs to `out`, member counts to `members`;
    returns m, those whose factors change, listed in moved[:m] with their old level in
    was[:m]. Sums are kept in local variables (not in `out`, which would chain every
    customer through memory)."""
    kh, flags, purchases, last, revenue, tier, spend, balance = S
    m = 0
    enrolled = earned = redeemed = expired = outstanding = held_lost = 0.0
    share, earn, block, redeem, expiry = (par[P_SHARE], par[P_EARN], par[P_BLOCK],
                                          par[P_REDEEM], par[P_EXPIRY])
    top = levels.shape[0] - 1
    for i in range(np.uint64(lo), np.uint64(hi)):    # unsigned: no negative-index test
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
