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


@njit(cache=True)
def sweep(k, p_hi, t_next, ek, day, hit):
    """hit[j] = whether customer j (key k[j], stored bound and timer) is visited today;
    no branches, so it vectorises."""
    today = np.uint16(day)
    for j in range(k.size):
        hit[j] = may_fall_under(mix(k[j] ^ ek), p_hi[j]) | (t_next[j] <= today)
