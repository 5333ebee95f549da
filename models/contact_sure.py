"""A campaign to everyone, sent in one pass without branches per block of customers.

Most sends of a campaign leave nothing to chance but the response; then each customer's
contact depends on their own state only, and the contact kernel hands the send here.
"""

import numpy as np
from numba import njit

from models.layouts import (
    CH_STEP, M_LIFT, M_OFFER_DAYS, M_RESPONSE, O_DELIVERED, O_RESPONSES, O_SENT,
    O_UNREACHABLE,
)
from models.responder_visits import after_response
from models.stages import ALIVE, EXPOSED
from sim.compress import listed_flags
from sim.prefetch import AHEAD, prefetch
from sim.streams import mix, uniform32

SURE_BLOCK = 4096    # customers swept at a time (their responders done before the next)


@njit(cache=True, inline="always")
def responded(boost, flags, offer_end, day, lift, offer_days):
    """(boost, flags, offer end) of a customer after a response: today's boost times
    `lift`, the exposure and, with `offer_days` > 0, the personal offer held until day +
    offer_days. Scalars: array arguments to an inlined helper would cost reference
    counting in the caller's loop."""
    if offer_days > 0:
        offer_end = max(offer_end, day + offer_days)
    return boost * lift, flags | EXPOSED, offer_end


@njit(cache=True)
def decay_factors(decay, td, day, out):
    """out[j] = the decay table's factor for the days since td[j] (the last entry beyond
    it). A loop of its own: an index read from memory leaves LLVM no bounds for the
    look-up, and that alone would keep the send's pass from vectorising. The days since
    are unsigned (no touch is after today), so the look-up has no wrap-around to test:
    a third faster."""
    top = np.uint64(decay.size - 1)
    for j in range(np.uint64(0), np.uint64(td.size)):
        out[j] = decay[min(np.uint64(np.int64(day) - np.int64(td[j])), top)]


@njit(cache=True)
def event_uniforms(k, key, out):
    """out[j] = the response uniform of key k[j]. A loop of its own: inside the send's
    pass the 64-bit hash did not vectorise (2 ns a customer, 0.4 ns here)."""
    for j in range(np.uint64(0), np.uint64(k.size)):
        out[j] = uniform32(mix(k[j] ^ key))


@njit(cache=True)
def block_scratch(decay):
    """A block's scratch: responders' indices, the hit flags, the decay factors and
    the response uniforms."""
    return (np.empty(SURE_BLOCK, dtype=np.int32), np.empty(SURE_BLOCK, dtype=np.uint8),
            np.empty(SURE_BLOCK, dtype=decay.dtype), np.empty(SURE_BLOCK, dtype=np.float32))


@njit(cache=True)
def deliver_sure(lo, hi, day, key, bit, S, C, V, decay, chan, mech, stage_bits, need_flags,
                 out):
    """`contact_kernel._deliver`'s send when only the response is left to chance (all
    delivered, read and relevant; no unsubscribe, cap, capacity or control group; a rule
    on stages and flags): one branch-free pass per block marks the responders and those
    touched beyond the decay table, done after it. The same draws: the same outcome."""
    kh, stage, flags, dtype, _, _, boost, p_hi, offer_end = S
    ek, lift_e, lists = V
    optin, fatigue, touch_day = C[0], C[1], C[2]
    offer_days = np.int32(mech[M_OFFER_DAYS])
    response, lift, step = mech[M_RESPONSE], np.float32(mech[M_LIFT]), chan[CH_STEP]
    top = decay.size - 1
    later, hit, dec, ub = block_scratch(decay)
    n_pick = n_sent = n_resp = 0
    for b in range(lo, hi, SURE_BLOCK):
        n = min(b + SURE_BLOCK, hi) - b
        k_b, st, fl, oi = kh[b:b + n], stage[b:b + n], flags[b:b + n], optin[b:b + n]
        fa, td = fatigue[b:b + n], touch_day[b:b + n]
        decay_factors(decay, td, day, dec)
        event_uniforms(k_b, key, ub)
        # Unsigned bounds: no negative-index wrap-around to test, so this vectorises.
        for j in range(np.uint64(0), np.uint64(n)):
            picked = ((stage_bits >> st[j]) & 1) & ((fl[j] & need_flags) == need_flags)
            sent = picked & ((oi[j] & bit) != 0)
            dt = day - td[j]
            near = dt <= top
            f = fa[j] * dec[j]
            respond = ub[j] < response * (1.0 - f)
            now = sent & near
            fa[j] = np.float32(min(1.0, f + step)) if now else fa[j]
            td[j] = day if now else td[j]
            hit[j] = (now & respond) | (sent & ~near)
            n_pick += picked
            n_sent += sent
        m = listed_flags(hit, n, b, later)
        for t in range(m):
            if t + AHEAD < m:   # the funnel's arrays of a responder further on
                prefetch((boost, p_hi, dtype), later[t + AHEAD])
            i = later[t]
            respond = True
            if touch_day[i] != day:     # beyond the table: decayed by a power
                dt = day - touch_day[i]
                f = fatigue[i] * decay[-1] ** (dt / top)
                touch_day[i] = day
                respond = uniform32(mix(kh[i] ^ key)) < response * (1.0 - f)
                fatigue[i] = min(1.0, f + step)
            if respond and (flags[i] & ALIVE) != 0:
                boost[i], flags[i], offer_end[i] = responded(boost[i], flags[i], offer_end[i],
                                                             day, lift, offer_days)
                p_hi[i] = after_response(i, uniform32(mix(kh[i] ^ ek)), day, offer_days,
                                         p_hi[i], boost[i], dtype[i], offer_end[i], lift_e,
                                         lists)
                n_resp += 1
    out[O_UNREACHABLE] += n_pick - n_sent
    out[O_SENT] += n_sent
    out[O_DELIVERED] += n_sent
    out[O_RESPONSES] += n_resp
