"""Sensitivity, PRIM and the EMA adapter on tiny sweeps.

Known answers: over these two parameters the baseline's revenue depends on the churn
multiplier alone (gross margin only splits revenue into margin and cost), so under
common random numbers the margin's Sobol' indices and Morris mu* are exactly 0, and
the multiplier's total index is 1 up to the estimator's error (checked against twice
SALib's 95% bootstrap half-width, about 4 standard errors).
"""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from apps.cli import app
from sweep_fixtures import SOBOL, run_serial, write_spec

runner = CliRunner()
CHURN, MARGIN = "levers.premature_churn_multiplier", "economics.gross_margin"


def sweep(*args):
    return runner.invoke(app, ["sweep", *map(str, args)])


def test_sobol_indices_json(sobol_sweep):
    result = sweep("analyze", sobol_sweep, "--json", "--no-charts")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert list(doc) == ["method", "outcomes"] and doc["method"] == "sobol"
    assert set(doc["outcomes"]) == {"revenue", "contribution", "incremental_revenue"}
    assert set(doc["outcomes"]["incremental_revenue"]) == {"retention_plus"}
    revenue = doc["outcomes"]["revenue"]["baseline"]
    assert set(revenue) == {CHURN, MARGIN}
    assert set(revenue[CHURN]) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert revenue[MARGIN]["S1"] == pytest.approx(0, abs=1e-12)
    assert revenue[MARGIN]["ST"] == pytest.approx(0, abs=1e-12)
    assert abs(revenue[CHURN]["ST"] - 1) <= 2 * revenue[CHURN]["ST_conf"]
    # retention_plus fixes the multiplier itself: its revenue moves with nothing here
    assert doc["outcomes"]["revenue"]["retention_plus"][CHURN]["ST"] is None
    csv = (sobol_sweep / "analysis" / "sensitivity.csv").read_text().splitlines()
    assert csv[0] == "outcome,strategy,parameter,S1,S1_conf,ST,ST_conf"
    assert len(csv) == 1 + 3 * 2 * 2 - 2        # no baseline row for incremental_revenue


def test_charts_are_written_as_png_and_html(sobol_sweep, tmp_path):
    """The charts `sweep analyze` draws for each outcome and strategy (here one pair)."""
    from apps.sweep.analyze import analyze, stored_spec, swings
    from apps.sweep.charts import sensitivity_bars, tornado
    from apps.sweep.store import load

    method, table = analyze(sobol_sweep)
    spec, frame = stored_spec(sobol_sweep), load(sobol_sweep)
    swing = swings(spec, frame, "revenue", "baseline")
    assert swing["parameter"].iloc[-1] == CHURN            # the widest bar is on top
    files = tornado(swing, "revenue", "baseline", tmp_path / "tornado") + \
        sensitivity_bars(table, method, "revenue", "baseline", tmp_path / "bars")
    for path in files:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert "bokeh" in path.read_text().lower() and CHURN in path.read_text()
    assert sorted(p.name for p in files) == ["bars.html", "bars.png", "tornado.html",
                                             "tornado.png"]


def test_morris_mu_star(tmp_path):
    text = SOBOL.replace("{sobol: {n: 8}}", "{morris: {trajectories: 4}}")
    run_serial(write_spec(tmp_path, text), tmp_path / "out")
    result = sweep("analyze", tmp_path / "out", "--json", "--no-charts")
    doc = json.loads(result.output)
    assert doc["method"] == "morris"
    revenue = doc["outcomes"]["revenue"]["baseline"]
    assert set(revenue[CHURN]) == {"mu_star", "sigma"}
    assert revenue[MARGIN]["mu_star"] == pytest.approx(0, abs=1e-9)
    assert revenue[CHURN]["mu_star"] > 0


def test_prim_box_restricts_what_matters(sobol_sweep):
    """Cases: baseline revenue in its top half; only the churn multiplier can decide."""
    import pandas as pd

    frame = pd.read_parquet(sobol_sweep / "parts")
    median = float(frame.loc[frame["strategy"] == "baseline", "revenue"].median())
    result = sweep("discover", sobol_sweep, "--outcome", "revenue", "--threshold", median,
                   "--strategy", "baseline", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["cases"] == 24 and report["points"] == 48
    box = report["box"]
    assert list(box["limits"]) == [CHURN]
    assert box["limits"][CHURN]["max"] < 1.0 and box["density"] >= 0.8
    bad = sweep("discover", sobol_sweep, "--outcome", "romi", "--threshold", 0)
    assert bad.exit_code == 2 and "not among the sweep's outcomes" in bad.output


def test_ema_perform_experiments_calls_run_experiment(tmp_path):
    """EMA's own perform_experiments drives the adapter; each of its rows equals
    run_experiment at the same values."""
    from ema_workbench import perform_experiments

    from apps.sweep.ema import ema_model
    from apps.sweep.experiment import run_experiment
    from apps.sweep.runner import sweep_scenario
    from scenarios.sweep_spec import load_spec
    from sim.ensemble import rep_seed

    text = SOBOL.replace("seed: 5", f"seed: 5\nlevers: [{MARGIN}]")
    loaded = load_spec(write_spec(tmp_path, text))
    model = ema_model(loaded)
    assert [u.name for u in model.uncertainties] == [CHURN.replace(".", "__")]
    assert [u.name for u in model.levers] == [MARGIN.replace(".", "__")]
    experiments, outcomes = perform_experiments(model, scenarios=2, policies=2)
    assert len(experiments) == 4
    row = experiments.iloc[3]
    overrides = {CHURN: float(row[CHURN.replace(".", "__")]),
                 MARGIN: float(row[MARGIN.replace(".", "__")])}
    direct = run_experiment(sweep_scenario(loaded), overrides, rep_seed(5, 0))
    assert outcomes["revenue__baseline"][3] == direct["baseline"]["revenue"]
    assert outcomes["incremental_revenue__retention_plus"][3] == \
        direct["retention_plus"]["incremental_revenue"]
    assert np.isfinite(outcomes["contribution__retention_plus"]).all()
