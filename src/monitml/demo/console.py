"""How the demo talks: Rich on the terminal, one progress bar per long step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["month_name", "step"]


def month_name(year: int, month: int) -> str:
    """``month_name(2008, 3)`` → ``'Mar 2008'``."""
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{names[month - 1]} {year}"


@contextmanager
def step(console: Console, description: str, total: int) -> Iterator[Progress]:
    """A progress bar for one long step; ``advance`` it with the task id 0.

    On a terminal that is not interactive (CI, a pipe), Rich prints the finished bar once.
    """
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with progress:
        progress.add_task(description, total=total, status="")
        yield progress
