"""The progress bar of `snowball run` (apps/progress.py) moves every hundredth of a run,
not every day, and still counts every simulated day of every run."""

import types

import pytest

from apps import progress


@pytest.mark.parametrize("days", [1, 50, 365, 1095])
def test_the_bar_counts_every_day_in_a_hundred_updates_a_run_at_most(monkeypatch, days):
    updates = []

    class Recorded(progress.Progress):
        def update(self, task, **fields):
            updates.append(fields)
            super().update(task, **fields)

    monkeypatch.setattr(progress, "Progress", Recorded)
    job = types.SimpleNamespace(scenario=types.SimpleNamespace(horizon_days=days),
                                strategies=["baseline", "everything"], twins=[], reps=3)
    with progress.progress_hook(job, True) as on_day:
        for run in range(6):
            for day in range(days):
                on_day(job.strategies[run % 2], run // 2, day)
    assert sum(u["advance"] for u in updates) == 6 * days
    assert len(updates) <= 6 * min(days, 100)
    assert updates[-1]["description"] == "everything (rep 3)"
