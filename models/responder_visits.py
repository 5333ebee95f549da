"""Campaign responders whom the funnel's exact pass need not visit today.

A response multiplies today's purchase probability by the customer's `boost` and
counts as an exposure; the exact pass must visit the customer if today's uniform (the
funnel's own, drawn from the event key) may fall under the boosted event probability.
A responder whose uniform lies above a proven bound of it has no event today: a visit
would only reset the boost and the exposure and recompute the cached bound. Such a
responder is not forced into the pass (`p_hi` at its top) but written to the list of
its chunk, and `release` does that reset after the day's pass. Lists are per funnel
chunk (each chunk writes its own row, whatever the thread count) and short; a
responder that finds its list full is forced.

The cached bound needs no recomputing: `bound` reads the day only through whether an
offer is held that day, whether a complementary buyer's window is open and whether a
renewal is pending. A released customer was neither visited nor refreshed since the
day the bound was taken, so nothing else it reads changed, and each of the three can
only differ between that day and today if the timer (the offer's end, the window's
end, the due day) came first, i.e. if today's pass visits the customer anyway. So the
visit would have written the same bound.

The bound (`must_visit`). `p_hi` stands for fl32(fl32(P) + 1e-7), rounded up to a
multiple of 2**-15 (`funnel_screen.stored_bound`), with P = h + (1 - h) C(q0 +
(1 - q0) r0), the event probability of any day up to the customer's next timer with no
boost and no exposure (q0 >= today's unexposed purchase probability q, r0 >= today's
offer and promo response r, C the cart intent: q, or min(1, c q) with c >= 1 for
impulse demand); rounding to nearest never goes below P's float32 neighbour and the
rounding up only adds, so P <= p_hi (1 + 2**-23). Today's boosted probability uses
q' = min(1, q e b), e the exposure's lift (1 / the unexposed share for impulse demand,
else 1), b the boost. With g = e
max(1, b) >= 1: min(1, q e b) <= g q0; x + (1 - x) r = r + x (1 - r) grows with x and
r + g x (1 - r) <= g (r + x (1 - r)) as r is in [0, 1]; C(g y) <= g C(y); h + (1 - h) g Y
<= g (h + (1 - h) Y). So today's event probability (death, purchase or cart) is at
most g P <= g p_hi (1 + 2**-23); `MARGIN` adds room for that and for the float64 sums
of the exact pass. It holds only while P does: not after a change beyond today (a
personal offer moves `offer_end`, so its responders are forced).
"""

import numpy as np
from numba import njit, prange

from models.funnel_kernel import CHUNK
from models.funnel_screen import ALWAYS, bound_value
from models.layouts import D_A
from models.stages import EXPOSED, IMPULSE
from sim.prefetch import AHEAD, prefetch

SLOTS = CHUNK // 4       # responders one chunk can list in a day (then: forced)
MARGIN = 1.0 + 1e-6      # float32 rounding of p_hi (2**-23) and the exact pass's sums
FORCED = ALWAYS          # a p_hi above any uniform: visited by today's exact pass


def exposure_lift(dem_tab) -> float:
    """How much an exposure can lift an impulse buyer's purchase probability (inf if
    the unexposed share is 0: every impulse responder is then forced)."""
    share = float(dem_tab[IMPULSE, D_A])
    return np.inf if share <= 0.0 else max(1.0, 1.0 / share)


def empty_lists(chunks: int, slots: int = SLOTS) -> np.ndarray:
    """Per chunk: the count of listed responders, then their offsets in the chunk."""
    return np.zeros((chunks, 1 + slots), dtype=np.int16)


@njit(cache=True, inline="always")
def must_visit(u, p_hi, boost, lift):
    """Whether today's uniform `u` may fall under the event probability of a customer
    with cached bound `p_hi` (as stored), `boost` and exposure `lift` (see the module:
    NaN forces)."""
    return not (u >= bound_value(p_hi) * max(1.0, np.float64(boost)) * lift * MARGIN)


@njit(cache=True)
def after_response(i, u, day, offer_days, p_hi, boost, kind, offer_end, lift, lists):
    """The p_hi of responder `i` (alive; `boost`, `offer_end`: after the response): its
    top if today's exact pass must visit it, else its own, and `i` is listed in its
    chunk."""
    e = lift if kind == IMPULSE else 1.0
    if offer_days > 0 or must_visit(u, p_hi, boost, e):
        return FORCED
    row = i // CHUNK
    if row >= lists.shape[0] or lists[row, 0] >= lists.shape[1] - 1:
        return FORCED       # no list (no funnel) or a full one
    m = lists[row, 0]
    lists[row, m + 1] = i - row * CHUNK
    lists[row, 0] = m + 1
    return p_hi


@njit(cache=True)
def release(chunks, lists, flags, boost):
    """After the funnel's day: listed customers lose the boost and the exposure, as the
    exact pass's visit would have left them (one it did visit is already reset). Their
    cached bound and timer are already the ones the visit would have computed (see the
    module). Lists are emptied. Threads are woken only for lists over several chunks."""
    listed = 0
    for c in range(chunks):
        listed += lists[c, 0]
    if listed == 0:
        return
    if chunks == 1:
        _release_chunk(0, lists, flags, boost)
    else:
        _release_chunks(chunks, lists, flags, boost)


@njit(cache=True, parallel=True)
def _release_chunks(chunks, lists, flags, boost):
    for c in prange(chunks):
        _release_chunk(c, lists, flags, boost)


@njit(cache=True)
def _release_chunk(c, lists, flags, boost):
    m = lists[c, 0]
    for t in range(1, m + 1):
        if t + AHEAD <= m:      # overlap the memory waits (`sim.prefetch`)
            prefetch((flags, boost), c * CHUNK + lists[c, t + AHEAD])
        i = c * CHUNK + lists[c, t]
        if flags[i] & EXPOSED:
            flags[i] = flags[i] & ~np.uint8(EXPOSED)
        if boost[i] != 1.0:
            boost[i] = 1.0
    lists[c, 0] = 0
