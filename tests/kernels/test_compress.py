"""The customers listed 16 tests at a time (sim/compress.py), by their dates or by their
stage and flags, are exactly those a plain scan lists, in order, whatever the length
(whole vectors and a tail), the number of dates (one to four groups of four), the bound
above and the masks; the vector stores never write past the n entries the list may
take."""

import numpy as np
import pytest
from numba import njit

from models.stages import STAGES
from sim.compress import (
    LANES, NO_DATE, _append_bits, _store_compressed, listed_dates, listed_passing,
)


def _plain(x, n, lo, dates, above):
    """The documented list: lo + j for every j < n with x[j] in dates or above `above`."""
    return np.array([lo + j for j in range(n) if x[j] > above or x[j] in dates],
                    dtype=np.int32)


def _padded(days):
    dates = np.full(max(4, (len(days) + 3) // 4 * 4), NO_DATE, dtype=np.int32)
    dates[:len(days)] = days
    return dates


def test_the_list_is_the_plain_scans_at_every_length_and_date_count():
    rng = np.random.default_rng(3)
    for n in (0, 1, LANES - 1, LANES, LANES + 1, 5 * LANES + 7, 4096):
        x = rng.integers(90, 110, size=n + 40).astype(np.int32)   # ~5% of each date
        for days in ([100], [100, 95], [100, 99, 98, 97, 96], list(range(92, 108))):
            for above in (np.int32(2**31 - 1), np.int32(106)):
                dates = _padded(days)
                lo = 12_345
                out = np.full(n + 40, -7, dtype=np.int32)
                m = listed_dates(x, n, lo, dates, above, out)
                want = _plain(x, n, lo, dates, above)
                assert m == want.size
                assert (out[:m] == want).all()
                assert (out[n:] == -7).all()      # nothing past the n entries


def test_stage_and_flag_lists_are_the_plain_scans():
    rng = np.random.default_rng(4)
    for n in (0, LANES - 1, 3 * LANES + 5, 4096):
        stage = rng.integers(0, len(STAGES), size=n + 40).astype(np.int8)
        flags = rng.integers(0, 256, size=n + 40).astype(np.uint8)
        for stage_bits in (1, 1 << 2, 0b0101100, (1 << len(STAGES)) - 1, 0):
            for need in (0, 1, 0b1010, 0xFF):
                lo = 4096
                out = np.full(n + 40, -7, dtype=np.int32)
                m = listed_passing(stage, flags, n, lo, stage_bits, np.uint8(need), out)
                want = [lo + j for j in range(n) if (stage_bits >> int(stage[j])) & 1
                        and int(flags[j]) & need == need]
                assert m == len(want) and (out[:m] == want).all()
                assert (out[n:] == -7).all()


def test_every_lane_is_found_alone_and_all_together():
    """One match in each lane position, then every lane matching: the packing keeps
    lane order and the count of every bit pattern's extremes."""
    for lane in range(LANES):
        x = np.zeros(2 * LANES, dtype=np.int32)
        x[LANES + lane] = 5
        out = np.empty(2 * LANES, dtype=np.int32)
        m = listed_dates(x, 2 * LANES, 0, _padded([5]), np.int32(2**31 - 1), out)
        assert m == 1 and out[0] == LANES + lane
    x = np.full(3 * LANES, 5, dtype=np.int32)
    out = np.empty(3 * LANES, dtype=np.int32)
    m = listed_dates(x, 3 * LANES, 7, _padded([5]), np.int32(2**31 - 1), out)
    assert m == 3 * LANES and (out == 7 + np.arange(3 * LANES)).all()


def _appended_by(append):
    @njit
    def appended(patterns, base, out):
        """Each pattern's lanes appended after the previous pattern's; the counts."""
        counts = np.empty(patterns.size, dtype=np.int64)
        m = 0
        for t in range(patterns.size):
            counts[t] = append(out, m, base + LANES * t, patterns[t])
            m += counts[t]
        return counts
    return appended


@pytest.mark.parametrize("append", [_store_compressed, _append_bits],
                         ids=["vector compress", "bit by bit"])
def test_both_ways_of_appending_lanes_write_the_set_bits_in_order(append):
    """Both ways `append_lanes` may take on a machine (the other one is compiled here
    too): every set bit of a mask appended as base + lane, in lane order, and the count;
    masks with no bit, one bit in each lane, every bit, and random ones."""
    rng = np.random.default_rng(5)
    patterns = np.concatenate([[0, 0xFFFF], 1 << np.arange(LANES),
                               rng.integers(0, 1 << LANES, size=2000)]).astype(np.uint16)
    out = np.full(LANES * patterns.size + LANES, -7, dtype=np.int32)
    counts = _appended_by(append)(patterns, 100, out)
    want = [100 + LANES * t + k for t, p in enumerate(patterns.tolist())
            for k in range(LANES) if p >> k & 1]
    assert counts.tolist() == [bin(p).count("1") for p in patterns.tolist()]
    assert out[:len(want)].tolist() == want


def test_a_list_too_short_for_n_is_refused():
    x = np.zeros(32, dtype=np.int32)
    out = np.empty(31, dtype=np.int32)
    with pytest.raises(ValueError):
        listed_dates(x, 32, 0, _padded([0]), np.int32(0), out)
