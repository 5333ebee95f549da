"""Scaling of a sweep over Dask workers: experiments per second at each worker count.

Each count runs the whole spec into a fresh temporary store on a LocalCluster of that
many workers, each with one numba thread, so the worker count is the only thing that
changes (on a shared machine a run's parallel kernels wait for each other's threads,
which would flatter the larger counts); the rate counts the sweep from its first task
to its last part, cluster start-up excluded.
"""

import os
import platform
import tempfile
from pathlib import Path

from apps.job import version
from apps.sweep.dask_executor import DaskExecutor
from apps.sweep.runner import run_sweep
from apps.sweep.store import Store
from scenarios.sweep_spec import load_spec
from sim.ensemble import cores


def scaling(spec_path, counts: list[int]) -> dict:
    loaded = load_spec(spec_path)
    runs = []
    for n in counts:
        executor = DaskExecutor(n, threads=1)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                store = Store.open(Path(tmp) / "sweep", loaded, version(), fresh=False)
                report = run_sweep(loaded, store, executor)
        finally:
            executor.close()
        runs.append({"workers": n, "numba_threads_per_worker": executor.threads,
                     "experiments": report.ran, "failed": report.failed,
                     "seconds": round(report.seconds, 3),
                     "experiments_per_second": round(report.rate, 4)})
    base = next((r["experiments_per_second"] for r in runs if r["workers"] == 1), None)
    for r in runs:
        r["efficiency"] = (round(r["experiments_per_second"] / (r["workers"] * base), 4)
                           if base else None)
    return {"spec": str(spec_path), "version": version(), "cores": cores(),
            "load_average_at_end": list(os.getloadavg()), "machine": platform.machine(),
            "python": platform.python_version(), "runs": runs}
