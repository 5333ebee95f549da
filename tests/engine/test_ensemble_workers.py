"""Runs in worker processes give the runs of the serial loop, bit for bit, in its order.

`sim.ensemble` forks workers only from a process that has not started numba's OpenMP
threads yet (this test process has, once any parallel kernel ran), so the comparison
runs in a fresh interpreter: the forked ensemble first, then the serial loop in the
same process, and every run's seed, summary, daily series and matrix must agree.
"""

import subprocess
import sys

import pytest

from helpers import scenario
from models.metrics import summarize
from scenarios.build import make_sim
from sim import ensemble as E

COMPARE = r"""
import numba
import numpy as np
from apps.job import Job
from scenarios.build import make_sim
from models.metrics import summarize
from sim import ensemble as E

job = Job.prepare("baby_food", 3000, 120, 3, 11, "all")
rate = job.scenario.economics.discount_rate_per_year

def ensemble(workers):
    return E.Ensemble(lambda s, seed: make_sim(job.resolved[s], seed),
                      lambda sim: summarize(sim, rate), job.strategies, job.reps, job.seed,
                      workers=workers)

assert E.can_fork()
seen = []
forked = ensemble(2).run(lambda s, r, d: seen.append((s, r, d)))
serial = ensemble(1).run()
assert len(forked.runs) == len(serial.runs) == len(job.strategies) * 3
assert len(seen) == len(forked.runs) * 120 and len(set(seen)) == len(seen)
for a, b in zip(forked.runs, serial.runs):
    assert (a.strategy, a.rep, a.seed) == (b.strategy, b.rep, b.seed)
    assert a.summary == b.summary, a.strategy
    assert a.results.names == b.results.names
    for name in a.results.names:
        assert np.array_equal(a.results[name], b.results[name], equal_nan=True), name
    for name, m in a.results.matrices.items():
        assert np.array_equal(m, b.results.matrices[name], equal_nan=True), name
    assert a.seconds > 0
    assert a.threads == max(1, E.cores() // 2) and b.threads == numba.get_num_threads()
print("OK", len(forked.runs))
"""


def test_forked_workers_give_the_serial_runs_exactly():
    done = subprocess.run([sys.executable, "-c", COMPARE], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("OK")


def _ensemble(strategies=("baseline",), reps=2, workers=None, seen=None):
    sc = scenario(horizon_days=20)

    def build(s, seed):
        if seen is not None:
            seen.append((s, seed))
        return make_sim(sc, seed)

    return E.Ensemble(build, lambda sim: summarize(sim, 0.1), list(strategies), reps, 3,
                      workers=workers)


def test_small_work_runs_here_and_builds_each_run_once(monkeypatch):
    monkeypatch.setattr(E, "can_fork", lambda: True)
    monkeypatch.delenv("SNOWBALL_WORKERS", raising=False)
    monkeypatch.setattr(E, "cores", lambda: 4)
    seen = []
    ens = _ensemble(("baseline", "other"), 3, seen=seen)
    workers, _, probe = E.plan_workers(ens, ens.tasks())
    assert workers == 1 and probe is not None       # too little work to fork for
    seen.clear()
    result = ens.run()
    assert [(r.strategy, r.rep) for r in result.runs] == [
        (s, rep) for rep in range(3) for s in ("baseline", "other")]
    assert len(seen) == 6                            # the sizing build is the first run's


def test_worker_plan(monkeypatch):
    ens = _ensemble(("a", "b", "c"), 4)
    tasks = ens.tasks()
    monkeypatch.delenv("SNOWBALL_WORKERS", raising=False)
    monkeypatch.setattr(E, "cores", lambda: 2)
    monkeypatch.setattr(E, "can_fork", lambda: False)
    assert E.plan_workers(ens, tasks)[0] == 1         # numba's threads already started here
    monkeypatch.setattr(E, "can_fork", lambda: True)
    monkeypatch.setattr(E, "MIN_PARALLEL_WORK", 0)
    assert E.plan_workers(ens, tasks)[:2] == (2, 1)  # one run per core, one thread each
    monkeypatch.setattr(E, "cores", lambda: 8)
    assert E.plan_workers(ens, tasks)[:2] == (8, 1)
    assert E.plan_workers(ens, tasks[:2])[:2] == (2, 4)   # fewer runs than cores
    monkeypatch.setattr(E, "available_memory", lambda: 1)
    assert E.plan_workers(ens, tasks)[0] == 1         # no memory for a second run
    monkeypatch.setenv("SNOWBALL_WORKERS", "3")
    assert E.plan_workers(ens, tasks)[0] == 3         # the user's choice
    monkeypatch.setenv("SNOWBALL_WORKERS", "1")
    assert E.plan_workers(ens, tasks)[0] == 1
    assert E.plan_workers(_ensemble(workers=1), tasks)[0] == 1


@pytest.mark.parametrize("workers", [None, 2])
def test_a_process_with_numba_threads_runs_its_ensembles_itself(workers):
    """Here numba's threads have run (other tests): no fork, the same runs."""
    make_sim(scenario(horizon_days=2), 1).run()     # a parallel kernel runs here
    assert not E.can_fork()
    result = _ensemble(("baseline",), 2, workers=workers).run()
    assert [r.rep for r in result.runs] == [0, 1]
