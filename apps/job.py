"""The main job: run a scenario's strategies x replications and report them.

Shared by the CLI and the app: it returns one JSON-ready document and writes the
Parquet files, so every front end reports the same numbers.
"""

import functools
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from apps.economics import beside_simulator, is_lever_strategy
from apps.json_doc import dumps
from apps.results_folder import MARK, staged
from models.comparison import (BASELINE, by_mechanic, leave_one_out, mechanic_frame,
                               strategy_mechanics, vs_baseline)
from models.kpis import ltv_frame
from models.metrics import summarize
from scenarios.build import make_sim
from scenarios.errors import InputError
from scenarios.loader import ScenarioFile, scenario_id
from sim.ensemble import BAND, Ensemble, EnsembleResult, Run, available_memory, rep_seed

BYTES_PER_CUSTOMER_BUDGET = 100


@functools.cache
def version() -> str:
    """The installed package's version (read once: the lookup takes ~0.8 ms, and a
    sweep stamps every row with it)."""
    try:
        return metadata.version("snowball")
    except metadata.PackageNotFoundError:
        return "0.0.0+local"


@dataclass
class JobResult(EnsembleResult):
    """The strategies' runs, and apart from them the leave-one-out twins' runs, so every
    report but the per-mechanic one sees the strategies only."""

    twins: list[Run] = field(default_factory=list)


@dataclass
class Job:
    """A validated request: which scenario, how big, how long, which strategies; with
    `by_mechanic`, also the leave-one-out twins that split each strategy by mechanic
    (`plan`: {strategy: {mechanic: twin run name}}, `twins`: {twin run name: scenario});
    `warnings`: settings of the resolved scenarios that cannot act in part."""

    file: ScenarioFile
    strategies: list[str]
    reps: int
    seed: int
    resolved: dict
    by_mechanic: bool = False
    plan: dict = field(default_factory=dict)
    twins: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    @classmethod
    def prepare(cls, scenario: "str | ScenarioFile", customers: int | None, days: int | None,
                reps: int, seed: int, strategies: str | None,
                by_mechanic: bool = False, overrides: dict | None = None) -> "Job":
        """`scenario`: a preset name, a file, or a loaded `ScenarioFile` (a sweep's base,
        given as text); `overrides`: dotted-path values set on the baseline."""
        f = scenario if isinstance(scenario, ScenarioFile) else ScenarioFile(scenario)
        warnings: list[str] = []
        f.adjust(customers=customers, days=days, overrides=overrides, warnings=warnings)
        sc = f.scenario
        total = sc.base.customers + sc.acquisition.inflow_per_day * sc.horizon_days
        need = total * BYTES_PER_CUSTOMER_BUDGET * 2
        have = available_memory()
        if need > have:
            size = (f"--customers {customers}" if customers is not None
                    else f"base.customers {sc.base.customers} in {f.label}")
            raise InputError(
                f"{size} over {sc.horizon_days} days means about "
                f"{total:,.0f} customers and {need / 2**30:,.1f} GiB of memory; "
                f"{have / 2**30:,.1f} GiB is available: use fewer customers or days")
        if strategies is None:
            names = headline_strategies(sc)
        elif strategies.strip() == "all":
            names = f.strategy_names
        else:
            names = [s.strip() for s in strategies.split(",") if s.strip()]
            unknown = [s for s in names if s not in f.strategy_names]
            if unknown or not names:
                raise InputError(f"--strategies: unknown strategy {', '.join(unknown) or '(none)'}"
                                 f" in {f.label}; allowed: all or any of "
                                 f"{', '.join(f.strategy_names)}")
        if "baseline" not in names:
            names = ["baseline", *names]
        # the baseline as adjusting resolved it (its warnings taken then)
        resolved = {s: sc if s == BASELINE else f.resolve(s, warnings) for s in names}
        plan, twins = leave_one_out_plan(resolved) if by_mechanic else ({}, {})
        return cls(f, names, reps, seed, resolved, by_mechanic, plan, twins, warnings)

    @property
    def scenario(self):
        return self.file.scenario

    @property
    def invested(self) -> dict[str, list[str]]:
        """{strategy: the mechanics it brings}: their outlay is its investment (ROMI)."""
        base = self.resolved[BASELINE]
        return {s: strategy_mechanics(sc, base) for s, sc in self.resolved.items()}

    def customer_days(self) -> float:
        sc = self.scenario
        days = sc.horizon_days
        return (sc.base.customers * days + sc.acquisition.inflow_per_day * days * days / 2) \
            * (len(self.strategies) + len(self.twins)) * self.reps

    def _ensemble(self, names: list[str], reps: int, seed: int, workers=None) -> Ensemble:
        rate = self.scenario.economics.discount_rate_per_year
        scenarios = {**self.twins, **self.resolved}
        return Ensemble(lambda s, seed: make_sim(scenarios[s], seed),
                        lambda sim: summarize(sim, rate), names, reps, seed, workers)

    def run(self, on_day=None) -> JobResult:
        """Every strategy and twin, replication by replication under the same seeds."""
        names = [*self.strategies, *self.twins]
        runs = self._ensemble(names, self.reps, self.seed).run(on_day).runs
        return self.collect(runs)

    def run_one(self, name: str, rep: int) -> Run:
        """Replication `rep` of one strategy or twin, here and now, exactly as `run`
        computes it (the same seed): lets a front end stream a job run by run."""
        ensemble = self._ensemble([name], 1, rep_seed(self.seed, rep), workers=1)
        run = ensemble.run().runs[0]
        run.rep = rep
        return run

    def collect(self, runs: list[Run]) -> JobResult:
        """Runs (in any order) as the job's result: the strategies' runs apart from the twins'."""
        return JobResult([r for r in runs if r.strategy in self.resolved],
                         [r for r in runs if r.strategy not in self.resolved])

    def document(self, result: JobResult) -> dict:
        """The JSON document; every strategy but the baseline also gets `vs_baseline`
        (its paired differences from the baseline, see `models.comparison`), with
        `by_mechanic`, `by_mechanic` (the leave-one-out split), and the baseline and
        lever strategies `economic_model` (the instant model beside the simulator)."""
        sc = self.scenario
        strategies = result.reduce()
        for name, stats in vs_baseline(result, self.invested).items():
            strategies[name]["vs_baseline"] = stats
        if self.by_mechanic:
            for name, stats in by_mechanic(result.runs + result.twins, self.plan).items():
                strategies[name]["by_mechanic"] = stats
        for name in self.strategies:
            if is_lever_strategy(name, sc.strategies[name]):
                strategies[name]["economic_model"] = beside_simulator(self.resolved[name],
                                                                      strategies[name])
        return {
            "scenario": sc.name,
            "scenario_id": scenario_id(sc),
            "version": version(),
            "seed": self.seed,
            "customers": sc.base.customers,
            "days": sc.horizon_days,
            "reps": self.reps,
            "band": BAND,
            "currency": sc.economics.currency,
            "strategies": strategies,
        }

    def write(self, result: EnsembleResult, out: Path, document: dict) -> None:
        """Write every table and `summary.json` into a temporary folder beside `out` and
        move it into place: `out` holds either all of this run or what it held before."""
        with staged(out) as folder:
            self._write_files(result, folder, document)

    def _write_files(self, result: EnsembleResult, out: Path, document: dict) -> None:
        stamp = {"scenario_id": document["scenario_id"], "version": document["version"]}
        daily = result.daily()
        daily.attrs.update(stamp)
        daily.to_parquet(out / "daily.parquet", index=False)
        cohorts = cohort_frame(result)
        cohorts.to_parquet(out / "cohorts.parquet", index=False)
        runs = result.summaries()
        runs.to_parquet(out / "runs.parquet", index=False)
        segment_frame(result).to_parquet(out / "segments.parquet", index=False)
        ltv_cohort_frame(result).to_parquet(out / "ltv_by_cohort.parquet", index=False)
        if self.by_mechanic:
            mechanics = mechanic_frame(result.runs + result.twins, self.plan)
            mechanics.attrs.update(stamp)
            mechanics.to_parquet(out / "mechanics.parquet", index=False)
        (out / MARK).write_text(dumps(document, indent=2) + "\n")   # last: marks it whole


def headline_strategies(sc) -> list[str]:
    """The strategies a run without --strategies shows: those marked `headline` (a
    first look that runs in a fraction of the time), or all when none is marked."""
    marked = [name for name, s in sc.strategies.items() if s.headline]
    return marked or list(sc.strategies)


def leave_one_out_plan(resolved: dict) -> tuple[dict, dict]:
    """(plan, twins) for the resolved strategies: per strategy, per mechanic it brings,
    the run to compare with; a twin identical to the baseline (a one-mechanic strategy)
    is the baseline's run, not an extra one."""
    base = resolved[BASELINE]
    plan, twins = {}, {}
    for strategy, sc in resolved.items():
        if strategy == BASELINE:
            continue
        plan[strategy] = {}
        for mechanic in strategy_mechanics(sc, base):
            twin = leave_one_out(sc, mechanic, base)
            if twin == base:
                plan[strategy][mechanic] = BASELINE
                continue
            name = f"{strategy} without {mechanic}"
            if name in resolved:
                raise InputError(f"--by-mechanic: strategy {name!r} has the name of a "
                                 "leave-one-out run; rename it")
            plan[strategy][mechanic], twins[name] = name, twin
    return plan, twins


def cohort_frame(result: EnsembleResult):
    """Cohort layer cake: strategy, rep, cohort (0 = day-0 base), month, values."""
    frames = {}
    for name in ("revenue", "gross_margin", "buyers"):
        m = result.matrices("cohort_" + name)
        frames[name] = m["value"].to_numpy()
    base = result.matrices("cohort_revenue")
    out = base.rename(columns={"row": "cohort", "col": "month"}).drop(columns="value")
    for name, values in frames.items():
        out[name] = values
    sizes = result.matrices("cohort_size")[["strategy", "rep", "col", "value"]].rename(
        columns={"col": "cohort", "value": "cohort_size"})
    return out.merge(sizes, on=["strategy", "rep", "cohort"], how="left")


def segment_frame(result: EnsembleResult):
    """RFM segments by month: strategy, rep, month, segment, customers, revenue."""
    import pandas as pd

    from models.segments import SEGMENTS

    frames = []
    for name, column in (("rfm_segments", "customers"), ("rfm_segment_revenue", "revenue")):
        m = result.matrices(name).rename(columns={"row": "month", "value": column})
        m["segment"] = pd.Categorical.from_codes(m.pop("col"), SEGMENTS)
        frames.append(m)
    return frames[0].merge(frames[1], on=["strategy", "rep", "month", "segment"])


def ltv_cohort_frame(result: EnsembleResult):
    """LTV by acquisition cohort: strategy, rep, cohort (0 = day-0 base), then the columns
    of `models.kpis.LTV_COLUMNS`."""
    import pandas as pd

    frames = []
    for run in result.runs:
        frame = ltv_frame(run.results)
        frame.insert(0, "rep", run.rep)
        frame.insert(0, "strategy", run.strategy)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
