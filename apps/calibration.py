"""Calibrate on a transaction log: read, summarise, fit, check, write the scenario.

`calibrate_log` is what every front end calls (the CLI now, the app later): it returns
one JSON-ready report, the scenario's YAML text and the tables the charts are drawn
from, and writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from scenarios.errors import InputError

TIME_UNIT_DAYS = 7.0       # fits are in weeks, as in the literature (CDNOW)
MIN_CUSTOMERS = 10
DEFAULT_MARGIN = 0.3


@dataclass
class Calibration:
    report: dict
    scenario_yaml: str
    frames: dict = field(default_factory=dict)   # name -> DataFrame (charts, tables)


def parse_day(text: str, flag: str) -> int:
    try:
        return int(np.datetime64(date.fromisoformat(text), "D").astype(np.int64))
    except (TypeError, ValueError):
        raise InputError(f"{flag} {text!r}: not a date; write it as YYYY-MM-DD") from None


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _check_dates(days, end_day: int, holdout_day: int | None) -> None:
    first, last = int(days.day.min()), int(days.day.max())
    if end_day < first:
        raise InputError(f"--calibration-end {_iso(end_day)} is before the log's first "
                         f"transaction ({_iso(first)}): nothing to fit")
    if holdout_day is not None:
        if holdout_day <= end_day:
            raise InputError(f"--holdout-end {_iso(holdout_day)} must be after "
                             f"--calibration-end {_iso(end_day)}")
        if holdout_day > last:
            raise InputError(f"--holdout-end {_iso(holdout_day)} is after the log's last "
                             f"transaction ({_iso(last)}): the holdout would count "
                             "purchases the log cannot hold yet")


def _check_summary(summary, end_day: int, label: str) -> None:
    if len(summary) < MIN_CUSTOMERS:
        raise InputError(f"{label}: the log has {len(summary)} customer(s) up to "
                         f"{_iso(end_day)}: the models need at least {MIN_CUSTOMERS} "
                         "(better thousands) to estimate how customers differ")
    if not (summary.x > 0).any():
        raise InputError(f"{label}: no customer bought on two different days up to "
                         f"{_iso(end_day)}: "
                         "every customer made one purchase, so repeat buying and dropout "
                         "cannot be estimated; give a later --calibration-end or a "
                         "longer log")


def _fit_json(fit, unit: float | None = None) -> dict:
    out = {**fit.params, "log_likelihood": fit.log_likelihood,
           "se": dict(fit.se)}
    if unit is not None:
        out["time_unit_days"] = unit
    return out


def calibrate_log(path, opts, calibration_end: str, holdout_end: str | None = None,
                  margin: float | None = None, currency: str | None = None,
                  reps: int = 20, seed: int = 42, today: date | None = None) -> Calibration:
    """Everything `snowball calibrate` reports; InputError for a log it cannot use."""
    from apps.calibration_steps import (diagnostics, fit_models, holdout_check,
                                        make_scenario)
    from models.health import health_report
    from models.transactions import summarise_days
    from models.txlog import read_log

    end_day = parse_day(calibration_end, "--calibration-end")
    holdout_day = None if holdout_end is None else parse_day(holdout_end, "--holdout-end")
    if margin is not None and not 0 <= margin <= 1:
        raise InputError(f"--margin must be within 0-1 (got {margin})")
    timings, clock = {}, time.perf_counter()
    days = read_log(path, opts, today)
    timings["read_s"] = time.perf_counter() - clock
    _check_dates(days, end_day, holdout_day)
    clock = time.perf_counter()
    summary = summarise_days(days.customer, days.day, days.value, end_day, TIME_UNIT_DAYS)
    _check_summary(summary, end_day, str(path))
    timings["summarise_s"] = time.perf_counter() - clock
    treatments = list(days.treatments)
    if margin is None:
        margin = DEFAULT_MARGIN
        treatments.append(f"gross margin not given: {DEFAULT_MARGIN} assumed (--margin)")
    clock = time.perf_counter()
    fits = fit_models(summary)
    timings["fit_s"] = time.perf_counter() - clock
    report = {
        "log": Path(path).name, "sha256": days.sha256, "rows": days.rows,
        "customers": days.customers, "transactions": int(days.day.size),
        "first_date": _iso(days.day.min()), "last_date": _iso(days.day.max()),
        "calibration": {"start": _iso(days.day.min()), "end": _iso(end_day),
                        "customers": int(len(summary)),
                        "transactions": int(len(summary) + summary.x.sum()),
                        "repeat_transactions": int(summary.x.sum())},
        "fit": {"bgnbd": _fit_json(fits["bgnbd"], TIME_UNIT_DAYS),
                "pareto_nbd": _fit_json(fits["pareto_nbd"], TIME_UNIT_DAYS),
                "gamma_gamma": {**_fit_json(fits["gamma_gamma"]),
                                "customers": int(((summary.x > 0)
                                                  & (summary.monetary_value > 0)).sum())},
                "better_fit": fits["better"], "simulated_model": "bgnbd"},
        "treatments": treatments, "channels": days.channels, "products": days.products,
    }
    data, grid = make_scenario(path, days, summary, fits, end_day, holdout_day, margin,
                               currency, report)
    frames = diagnostics(days, summary, fits, end_day, holdout_day, TIME_UNIT_DAYS)
    report["health"] = health_report(days.customer, days.day, days.value, days.orders,
                                     days.items, end_day)
    if holdout_day is not None:
        clock = time.perf_counter()
        report["holdout"] = holdout_check(days, summary, fits, data, end_day, holdout_day,
                                          TIME_UNIT_DAYS, reps, seed, frames)
        timings["holdout_simulation_s"] = time.perf_counter() - clock
    report["scenario"].update(profile_grid_days=grid["grid_days"],
                              profile_sampled_customers=grid["sampled_customers"])
    report["timings"] = {k: round(v, 3) for k, v in timings.items()}
    from scenarios.calibrated import to_yaml
    return Calibration(report, to_yaml(data), frames)
