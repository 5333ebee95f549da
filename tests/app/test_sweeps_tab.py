"""The Sweeps tab on a tiny finished Sobol' sweep: the same indices as `sweep analyze`,
the scatter's points, the selects, and a bad folder that keeps the sweep on screen."""

import pandas as pd

from apps.app.views.sweeps import SweepsView
from apps.sweep.analyze import analyze
from apps.sweep.store import load


def loaded(folder) -> SweepsView:
    view = SweepsView()
    assert view.load(str(folder)), view.state.message
    return view


def test_sensitivity_table_is_the_analysis(sobol_sweep):
    view = loaded(sobol_sweep)
    method, table = analyze(sobol_sweep)
    assert view.state.method == method == "sobol"
    pd.testing.assert_frame_equal(view.state.sensitivity, table)
    shown = view.state.indices("revenue", "retention_plus")
    expected = table[(table["outcome"] == "revenue") & (table["strategy"] == "retention_plus")]
    pd.testing.assert_frame_equal(shown, expected.reset_index(drop=True))
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(shown.columns)


def test_scatter_has_one_point_per_experiment_of_the_strategy(sobol_sweep):
    view = loaded(sobol_sweep)
    view.parameter.value = "economics.gross_margin"
    view.strategy.value = "retention_plus"
    plot = view.scatter(view.outcome.value, view.parameter.value, view.strategy.value)
    stored = load(sobol_sweep)
    ran = stored[stored["strategy"] == "retention_plus"]
    assert len(plot.data) == len(ran) == ran["experiment"].nunique() == 48
    assert plot.kdims[0].name == "economics.gross_margin"
    assert plot.vdims[0].name == "revenue"
    merged = plot.data.merge(ran, on="experiment", suffixes=("", "_stored"))
    assert (merged["revenue"] == merged["revenue_stored"]).all()


def test_changing_the_outcome_changes_the_plotted_column(sobol_sweep):
    view = loaded(sobol_sweep)
    view.outcome.value = "contribution"
    plot = view.scatter(view.outcome.value, view.parameter.value, view.strategy.value)
    assert plot.vdims[0].name == "contribution"
    assert "contribution" in plot.data.columns and "revenue" not in plot.data.columns


def test_a_bad_folder_says_so_and_keeps_the_sweep(sobol_sweep, tmp_path):
    view = loaded(sobol_sweep)
    before = view.state.sensitivity
    assert not view.load(str(tmp_path))
    assert view.state.message.startswith(f"{tmp_path}: not a sweep folder")
    assert view.state.sensitivity is before
    assert view.outcome.options == ["revenue", "contribution", "incremental_revenue"]
