"""Tornado charts and sensitivity bars (hvPlot), saved as HTML (bokeh, interactive) and
PNG (HoloViews' matplotlib backend: no browser needed, so it works the same in CI)."""

from pathlib import Path

import pandas as pd


LOW, HIGH = "#4c78a8", "#f58518"


def _backends():
    """hvPlot with both backends loaded before a plot is built (hvPlot sets each loaded
    backend's options, e.g. horizontal bars, when it builds the plot)."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401  (registers .hvplot)

    if "matplotlib" not in hv.Store.renderers or "bokeh" not in hv.Store.renderers:
        hv.extension("bokeh", "matplotlib", logo=False)
    hv.Store.set_current_backend("bokeh")


def _save(plot, path: Path, rows: int) -> list[Path]:
    import holoviews as hv

    hv.save(plot, path.with_suffix(".html"), backend="bokeh")
    png = plot.opts(hv.opts.Bars(invert_axes=True, backend="matplotlib"),
                    hv.opts.Bars(fig_inches=(9, 0.5 * rows + 1.5), backend="matplotlib"),
                    hv.opts.Overlay(fig_inches=(9, 0.5 * rows + 1.5), legend_position="right",
                                    backend="matplotlib"), clone=True)
    hv.save(png, path.with_suffix(".png"), backend="matplotlib")
    return [path.with_suffix(".html"), path.with_suffix(".png")]


def tornado(table: pd.DataFrame, outcome: str, strategy: str, path: Path) -> list[Path]:
    """`table` from `analyze.swings`: the outcome's change, low to high, per parameter."""
    return _save(tornado_plot(table, outcome, strategy), path, len(table))


def tornado_plot(table: pd.DataFrame, outcome: str, strategy: str):
    """The tornado overlay itself (the app shows it; `tornado` saves it)."""
    _backends()
    opts = dict(x="parameter", xlabel="", ylabel=f"{outcome}: change from the mean",
                title=f"{strategy}: {outcome}, low vs high fifth of each range")
    low = table.hvplot.barh(y="at low", color=LOW, label="at low", **opts)
    high = table.hvplot.barh(y="at high", color=HIGH, label="at high", **opts)
    return (low.opts(color=LOW, backend="matplotlib")
            * high.opts(color=HIGH, backend="matplotlib"))


def sensitivity_bars(table: pd.DataFrame, method: str, outcome: str, strategy: str,
                     path: Path) -> list[Path]:
    """Grouped bars of the main indices (S1 and ST; mu* and sigma; delta and S1)."""
    _backends()
    keys = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"],
            "delta": ["delta", "S1"]}[method]
    rows = table[(table["outcome"] == outcome) & (table["strategy"] == strategy)]
    long = rows.melt(id_vars="parameter", value_vars=keys, var_name="index")
    plot = long.hvplot.barh(x="parameter", y="value", by="index", xlabel="",
                            ylabel=" / ".join(keys),
                            title=f"{strategy}: sensitivity of {outcome} ({method})")
    return _save(plot, path, 2 * len(rows))
