"""`snowball calibrate LOG`: a scenario whose baseline is the business in the log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

COLUMN_HELP = "column: header name or 1-based position"


def calibrate(
    log: Path = typer.Argument(..., help="transaction log: CSV/text or .parquet"),
    calibration_end: str = typer.Option(..., help="last day the models are fitted on "
                                        "(YYYY-MM-DD)"),
    out: Path = typer.Option(..., help="scenario YAML to write"),
    holdout_end: Optional[str] = typer.Option(None, help="last day of the holdout that "
                                              "checks the fit (YYYY-MM-DD)"),
    report: Optional[Path] = typer.Option(None, help="folder for report.html and "
                                          "report.json"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
    customer_col: Optional[str] = typer.Option(None, help="customer id " + COLUMN_HELP),
    date_col: Optional[str] = typer.Option(None, help="date " + COLUMN_HELP),
    amount_col: Optional[str] = typer.Option(None, help="order value " + COLUMN_HELP),
    items_col: Optional[str] = typer.Option(None, help="items in the order " + COLUMN_HELP),
    product_col: Optional[str] = typer.Option(None, help="product " + COLUMN_HELP),
    channel_col: Optional[str] = typer.Option(None, help="sales channel " + COLUMN_HELP),
    delimiter: Optional[str] = typer.Option(None, help="column separator (, ; tab | or "
                                            "'whitespace'); detected if not given"),
    header: Optional[bool] = typer.Option(None, "--header/--no-header", help="whether the "
                                          "first row names the columns; detected if not "
                                          "given"),
    date_format: Optional[str] = typer.Option(None, help="strftime format such as "
                                              "%d.%m.%Y; detected if not given"),
    encoding: str = typer.Option("utf-8", help="text encoding of the log"),
    decimal: str = typer.Option(".", help="decimal mark of the amounts (. or ,)"),
    drop_duplicates: bool = typer.Option(False, help="count rows that repeat another row "
                                         "(customer, date, amount, items) once"),
    margin: Optional[float] = typer.Option(None, help="gross margin (0-1) for the "
                                           "scenario; 0.3 if not given"),
    currency: Optional[str] = typer.Option(None, help="currency label for the scenario"),
    reps: int = typer.Option(20, help="replications of the holdout simulation"),
    seed: int = typer.Option(42, help="seed of the holdout simulation"),
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma to LOG and write a scenario of it."""
    from apps.cli import user_errors

    _check_options(reps, decimal, out, report)
    with user_errors():
        result = _run(log, locals())
        _write(out, result.scenario_yaml)
        if report is not None:
            _write_report(report, result)
    if as_json:
        from apps.json_doc import dumps
        print(dumps(result.report, indent=2))
    else:
        _print_tables(result, out, report)


def _check_options(reps: int, decimal: str, out: Path, report: Optional[Path]) -> None:
    """Reject bad options before the log is read, so a typo costs no fitting time."""
    from apps.cli import fail

    if not 1 <= reps <= 1000:
        fail(f"--reps must be within 1..1000 (got {reps})")
    if decimal not in (".", ","):
        fail(f"--decimal must be . or , (got {decimal!r})")
    if out.suffix not in (".yaml", ".yml"):
        fail(f"--out {out}: give a .yaml file name")
    if out.is_dir():
        fail(f"--out {out}: is a folder; give a file name such as {out}/my_shop.yaml")
    if report is not None and report.exists() and not report.is_dir():
        fail(f"--report {report}: exists and is not a folder")


def _print_tables(result, out: Path, report: Optional[Path]) -> None:
    """The fit's tables for a person at a terminal, then where the files went."""
    from rich.console import Console

    from apps.calibrate_tables import calibration_tables
    console = Console()
    for table in calibration_tables(result.report):
        console.print(table)
    console.print(f"scenario written to {out}" + (f"; report in {report}/" if report
                                                   else ""))


def _run(log: Path, args: dict):
    from apps.calibration import calibrate_log

    return calibrate_log(log, log_options(args), args["calibration_end"],
                         args["holdout_end"], args["margin"], args["currency"],
                         args["reps"], args["seed"])


def log_options(args: dict):
    """How to read the log, from the flags in `args` (a flag left out: its default), so
    every front end reads a log the way `snowball calibrate` does."""
    from models.txlog_layout import ROLES, WHITESPACE, LogOptions

    columns = {role: args[role + "_col"] for role in ROLES
               if args.get(role + "_col") is not None}
    delim = args.get("delimiter")
    if delim in ("tab", "\\t"):
        delim = "\t"
    return LogOptions(columns=columns, delimiter=WHITESPACE if delim == "whitespace"
                      else delim, header=args.get("header"),
                      date_format=args.get("date_format"),
                      encoding=args.get("encoding", "utf-8"),
                      decimal=args.get("decimal", "."),
                      drop_duplicates=args.get("drop_duplicates", False))


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
    from scenarios.errors import InputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise InputError(f"{path}: cannot write ({e.strerror or e})") from None


def _write_report(folder: Path, result) -> None:
    from apps.calibrate_report import report_html
    from apps.json_doc import dumps

    _write(folder / "report.json", dumps(result.report, indent=2) + "\n")
    _write(folder / "report.html", report_html(result.report, result.frames))
