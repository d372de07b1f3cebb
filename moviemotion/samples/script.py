"""Scripts for tests and the demo: the demo screening's screenplay and subtitles (authored
here), and screenplay/subtitle pairs derived from a real screenplay with a known truth.

``python -m moviemotion.samples.script demo/screening`` writes ``screenplay.fountain``,
``subtitles.srt`` and ``scenes.csv`` for the demo screening of
:mod:`moviemotion.samples.screening` (same scenes, same times).

:func:`derive_pair` plays a screenplay as a film would: every element takes time in proportion
to its words (with noise), some lines are cut, rewritten, swapped within their scene, merged
into one cue (two short lines spoken one after the other, nothing between them, at most
:data:`MAX_CUE_SECONDS` on screen) or split over two, then the cue times get an offset and a frame-rate drift. It
returns the subtitle file, the true scene times and the shot cuts, to measure the alignment.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysubs2

from moviemotion.io import atomic_write_text
from moviemotion.samples.screening import SCENES

#: The demo screenplay: per scene of :data:`moviemotion.samples.screening.SCENES`, a heading,
#: an action line and (character, line, start, end) with times in movie seconds.
DEMO_SCENES = (
    ("INT. KITCHEN - MORNING", "Rain on the window. MAYA pours coffee; LEO stares at his phone.",
     (("MAYA", "Morning. Did you sleep at all?", 0.6, 2.4),
      ("LEO", "Not really. The storm kept me up.", 2.8, 4.6))),
    ("EXT. GARDEN - DAY", "The sun is out. Leo kneels between the tomato plants, grinning.",
     (("LEO", "Look! The tomatoes finally came in!", 5.4, 7.0),
      ("MAYA", "We're going to eat like kings tonight.", 7.2, 8.8))),
    ("INT. HALLWAY - DAY", "Maya pulls on her boots.",
     (("MAYA", "Can you grab the mail on your way back?", 9.3, 11.5),)),
    ("INT. LIVING ROOM - DAY", "Leo opens an old envelope. His jaw drops.",
     (("LEO", "Wait. This letter is from Grandpa?", 12.3, 14.6),)),
    ("INT. LIVING ROOM - LATER", "They sit together on the sofa, the letter between them.",
     (("MAYA", "He wrote it a week before he passed.", 15.4, 17.2),
      ("LEO", "I wish I had called him more often.", 17.4, 18.8))),
    ("EXT. PORCH - SUNSET", "Golden light. Leo waves a rusty key.",
     (("LEO", "He left us his old sailboat!", 19.5, 21.3),
      ("MAYA", "Then this summer, we sail.", 21.6, 23.6))),
)
assert len(DEMO_SCENES) == len(SCENES)


def demo_fountain() -> str:
    """The demo screenplay as Fountain text."""
    out = ["Title: The Letter", "Credit: Written by", "Author: moviemotion", "", ""]
    for heading, action, lines in DEMO_SCENES:
        out += [heading, "", action, ""]
        for who, text, _, _ in lines:
            out += [who, text, ""]
    return "\n".join(out)


def demo_srt(duration: float = 24.0) -> str:
    """The demo subtitles (SRT), lines cut at ``duration``."""
    subs = pysubs2.SSAFile()
    for _, _, lines in DEMO_SCENES:
        for _, text, a, b in lines:
            if a < duration:
                subs.append(pysubs2.SSAEvent(start=int(a * 1000), end=int(min(b, duration) * 1000),
                                             text=text))
    return subs.to_string("srt")


def write_demo_script(out_dir: str | os.PathLike[str], duration: float = 24.0) -> dict[str, Path]:
    """Write ``screenplay.fountain``, ``subtitles.srt`` and ``scenes.csv`` into ``out_dir``."""
    out = Path(out_dir)
    rows = ["start,end,title"] + [f"{s:g},{min(e, duration):g},{h}" for (s, e, _), (h, _, _)
                                  in zip(SCENES, DEMO_SCENES, strict=True) if s < duration]
    return {"screenplay": atomic_write_text(out / "screenplay.fountain", demo_fountain()),
            "subtitles": atomic_write_text(out / "subtitles.srt", demo_srt(duration)),
            "scenes": atomic_write_text(out / "scenes.csv", "\n".join(rows) + "\n")}


@dataclass
class DerivedPair:
    """A subtitle file derived from a screenplay, with the truth to check an alignment."""

    srt: str
    scene_start: np.ndarray  # true start of every screenplay scene (movie seconds)
    scene_end: np.ndarray
    cuts: np.ndarray  # shot cuts: every scene change plus cuts inside scenes
    duration: float
    offset: float  # the file's times are (movie_time - offset) / speed
    speed: float
    dropped_scenes: np.ndarray  # scene indices whose every line was cut


#: The longest a merged cue may stay on screen (subtitle style guides, e.g. Netflix's Timed
#: Text Style Guide: at most 7 seconds per event).
MAX_CUE_SECONDS = 7.0

_FILLER = ("really", "just", "well", "now", "so", "then", "oh")


def derive_pair(screenplay, seed: int = 0, drop: float = 0.1, paraphrase: float = 0.15,
                swap: float = 0.1, merge: float = 0.1, drop_scene: float = 0.03,
                offset: float = 3.5, speed: float = 25 / 23.976, noise: float = 0.2,
                max_cue_chars: int = 84) -> DerivedPair:
    """Lay ``screenplay`` (a :class:`moviemotion.script.screenplay.Screenplay`) out in time and
    derive its subtitles with the edits listed in the module docstring."""
    rng = np.random.default_rng(seed)
    lines = screenplay.lines
    t = 0.0
    starts, ends, cuts, dropped = [], [], [], []
    cues: list[tuple[float, float, str]] = []
    pending: list[tuple[float, float, str]] = []  # short line waiting to be merged

    def jitter() -> float:
        return float(rng.uniform(1 - noise, 1 + noise))

    for s, scene in enumerate(screenplay.scenes):
        starts.append(t)
        cuts.append(t)
        t += 1.0 * jitter()
        items = list(scene.items)
        for k in range(len(items) - 1):  # lines swapped within the scene
            if items[k][0] == items[k + 1][0] == "dialogue" and rng.random() < swap:
                items[k], items[k + 1] = items[k + 1], items[k]
        cut_scene = rng.random() < drop_scene and scene.line_indices
        if cut_scene:
            dropped.append(s)
        next_cut = t + rng.uniform(2, 8)
        for kind, n_words, idx in items:
            if kind == "action":
                dur = 0.3 * n_words * jitter()
                t += dur
                cues.extend(pending)  # a cue never merges lines with action between them
                pending.clear()
            else:
                dur = (0.6 + 0.3 * n_words) * jitter()
                if not cut_scene and rng.random() >= drop:
                    text = lines[idx].text
                    if rng.random() < paraphrase:
                        text = _paraphrase(text, rng)
                    a, b = t + 0.1, t + dur - 0.1
                    if pending and rng.random() < merge and b - pending[-1][0] <= MAX_CUE_SECONDS:
                        pa, _, ptext = pending.pop()
                        cues.append((pa, b, ptext + " " + text))
                    else:
                        cues.extend(pending)
                        pending.clear()
                        parts = _split(text, max_cue_chars)
                        bounds = np.linspace(a, b, len(parts) + 1)
                        for p_text, p_a, p_b in zip(parts, bounds[:-1], bounds[1:], strict=True):
                            piece = (p_a, p_b - 0.05 * (len(parts) > 1), p_text)
                            if len(parts) == 1 and len(text) < 40:
                                pending.append(piece)
                            else:
                                cues.append(piece)
                else:  # a cut line: the lines around it are not merged over it
                    cues.extend(pending)
                    pending.clear()
                t += dur
            while next_cut < t:
                cuts.append(next_cut)
                next_cut += rng.uniform(2, 8)
        cues.extend(pending)
        pending.clear()
        t += 0.5 * jitter()
        ends.append(t)
    subs = pysubs2.SSAFile()
    for a, b, text in cues:
        fa, fb = (a - offset) / speed, (b - offset) / speed
        if fa >= 0:
            subs.append(pysubs2.SSAEvent(start=round(fa * 1000), end=round(fb * 1000), text=text))
    return DerivedPair(subs.to_string("srt"), np.array(starts), np.array(ends),
                       np.array(cuts[1:]), t, offset, speed, np.array(dropped, np.int64))


def _paraphrase(text: str, rng: np.random.Generator) -> str:
    """Drop one word and insert a filler word: how an actor rephrases a line."""
    words = text.split()
    if len(words) > 3:
        del words[int(rng.integers(len(words)))]
    words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(_FILLER)))
    return " ".join(words)


def _split(text: str, limit: int) -> list[str]:
    """Cut a long line into cues of at most ``limit`` characters at sentence or word ends."""
    if len(text) <= limit:
        return [text]
    parts, cur = [], ""
    for w in re.split(r"(?<=[.!?,]) |(?<=\S) (?=\S)", text):
        if cur and len(cur) + 1 + len(w) > limit:
            parts.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return parts + [cur] if cur else parts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the demo screening's screenplay and subtitles.")
    ap.add_argument("out_dir")
    ap.add_argument("--duration", type=float, default=24.0)
    args = ap.parse_args(argv)
    for name, path in write_demo_script(args.out_dir, args.duration).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
