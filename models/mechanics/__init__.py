"""Marketing mechanics: plug-in modules, one file each, found by name.

A mechanic targets customers, sends, books its costs and moves multipliers; it never
writes the funnel stage. Each file defines a `Mechanic` subclass with a `Params`
schema (units in the field descriptions) and registers it with `@register`. Adding a
mechanic is adding a file here: neither the engine nor the scenario schema changes.
"""

import importlib
import pkgutil

from pydantic import BaseModel, ConfigDict, Field, create_model

from sim.module import Module

REGISTRY: dict[str, type["Mechanic"]] = {}


class MechanicParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="switch the mechanic on in this strategy")


class Mechanic(Module):
    """Base of every mechanic: built from its validated `Params`."""

    phase = "act"
    Params = MechanicParams
    # Mechanics that send nothing run before the messages (priority 0): a customer's
    # tier or a friend's arrival is settled before anyone decides whom to contact.
    priority = 0

    def run_order(self) -> tuple[int, str]:
        """Where this mechanic runs within its phase: by priority, ties by name."""
        return (self.priority, self.name)

    def __init__(self, params):
        self.params = params

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


def mechanics_schema(base: type[BaseModel]) -> type[BaseModel]:
    """A pydantic model with one optional section per registered mechanic."""
    fields = {name: (cls.Params | None, Field(None, description=(cls.__doc__ or "").strip()))
              for name, cls in sorted(discover().items())}
    return create_model("Mechanics", __base__=base, **fields)


def build(mechanics_section) -> list[Mechanic]:
    """Instantiate the enabled mechanics in the order they run (`Mechanic.run_order`)."""
    out = []
    for name, cls in discover().items():
        params = getattr(mechanics_section, name, None)
        if params is not None and params.enabled:
            out.append(cls(params))
    return sorted(out, key=Mechanic.run_order)
