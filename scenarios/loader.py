"""Load scenarios: a preset name or a YAML file -> validated `Scenario` per strategy.

Every problem becomes one `InputError` whose message names the file and line, the
field, the value and what is allowed; all problems of a file are reported at once.
"""

import copy
import hashlib

import yaml
from pydantic import ValidationError

from scenarios.errors import InputError
from scenarios.inert import inert_settings
from scenarios.messages import (boolean_problems, describe_errors, field_message,
                                nonfinite_problems)
from scenarios.scaling import scale_customers
from scenarios.schema import Scenario
from scenarios.yaml_source import load, preset_names, read_text  # noqa: F401 (API)


def parse(text: str, label: str) -> tuple[dict, dict]:
    """(data, lines): the YAML mapping and the line of every key path in it."""
    data, node = load(text, label)
    if node is None:
        raise InputError(f"{label}: the file is empty; a scenario is a YAML mapping with "
                         "name, base, behaviour and economics")
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a text"}.get(type(data), type(data).__name__)
        raise InputError(f"{label}:{node.start_mark.line + 1}: a scenario must be a YAML "
                         f"mapping of keys (name, base, behaviour, economics, ...), not {kind}")
    lines: dict[tuple, int] = {}
    problems: list[str] = []
    _walk(node, (), lines, problems, label)
    if problems:
        raise InputError("\n".join(problems))
    return data, lines


def _walk(node, path: tuple, lines: dict, problems: list | None = None,
          label: str = "") -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            k = (key.value,)
            at = key.start_mark.line + 1
            if problems is not None and key.value in seen:
                dotted = ".".join(str(p) for p in path + k)
                problems.append(f"{label}:{at}: {dotted}: duplicate key {key.value!r} (first "
                                f"at line {seen[key.value]}); each key may appear once")
            seen.setdefault(key.value, at)
            lines[path + k] = at
            _walk(value, path + k, lines, problems, label)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _walk(value, path + (i,), lines, problems, label)


def validate(data: dict, label: str, lines: dict, context: str = "",
             warnings: list | None = None) -> Scenario:
    """The validated scenario; settings that can never act are errors, those that
    cannot act in part are appended to `warnings` (see scenarios.inert)."""
    problems = boolean_problems(data, Scenario, label, lines, context)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        problems += describe_errors(e, label, lines, context, data=data, model=Scenario)
    else:
        problems += nonfinite_problems(scenario.model_dump(), label, lines, context)
        found = inert_settings(scenario)
        problems += [field_message(label, lines, p, m, context) for p, m in found.errors]
        for path, message in found.warnings:
            text = field_message(label, lines, path, message, context)
            if warnings is not None and text not in warnings:
                warnings.append(text)
    if problems:
        raise InputError("\n".join(problems))
    return scenario


def set_path(data: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    node = data
    for i, k in enumerate(keys[:-1]):
        child = node.get(k)
        if child is None:
            child = node[k] = {}
        if not isinstance(child, dict):
            raise InputError(f"override {dotted!r}: {k!r} is a value ({child!r}), not a "
                             f"section, so it has no key {keys[i + 1]!r}")
        node = child
    node[keys[-1]] = value


class ScenarioFile:
    """A loaded scenario: the validated baseline and a way to resolve each strategy."""

    def __init__(self, spec: str):
        self._load(*read_text(spec))

    @classmethod
    def from_text(cls, text: str, label: str) -> "ScenarioFile":
        """A scenario given as YAML text (an upload, a generated file), checked exactly
        as a file is; `label` names it in messages."""
        self = cls.__new__(cls)
        self._load(text, label)
        return self

    def _load(self, text: str, label: str) -> None:
        self.label = label
        self.data, self.lines = parse(text, self.label)
        self.scenario = validate(self.data, self.label, self.lines)
        self._adjust: dict[str, object] = {}
        self._customers: int | None = None

    def copy_to_adjust(self) -> "ScenarioFile":
        """A copy whose adjustments are its own (a sweep adjusts one per experiment): the
        parsed file is shared, as nothing changes it (`resolve` works on a copy)."""
        other = copy.copy(self)
        other._adjust = dict(self._adjust)
        return other

    @property
    def strategy_names(self) -> list[str]:
        return list(self.scenario.strategies)

    def adjust(self, customers: int | None = None, days: int | None = None,
               overrides: dict | None = None, warnings: list | None = None) -> None:
        """Scale the base (and with it the inflow), set the horizon and apply dotted-path
        overrides to the baseline (and so to every strategy), as the CLI, the app and
        sweeps ask; the result is validated like the file (the baseline's `warnings` as
        `resolve` gives them)."""
        before = dict(self._adjust), self._customers
        if customers is not None:
            self._customers = customers
        if days is not None:
            self._adjust["horizon_days"] = days
        self._adjust.update(overrides or {})
        try:
            self.scenario = self.resolve("baseline", warnings)
        except InputError:
            self._adjust, self._customers = before
            raise

    def resolve(self, strategy: str, warnings: list | None = None) -> Scenario:
        """The scenario as one strategy sees it: baseline plus its overrides; settings
        that cannot act in part are described in `warnings` (each once)."""
        if strategy not in self.scenario.strategies:
            raise InputError(f"unknown strategy {strategy!r} in {self.label}; "
                             f"strategies: {', '.join(self.scenario.strategies)}")
        data = copy.deepcopy(self.data)
        for path, value in self._adjust.items():
            set_path(data, path, value)
        overrides = self.scenario.strategies[strategy].overrides
        lines = dict(self.lines)
        for path, value in overrides.items():
            at = self.lines.get(("strategies", strategy, "overrides", path))
            try:
                set_path(data, path, value)
            except InputError as e:
                head = f"{self.label}:{at}" if at else self.label
                raise InputError(f"{head}: strategy {strategy!r}: {e.message}") from None
            if at:
                lines[tuple(path.split("."))] = at
        scenario = validate(data, self.label, lines,
                            context=f"strategy {strategy!r}: " if overrides else "",
                            warnings=warnings)
        if self._customers is not None:
            scenario = scale_customers(scenario, self._customers)
        return scenario


def scenario_id(sc: Scenario) -> str:
    """Short hash of the validated scenario: results are stamped with it."""
    return hashlib.sha256(sc.model_dump_json().encode()).hexdigest()[:12]
