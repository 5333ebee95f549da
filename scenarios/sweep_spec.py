"""Sweep specs: a base scenario, parameters with ranges or levels, strategies, outcomes,
a design, replications and a seed.

Checked like a scenario file (strict schema, one line-numbered message per problem, all
at once), then against the scenario itself: every parameter path must name a field of
the scenario schema, every value the parameter can take must give a valid scenario,
every strategy must exist, every outcome must be a summary metric or a `vs_baseline`
figure.
"""

import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Annotated

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError,
                      field_validator, model_validator)

from models.comparison import BASELINE, VS_BASELINE
from models.metrics import METRICS
from scenarios.errors import InputError
from scenarios.loader import ScenarioFile, parse, preset_names, read_text
from scenarios.messages import allowed_keys, describe_errors, field_info

OUTCOMES = (*METRICS, *VS_BASELINE)
FIXED_PATHS = ("name", "description", "strategies", "horizon_days")   # not sweepable


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_range(value: list[float]) -> list[float]:
    if len(value) != 2:
        raise ValueError(f"a range is [low, high] (got {len(value)} numbers); for a list "
                         "of values use {levels: [...]}")
    if not all(math.isfinite(v) for v in value):
        raise ValueError(f"the range must be finite (got {value})")
    if value[0] == value[1]:
        raise ValueError(f"the range [{value[0]}, {value[1]}] is empty (low equals high)")
    if value[0] > value[1]:
        raise ValueError(f"the range [{value[0]}, {value[1]}] is inverted (low must be "
                         "below high)")
    return value


Range = Annotated[list[float], AfterValidator(_check_range)]


class Levels(Strict):
    levels: list[float | int | bool | str] = Field(min_length=2, description="the values "
                                                   "the parameter takes")


class Grid(Strict):
    levels: int = Field(3, ge=2, le=50, description="levels of each range in the full "
                        "factorial (a parameter given by levels keeps its own)")


class Lhs(Strict):
    n: int = Field(ge=2, le=10_000_000, description="points of the Latin hypercube")


class Sobol(Strict):
    n: int = Field(ge=2, le=2**20, description="base sample size N (a power of 2); the "
                   "design has N(2D+2) points for D parameters (N(D+2) without "
                   "second-order indices)")
    second_order: bool = True

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError(f"must be a power of 2 for Sobol' sampling (got {n}; nearest: "
                             f"{2 ** math.floor(math.log2(n))} or {2 ** math.ceil(math.log2(n))})")
        return n


class Morris(Strict):
    trajectories: int = Field(ge=2, le=100_000, description="Morris trajectories r; the "
                              "design has r(D+1) points")
    levels: int = Field(4, ge=2, le=100, description="grid levels p of the Morris design")


class Design(Strict):
    grid: Grid | None = None
    lhs: Lhs | None = None
    sobol: Sobol | None = None
    morris: Morris | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one design: grid, lhs, sobol or morris (got "
                             f"{', '.join(given) or 'none'})")
        return self

    @property
    def method(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)

    @property
    def settings(self):
        return getattr(self, self.method)


class SweepSpec(Strict):
    scenario: str = Field(min_length=1, description="a preset name or a scenario file "
                          "(relative to the spec's folder)")
    customers: int | None = Field(None, ge=1, description="customers on day 0 (inflows scale)")
    years: float | None = Field(None, gt=0, le=100, description="years simulated (365 days each)")
    days: int | None = Field(None, ge=1, le=36500, description="days simulated")
    strategies: list[str] = Field(default_factory=lambda: [BASELINE], min_length=1)
    parameters: dict[str, Range | Levels] = Field(min_length=1, description="dotted "
                                                        "path -> [low, high] or {levels: [...]}")
    levers: list[str] = Field(default_factory=list, description="parameters that are "
                              "decisions (EMA workbench levers); the rest are uncertainties")
    outcomes: list[str] = Field(min_length=1, description="summary metrics or vs_baseline "
                                "figures to keep")
    design: Design
    replications: int = Field(1, ge=1, le=10_000)
    seed: int = Field(42, ge=0, lt=2**63)
    batch_size: int = Field(10, ge=1, le=10_000, description="experiments per task")

    @model_validator(mode="after")
    def _consistent(self):
        if self.years is not None and self.days is not None:
            raise ValueError("give years or days, not both")
        unknown = [o for o in self.outcomes if o not in OUTCOMES]
        if unknown:
            hints = [f"{o!r}" + (f" (did you mean {close[0]!r}?)" if (
                close := difflib.get_close_matches(o, OUTCOMES, 1, 0.6)) else "")
                for o in unknown]
            raise ValueError(f"outcomes: unknown outcome {', '.join(hints)}; allowed: "
                             f"summary metrics ({', '.join(METRICS)}) or vs_baseline "
                             f"figures ({', '.join(VS_BASELINE)})")
        if any(o in VS_BASELINE for o in self.outcomes) and \
                not any(s != BASELINE for s in self.strategies):
            raise ValueError("outcomes: vs_baseline figures need a strategy besides "
                             "the baseline under strategies")
        stray = [name for name in self.levers if name not in self.parameters]
        if stray:
            raise ValueError(f"levers: {', '.join(stray)} not among the parameters")
        return self

    @property
    def horizon(self) -> int | None:
        return max(1, round(self.years * 365)) if self.years is not None else self.days

    @property
    def runs(self) -> list[str]:
        """The strategies simulated: the baseline first (vs_baseline needs it)."""
        return [BASELINE, *[s for s in dict.fromkeys(self.strategies) if s != BASELINE]]


class LoadedSpec:
    """A validated spec with its base scenario's text (shipped to workers as text, so a
    remote cluster needs no copy of the file) and a fingerprint of both."""

    def __init__(self, spec: SweepSpec, text: str, label: str, scenario_text: str,
                 scenario_label: str):
        self.spec, self.text, self.label = spec, text, label
        self.scenario_text, self.scenario_label = scenario_text, scenario_label

    @property
    def fingerprint(self) -> str:
        """What makes two sweeps the same: the validated spec and the scenario's text."""
        blob = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True) + self.scenario_text
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_spec(path: str | Path) -> LoadedSpec:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such sweep spec file")
    text, _ = read_text(str(path.resolve()))
    return spec_from_text(text, str(path), path.resolve().parent)


def spec_from_text(text: str, label: str, folder: Path) -> LoadedSpec:
    data, lines = parse(text, label)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as e:
        raise InputError("\n".join(describe_errors(e, label, lines, data=data,
                                                   model=SweepSpec)))
    name = spec.scenario
    if name not in preset_names() and not Path(name).is_absolute():
        name = str(folder / name)
    at = _where(label, lines, ("scenario",))
    try:
        scenario_text, scenario_label = read_text(name)
    except InputError as e:
        raise InputError(f"{at}: scenario: {e.message}") from None
    base = ScenarioFile.from_text(scenario_text, scenario_label)
    problems = _strategy_problems(spec, base, label, lines)
    problems += _parameter_problems(spec, scenario_text, scenario_label, label, lines)
    if problems:
        raise InputError("\n".join(problems))
    return LoadedSpec(spec, text, label, scenario_text, scenario_label)


def _where(label: str, lines: dict, path: tuple) -> str:
    return f"{label}:{lines[path]}" if path in lines else label


def _strategy_problems(spec: SweepSpec, base: ScenarioFile, label, lines) -> list[str]:
    out = []
    for i, name in enumerate(spec.strategies):
        if name not in base.strategy_names:
            out.append(f"{_where(label, lines, ('strategies', i))}: strategies: unknown "
                       f"strategy {name!r} in {base.label}; strategies: "
                       f"{', '.join(base.strategy_names)}")
    return out


def _parameter_problems(spec: SweepSpec, scenario_text: str, scenario_label: str,
                        label, lines) -> list[str]:
    """Unknown paths, sections instead of values, and values the scenario rejects."""
    from scenarios.schema import Scenario

    out = []
    for path, value in spec.parameters.items():
        at = _where(label, lines, ("parameters", path))
        keys = tuple(path.split("."))
        found = field_info(Scenario, keys) if keys[0] not in FIXED_PATHS else None
        if found is None:
            out.append(f"{at}: parameters: {path}: {_unknown_path(Scenario, keys)}")
            continue
        if allowed_keys(Scenario, keys):
            out.append(f"{at}: parameters: {path}: is a section, not a value; name one "
                       f"of its fields: {', '.join(allowed_keys(Scenario, keys))}")
            continue
        values = value.levels if isinstance(value, Levels) else value
        for v in values:
            trial = ScenarioFile.from_text(scenario_text, scenario_label)
            try:
                trial.adjust(customers=spec.customers, days=spec.horizon, overrides={path: v})
            except InputError as e:
                first = e.message.splitlines()[0]
                out.append(f"{at}: parameters: {path}: the value {v!r} makes an invalid "
                           f"scenario: {first}")
                break
    return out


def _unknown_path(model, keys: tuple) -> str:
    if keys[0] in FIXED_PATHS:
        return (f"{keys[0]} cannot be swept; sweep the scenario's fields (horizon: the "
                "spec's years or days)")
    for i in range(len(keys), 0, -1):
        if field_info(model, keys[:i - 1]) is not None:
            known = allowed_keys(model, keys[:i - 1])
            close = difflib.get_close_matches(keys[i - 1], known, 1, 0.6)
            hint = f"did you mean {'.'.join(keys[:i - 1] + (close[0],))!r}?" if close \
                else f"allowed under {'.'.join(keys[:i - 1]) or 'the top level'}: " \
                     f"{', '.join(known) or '(a value, no keys)'}"
            return f"unknown parameter path: no field {keys[i - 1]!r}; {hint}"
    return "unknown parameter path"
