"""Load scenarios: a preset name or a YAML file -> validated `Scenario` per strategy.

Every problem becomes one `InputError` whose message names the file and line, the
field, the value and what is allowed; all problems of a file are reported at once.
"""

import copy
import hashlib
import re
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from scenarios.errors import InputError
from scenarios.messages import boolean_problems, describe_errors, nonfinite_problems
from scenarios.scaling import scale_customers
from scenarios.schema import Scenario

PRESETS = "scenarios.presets"
MAX_BYTES = 1 * 2**20       # a scenario is a few kB of YAML
MAX_VALUES = 100_000        # values after expanding anchors and aliases
MAX_DEPTH = 40              # nesting of mappings and lists


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(PRESETS).iterdir()
                  if p.name.endswith(".yaml"))


def read_text(spec: str) -> tuple[str, str]:
    """(YAML text, label for messages) of a preset name or a file path."""
    if spec in preset_names():
        return resources.files(PRESETS).joinpath(spec + ".yaml").read_text(), f"{spec}.yaml"
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise InputError(f"{spec}: no such scenario file")
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except UnicodeDecodeError as e:
            raise InputError(f"{spec}: cannot read the file: it is not UTF-8 text (byte "
                             f"{e.object[e.start]:#04x} at offset {e.start})")
        except OSError as e:
            raise InputError(f"{spec}: cannot read the file ({e.strerror or e})")
    raise InputError(f"unknown scenario {spec!r}: not a preset and not a .yaml file; "
                     f"presets: {', '.join(preset_names())}")


def parse(text: str, label: str) -> tuple[dict, dict]:
    """(data, lines): the YAML mapping and the line of every key path in it. A text too
    large, too deep or expanding too far through aliases is refused before it is built
    into objects, so a hostile file costs milliseconds."""
    if len(text) > MAX_BYTES:
        raise InputError(f"{label}: the file has {len(text):,} characters; a scenario may "
                         f"have at most {MAX_BYTES:,}")
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{label}:{mark.line + 1}" if mark else label
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        context, start = getattr(e, "context", None), getattr(e, "context_mark", None)
        if context and start and mark and start.line != mark.line:
            problem = f"{problem} ({context} at line {start.line + 1})"
        raise InputError(f"{where}: YAML syntax error: {problem}")
    except RecursionError:
        raise InputError(f"{label}: the YAML nests deeper than {MAX_DEPTH} levels; a "
                         "scenario is far shallower") from None
    if node is None:
        raise InputError(f"{label}: the file is empty; a scenario is a YAML mapping with "
                         "name, base, behaviour and economics")
    _check_size(node, label)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:   # e.g. a tag safe_load does not construct
        mark = getattr(e, "problem_mark", None)
        where = f"{label}:{mark.line + 1}" if mark else label
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        tag = re.search(r"for the tag '(?:tag:yaml\.org,2002:)?([^']*)'", problem)
        if tag:
            problem = (f"the tag !!{tag.group(1)} is not allowed; a scenario is plain YAML "
                       "(mappings, lists, numbers, text)")
        raise InputError(f"{where}: YAML error: {problem}")
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


def _check_size(root, label: str) -> None:
    """Refuse a node graph that expands to more than MAX_VALUES values or nests deeper
    than MAX_DEPTH (aliases share nodes: sizes are counted once per node, expanded)."""
    sizes: dict[int, int] = {}
    stack = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"{label}:{node.start_mark.line + 1}: the YAML nests deeper "
                             f"than {MAX_DEPTH} levels; a scenario is far shallower")
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            sizes[id(node)] = 1
            continue
        if id(node) in sizes:
            continue
        if not children_done:
            stack.append((node, depth, True))
            stack += [(c, depth + 1, False) for c in children if id(c) not in sizes]
            continue
        sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
        if sizes[id(node)] > MAX_VALUES:
            raise InputError(f"{label}:{node.start_mark.line + 1}: the YAML expands to "
                             f"more than {MAX_VALUES:,} values (through anchors and "
                             "aliases); a scenario holds far fewer")


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


def validate(data: dict, label: str, lines: dict, context: str = "") -> Scenario:
    problems = boolean_problems(data, Scenario, label, lines, context)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        problems += describe_errors(e, label, lines, context, data=data, model=Scenario)
    else:
        problems += nonfinite_problems(scenario.model_dump(), label, lines, context)
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

    @property
    def strategy_names(self) -> list[str]:
        return list(self.scenario.strategies)

    def adjust(self, customers: int | None = None, days: int | None = None,
               overrides: dict | None = None) -> None:
        """Scale the base (and with it the inflow), set the horizon and apply dotted-path
        overrides to the baseline (and so to every strategy), as the CLI, the app and
        sweeps ask; the result is validated like the file."""
        before = dict(self._adjust), self._customers
        if customers is not None:
            self._customers = customers
        if days is not None:
            self._adjust["horizon_days"] = days
        self._adjust.update(overrides or {})
        try:
            self.scenario = self.resolve("baseline")
        except InputError:
            self._adjust, self._customers = before
            raise

    def resolve(self, strategy: str) -> Scenario:
        """The scenario as one strategy sees it: baseline plus its overrides."""
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
                        context=f"strategy {strategy!r}: " if overrides else "")
        if self._customers is not None:
            scenario = scale_customers(scenario, self._customers)
        return scenario


def scenario_id(sc: Scenario) -> str:
    """Short hash of the validated scenario: results are stamped with it."""
    return hashlib.sha256(sc.model_dump_json().encode()).hexdigest()[:12]
