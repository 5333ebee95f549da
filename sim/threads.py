"""Thread runtime settings for the numba kernels.

Numba's OpenMP threads spin for a long time between parallel regions by default. The
day loop runs a few short parallel kernels a day with Python in between, so spinning
threads compete with the Python thread for the cores; on a busy or small machine that
makes a day 10-100 times slower. Sleeping at once costs a wake-up per kernel instead.
A short spin, then sleep, is fastest on a quiet machine and safe on a busy one
(measured on bench_funnel, 2 cores). A user's own setting wins.

Kernels split the customers into fixed chunks of 16,384 (the thread count never
changes a result), so a thread without a whole chunk to work on only adds a wake-up
and a wait at the barrier to every kernel: on a shared 2-core machine a 10,000-customer
run took 4-8 times longer on 2 threads than on 1. A run therefore uses one thread per
whole chunk of the population it will reach, at most the threads it was given.

Chunks are handed to the threads one at a time, as each finishes its last, rather than
split in equal shares up front: on a shared machine one thread is often held up by
another process, and with equal shares the whole kernel would wait for it at the
barrier. Which thread runs a chunk never changes a result.
"""

import os

import numba

SPIN = "20000"
CUSTOMERS_PER_THREAD = 16384


def prefer_short_spin() -> None:
    """Ask OpenMP threads to spin briefly, then sleep (before the first parallel kernel)."""
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPIN


def set_process_threads(threads: int) -> None:
    """A fresh worker process's numba thread count, set before its first kernel. numba
    is already imported (with the parent's setting) when a pool's initializer runs, and
    every compile reads the environment again: a count that changed after the threads
    started would make a worker's first compile (a cold kernel cache) fail. So numba's
    settings are read again here, before any thread starts, and the count is set (numba
    sized its pool at import)."""
    os.environ["NUMBA_NUM_THREADS"] = str(threads)
    numba.config.reload_config()
    numba.set_num_threads(threads)


def threads_for(customers: int, available: int) -> int:
    """Threads worth waking for kernels over `customers`: one per whole chunk."""
    return max(1, min(int(available), int(customers) // CUSTOMERS_PER_THREAD))


class ThreadsFor:
    """Context: numba threads sized to a population, chunks handed out one at a time;
    the caller's settings restored after. `fit(customers)` resizes when the
    population's size asks for another count."""

    def __enter__(self):
        self.available = numba.get_num_threads()
        self.current = self.available
        self.chunksize = numba.get_parallel_chunksize()
        numba.set_parallel_chunksize(1)     # one chunk at a time, to whichever is free
        return self

    def fit(self, customers: int) -> None:
        wanted = threads_for(customers, self.available)
        if wanted != self.current:
            numba.set_num_threads(wanted)
            self.current = wanted

    def __exit__(self, *exc):
        numba.set_parallel_chunksize(self.chunksize)
        if self.current != self.available:
            numba.set_num_threads(self.available)
        return False
