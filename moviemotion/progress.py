"""Progress bars for long jobs (Rich), quiet when output is not a terminal or when asked."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: stderr console; lines never wrap (logs stay greppable when stderr is not a terminal).
console = Console(stderr=True, soft_wrap=True)


def say(kind: str, message: str) -> None:
    """Print ``error: ...`` / ``warning: ...`` / ``note: ...`` on one line; the message is
    escaped, so ``[final]`` in a file name is printed as written, not read as a style."""
    from rich.markup import escape

    style = {"error": "bold red", "warning": "yellow"}.get(kind, "cyan")
    console.print(f"[{style}]{kind}:[/] {escape(str(message))}", highlight=False)


@contextlib.contextmanager
def progress_bar(disable: bool = False) -> Iterator[Progress]:
    """A Rich :class:`~rich.progress.Progress` on stderr; ``disable`` hides it.

    >>> with progress_bar() as bar:                          # doctest: +SKIP
    ...     task = bar.add_task("decoding", total=100)
    ...     bar.advance(task)
    """
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}", style="dim"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable or not sys.stderr.isatty(),
        transient=False,
    ) as bar:
        yield bar
