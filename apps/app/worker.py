"""Worker processes that simulate the app's runs, so the page never waits on them.

One pool serves every session of the server: a run is a few seconds of numba work, and
the cores are shared anyway. Workers are spawned (not forked from the server, whose
threads and event loop do not survive a fork) with one numba thread each: one run per
core keeps the cores busy.
"""

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _start() -> None:
    from sim.threads import set_process_threads

    set_process_threads(1)
    os.environ["SNOWBALL_WORKERS"] = "1"


def pool() -> ProcessPoolExecutor:
    """The server's worker pool, started on first use."""
    global _pool
    with _lock:
        if _pool is None:
            from sim.ensemble import cores

            _pool = ProcessPoolExecutor(max(1, cores()),
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start)
        return _pool


def run_task(request, name: str, rep: int):
    """Replication `rep` of strategy (or leave-one-out twin) `name` of `request`."""
    return request.prepare().run_one(name, rep)


def warm_up() -> None:
    """Start the workers and load the kernels now, so the first comparison is quick."""
    from apps.app.request import RunRequest
    from scenarios.loader import read_text

    text, label = read_text("baby_food")
    request = RunRequest(text, label, 200, 30, 1, 1, ("baseline",))
    futures = [pool().submit(run_task, request, "baseline", 0) for _ in range(pool()._max_workers)]
    for f in futures:
        f.result()
