"""Executors: run a function over many independent tasks, serially, in local worker
processes or on a Dask cluster, and hand back each result as it finishes.

They know nothing of what the tasks compute. Every executor yields `(index, result)`
pairs in completion order, where `result` is the task's return value or the exception
that ended it (a task that kept killing its worker, a lost connection), so the caller
stores what finished and goes on. Worker processes share the machine's cores: each
runs one task at a time with `threads` numba threads, and workers x threads never
exceeds the cores. (The Dask executor, same interface, sits with the sweeps in
`apps/sweep/dask_executor.py`: nothing under sim/ imports Dask.)
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterator, Protocol


class Executor(Protocol):
    workers: int     # tasks running at once
    threads: int     # numba threads of each (0: leave as is)

    def map(self, fn: Callable, tasks: list) -> Iterator[tuple[int, object]]: ...

    def close(self) -> None: ...


def threads_per_worker(workers: int) -> int:
    from sim.ensemble import cores      # not at import: a worker sets its threads first

    return max(1, cores() // max(1, workers))


class SerialExecutor:
    """Everything here, in order: the reference the others must match."""

    workers = 1
    threads = 0

    def map(self, fn: Callable, tasks: list) -> Iterator[tuple[int, object]]:
        for i, args in enumerate(tasks):
            try:
                yield i, fn(*args)
            except Exception as e:      # handed back: the caller records it
                yield i, e

    def close(self) -> None:
        pass


def _start_worker(threads: int) -> None:
    from sim.threads import set_process_threads

    set_process_threads(threads)


class ProcessExecutor:
    """Local worker processes (spawned: a fresh interpreter is safe whatever threads
    this one has started)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.threads = threads_per_worker(workers)
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker, initargs=(self.threads,))

    def map(self, fn: Callable, tasks: list) -> Iterator[tuple[int, object]]:
        futures = {self.pool.submit(fn, *args): i for i, args in enumerate(tasks)}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as e:
                yield futures[future], e

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
