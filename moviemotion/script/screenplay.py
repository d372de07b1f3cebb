"""Screenplays (Fountain, parsed by ``screenplain``) and plain scene lists (CSV).

A :class:`Screenplay` is a list of :class:`Scene` s, each with its heading and its elements in
reading order: action paragraphs (their word count) and dialogue lines (character and words,
parentheticals dropped). Anything before the first scene heading becomes scene 0 (only when it
holds action or dialogue). Dual dialogue counts as two lines, left then right.

>>> sp = read_screenplay("Big-Fish.fountain")      # doctest: +SKIP
>>> len(sp.scenes), len(sp.lines)
(191, 811)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from moviemotion.errors import InputError
from moviemotion.script.text import normalize, read_text, words
from moviemotion.signals import Signals


@dataclass(frozen=True)
class Line:
    """One dialogue line: its number (0-based, in reading order), scene, character and words."""

    index: int
    scene: int
    character: str
    text: str


@dataclass
class Scene:
    """``items``: ``("action", n_words, -1)`` or ``("dialogue", n_words, line index)``."""

    number: int
    heading: str
    items: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def line_indices(self) -> list[int]:
        return [i for kind, _, i in self.items if kind == "dialogue"]

    @property
    def words(self) -> int:
        return sum(n for _, n, _ in self.items)


@dataclass
class Screenplay:
    path: str
    scenes: list[Scene]
    lines: list[Line]


def _character(raw: str) -> str:
    """``EDWARD (V.O.)(CONT'D)`` -> ``EDWARD``; ``@McCLANE`` -> ``McCLANE``."""
    name = raw.split("(")[0].strip().lstrip("@").rstrip("^").strip()
    return name or raw.strip()


def parse_fountain(text: str, path: str = "<string>") -> Screenplay:
    """Parse Fountain source text with ``screenplain``."""
    from screenplain.parsers import fountain
    from screenplain.types import Action, Dialog, DualDialog, Slug

    try:
        paragraphs = list(fountain.parse(io.StringIO(text)))
    except Exception as exc:  # screenplain raises plain exceptions on odd input
        raise InputError(f"{path}: cannot parse the screenplay ({exc})") from None
    scenes = [Scene(0, "(before the first scene heading)")]
    lines: list[Line] = []

    def add_dialog(d) -> None:
        spoken = " ".join(str(t) for paren, t in d.blocks if not paren)
        spoken = " ".join(spoken.split())
        if normalize(spoken):
            lines.append(Line(len(lines), scenes[-1].number, _character(str(d.character)), spoken))
            scenes[-1].items.append(("dialogue", words(spoken), lines[-1].index))

    for p in paragraphs:
        if isinstance(p, Slug):
            scenes.append(Scene(len(scenes), " ".join(str(p.line).split())))
        elif isinstance(p, Dialog):
            add_dialog(p)
        elif isinstance(p, DualDialog):
            add_dialog(p.left)
            add_dialog(p.right)
        elif isinstance(p, Action):
            n = sum(words(str(x)) for x in p.lines)
            if n:
                scenes[-1].items.append(("action", n, -1))
    if not scenes[0].items:  # nothing before the first heading: number scenes from 1
        scenes = scenes[1:]
    return Screenplay(path, scenes, lines)


def read_screenplay(path: str | Path) -> Screenplay:
    """Read a Fountain file (``.fountain``, ``.spmd``, ``.txt``); refuse one without dialogue."""
    p = Path(path)
    text, _ = read_text(p, "screenplay")
    sp = parse_fountain(text, str(p))
    if not sp.lines:
        raise InputError(f"{p}: the screenplay has no dialogue (is it Fountain? character names "
                         "in capitals on their own line, the dialogue below)")
    if len(sp.scenes) < 1:
        raise InputError(f"{p}: no scene found in the screenplay")
    return sp


def read_scenes_csv(path: str | Path, movie_duration: float | None = None) -> Signals:
    """A plain scene list ``start,end,title`` (seconds, or ``m:ss``/``h:mm:ss``; a report's
    ``scenes.csv`` with ``time,end,heading`` reads too) as events Signals with ``time``,
    ``end``, ``scene`` (1-based) and ``heading``."""
    p = Path(path)
    text, _ = read_text(p, "scenes CSV")
    rows = list(csv.DictReader(io.StringIO(text)))
    need = {"start", "end"}
    alias = {"time": "start", "heading": "title"}  # a report's own scenes.csv reads too
    rows = [{alias.get((k or "").strip().lower(), (k or "").strip().lower()): v
             for k, v in r.items()} for r in rows]
    have = set(rows[0].keys()) if rows else set()
    if not rows or not need <= have:
        raise InputError(f"{p}: a scenes CSV needs the header start,end,title and one row per "
                         f"scene (found columns: {', '.join(sorted(have)) or 'none'})")
    starts, ends, titles = [], [], []
    for n, row in enumerate(rows, start=2):
        r = {k: (v or "").strip() for k, v in row.items()}
        try:
            a, b = _seconds(r["start"]), _seconds(r["end"])
        except ValueError:
            raise InputError(f"{p}: line {n}: start/end must be seconds or m:ss "
                             f"(got {r['start']!r}, {r['end']!r})") from None
        if b <= a:
            raise InputError(f"{p}: line {n}: the scene ends ({b:g} s) before it starts ({a:g} s)")
        if starts and a < ends[-1] - 1e-6:
            raise InputError(f"{p}: line {n}: the scene starts at {a:g} s, before the previous "
                             f"one ends ({ends[-1]:g} s): scenes must be in order, not overlapping")
        starts.append(a), ends.append(b), titles.append(r.get("title") or f"scene {len(titles) + 1}")
    if movie_duration is not None and ends[-1] > movie_duration + 2.0:
        raise InputError(f"{p}: the last scene ends at {ends[-1]:g} s but the movie lasts "
                         f"{movie_duration:g} s")
    return Signals.from_columns("scenes", "events", {
        "time": np.array(starts), "end": np.array(ends),
        "scene": np.arange(1, len(starts) + 1, dtype=np.int64), "heading": titles})


def _seconds(value: str) -> float:
    if ":" in value:
        out = 0.0
        for part in value.split(":"):
            out = out * 60 + float(part)
        return out
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(value)
    return v
