"""Runs a comparison off the UI thread and streams it, run by run, into the store.

Replication 0 of every strategy is asked for first, so each strategy's first answer
arrives early; later replications narrow the bands. A new request supersedes the one
in flight: its queued runs are cancelled and any late result of it is dropped. Runs are
cached by the scenario id of the resolved strategy and the replication's seed, so going
back to an earlier setting (or a strategy shared by two comparisons) costs nothing.
"""

import asyncio
import dataclasses
import threading
from collections import OrderedDict

from scenarios.loader import scenario_id
from sim.ensemble import rep_seed

CACHE_RUNS = 400          # about 1 MB a run at the app's default size


class RunCache:
    """Finished runs by (scenario id, seed), least recently used dropped first."""

    def __init__(self, size: int = CACHE_RUNS):
        self.size = size
        self._runs: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
            return run

    def put(self, key, run) -> None:
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)


SHARED_CACHE = RunCache()   # results are a pure function of the key: safe to share


def run_key(job, name: str, rep: int) -> tuple:
    scenario = {**job.twins, **job.resolved}[name]
    return scenario_id(scenario), rep_seed(job.seed, rep)


class Runner:
    """Owns one session's runs: submits them to the worker pool, hands results to the
    store in the order they finish, and supersedes a run in flight."""

    def __init__(self, store, submit=None, cache: RunCache = SHARED_CACHE):
        self.store = store
        self.cache = cache
        self._submit = submit
        self._generation = 0
        self._futures: list = []

    def submit(self, *args):
        if self._submit is None:
            from apps.app.worker import pool, run_task

            return pool().submit(run_task, *args)
        return self._submit(*args)

    def cancel(self) -> None:
        """Drop the run in flight: queued runs are cancelled, running ones ignored."""
        self._generation += 1
        for f in self._futures:
            f.cancel()
        self._futures = []

    async def run(self, request) -> bool:
        """Compute `request` (a prepared-valid `RunRequest`) into the store; False if a
        newer request superseded it before it finished."""
        self.cancel()
        generation = self._generation
        job = request.prepare()
        names = [*job.strategies, *job.twins]
        tasks = [(name, rep) for rep in range(job.reps) for name in names]
        self.store.begin(request, job, len(tasks))
        pending = {}
        for name, rep in tasks:
            cached = self.cache.get(run_key(job, name, rep))
            if cached is not None:
                self.store.add(dataclasses.replace(cached, strategy=name, rep=rep))
            else:
                future = self.submit(request, name, rep)
                self._futures.append(future)
                pending[asyncio.wrap_future(future)] = (name, rep)
        for next_done in asyncio.as_completed(list(pending)):
            try:
                run = await next_done
            except asyncio.CancelledError:
                return False
            if generation != self._generation:
                return False
            self.cache.put(run_key(job, run.strategy, run.rep), run)
            self.store.add(run)
        if generation != self._generation:
            return False
        self._futures = []
        self.store.finish()
        return True
