"""The runner: the CLI's numbers, streamed run by run, cached, superseded."""

import asyncio
import threading
from concurrent.futures import Future

from apps.app.request import RunRequest
from apps.app.runner import RunCache, Runner
from apps.app.store import ResultsStore
from apps.job import Job
from scenarios.loader import read_text

from app_fixtures import SMALL, STRATEGIES


def _request(**change):
    text, label = read_text("baby_food")
    fields = dict(text=text, label=label, customers=SMALL["customers"], days=182,
                  reps=SMALL["reps"], seed=SMALL["seed"], strategies=tuple(STRATEGIES),
                  by_mechanic=True)
    return RunRequest(**{**fields, **change})


def test_the_app_reports_the_clis_numbers(computed):
    """The same scenario, size, seed and strategies through `Job.run` (the CLI's path)."""
    job = Job.prepare("baby_food", SMALL["customers"], 182, SMALL["reps"], SMALL["seed"],
                      ",".join(STRATEGIES), by_mechanic=True)
    assert computed.store.document() == job.document(job.run())


def test_runs_stream_first_replication_of_every_strategy_first(computed, in_thread):
    store = computed.store
    job = store.job
    names = [*job.strategies, *job.twins]
    assert store.done == store.total == len(names) * SMALL["reps"]
    asked = [call for call in in_thread.calls if call[0] in names][: len(names)]
    assert [rep for _, rep in asked] == [0] * len(names)


def test_going_back_is_served_from_the_cache(in_thread):
    cache = RunCache()
    store = ResultsStore()
    runner = Runner(store, submit=in_thread, cache=cache)
    request = _request(by_mechanic=False, strategies=("baseline",), reps=1)
    before = len(in_thread.calls)
    assert asyncio.run(runner.run(request))
    assert len(in_thread.calls) == before + 1
    first = store.document()
    assert asyncio.run(runner.run(request))
    assert len(in_thread.calls) == before + 1       # nothing simulated again
    assert store.document() == first


def test_a_new_request_supersedes_the_one_in_flight(in_thread):
    """The first request's runs never finish; the second's results are the store's."""
    store = ResultsStore()
    held: list[Future] = []

    def submit(request, name, rep):
        if request.seed == 1:
            held.append(Future())        # never completes: a run still going
            return held[-1]
        return in_thread(request, name, rep)

    runner = Runner(store, submit=submit, cache=RunCache())
    first = _request(seed=1, by_mechanic=False, strategies=("baseline",), reps=1)
    second = _request(seed=2, by_mechanic=False, strategies=("baseline",), reps=1)

    async def both():
        slow = asyncio.ensure_future(runner.run(first))
        await asyncio.sleep(0)
        done = await runner.run(second)
        return await slow, done

    assert asyncio.run(both()) == (False, True)
    assert all(f.cancelled() for f in held)
    assert store.request == second and store.document()["seed"] == 2


def test_worker_processes_compute_the_same_run(in_thread):
    """The server's path: a spawned worker process; same run as in this process."""
    from apps.app.worker import pool, run_task

    request = _request(by_mechanic=False, strategies=("baseline",), reps=1, days=60)
    remote = pool().submit(run_task, request, "baseline", 0).result(timeout=600)
    local = run_task(request, "baseline", 0)
    assert remote.summary == local.summary
    assert threading.current_thread() is threading.main_thread()
