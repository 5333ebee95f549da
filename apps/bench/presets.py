"""`snowball bench --presets`: what each preset's mechanics cost against the bare engine.

For every strategy of every preset named, customer-days per second (customers existing
each day, summed, over the wall time of building and running the simulation) at one
size, beside the bare `bench_funnel` engine at the same size. Each preset is measured in
a process of its own with NUMBA_NUM_THREADS set; after a warm-up run of every strategy,
rounds alternate (the bare engine, then each strategy, one after the other) and the
best of the rounds is kept for each, so the ratios stand on a shared, noisy machine.
"""

import json
import os
import subprocess
import sys
import time

from apps.bench.machine import machine
from scenarios.errors import InputError
from scenarios.loader import preset_names

_PRESET = ("import json; from apps.bench.presets import time_preset; "
           "print(json.dumps(time_preset({preset!r}, {customers}, {days}, {rounds}, {seed})))")


def parse_presets(presets: str) -> list[str]:
    """The --presets value ("all" or comma-separated names) as preset names."""
    known = [p for p in preset_names() if p != "bench_funnel"]
    if presets.strip() == "all":
        return known
    names = [p.strip() for p in presets.split(",")]
    wrong = [p for p in names if p not in preset_names()]
    if wrong:
        raise InputError(f"--presets {presets!r}: not a preset: {', '.join(wrong)}; give "
                         f"'all' or some of: {', '.join(preset_names())}")
    return names


def _timed(preset: str, strategy: str, customers: int, days: int, seed: int) -> tuple:
    """(customer-days, wall seconds) of one run, building included."""
    from scenarios.build import make_sim
    from scenarios.loader import ScenarioFile

    f = ScenarioFile(preset)
    f.adjust(customers=customers, days=days)
    sc = f.resolve(strategy)
    t0 = time.perf_counter()
    results = make_sim(sc, seed).run()
    wall = time.perf_counter() - t0
    return float(results["n_customers"].sum()), wall


def time_preset(preset: str, customers: int, days: int, rounds: int, seed: int) -> dict:
    """Best-of-rounds throughput of the bare engine and of each strategy of `preset`
    (run in this process: call it in one with the numba threads wanted)."""
    import numba

    from scenarios.loader import ScenarioFile

    strategies = ScenarioFile(preset).strategy_names
    runs = [("bench_funnel", "baseline")] + [(preset, s) for s in strategies]
    for p, s in runs:
        _timed(p, s, 2000, 30, seed)  # compile or load the kernels before timing
    best: dict[tuple, float] = {}
    for _ in range(rounds):
        for key in runs:
            work, wall = _timed(*key, customers, days, seed)
            best[key] = max(best.get(key, 0.0), work / wall)
    bare = best[runs[0]]
    by_strategy = {s: best[(preset, s)] for s in strategies}
    slowest = min(by_strategy, key=by_strategy.get)
    return {
        "threads": numba.get_num_threads(),
        "bench_funnel_customer_days_per_s": bare,
        "customer_days_per_s_by_strategy": by_strategy,
        "vs_bench_funnel_by_strategy": {s: v / bare for s, v in by_strategy.items()},
        "slowest_strategy": slowest,
        "slowest_strategy_vs_bench_funnel": by_strategy[slowest] / bare,
    }


def preset_table(presets: list[str], customers: int, days: int, threads: int, rounds: int,
                 seed: int) -> dict:
    """Each preset's table, measured in a process of its own."""
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    table = {}
    for preset in presets:
        code = _PRESET.format(preset=preset, customers=customers, days=days,
                              rounds=rounds, seed=seed)
        load = list(os.getloadavg())
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True)
        table[preset] = json.loads(done.stdout.strip().splitlines()[-1])
        table[preset]["load_average_at_start"] = load
    return {
        "method": (f"customer-days (customers existing each day, summed) per second of "
                   f"building and running one strategy; each preset in a process of its own "
                   f"with NUMBA_NUM_THREADS={threads}; after a warm-up, {rounds} rounds, in "
                   "each the bare bench_funnel engine and then every strategy one after the "
                   "other at the same size; best of the rounds"),
        "customers": customers,
        "days": days,
        "seed": seed,
        "machine": {**machine(), "numba_threads": threads},
        "presets": table,
        "worst_slowest_strategy_vs_bench_funnel": min(
            row["slowest_strategy_vs_bench_funnel"] for row in table.values()),
    }
