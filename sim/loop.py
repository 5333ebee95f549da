"""One simulation: modules, customers, calendar and results, stepped day by day.

The order of one simulated day is written here and nowhere else:

1. calendar  - simpy events scheduled for the day fire (campaign and promo dates,
               call-centre shifts); they only mark what is due today;
2. arrive    - acquisition adds the customers arriving today;
3. prepare   - channels give the arrivals their opt-ins; a blanket promo starts or
               ends (the funnel's bounds are refreshed before anyone is contacted);
4. act       - mechanics, each once: first those that send nothing (loyalty tiers
               posted; referral adds the friends of yesterday's buyers, so a referral
               lands the day after the purchase), then the messaging mechanics by
               priority (targets picked, sends, costs, today's multipliers);
5. resolve   - the funnel kernel: dropout, purchase, basket and spend, cart and
               stage, for every customer;
6. record    - RFM segments and the day's results.

Within a phase, modules run in the order they were given; `scenarios.build.make_sim`
gives the engine's modules first, then the mechanics in their run order (priority,
then name). `Sim.day_order()` reports the order a simulation will follow.
"""

import numpy as np

from sim.calendar import Calendar
from sim.customers import Customers
from sim.results import Results
from sim.streams import mix
from sim.threads import ThreadsFor, prefer_short_spin

_SEED_SALT = np.uint64(0x5851F42D4C957F2D)
PHASES = ("arrive", "prepare", "act", "resolve", "record")


class Sim:
    """One strategy under one seed: `Sim(modules, days, seed).run()` -> Results."""

    def __init__(self, modules, days: int, seed: int, capacity: int = 1024):
        prefer_short_spin()
        names = [m.name for m in modules]
        if len(set(names)) != len(names):
            raise ValueError(f"module names must be unique, got {names}")
        for m in modules:
            if m.phase not in PHASES:
                raise ValueError(f"module {m.name!r} has unknown phase {m.phase!r}")
        self.modules = list(modules)
        self.days = int(days)
        self.seed = int(seed)
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be within 0..2**63-1 (got {seed})")
        self.seed_key = np.uint64(mix(np.uint64(self.seed) ^ _SEED_SALT))
        self.customers = Customers(capacity)
        self.calendar = Calendar()
        self.results = Results(self.days)
        self.day = 0
        self._by_phase = [[m for m in self.modules if m.phase == p] for p in PHASES]
        self._initialised = False

    def day_order(self) -> list[tuple[str, list[str]]]:
        """(phase, names of its modules in the order they run) for every phase: the
        order `run` follows (after the calendar's events)."""
        return [(p, [m.name for m in modules]) for p, modules in zip(PHASES, self._by_phase)]

    def module(self, name: str):
        for m in self.modules:
            if m.name == name:
                return m
        raise KeyError(f"no module named {name!r}")

    def init(self) -> None:
        if not self._initialised:
            for m in self.modules:
                m.init(self)
            self.customers.pack()
            self._initialised = True

    def run(self, on_day=None) -> Results:
        """Simulate every day; `on_day(day)` is called after each (for progress)."""
        self.init()
        customers = self.customers
        steps = [m.step for modules in self._by_phase for m in modules]   # phase order
        sized = -1
        with ThreadsFor() as threads:
            for day in range(self.days):
                if customers.capacity != sized:
                    sized = customers.capacity
                    threads.fit(sized)
                self.day = day
                self.calendar.advance_to(day)
                for step in steps:
                    step(self, day)
                if on_day is not None:
                    on_day(day)
        for m in self.modules:
            m.finalize(self)
        self.results.finalize()
        return self.results
