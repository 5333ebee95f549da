"""Small runs side by side, as a sweep runs them: on T threads, T runs at once.

A 10,000-customer run has one 16,384-customer chunk of work per kernel, so it runs on
one thread whatever it is given; a sweep or an ensemble puts the machine's other cores
to work with other runs in worker processes of one thread each. This measures that:
T processes, each warmed up, released together, each doing small runs back to back for
the same time; their customer-days per second add up to what a sweep of small runs
gets from T cores.
"""

import json
import os
import subprocess
import sys

_CHILD = (
    "import json, sys, time; from apps.bench.run import engine_run, small_run_once; "
    "engine_run(2000, 7, repeats=1, memory=False); small_run_once({days}); "
    "print('ready', flush=True); sys.stdin.readline(); "
    "t0 = time.perf_counter(); work = 0; runs = 0\n"
    "while time.perf_counter() - t0 < {seconds}:\n"
    "    work += small_run_once({days}); runs += 1\n"
    "print(json.dumps(dict(runs=runs, customer_days=work, "
    "seconds=time.perf_counter() - t0)))")


def side_by_side(processes: int, days: int, seconds: float) -> dict:
    """Customer-days per second of `processes` one-thread processes doing small runs
    back to back for `seconds`, released together once every one of them is warm."""
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    code = _CHILD.format(days=days, seconds=seconds)
    children = [subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for _ in range(processes)]
    try:
        for child in children:
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("a small-run process ended before it was ready")
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        done = [json.loads(child.communicate()[0].strip().splitlines()[-1])
                for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    return {
        "processes": processes,
        "threads_each": 1,
        "runs": sum(d["runs"] for d in done),
        "customer_days_per_s": sum(d["customer_days"] / d["seconds"] for d in done),
    }
