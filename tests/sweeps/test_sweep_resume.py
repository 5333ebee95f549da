"""A sweep process SIGKILLed midway and rerun stores every experiment exactly once,
equal to an uninterrupted run; failed experiments are recorded and the sweep goes on."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from apps.cli import app
from apps.sweep.store import load
from sweep_fixtures import run_serial, write_spec

SPEC = """\
scenario: baby_food
customers: 1000
days: 60
strategies: [baseline, retention_plus]
parameters:
  levers.premature_churn_multiplier: [0.5, 1.0]
  economics.gross_margin: [0.2, 0.4]
outcomes: [revenue, incremental_revenue]
design: {grid: {levels: 5}}
seed: 4
batch_size: 2
"""
ROOT = Path(__file__).resolve().parents[2]


def test_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "apps.cli", "sweep", "run", str(spec), "--out", str(out),
           "--executor", "serial", "--json"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts = out / "parts"
    while proc.poll() is None and len(list(parts.glob("*.parquet"))) < 2:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = len(list(parts.glob("*.parquet")))
    assert 2 <= stored < 13, f"{stored} of 13 parts at the kill: not midway"

    result = CliRunner().invoke(app, ["sweep", "run", str(spec), "--out", str(out),
                                      "--executor", "serial", "--json"])
    assert result.exit_code == 0, result.output
    assert '"skipped": ' + str(2 * stored) in result.output.replace("\n", "")
    assert not list(parts.glob(".*"))                      # no half-written part left
    frame = load(out)
    assert frame.groupby(["experiment", "strategy"]).size().eq(1).all()
    assert sorted(frame["experiment"].unique()) == list(range(25))
    reference = tmp_path / "reference"
    run_serial(spec, reference)
    pd.testing.assert_frame_equal(frame, load(reference))

    again = CliRunner().invoke(app, ["sweep", "run", str(spec), "--out", str(out),
                                     "--executor", "serial", "--json"])
    assert '"ran": 0' in again.output and '"skipped": 25' in again.output


def test_failed_experiments_are_recorded_and_the_sweep_goes_on(tmp_path):
    """Each value is valid on its own, but a 200-day history cannot hold customers
    churned after 300 days: those experiments fail with that message, the rest run."""
    text = SPEC.replace("levers.premature_churn_multiplier: [0.5, 1.0]",
                        "base.history_days: {levels: [200, 365]}").replace(
        "economics.gross_margin: [0.2, 0.4]", "funnel.churned_after_days: {levels: [150, 300]}")
    spec = write_spec(tmp_path, text)
    result = CliRunner().invoke(app, ["sweep", "run", str(spec), "--out", str(tmp_path / "o"),
                                      "--executor", "serial", "--json"])
    assert result.exit_code == 0, result.output
    frame = load(tmp_path / "o")
    failed = frame[frame["error"].notna()]
    assert set(zip(failed["base.history_days"], failed["funnel.churned_after_days"])) == \
        {(200.0, 300.0)}
    assert failed["revenue"].isna().all() and "history_days" in failed["error"].iloc[0]
    assert frame.loc[frame["error"].isna(), "revenue"].notna().all()
    assert '"failed": ' + str(failed["experiment"].nunique()) in result.output
