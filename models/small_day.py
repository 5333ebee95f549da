"""A population of one chunk simulates its funnel day in one kernel call.

A small run (a sweep's point, a classroom's scenario) pays a kernel call's dispatch, about
a microsecond with its packed arguments, for every kernel of a day: more than the day's
work for a thousand customers. Here the day kernel, the release of the responders a send
spared (`models.responder_visits`) and the day's close (`models.funnel_totals.close_day`)
are one call: the same functions in the same order, so the same results.
"""

from numba import njit

from models import funnel_kernel as fk
from models import funnel_totals as ft
from models import responder_visits as rv
from models.layouts import STATE_ORDER

FLAGS, BOOST = STATE_ORDER.index("flags"), STATE_ORDER.index("boost")   # in the state tuple


@njit(cache=True)
def whole_day(day, n_live, dks, P, close, lists, listed):
    """`one_chunk_day` (`P`: its pack), then, if a send `listed` responders today, their
    release, then `close_day` (`close`: its pack)."""
    fk.one_chunk_day(day, n_live, dks, P)
    if listed:
        S = P.items[0]
        rv.release(1, lists, S[FLAGS], S[BOOST])
    ft.close_day(day, n_live, 1, close)
