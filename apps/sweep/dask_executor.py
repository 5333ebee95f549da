"""The Dask executor (the interface of `sim.executors`): a LocalCluster of worker
processes, or an existing cluster reached through its scheduler's address."""

from typing import Callable, Iterator

from scenarios.errors import InputError
from sim.executors import threads_per_worker


class DaskExecutor:
    """A Dask cluster: a LocalCluster of `workers` processes (one thread each) or the
    scheduler at `address`. A worker that dies has its tasks rerun elsewhere by Dask;
    a task that keeps killing workers comes back as KilledWorker."""

    def __init__(self, workers: int | None = None, address: str | None = None,
                 timeout: float = 10, threads: int | None = None):
        from distributed import Client, LocalCluster

        self.cluster = None
        if address is None:
            from sim.ensemble import cores

            self.workers = workers or cores()
            self.threads = threads or threads_per_worker(self.workers)
            env = {"NUMBA_NUM_THREADS": str(self.threads), "SNOWBALL_WORKERS": "1"}
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, dashboard_address=":0", env=env)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError(f"--scheduler {address}: cannot reach a Dask scheduler "
                                 f"there within {timeout:g} s ({type(e).__name__}: {e}); "
                                 "start one with `dask scheduler` and workers with "
                                 "`dask worker ADDRESS`, or leave out --scheduler to use "
                                 "a local cluster") from None
            info = self.client.scheduler_info()["workers"].values()
            self.workers = max(1, sum(w.get("nthreads", 1) for w in info))
            self.threads = 1

    def map(self, fn: Callable, tasks: list) -> Iterator[tuple[int, object]]:
        from distributed import as_completed as dask_completed

        futures = {self.client.submit(fn, *args, pure=False): i for i, args in enumerate(tasks)}
        for future in dask_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as e:
                yield futures[future], e
            finally:
                future.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
