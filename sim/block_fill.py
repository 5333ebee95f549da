"""Filling a new block of customer states with their start values, on every thread.

A new block is as large as the population the run will reach (two million slots for a
base of a million that doubles in a year): writing every state's start value into it
touches all of its memory, and done by one thread that was the longest serial step of a
large run. Each state's region (an array of its own, or the records of a group) is the
same few bytes repeated, so the block is filled as 8-byte words: the region's pattern
(the start values of one slot, repeated to a whole number of words) tiled over it, in
pieces that the threads share. Which thread writes a piece changes no byte.
"""

import math

import numpy as np
from numba import njit, prange

PIECE = 1 << 15       # words (256 KiB) a thread fills at a time


def slot_pattern(dtype: np.dtype, fills: dict) -> np.ndarray:
    """The start values of one slot of `dtype` (a record, or one state), repeated to the
    smallest whole number of 8-byte words, as those words."""
    slot = np.zeros(1, dtype=dtype)
    if dtype.names:
        for name in dtype.names:
            slot[name] = fills[name]
    else:
        slot[0] = next(iter(fills.values()))
    size = math.lcm(dtype.itemsize, 8)
    return np.frombuffer(slot.tobytes() * (size // dtype.itemsize), dtype=np.uint64)


@njit(cache=True, parallel=True)
def fill_words(words, starts, lengths, pattern_at, pattern_len, patterns):
    """Tile region r's pattern (`patterns[pattern_at[r]:][:pattern_len[r]]`) over
    `words[starts[r]:][:lengths[r]]`, every region in pieces of `PIECE` words."""
    n_regions = starts.size
    first = np.zeros(n_regions + 1, dtype=np.int64)    # each region's first piece
    for r in range(n_regions):
        first[r + 1] = first[r] + (lengths[r] + PIECE - 1) // PIECE
    for p in prange(first[n_regions]):
        r = np.searchsorted(first, p, side="right") - 1
        lo = (p - first[r]) * PIECE
        hi = min(lo + PIECE, lengths[r])
        at, size, base = pattern_at[r], pattern_len[r], starts[r]
        if size == 1:
            words[base + lo:base + hi] = patterns[at]
            continue
        k = lo % size
        for j in range(base + lo, base + hi):
            words[j] = patterns[at + k]
            k += 1
            if k == size:
                k = 0
