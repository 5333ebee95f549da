"""`snowball explain`: what a scenario will do, before running it.

Everything shown is read from the simulation the scenario builds: the phases of a day
and the modules in the order the engine will step them (`Sim.day_order`), each
module's own docstring, and every mechanic's priority, channel and declared effects
(`Mechanic.effects`). Nothing here is a copy that could drift from the code.
"""

from models.effects import LEVERS
from models.mechanics import Mechanic
from scenarios.build import make_sim

CALENDAR = "simpy events scheduled for the day fire (campaign and promo dates, shifts)"


def plan(scenario_file, strategy: str | None = None) -> list[dict]:
    """One plan per strategy (or for `strategy` alone), JSON-ready."""
    names = [strategy] if strategy else scenario_file.strategy_names
    return [strategy_plan(name, scenario_file.resolve(name)) for name in names]


def strategy_plan(name: str, sc) -> dict:
    sim = make_sim(sc, seed=0)
    day = [{"phase": "calendar", "modules": [], "what": CALENDAR}]
    for phase, modules in sim.day_order():
        day.append({"phase": phase, "modules": [
            {"name": m, "what": _first_line(sim.module(m))} for m in modules]})
    mechanics = [mechanic_row(m) for m in sim.modules if isinstance(m, Mechanic)]
    described = sc.strategies[name].description if name in sc.strategies else ""
    return {"strategy": name, "description": " ".join(described.split()), "day": day,
            "mechanics": mechanics}


def mechanic_row(m: Mechanic) -> dict:
    p = m.params
    return {"name": m.name, "mechanic": type(m).name, "phase": m.phase,
            "priority": getattr(p, "priority", None), "channel": getattr(p, "channel", None),
            "effects": [{"lever": e.lever, "meaning": LEVERS[e.lever].meaning,
                         "rule": LEVERS[e.lever].rule, "value": e.value,
                         "stages": list(e.stages), "when": e.when} for e in m.effects()]}


def _first_line(module) -> str:
    doc = (type(module).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def render(plans: list[dict], console) -> None:
    """The plans as text: the day's order, then the mechanics in run order."""
    for p in plans:
        title = f"strategy {p['strategy']}" + (f": {p['description']}" if p["description"]
                                               else "")
        console.print(f"[bold]{title}[/]")
        console.print("  the day, in order:")
        for step, phase in enumerate(p["day"], 1):
            if not phase["modules"]:
                what = phase.get("what", "(nothing this scenario)")
                console.print(f"  {step}. {phase['phase']:<9} {what}")
                continue
            for k, m in enumerate(phase["modules"]):
                head = f"  {step}. {phase['phase']:<9}" if k == 0 else " " * 14
                console.print(f"{head} {m['name']}: {m['what']}")
        if not p["mechanics"]:
            console.print("  no mechanics\n")
            continue
        console.print("  mechanics, in the order they run:")
        for m in p["mechanics"]:
            console.print("    " + _mechanic_line(m))
            for e in m["effects"]:
                console.print("      " + _effect_line(e))
        console.print("")


def _mechanic_line(m: dict) -> str:
    kind = "" if m["mechanic"] == m["name"] else f" ({m['mechanic']})"
    send = (f", priority {m['priority']}, channel {m['channel']}"
            if m["priority"] is not None else "")
    return f"{m['name']}{kind}: phase {m['phase']}{send}"


def _effect_line(e: dict) -> str:
    op = {"multiply": "x", "add": "+", "either": "pull", "single": "="}[e["rule"]]
    where = f" in {', '.join(e['stages'])}" if e["stages"] else ""
    return f"{e['lever']} {op} {e['value']:g}{where}, {e['when']} ({e['meaning']})"

