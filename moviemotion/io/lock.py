"""One job per output folder: an exclusive lock, refused at once (not waited for) when busy.

Every file of an output folder is written atomically, but a *set* of files is only
consistent when one job writes it: two jobs writing into one folder could leave one job's
``run.json`` beside the other's tables. :func:`folder_lock` takes an exclusive
``flock`` on ``<folder>/.moviemotion.lock`` (released by the kernel when the process ends,
even on ``kill -9``); a second job gets a one-line :class:`~moviemotion.errors.OutputError` (exit 5)
naming the folder and the process holding it. On systems without ``fcntl`` (Windows) no
lock is taken.

Example
-------
>>> from moviemotion.io import folder_lock
>>> with folder_lock("out", "audience"):          # doctest: +SKIP
...     write_outputs("out")
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from moviemotion.errors import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".moviemotion.lock"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str], job: str = "moviemotion") -> Iterator[Path]:
    """Create ``folder`` if needed and hold its lock for the ``with`` block.

    Raises :class:`OutputError` at once when another process holds it. On exit the lock file
    is removed, and so is the folder when this call created it and it is still empty.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: output exists and is not a folder")
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write to the output folder ({exc.strerror})") from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                raise OutputError(f"{folder}: the output folder is in use by another moviemotion job "
                                 f"({holder}); wait for it to finish or choose another output folder"
                                 ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {job}\n".encode(), 0)
        try:
            yield folder
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
    finally:
        os.close(fd)
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when nothing was written
