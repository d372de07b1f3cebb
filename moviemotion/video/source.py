"""One decode pass for many analyzers (after PySceneDetect's detectors and SceneManager).

A *frame source* is a video file (:class:`~moviemotion.video.reader.VideoReader`) or a folder
of images (:class:`~moviemotion.video.images.ImageFolderSource`). An *analyzer* says what it
needs (:class:`FrameRequest`: every frame or N per second, RGB/BGR/luma, a size, audio), takes
frames with ``push(t, frame)`` (and audio with ``push_audio(t, samples)``) and hands its
results on from ``finish(info)`` as :class:`~moviemotion.signals.Signals`.

:func:`analyze_movie` decodes each frame **once** and gives every analyzer the frames it asked
for, converted once per distinct (mode, size, interpolation): two analyzers that both want
RGB at 320x180 share one conversion. Memory stays flat: frames are never kept (a sampled
request holds one frame back until it knows the frame is on screen at its sample time).

>>> from moviemotion.video.source import analyze_movie, open_source    # doctest: +SKIP
>>> with open_source("movie.mp4") as src:                               # doctest: +SKIP
...     result = analyze_movie(src, [ShotsAnalyzer(), MotionAnalyzer()])
>>> result.tables["shots"][0].table                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from moviemotion.signals import Signals
from moviemotion.video.images import ImageFolderSource
from moviemotion.video.reader import (
    DecodeStatus,
    FrameMode,
    TruncatedVideoWarning,
    VideoInfo,
    VideoReader,
)

_EPS = 1e-6


@runtime_checkable
class FrameSource(Protocol):
    """What :func:`analyze_movie` reads: a video file or an image folder."""

    path: Path
    info: VideoInfo

    def decoded(self, *, audio_rate: int | None = None, start: float = 0.0,
                status: DecodeStatus | None = None): ...

    def converter(self, mode: FrameMode = "rgb", full_range: bool = True,
                  size: tuple[int, int] | None = None, interpolation: str | None = None,
                  apply_rotation: bool = True) -> Callable[[Any], np.ndarray]: ...

    def frames(self, fps: float | None = None, mode: FrameMode = "rgb", **kw): ...


def open_source(path: str | os.PathLike[str], image_fps: float = 25.0) -> VideoReader | ImageFolderSource:
    """Open a video file, or a folder of images (timestamped at ``image_fps``)."""
    p = Path(path)
    if p.is_dir():
        return ImageFolderSource(p, fps=image_fps)
    return VideoReader(p)


@dataclass(frozen=True)
class FrameRequest:
    """What an analyzer wants from the pass.

    ``fps``: ``None`` = every frame; else the frame on screen at each ``k / fps``.
    ``mode``: ``"rgb"``, ``"bgr"`` or ``"gray"`` (luma plane).
    ``size``: ``(width, height)`` of the decoded frame before rotation (``None`` = as stored).
    ``interpolation``: swscale filter for ``size`` (``"AREA"`` for cell means).
    ``full_range``: expand limited-range luma in ``"gray"`` mode.
    ``video``: False for an analyzer that only wants audio.
    ``audio_rate``: also send mono float32 audio at this rate (Hz) to ``push_audio``.
    """

    fps: float | None = None
    mode: FrameMode = "rgb"
    size: tuple[int, int] | None = None
    interpolation: str | None = None
    full_range: bool = True
    video: bool = True
    audio_rate: int | None = None

    def conversion(self) -> tuple:
        return (self.mode, self.size, self.interpolation, self.full_range)


@dataclass(frozen=True)
class PassInfo:
    """What the pass knows when it ends; analyzers get it in ``finish``.

    ``complete`` is False when decoding stopped before the declared duration or skipped
    damaged packets: an analyzer must then not report a clean result for the unread part.
    """

    path: str
    info: VideoInfo
    frames: int
    analyzed_until: float
    duration: float
    complete: bool
    damaged: tuple[str, ...] = ()
    has_audio: bool = False

    @property
    def incomplete_reason(self) -> str:
        if self.complete:
            return ""
        where = f"analyzed up to {self.analyzed_until:.2f} of {self.duration:.2f} s"
        if self.damaged:
            where += f"; {len(self.damaged)} damaged packet(s), first at {self.damaged[0]}"
        return f"incomplete: {where}"


class Analyzer(Protocol):
    """One signal of the movie, fed by the one decode pass."""

    name: ClassVar[str]

    def request(self, info: VideoInfo) -> FrameRequest: ...

    def push(self, t: float, frame: np.ndarray) -> None: ...

    def finish(self, run: PassInfo) -> list[Signals]: ...


@dataclass
class PassResult:
    """Tables per analyzer name, seconds spent in each analyzer, and how the pass went."""

    tables: dict[str, list[Signals]]
    timings: dict[str, float]
    run: PassInfo
    decode_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


class _Sampler:
    """The reader's "frame on screen at ``k / fps``" rule, one frame behind the decoder."""

    def __init__(self, fps: float, start: float = 0.0):
        self.step = 1.0 / fps
        self.start = start
        self.next_k = 0
        self.prev: tuple[float, int] | None = None

    def feed(self, t: float, index: int) -> tuple[float, int] | None:
        out = None
        if t > self.start + self.next_k * self.step + _EPS:
            out = self.prev
            self.next_k = max(self.next_k + 1, math.ceil((t - self.start) / self.step - _EPS))
        self.prev = (t, index)
        return out

    def flush(self, shown_until: float) -> tuple[float, int] | None:
        if self.prev is not None and self.start + self.next_k * self.step < shown_until - _EPS:
            return self.prev
        return None


def analyze_movie(source: VideoReader | ImageFolderSource, analyzers: Sequence[Analyzer], *,
                  start: float = 0.0, progress: bool = False,
                  on_frame: Callable[[float], None] | None = None) -> PassResult:
    """Decode ``source`` once and feed every analyzer what its :class:`FrameRequest` asks.

    Returns a :class:`PassResult`; damaged packets and early ends are reported in
    ``result.run`` (``complete``, ``analyzed_until``) and passed to every ``finish``.
    """
    from moviemotion.progress import progress_bar

    info = source.info
    names = [a.name for a in analyzers]
    if len(set(names)) != len(names):
        raise ValueError(f"analyzer names must be unique, got {names}")
    requests = [a.request(info) for a in analyzers]
    converters: dict[tuple, Callable[[Any], np.ndarray]] = {}
    for r in requests:
        if r.video and r.conversion() not in converters:
            converters[r.conversion()] = source.converter(r.mode, r.full_range, r.size,
                                                          r.interpolation)
    audio_rates = {r.audio_rate for r in requests if r.audio_rate}
    if len(audio_rates) > 1:
        raise ValueError(f"analyzers ask for different audio rates {sorted(audio_rates)}")
    audio_rate = next(iter(audio_rates), None)
    has_audio = bool(audio_rate) and isinstance(source, VideoReader) \
        and bool(source._container.streams.audio)

    samplers = {i: _Sampler(r.fps, start) for i, r in enumerate(requests) if r.video and r.fps}
    timings = {n: 0.0 for n in names}
    cache: dict[tuple[int, tuple], np.ndarray] = {}
    raw: dict[int, Any] = {}  # frame index -> decoded frame, kept while a sampler may need it

    def converted(index: int, key: tuple) -> np.ndarray:
        got = cache.get((index, key))
        if got is None:
            got = converters[key](raw[index])
            cache[(index, key)] = got
        return got

    def deliver(i: int, t: float, index: int) -> None:
        a, r = analyzers[i], requests[i]
        frame = converted(index, r.conversion())
        t0 = time.perf_counter()
        a.push(t, frame)
        timings[a.name] += time.perf_counter() - t0

    status = DecodeStatus()
    every = [i for i, r in enumerate(requests) if r.video and not r.fps]
    audio_takers = [i for i, r in enumerate(requests) if r.audio_rate]
    total = info.frame_count or (int(info.duration * info.fps)
                                 if math.isfinite(info.duration * info.fps) else None)
    decode_s = 0.0
    index = -1
    last_t = None
    with warnings.catch_warnings(record=True) as caught, \
            progress_bar(disable=not progress) as bar:
        warnings.simplefilter("always", TruncatedVideoWarning)
        task = bar.add_task(f"analyzing ({', '.join(names)})", total=total, unit="frames")
        it = source.decoded(audio_rate=audio_rate if has_audio else None, start=start,
                            status=status)
        tick = time.perf_counter()
        for kind, t, frame in it:
            decode_s += time.perf_counter() - tick
            if kind == "audio":
                for i in audio_takers:
                    t0 = time.perf_counter()
                    analyzers[i].push_audio(t, frame)  # type: ignore[attr-defined]
                    timings[analyzers[i].name] += time.perf_counter() - t0
                tick = time.perf_counter()
                continue
            index += 1
            last_t = t
            raw[index] = frame
            for i in every:
                deliver(i, t, index)
            for i, s in samplers.items():
                out = s.feed(t, index)
                if out is not None:
                    deliver(i, out[0], out[1])
            # Forget frames no sampler holds any more.
            held = {s.prev[1] for s in samplers.values() if s.prev is not None}
            for k in [k for k in raw if k != index and k not in held]:
                del raw[k]
            for key in [key for key in cache if key[0] not in raw]:
                del cache[key]
            bar.advance(task)
            if on_frame is not None:
                on_frame(t)
            tick = time.perf_counter()
        frame_dur = 1.0 / info.fps if math.isfinite(info.fps) and info.fps > 0 else 0.04
        for i, s in samplers.items():
            if last_t is None:
                break
            shown_until = last_t + frame_dur
            if math.isfinite(info.duration) and info.duration > last_t and status.complete_for(info):
                shown_until = info.duration
            out = s.flush(shown_until)
            if out is not None:
                deliver(i, out[0], out[1])
    raw.clear()
    cache.clear()
    messages = [str(w.message) for w in caught if issubclass(w.category, TruncatedVideoWarning)]
    for w in caught:
        if not issubclass(w.category, TruncatedVideoWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if last_t is None:
        from moviemotion.errors import VideoError

        raise VideoError(f"{source.path}: no frame could be decoded")
    complete = status.complete_for(info) and not status.errors
    duration = info.duration if math.isfinite(info.duration) else last_t + frame_dur
    run = PassInfo(path=str(source.path), info=info, frames=index + 1,
                   analyzed_until=round(last_t + frame_dur, 6),
                   duration=float(duration), complete=complete,
                   damaged=tuple(status.errors), has_audio=has_audio)
    if not complete and not status.errors:
        messages.append(f"{source.path}: stream ended at {last_t:.3f} s but the file declares "
                        f"{info.duration:.3f} s (truncated?)")
    for m in messages:
        warnings.warn(m, TruncatedVideoWarning, stacklevel=2)
    tables: dict[str, list[Signals]] = {}
    for a in analyzers:
        t0 = time.perf_counter()
        tables[a.name] = list(a.finish(run))
        timings[a.name] += time.perf_counter() - t0
    return PassResult(tables, timings, run, decode_seconds=decode_s, warnings=messages)
