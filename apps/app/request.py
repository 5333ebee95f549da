"""One comparison the app asks for, and its preparation through the CLI's job path."""

from dataclasses import dataclass
from functools import lru_cache

from apps.job import Job
from scenarios.loader import ScenarioFile


@dataclass(frozen=True)
class RunRequest:
    """Everything that decides the numbers: the scenario text (a preset's or an upload's),
    the edited parameters, the run settings and the strategies. Hashable, so a prepared
    job is reused and worker processes can rebuild it from the request alone."""

    text: str
    label: str
    customers: int | None
    days: int | None
    reps: int
    seed: int
    strategies: tuple[str, ...]
    overrides: tuple[tuple[str, object], ...] = ()
    by_mechanic: bool = False

    def scenario_file(self) -> ScenarioFile:
        f = ScenarioFile.from_text(self.text, self.label)
        f.adjust(customers=self.customers, days=self.days, overrides=dict(self.overrides))
        return f

    def prepare(self) -> Job:
        """The job exactly as the CLI prepares it (same validation, same messages)."""
        return prepared(self)


@lru_cache(maxsize=32)
def prepared(request: RunRequest) -> Job:
    return Job.prepare(request.scenario_file(), None, None, request.reps, request.seed,
                       ",".join(request.strategies), by_mechanic=request.by_mechanic)
