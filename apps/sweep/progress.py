"""A Rich progress bar over a sweep's experiments: done, rate, time left."""

from contextlib import contextmanager

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f} exp/s")


@contextmanager
def experiment_progress(show: bool):
    """Yield `start(total, done) -> advance(n)` (None when not shown)."""
    if not show:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               RateColumn(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        def start(total: int, done: int):
            task = bar.add_task("experiments", total=total, completed=done)
            return lambda n: bar.update(task, advance=n)

        yield start
