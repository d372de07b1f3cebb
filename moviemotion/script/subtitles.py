"""Subtitles (SRT, WebVTT, ASS/SSA via ``pysubs2``) as one table of lines in movie time.

``movie_time = file_time * speed + offset``. ``speed`` fixes a frame-rate drift: subtitles timed
for a 25 fps (PAL) release played against the 23.976 fps film need ``speed = 25/23.976``
(``"25/23.976"`` is accepted), the opposite case ``23.976/25``. ``offset`` (seconds) moves
every line; a negative offset trims the lines that fall before the movie starts.

>>> lines = read_subtitles("sintel_en.srt")           # doctest: +SKIP
>>> lines.columns
['time', 'end', 'line', 'text']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysubs2

from moviemotion.errors import InputError
from moviemotion.script.text import read_text
from moviemotion.signals import Signals, clock

#: Overlap between consecutive lines that is trimmed silently (seconds); more is an error.
OVERLAP_TOLERANCE = 1.0
#: How far the last line may run past the movie's end before the file is refused (seconds).
END_TOLERANCE = 2.0
_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}


def parse_speed(value: str | float) -> float:
    """``1.0427``, ``"25/23.976"`` -> float > 0; one-line InputError otherwise."""
    try:
        if isinstance(value, str) and "/" in value:
            a, b = value.split("/", 1)
            speed = float(a) / float(b)
        else:
            speed = float(value)
    except (ValueError, ZeroDivisionError):
        raise InputError(f"--subtitle-speed {value!r}: not a number or ratio like 25/23.976") from None
    if not np.isfinite(speed) or not 0.5 <= speed <= 2.0:
        raise InputError(f"--subtitle-speed {value!r}: must be between 0.5 and 2 "
                         "(a frame-rate ratio such as 25/23.976)")
    return speed


def read_subtitles(path: str | Path, offset: float = 0.0, speed: float | str = 1.0,
                   movie_duration: float | None = None) -> Signals:
    """The subtitle file as ``events`` Signals: ``time``, ``end`` (movie seconds), ``line``
    (1-based number in time order), ``text`` (plain text, one line, formatting tags dropped).

    Refused with one line naming the file: unreadable or undecodable files, no cues, a cue
    that ends before it starts, cues out of time order (SRT/VTT), lines overlapping the next
    by more than :data:`OVERLAP_TOLERANCE` s, lines running past ``movie_duration``.
    """
    p = Path(path)
    speed = parse_speed(speed)
    text, _enc = read_text(p, "subtitle file")
    fmt = _FORMATS.get(p.suffix.lower())
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    except pysubs2.exceptions.FormatAutodetectionError:
        raise InputError(f"{p}: not a subtitle file (expected SRT, WebVTT or ASS/SSA)") from None
    except (pysubs2.exceptions.Pysubs2Error, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"{p}: cannot parse the subtitles ({str(exc).splitlines()[0]})") from None
    events = [e for e in subs if not e.is_comment and e.plaintext.strip()]
    if not events:
        raise InputError(f"{p}: no subtitle lines found (not a subtitle file? expected SRT, "
                         "WebVTT or ASS/SSA)")
    start = np.array([e.start for e in events], np.float64) / 1000.0
    end = np.array([e.end for e in events], np.float64) / 1000.0
    texts = [" ".join(e.plaintext.split()) for e in events]
    number = np.arange(1, len(events) + 1)
    bad = np.flatnonzero(end < start)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{p}: line {i + 1} ends ({clock(end[i])}) before it starts "
                         f"({clock(start[i])})")
    if subs.format in ("ass", "ssa"):  # event order carries no meaning in ASS
        order = np.argsort(start, kind="stable")
        start, end, texts = start[order], end[order], [texts[i] for i in order]
    back = np.flatnonzero(np.diff(start) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise InputError(f"{p}: timestamps out of order: line {i + 1} starts at "
                         f"{clock(start[i])}, before line {i} ({clock(start[i - 1])})")
    overlap = end[:-1] - start[1:]
    big = np.flatnonzero(overlap > OVERLAP_TOLERANCE)
    if big.size:
        i = int(big[0])
        raise InputError(f"{p}: line {i + 1} ({clock(start[i])}-{clock(end[i])}) overlaps "
                         f"line {i + 2} by {overlap[i]:.1f} s")
    end[:-1] = np.minimum(end[:-1], np.maximum(start[1:], start[:-1]))  # trim small overlaps
    start, end = start * speed + offset, end * speed + offset
    keep = end > 0
    start, end = np.maximum(start[keep], 0.0), end[keep]
    texts = [t for t, k in zip(texts, keep, strict=True) if k]
    if not texts:
        raise InputError(f"{p}: every line falls before the movie starts "
                         f"(--subtitle-offset {offset:g} too negative?)")
    if movie_duration is not None and end[-1] > movie_duration + END_TOLERANCE:
        raise InputError(f"{p}: the subtitles run to {clock(end[-1])} but the movie lasts "
                         f"{clock(movie_duration)} (wrong file, or fix --subtitle-offset/"
                         "--subtitle-speed)")
    number = np.arange(1, len(texts) + 1, dtype=np.int64)
    return Signals.from_columns("subtitles", "events",
                                {"time": start, "end": end, "line": number, "text": texts},
                                units={"time": "s", "end": "s"})
