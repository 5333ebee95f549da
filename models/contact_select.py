"""Which customers a contact rule picks today, block by block, in customer order.

A rule (CRM stage, demand type, days since the last purchase, days until the next need,
customer flags that must be set) is found in two passes per block, like the funnel's: a
branch-free sweep lists the customers the rule can pick, 16 tests at a time
(`sim.compress`), then the listed few are checked against the whole rule, their arrays
prefetched a few marks ahead. A trigger whose day table holds a few days (a welcome
series on days 1, 7 and 14 after the first purchase, a reminder on the due day) can only
pick customers whose last purchase (or due day) is one of a few dates, so its sweep
compares one array with those dates: a daily trigger costs a fraction of a nanosecond
per customer on the days nobody is due; where few customers pass its stage and flags
(first-time buyers), those are listed first and only their dates are looked at. A
reminder by the due day that asks nothing of the last purchase has its marks checked on
the stage, demand-type and flag bytes alone: the sweep has already matched their date. A
rule on stages and flags alone is the sweep itself. Either way the customers picked, in
their order, are exactly those of the rule applied to all.
"""

import numpy as np
from numba import njit

from sim.compress import NO_DATE, listed_dates, listed_flags, listed_passing, passes
from sim.prefetch import AHEAD, prefetch

# Rule tables (stage mask, demand-type mask, days-since and days-until tables, required
# flag bits) are indexed by min(days, RULE_DAYS - 1).
RULE_DAYS = 1024
BLOCK = 4096     # customers swept at a time (a kernel contacts their picks before the next)
# How the sweep finds a rule's customers: by a few dates of the last purchase or of the
# due day, by stage and flags (the whole rule), or by stage and flags, then the rule.
BY_LAST, BY_DUE, BY_STAGE, BY_RULE = range(4)
SPARSE = 16          # a day table with at most this many days (none past the table)


@njit(cache=True, inline="always")
def rule_days(last, due, day):
    """(days since the last purchase, days until the next need), clamped to the rule
    tables: NEVER, a past due day and anything beyond the tables map to the last entry.
    Scalars only: array arguments to an inlined helper would cost reference counting."""
    since = min(np.int64(day) - np.int64(last), RULE_DAYS - 1)   # NEVER: far in the past
    until = min(np.uint64(np.int64(due) - np.int64(day)), np.uint64(RULE_DAYS - 1))
    return since, np.int64(until)        # a past due day wraps to a huge unsigned: clamped


@njit(cache=True)
def _sparse_days(table, days):
    """How many days a day table allows, written to `days` (SPARSE long), if they are
    few and the clamped last entry is not one of them; else 0. Read eight entries a
    word, empty words skipped: a trigger plans its sweep every day, and this allocates
    nothing."""
    if table[RULE_DAYS - 1]:
        return 0
    words = table.view(np.uint64)
    m = 0
    for w in range(words.size):
        if words[w] == 0:
            continue
        for d in range(8 * w, 8 * w + 8):
            if table[d]:
                if m == SPARSE:
                    return 0
                days[m] = d
                m += 1
    return m


@njit(cache=True)
def sweep_plan(rule, day):
    """(mode, dates, above) of today's sweep for `rule` (see `select`)."""
    stage_mask, kind_mask, since_ok, until_ok, need_flags = rule
    found = np.empty(2 * SPARSE, dtype=np.int64)     # days since, then days until
    n_since = _sparse_days(since_ok, found[:SPARSE])
    n_until = _sparse_days(until_ok, found[SPARSE:])
    mode = BY_RULE
    days = found[:n_since]
    if n_since > 0 and (n_until == 0 or n_since <= n_until):
        mode = BY_LAST
    elif n_until > 0:
        mode, days = BY_DUE, found[SPARSE:SPARSE + n_until]
    elif kind_mask.all() and _all_set(since_ok) and _all_set(until_ok):
        mode = BY_STAGE       # the sweep is the whole rule
    dates = np.full(max(4, (days.size + 3) // 4 * 4), NO_DATE, dtype=np.int32)
    for j in range(days.size):
        dates[j] = day - days[j] if mode == BY_LAST else day + days[j]
    # a last purchase after today (never in a simulation) has a negative age; the full
    # rule decides for such customers as well, so the sweep passes them on
    above = np.int32(day) if mode == BY_LAST else np.int32(2**31 - 1)
    return mode, dates, above


@njit(cache=True)
def stage_bits_of(stage_mask):
    """The stage mask as bits of an integer (stage s: bit s)."""
    bits = 0
    for s in range(stage_mask.size):
        bits |= np.int64(stage_mask[s]) << s
    return bits


@njit(cache=True)
def sample_picks(lo, hi, stage, flags, stage_bits, need_flags):
    """How many of every 32nd customer of [lo, hi) a stage-and-flags rule picks."""
    m = 0
    for i in range(lo, hi, 32):
        m += passes(stage[i], flags[i], stage_bits, need_flags)
    return m


@njit(cache=True)
def _few_pass(lo, hi, stage, flags, stage_bits, need_flags, dates):
    """Whether so few customers of [lo, hi) pass the stage and flag masks (a sample of
    every 32nd) that listing them and checking each one's date beats comparing every
    customer's dates: a listed customer costs ~6 ns, a date compare ~0.1 ns a customer,
    so listing pays while fewer than one customer in 64 passes per date compared."""
    n_dates = 0
    for d in dates:
        n_dates += d != NO_DATE
    return 64 * sample_picks(lo, hi, stage, flags, stage_bits, need_flags) <= (
        n_dates * ((hi - lo + 31) // 32))


_ALL_BYTES = np.uint64(0x0101010101010101)    # eight set entries of a rule table


@njit(cache=True)
def _all_set(table):
    """Whether every entry of a rule table (RULE_DAYS bytes) is set, eight at a time."""
    words = table.view(np.uint64)
    for w in range(words.size):
        if words[w] != _ALL_BYTES:
            return False
    return True


@njit(cache=True, inline="always")
def _mark_dates(x, n, dates, above, hit):
    """hit[j] = whether the date x[j] is one of `dates` or after `above`."""
    d0 = dates[0]
    if dates.size == 4 and dates[1] == NO_DATE:      # one date (a due-day reminder)
        for j in range(n):
            v = x[j]
            hit[j] = (v == d0) | (v > above)
        return
    hit[:n] = 0
    for g in range(0, dates.size, 4):
        d0, d1, d2, d3 = dates[g], dates[g + 1], dates[g + 2], dates[g + 3]
        for j in range(n):
            v = x[j]
            hit[j] |= (v == d0) | (v == d1) | (v == d2) | (v == d3) | (v > above)


@njit(cache=True, inline="always")
def _keep_by_masks(idx, m, k, stage, flags, dtype, stage_mask, kind_mask, need_flags):
    """Of the marks idx[m:k], keep in place (from idx[m]) those whose stage, demand type
    and flags the rule allows; returns the new count. Three byte arrays a mark, a few
    marks ahead prefetched."""
    for t in range(m, k):
        if t + AHEAD < k:
            prefetch((stage, flags, dtype), idx[t + AHEAD])
        i = idx[t]
        if (stage_mask[stage[i]] & kind_mask[dtype[i]]
                & ((flags[i] & need_flags) == need_flags)):
            idx[m] = i
            m += 1
    return m


@njit(cache=True)
def select(lo, hi, day, stage, flags, dtype, last, due, rule, mode, dates, above, idx):
    """Write the customers of [lo, hi) that `rule` picks to `idx`, in order; return how
    many. Picked: stage and demand type in their masks, every bit of the flag mask set,
    days since the last purchase and days until the due day allowed by their tables."""
    hit = np.empty(BLOCK, dtype=np.uint8)
    m = 0
    for b in range(lo, hi, BLOCK):
        m = sweep_block(b, min(b + BLOCK, hi), day, stage, flags, dtype, last, due, rule,
                        mode, dates, above, idx, m, hit)
    return m


@njit(cache=True)
def sweep_block(lo, hi, day, stage, flags, dtype, last, due, rule, mode, dates, above, idx,
                m, hit):
    """`select` of a block of at most BLOCK customers, written to idx[m:]; returns the
    new count. `hit`: scratch of BLOCK bytes."""
    stage_mask, kind_mask, since_ok, until_ok, need_flags = rule
    n = hi - lo
    if mode == BY_STAGE:        # the whole rule, and often most customers
        return m + listed_passing(stage[lo:hi], flags[lo:hi], n, lo,
                                  stage_bits_of(stage_mask), need_flags, idx[m:])
    stage_bits = stage_bits_of(stage_mask)
    st, fl = stage[lo:hi], flags[lo:hi]
    dated = mode == BY_LAST or mode == BY_DUE
    sieved = need_flags != 0 or (stage_bits & (stage_bits - 1)) == 0
    if dated and not (sieved and _few_pass(lo, hi, stage, flags, stage_bits, need_flags,
                                           dates)):
        x = last[lo:hi] if mode == BY_LAST else due[lo:hi]
        if sieved:
            # a rule on one stage (or on flags) picks few of the dates' customers: sieve
            _mark_dates(x, n, dates, above, hit)
            for j in range(n):
                hit[j] &= passes(st[j], fl[j], stage_bits, need_flags)
            k = m + listed_flags(hit, n, lo, idx[m:])
        else:       # the dates' customers, listed 16 compares at a time
            k = m + listed_dates(x, n, lo, dates, above, idx[m:])
        if mode == BY_DUE and _all_set(since_ok):
            # a mark's due day is one the rule allows, and the rule asks nothing of the
            # last purchase: only the masks are left to check, on three byte arrays (a
            # mark by the last purchase may lie after today, where the whole rule decides)
            return _keep_by_masks(idx, m, k, stage, flags, dtype, stage_mask, kind_mask,
                                  need_flags)
    else:       # by stage and flags, then the rest of the rule (dates too) on those listed
        k = m + listed_passing(st, fl, n, lo, stage_bits, need_flags, idx[m:])
    # The marked customers, checked against the whole rule in place (a pick is written
    # no further on than its mark), with the arrays of a mark a few places ahead
    # prefetched: the marks are scattered, and each check reads five arrays, so their
    # memory waits overlap (a reminder's 5,000 marks a day: 2x faster).
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
