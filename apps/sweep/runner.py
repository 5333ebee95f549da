"""Run a sweep: design -> experiments -> batches -> an executor -> the store.

Experiment e = point p, replication r (e = p * replications + r) runs under the seed of
replication r, the same for every point: common random numbers across the design, so
two points differ by their parameters, not by their luck. Finished experiments are
skipped on a rerun, so a killed sweep picks up where it stopped.
"""

import time
from dataclasses import dataclass

from apps.sweep.design import Design, integer_field, build_design
from apps.sweep.experiment import SweepScenario, experiment_rows, run_batch
from apps.sweep.store import Store, arrow_schema
from scenarios.sweep_spec import LoadedSpec
from sim.ensemble import rep_seed


@dataclass
class SweepReport:
    experiments: int      # in the design (points x replications)
    skipped: int          # already stored
    ran: int              # finished now
    failed: int           # of those, recorded with an error
    seconds: float
    workers: int

    @property
    def rate(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else 0.0


def experiments(loaded: LoadedSpec, design: Design) -> list[dict]:
    reps, seed = loaded.spec.replications, loaded.spec.seed
    records = design.points.to_dict("records")
    return [{"experiment": p * reps + r, "point": p, "replication": r,
             "seed": rep_seed(seed, r), "overrides": {k: _plain(v) for k, v in values.items()}}
            for p, values in enumerate(records) for r in range(reps)]


def sweep_scenario(loaded: LoadedSpec) -> SweepScenario:
    spec = loaded.spec
    return SweepScenario(loaded.scenario_text, loaded.scenario_label, spec.customers,
                         spec.horizon, tuple(spec.runs))


def run_sweep(loaded: LoadedSpec, store: Store, executor, progress=None) -> SweepReport:
    """Run what `store` does not hold yet; `progress(total, done)` -> advance(n)."""
    from scenarios.schema import Scenario

    spec = loaded.spec
    design = build_design(spec)
    todo_all = experiments(loaded, design)
    done = store.finished()
    todo = [e for e in todo_all if e["experiment"] not in done]
    schema = arrow_schema(spec, {p for p in spec.parameters if integer_field(Scenario, p)})
    scenario = sweep_scenario(loaded)
    batches = [todo[i:i + spec.batch_size] for i in range(0, len(todo), spec.batch_size)]
    tasks = [(scenario, batch, spec.outcomes, executor.threads) for batch in batches]
    advance = progress(len(todo_all), len(todo_all) - len(todo)) if progress else None
    ran = failed = 0
    start = time.perf_counter()
    for i, result in executor.map(run_batch, tasks):
        if isinstance(result, BaseException):    # the task itself died (its worker, ...)
            error = f"{type(result).__name__}: {result}"
            result = [row for ex in batches[i]
                      for row in experiment_rows(scenario, ex, spec.outcomes, None, error)]
        store.write(result, schema)
        ran += len(batches[i])
        failed += len({r["experiment"] for r in result if r["error"] is not None})
        if advance:
            advance(len(batches[i]))
    return SweepReport(len(todo_all), len(todo_all) - len(todo), ran, failed,
                       time.perf_counter() - start, executor.workers)


def _plain(value):
    """numpy scalars as Python values (they travel to workers and into YAML paths)."""
    return value.item() if hasattr(value, "item") else value
