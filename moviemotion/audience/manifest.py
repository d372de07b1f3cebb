"""Which recordings to analyze: files or folders, with a seat label and a time offset each.

Time base: ``movie_time = recording_time + offset``. ``offset`` is the movie time (seconds)
at the recording's first frame: a camera started 12 s before the film has offset ``-12``;
one started 5 s into it has ``5``.

A manifest is a CSV (header ``recording,label,offset``; ``label`` and ``offset`` optional)
or a JSON list of objects with the same keys (or ``{"recordings": [...]}``). ``recording``
is a path relative to the manifest's folder or just a file name among the given inputs.

Example
-------
>>> from moviemotion.audience.manifest import collect_recordings       # doctest: +SKIP
>>> recs = collect_recordings(["screening/seats"], manifest="screening/manifest.csv")
>>> [(r.label, r.offset) for r in recs]
[('seat01', -2.0), ('seat02', 0.5), ...]
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from moviemotion.errors import InputError
from moviemotion.io import read_text

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts")
_LABEL_OK = re.compile(r"[^\w.-]+")
#: Largest offset accepted, in seconds either way (a day: no screening is longer).
MAX_OFFSET = 86400.0


@dataclass(frozen=True)
class Recording:
    """One audience recording: its file, its seat/viewer label and its offset in seconds."""

    path: Path
    label: str
    offset: float = 0.0

    def as_dict(self) -> dict:
        return {"path": str(self.path), "label": self.label, "offset": self.offset}


def clean_label(text: str) -> str:
    """A label safe for file names and ids: letters and digits of any script, ``_ . -``
    (Unicode NFC); anything else becomes ``_``."""
    label = _LABEL_OK.sub("_", unicodedata.normalize("NFC", text.strip())).strip("_.")
    return label or "recording"


def find_videos(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Video files named directly or found (not recursively) in the given folders, sorted."""
    found: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES)
            if not files:
                raise InputError(f"{p}: folder contains no video files ({', '.join(VIDEO_SUFFIXES)})")
            found.extend(files)
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return found


def read_manifest(path: str | os.PathLike[str]) -> list[dict]:
    """Rows ``{"recording": str, "label": str|None, "offset": float}`` from a CSV/JSON manifest."""
    path = Path(path)
    text = read_text(path, "manifest")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if isinstance(data, dict):
            data = data.get("recordings")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(f"{path}: expected a list of {{recording, label, offset}} objects")
        rows = data
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "recording" not in [f.strip() for f in reader.fieldnames]:
            raise InputError(f"{path}: the CSV needs a header with a 'recording' column "
                             "(and optional 'label', 'offset')")
        rows = [{k.strip(): v for k, v in r.items() if k} for r in reader]
    out = []
    for i, r in enumerate(rows, start=1):
        where = f"{path}: row {i}"
        rec = r.get("recording")
        if rec is not None and not isinstance(rec, str):
            raise InputError(f"{where}: recording must be a file path (text), got {json.dumps(rec)}")
        rec = (rec or "").strip()
        if not rec:
            raise InputError(f"{where} has no recording")
        label = r.get("label")
        if isinstance(label, bool) or not isinstance(label, str | int | type(None)):
            raise InputError(f"{where}: label must be text, got {json.dumps(label)}")
        label = str(label).strip() if label is not None else ""
        out.append({"recording": rec, "label": label or None, "offset": check_offset(r.get("offset"), where)})
    if not out:
        raise InputError(f"{path}: manifest lists no recordings")
    return out


def check_offset(value, where: str) -> float:
    """An offset in seconds from a number or text; empty -> 0. Refuses booleans, other types,
    NaN, infinities and anything beyond :data:`MAX_OFFSET` either way."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where}: offset {json.dumps(value)} is not a number of seconds")
    try:
        off = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{where}: offset {value!r} is not a number of seconds") from None
    if not math.isfinite(off):
        raise InputError(f"{where}: offset {value!r} is not finite")
    if abs(off) > MAX_OFFSET:
        raise InputError(f"{where}: offset {value!r} is beyond +-{MAX_OFFSET:g} s (a day)")
    return off


def collect_recordings(
    inputs: Iterable[str | os.PathLike[str]] = (),
    manifest: str | os.PathLike[str] | None = None,
    offsets: Mapping[str, float] | None = None,
) -> list[Recording]:
    """Resolve inputs (files/folders), an optional manifest and per-label ``offsets`` overrides.

    With a manifest and no inputs, the manifest's paths are used. With both, every input
    file takes its label/offset from the manifest row naming it (by path or file name);
    files the manifest does not name get their file stem as label and offset 0.
    """
    files = find_videos(inputs)
    rows = read_manifest(manifest) if manifest else []
    base = Path(manifest).parent if manifest else Path(".")
    by_name: dict[str, dict] = {}
    for r in rows:
        by_name[Path(r["recording"]).name] = r
    recs: list[Recording] = []
    written: list[str] = []  # each recording's label as the user wrote it (or the file stem)
    if files:
        wanted = {f.name for f in files}
        missing = [r["recording"] for r in rows if Path(r["recording"]).name not in wanted]
        if missing:
            raise InputError(f"{manifest}: lists recordings not among the inputs: {', '.join(missing)}")
        for f in files:
            r = by_name.get(f.name)
            written.append(r["label"] if r and r["label"] else f.stem)
            recs.append(Recording(f, clean_label(written[-1]), r["offset"] if r else 0.0))
    else:
        if not rows:
            raise InputError("no recordings given (pass files, a folder, or --manifest)")
        for r in rows:
            p = Path(r["recording"])
            p = p if p.is_absolute() else base / p
            if not p.is_file():
                raise InputError(f"{manifest}: recording {r['recording']!r} not found at {p}")
            written.append(r["label"] or p.stem)
            recs.append(Recording(p, clean_label(written[-1]), r["offset"]))
    _check_distinct(recs, written)
    labels = [r.label for r in recs]
    if offsets:
        unknown = sorted(set(offsets) - set(labels))
        if unknown:
            raise InputError(f"--offset names unknown recording(s) {', '.join(unknown)}; known: {', '.join(labels)}")
        recs = [Recording(r.path, r.label, check_offset(offsets[r.label], f"--offset {r.label}")
                          if r.label in offsets else r.offset) for r in recs]
    return recs


def _check_distinct(recs: list[Recording], written: list[str]) -> None:
    """One label per recording and one recording per file (the same file under two labels
    would count one person as two viewers)."""
    by_label: dict[str, list[str]] = {}
    for rec, text in zip(recs, written, strict=True):
        by_label.setdefault(rec.label, []).append(text)
    for label, texts in by_label.items():
        if len(texts) > 1:
            named = ", ".join(repr(t) for t in dict.fromkeys(texts))
            same = "" if len(set(texts)) == 1 else f" (all become {label!r})"
            raise InputError(f"{len(texts)} recordings share the label {named}{same}; give them distinct labels")
    seen: dict[tuple[int, int], Recording] = {}
    for rec in recs:
        try:
            st = rec.path.stat()
        except OSError as exc:
            raise InputError(f"{rec.path}: cannot read ({exc.strerror})") from None
        first = seen.setdefault((st.st_dev, st.st_ino), rec)
        if first is not rec:
            raise InputError(f"{rec.path}: the same recording is listed twice, as {first.label!r} and "
                             f"{rec.label!r} (one person would count as two viewers)")
