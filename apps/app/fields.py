"""The editable parameters of a scenario, read from the scenario schema itself.

The app's inputs are generated from the same pydantic models the CLI validates with,
so names, limits, units (in the descriptions) and help text have one source. A field
is editable here when it is a plain number or a switch; distributions and lists stay
in the YAML file.
"""

import math
import types
import typing
from dataclasses import dataclass

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

# The domain's groups: a title and the sections (dotted paths) it gathers. A section
# that is absent in a scenario (a demand type it does not use) is left out.
GROUPS = (
    ("Base and acquisition", ("acquisition", "base")),
    ("Behaviour, stages and demand", ("levers", "behaviour.demand.*", "behaviour.stages.*",
                                      "funnel")),
    ("Assortment and basket", ("behaviour", "economics")),
    ("Channels and contact policy", ("channels.*", "contact_policy")),
)
MECHANICS = "mechanics"
SKIP = {"base.customers", "base.history_days", "base.fresh_cohort"}  # run settings / history


@dataclass(frozen=True)
class FieldSpec:
    path: str             # dotted path, as strategies override it
    label: str
    kind: str             # "float", "int" or "bool"
    value: object
    low: float | None     # inclusive bounds the schema allows (None: open)
    high: float | None
    help: str


def _bounds(info) -> tuple[float | None, float | None]:
    low = high = None
    for m in info.metadata:
        if isinstance(m, Ge):
            low = m.ge
        elif isinstance(m, Gt):
            low = m.gt          # an open bound; the schema rejects the bound itself
        elif isinstance(m, Le):
            high = m.le
        elif isinstance(m, Lt):
            high = m.lt
    if low is None and _number_kind(info.annotation) == "int" and \
            getattr(info.annotation, "__name__", "") == "PositiveInt":
        low = 1
    return low, high


def _number_kind(annotation) -> str | None:
    """'float', 'int' or 'bool' for a plain (optionally nullable) number or switch."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        plain = [a for a in args if a is not type(None)]
        return _number_kind(plain[0]) if len(plain) == 1 else None
    if typing.get_origin(annotation) is typing.Annotated:
        return _number_kind(args[0])
    base = getattr(annotation, "__supertype__", annotation)
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base is float:
        return "float"
    return None


def leaf_fields(model: BaseModel, path: str) -> list[FieldSpec]:
    """The plain-number and switch fields of one section of a validated scenario."""
    out = []
    for name, info in type(model).model_fields.items():
        dotted = f"{path}.{name}"
        kind = _number_kind(info.annotation)
        value = getattr(model, name)
        if kind is None or dotted in SKIP or value is None:
            continue
        if kind == "float" and not math.isfinite(value):
            continue
        low, high = _bounds(info)
        out.append(FieldSpec(dotted, name.replace("_", " "), kind, value, low, high,
                             info.description or ""))
    return out


def sections(scenario: BaseModel, pattern: str) -> list[tuple[str, BaseModel]]:
    """(path, section) of the scenario matching `pattern` ('a.b' or 'a.b.*')."""
    parts = pattern.split(".")
    found = [("", scenario)]
    for part in parts:
        nxt = []
        for path, node in found:
            children = (_children(node) if part == "*" else
                        [(part, _child(node, part))])
            nxt += [(f"{path}.{k}".lstrip("."), v) for k, v in children if v is not None]
        found = nxt
    return [(p, n) for p, n in found if isinstance(n, BaseModel)]


def _child(node, key):
    return node.get(key) if isinstance(node, dict) else getattr(node, key, None)


def _children(node) -> list:
    if isinstance(node, dict):
        return list(node.items())
    return [(k, getattr(node, k)) for k in type(node).model_fields]


def groups(scenario: BaseModel) -> list[tuple[str, list[FieldSpec]]]:
    """(title, fields) of the domain's groups, then one group per mechanic present."""
    out = []
    for title, patterns in GROUPS:
        specs = [f for pattern in patterns for path, section in sections(scenario, pattern)
                 for f in leaf_fields(section, path)]
        out.append((title, specs))
    for path, section in sections(scenario, MECHANICS + ".*"):
        out.append((f"Mechanic: {path.split('.')[-1].replace('_', ' ')}",
                    leaf_fields(section, path)))
    return out

