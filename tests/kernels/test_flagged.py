"""The exact passes' lists of flagged customers (sim/compress.py): every set flag, in order,
none other; and prefetching changes no value."""

import numpy as np
import pytest

from sim.compress import listed_flags
from sim.prefetch import prefetch
from numba import njit


@pytest.mark.parametrize("n", [1, 7, 8, 9, 63, 1000, 16384])
@pytest.mark.parametrize("density", [0.0, 0.02, 0.5, 1.0])
def test_listed_flags_are_exactly_the_set_flags_in_order(n, density):
    rng = np.random.default_rng(n)
    flags = np.full(n + 20, 1, dtype=np.uint8)     # set flags past n: not listed
    flags[:n] = rng.random(n) < density
    out = np.full(n + 8, -1, dtype=np.int32)
    m = listed_flags(flags, n, 1000, out)
    expected = 1000 + np.flatnonzero(flags[:n])
    assert m == expected.size
    assert np.array_equal(out[:m], expected)
    assert (out[n:] == -1).all()      # nothing written past the n slots it may use


@njit
def _prefetch_then_sum(a, b, idx):
    total = 0.0
    for t in range(idx.size):
        prefetch((a, b), idx[t])
        total += a[idx[t]] + b[idx[t]]
    return total


def test_prefetch_changes_no_value():
    a = np.arange(100, dtype=np.float32)
    b = np.arange(100, dtype=np.int8)
    before = (a.copy(), b.copy())
    idx = np.array([3, 50, 99], dtype=np.int64)
    assert _prefetch_then_sum(a, b, idx) == 3 + 50 + 99 + 3 + 50 + 99
    assert np.array_equal(a, before[0]) and np.array_equal(b, before[1])


def test_prefetch_of_strided_arrays_changes_no_value():
    """Fields of interleaved records (a group of customer states) are strided views."""
    records = np.zeros(100, dtype=[("a", np.float32), ("b", np.int32)])
    records["a"] = np.arange(100)
    records["b"] = -np.arange(100)
    a, b = records["a"], records["b"]
    idx = np.array([3, 50, 99], dtype=np.int32)
    assert _prefetch_then_sum(a, b, idx) == 0.0
    assert np.array_equal(a, np.arange(100)) and np.array_equal(b, -np.arange(100))
