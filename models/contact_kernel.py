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

Targets are found in two passes per chunk, like the funnel's: a branch-free sweep
marks the customers the rule can pick, then the marked few are checked against the
whole rule and contacted in customer order. A trigger whose day table holds a few
days (a welcome series on days 1, 7 and 14 after the first purchase, a reminder on the
due day) can only pick customers whose last purchase (or due day) is one of a few
dates, so its sweep compares one array with those dates: a daily trigger costs a
fraction of a nanosecond per customer on the days nobody is due; where few customers
pass its stage and flags (first-time buyers), those are listed first and only their
dates are looked at. The marked customers are checked against the whole rule with
their arrays prefetched a few marks ahead. A rule on stages alone
that picks most customers (a campaign to every buyer) skips the sweep and tests each
customer as it goes. Either way the customers picked, and the order they are contacted
in, are exactly those of the rule applied to all. A campaign to everyone that leaves
nothing but the response to chance goes out in one pass without branches per block
(`models.contact_sure`).
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
from models.contact_sure import deliver_sure, responded
from models.responder_visits import after_response
from sim.prefetch import AHEAD, flagged, prefetch
from sim.streams import mix, nth, uniform32, uniform64

# Rule tables (stage mask, demand-type mask, days-since and days-until tables, required
# flag bits) are indexed by min(days, RULE_DAYS - 1).
RULE_DAYS = 1024
CHUNK = 16384
BLOCK = 4096         # customers swept at a time (their picks are contacted before the next)
# How the sweep finds a rule's customers: by a few dates of the last purchase or of the
# due day, by stage and flags (the whole rule), or by stage and flags, then the rule.
BY_LAST, BY_DUE, BY_STAGE, BY_RULE = range(4)
SPARSE = 16          # a day table with at most this many days (none past the table)
_NO_DATE = np.int32(-(2**31))   # pads the date list: no last purchase or due day is it


@njit(cache=True, inline="always")
def rule_days(last, due, day):
    """(days since the last purchase, days until the next need), clamped to the rule
    tables: NEVER, a past due day and anything beyond the tables map to the last entry.
    Scalars only: array arguments to an inlined helper would cost reference counting."""
    since = min(np.int64(day) - np.int64(last), RULE_DAYS - 1)   # NEVER: far in the past
    until = min(np.uint64(np.int64(due) - np.int64(day)), np.uint64(RULE_DAYS - 1))
    return since, np.int64(until)        # a past due day wraps to a huge unsigned: clamped


@njit(cache=True)
def _sparse_days(table):
    """The days a day table allows, if they are few and the clamped last entry is not
    one of them; else an empty array."""
    if table[RULE_DAYS - 1]:
        return np.empty(0, dtype=np.int64)
    days = np.flatnonzero(table)
    if days.size > SPARSE:
        return np.empty(0, dtype=np.int64)
    return days


@njit(cache=True)
def sweep_plan(rule, day):
    """(mode, dates, above) of today's sweep for `rule` (see `select`)."""
    stage_mask, kind_mask, since_ok, until_ok, need_flags = rule
    since_days = _sparse_days(since_ok)
    until_days = _sparse_days(until_ok)
    mode = BY_RULE
    days = since_days
    if since_days.size > 0 and (until_days.size == 0 or since_days.size <= until_days.size):
        mode = BY_LAST
    elif until_days.size > 0:
        mode, days = BY_DUE, until_days
    elif kind_mask.all() and since_ok.all() and until_ok.all():
        mode = BY_STAGE       # the sweep is the whole rule
    dates = np.full(max(4, (days.size + 3) // 4 * 4), _NO_DATE, dtype=np.int32)
    for j in range(days.size):
        dates[j] = day - days[j] if mode == BY_LAST else day + days[j]
    # a last purchase after today (never in a simulation) has a negative age; the full
    # rule decides for such customers as well, so the sweep passes them on
    above = np.int32(day) if mode == BY_LAST else np.int32(2**31 - 1)
    return mode, dates, above


@njit(cache=True)
def _stage_bits(stage_mask):
    """The stage mask as bits of an integer (stage s: bit s)."""
    bits = 0
    for s in range(stage_mask.size):
        bits |= np.int64(stage_mask[s]) << s
    return bits


@njit(cache=True)
def _sample_picks(lo, hi, stage, flags, stage_bits, need_flags):
    """How many of every 32nd customer of [lo, hi) a stage-and-flags rule picks."""
    m = 0
    for i in range(lo, hi, 32):
        m += _passes(stage[i], flags[i], stage_bits, need_flags)
    return m


@njit(cache=True, inline="always")
def _passes(st, fl, stage_bits, need_flags):
    """1 if a customer of stage `st` and flags `fl` passes the stage and flag masks."""
    return ((stage_bits >> st) & 1) & ((fl & need_flags) == need_flags)


@njit(cache=True)
def _sieve(st, fl, n, stage_bits, need_flags, hit):
    """hit[j] = whether customer j passes the stage and flag masks. One stage is tested
    by a byte compare, many at once; a set of stages by a shift per customer."""
    if (stage_bits & (stage_bits - 1)) == 0 and stage_bits != 0:
        s0 = np.int8(np.int64(np.log2(stage_bits)))
        for j in range(n):
            hit[j] = (st[j] == s0) & ((fl[j] & need_flags) == need_flags)
    else:
        for j in range(n):
            hit[j] = _passes(st[j], fl[j], stage_bits, need_flags)


@njit(cache=True)
def _few_pass(lo, hi, stage, flags, stage_bits, need_flags, dates):
    """Whether so few customers of [lo, hi) pass the stage and flag masks (a sample of
    every 32nd) that listing them and checking each one's date beats comparing every
    customer's date: a listed customer costs ~6 ns, a date compare ~0.1 ns a customer
    (one in 64 per date to compare)."""
    n_dates = 0
    for d in dates:
        n_dates += d != _NO_DATE
    return 64 * _sample_picks(lo, hi, stage, flags, stage_bits, need_flags) <= (
        n_dates * ((hi - lo + 31) // 32))


@njit(cache=True)
def select(lo, hi, day, stage, flags, dtype, last, due, rule, mode, dates, above, idx):
    """Write the customers of [lo, hi) that `rule` picks to `idx`, in order; return how
    many. Picked: stage and demand type in their masks, every bit of the flag mask set,
    days since the last purchase and days until the due day allowed by their tables."""
    hit = np.empty(BLOCK, dtype=np.uint8)
    m = 0
    for b in range(lo, hi, BLOCK):
        m = _sweep(b, min(b + BLOCK, hi), day, stage, flags, dtype, last, due, rule, mode,
                   dates, above, idx, m, hit)
    return m


@njit(cache=True)
def _sweep(lo, hi, day, stage, flags, dtype, last, due, rule, mode, dates, above, idx, m,
           hit):
    """`select` of a block of at most BLOCK customers, written to idx[m:]; returns the
    new count. `hit`: scratch of BLOCK bytes."""
    stage_mask, kind_mask, since_ok, until_ok, need_flags = rule
    n = hi - lo
    if mode == BY_STAGE:        # the whole rule, and often most customers: no branches
        stage_bits = _stage_bits(stage_mask)
        st, fl = stage[lo:hi], flags[lo:hi]
        for j in range(n):
            idx[m] = lo + j
            m += _passes(st[j], fl[j], stage_bits, need_flags)
        return m
    n_words = (n + 7) // 8
    hit[n:8 * n_words] = 0
    stage_bits = _stage_bits(stage_mask)
    st, fl = stage[lo:hi], flags[lo:hi]
    dated = mode == BY_LAST or mode == BY_DUE
    sieved = need_flags != 0 or (stage_bits & (stage_bits - 1)) == 0
    if dated and not (sieved and _few_pass(lo, hi, stage, flags, stage_bits, need_flags,
                                           dates)):
        x = last[lo:hi] if mode == BY_LAST else due[lo:hi]
        d0 = dates[0]
        if dates.size == 4 and dates[1] == _NO_DATE:      # one date (a due-day reminder)
            for j in range(n):
                v = x[j]
                hit[j] = (v == d0) | (v > above)
        else:
            hit[:n] = 0
            for g in range(0, dates.size, 4):
                d0, d1, d2, d3 = dates[g], dates[g + 1], dates[g + 2], dates[g + 3]
                for j in range(n):
                    v = x[j]
                    hit[j] |= (v == d0) | (v == d1) | (v == d2) | (v == d3) | (v > above)
        if sieved:
            # a rule on one stage (or on flags) picks few of the dates' customers: sieve
            for j in range(n):
                hit[j] &= _passes(st[j], fl[j], stage_bits, need_flags)
    else:       # by stage and flags, then the rest of the rule (dates too) on those marked
        _sieve(st, fl, n, stage_bits, need_flags, hit)
    # The marked customers, listed, then checked against the whole rule in place (a
    # pick is written no further on than its mark), with the arrays of a mark a few
    # places ahead prefetched: the marks are scattered, and each check reads five
    # arrays, so their memory waits overlap (a reminder's 5,000 marks a day: 2x faster).
    k = m + flagged(hit, n, lo, idx[m:])
    for t in range(m, k):
        if t + AHEAD < k:
            prefetch((stage, flags, dtype, last, due), idx[t + AHEAD])
        i = idx[t]
        since, until = rule_days(last[i], due[i], day)
        if (stage_mask[stage[i]] & kind_mask[dtype[i]] & since_ok[since] & until_ok[until]
                & ((flags[i] & need_flags) == need_flags)):
            idx[m] = i
            m += 1
    return m


@njit(cache=True)
def deliver_range(lo, hi, day, key, hold_key, bit, mbit, S, C, V, decay, chan, mech,
                  rule, out):
    """Contact the selected customers of [lo, hi); counters go to `out`.

    `bit`: the channel's opt-in bit; `S`: the customer arrays of `KERNEL_STATES`; `C`:
    the contact arrays (opt-in, fatigue, last touch, cap tokens) and last the mechanic's
    own marks of the customers it picked, set to `mbit` (a mechanic without a control
    group passes 0 and an empty array); `V`: the funnel's visits (today's event key, an
    exposure's lift and the lists of responders it need not visit,
    `models.responder_visits`)."""
    mode, dates, above = sweep_plan(rule, day)
    _deliver(lo, hi, day, key, hold_key, bit, mbit, S, C, V, decay, chan, mech, rule, mode,
             dates, above, out)


@njit(cache=True)
def _deliver(lo, hi, day, key, hold_key, bit, mbit, S, C, V, decay, chan, mech, rule, mode,
             dates, above, out):
    """`deliver_range` once today's sweep plan (`mode`, `dates`, `above`) is known: for
    each block of customers, list the rule's picks, then walk them in customer order
    through control group, opt-in, cap, capacity, delivery, reading and response.

    One function, not one per step: the per-customer walk is the hot loop, and its
    draws all come from one hash of (customer key, today's key), so splitting it would
    pass the same dozen arrays around for nothing. Counters go to `out` (`O_*`)."""
    if (mode == BY_STAGE and mbit == 0 and mech[M_HOLDOUT] <= 0 and mech[M_CAP_PER_DAY] <= 0
            and mech[M_WANTED] <= 0 and mech[M_RELEVANCE] >= 1.0
            and chan[CH_DELIVERABILITY] >= 1.0 and chan[CH_OPEN] >= 1.0
            and chan[CH_UNSUBSCRIBE] <= 0):
        deliver_sure(lo, hi, day, key, bit, S, C, V, decay, chan, mech, _stage_bits(rule[0]),
                     rule[4], out)
        return
    kh, stage, flags, dtype, last, due, boost, p_hi, offer_end = S
    ek, lift_e, lists = V
    offer_days = np.int32(mech[M_OFFER_DAYS])
    optin, fatigue, touch_day, tokens, marks = C    # marks: this mechanic's own
    idx = np.empty(BLOCK, dtype=np.int32)
    hit = np.empty(BLOCK, dtype=np.uint8)
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
    stage_bits, need_flags = _stage_bits(rule[0]), rule[4]
    for b in range(lo, hi, BLOCK):
        e = min(b + BLOCK, hi)
        # A rule on stages alone that picks most of the block (a campaign to every
        # buyer) is tested customer by customer in one pass; else the sweep lists them.
        inline = mode == BY_STAGE and 2 * _sample_picks(b, e, stage, flags, stage_bits,
                                                        need_flags) > (e - b + 31) // 32
        picked = e - b if inline else _sweep(b, e, day, stage, flags, dtype, last, due,
                                             rule, mode, dates, above, idx, 0, hit)
        for t in range(picked):
            if inline:
                i = b + t
                if (((stage_bits >> stage[i]) & 1) == 0
                        or (flags[i] & need_flags) != need_flags):
                    continue
            else:
                if t + AHEAD < picked:   # a pick further on, while this one is contacted
                    prefetch((kh, optin, fatigue, touch_day, tokens), idx[t + AHEAD])
                i = idx[t]
            if mbit != 0 and (marks[i] & mbit) == 0:
                marks[i] |= mbit     # eligible for this mechanic (treated or held out)
            if holdout > 0 and uniform32(mix(kh[i] ^ hold_key)) < holdout:
                n_hold += 1
                continue
            if (optin[i] & bit) == 0:
                n_unreach += 1
                continue
            h = mix(kh[i] ^ key)
            dt = day - touch_day[i]
            f = fatigue[i] * (decay[dt] if dt < table_size
                              else decay[-1] ** (dt / (table_size - 1)))
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
            opened = open_rate >= 1.0 or uniform32(nth(h, 2)) < open_rate
            # draws are pure functions of h: combined without branching on them
            # (whether a reader opens is a coin flip no processor predicts)
            respond = relevant & opened & (uniform32(h) < response * (1.0 - f))
            fatigue[i] = min(1.0, f + (step if relevant else irrelevant_step))
            if unsubscribe > 0:
                quit_p = unsubscribe * (1.0 + 4.0 * f) * (1.0 if relevant else 3.0)
                if uniform32(nth(h, 3)) < quit_p:
                    optin[i] &= ~bit
                    n_unsub += 1
            if respond and (flags[i] & ALIVE) != 0:
                boost[i], flags[i], offer_end[i] = responded(boost[i], flags[i], offer_end[i],
                                                             day, lift, offer_days)
                p_hi[i] = after_response(i, uniform32(mix(kh[i] ^ ek)), day, offer_days,
                                         p_hi[i], boost[i], dtype[i], offer_end[i], lift_e,
                                         lists)
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
def deliver(n_live, day, key, hold_key, bit, mbit, S, C, V, decay, chan, mech, rule, out,
            totals):
    """`deliver_range` over fixed chunks in parallel, each chunk's counters in its row of
    `out`; `totals` gets their sum (here, not in numpy: a send a day per trigger would
    pay numpy's ~10 us for summing a few rows)."""
    mode, dates, above = sweep_plan(rule, day)
    n_chunks = (n_live + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo = c * CHUNK
        _deliver(lo, min(lo + CHUNK, n_live), day, key, hold_key, bit, mbit, S, C, V,
                 decay, chan, mech, rule, mode, dates, above, out[c])
    totals[:] = 0
    for c in range(n_chunks):
        for k in range(totals.size):
            totals[k] += out[c, k]
