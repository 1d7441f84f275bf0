"""Progress shown while a long stage runs: rows (or records) done with their rate and the time left, and the
steps of a stage that does not count rows, with what each works on; numbers with thousands separators."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def rows_progress(console: Console) -> Progress:
    """Bars whose tasks carry ``rows`` (done so far) and ``rate`` (rows a second) fields.

    The bar itself may advance in another unit (bytes read, for a file whose row count is unknown until read):
    the percentage and the time left come from it, the text from the rows.
    """
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:>12,} {task.fields[unit]}"),
        TextColumn("{task.fields[rate]:>9,.0f}/s"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def steps(console: Console, title: str) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step of ``title`` and how long the stage has run; yields ``step(text)``.

    Each finished step is printed once with its duration, so a long stage shows where its time went.
    """
    started = time.monotonic()
    current: list[tuple[str, float]] = []
    with console.status(f"{title}: starting") as status:

        def step(text: str) -> None:
            now = time.monotonic()
            if current:
                done, since = current[-1]
                console.print(f"  {title}: {done} ({now - since:,.1f} s)", highlight=False)
            current.append((text, now))
            status.update(f"{title}: {text} ({now - started:,.0f} s so far)")

        yield step
        if current:
            done, since = current[-1]
            console.print(f"  {title}: {done} ({time.monotonic() - since:,.1f} s)", highlight=False)
