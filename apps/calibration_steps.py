"""The steps of a calibration: fit, diagnose, build the scenario, check the holdout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models import btyd_diagnostics as D
from models.btyd_fit import fit_bgnbd, fit_pareto_nbd, fit_spend
from scenarios.calibrated import build_scenario, scenario_name, to_yaml
from scenarios.errors import InputError
from scenarios.loader import ScenarioFile


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def fit_models(summary) -> dict:
    """BG/NBD, Pareto/NBD and Gamma-Gamma fits, and which purchase model fits better."""
    bg = fit_bgnbd(summary.x, summary.t_x, summary.age)
    pnbd = fit_pareto_nbd(summary.x, summary.t_x, summary.age)
    repeat = (summary.x > 0) & (summary.monetary_value > 0)
    if repeat.sum() < 2:
        raise InputError("fewer than two customers made a repeat purchase of positive "
                         "value before the calibration end: the spend model cannot be "
                         "fitted")
    spend = fit_spend(summary.x, summary.monetary_value)
    better = "bgnbd" if bg.log_likelihood >= pnbd.log_likelihood else "pareto_nbd"
    return {"bgnbd": bg, "pareto_nbd": pnbd, "gamma_gamma": spend, "better": better}


def make_scenario(path, days, summary, fits, end_day, holdout_day, margin, currency,
                  report) -> tuple[dict, int]:
    """The scenario mapping (checked exactly as `snowball run` will load it)."""
    bg, spend = fits["bgnbd"], fits["gamma_gamma"]
    provenance = {
        "log": Path(path).name, "log_sha256": days.sha256,
        "first_date": _iso(days.day.min()), "calibration_end": _iso(end_day),
        "holdout_end": None if holdout_day is None else _iso(holdout_day),
        "time_unit_days": 7.0, "model": "bgnbd + gamma_gamma",
        "parameters": {**{f"bgnbd.{k}": v for k, v in bg.params.items()},
                       **{f"gamma_gamma.{k}": v for k, v in spend.params.items()}},
        "standard_errors": {**{f"bgnbd.{k}": v for k, v in bg.se.items()},
                            **{f"gamma_gamma.{k}": v for k, v in spend.se.items()}},
        "log_likelihood": {m: fits[m].log_likelihood
                           for m in ("bgnbd", "pareto_nbd", "gamma_gamma")},
        "treatments": report["treatments"],
    }
    mean_check = float(days.value[days.day <= end_day].mean())
    items = 1.0 if days.items is None else float(days.items.sum() / max(1, days.orders.sum()))
    data, grid = build_scenario(scenario_name(Path(path).stem), summary, 7.0, end_day, bg,
                                spend, mean_check, items, margin, currency, provenance)
    ScenarioFile.from_text(to_yaml(data), "the calibrated scenario")
    report["scenario"] = {"name": data["name"], "customers": data["base"]["customers"],
                          "profiles": len(data["base"]["profiles"]),
                          "inflow_per_day": data["acquisition"]["inflow_per_day"],
                          "spend": data["behaviour"]["spend"]}
    return data, grid


def diagnostics(days, summary, fits, end_day, holdout_day, unit) -> dict:
    """Tables for the report: weekly tracking (through the holdout where there is one)."""
    purchase_fits = [fits["bgnbd"], fits["pareto_nbd"]]
    last = end_day if holdout_day is None else holdout_day
    tracking = D.weekly_tracking(days.customer, days.day, summary, purchase_fits,
                                 int(days.day.min()), last, unit)
    return {"summary": summary, "tracking": tracking}


def holdout_check(days, summary, fits, data, end_day, holdout_day, unit, reps, seed,
                  frames) -> dict:
    """Actual, model-expected and simulated repeat purchases over the holdout."""
    from scenarios.holdout import simulate_repeat

    t = (holdout_day - end_day) / unit
    actual = D.holdout_purchases(days.customer, days.day, summary, end_day, holdout_day)
    bg, pnbd = fits["bgnbd"], fits["pareto_nbd"]
    expected = D.conditional_expected(bg, t, summary)
    expected_p = D.conditional_expected(pnbd, t, summary)
    frames["by_frequency"] = D.by_frequency(summary, actual, t, [bg, pnbd])
    simulated = simulate_repeat(data, holdout_day - end_day, reps, seed)
    return {
        "start": _iso(end_day + 1), "end": _iso(holdout_day),
        "days": int(holdout_day - end_day),
        "actual_repeat": int(actual.sum()),
        "model_expected_repeat": float(expected.sum()),
        "pareto_nbd_expected_repeat": float(expected_p.sum()),
        "simulated_repeat": simulated,
        "by_frequency": frames["by_frequency"].to_dict(orient="records"),
    }
