"""Reading small text inputs (manifests, tables, annotation files) with one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

from moviemotion.errors import InputError


def read_text(path: str | os.PathLike[str], what: str, encoding: str = "utf-8-sig") -> str:
    """The text of ``path`` (a UTF-8 BOM is dropped); a missing, unreadable or mis-encoded
    file is one :class:`InputError` line naming the file and ``what`` it should be."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {what} not found")
    try:
        return p.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: cannot read {what} (not {exc.encoding} text at byte "
                         f"{exc.start})") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read {what} ({exc.strerror or exc})") from None


def read_csv_rows(path: str | os.PathLike[str], what: str) -> list[list[str]]:
    """The rows of a small CSV file (header first) via :func:`read_text`; a file the csv
    module cannot parse is one :class:`InputError` line too."""
    import csv
    import io

    text = read_text(path, what, encoding="utf-8")
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"{Path(path)}: unreadable {what} ({exc})") from None


def read_image(path: str | os.PathLike[str], what: str, flags: int | None = None):
    """An image read by OpenCV (``flags`` default ``IMREAD_UNCHANGED``); missing or unreadable
    is one :class:`InputError` line naming the file and ``what`` it should be."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {what} not found")
    img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED if flags is None else flags)
    if img is None or img.size == 0:
        raise InputError(f"{p}: not a readable image")
    return img
