"""A run wakes only the threads its population can keep busy, and gives them back.

Kernels split customers into fixed 16,384-customer chunks, so the thread count never
changes a result (test_determinism); it only decides how many threads wait at each
kernel's barrier. A small run uses one thread, a large one all it was given, and the
caller's setting is restored afterwards, also when a module fails. During a run, chunks
are handed to the threads one at a time (whichever is free takes the next).
"""

import numba
import numpy as np
import pytest

from sim.loop import Sim
from sim.module import Module
from sim.threads import CUSTOMERS_PER_THREAD, threads_for


class Recorder(Module):
    name = "recorder"

    def __init__(self, fail_on=None):
        self.seen = []
        self.fail_on = fail_on

    def step(self, sim, day):
        self.seen.append(numba.get_num_threads())
        if day == self.fail_on:
            raise RuntimeError("module failed")


def test_one_thread_per_whole_chunk_at_most_the_threads_given():
    assert threads_for(0, 8) == 1
    assert threads_for(2 * CUSTOMERS_PER_THREAD - 1, 8) == 1
    assert threads_for(2 * CUSTOMERS_PER_THREAD, 8) == 2
    assert threads_for(100 * CUSTOMERS_PER_THREAD, 8) == 8
    assert threads_for(100 * CUSTOMERS_PER_THREAD, 1) == 1


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 threads")
def test_small_run_uses_one_thread_large_run_all_and_the_setting_is_restored():
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        small, large = Recorder(), Recorder()
        Sim([small], days=3, seed=1, capacity=20_000).run()
        assert small.seen == [1, 1, 1]
        assert numba.get_num_threads() == 2
        Sim([large], days=3, seed=1, capacity=2 * CUSTOMERS_PER_THREAD).run()
        assert large.seen == [2, 2, 2]
        failing = Recorder(fail_on=1)
        with pytest.raises(RuntimeError):
            Sim([failing], days=3, seed=1, capacity=20_000).run()
        assert failing.seen == [1, 1]
        assert numba.get_num_threads() == 2
    finally:
        numba.set_num_threads(before)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 threads")
@pytest.mark.parametrize("arrive_as", ["potential", "new"])
def test_a_large_daily_inflow_drawn_in_parallel_gives_the_serial_run(arrive_as):
    """9,000 arrivals a day (as leads, or buying on arrival) take the parallel arrival
    kernel on 2 threads and the serial one on 1: every series and every customer must
    agree."""
    from helpers import scenario
    from models.acquisition import PARALLEL_ARRIVALS
    from scenarios.build import make_sim

    assert 9000 >= PARALLEL_ARRIVALS
    sc = scenario(horizon_days=5, base={"customers": 2000},
                  acquisition={"inflow_per_day": 9000.0, "arrive_as": arrive_as})
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            sim = make_sim(sc, 5)
            runs.append((sim, sim.run()))
    finally:
        numba.set_num_threads(before)
    (a, ra), (b, rb) = runs
    assert a.customers.n == b.customers.n == 2000 + 5 * 9000
    for name in ra.names:
        np.testing.assert_array_equal(ra[name], rb[name], err_msg=name)
    for name in ("kh", "stage", "purchases", "last", "lam", "nu", "pdrop", "revenue", "due"):
        np.testing.assert_array_equal(getattr(a.customers, name)[:a.customers.n],
                                      getattr(b.customers, name)[:b.customers.n])


class ChunkRecorder(Module):
    name = "chunks"

    def __init__(self):
        self.seen = []

    def step(self, sim, day):
        self.seen.append(numba.get_parallel_chunksize())


def test_chunks_are_handed_out_one_at_a_time_during_a_run_and_the_setting_restored():
    before = numba.get_parallel_chunksize()
    numba.set_parallel_chunksize(7)
    try:
        recorder = ChunkRecorder()
        Sim([recorder], days=2, seed=1, capacity=100).run()
        assert recorder.seen == [1, 1]
        assert numba.get_parallel_chunksize() == 7
    finally:
        numba.set_parallel_chunksize(before)
