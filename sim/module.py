"""The plug-in interface: demand, acquisition, channels and every mechanic are modules.

A module declares the per-customer states it needs and the results it reports in
`init`, acts once a day in its `phase`, and may add calendar processes. The engine
calls modules phase by phase in the order written in `sim.loop.PHASES`, and within a
phase in the order they were given, so adding a module never reorders the others.
"""


class Module:
    """Base class of every plug-in; subclasses override what they need."""

    name: str = "module"
    phase: str = "act"

    def init(self, sim) -> None:
        """Declare states and results, schedule calendar processes."""

    def step(self, sim, day: int) -> None:
        """Act on one day, in this module's phase."""

    def finalize(self, sim) -> None:
        """Tidy results after the last day (totals, matrices)."""
