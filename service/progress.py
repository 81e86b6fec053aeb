"""Progress bars for long CLI work: count, rate and ETA, or nothing when quiet."""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(TaskProgressColumn):
    def render(self, task: "Progress.Task") -> Text:  # type: ignore[name-defined]
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "?/s", style="progress.data.speed")


@contextmanager
def progress(description: str, total: int, *, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """Yield a callback that advances the bar by n items."""
    if quiet or total == 0:
        yield lambda n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def logged_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Progress as log lines, for work in the server's start (no terminal to draw on): about every tenth."""
    log = logging.getLogger("matchmaker")
    done, step, started = 0, max(1, total // 10), time.perf_counter()
    reported = 0

    def advance(n: int) -> None:
        nonlocal done, reported
        done += n
        if done - reported >= step or done == total:
            reported = done
            log.info("%s: %d of %d (%.0f s)", description, done, total, time.perf_counter() - started)

    if total:
        log.info("%s: %d to do", description, total)
    yield advance
