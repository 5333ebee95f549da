"""A spawned worker given fewer numba threads than its parent still compiles kernels:
with a cold kernel cache, the first runs of a sweep's or the app's workers compile, and
every compile reads numba's settings from the environment again, which numba refuses
once its threads run with another count than the one it read at import."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numba
import numpy as np
from numba import njit, prange

from sim.executors import _start_worker, threads_per_worker


@njit(parallel=True)        # not cached: the worker compiles it
def _total(x):
    s = 0.0
    for i in prange(x.size):
        s += x[i]
    return s


def _compile_after_threads_started() -> tuple:
    """Start the threads (as a worker's first task does, setting its count), then
    compile a kernel."""
    threads = numba.get_num_threads()
    return threads, _total(np.ones(8)), numba.config.NUMBA_NUM_THREADS


def test_a_worker_with_fewer_threads_compiles_after_its_threads_started():
    threads = threads_per_worker(2)     # what each of two local workers gets
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(threads,)) as pool:
        got = pool.submit(_compile_after_threads_started).result(timeout=120)
    assert got == (threads, 8.0, threads)
