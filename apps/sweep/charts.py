"""Tornado charts and sensitivity bars (hvPlot), saved as HTML (bokeh, interactive) and
PNG (HoloViews' matplotlib backend: no browser needed, so it works the same in CI)."""

from pathlib import Path

import pandas as pd


def _save(plot, path: Path, rows: int) -> list[Path]:
    import holoviews as hv

    hv.save(plot, path.with_suffix(".html"), backend="bokeh")
    if "matplotlib" not in hv.Store.renderers:
        hv.extension("matplotlib", logo=False)
    hv.save(plot.opts(fig_inches=(8, 0.5 * rows + 1.5), backend="matplotlib"),
            path.with_suffix(".png"), backend="matplotlib")
    return [path.with_suffix(".html"), path.with_suffix(".png")]


def tornado(table: pd.DataFrame, outcome: str, strategy: str, path: Path) -> list[Path]:
    """`table` from `analyze.swings`: the outcome's change, low to high, per parameter."""
    import hvplot.pandas  # noqa: F401  (registers .hvplot)

    opts = dict(x="parameter", xlabel="", ylabel=f"{outcome}: change from the mean",
                title=f"{strategy}: {outcome}, low vs high fifth of each range")
    plot = (table.hvplot.barh(y="at low", color="#4c78a8", label="at low", **opts)
            * table.hvplot.barh(y="at high", color="#f58518", label="at high", **opts))
    return _save(plot, path, len(table))


def sensitivity_bars(table: pd.DataFrame, method: str, outcome: str, strategy: str,
                     path: Path) -> list[Path]:
    """Grouped bars of the main indices (S1 and ST; mu* and sigma; delta and S1)."""
    import hvplot.pandas  # noqa: F401

    keys = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"],
            "delta": ["delta", "S1"]}[method]
    rows = table[(table["outcome"] == outcome) & (table["strategy"] == strategy)]
    long = rows.melt(id_vars="parameter", value_vars=keys, var_name="index")
    plot = long.hvplot.barh(x="parameter", y="value", by="index", xlabel="",
                            ylabel=" / ".join(keys),
                            title=f"{strategy}: sensitivity of {outcome} ({method})")
    return _save(plot, path, 2 * len(rows))
