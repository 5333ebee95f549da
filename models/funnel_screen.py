"""The funnel's sweep: which customers today's exact pass visits.

Every day the sweep draws each customer's event uniform from the counter-based stream
and flags those whose uniform falls under a cached upper bound of their event
probability (`p_hi`) or whose timer (`t_next`: lapse, need end, renewal due, ...) is
due. It is the one pass over every customer, so what it reads decides its speed: both
caches are kept in 16 bits, and a customer costs 12 bytes (the key, the bound, the
timer), not 16. The timer is the day clamped to 0-65535 (a run has at most 36,500 days,
so the clamp never changes the day it fires); the bound is rounded up to a multiple of
2**-15 and compared with the top 15 bits of the uniform, which every uniform under the
float bound passes. The price is a few more false alarms (at most 2**-15 of the
customers a day), each visited for nothing.

Blocks of dead customers are skipped. A base often holds long runs of customers who
left before the run began (it is built stage by stage: the churned together), and every
customer who dies stays in the arrays. Per block of `SKIP` customers the sweep knows
whether any of them lives (`new_summaries`): a block of the dead, while none of its
timers (stage labels) is due, is left out of the day's sweep (no key read, no hash),
for nothing can happen to the dead: they never come back nor answer a message. Runs of
live blocks are swept in one branch-free pass. A block is counted (its living: a
stored bound above 0, a living customer's being at least 2**-15, its hazard plus 1e-7
rounded up; its earliest timer) when its state is unknown, when it is dead with a
timer due, and, to find the blocks whose living have all died since, once every
`RECOUNT_DAYS` days with the rest of its chunk (a chunk a day in turn). A forced
customer's bound is its top until the pass takes it: a block holding one is counted
again the next day. Whatever sets bounds or timers outside the exact pass marks their
blocks unknown (`forget`).
"""

import numpy as np
from numba import njit

from sim.streams import mix

BOUND_UNIT = 32768.0         # the stored bound counts 2**-15; its top, above 1, lets any
ALWAYS = np.uint16(65535)    # uniform pass: the next pass visits the customer
NEVER_DUE = np.uint16(65535)  # a stored timer past the last day of any run
_S49 = np.uint64(49)          # an event uniform's hash to its top 15 bits


@njit(cache=True, inline="always")
def stored_timer(t):
    """Timer day `t` in 16 bits: before day 0 (fires at once) 0, past the table 65535."""
    return np.uint16(min(max(np.int64(t), 0), 65535))


@njit(cache=True, inline="always")
def stored_bound(p):
    """Probability bound `p` in 16 bits, rounded up to a multiple of 2**-15."""
    return np.uint16(min(np.ceil(np.float64(p) * BOUND_UNIT), 65535.0))


@njit(cache=True, inline="always")
def bound_value(b):
    """A stored bound as the probability it stands for (at least the one stored)."""
    return np.float64(b) / BOUND_UNIT


@njit(cache=True, inline="always")
def may_fall_under(h, b):
    """Whether the event uniform `uniform32(h)` may lie under stored bound `b`: it does
    if its top 15 bits do (u < p <= b / 2**15 gives floor(u 2**15) < b)."""
    return (h >> _S49) < np.uint64(b)


SKIP = 64    # customers a block summary covers (a funnel chunk holds whole blocks)
RECOUNT_DAYS = 16   # a live block is counted again at least this often
DEAD, LIVE, UNKNOWN = np.uint8(0), np.uint8(1), np.uint8(2)   # what a block holds


def new_summaries(customers: int) -> tuple:
    """(what each block holds, its earliest stored timer once counted) for blocks of
    `customers`, nothing known yet: every block is counted on its first day."""
    blocks = -(-customers // SKIP)
    return np.full(blocks, UNKNOWN, dtype=np.uint8), np.zeros(blocks, dtype=np.uint16)


def forget(summaries: tuple, customers) -> None:
    """Mark the blocks of `customers` (a slice or indices), whose bounds or timers were
    set outside the exact pass, unknown."""
    if isinstance(customers, slice):
        blocks = slice(customers.start // SKIP, -(-customers.stop // SKIP))
    else:
        blocks = np.asarray(customers) // SKIP
    summaries[0][blocks] = UNKNOWN


@njit(cache=True)
def forget_range(held, lo, hi):
    """`forget` of customers [lo, hi), inside a kernel that set their bounds (blocks past
    `held`, of customers beyond the sweep's last growth, are left to its next one: it
    starts them unknown)."""
    for b in range(lo // SKIP, min(-(-hi // SKIP), held.size)):
        held[b] = UNKNOWN


@njit(cache=True, inline="always")
def _flag(k, p_hi, t_next, ek, today, hit, start, end):
    """hit[j] for j in [start, end); unsigned bounds: no negative-index wrap-around to
    test, so it vectorises."""
    for j in range(np.uint64(start), np.uint64(end)):
        hit[j] = may_fall_under(mix(k[j] ^ ek), p_hi[j]) | (t_next[j] <= today)


@njit(cache=True)
def sweep(k, p_hi, t_next, ek, day, hit, held, first, lo, recount):
    """hit[j] = whether customer lo + j (key k[j], stored bound and timer) is visited
    today, given the blocks' summaries (`held`, `first`); with `recount`, every block is
    counted. A range always swept by the same call may start or end inside a block (a
    funnel chunk starts one)."""
    today = np.uint16(day)
    n = k.size
    start, b, last_block = 0, lo // SKIP, (lo + n - 1) // SKIP
    while start < n:
        if not recount:    # a run of live blocks, swept in one pass
            after = b
            while after <= last_block and held[after] == LIVE:
                after += 1
            end = max(start, min(n, after * SKIP - lo))   # the first block may start
            _flag(k, p_hi, t_next, ek, today, hit, start, end)   # before lo
            if end == n:
                return
            start, b = end, after
        end = min(n, (b + 1) * SKIP - lo)
        if held[b] == DEAD and first[b] > today:
            hit[start:end] = 0
        else:            # counted: the living, the forced, the earliest timer
            _flag(k, p_hi, t_next, ek, today, hit, start, end)
            living, forced, soonest = 0, 0, NEVER_DUE
            for j in range(np.uint64(start), np.uint64(end)):
                living += p_hi[j] > 0
                forced += p_hi[j] == ALWAYS
                soonest = min(soonest, t_next[j])
            held[b] = UNKNOWN if forced else (LIVE if living else DEAD)
            first[b] = soonest
        start, b = end, b + 1
