"""The calibration report as one self-contained HTML page with hvPlot charts.

`report_html(report, frames)` takes what `apps.calibration.calibrate_log` returns, so
the CLI and the app draw the same page; Bokeh's JavaScript is inlined, so the file opens
anywhere without a network.
"""

from __future__ import annotations

import html

import pandas as pd


def _table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "<p>-</p>"
    frame = pd.DataFrame(rows)
    if columns:
        frame = frame[columns]
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.3f}", border=0,
                         classes="t")


def _kv(items: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{_fmt(v)}</td></tr>"
                   for k, v in items.items())
    return f"<table class='t'>{rows}</table>"


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}"
    return html.escape(str(v))


def fit_rows(fit: dict) -> list[dict]:
    """One row per fitted parameter: model, estimate, standard error, log-likelihood."""
    return [{"model": m, "parameter": k, "estimate": fit[m][k], "std. error": se,
             "log-likelihood": fit[m]["log_likelihood"]}
            for m in ("bgnbd", "pareto_nbd", "gamma_gamma") for k, se in fit[m]["se"].items()]


def holdout_items(h: dict) -> dict:
    """The holdout's repeat purchases: actual, both models' expectations, simulated."""
    s = h["simulated_repeat"]
    return {"actual repeat purchases": h["actual_repeat"],
            "BG/NBD expected": h["model_expected_repeat"],
            "Pareto/NBD expected": h["pareto_nbd_expected_repeat"],
            f"simulator, mean of {s['reps']} runs": s["mean"],
            "simulator p05 - p95": f"{s['lo']:,.1f} - {s['hi']:,.1f}"}


def charts(report: dict, frames: dict) -> list:
    """The hvPlot charts of the report, in the page's order (the app shows the same)."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401  (registers .hvplot)

    out = []
    track = frames["tracking"].copy()
    ycols = [c for c in track.columns if c.endswith("_cum")]
    out.append(track.hvplot.line(x="week", y=ycols, height=320, width=760,
                                 ylabel="cumulative repeat purchases",
                                 title="Cumulative repeat purchases, week by week: "
                                       "actual vs model"))
    if "by_frequency" in frames:
        freq = frames["by_frequency"]
        out.append(freq.hvplot.line(x="x", y=["actual", "bgnbd", "pareto_nbd"],
                                    height=320, width=760,
                                    ylabel="mean holdout purchases",
                                    title="Conditional expectations by calibration "
                                          "frequency"))
    if "holdout" in report:
        h = report["holdout"]
        side = pd.DataFrame({"source": ["actual", "BG/NBD", "simulator"],
                             "repeat purchases": [h["actual_repeat"],
                                                  h["model_expected_repeat"],
                                                  h["simulated_repeat"]["mean"]]})
        sim = h["simulated_repeat"]
        band = hv.ErrorBars([("simulator", sim["mean"], sim["mean"] - sim["lo"],
                              sim["hi"] - sim["mean"])], "source",
                            ["repeat purchases", "below", "above"])
        out.append((side.hvplot.bar(x="source", y="repeat purchases", height=300,
                                    width=500) * band).opts(
            title="Holdout repeat purchases (simulator: mean and p05-p95)"))
    health = report["health"]
    inflow = pd.DataFrame(health["inflow_by_month"])
    out.append(inflow.hvplot.bar(x="month", y="new_customers", rot=90, height=300,
                                 width=760, title="Inflow: new customers by month"))
    coh = health["cohorts"]
    ret = pd.DataFrame(coh["retention"], index=coh["cohorts"]).stack().rename("share")
    ret = ret.reset_index().rename(columns={"level_0": "cohort", "level_1": "months since"})
    out.append(ret.hvplot.heatmap(x="months since", y="cohort", C="share", cmap="Blues",
                                  height=360, width=760,
                                  title="Cohort retention (share buying)"))
    cake = pd.DataFrame(coh["layer_cake"], index=coh["months"])
    cake.index.name = "month"
    out.append(cake.hvplot.area(stacked=True, height=360, width=760, rot=90,
                                legend=False, ylabel="revenue",
                                title="Revenue layer cake by acquisition cohort"))
    seg = pd.DataFrame(health["rfm_segments"])
    out.append(seg.hvplot.bar(x="segment", y="customers", rot=45, height=320, width=760,
                              title="RFM segments"))
    return out


def report_html(report: dict, frames: dict) -> str:
    """The whole page as text."""
    import holoviews as hv
    from bokeh.embed import components
    from bokeh.resources import Resources

    hv.extension("bokeh", logo=False)
    plots = [hv.render(c, backend="bokeh") for c in charts(report, frames)]
    script, divs = components(plots)
    # the inlined JavaScript only: Panel, once imported, adds a script it serves itself
    inline = "".join(f"<script>{js}</script>" for js in Resources(mode="inline").js_raw)
    fit = report["fit"]
    parts = [f"<h1>Calibration of {html.escape(report['log'])}</h1>",
             f"<p>{report['rows']:,} rows, {report['customers']:,} customers, "
             f"{report['transactions']:,} purchase days ({report['first_date']} .. "
             f"{report['last_date']}); SHA-256 {report['sha256']}</p>",
             "<h2>How the log was read</h2><ul>" + "".join(
                 f"<li>{html.escape(t)}</li>" for t in report["treatments"]) + "</ul>"]
    if "holdout" in report:
        h = report["holdout"]
        parts.append(f"<h2>Holdout {h['start']} .. {h['end']}</h2>" + _kv(holdout_items(h)))
    parts.append(f"<h2>Fit (rates per {fit['bgnbd']['time_unit_days']:g} days; better "
                 f"purchase model: {fit['better_fit']})</h2>")
    parts.append(_table(fit_rows(fit)))
    parts.append("<h2>Health of the base</h2>" + _kv(report["health"]["kpis"]))
    parts.append(_table(report["health"]["rfm_segments"]))
    parts.append("<h2>Charts</h2>" + "".join(f"<div>{d}</div>" for d in divs))
    style = ("body{font-family:sans-serif;margin:2em;max-width:60em} table.t{border-"
             "collapse:collapse;margin:.5em 0} .t td,.t th{padding:2px 8px;border-bottom:"
             "1px solid #ddd;text-align:right} .t th{text-align:left}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Calibration of "
            f"{html.escape(report['log'])}</title>{inline}<style>{style}</style>"
            f"{script}</head><body>{''.join(parts)}</body></html>")
