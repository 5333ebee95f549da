"""Customer states of one group are stored as one record per customer; the rest as
arrays of their own. Either way every state reads and grows the same."""

import numpy as np
import pytest

from models.funnel import EXACT_RECORD, STATES
from sim.customers import Customers


def _declared(capacity):
    c = Customers(capacity)
    c.declare("a", np.float32, 1.5, group="g")
    c.declare("b", np.int32, -7, group="g")
    c.declare("c", np.uint8, 3)
    c.declare("d", np.float32, 0.25, group="g")
    return c


def test_a_group_is_interleaved_one_record_per_customer():
    c = _declared(10)
    c.pack()
    assert c.a.strides == c.b.strides == c.d.strides == (12,)
    assert c.c.strides == (1,)
    # consecutive fields of one customer's record, the record 64-byte aligned
    assert c.b.ctypes.data - c.a.ctypes.data == 4 and c.d.ctypes.data - c.b.ctypes.data == 4
    assert c.a.ctypes.data % 64 == 0
    assert c.bytes_per_customer == 8 + 4 + 4 + 4 + 1 + 4     # kh and arrival, then a..d
    assert (c.a == 1.5).all() and (c.b == -7).all() and (c.c == 3).all() and (c.d == 0.25).all()


def test_grouped_states_keep_their_values_when_the_block_grows():
    c = _declared(4)
    c.add(0, 0, 4)
    c.a[:4], c.b[:4], c.c[:4], c.d[:4] = [1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], 0.5
    c.add(0, 1, 5)                      # beyond the capacity: everything moves
    assert c.capacity == 16 and c.a.strides == (12,)
    assert c.a[:9].tolist() == [1, 2, 3, 4] + [1.5] * 5
    assert c.b[:9].tolist() == [5, 6, 7, 8] + [-7] * 5
    assert c.c[:9].tolist() == [9, 10, 11, 12] + [3] * 5
    assert c.d[:9].tolist() == [0.5] * 4 + [0.25] * 5


def test_the_exact_pass_record_is_half_a_cache_line():
    assert len({np.dtype(STATES[n][0]).itemsize for n in EXACT_RECORD}) == 1
    assert sum(np.dtype(STATES[n][0]).itemsize for n in EXACT_RECORD) == 32


def test_a_new_block_holds_every_start_value_whatever_the_record_size():
    """The block is filled as 8-byte words in pieces the threads share: every state of
    every slot must read its own start value, for records whose size is no multiple of
    8 (12 bytes: a pattern of three words), one-byte states and a capacity that spans
    several pieces and ends mid-word."""
    capacity = 70_001       # 840,012 bytes of records: 26 pieces of 32,768 words
    c = Customers(capacity)
    c.declare("a", np.float32, 1.5, group="g")
    c.declare("b", np.int32, -7, group="g")
    c.declare("d", np.float32, 1e30, group="g")
    c.declare("c", np.uint8, 3)
    c.declare("e", np.int8, -1)
    c.declare("f", np.float64, 0.1)
    c.pack()
    for name, (value, dtype) in {"a": (1.5, np.float32), "b": (-7, np.int32),
                                 "d": (1e30, np.float32), "c": (3, np.uint8),
                                 "e": (-1, np.int8), "f": (0.1, np.float64),
                                 "kh": (0, np.uint64), "arrival": (0, np.int32)}.items():
        expected = np.full(capacity, value, dtype=dtype)
        assert np.array_equal(getattr(c, name), expected), name


def test_a_state_declared_after_the_layout_reads_and_grows_like_the_others():
    c = _declared(4)
    c.add(0, 0, 4)
    c.declare("late", np.int16, 9)
    c.late[:4] = [1, 2, 3, 4]
    c.add(0, 1, 5)                      # everything moves, the late state with the rest
    assert c.late[:9].tolist() == [1, 2, 3, 4] + [9] * 5
    assert c.late is c.view(("late",))[0]


def test_the_layout_count_changes_exactly_when_arrays_move_or_are_added():
    """Packs of the arrays are kept while `layout` stays the same: it must change
    whenever one of them would be stale, and only then (else they are rebuilt daily)."""
    c = _declared(4)
    c.pack()
    packed, a = c.layout, c.a
    c.add(0, 0, 4)                      # fits: nothing moves
    assert c.layout == packed and c.a is a
    c.declare("late", np.int16, 9)      # a new array
    assert c.layout > packed
    added = c.layout
    c.add(0, 1, 1)                      # grows: everything moves
    assert c.layout > added and c.a is not a


@pytest.mark.parametrize("name", ["n", "capacity", "layout", "view", "_arrays"])
def test_a_state_may_not_take_the_name_of_the_customers_own_attributes(name):
    with pytest.raises(ValueError, match=f"state name '{name}' is taken"):
        Customers(4).declare(name, np.int8)
