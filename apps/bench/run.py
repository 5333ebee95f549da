"""`snowball bench`: the engine's speed and memory on the bench_funnel model.

For each size it reports customer-days per second (the specification's deterministic
work metric), the wall time of building the population and of the day loop, peak
memory per customer, and the model's outputs (revenue, stage counts) so speed is
never bought with a different model. Compile time is measured in fresh processes:
once with an empty numba cache (cold) and once with the cache it left (warm). The
plain-numpy reference of the same specification is timed in the same run, so the
ratio means something on a shared, noisy machine.
"""

import functools
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numba

from apps.bench.machine import machine
from apps.bench.reference_numpy import customer_days, simulate_bench_funnel
from models.stages import STAGES
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile

SEED = 20261122
_TINY = ("import time; t=time.perf_counter(); "
         "from scenarios.loader import ScenarioFile; from scenarios.build import make_sim; "
         "f=ScenarioFile('bench_funnel'); f.adjust(customers=2000, days=14); "
         "make_sim(f.resolve('baseline'), 1).run(); print(time.perf_counter()-t)")


def compile_times() -> dict:
    """Seconds to import, compile and run a tiny model: empty cache, then warm cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = {}
        for label in ("cold_s", "cached_s"):
            done = subprocess.run([sys.executable, "-c", _TINY], env=env, check=True,
                                  capture_output=True, text=True)
            out[label] = round(float(done.stdout.strip().splitlines()[-1]), 3)
        return out


def _bench_scenario(customers: int, days: int):
    f = ScenarioFile("bench_funnel")
    f.adjust(customers=customers, days=days)
    return f.resolve("baseline")


def peak_bytes(customers: int, days: int) -> int:
    """Peak traced memory of one run (a run of its own: tracing slows the timing)."""
    sc = _bench_scenario(customers, days)
    tracemalloc.start()
    make_sim(sc, SEED).run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _timed_run(sc) -> tuple:
    """(sim, results, wall seconds, day-loop seconds, seconds outside the days) of one
    run; the day loop starts after day 0 (which creates the base) and ends with the last
    day, so building, initialising and finalising the run fall outside it."""
    t0 = time.perf_counter()
    sim = make_sim(sc, SEED)
    sim.init()
    marks = {}

    def on_day(day):
        if day == 0:
            marks["start"] = time.perf_counter()
        if day == sim.days - 1:
            marks["end"] = time.perf_counter()

    t_built = time.perf_counter()
    results = sim.run(on_day)
    t1 = time.perf_counter()
    return sim, results, t1 - t0, t1 - marks["start"], (t_built - t0) + (t1 - marks["end"])


def engine_run(customers: int, days: int, repeats: int = 3, memory: bool = True) -> dict:
    """Best of `repeats` identical runs (same seed, same work): the machine is shared,
    and the fastest run is the one least disturbed by others."""
    sc = _bench_scenario(customers, days)
    runs = [_timed_run(sc) for _ in range(repeats)]
    sim, results, wall, loop_s, _ = min(runs, key=lambda r: r[2])
    work = customer_days(customers, days)
    loop_work = work - customers - customers // 365  # day 0 counts as build time
    funnel = sim.module("funnel")
    alive = funnel.counts[1]
    stages = {name: int(alive[s]) for s, name in enumerate(STAGES) if name != "won_back"}
    stages["churned"] = int(funnel.counts[0].sum() + alive[STAGES.index("churned")])
    created = sim.customers.n
    return {
        "customers_initial": customers,
        "customers_created": int(created),
        "customer_days": int(work),
        "repeats": repeats,
        "wall_s": round(wall, 4),
        "wall_s_all_repeats": [round(r[2], 4) for r in runs],
        "customer_days_per_s": work / wall,
        "day_loop_s": round(loop_s, 4),
        "day_loop_customer_days_per_s": loop_work / loop_s,
        "peak_bytes_per_customer": peak_bytes(customers, days) / created if memory else None,
        "state_bytes_per_customer": sim.customers.bytes_per_customer,
        "total_revenue": float(results["cum_revenue"][-1]),
        "mean_daily_revenue": float(results["new_revenue"].mean()),
        "not_churned_end": int(alive.sum()),
        "stage_counts_end": stages,
    }


SMALL_RUN = 10_000     # customers of the small run whose fixed costs are reported
WARM_DAYS = 35         # a warm-up run's days: day 0's base, a weekly send, a month's RFM


def warm_up(sizes: list[int], days: int) -> None:
    """Load every kernel the timed runs will use before any is timed: a small run (the
    serial paths) and a short run at each size (the paths only large populations take:
    the base created on every thread, kernels over several chunks). Loading a kernel
    from the cache takes milliseconds, and a timed run must not pay for it, as the peer
    kernel's own warm-up on a toy problem spares it."""
    engine_run(2000, 7, repeats=1, memory=False)
    for n in sorted(sizes):
        engine_run(n, min(days, WARM_DAYS), repeats=1, memory=False)


def _best_small(customers: int, days: int, repeats: int) -> tuple:
    runs = [_timed_run(_bench_scenario(customers, days)) for _ in range(repeats)]
    _, _, wall, _, outside = min(runs, key=lambda r: r[2])
    return wall, outside


@functools.lru_cache(maxsize=2)
def _small_scenario(days: int):
    return _bench_scenario(SMALL_RUN, days)


def small_run_once(days: int) -> int:
    """One small run (its scenario built once per process); returns its customer-days."""
    make_sim(_small_scenario(days), SEED).run()
    return customer_days(SMALL_RUN, days)


def small_run(days: int, large_customer_days_per_s: float, repeats: int = 5) -> dict:
    """Fixed costs of a small run, in process and warm (best of `repeats`).

    A run's time is a fixed part plus a part per customer-day; both sizes here fit in
    the caches, so they share the cost per customer-day, and twice the half-size run's
    time less the full run's is the fixed part. The fixed part per run is what falls
    outside the days (build, init, finalize); the rest, spread over the days, is the
    fixed cost per simulated day (Python, the calendar, kernel calls)."""
    wall, outside = _best_small(SMALL_RUN, days, repeats)
    half_wall, _ = _best_small(SMALL_RUN // 2, days, repeats)
    work = customer_days(SMALL_RUN, days)
    fixed = 2 * half_wall - wall
    return {
        "customers_initial": SMALL_RUN,
        "days": days,
        "customer_days": int(work),
        "repeats": repeats,
        "wall_s": round(wall, 5),
        "customer_days_per_s": work / wall,
        "vs_large_run_throughput": work / wall / large_customer_days_per_s,
        "large_run_customer_days_per_s": large_customer_days_per_s,
        "half_size_wall_s": round(half_wall, 5),
        "fixed_s": round(fixed, 5),
        "fixed_share_of_wall": round(fixed / wall, 4),
        "fixed_per_run_s": round(outside, 6),
        "fixed_per_day_s": round((fixed - outside) / days, 8),
    }


def reference_run(customers: int, days: int) -> dict:
    out = simulate_bench_funnel(customers, days, seed=SEED)
    return {
        "wall_s": round(out.wall_seconds, 4),
        "customer_days_per_s": out.customer_days / out.wall_seconds,
        "mean_daily_revenue": float(out.daily_revenue.mean()),
        "not_churned_end": int(out.not_churned_end),
        "stage_counts_end": {k: int(v) for k, v in out.stage_counts_end.items()},
    }


def run_benchmark(sizes: list[int], days: int, reference: bool = True,
                  threads: list[int] | None = None, peer: str | None = None,
                  rounds: int = 3) -> dict:
    """The in-process runs at each size, the small run's fixed costs against the largest
    size's throughput and, with `threads`, the thread table (engine and `peer`)."""
    if peer:
        from apps.bench.threads import check_peer
        check_peer(peer, SEED)
    report = {
        "benchmark": "bench_funnel",
        "spec": "loyalty-funnel benchmark model v1",
        "days": days,
        "seed": SEED,
        "machine": {**machine(), "load_average_at_start": list(os.getloadavg())},
        "compile": compile_times(),
        "runs": [],
    }
    warm_up(sizes, days)
    for n in sizes:
        row = {"engine": engine_run(n, days)}
        if reference:
            row["numpy_reference"] = reference_run(n, days)
            row["speedup_vs_numpy"] = (row["engine"]["customer_days_per_s"]
                                       / row["numpy_reference"]["customer_days_per_s"])
        report["runs"].append(row)
    largest = max(report["runs"], key=lambda row: row["engine"]["customers_initial"])
    report["small_run"] = small_run(days, largest["engine"]["customer_days_per_s"])
    if threads:
        from apps.bench.threads import thread_table
        report["threads"] = thread_table(threads, sizes, days, peer, rounds, SEED)
    report["machine"]["load_average_at_end"] = list(os.getloadavg())
    return report


def job_benchmark(preset: str, customers: int, years: float, reps: int) -> dict:
    """Time a whole job (every strategy x replications) and each strategy's throughput.

    The job runs as `snowball run` runs it (runs in parallel worker processes where the
    machine has the cores, see `sim.ensemble`). Throughput is customer-days (customers
    existing each day, summed) per second of a strategy's runs, each timed in the
    process that ran it; `parallelism` is the runs' seconds over the wall time. The
    bare bench_funnel engine is timed in this process afterwards at the same size and
    with the numba threads each of the job's runs had, so the ratio says what the
    preset's mechanics cost.
    """
    from apps.job import Job
    from sim.ensemble import cores

    days = max(1, round(years * 365))
    # compile every kernel the job's runs take (every strategy once, at the job's size,
    # for a few weeks) in a process of its own: this one must not start numba's threads
    # before the job forks its workers, and a worker must not compile in a timed run
    warm = _WARM_UP.format(preset=preset, customers=customers, days=min(days, WARM_DAYS),
                           seed=SEED)
    subprocess.run([sys.executable, "-c", warm], check=True, capture_output=True, text=True)
    job = Job.prepare(preset, customers, days, reps, SEED, "all")
    t0 = time.perf_counter()
    result = job.run()
    wall = time.perf_counter() - t0
    per_strategy: dict[str, list] = {s: [0.0, 0.0] for s in job.strategies}
    for run in result.runs:
        per_strategy[run.strategy][0] += run.seconds
        per_strategy[run.strategy][1] += float(run.results["n_customers"].sum())
    (bare_threads,) = {run.threads for run in result.runs}
    bare = _bare_engine(customers, bare_threads)
    throughput = {s: work / seconds for s, (seconds, work) in per_strategy.items()}
    return {
        "job": {"scenario": preset, "customers": customers, "days": days, "reps": reps,
                "strategies": job.strategies},
        "wall_s": round(wall, 3),
        "cores": cores(),
        "threads_per_run": bare_threads,
        "parallelism": round(sum(r.seconds for r in result.runs) / wall, 3),
        "customer_days_per_s_by_strategy": throughput,
        "bench_funnel_customer_days_per_s": bare["customer_days_per_s"],
        "slowest_strategy_vs_bench_funnel": min(throughput.values())
        / bare["customer_days_per_s"],
    }


def _bare_engine(customers: int, threads: int) -> dict:
    """The bare engine at `customers`, warmed up, with the numba threads the job's runs
    had (one each in worker processes on a machine of several cores), so the ratio
    compares runs on equal terms."""
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        warm_up([customers], 365)
        return engine_run(customers, 365, repeats=1)
    finally:
        numba.set_num_threads(before)


_WARM_UP = ("from apps.job import Job; "
            "Job.prepare({preset!r}, {customers}, {days}, 1, {seed}, 'all').run()")
