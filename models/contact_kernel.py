"""The contact kernel: one mechanic's messages through one channel, for every target.

A target is chosen by a rule (CRM stage, demand type, days since the last purchase,
days until the next need), is not in the mechanic's control group (a stable draw per
customer and mechanic), must be reachable (opted in to the channel) and under the
frequency cap, and within the channel's capacity today (a channel with limited
capacity, the call centre, reaches exactly as many as it can, a uniform random subset;
the others are dropped and nothing happens to them). A sent message costs money; it may
not arrive (deliverability), may not be noticed (open rate), and may be irrelevant to
the customer. Every delivered message tires the customer (irrelevant ones more); tired
customers respond less and unsubscribe more. A response lifts today's purchase
probability, counts as exposure to an offer, and forces the customer into the funnel's
exact pass.
"""

import numpy as np
from numba import njit, prange

from models.stages import ALIVE, EXPOSED
from sim.streams import mix, nth, uniform32, uniform64

# Channel parameters (rows of `chan`).
(CH_DELIVERABILITY, CH_OPEN, CH_UNSUBSCRIBE, CH_STEP, CH_IRRELEVANT_STEP, N_CH) = range(6)
# Mechanic parameters (rows of `mech`).
(M_RESPONSE, M_LIFT, M_RELEVANCE, M_HOLDOUT, M_CAP_PER_DAY, M_QUOTA, M_WANTED,
 N_MECH) = range(8)
# Counters returned by `deliver` (rows of `out`).
(O_SENT, O_DELIVERED, O_RESPONSES, O_UNSUBSCRIBES, O_UNREACHABLE, O_CAPPED, O_HOLDOUT,
 O_DROPPED, N_OUT) = range(9)
# Rule tables are indexed by min(days, RULE_DAYS - 1).
RULE_DAYS = 1024
CHUNK = 16384


@njit(cache=True, inline="always")
def rule_days(last, due, day):
    """(days since the last purchase, days until the next need), clamped to the rule
    tables: NEVER, a past due day and anything beyond the tables map to the last entry.
    Scalars only: array arguments to an inlined helper would cost reference counting."""
    since = min(np.int64(day) - np.int64(last), RULE_DAYS - 1)   # NEVER: far in the past
    until = min(np.uint64(np.int64(due) - np.int64(day)), np.uint64(RULE_DAYS - 1))
    return since, np.int64(until)        # a past due day wraps to a huge unsigned: clamped


@njit(cache=True)
def deliver_range(lo, hi, day, key, hold_key, bit, mbit, S, C, decay, chan, mech, rule,
                  out):
    """Contact the selected customers of [lo, hi); counters go to `out`."""
    kh, stage, flags, dtype, last, due, boost, p_hi = S
    optin, fatigue, touch_day, tokens, targeted = C
    stage_mask, kind_mask, since_ok, until_ok = rule
    cap = mech[M_CAP_PER_DAY]
    bucket = max(1.0, 7.0 * cap)   # a week's contacts, at least one
    holdout, relevance = mech[M_HOLDOUT], mech[M_RELEVANCE]
    # Limited capacity: of `wanted` would-be calls, exactly `quota` are made, a uniform
    # random subset chosen in one serial pass (selection sampling, Knuth's Algorithm S).
    quota, wanted = mech[M_QUOTA], mech[M_WANTED]
    seen = 0.0
    deliverability, open_rate, unsubscribe = (chan[CH_DELIVERABILITY], chan[CH_OPEN],
                                              chan[CH_UNSUBSCRIBE])
    step, irrelevant_step = chan[CH_STEP], chan[CH_IRRELEVANT_STEP]
    response, lift = mech[M_RESPONSE], np.float32(mech[M_LIFT])
    table_size = decay.size
    n_hold = n_unreach = n_capped = n_sent = n_deliv = n_unsub = n_resp = n_drop = 0
    stage_only = kind_mask.all() and since_ok.all() and until_ok.all()
    for i in range(lo, hi):
        # The rule, evaluated without early exits: one predictable branch per customer;
        # a rule on stages alone (a regular campaign) reads nothing else.
        if stage_only:
            if not stage_mask[stage[i]]:
                continue
        else:
            since, until = rule_days(last[i], due[i], day)
            if not (stage_mask[stage[i]] & kind_mask[dtype[i]] & since_ok[since]
                    & until_ok[until]):
                continue
        if mbit != 0 and (targeted[i] & mbit) == 0:
            targeted[i] |= mbit  # eligible for this mechanic (treated or held out)
        if holdout > 0 and uniform32(mix(kh[i] ^ hold_key)) < holdout:
            n_hold += 1
            continue
        if (optin[i] & bit) == 0:
            n_unreach += 1
            continue
        h = mix(kh[i] ^ key)
        dt = day - touch_day[i]
        f = fatigue[i] * (decay[dt] if dt < table_size else decay[-1] ** (dt / (table_size - 1)))
        tok = min(bucket, tokens[i] + dt * cap) if cap > 0 else 1.0
        if tok < 1.0:
            tokens[i] = tok
            fatigue[i] = f
            touch_day[i] = day
            n_capped += 1
            continue
        if wanted > 0:
            chosen = uniform64(nth(h, 4)) * (wanted - seen) < quota
            seen += 1.0
            if not chosen:
                n_drop += 1     # beyond the channel's capacity today: nothing changes
                continue
            quota -= 1.0
        touch_day[i] = day
        if cap > 0:
            tokens[i] = tok - 1.0
        n_sent += 1
        # Draws whose probability is 0 or 1 are skipped: the outcome is the same.
        if deliverability < 1.0 and uniform32(nth(h, 0)) >= deliverability:
            fatigue[i] = f
            continue
        n_deliv += 1
        relevant = relevance >= 1.0 or uniform32(nth(h, 1)) < relevance
        respond = (relevant and (open_rate >= 1.0 or uniform32(nth(h, 2)) < open_rate)
                   and uniform32(h) < response * (1.0 - f))
        fatigue[i] = min(1.0, f + (step if relevant else irrelevant_step))
        if unsubscribe > 0:
            quit_p = unsubscribe * (1.0 + 4.0 * f) * (1.0 if relevant else 3.0)
            if uniform32(nth(h, 3)) < quit_p:
                optin[i] &= ~bit
                n_unsub += 1
        if respond and (flags[i] & ALIVE) != 0:
            boost[i] *= lift
            flags[i] |= EXPOSED
            p_hi[i] = 2.0
            n_resp += 1
    out[O_HOLDOUT] += n_hold
    out[O_UNREACHABLE] += n_unreach
    out[O_CAPPED] += n_capped
    out[O_SENT] += n_sent
    out[O_DELIVERED] += n_deliv
    out[O_UNSUBSCRIBES] += n_unsub
    out[O_RESPONSES] += n_resp
    out[O_DROPPED] += n_drop


@njit(cache=True, parallel=True)
def count_reachable(n_live, day, hold_key, bit, S, C, mech, rule, out):
    """Per chunk: targets the rule picks, outside the control group, opted in and under
    the frequency cap (the calls a capacity-limited channel would have to make today)."""
    kh, stage, dtype, last, due = S[0], S[1], S[3], S[4], S[5]
    optin, touch_day, tokens = C[0], C[2], C[3]
    stage_mask, kind_mask, since_ok, until_ok = rule
    holdout, cap = mech[M_HOLDOUT], mech[M_CAP_PER_DAY]
    bucket = max(1.0, 7.0 * cap)
    n_chunks = (n_live + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        m = 0
        for i in range(c * CHUNK, min((c + 1) * CHUNK, n_live)):
            since, until = rule_days(last[i], due[i], day)
            if not (stage_mask[stage[i]] & kind_mask[dtype[i]] & since_ok[since]
                    & until_ok[until]) or (optin[i] & bit) == 0:
                continue
            if holdout > 0 and uniform32(mix(kh[i] ^ hold_key)) < holdout:
                continue
            if cap > 0 and min(bucket, tokens[i] + (day - touch_day[i]) * cap) < 1.0:
                continue
            m += 1
        out[c] = m


@njit(cache=True, parallel=True)
def deliver(n_live, day, key, hold_key, bit, mbit, S, C, decay, chan, mech, rule, out):
    """`deliver_range` over fixed chunks in parallel; counters summed in chunk order."""
    n_chunks = (n_live + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo = c * CHUNK
        deliver_range(lo, min(lo + CHUNK, n_live), day, key, hold_key, bit, mbit, S, C, decay,
                      chan, mech, rule, out[c])
