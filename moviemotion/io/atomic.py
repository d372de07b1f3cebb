"""Atomic file writes: write to a temporary file beside the target, then rename.

A crash half-way never leaves a half-written output: either the old file (or none)
or the complete new one is there.

Example
-------
>>> from moviemotion.io import atomic_path
>>> with atomic_path("out/report.html") as tmp:   # doctest: +SKIP
...     tmp.write_text("<html>...</html>")
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moviemotion.errors import OutputError

#: Temporary files are named ``.<target name>.tmp-<random><suffix>`` beside their target.
TEMP_MARK = ".tmp-"
_TEMP_NAME = re.compile(r"^\..+\.tmp-[A-Za-z0-9_]{6,}(\.[A-Za-z0-9]+)?$")


def is_temp_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is named like a temporary file of :func:`atomic_path`."""
    return bool(_TEMP_NAME.match(Path(path).name))


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files a killed writer left under ``folder`` (recursively) and
    return them. Call it only while no other writer uses the folder (hold its
    :func:`~moviemotion.io.lock.folder_lock`): a live writer's temporary file looks the same."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for p in sorted(folder.rglob(".*")):
        if is_temp_file(p) and (p.is_file() or p.is_symlink()):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    On an exception the temporary file is removed and ``target`` is left untouched.
    The temporary name keeps the target's suffix (``suffix`` overrides it) so that
    writers that look at the extension (e.g. OpenCV, PyAV) pick the right format.
    """
    target = Path(target)
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}{TEMP_MARK}",
            suffix=suffix if suffix is not None else target.suffix,
            dir=target.parent,
        )
    except OSError as exc:
        raise output_error(target, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes the file private (0600); outputs get the usual mode (0666 & ~umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
            raise output_error(target, exc) from None
        raise


_WRITE_ERRNOS = {errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EISDIR, errno.ENOTDIR,
                 errno.EEXIST, errno.EPERM, errno.EDQUOT, errno.EFBIG, errno.ENOTEMPTY}


def output_error(target: Path, exc: OSError) -> OutputError:
    """One line that names the output and the reason (exit code 5)."""
    reason = exc.strerror or exc.__class__.__name__
    where = exc.filename if exc.filename and Path(exc.filename) != target else None
    if exc.errno == errno.ENOSPC:
        reason = f"no space left on the device of {target.parent}"
    elif where and Path(where).exists() and not Path(where).is_dir() and where != str(target):
        reason = f"{where} is a file, not a folder"
    return OutputError(f"{target}: cannot write ({reason})")


def ensure_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create an output folder (and parents) or fail with one :class:`OutputError` line."""
    p = Path(path)
    try:
        if p.exists() and not p.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(p))
        p.mkdir(parents=True, exist_ok=True)
        if not os.access(p, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
    except OSError as exc:
        raise OutputError(f"{p}: cannot write here ({exc.strerror or exc})") from None
    return p


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_write_text(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically and return the path."""
    return atomic_write_bytes(target, text.encode(encoding))


def atomic_write_json(target: str | os.PathLike[str], obj: Any, indent: int = 2) -> Path:
    """Write ``obj`` as JSON to ``target`` atomically (NaN written as null)."""
    return atomic_write_text(target, json.dumps(_json_safe(obj), indent=indent, sort_keys=False) + "\n")


def _json_safe(obj: Any) -> Any:
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj
