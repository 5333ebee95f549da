"""The `snowball` command line: presets, run, explain, economics, calibrate, sweep, bench,
schema, app.

Exit codes: 0 ok, 2 bad input (one clear message, no traceback), 1 a bug.
"""

import json
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from apps.calibrate import calibrate as calibrate_command
from apps.economics_cli import economics
from apps.json_doc import dumps
from apps.results_folder import check_target, previous_run
from apps.sweep.cli import sweep
from scenarios.errors import InputError
from scenarios.yaml_source import load, preset_names, read_text

DEFAULT_SCENARIO = "baby_food"
PROGRESS_ABOVE = 3e7   # customer-days: below this a run is too quick for a progress bar

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Snowball: simulate a customer base under CRM strategies.")
app.add_typer(sweep, name="sweep")
err = Console(stderr=True)


def fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(2)


@contextmanager
def user_errors():
    """Bad input anywhere below becomes one message and exit code 2."""
    try:
        yield
    except InputError as e:
        fail(e.message)


@app.command()
def presets(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the built-in scenarios."""
    from apps.tables import presets_table
    from scenarios.loader import ScenarioFile

    rows = []
    for name in preset_names():
        with user_errors():
            sc = ScenarioFile(name).scenario
        rows.append({"name": name, "description": " ".join(sc.description.split()),
                     "strategies": list(sc.strategies)})
    if as_json:
        print(dumps(rows, indent=2))
    else:
        Console().print(presets_table(rows))


@app.command()
def run(
    scenario: str = typer.Argument(DEFAULT_SCENARIO, help="preset name or YAML file"),
    customers: Optional[int] = typer.Option(None, help="customers on day 0 (inflows scale)"),
    days: Optional[int] = typer.Option(None, help="days to simulate"),
    years: Optional[float] = typer.Option(None, help="years to simulate (365 days each)"),
    reps: int = typer.Option(5, help="replications per strategy"),
    seed: int = typer.Option(42, help="random seed (same seed, same results)"),
    strategies: Optional[str] = typer.Option(
        None, help="comma-separated names, or all (default: the scenario's headline "
        "strategies, or all when it marks none)"),
    out: Optional[str] = typer.Option(None, help="folder for Parquet and JSON results "
                                      "(a new or empty folder, or one of a previous run "
                                      "with --force)"),
    force: bool = typer.Option(False, "--force", help="replace the previous run's results "
                               "in --out"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
    by_mechanic: bool = typer.Option(
        False, "--by-mechanic", help="also split each strategy's effect by mechanic: per "
        "mechanic the strategy enables (and the baseline does not run alike), rerun the "
        "strategy with that mechanic as in the baseline, same seeds, and report the "
        "difference (margin, CRM cost, discounts, contribution, ROMI) beside the cost the "
        "mechanic booked; k mechanics cost k extra runs per replication (none for a "
        "one-mechanic strategy)"),
) -> None:
    """Simulate SCENARIO's strategies and compare them."""
    horizon = _horizon(days, years)
    if customers is not None and customers < 1:
        fail(f"--customers must be at least 1 (got {customers})")
    if not 1 <= reps <= 10_000:
        fail(f"--reps must be within 1..10000 (got {reps})")
    if not 0 <= seed < 2**63:
        fail(f"--seed must be within 0..2**63-1 (got {seed})")
    with user_errors():
        folder = _results_folder(out, force)
        load(*read_text(scenario))    # size, kind and YAML limits, before the heavy imports
    from apps.job import Job
    from apps.tables import economic_model_table, mechanics_tables, summary_tables

    with user_errors():
        job = Job.prepare(scenario, customers, horizon, reps, seed, strategies,
                          by_mechanic=by_mechanic)
    for warning in job.warnings:
        err.print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    document = _simulate(job, folder, not as_json and job.customer_days() > PROGRESS_ABOVE)
    if as_json:
        print(dumps(document, indent=2))
    else:
        console = Console()
        for table in [*summary_tables(document, console.width), *mechanics_tables(document),
                      economic_model_table(document)]:
            if table is not None:
                console.print(table)
        if folder is not None:
            Console().print(f"results written to {folder}/")


def _simulate(job, folder: Path | None, show: bool) -> dict:
    """Run the job and write its results (if `folder`); Ctrl-C or SIGTERM on the way
    leaves nothing half-written and says so (exit code 130)."""
    from apps.progress import announce_compile, progress_hook

    announce_compile(err)
    before = signal.signal(signal.SIGTERM, _interrupt)
    document = None
    try:
        with progress_hook(job, show) as hook:
            result = job.run(hook)
        document = job.document(result)
        if folder is not None:
            job.write(result, folder, document)
    except KeyboardInterrupt:
        err.print(f"[bold red]interrupted:[/] {_left_behind(folder, document)}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    except MemoryError:
        fail("the simulated base outgrew the memory of this machine (customers kept "
             "arriving, e.g. through referral): use fewer --customers or --days, or a "
             "lower referral probability")
    except OSError as e:
        fail(f"--out {folder}: cannot write results ({e.strerror or e})")
    finally:
        signal.signal(signal.SIGTERM, before)
    return document


def _left_behind(folder: Path | None, document: dict | None) -> str:
    """What an interrupted run leaves in --out (the interrupt may come just after the
    results were moved into place)."""
    if folder is None:
        return "nothing was written"
    if document is not None and previous_run(folder) == json.loads(dumps(document)):
        return f"after the results were written to {folder}"
    if folder.exists():
        return f"nothing was written; --out {folder} keeps the results it held"
    return f"nothing was written; --out {folder} was not created"


def _results_folder(out: str | None, force: bool) -> Path | None:
    """The checked --out folder (nothing is created until the results are written)."""
    if out is None:
        return None
    if not out.strip():
        raise InputError("--out is empty; give a folder for the results, e.g. --out results")
    folder = Path(out)
    check_target(folder, force)
    return folder


def _interrupt(signum, frame) -> None:
    """SIGTERM ends a run as Ctrl-C does: nothing half-written."""
    raise KeyboardInterrupt


def _prepare_folder(out: Path) -> None:
    """Create the folder of a report file up front, so a bad --out fails before any work."""
    if out.exists() and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"--out {out}: cannot create the folder ({e.strerror or e})")


def _horizon(days: int | None, years: float | None) -> int | None:
    if days is not None and years is not None:
        fail("give --days or --years, not both")
    if years is not None:
        if not 0 < years <= 100:
            fail(f"--years must be within (0, 100] (got {years})")
        return max(1, round(years * 365))
    if days is not None and not 1 <= days <= 36500:
        fail(f"--days must be within 1..36500 (got {days})")
    return days


def _job_report(job: str, customers: int, years: float, reps: int) -> dict:
    """`bench --job`: the inputs checked, then the timed job."""
    from apps.bench.run import job_benchmark

    if job not in preset_names():
        fail(f"--job {job!r}: not a preset; presets: {', '.join(preset_names())}")
    if not 1 <= reps <= 1000 or not 0 < years <= 100 or customers < 1:
        fail(f"--job-reps 1..1000, --job-years (0, 100], --job-customers >= 1 (got "
             f"{reps}, {years}, {customers})")
    with user_errors():
        return job_benchmark(job, customers, years, reps)


def _preset_report(presets: str, customers: int, days: int, threads: int,
                   rounds: int) -> dict:
    """`bench --presets`: the inputs checked, then the table."""
    from apps.bench.presets import parse_presets, preset_table
    from apps.bench.run import SEED

    if not (1000 <= customers <= 50_000_000 and 1 <= threads <= 1024 and 1 <= rounds <= 20):
        fail(f"--preset-customers within 1000..50000000, --preset-threads within 1..1024, "
             f"--rounds within 1..20 (got {customers}, {threads}, {rounds})")
    with user_errors():
        return preset_table(parse_presets(presets), customers, days, threads, rounds, SEED)


_PRESETS_HELP = ("instead, what mechanics cost: every strategy of these presets ('all' or "
                 "comma-separated) against the bare bench_funnel engine at the same size "
                 "(--preset-customers, --days, --preset-threads, --rounds)")


@app.command()
def bench(
    sizes: str = typer.Option("100000,1000000", help="initial customers, comma-separated"),
    days: int = typer.Option(365, help="days simulated"),
    out: Optional[Path] = typer.Option(None, help="also write the JSON to this file"),
    reference: bool = typer.Option(True, help="also time the plain-numpy reference"),
    job: Optional[str] = typer.Option(None, help="instead, time a whole job of this preset "
                                      "(all strategies; --job-customers, --job-years, "
                                      "--job-reps)"),
    job_customers: int = typer.Option(100_000, help="customers of the timed job"),
    job_years: float = typer.Option(3.0, help="years of the timed job"),
    job_reps: int = typer.Option(10, help="replications of the timed job"),
    threads: Optional[str] = typer.Option(None, help="also the thread table: these numba "
                                          "thread counts (comma-separated), each measured "
                                          "in a process of its own"),
    peer: Optional[str] = typer.Option(None, help="with --threads: a command running "
                                       "another implementation of the benchmark model, "
                                       "timed beside the engine (it gets --customers, "
                                       "--days, --seed and prints a JSON line with "
                                       "customer_days_per_s)"),
    rounds: int = typer.Option(3, help="with --threads or --presets: rounds, best kept"),
    presets: Optional[str] = typer.Option(None, help=_PRESETS_HELP),
    preset_customers: int = typer.Option(200_000, help="with --presets: initial customers"),
    preset_threads: int = typer.Option(1, help="with --presets: numba threads"),
) -> None:
    """Time the engine on the bench_funnel model (or a whole job) and print JSON."""
    from apps.bench.run import run_benchmark
    from apps.bench.threads import parse_thread_counts

    try:
        counts = [int(s) for s in sizes.split(",")]
    except ValueError:
        fail(f"--sizes must be comma-separated integers (got {sizes!r})")
    if any(not 1000 <= n <= 50_000_000 for n in counts):
        fail(f"--sizes: each size must be within 1000..50000000 (got {sizes})")
    if not 1 <= days <= 3650:
        fail(f"--days must be within 1..3650 (got {days})")
    with user_errors():
        thread_counts = parse_thread_counts(threads, peer, rounds)
    if out is not None:
        if out.is_dir():
            fail(f"--out {out}: is a folder; give a file name such as {out}/bench.json")
        _prepare_folder(out.parent)
    if job is not None and presets is not None:
        fail("give --job or --presets, not both")
    if job is not None:
        report = _job_report(job, job_customers, job_years, job_reps)
    elif presets is not None:
        report = _preset_report(presets, preset_customers, days, preset_threads, rounds)
    else:
        with user_errors():
            report = run_benchmark(counts, days, reference, thread_counts, peer, rounds)
    text = dumps(report, indent=2)
    if out is not None:
        try:
            out.write_text(text + "\n")
        except OSError as e:
            print(text)
            fail(f"--out {out}: cannot write the file ({e.strerror or e}); the report is "
                 "printed above")
    print(text)


app.command()(calibrate_command)
app.command()(economics)

from apps.app.serve import app as serve_app  # noqa: E402

app.command("app")(serve_app)


@app.command()
def explain(
    scenario: str = typer.Argument(DEFAULT_SCENARIO, help="preset name or YAML file"),
    strategy: Optional[str] = typer.Option(None, help="one strategy (default: all)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Show what SCENARIO will do: the day's order, each mechanic's priority and effects."""
    from apps.explain import plan, render
    from scenarios.loader import ScenarioFile

    with user_errors():
        plans = plan(ScenarioFile(scenario), strategy)
    if as_json:
        print(json.dumps(plans, indent=2))
    else:
        render(plans, Console(highlight=False, soft_wrap=True))


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (fields, units, limits)."""
    from scenarios.schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))


def main() -> None:
    try:
        app(standalone_mode=True)
    except InputError as e:
        err.print(f"[bold red]error:[/] {e.message}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
