"""Strategies x replications with common random numbers, reduced to means and bands.

Replication r of every strategy runs with the same seed, so each customer meets the
same draws in every strategy and a difference between strategies is the strategies'
doing, not noise. The band reported beside a mean is the 5th-95th percentile of the
replications (the spread of outcomes a strategy can have), not a CI of the mean.
"""

import multiprocessing
import os
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numba
import numba.np.ufunc.parallel as _numba_parallel
import numpy as np
import pandas as pd

from sim.streams import mix

BAND = "p05-p95 across replications"


def rep_seed(seed: int, rep: int) -> int:
    """Seed of replication `rep`: the same for every strategy (common random numbers)."""
    if rep == 0:
        return int(seed)
    mixed = (int(seed) + int(rep) * 0x9E3779B97F4A7C15) % 2**64
    return int(mix(np.uint64(mixed))) >> 1


@dataclass
class Run:
    strategy: str
    rep: int
    seed: int
    results: object
    summary: dict
    seconds: float = 0.0      # wall time of the run's day loop, in the process that ran it
    threads: int = 0          # numba threads it had (0: not recorded)


@dataclass
class EnsembleResult:
    runs: list[Run] = field(default_factory=list)

    def summaries(self) -> pd.DataFrame:
        rows = [{"strategy": r.strategy, "rep": r.rep, "seed": r.seed, **r.summary}
                for r in self.runs]
        return pd.DataFrame(rows)

    def daily(self) -> pd.DataFrame:
        frames = []
        for r in self.runs:
            frame = r.results.daily()
            frame.insert(0, "rep", np.int32(r.rep))
            frame.insert(0, "strategy", r.strategy)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def matrices(self, name: str) -> pd.DataFrame:
        """A named matrix of every run as tidy rows (strategy, rep, row, column, value)."""
        frames = []
        for r in self.runs:
            m = np.atleast_2d(r.results.matrices[name])
            rows, cols = np.indices(m.shape)
            frames.append(pd.DataFrame({"strategy": r.strategy, "rep": np.int32(r.rep),
                                        "row": rows.ravel().astype(np.int32),
                                        "col": cols.ravel().astype(np.int32),
                                        "value": m.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def reduce(self) -> dict:
        """{strategy: {metric: {"mean", "lo", "hi"}}} with lo/hi the p05/p95 band."""
        out: dict = {}
        for r in self.runs:
            out.setdefault(r.strategy, {})
        for strategy in out:
            runs = [r for r in self.runs if r.strategy == strategy]
            for metric in runs[0].summary:
                values = [r.summary[metric] for r in runs]
                if any(v is None for v in values):
                    out[strategy][metric] = {"mean": None, "lo": None, "hi": None}
                    continue
                v = np.asarray(values, dtype=np.float64)
                lo, hi = np.percentile(v, [5, 95])
                out[strategy][metric] = {"mean": float(v.mean()), "lo": float(lo),
                                         "hi": float(hi)}
        return out


class Ensemble:
    """Runs `make_sim(strategy, seed)` for every strategy and replication.

    Runs are independent (each is seeded by its replication alone), so they may run in
    parallel: on a machine with several cores, a large ensemble runs in worker
    processes forked from this one, each simulating whole runs with its share of the
    numba threads. A day of a run is a few short kernels with Python in between, so one
    thread per run and one run per core keep every core busy, where threads inside one
    run wait for each other (and for anything else the machine is doing) every day.
    Results are the same bit for bit whichever way the runs are scheduled: runs are
    returned in the order of the serial loop (replication by replication, strategies in
    order), and no kernel's result depends on its thread count.

    `workers`: processes to use (1: run here, serially); None decides from the cores,
    the memory and the size of the work, or from the environment variable
    SNOWBALL_WORKERS when it is set.
    """

    def __init__(self, make_sim, summarize, strategies, reps: int, seed: int,
                 workers: int | None = None):
        self.make_sim = make_sim
        self.summarize = summarize
        self.strategies = list(strategies)
        self.reps = int(reps)
        self.seed = int(seed)
        self.workers = workers

    def tasks(self) -> list[tuple[str, int, int]]:
        """(strategy, replication, seed) of every run, in the serial order."""
        return [(strategy, rep, rep_seed(self.seed, rep)) for rep in range(self.reps)
                for strategy in self.strategies]

    def run(self, on_day=None) -> EnsembleResult:
        """`on_day(strategy, rep, day)` is called after every simulated day (progress);
        with worker processes, for each day of a run when the run is done."""
        tasks = self.tasks()
        workers, threads, probe = plan_workers(self, tasks)
        if workers > 1 and can_fork():
            return EnsembleResult(_run_forked(self, tasks, workers, threads, on_day))
        out = EnsembleResult()
        for strategy, rep, seed in tasks:
            hook = None if on_day is None else (
                lambda day, s=strategy, r=rep: on_day(s, r, day))
            out.runs.append(_run_one(self, strategy, rep, seed, hook, probe))
            probe = None
        return out


# ---------------------------------------------------------------- scheduling

MIN_PARALLEL_WORK = 2e8       # customer-days (by capacity) below which forking does not pay
BYTES_PER_RUN_CUSTOMER = 200  # memory of one run per customer slot, with room to spare


def _run_one(ens: Ensemble, strategy: str, rep: int, seed: int, hook=None, sim=None) -> Run:
    if sim is None:
        sim = ens.make_sim(strategy, seed)
    t0 = time.perf_counter()
    results = sim.run(hook)
    seconds = time.perf_counter() - t0
    return Run(strategy, rep, seed, results, ens.summarize(sim), seconds,
               numba.get_num_threads())


def cores() -> int:
    """CPUs this process may use (its affinity), at most numba's thread limit."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(n, numba.config.NUMBA_NUM_THREADS))


def available_memory() -> int:
    """Bytes of memory available now (Linux), or a generous guess elsewhere."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 16 * 2**30


def can_fork() -> bool:
    """Worker processes are forked, which is safe only before this process has started
    numba's OpenMP threads (GNU OpenMP does not survive a fork): a process that already
    ran a parallel kernel runs its ensembles itself."""
    return hasattr(os, "fork") and not _numba_parallel._is_initialized


def plan_workers(ens: Ensemble, tasks: list) -> tuple:
    """(worker processes, numba threads per worker, the first task's sim if it was built
    to size the work); one worker: run here."""
    if len(tasks) < 2 or not can_fork():
        return 1, 0, None
    wanted = ens.workers
    if wanted is None:
        try:
            wanted = int(os.environ.get("SNOWBALL_WORKERS", ""))
        except ValueError:
            wanted = None           # unset (or not a number): decide here
    probe = None
    if wanted is not None:
        workers = max(1, min(int(wanted), len(tasks)))
    else:
        workers = min(cores(), len(tasks))
        if workers < 2:
            return 1, 0, None
        probe = ens.make_sim(tasks[0][0], tasks[0][2])    # built, not run: its size
        slots = probe.customers.capacity
        if slots * probe.days * len(tasks) < MIN_PARALLEL_WORK:
            return 1, 0, probe
        workers = min(workers, available_memory() // max(1, slots * BYTES_PER_RUN_CUSTOMER))
    if workers < 2:
        return 1, 0, probe
    return workers, max(1, cores() // workers), None


_FORKED: Ensemble | None = None     # the ensemble the forked workers run


def _worker_start(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent handles Ctrl-C
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _worker_run(strategy: str, rep: int, seed: int) -> Run:
    return _run_one(_FORKED, strategy, rep, seed)


def _run_forked(ens: Ensemble, tasks: list, workers: int, threads: int, on_day) -> list:
    """Every task in `workers` forked processes; runs returned in task order. Tasks are
    handed out a few at a time, the slowest strategies (as measured so far) first, so
    the last runs to finish are short ones and no core idles long at the end."""
    global _FORKED
    _FORKED = ens
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_start, initargs=(threads,))
    done: list = [None] * len(tasks)
    pending = list(range(len(tasks)))
    seconds: dict[str, list] = {}     # strategy -> seconds of its runs so far
    running: dict = {}
    finished = False

    def cost(k):    # unknown strategies first (in order), then the slowest: short tail
        spent = seconds.get(tasks[k][0])
        return float("inf") if spent is None else sum(spent) / len(spent)

    try:
        while pending or running:
            while pending and len(running) < 2 * workers:
                k = max(pending, key=cost)
                pending.remove(k)
                running[pool.submit(_worker_run, *tasks[k])] = k
            ready, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in ready:
                run = future.result()
                done[running.pop(future)] = run
                seconds.setdefault(run.strategy, []).append(run.seconds)
                if on_day is not None:
                    for day in range(run.results.days):
                        on_day(run.strategy, run.rep, day)
        finished = True
    except BrokenProcessPool as e:
        raise MemoryError("a worker process died while simulating (out of memory?)") from e
    finally:
        _FORKED = None
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=finished, cancel_futures=True)
        if not finished:          # an error or Ctrl-C: stop the runs still going
            for process in processes:
                if process.is_alive():
                    process.terminate()
    return done
