"""One experiment of a sweep: the base scenario with some parameter values, one seed.

`run_experiment` goes through `Job`, the path of `snowball run`, so a sweep's point
reports exactly what `snowball run` would for the same scenario and seed. Every
executor calls `run_batch`, which runs a few experiments in a row (a task per batch
keeps scheduling cheap) and turns a failing experiment into a row with its error.
"""

import functools
import math
import os
import traceback
from dataclasses import dataclass

from scenarios.errors import InputError


@dataclass(frozen=True)
class SweepScenario:
    """What every experiment of a sweep shares: the base scenario as YAML text (so a
    remote worker needs no file), its size and horizon, the strategies to run."""

    text: str
    label: str
    customers: int | None
    days: int | None
    strategies: tuple[str, ...]


def run_experiment(scenario: SweepScenario, overrides: dict, seed: int) -> dict:
    """{strategy: {metric: value}}: every summary metric of every strategy and, for each
    strategy but the baseline, its vs_baseline figures (paired with the baseline run of
    the same seed); plus {"scenario_id": {strategy: id}}."""
    from apps.job import Job
    from models.comparison import paired
    from scenarios.loader import scenario_id

    job = Job.prepare(_parsed(scenario.text, scenario.label).copy_to_adjust(),
                      scenario.customers, scenario.days, 1, seed,
                      ",".join(scenario.strategies), overrides=overrides)
    result = job.run()
    out = {run.strategy: dict(run.summary) for run in result.runs}
    for strategy, _, figures in paired(result, job.invested):
        out[strategy].update(figures)
    out["scenario_id"] = {s: scenario_id(sc) for s, sc in job.resolved.items()}
    return out


@functools.lru_cache(maxsize=4)
def _parsed(text: str, label: str):
    """The base scenario, parsed once per process (YAML parsing costs more than a small
    run); each experiment adjusts its own copy (`ScenarioFile.copy_to_adjust`)."""
    from scenarios.loader import ScenarioFile

    return ScenarioFile.from_text(text, label)


def run_batch(scenario: SweepScenario, experiments: list[dict], outcomes: list[str],
              threads: int = 0) -> list[dict]:
    """Rows (one per experiment and strategy) of a batch: `experiments` holds dicts of
    experiment, point, replication, seed and overrides. `threads` > 0 caps the numba
    threads of this process (workers share the cores)."""
    _limit_threads(threads)
    rows = []
    for ex in experiments:
        try:
            result, error = run_experiment(scenario, ex["overrides"], ex["seed"]), None
        except Exception as e:     # recorded with the experiment; the sweep goes on
            result, error = None, _describe(e)
        rows += experiment_rows(scenario, ex, outcomes, result, error)
    return rows


def experiment_rows(scenario: SweepScenario, ex: dict, outcomes: list[str],
                    result: dict | None, error: str | None) -> list[dict]:
    """The stored rows of one experiment: its result, or its error and no outcomes."""
    from apps.job import version

    stamp = {"experiment": ex["experiment"], "point": ex["point"],
             "replication": ex["replication"], "seed": ex["seed"], **ex["overrides"]}
    rows = []
    for strategy in scenario.strategies:
        values = result[strategy] if result else {}
        rows.append({**stamp, "strategy": strategy,
                     **{o: _number(values.get(o)) for o in outcomes}, "error": error,
                     "scenario_id": result["scenario_id"][strategy] if result else None,
                     "version": version()})
    return rows


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _describe(e: BaseException) -> str:
    if isinstance(e, InputError):
        return e.message
    where = traceback.extract_tb(e.__traceback__)[-1]
    return f"{type(e).__name__}: {e} ({os.path.basename(where.filename)}:{where.lineno})"


def _limit_threads(threads: int) -> None:
    if threads > 0:
        os.environ["SNOWBALL_WORKERS"] = "1"      # one run at a time: workers share cores
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
