"""The business calendar: a simpy Environment whose clock is the simulated day.

Campaign dates, seasonal peaks, budget resets and channel capacity are simpy
processes that read like the business process they model::

    def weekly_newsletter(env):
        while True:
            campaign.send_on(int(env.now))
            yield env.timeout(7)

simpy cannot run inside numba, so the calendar only decides *what* happens on a day;
the kernels then do it for all customers at once. Events at day d fire before day d is
simulated; simpy breaks ties by (time, priority, insertion order), so the order is
deterministic.
"""

import simpy


class Calendar:
    """A simpy Environment plus helpers for the two most common schedules."""

    def __init__(self):
        self.env = simpy.Environment()

    def process(self, generator):
        """Start a simpy process (a generator that yields env events)."""
        return self.env.process(generator)

    def every(self, period: int, action, start: int = 0, until: int | None = None):
        """Call `action(day)` on `start`, `start + period`, ... (before `until`)."""
        if period < 1:
            raise ValueError(f"calendar period must be at least 1 day (got {period})")

        def repeat(env):
            yield env.timeout(start)
            while until is None or env.now < until:
                action(int(env.now))
                yield env.timeout(period)

        return self.process(repeat(self.env))

    def at(self, day: int, action):
        """Call `action(day)` once, on `day`."""

        def once(env):
            yield env.timeout(day)
            action(int(env.now))

        return self.process(once(self.env))

    def advance_to(self, day: int) -> None:
        """Fire every event scheduled up to and including `day`, one step at a time.
        simpy's `run(until=...)` would leave its stop event queued (so that a run can
        resume), and that spent event would make every later day look busy; on most
        days nothing is due and this returns after one look at the queue."""
        env = self.env
        while env.peek() <= day:
            env.step()
