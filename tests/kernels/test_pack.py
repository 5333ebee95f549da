"""A `Pack` hands a kernel the very arrays it was built from: a kernel's writes through
the pack land in the caller's arrays (nested tuples and scalars included), and arrays
that moved need a new pack (the old one still holds the old arrays)."""

import numpy as np
from numba import njit

from sim.pack import Pack


@njit(cache=True)
def _add_to_all(P, i, x):
    """Adds x at i of every array of the pack's (a, (b, c), scale), times scale."""
    a, (b, c), scale = P.items
    a[i] += x * scale
    b[i] += x * scale
    c[i] += np.float32(x * scale)
    return a.size + b.size + c.size


def _arrays(n):
    return np.zeros(n, dtype=np.int64), np.ones(n), np.full(n, 2.0, dtype=np.float32)


def test_writes_through_a_pack_land_in_the_callers_arrays():
    a, b, c = _arrays(5)
    P = Pack((a, (b, c), 3))
    assert _add_to_all(P, 2, 4) == 15
    assert _add_to_all(P, 2, 1) == 15
    assert a.tolist() == [0, 0, 15, 0, 0]
    assert b.tolist() == [1.0, 1.0, 16.0, 1.0, 1.0]
    assert c.tolist() == [2.0, 2.0, 17.0, 2.0, 2.0]


def test_a_pack_keeps_the_arrays_it_was_built_from():
    old = _arrays(3)
    P = Pack((old[0], old[1:], 1))
    new = tuple(np.concatenate([x, x]) for x in old)     # the arrays moved (grown)
    _add_to_all(P, 0, 5)
    assert old[0][0] == 5 and new[0][0] == 0
    assert _add_to_all(Pack((new[0], new[1:], 1)), 4, 5) == 18
    assert new[0].tolist() == [0, 0, 0, 0, 5, 0] and old[0].tolist() == [5, 0, 0]
