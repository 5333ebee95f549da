"""Every executor gives the same store: serially, in local processes and on a Dask
LocalCluster of 2 workers; a Dask worker SIGKILLed midway costs nothing."""

import os
import signal
import threading
import time

import pandas as pd
import pytest

from apps.job import version
from apps.sweep.runner import run_sweep
from apps.sweep.store import Store, load
from sweep_fixtures import run_serial, write_spec
from scenarios.sweep_spec import load_spec

SPEC = """\
scenario: baby_food
customers: 1000
days: 60
strategies: [baseline, retention_plus]
parameters:
  levers.premature_churn_multiplier: [0.5, 1.0]
  behaviour.demand.recurrent.share_of_wallet: [0.6, 0.8]
outcomes: [revenue, contribution, incremental_contribution, romi]
design: {lhs: {n: 8}}
replications: 2
seed: 9
batch_size: 2
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    return write_spec(tmp_path_factory.mktemp("spec"), SPEC)


@pytest.fixture(scope="module")
def reference(spec_path, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("serial") / "out"
    report = run_serial(spec_path, out)
    assert (report.ran, report.failed) == (16, 0)
    return load(out)


@pytest.fixture(scope="module")
def dask2():
    from apps.sweep.dask_executor import DaskExecutor

    executor = DaskExecutor(2)
    yield executor
    executor.close()


def _run(spec_path, out, executor):
    loaded = load_spec(spec_path)
    return run_sweep(loaded, Store.open(out, loaded, version(), fresh=False), executor)


def test_common_random_numbers_across_points(reference):
    """Replication r has one seed at every point; the two replications differ."""
    seeds = reference.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all() and reference["seed"].nunique() == 2


def test_processes_match_serial(spec_path, reference, tmp_path):
    from sim.executors import ProcessExecutor

    executor = ProcessExecutor(2)
    try:
        _run(spec_path, tmp_path / "out", executor)
    finally:
        executor.close()
    pd.testing.assert_frame_equal(load(tmp_path / "out"), reference)


def test_dask_matches_serial(spec_path, reference, tmp_path, dask2):
    assert dask2.threads * dask2.workers <= os.cpu_count()
    _run(spec_path, tmp_path / "out", dask2)
    pd.testing.assert_frame_equal(load(tmp_path / "out"), reference)


def test_dask_worker_killed_midway(spec_path, reference, tmp_path, dask2):
    """SIGKILL one worker once the first part is stored: Dask reruns its tasks on the
    other (and the restarted) worker; every experiment is stored exactly once."""
    out = tmp_path / "out"
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault(
        "report", _run(spec_path, out, dask2)))
    thread.start()
    while not list((out / "parts").glob("*.parquet")) and thread.is_alive():
        time.sleep(0.02)
    parts_at_kill = len(list((out / "parts").glob("*.parquet")))
    pid = next(iter(dask2.client.run(os.getpid).values()))
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert parts_at_kill < 8, "the sweep ended before the kill: nothing was tested"
    frame = load(out)
    assert frame.groupby(["experiment", "strategy"]).size().eq(1).all()
    assert sorted(frame["experiment"].unique()) == list(range(16))
    assert done["report"].failed == 0
    pd.testing.assert_frame_equal(frame, reference)


def test_store_opens_in_pandas_and_duckdb(spec_path, reference, tmp_path):
    import duckdb

    out = tmp_path / "out"
    run_serial(spec_path, out)
    frame = pd.read_parquet(out / "parts")
    query = f"""select strategy, count(*) as n, sum(revenue) as revenue
                from read_parquet('{out}/parts/*.parquet') group by strategy order by strategy"""
    db = duckdb.sql(query).df()
    mine = frame.groupby("strategy").agg(n=("revenue", "size"), revenue=("revenue", "sum"))
    assert db["strategy"].tolist() == ["baseline", "retention_plus"]
    assert db["n"].tolist() == mine["n"].tolist() == [16, 16]
    assert db["revenue"].to_numpy() == pytest.approx(mine["revenue"].to_numpy(), rel=1e-12)
    assert {"experiment", "point", "replication", "seed", "strategy", "error",
            "scenario_id", "version", "levers.premature_churn_multiplier"} <= set(frame.columns)
