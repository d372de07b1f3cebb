"""Render test videos in code, with known content: solid colours, timed flashes of a given
area, frequency and colour, checkerboards, moving shapes and scene cuts.

Used by the tests, the benchmarks, the docs and the demo. Frames are RGB ``uint8``
arrays; files are H.264 MP4 written by PyAV (FFmpeg inside its wheel).

Example
-------
>>> from moviemotion.samples import clips as synth
>>> frames = synth.flashes(size=(320, 180), fps=25, duration=2, hz=5, area=0.3)
>>> synth.write_video("flash5hz.mp4", frames, fps=25)      # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from moviemotion.io.atomic import atomic_path

Color = tuple[int, int, int]
Renderer = Callable[[float], np.ndarray]
BLACK: Color = (0, 0, 0)
WHITE: Color = (255, 255, 255)
RED: Color = (255, 0, 0)

_TIME_BASE = Fraction(1, 90000)


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray] | Iterable[tuple[float, np.ndarray]],
    fps: float = 25.0,
    *,
    crf: int = 18,
    lossless: bool = False,
    full_range: bool = False,
    rotation: int = 0,
    faststart: bool = True,
    gop: int | None = None,
) -> Path:
    """Encode RGB frames to an H.264 MP4 file (atomically) and return its path.

    ``frames`` yields either arrays (constant ``fps``) or ``(t, array)`` pairs, in which
    case each frame gets presentation time ``t`` seconds (variable frame rate).
    ``lossless`` encodes RGB losslessly (libx264rgb, qp 0) so pixel values survive exactly;
    ``full_range`` tags and encodes YUV as full range (0-255) instead of limited (16-235);
    ``rotation`` writes display-rotation metadata (degrees counter-clockwise).
    """
    path = Path(path)
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path) as tmp:
        container = av.open(str(tmp), mode="w", format="mp4",
                            options={"movflags": "faststart"} if faststart else {})
        stream = None
        pending = None  # the previous frame: its duration is known once the next one arrives
        default_dur = round(1 / rate / _TIME_BASE)
        try:
            for i, item in enumerate(frames):
                if isinstance(item, tuple):
                    t, img = item
                    pts = round(float(t) / _TIME_BASE)
                else:
                    img = item
                    pts = round(i / rate / _TIME_BASE)
                img = np.ascontiguousarray(img, dtype=np.uint8)
                if stream is None:
                    stream = _add_stream(container, img.shape[1], img.shape[0], rate, crf,
                                         lossless, full_range, rotation, gop)
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                if not lossless:
                    frame = frame.reformat(
                        format="yuv420p",
                        dst_colorspace="ITU709" if img.shape[0] >= 720 else "ITU601",
                        dst_color_range="JPEG" if full_range else "MPEG",
                    )
                    frame.color_range = 2 if full_range else 1
                frame.pts = pts
                frame.time_base = _TIME_BASE
                if pending is not None:
                    pending.duration = pts - pending.pts
                    _mux(container, stream, pending)
                pending = frame
            if pending is not None:
                pending.duration = default_dur
                _mux(container, stream, pending)
            if stream is None:
                raise ValueError("write_video got no frames")
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
    return path


def _mux(container, stream, frame) -> None:
    for packet in stream.encode(frame):
        container.mux(packet)


def _add_stream(container, width, height, rate, crf, lossless, full_range, rotation, gop):
    if width % 2 or height % 2:
        raise ValueError(f"H.264 needs even frame sizes, got {width}x{height}")
    if lossless:
        stream = container.add_stream("libx264rgb", rate=rate)
        stream.pix_fmt = "rgb24"
        stream.options = {"qp": "0", "preset": "ultrafast"}
    else:
        stream = container.add_stream("libx264", rate=rate)
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", "bf": "0"}
        stream.codec_context.color_range = 2 if full_range else 1
        stream.codec_context.colorspace = 1 if height >= 720 else 5
    stream.width, stream.height = width, height
    stream.codec_context.time_base = _TIME_BASE
    stream.time_base = _TIME_BASE
    if gop:
        stream.codec_context.gop_size = gop
    if rotation:
        stream.set_display_rotation(rotation)
    return stream


def render(renderer: Renderer, fps: float, duration: float) -> Iterator[np.ndarray]:
    """Frames ``renderer(i / fps)`` for ``i`` in ``0 .. round(duration * fps) - 1``."""
    n = int(round(duration * fps))
    for i in range(n):
        yield renderer(i / fps)


def render_vfr(renderer: Renderer, timestamps: Sequence[float]) -> Iterator[tuple[float, np.ndarray]]:
    """``(t, renderer(t))`` at the given (irregular) timestamps: a variable-frame-rate clip."""
    for t in timestamps:
        yield float(t), renderer(float(t))


def canvas(size: tuple[int, int], color: Color = BLACK) -> np.ndarray:
    """A ``(height, width, 3)`` frame filled with ``color``; ``size`` is ``(width, height)``."""
    w, h = size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = color
    return img


def solid(size: tuple[int, int], color: Color) -> Renderer:
    """A still frame of one colour."""
    img = canvas(size, color)
    return lambda t: img


def region_box(size: tuple[int, int], area: float, where: str = "center") -> tuple[int, int, int, int]:
    """A box ``(x, y, w, h)`` covering ``area`` (0..1) of a frame of ``size``.

    ``where``: ``"center"`` (a centred rectangle of the frame's aspect), ``"left"`` (a
    full-height vertical strip at the left), ``"top"`` (a full-width horizontal strip).
    """
    w, h = size
    if not 0 < area <= 1:
        raise ValueError("area must be in (0, 1]")
    if where == "left":
        bw = max(1, int(round(w * area)))
        return 0, 0, bw, h
    if where == "top":
        bh = max(1, int(round(h * area)))
        return 0, 0, w, bh
    s = math.sqrt(area)
    bw, bh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    return (w - bw) // 2, (h - bh) // 2, bw, bh


def flashing(
    size: tuple[int, int],
    hz: float,
    *,
    on: Color = WHITE,
    off: Color = BLACK,
    background: Color | None = None,
    area: float = 1.0,
    where: str = "center",
    start: float = 0.0,
    stop: float = math.inf,
    phase: float = 0.0,
) -> Renderer:
    """A region that alternates ``on``/``off`` at ``hz`` full flashes per second.

    One flash = one ``off -> on -> off`` cycle (two opposing transitions). The region is
    ``on`` during the first half of each cycle. Outside ``[start, stop)`` the region shows
    ``off``; pixels outside the region show ``background`` (default ``off``).
    """
    x, y, bw, bh = region_box(size, area, where)
    base = canvas(size, off if background is None else background)
    base[y:y + bh, x:x + bw] = off
    lit = base.copy()
    lit[y:y + bh, x:x + bw] = on

    def frame(t: float) -> np.ndarray:
        if not (start <= t < stop) or hz <= 0:
            return base
        cycle = (t - start) * hz + phase
        return lit if (cycle - math.floor(cycle)) < 0.5 else base

    return frame


def flashes(
    size: tuple[int, int] = (320, 180), fps: float = 25.0, duration: float = 2.0, hz: float = 5.0,
    **kwargs,
) -> Iterator[np.ndarray]:
    """Frames of :func:`flashing` for ``duration`` seconds at ``fps`` (convenience)."""
    return render(flashing(size, hz, **kwargs), fps, duration)


def flash_bursts(
    size: tuple[int, int], burst_starts: Sequence[float], flashes_per_burst: int, hz: float,
    on: Color = WHITE, off: Color = BLACK,
) -> Renderer:
    """Bursts of exactly ``flashes_per_burst`` full flashes at ``hz``, starting at each time."""
    fl = [flashing(size, hz, on=on, off=off, start=s, stop=s + flashes_per_burst / hz)
          for s in burst_starts]
    dark = canvas(size, off)

    def frame(t: float) -> np.ndarray:
        for s, r in zip(burst_starts, fl, strict=True):
            if s <= t < s + flashes_per_burst / hz:
                return r(t)
        return dark

    return frame


def opposite_halves(size: tuple[int, int], hz: float, on: Color = WHITE, off: Color = BLACK) -> Renderer:
    """Left and right halves flashing in opposite phase: the frame mean never changes."""
    w, h = size
    a = canvas(size, off)
    a[:, : w // 2] = on
    b = canvas(size, off)
    b[:, w // 2:] = on

    def frame(t: float) -> np.ndarray:
        return a if (t * hz - math.floor(t * hz)) < 0.5 else b

    return frame


def checkerboard(size: tuple[int, int], square: int, phase: int = 0,
                 light: Color = WHITE, dark: Color = BLACK) -> np.ndarray:
    """A checkerboard of ``square``-pixel squares; ``phase`` 1 swaps light and dark."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((xx // square + yy // square + phase) % 2).astype(bool)
    img = canvas(size, dark)
    img[mask] = light
    return img


def reversing_checkerboard(size: tuple[int, int], square: int, hz: float) -> Renderer:
    """A checkerboard that swaps light and dark squares ``2 * hz`` times a second."""
    a, b = checkerboard(size, square, 0), checkerboard(size, square, 1)
    return lambda t: a if (t * hz - math.floor(t * hz)) < 0.5 else b


def noise(size: tuple[int, int], seed: int = 0) -> Renderer:
    """Fresh white noise every frame (reproducible from ``seed`` and ``t``)."""
    w, h = size

    def frame(t: float) -> np.ndarray:
        rng = np.random.default_rng((seed, int(round(t * 1e6))))
        g = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
        return np.repeat(g[:, :, None], 3, axis=2)

    return frame


def moving_shapes(size: tuple[int, int], seed: int = 0, n: int = 4,
                  background: Color = (40, 40, 60)) -> Renderer:
    """Coloured discs and squares moving on straight paths and bouncing off the edges."""
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    pos = rng.uniform([0.1 * w, 0.1 * h], [0.9 * w, 0.9 * h], size=(n, 2))
    vel = rng.uniform(-0.4, 0.4, size=(n, 2)) * np.array([w, h])
    radius = rng.uniform(0.04, 0.1, size=n) * min(w, h)
    colors = rng.integers(60, 256, size=(n, 3))

    def frame(t: float) -> np.ndarray:
        img = canvas(size, background)
        p = pos + vel * t
        # bounce: reflect positions into [0, w] x [0, h]
        for k, lim in enumerate((w, h)):
            q = np.mod(p[:, k], 2 * lim)
            p[:, k] = np.where(q > lim, 2 * lim - q, q)
        for i in range(n):
            c = tuple(int(v) for v in colors[i])
            cx, cy, r = int(p[i, 0]), int(p[i, 1]), int(radius[i])
            if i % 2:
                cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), c, -1)
            else:
                cv2.circle(img, (cx, cy), r, c, -1, lineType=cv2.LINE_AA)
        return img

    return frame


def scene_cuts(size: tuple[int, int], cut_times: Sequence[float], seed: int = 0) -> Renderer:
    """Shots separated by hard cuts at ``cut_times``: each shot is its own moving-shapes scene
    on a distinct background colour, so the true cut times are known exactly."""
    rng = np.random.default_rng(seed)
    bounds = [0.0, *sorted(cut_times)]
    shots = []
    for i in range(len(bounds)):
        bg = tuple(int(v) for v in rng.integers(0, 256, size=3))
        shots.append(moving_shapes(size, seed=seed + 1 + i, background=bg))

    def frame(t: float) -> np.ndarray:
        i = int(np.searchsorted(bounds, t, side="right")) - 1
        return shots[max(i, 0)](t - bounds[max(i, 0)])

    return frame


def concat(parts: Sequence[tuple[Renderer, float]]) -> Renderer:
    """Play renderers one after another: ``[(renderer, seconds), ...]``; each sees its own t."""
    ends = np.cumsum([d for _, d in parts])

    def frame(t: float) -> np.ndarray:
        i = min(int(np.searchsorted(ends, t, side="right")), len(parts) - 1)
        begin = ends[i - 1] if i else 0.0
        return parts[i][0](t - begin)

    return frame


def stripes(size: tuple[int, int], pairs: float, angle: float = 0.0, *, phase: float = 0.0,
            light: Color = WHITE, dark: Color = BLACK) -> np.ndarray:
    """A frame of straight light/dark stripes: ``pairs`` light-dark pairs across the frame.

    ``angle``: direction (degrees) across the stripes: 0 = vertical stripes (pairs counted
    along x), 90 = horizontal (along y), 45 = diagonal. ``phase`` 0.5 swaps light and dark.
    """
    w, h = size
    theta = math.radians(angle)
    c, s = math.cos(theta), math.sin(theta)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    along = xx * c + yy * s
    extent = w * abs(c) + h * abs(s)
    lo = min(0.0, w * c) + min(0.0, h * s)  # the smallest projection of a frame corner
    cycle = (along - lo) * pairs / extent + phase
    img = canvas(size, dark)
    img[(cycle - np.floor(cycle)) < 0.5] = light
    return img


def reversing_stripes(size: tuple[int, int], pairs: float, hz: float, angle: float = 0.0,
                      light: Color = WHITE, dark: Color = BLACK) -> Renderer:
    """Stripes (see :func:`stripes`) that swap light and dark ``2 * hz`` times a second."""
    a = stripes(size, pairs, angle, light=light, dark=dark)
    b = stripes(size, pairs, angle, phase=0.5, light=light, dark=dark)
    return lambda t: a if (t * hz - math.floor(t * hz)) < 0.5 else b


def flashing_box(size: tuple[int, int], hz: float, box: tuple[int, int, int, int],
                 on: Color = WHITE, off: Color = BLACK) -> Renderer:
    """A rectangle ``box = (x, y, w, h)`` (pixels, anywhere) flashing ``on``/``off`` at
    ``hz`` full flashes per second over an ``off`` background."""
    x, y, bw, bh = box
    base = canvas(size, off)
    lit = base.copy()
    lit[y:y + bh, x:x + bw] = on
    return lambda t: lit if (t * hz - math.floor(t * hz)) < 0.5 else base
