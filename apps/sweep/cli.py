"""`snowball sweep`: run a sweep spec into a store, analyse it, find where a strategy pays."""

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

sweep = typer.Typer(add_completion=False, no_args_is_help=True,
                    help="Sweeps: designs over a scenario's parameters, sensitivity, PRIM.")
EXECUTORS = ("dask", "processes", "serial")


def fail(message: str) -> None:
    from apps.cli import fail as cli_fail     # apps.cli registers this group: import late

    cli_fail(message)


@contextmanager
def user_errors():
    from apps.cli import user_errors as cli_user_errors

    with cli_user_errors():
        yield


def make_executor(kind: str, workers: int | None, scheduler: str | None,
                  connect_timeout: float = 10):
    """The executor the flags ask for (bad combinations and unreachable clusters: exit 2)."""
    from sim.executors import ProcessExecutor, SerialExecutor

    if kind not in EXECUTORS:
        fail(f"--executor must be one of {', '.join(EXECUTORS)} (got {kind!r})")
    if workers is not None and not 1 <= workers <= 1024:
        fail(f"--workers must be within 1..1024 (got {workers})")
    if scheduler is not None and (kind != "dask" or workers is not None):
        fail("--scheduler runs on an existing Dask cluster: leave out --workers and "
             "--executor")
    if kind == "serial":
        if workers not in (None, 1):
            fail("--executor serial runs one experiment at a time: leave out --workers")
        return SerialExecutor()
    if kind == "processes":
        from sim.ensemble import cores

        return ProcessExecutor(workers or cores())
    from apps.sweep.dask_executor import DaskExecutor

    with user_errors():
        return DaskExecutor(workers, scheduler, connect_timeout)


@sweep.command("run")
def run(
    spec: Path = typer.Argument(..., help="the sweep spec (YAML)"),
    out: Path = typer.Option(..., "--out", help="the sweep folder (Parquet parts)"),
    workers: Optional[int] = typer.Option(None, help="worker processes (default: the cores)"),
    scheduler: Optional[str] = typer.Option(None, help="address of a running Dask "
                                            "scheduler, e.g. tcp://host:8786"),
    executor: str = typer.Option("dask", help="dask (a LocalCluster unless --scheduler), "
                                 "processes or serial"),
    fresh: bool = typer.Option(False, "--fresh", help="drop stored results, start over"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    connect_timeout: float = typer.Option(10, help="seconds to wait for --scheduler"),
) -> None:
    """Run SPEC into OUT; a rerun skips the experiments OUT already holds."""
    from apps.job import version
    from apps.sweep.progress import experiment_progress
    from apps.sweep.runner import run_sweep
    from apps.sweep.store import Store
    from scenarios.sweep_spec import load_spec

    with user_errors():
        loaded = load_spec(spec)
        Store.check(out, loaded, version(), fresh)
    if not 0 < connect_timeout <= 600:
        fail(f"--connect-timeout must be within (0, 600] (got {connect_timeout})")
    ex = make_executor(executor, workers, scheduler, connect_timeout)
    try:
        with user_errors():
            store = Store.open(out, loaded, version(), fresh)
        with experiment_progress(not as_json) as progress:
            report = run_sweep(loaded, store, ex, progress)
    finally:
        ex.close()
    doc = {"experiments": report.experiments, "skipped": report.skipped, "ran": report.ran,
           "failed": report.failed, "seconds": round(report.seconds, 3),
           "experiments_per_second": round(report.rate, 3), "workers": report.workers,
           "out": str(out)}
    if as_json:
        print(json.dumps(doc, indent=2))
        return
    Console().print(f"{report.ran} experiments run ({report.failed} failed), "
                    f"{report.skipped} already stored, of {report.experiments}; "
                    f"{report.seconds:,.1f} s, {report.rate:,.2f} experiments/s on "
                    f"{report.workers} worker(s); results in {out}/parts/")


@sweep.command("bench")
def bench(
    spec: Path = typer.Argument(..., help="the sweep spec to time"),
    workers: str = typer.Option("1,2", help="worker counts, comma-separated"),
    out: Optional[Path] = typer.Option(None, help="also write the JSON to this file"),
) -> None:
    """Experiments per second of SPEC on a Dask LocalCluster of each worker count, and
    the efficiency per added worker (rate_n / (n x rate_1))."""
    from apps.sweep.bench import scaling

    try:
        counts = [int(w) for w in workers.split(",")]
    except ValueError:
        fail(f"--workers must be comma-separated integers (got {workers!r})")
    if not counts or any(not 1 <= n <= 1024 for n in counts):
        fail(f"--workers: each count must be within 1..1024 (got {workers})")
    with user_errors():
        report = scaling(spec, counts)
    text = json.dumps(report, indent=2)
    if out is not None:
        try:
            out.write_text(text + "\n")
        except OSError as e:
            fail(f"--out {out}: cannot write the file ({e.strerror or e})")
    print(text)


@sweep.command("analyze")
def analyze(
    folder: Path = typer.Argument(..., help="a sweep folder (from sweep run)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
    charts: bool = typer.Option(True, help="draw the tornado and sensitivity charts"),
) -> None:
    """Sobol' S1/ST, Morris mu*/sigma (or delta for grid and LHS designs) per outcome;
    writes FOLDER/analysis/sensitivity.csv and, with --charts, tornado_* and
    sensitivity_* charts (HTML and PNG)."""
    from apps.sweep import analyze as sa

    with user_errors():
        method, table = sa.analyze(folder)
    out = folder / "analysis"
    try:
        out.mkdir(exist_ok=True)
        table.to_csv(out / "sensitivity.csv", index=False)
        if charts:
            _draw(folder, method, table, out)
    except OSError as e:
        fail(f"{out}: cannot write the analysis ({e.strerror or e})")
    document = sa.document(method, table)
    if as_json:
        print(json.dumps(document, indent=2))
        return
    from apps.sweep.tables import sensitivity_tables

    console = Console()
    for t in sensitivity_tables(document):
        console.print(t)
    console.print(f"written to {out}/")


def _draw(folder: Path, method: str, table, out: Path) -> None:
    from apps.sweep.analyze import stored_spec, swings
    from apps.sweep.charts import sensitivity_bars, tornado
    from apps.sweep.store import load

    spec, frame = stored_spec(folder), load(folder)
    for (outcome, strategy), _ in table.groupby(["outcome", "strategy"], sort=False):
        name = f"{outcome}_{strategy}"
        tornado(swings(spec, frame, outcome, strategy), outcome, strategy,
                out / f"tornado_{name}")
        sensitivity_bars(table, method, outcome, strategy, out / f"sensitivity_{name}")


@sweep.command("discover")
def discover(
    folder: Path = typer.Argument(..., help="a sweep folder (from sweep run)"),
    outcome: str = typer.Option(..., help="the outcome, e.g. incremental_contribution"),
    threshold: float = typer.Option(..., help="a point is a case when its outcome is at "
                                    "least this (at most, with --below)"),
    strategy: Optional[str] = typer.Option(None, help="default: the first strategy after "
                                           "the baseline"),
    below: bool = typer.Option(False, "--below", help="cases are at or below the threshold"),
    min_density: float = typer.Option(0.8, help="the box's share of cases to aim for"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """PRIM: the box of parameter values where OUTCOME clears THRESHOLD."""
    from apps.sweep.discover import discover as run_prim

    if not 0 < min_density <= 1:
        fail(f"--min-density must be within (0, 1] (got {min_density})")
    with user_errors():
        report = run_prim(folder, outcome, threshold, strategy, below, min_density)
    if as_json:
        print(json.dumps(report, indent=2))
        return
    from apps.sweep.tables import prim_table

    Console().print(prim_table(report))
