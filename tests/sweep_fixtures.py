"""Tiny sweeps shared by the sweep and app tests: 1,000 customers, 60 days, a few points."""

from pathlib import Path

import pytest

SOBOL = """\
scenario: baby_food
customers: 1000
days: 60
strategies: [baseline, retention_plus]
parameters:
  levers.premature_churn_multiplier: [0.5, 1.0]
  economics.gross_margin: [0.2, 0.4]
outcomes: [revenue, contribution, incremental_revenue]
design: {sobol: {n: 8}}
seed: 5
batch_size: 4
"""


def write_spec(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def run_serial(spec_path: Path, out: Path):
    """The reference: the sweep run here, serially, as `sweep run --executor serial`."""
    from apps.job import version
    from apps.sweep.runner import run_sweep
    from apps.sweep.store import Store
    from scenarios.sweep_spec import load_spec
    from sim.executors import SerialExecutor

    loaded = load_spec(spec_path)
    return run_sweep(loaded, Store.open(out, loaded, version(), fresh=False), SerialExecutor())


@pytest.fixture(scope="session")
def sobol_sweep(tmp_path_factory) -> Path:
    """A finished Sobol' sweep (N = 8, 2 parameters: 48 experiments x 2 strategies)."""
    folder = tmp_path_factory.mktemp("sobol")
    report = run_serial(write_spec(folder, SOBOL), folder / "out")
    assert report.failed == 0 and report.ran == 48
    return folder / "out"
