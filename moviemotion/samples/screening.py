"""A small synthetic screening rendered in code: a movie clip, seat recordings, a manifest.

The movie is a sequence of scenes, each meant to provoke one feeling (see :data:`SCENES`).
Every seat shows one synthetic viewer, a face of our generative face model
(:mod:`moviemotion.samples.facegen`: statistics of FER2013, no one's photo), who reacts
to the scenes after their own delay, sometimes with their own emotion, sways, nods and
tilts a little, blinks, is lit by a changing light, and once briefly leaves the frame.
Seats start recording at different movie times (their offsets, in the manifest). Only
the model's statistics are read from disk: no face image exists.

Example
-------
>>> from moviemotion.samples.screening import make_screening          # doctest: +SKIP
>>> paths = make_screening("demo/screening", seats=4, duration=24)
>>> paths["manifest"], paths["seats"][0]
(PosixPath('demo/screening/manifest.csv'), PosixPath('demo/screening/seats/seat01.mp4'))
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from moviemotion.io import atomic_write_text
from moviemotion.samples import clips as synth
from moviemotion.samples.faces import HAIRS, TONES, background, paste_face

#: The movie's scenes: (start second, end second, the feeling it provokes), for 24 s.
SCENES = (
    (0.0, 5.0, "neutral"),
    (5.0, 9.0, "happy"),
    (9.0, 12.0, "neutral"),
    (12.0, 15.0, "surprise"),
    (15.0, 19.0, "sad"),
    (19.0, 24.0, "happy"),
)


@dataclass(frozen=True)
class Seat:
    """One synthetic viewer: how late and how they react, where the camera puts them."""

    label: str
    offset: float  # movie time at the recording's first frame
    delay: float  # seconds from a scene's start to the reaction
    swaps: tuple[tuple[str, str], ...] = ()  # (scene feeling, this viewer's feeling instead)
    away: tuple[float, float] | None = None  # movie-time interval with no face (left the seat)
    face_height: float = 220.0
    style: int = 0

    def expression(self, movie_t: float, scenes=SCENES) -> str:
        """The expression this viewer shows at movie time ``movie_t``."""
        feel = "neutral"
        for start, end, f in scenes:
            if start + self.delay <= movie_t < end + self.delay:
                feel = f
        return dict(self.swaps).get(feel, feel)


def default_seats(n: int = 4) -> list[Seat]:
    """``n`` different viewers with different delays, reactions and offsets."""
    base = [
        Seat("seat01", offset=-2.0, delay=0.5, style=0, face_height=230),
        Seat("seat02", offset=0.0, delay=1.0, swaps=(("sad", "neutral"),), style=1, face_height=200,
             away=(10.0, 11.0)),
        Seat("seat03", offset=1.5, delay=0.5, swaps=(("surprise", "fear"),), style=2, face_height=250),
        Seat("seat04", offset=-1.0, delay=1.5, style=3, face_height=210),
    ]
    seats = []
    for i in range(n):
        s = base[i % len(base)]
        seats.append(Seat(f"seat{i + 1:02d}", s.offset + 0.25 * (i // len(base)), s.delay, s.swaps,
                          s.away, s.face_height, s.style))
    return seats


_EYES = (slice(14, 25), (slice(7, 22), slice(26, 41)))  # eye band of a 48x48 FER-aligned face


def blink(face: np.ndarray) -> np.ndarray:
    """The 48x48 face with its eyes shut: the eye band smeared vertically into lids."""
    out = face.copy()
    rows, cols = _EYES
    for c in cols:
        patch = out[rows, c].astype(np.float32)
        lid = np.linspace(patch[0], patch[-1], patch.shape[0])  # skin from brow to cheek
        out[rows, c] = np.clip(0.8 * lid + 0.2 * patch, 0, 255).astype(np.uint8)
    return out


def seat_renderer(seat: Seat, size: tuple[int, int] = (640, 480), seed: int = 0, fade: float = 0.3):
    """``t -> RGB frame`` of a seat camera; ``t`` is recording time.

    The viewer is a face of the generative model (:mod:`moviemotion.samples.facegen`, one
    look per ``seat.style``) that changes expression over ``fade`` seconds, sways, nods and
    tilts, blinks every few seconds, and is lit by a light that slowly brightens and dims.
    """
    from moviemotion.samples.facegen import FaceModel

    w, h = size
    back = background(size, seed)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * math.pi, 4)
    blinks = np.cumsum(rng.uniform(2.0, 4.5, 64))  # blink onsets, recording time
    faces = FaceModel.load().viewer(seat.style)
    tone, hair = TONES[seat.style % len(TONES)], HAIRS[seat.style % len(HAIRS)]

    def frame(t: float) -> np.ndarray:
        img = back.copy()
        mt = t + seat.offset
        gain = 1.0 + 0.18 * math.sin(0.6 * t + phase[2]) + 0.06 * math.sin(2.3 * t + phase[3])
        if not (seat.away and seat.away[0] <= mt < seat.away[1]):
            # Expression: the mean of the faces shown over the last ``fade`` s (a smooth change).
            mix = np.mean([faces[seat.expression(mt - k * fade / 2)] for k in range(3)], axis=0)
            face = mix.astype(np.uint8)
            if np.any((t >= blinks) & (t < blinks + 0.15)):
                face = blink(face)
            side = seat.face_height * h / 480 * (1 + 0.02 * math.sin(0.3 * t))
            cx = w / 2 + 0.04 * w * math.sin(0.7 * t + phase[0])
            cy = 0.46 * h + 0.02 * h * math.sin(0.45 * t + phase[1])
            roll = 5.0 * math.sin(0.5 * t + phase[2])
            paste_face(img, face, (cx - side / 2, cy - side / 2, side, side), roll=roll, tone=tone, hair=hair,
                       whole=True)
        return np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)

    return frame


def movie_renderer(size: tuple[int, int] = (640, 360), scenes=SCENES):
    """A stand-in film: each scene its own moving shapes on a mood colour, with a caption."""
    moods = {"neutral": (70, 70, 80), "happy": (200, 150, 40), "surprise": (20, 120, 160),
             "sad": (30, 40, 90), "angry": (140, 20, 20), "fear": (40, 20, 50)}
    parts = [(synth.moving_shapes(size, seed=i, background=moods[f]), end - start)
             for i, (start, end, f) in enumerate(scenes)]
    play = synth.concat(parts)

    def frame(t: float) -> np.ndarray:
        img = play(t)
        feel = next((f for s, e, f in scenes if s <= t < e), scenes[-1][2])
        cv2.putText(img, f"scene: {feel}", (16, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2,
                    cv2.LINE_AA)
        return img

    return frame


def make_screening(
    out_dir: str | os.PathLike[str],
    seats: int = 4,
    duration: float = 24.0,
    fps: float = 10.0,
    size: tuple[int, int] = (640, 480),
) -> dict:
    """Write ``movie.mp4``, ``seats/seatNN.mp4`` and ``manifest.csv`` into ``out_dir``.

    Each seat records from its offset until the movie's end. Returns the paths and the
    seats (with their scripted expressions, for checking results).
    """
    out = Path(out_dir)
    scenes = tuple((s, min(e, duration), f) for s, e, f in SCENES if s < duration)
    movie = synth.write_video(out / "movie.mp4", synth.render(movie_renderer(scenes=scenes), 25, duration), fps=25)
    spec = default_seats(seats)
    paths = []
    for i, seat in enumerate(spec):
        length = duration - seat.offset
        paths.append(synth.write_video(out / "seats" / f"{seat.label}.mp4",
                                       synth.render(seat_renderer(seat, size, seed=i), fps, length), fps=fps))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["recording", "label", "offset"])
    for seat, p in zip(spec, paths, strict=True):
        writer.writerow([f"seats/{p.name}", seat.label, seat.offset])
    manifest = atomic_write_text(out / "manifest.csv", buf.getvalue())
    return {"movie": movie, "seats": paths, "manifest": manifest, "spec": spec, "scenes": scenes}
