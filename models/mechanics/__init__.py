"""Marketing mechanics: plug-in modules, one file each, found by name.

A mechanic targets customers, sends, books its costs and moves multipliers; it never
writes the funnel stage. Each file defines a `Mechanic` subclass with a `Params`
schema (units in the field descriptions) and registers it with `@register`. Adding a
mechanic is adding a file here: neither the engine nor the scenario schema changes.

A scenario's `mechanics` section holds one entry per mechanic under its own name, and
as many more instances of a `repeatable` mechanic as a programme needs, each under a
name of its own with `type: <mechanic>` (a second campaign on another calendar, a
win-back by SMS beside the one by email). An instance is a mechanic like any other:
its own random streams, series, costs and control group, all keyed by its name.
"""

import difflib
import importlib
import pkgutil
import re
from typing import Annotated, Literal, Union

from pydantic import (BaseModel, ConfigDict, Discriminator, Field, Tag, create_model,
                      model_validator)

from models.effects import Effect
from sim.module import Module

REGISTRY: dict[str, type["Mechanic"]] = {}


class MechanicParams(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: bool = Field(False, description="switch the mechanic on in this strategy")


class Mechanic(Module):
    """Base of every mechanic: built from its validated `Params`."""

    phase = "act"
    Params = MechanicParams
    # Mechanics that send nothing run before the messages (priority 0): a customer's
    # tier or a friend's arrival is settled before anyone decides whom to contact.
    priority = 0

    def effects(self) -> list[Effect]:
        """What this mechanic changes (`models.effects`): it acts through these only."""
        return []

    def run_order(self) -> tuple[int, str]:
        """Where this mechanic runs within its phase: by priority, ties by name."""
        return (self.priority, self.name)

    # whether a scenario may hold several instances of it under other names
    repeatable = False

    def __init__(self, params, name: str | None = None):
        self.params = params
        if name is not None:
            self.name = name

    def init(self, sim) -> None:
        """Register this mechanic's cost flow; subclasses call it first."""
        r = sim.results
        self._own_cost, self._all_cost = r.flow("crm_cost_" + self.name), r.flow("crm_cost")

    def book_cost(self, day: int, amount: float) -> None:
        """A CRM cost of this mechanic: its own flow and the total."""
        self._own_cost[day] += amount
        self._all_cost[day] += amount


def register(cls):
    """Class decorator: make a mechanic available to scenarios under `cls.name`."""
    if cls.name in REGISTRY:
        raise ValueError(f"mechanic {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def discover() -> dict[str, type[Mechanic]]:
    """Import every mechanic file of this package (each registers itself)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY


INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def _instance_params(cls: type[Mechanic]) -> type[BaseModel]:
    """`cls.Params` plus the `type` that names the mechanic an instance is of."""
    return create_model(f"{cls.__name__}Instance", __base__=cls.Params,
                        type=(Literal[cls.name], Field(description="the mechanic this "
                                                       "entry is another instance of")))


def mechanics_schema(base: type[BaseModel]) -> type[BaseModel]:
    """A pydantic model with one optional section per registered mechanic, and further
    entries (`type: <mechanic>`) for more instances of the repeatable ones."""
    registry = dict(sorted(discover().items()))
    kinds = {name: _instance_params(cls) for name, cls in registry.items() if cls.repeatable}
    # tagged by class name: messages drop such tags from a field's path
    tagged = tuple(Annotated[k, Tag(k.__name__)] for k in kinds.values())

    def tag(value):
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        return kinds[kind].__name__ if kind in kinds else None

    instance = Annotated[Union[tagged], Discriminator(tag)]

    class Sections(base):
        model_config = ConfigDict(extra="allow")
        __pydantic_extra__: dict[str, instance] = Field(init=False)

        @model_validator(mode="before")
        @classmethod
        def _instances_named_and_typed(cls, data):
            if isinstance(data, dict):
                for name, value in data.items():
                    if name not in registry:
                        _check_instance(name, value, registry)
            return data

    fields = {name: (cls.Params | None, Field(None, description=(cls.__doc__ or "").strip()))
              for name, cls in registry.items()}
    return create_model("Mechanics", __base__=Sections, **fields)


def _check_instance(name: str, value, registry: dict) -> None:
    """One clear message for an entry that is neither a mechanic nor a typed instance."""
    kind = value.get("type") if isinstance(value, dict) else None
    repeatable = sorted(n for n, cls in registry.items() if cls.repeatable)
    if kind is None:
        close = difflib.get_close_matches(name, registry, n=1)
        if close:
            raise ValueError(f"unknown key {name!r} (did you mean {close[0]!r}?)")
        raise ValueError(f"unknown key {name!r}; allowed: {', '.join(registry)}, or any "
                         f"name with 'type: <mechanic>' for another instance of "
                         f"{', '.join(repeatable)}")
    if kind not in repeatable:
        raise ValueError(f"{name!r} has type {kind!r}, which is not a mechanic that can "
                         f"run as several instances: {', '.join(repeatable)}")
    if not INSTANCE_NAME.match(name):
        raise ValueError(f"{name!r}: an instance name is 1-48 lower-case letters, digits "
                         "and '_', starting with a letter (it names result series)")


def configured(mechanics_section) -> list[tuple[str, type[Mechanic], BaseModel]]:
    """(name, mechanic class, params) of every entry of a validated `mechanics` section
    that is set (enabled or not): the registered mechanics, then the instances."""
    out = [(name, REGISTRY[name], getattr(mechanics_section, name))
           for name in type(mechanics_section).model_fields]
    out += [(name, REGISTRY[params.type], params)
            for name, params in (mechanics_section.model_extra or {}).items()
            if params is not None]
    return [(name, cls, params) for name, cls, params in out if params is not None]


def build(mechanics_section) -> list[Mechanic]:
    """Instantiate the enabled mechanics in the order they run (`Mechanic.run_order`)."""
    out = [cls(params, name) for name, cls, params in configured(mechanics_section)
           if params.enabled]
    return sorted(out, key=Mechanic.run_order)
