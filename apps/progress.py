"""A Rich progress bar over all simulated days of a job, for long runs only."""

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


def announce_compile(console: Console) -> None:
    """A first run of this version compiles the kernels before its first day (about a
    minute, the bar sitting at 0%): say so, on stderr, rather than hang in silence."""
    from sim.kernel_cache import cache_dir, is_warm

    if not is_warm():
        console.print("Compiling the simulation kernels: the first run after installing "
                      "or upgrading takes about a minute longer (cached in "
                      f"{cache_dir()}).", highlight=False, soft_wrap=True)


@contextmanager
def progress_hook(job, show: bool):
    """Yield an `on_day(strategy, rep, day)` callback (or None when not shown)."""
    if not show:
        yield None
        return
    days = job.scenario.horizon_days
    total = days * (len(job.strategies) + len(job.twins)) * job.reps
    # an update of the bar costs several microseconds, as much as a simulated day of a
    # small base: it moves every hundredth of a run (and on its last day), not daily
    stride = -(-days // 100)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("simulating", total=total)

        def on_day(strategy, rep, day):
            done = day + 1
            if done % stride == 0 or done == days:
                bar.update(task, advance=(done - 1) % stride + 1,
                           description=f"{strategy} (rep {rep + 1})")

        yield on_day
