"""Filling a new block of customer states with their start values, on every thread.

A new block is as large as the population the run will reach (two million slots for a
base of a million that doubles in a year): writing every state's start value into it
touches all of its memory, and on one thread it would be the longest serial step of a
large run. Each state's region (an array of its own, or the records of a group) is the
same few bytes repeated, so the block is filled as 8-byte words: the region's pattern
(the start values of one slot, repeated to a whole number of words) tiled over it, in
pieces that the threads share. Which thread writes a piece changes no byte.
"""

import functools
import math

import numpy as np
from numba import njit, prange

PIECE = 1 << 15       # words (256 KiB) a thread fills at a time


@functools.lru_cache(maxsize=256)
def slot_pattern(fields: tuple) -> np.ndarray:
    """The start values of one slot, `fields` = ((dtype string, value), ...) in the
    record's order (one pair for a state of its own), repeated to the smallest whole
    number of 8-byte words, as those words (read-only: the runs of a sweep share them)."""
    slot = b"".join(np.array(value, dtype=dtype).tobytes() for dtype, value in fields)
    size = math.lcm(len(slot), 8)
    return np.frombuffer(slot * (size // len(slot)), dtype=np.uint64)


def fill_words(words, starts, lengths, pattern_at, pattern_len, patterns) -> None:
    """Tile region r's pattern (`patterns[pattern_at[r]:][:pattern_len[r]]`) over
    `words[starts[r]:][:lengths[r]]`. A block of one piece or less is filled by this
    thread alone: waking the others would cost more than the filling."""
    if words.size <= PIECE:
        _fill_serial(words, starts, lengths, pattern_at, pattern_len, patterns)
    else:
        _fill_parallel(words, starts, lengths, pattern_at, pattern_len, patterns)


@njit(cache=True)
def _tile(words, base, lo, hi, pattern):
    """words[base + lo:base + hi] = `pattern` repeated from word `base` on."""
    size = pattern.size
    if size == 1:
        words[base + lo:base + hi] = pattern[0]
        return
    k = lo % size
    for j in range(base + lo, base + hi):
        words[j] = pattern[k]
        k += 1
        if k == size:
            k = 0


@njit(cache=True)
def _fill_serial(words, starts, lengths, pattern_at, pattern_len, patterns):
    for r in range(starts.size):
        at = pattern_at[r]
        _tile(words, starts[r], 0, lengths[r], patterns[at:at + pattern_len[r]])


@njit(cache=True, parallel=True)
def _fill_parallel(words, starts, lengths, pattern_at, pattern_len, patterns):
    n_regions = starts.size
    first = np.zeros(n_regions + 1, dtype=np.int64)    # each region's first piece
    for r in range(n_regions):
        first[r + 1] = first[r] + (lengths[r] + PIECE - 1) // PIECE
    for p in prange(first[n_regions]):
        r = np.searchsorted(first, p, side="right") - 1
        lo = (p - first[r]) * PIECE
        at = pattern_at[r]
        _tile(words, starts[r], lo, min(lo + PIECE, lengths[r]),
              patterns[at:at + pattern_len[r]])
