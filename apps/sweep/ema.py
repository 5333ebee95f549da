"""The model as the EMA workbench sees it: a sweep spec's parameters become uncertainties
(or levers, those listed under `levers:`), its outcomes x strategies become scalar
outcomes, and each EMA experiment is one `run_experiment`.

    from ema_workbench import perform_experiments
    from apps.sweep.ema import ema_model
    from scenarios.sweep_spec import load_spec

    model = ema_model(load_spec("spec.yaml"))
    experiments, outcomes = perform_experiments(model, scenarios=100, policies=4)

EMA names must be identifiers, so a dotted path `a.b.c` is called `a__b__c` there and
an outcome of a strategy `revenue__baseline`. Every experiment runs under the seed of
the spec's first replication (common random numbers, as in a sweep).
"""

from dataclasses import dataclass

from apps.sweep.design import integer_field
from apps.sweep.experiment import SweepScenario, run_experiment
from apps.sweep.runner import sweep_scenario
from models.comparison import BASELINE, VS_BASELINE
from scenarios.sweep_spec import Levels, LoadedSpec
from sim.ensemble import rep_seed


def ema_name(path: str) -> str:
    return path.replace(".", "__")


def outcome_name(outcome: str, strategy: str) -> str:
    return f"{outcome}__{strategy}"


@dataclass
class SnowballFunction:
    """The callable EMA runs: keyword arguments by EMA name -> {outcome name: value}."""

    scenario: SweepScenario
    paths: dict            # EMA name -> dotted path
    outcomes: list
    seed: int

    def __call__(self, **values) -> dict:
        overrides = {self.paths[k]: _plain(v) for k, v in values.items() if k in self.paths}
        result = run_experiment(self.scenario, overrides, self.seed)
        out = {}
        for outcome, strategy in self.outcomes:
            value = result[strategy].get(outcome)
            out[outcome_name(outcome, strategy)] = float("nan") if value is None else value
        return out


def ema_model(loaded: LoadedSpec, name: str = "snowball"):
    from ema_workbench import Model, ScalarOutcome

    spec = loaded.spec
    pairs = [(o, s) for o in spec.outcomes for s in spec.runs
             if not (s == BASELINE and o in VS_BASELINE)]
    function = SnowballFunction(sweep_scenario(loaded),
                                {ema_name(p): p for p in spec.parameters}, pairs,
                                rep_seed(spec.seed, 0))
    model = Model(name, function=function)
    params = {p: _parameter(p, v) for p, v in spec.parameters.items()}
    model.uncertainties = [v for p, v in params.items() if p not in spec.levers]
    model.levers = [v for p, v in params.items() if p in spec.levers]
    model.outcomes = [ScalarOutcome(outcome_name(o, s)) for o, s in pairs]
    return model


def _parameter(path: str, value):
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    from scenarios.schema import Scenario

    name = ema_name(path)
    if isinstance(value, Levels):
        return CategoricalParameter(name, value.levels)
    if integer_field(Scenario, path):
        return IntegerParameter(name, round(value[0]), round(value[1]))
    return RealParameter(name, float(value[0]), float(value[1]))


def _plain(value):
    return value.item() if hasattr(value, "item") else value
