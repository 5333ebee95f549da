"""Terminal tables of a calibration report (rich)."""

from __future__ import annotations

from rich.table import Table


def _num(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}" if abs(v) < 1e6 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def fit_table(report: dict) -> Table:
    fit = report["fit"]
    t = Table(title=f"Fit on {report['calibration']['start']} .. "
                    f"{report['calibration']['end']} (rates per "
                    f"{fit['bgnbd']['time_unit_days']:g} days; better purchase model: "
                    f"{fit['better_fit']})")
    for col in ("model", "parameter", "estimate", "std. error", "log-likelihood"):
        t.add_column(col, justify="left" if col in ("model", "parameter") else "right")
    for model in ("bgnbd", "pareto_nbd", "gamma_gamma"):
        f = fit[model]
        for i, (name, se) in enumerate(f["se"].items()):
            t.add_row(model if i == 0 else "", name, _num(f[name]), _num(se),
                      _num(f["log_likelihood"], 1) if i == 0 else "")
    return t


def holdout_table(report: dict) -> Table:
    h = report["holdout"]
    s = h["simulated_repeat"]
    t = Table(title=f"Holdout {h['start']} .. {h['end']} ({h['days']} days): repeat "
                    "purchases (same-day orders merged)")
    for col in ("actual", "BG/NBD expected", "Pareto/NBD expected",
                f"simulated (mean, p05-p95 of {s['reps']})"):
        t.add_column(col, justify="right")
    t.add_row(_num(h["actual_repeat"]), _num(h["model_expected_repeat"], 1),
              _num(h["pareto_nbd_expected_repeat"], 1),
              f"{s['mean']:,.1f} ({s['lo']:,.0f}-{s['hi']:,.0f})")
    return t


def health_table(report: dict) -> Table:
    h = report["health"]
    t = Table(title=f"Health of the base up to {h['end']} (windows of "
                    f"{h['window_days']} days)")
    t.add_column("KPI")
    t.add_column("value", justify="right")
    for name, value in h["kpis"].items():
        t.add_row(name, _num(value))
    for seg in h["rfm_segments"]:
        t.add_row(f"RFM {seg['segment']}", f"{seg['customers']:,} ({seg['share']:.1%})")
    return t


def treatments_table(report: dict) -> Table:
    t = Table(title=f"Reading {report['log']}: {report['rows']:,} rows, "
                    f"{report['customers']:,} customers, {report['transactions']:,} "
                    "purchase days")
    t.add_column("treatment")
    for line in report["treatments"]:
        t.add_row(line)
    return t


def calibration_tables(report: dict) -> list[Table]:
    tables = [treatments_table(report), health_table(report), fit_table(report)]
    if "holdout" in report:
        tables.append(holdout_table(report))
    return tables
