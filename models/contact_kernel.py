"""The contact kernel: one mechanic's messages through one channel, for every target.

A target is chosen by a rule (CRM stage, demand type, days since the last purchase,
days until the next need, customer flags that must be set), is not in the mechanic's
control group (a stable draw per customer and mechanic), must be reachable (opted in
to the channel) and under the frequency cap, and within the channel's capacity today
(a channel with limited capacity, the call centre, reaches exactly as many as it can,
a uniform random subset; the others are dropped and nothing happens to them). A sent
message costs money; it may not arrive (deliverability), may not be noticed (open
rate), and may be irrelevant to the customer. Every delivered message tires the
customer (irrelevant ones more); tired customers respond less and unsubscribe more. A
response lifts today's purchase probability, counts as exposure to an offer, and
forces the customer into the exact pass of the funnel if today's draw may need it (else
the funnel resets them after its day, `models.responder_visits`); a mechanic that hands
out a personal offer (`M_OFFER_DAYS` > 0) also makes the responder hold it for that
many days.

Targets come from `models.contact_select` (the rule's picks of each block of customers,
in customer order) and are contacted in that order, every outcome worked out from the
draws without a branch on them, the responders then taking the offer in order; a
campaign to everyone that leaves nothing but the response to chance goes out in one
pass without branches per block (`models.contact_sure`).
"""

import numpy as np
from numba import njit, prange

from models.stages import ALIVE
from models.layouts import (  # noqa: F401  (the kernel's interface, re-exported)
    CH_DELIVERABILITY, CH_OPEN, CH_UNSUBSCRIBE, CH_STEP, CH_IRRELEVANT_STEP, N_CH,
    M_RESPONSE, M_LIFT, M_RELEVANCE, M_HOLDOUT, M_CAP_PER_DAY, M_QUOTA, M_WANTED,
    M_OFFER_DAYS, N_MECH, O_SENT, O_DELIVERED, O_RESPONSES, O_UNSUBSCRIBES, O_UNREACHABLE,
    O_CAPPED, O_HOLDOUT, O_DROPPED, N_OUT,
)
from models.contact_select import (  # noqa: F401  (RULE_DAYS: the rule tables' size)
    BLOCK, BY_STAGE, RULE_DAYS, select, stage_bits_of, sweep_block,
    sweep_plan,
)
from models.contact_sure import deliver_sure, responded
from models.responder_visits import after_response
from models.send_ledger import book
from sim.pack import Pack
from sim.prefetch import AHEAD, prefetch
from sim.streams import mix, nth, uniform32, uniform64

CHUNK = 16384


def pack(hold_key, bit, mbit, S, C, lift, lists, decay, chan, mech, rule, ledger) -> Pack:
    """What a mechanic's sends through a channel share from day to day, as one `Pack`
    (unboxed once, not on every send: a trigger sends every day).

    `hold_key`: the control group's key; `bit`: the channel's opt-in bit; `S`: the
    customer arrays of `KERNEL_STATES`; `C`: the contact arrays (opt-in, fatigue, last
    touch, cap tokens) and last the mechanic's own marks of the customers it picked, set
    to `mbit` (a mechanic without a control group passes 0 and an empty array); `lift`
    and `lists`: an exposure's lift and the lists of responders the funnel need not
    visit (`models.responder_visits`); `decay`: the fatigue's decay table; `chan`,
    `mech`: the channel's and the mechanic's parameters; `rule`: the rule's tables;
    `ledger`: the day's flows a send books (`models.send_ledger`)."""
    return Pack((hold_key, bit, mbit, S, C, lift, lists, decay, chan, mech, rule, ledger))


@njit(cache=True)
def deliver_range(lo, hi, day, key, event_key, P, out):
    """Contact the selected customers of [lo, hi); counters are written to `out` and
    booked in the ledger. `key`: today's send key; `event_key`: the funnel's event key
    today; `P`: `pack`."""
    hold_key, bit, mbit, S, C, lift, lists, decay, chan, mech, rule, ledger = P.items
    V = (event_key, lift, lists)
    mode, dates, above = sweep_plan(rule, day)
    _deliver(lo, hi, day, key, hold_key, bit, mbit, S, C, V, decay, chan, mech, rule, mode,
             dates, above, out)
    book(day, out, ledger)


@njit(cache=True)
def _deliver(lo, hi, day, key, hold_key, bit, mbit, S, C, V, decay, chan, mech, rule, mode,
             dates, above, out):
    """`deliver_range` once today's sweep plan (`mode`, `dates`, `above`) is known: for
    each block of customers, list the rule's picks, contact them in customer order
    (`_contact`), then give the block's responders their offer. A responder's offer
    changes nothing the contacts of others read, so it may wait for the block's end.
    Counters are written to `out` (`O_*`): the caller need not clear it."""
    out[:] = 0
    if (mode == BY_STAGE and mbit == 0 and mech[M_HOLDOUT] <= 0 and mech[M_CAP_PER_DAY] <= 0
            and mech[M_WANTED] <= 0 and mech[M_RELEVANCE] >= 1.0
            and chan[CH_DELIVERABILITY] >= 1.0 and chan[CH_OPEN] >= 1.0
            and chan[CH_UNSUBSCRIBE] <= 0):
        deliver_sure(lo, hi, day, key, bit, S, C, V, decay, chan, mech,
                     stage_bits_of(rule[0]), rule[4], out)
        return
    kh, stage, flags, dtype, last, due, boost, p_hi, offer_end = S
    ek, lift_e, lists = V
    offer_days = np.int32(mech[M_OFFER_DAYS])
    lift = np.float32(mech[M_LIFT])
    idx = np.empty(BLOCK, dtype=np.int32)
    hit = np.empty(BLOCK, dtype=np.uint8)
    # Limited capacity: of `wanted` would-be calls, exactly `quota` are made, a uniform
    # random subset chosen in one serial pass (selection sampling, Knuth's Algorithm S).
    quota, seen = mech[M_QUOTA], 0.0
    for b in range(lo, hi, BLOCK):
        picked = sweep_block(b, min(b + BLOCK, hi), day, stage, flags, dtype, last, due,
                             rule, mode, dates, above, idx, 0, hit)
        if mbit == 0 and mech[M_HOLDOUT] <= 0:
            picked, unreachable = _opted_in(idx, picked, C[0], bit)
            out[O_UNREACHABLE] += unreachable
        r, quota, seen = _contact(idx, picked, day, key, hold_key, bit, mbit, kh, C, decay,
                                  chan, mech, quota, seen, out)
        for t in range(r):      # the responders, in order: alive ones take the offer
            if t + AHEAD < r:
                prefetch((flags, boost, p_hi, dtype, offer_end), idx[t + AHEAD])
            i = idx[t]
            if (flags[i] & ALIVE) != 0:
                boost[i], flags[i], offer_end[i] = responded(boost[i], flags[i], offer_end[i],
                                                             day, lift, offer_days)
                p_hi[i] = after_response(i, uniform32(mix(kh[i] ^ ek)), day, offer_days,
                                         p_hi[i], boost[i], dtype[i], offer_end[i], lift_e,
                                         lists)
                out[O_RESPONSES] += 1


@njit(cache=True)
def _contact(idx, picked, day, key, hold_key, bit, mbit, kh, C, decay, chan, mech, quota,
             seen, out):
    """Contact the picks idx[:picked] in order (control group, opt-in, cap, capacity,
    delivery, reading, fatigue, unsubscribing), adding to the counters in `out`. The
    draws are pure functions of one hash: every outcome is worked out and chooses the
    writes, with no branch on a draw (at 40% read, one mispredicted every other pick).
    Responders are listed in idx[:r]; returns (r, quota, seen) for the next block."""
    optin, fatigue, touch_day, tokens, marks = C
    cap, wanted, holdout = mech[M_CAP_PER_DAY], mech[M_WANTED], mech[M_HOLDOUT]
    bucket = max(1.0, 7.0 * cap)   # a week's contacts, at least one
    unsubscribe, step, irrelevant_step = (chan[CH_UNSUBSCRIBE], chan[CH_STEP],
                                          chan[CH_IRRELEVANT_STEP])
    odds = (chan[CH_DELIVERABILITY], mech[M_RELEVANCE], chan[CH_OPEN], mech[M_RESPONSE])
    table_size = decay.size
    n_hold = n_unreach = n_capped = n_sent = n_deliv = n_unsub = n_drop = r = 0
    for t in range(picked):
        if t + AHEAD < picked:   # a pick further on, while this one is contacted
            prefetch((kh, optin, fatigue, touch_day, tokens), idx[t + AHEAD])
        i = idx[t]
        if mbit != 0:
            marks[i] |= mbit     # eligible for this mechanic (treated or held out)
        held = holdout > 0 and uniform32(mix(kh[i] ^ hold_key)) < holdout
        reach = (not held) & ((optin[i] & bit) != 0)
        h = mix(kh[i] ^ key)
        dt = day - touch_day[i]
        f = fatigue[i] * (decay[dt] if dt < table_size
                          else decay[-1] ** (dt / (table_size - 1)))
        tok = min(bucket, tokens[i] + dt * cap) if cap > 0 else 1.0
        capped = reach & (tok < 1.0)
        sent = reach & (tok >= 1.0)
        if wanted > 0:     # beyond the channel's capacity today: nothing changes
            chosen, quota, seen = _within_capacity(h, sent, wanted, quota, seen)
            n_drop += sent & (not chosen)
            sent &= chosen
        delivered, relevant, responds = _read(h, sent, f, odds)
        touched = capped | sent
        if cap > 0:
            tokens[i] = tok if capped else (tok - 1.0 if sent else tokens[i])
        fatigue[i] = (min(1.0, f + (step if relevant else irrelevant_step)) if delivered
                      else (f if touched else fatigue[i]))
        touch_day[i] = day if touched else touch_day[i]
        if unsubscribe > 0 and delivered and _quits(h, f, relevant, unsubscribe):
            optin[i] &= ~bit      # rare: a branch predicted
            n_unsub += 1
        n_hold += held
        n_unreach += (not held) & (not reach)
        n_capped += capped
        n_sent += sent
        n_deliv += delivered
        idx[r] = i
        r += responds
    out[O_HOLDOUT] += n_hold
    out[O_UNREACHABLE] += n_unreach
    out[O_CAPPED] += n_capped
    out[O_SENT] += n_sent
    out[O_DELIVERED] += n_deliv
    out[O_UNSUBSCRIBES] += n_unsub
    out[O_DROPPED] += n_drop
    return r, quota, seen


@njit(cache=True, inline="always")
def _within_capacity(h, sent, wanted, quota, seen):
    """(chosen, quota, seen): whether a would-be call is one of the `quota` made of the
    `wanted - seen` left (selection sampling), and the pass carried on. Scalars only,
    like every helper inlined here (array arguments would cost reference counting)."""
    chosen = uniform64(nth(h, 4)) * (wanted - seen) < quota
    seen += 1.0 if sent else 0.0
    quota -= 1.0 if sent and chosen else 0.0
    return chosen, quota, seen


@njit(cache=True, inline="always")
def _read(h, sent, f, odds):
    """(delivered, relevant, responds) of a message sent or not (`sent`) to a customer
    of fatigue `f`, from the contact's hash `h`; `odds`: (deliverability, relevance,
    open rate, response). Draws whose probability is 1 are skipped: the same outcome."""
    deliverability, relevance, open_rate, response = odds
    delivered = sent
    if deliverability < 1.0:
        delivered &= uniform32(nth(h, 0)) < deliverability
    relevant = relevance >= 1.0 or uniform32(nth(h, 1)) < relevance
    opened = open_rate >= 1.0 or uniform32(nth(h, 2)) < open_rate
    return delivered, relevant, delivered & relevant & opened & (
        uniform32(h) < response * (1.0 - f))


@njit(cache=True, inline="always")
def _quits(h, f, relevant, unsubscribe):
    """Whether a reader of fatigue `f` unsubscribes (irrelevant messages: 3x as often)."""
    return uniform32(nth(h, 3)) < unsubscribe * (1.0 + 4.0 * f) * (1.0 if relevant else 3.0)


@njit(cache=True)
def _opted_in(idx, picked, optin, bit):
    """Of the picks idx[:picked], keep in place those opted in to the channel (bit
    `bit`); returns (kept, dropped). Before the contact loop, where the picks nobody can
    reach (often most of a reminder's: opt-outs pile up) would each prefetch the four
    lines of a contact for nothing and cost a mispredicted branch; here a pick reads one
    byte and is kept without a branch."""
    kept = 0
    for t in range(picked):
        if t + AHEAD < picked:
            prefetch((optin,), idx[t + AHEAD])
        i = idx[t]
        idx[kept] = i
        kept += (optin[i] & bit) != 0
    return kept, picked - kept


@njit(cache=True, parallel=True)
def count_reachable(n_live, day, hold_key, bit, S, C, mech, rule, out):
    """Per chunk: targets the rule picks, outside the control group, opted in and under
    the frequency cap (the calls a capacity-limited channel would have to make today)."""
    kh, stage, flags, dtype, last, due = S[0], S[1], S[2], S[3], S[4], S[5]
    optin, touch_day, tokens = C[0], C[2], C[3]
    holdout, cap = mech[M_HOLDOUT], mech[M_CAP_PER_DAY]
    bucket = max(1.0, 7.0 * cap)
    mode, dates, above = sweep_plan(rule, day)
    n_chunks = (n_live + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo = c * CHUNK
        hi = min(lo + CHUNK, n_live)
        idx = np.empty(hi - lo, dtype=np.int32)
        picked = select(lo, hi, day, stage, flags, dtype, last, due, rule, mode, dates,
                        above, idx)
        m = 0
        for t in range(picked):
            i = idx[t]
            if (optin[i] & bit) == 0:
                continue
            if holdout > 0 and uniform32(mix(kh[i] ^ hold_key)) < holdout:
                continue
            if cap > 0 and min(bucket, tokens[i] + (day - touch_day[i]) * cap) < 1.0:
                continue
            m += 1
        out[c] = m


@njit(cache=True, parallel=True)
def deliver(n_live, day, key, event_key, P, out, totals):
    """`deliver_range` over fixed chunks in parallel, each chunk's counters in its row of
    `out`; `totals` gets their sum, booked in the ledger (summed here, not in numpy: a
    send a day per trigger would pay numpy's ~10 us for a few rows; in loops, not array
    expressions, which numba would run as parallel loops of their own, each a wake of
    every thread)."""
    hold_key, bit, mbit, S, C, lift, lists, decay, chan, mech, rule, ledger = P.items
    V = (event_key, lift, lists)
    mode, dates, above = sweep_plan(rule, day)
    n_chunks = (n_live + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo = c * CHUNK
        _deliver(lo, min(lo + CHUNK, n_live), day, key, hold_key, bit, mbit, S, C, V,
                 decay, chan, mech, rule, mode, dates, above, out[c])
    for k in range(totals.size):
        totals[k] = 0
    for c in range(n_chunks):
        for k in range(totals.size):
            totals[k] += out[c, k]
    book(day, totals, ledger)
