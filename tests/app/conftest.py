"""Shared fixtures of the app's tests: one small comparison, computed once."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from app_fixtures import SMALL, STRATEGIES


@pytest.fixture(scope="session")
def in_thread():
    """Runs submitted to a thread of this process (the server uses worker processes;
    `test_runner` checks that path once)."""
    from apps.app.worker import run_task

    pool = ThreadPoolExecutor(1)
    calls = []

    def submit(*args):
        calls.append(args[1:])
        return pool.submit(run_task, *args)

    submit.calls = calls
    yield submit
    pool.shutdown()


@pytest.fixture(scope="session")
def computed(in_thread):
    """A session's app after one finished comparison (by mechanic, for that view too)."""
    from apps.app.layout import SnowballApp

    app = SnowballApp(submit=in_thread, **SMALL)
    app.state.param.update(strategies=STRATEGIES, by_mechanic=True)
    assert asyncio.run(app.refresh())
    return app


from sweep_fixtures import sobol_sweep  # noqa: E402,F401  (the Sweeps tab's tests)
