"""Streaming video reader on PyAV: metadata, and frames as ``(timestamp_seconds, array)``.

Frames are decoded one at a time and never accumulated, so memory stays flat for a
two-hour movie. Timestamps are the frames' real presentation times (``pts * time_base``,
relative to the stream's start), so variable-frame-rate files are handled correctly.

Modes
-----
``"rgb"``   (H, W, 3) uint8, full-range sRGB, converted with the stream's colour matrix.
``"bgr"``   same in OpenCV's channel order.
``"gray"``  (H, W) uint8 luma plane (Y'), taken straight from the decoder's buffer for
            YUV streams: no colour conversion (the fast path for analysis).

Example
-------
>>> from moviemotion.video import open_video
>>> with open_video("movie.mp4") as video:          # doctest: +SKIP
...     print(video.info.duration, video.info.fps)
...     for t, luma in video.frames(fps=2, mode="gray"):
...         ...
"""

from __future__ import annotations

import fractions
import logging
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import av
import av.error
import numpy as np

from moviemotion.errors import VideoError

log = logging.getLogger(__name__)

FrameMode = Literal["rgb", "bgr", "gray"]

#: 8-bit limited-range (16-235) luma code -> full-range (0-255) code, rounded and clipped.
LIMITED_TO_FULL_LUMA = np.clip(
    np.round((np.arange(256, dtype=np.float64) - 16.0) * 255.0 / 219.0), 0, 255
).astype(np.uint8)
LIMITED_TO_FULL_LUMA.flags.writeable = False

_YUV_PLANAR_8BIT = {
    "yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p",
    "yuvj440p", "yuv411p", "yuv410p", "nv12", "nv21", "gray", "yuva420p",
}


class TruncatedVideoWarning(UserWarning):
    """Decoding stopped early: the stream is truncated or corrupt after some point."""


@dataclass
class DecodeStatus:
    """How far one decode got: damaged packets (``"12.345 s (reason)"``), frames, last time."""

    errors: list[str] = field(default_factory=list)
    video_frames: int = 0
    last_video_time: float | None = None

    def complete_for(self, info: VideoInfo) -> bool:
        """False when the decode stopped well before the declared duration (truncated)."""
        last_t = self.last_video_time
        if last_t is None:
            return False
        declared = info.duration
        if not (math.isfinite(declared) and math.isfinite(info.fps) and info.fps > 0):
            return True
        return last_t + 2.0 / info.fps + 0.5 >= declared


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself.

    Attributes
    ----------
    path: the file.
    duration: seconds (container or stream duration; ``nan`` when unknown).
    fps: nominal frame rate (average rate; for VFR files the mean rate).
    width, height: decoded size in pixels, before rotation.
    rotation: degrees counter-clockwise the frames are rotated for display (0/90/180/270).
    display_width, display_height: size after rotation.
    frame_count: frames declared by the container (0 when unknown).
    codec: decoder name (e.g. ``h264``).
    pix_fmt: decoded pixel format (e.g. ``yuv420p``).
    color_range: ``limited`` (16-235, TV/MPEG), ``full`` (0-255, PC/JPEG) or ``unknown``.
    color_matrix: ``bt709``, ``bt601``, ``bt2020`` ... or ``unknown``.
    variable_frame_rate: True when frame durations in the first frames differ.
    """

    path: str
    duration: float
    fps: float
    width: int
    height: int
    rotation: int
    frame_count: int
    codec: str
    pix_fmt: str
    color_range: str
    color_matrix: str
    variable_frame_rate: bool = False

    @property
    def display_width(self) -> int:
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int:
        return self.width if self.rotation in (90, 270) else self.height

    def as_dict(self) -> dict:
        d = asdict(self)
        d["display_width"] = self.display_width
        d["display_height"] = self.display_height
        return d


_RANGE_NAMES = {0: "unknown", 1: "limited", 2: "full"}
_MATRIX_NAMES = {1: "bt709", 2: "unknown", 4: "fcc", 5: "bt601", 6: "bt601", 7: "smpte240m",
                 9: "bt2020", 10: "bt2020"}


def _round_rotation(deg: float | None) -> int:
    if deg is None or not math.isfinite(deg):
        return 0
    return int(round(deg / 90.0)) * 90 % 360


class VideoReader:
    """A video file opened for streaming. Use :func:`open_video` to make one.

    The reader is a context manager; :meth:`frames` may be called more than once
    (each call decodes from the start).
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.exists():
            raise VideoError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise VideoError(f"{self.path}: is a folder, not a video file")
        if self.path.stat().st_size == 0:
            raise VideoError(f"{self.path}: the file is empty (0 bytes)")
        self._container = self._open()
        self.info = self._probe()

    # -- opening -----------------------------------------------------------------------------
    def _open(self) -> av.container.InputContainer:
        try:
            container = av.open(str(self.path), mode="r")
        except av.error.EOFError:
            raise VideoError(
                f"{self.path}: contains no video frames (zero-length or cut off before the first frame)"
            ) from None
        except av.error.FFmpegError as exc:
            raise VideoError(f"{self.path}: not a readable video ({_ffmpeg_reason(exc)})") from None
        if not container.streams.video:
            container.close()
            raise VideoError(f"{self.path}: contains no video stream")
        fmt = container.format.name if container.format is not None else ""
        if fmt.endswith("_pipe") or fmt in ("image2", "gif", "apng", "webp"):
            container.close()
            raise VideoError(f"{self.path}: is an image ({fmt.removesuffix('_pipe')}), not a "
                             "video (use a folder of images as a frame source)")
        stream = container.streams.video[0]
        if stream.codec_context is None or stream.codec_context.codec is None:
            container.close()
            raise VideoError(f"{self.path}: unsupported video codec")
        stream.thread_type = "AUTO"
        return container

    def _probe(self) -> VideoInfo:
        stream = self._container.streams.video[0]
        cc = stream.codec_context
        duration = math.nan
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif self._container.duration is not None:
            duration = self._container.duration / av.time_base
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else math.nan
        # Rotation and colour properties live on frames: decode the first frame only.
        color_range = _RANGE_NAMES.get(int(getattr(cc, "color_range", 0) or 0), "unknown")
        color_matrix = _MATRIX_NAMES.get(int(getattr(cc, "colorspace", 2) or 2), "unknown")
        try:
            first = next(iter(self._container.decode(stream)), None)
        except av.error.FFmpegError as exc:
            raise VideoError(f"{self.path}: cannot decode any frame ({_ffmpeg_reason(exc)})") from None
        if first is None:
            raise VideoError(f"{self.path}: contains no video frames (zero-length video)")
        rotation = _round_rotation(first.rotation)
        pix_fmt = first.format.name
        color_range = _RANGE_NAMES.get(int(first.color_range or 0), color_range)
        color_matrix = _MATRIX_NAMES.get(int(first.colorspace or 2), color_matrix)
        # Variable frame rate: look at the first packets' timestamps (no decoding needed).
        stream = self._rewind().streams.video[0]
        first_times: list[float] = []
        try:
            for packet in self._container.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    first_times.append(float(packet.pts * packet.time_base))
                if len(first_times) >= 24:
                    break
        except av.error.FFmpegError:
            pass  # the timestamps read so far are enough; frames() seeks before decoding
        if color_range == "unknown" and pix_fmt.startswith("yuv"):
            color_range = "limited"  # FFmpeg's (and every broadcaster's) default for YUV
        vfr = False
        if len(first_times) >= 3:
            d = np.diff(np.sort(first_times))
            vfr = bool(d.size and (d.max() - d.min()) > 0.25 * max(float(np.median(d)), 1e-6))
        return VideoInfo(
            path=str(self.path),
            duration=duration,
            fps=fps,
            width=int(cc.width),
            height=int(cc.height),
            rotation=rotation,
            frame_count=int(stream.frames or 0),
            codec=cc.name,
            pix_fmt=pix_fmt,
            color_range=color_range,
            color_matrix=color_matrix,
            variable_frame_rate=vfr,
        )

    def _rewind(self) -> av.container.InputContainer:
        """Back to the start: seek, or reopen a stream that cannot seek (raw H.264, pipes)."""
        try:
            self._container.seek(0)
        except av.error.FFmpegError:
            self._container.close()
            self._container = self._open()
        return self._container

    # -- decoding ------------------------------------------------------------------------------
    def frames(
        self,
        fps: float | None = None,
        mode: FrameMode = "rgb",
        full_range: bool = True,
        apply_rotation: bool = True,
        start: float = 0.0,
        end: float | None = None,
        size: tuple[int, int] | None = None,
        interpolation: str | None = None,
    ) -> Iterator[tuple[float, np.ndarray]]:
        """Yield ``(t, frame)`` with ``t`` the presentation time in seconds from the stream start.

        Parameters
        ----------
        fps: sample at this rate instead of every frame. Decoding stays sequential; for
            each sample time ``k / fps`` the frame on screen at that time is yielded (once;
            a frame covering several sample times is not repeated). ``t`` is the frame's own
            presentation time.
        mode: ``"rgb"``, ``"bgr"`` or ``"gray"`` (luma plane, no colour conversion).
        full_range: for ``"gray"``, expand limited-range (16-235) luma to 0-255.
            RGB output is always full range.
        apply_rotation: rotate frames by the file's display rotation.
        start, end: only frames with ``start <= t < end``.
        size: ``(width, height)`` to scale to (done by the decoder's scaler, before rotation).
        interpolation: swscale's filter for ``size`` (``"AREA"`` averages pixels, right for
            analysis that needs cell means; default ``"BILINEAR"``).
        """
        if mode not in ("rgb", "bgr", "gray"):
            raise ValueError(f"mode must be 'rgb', 'bgr' or 'gray', not {mode!r}")
        if fps is not None and not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        info = self.info
        convert = self.converter(mode, full_range, size, interpolation, apply_rotation)

        step = 1.0 / fps if fps else None
        frame_dur = 1.0 / info.fps if math.isfinite(info.fps) and info.fps > 0 else (step or 0.0)
        next_k = 0  # index of the next sample time start + k * step
        prev = None  # (t, av frame): the last decoded frame, not yet known to be on screen
        eps = 1e-6
        status = DecodeStatus()
        for _kind, t, frame in self.decoded(start=start, status=status):
            if end is not None and t >= end - eps:
                break
            if step is None:
                yield t, convert(frame)
                continue
            target = start + next_k * step
            if t > target + eps:
                # ``prev`` is the frame on screen at ``target``: emit it once, then skip
                # the sample times that ``prev`` covered.
                if prev is not None:
                    yield prev[0], convert(prev[1])
                next_k = max(next_k + 1, math.ceil((t - start) / step - eps))
            prev = (t, frame)
        if step is not None and prev is not None:
            # The last frame stays on screen until the stream's declared end.
            shown_until = prev[0] + frame_dur
            if math.isfinite(info.duration) and info.duration > prev[0]:
                shown_until = info.duration
            if end is not None:
                shown_until = min(shown_until, end)
            if start + next_k * step < shown_until - eps:
                yield prev[0], convert(prev[1])
            prev = None
        if status.last_video_time is None and start == 0.0 and not status.errors:
            raise VideoError(f"{self.path}: no frame could be decoded")
        if end is None:
            self._warn_if_short(status)

    def decoded(self, *, audio_rate: int | None = None, start: float = 0.0,
                status: DecodeStatus | None = None
                ) -> Iterator[tuple[str, float, av.VideoFrame | np.ndarray]]:
        """Demux once and yield ``("video", t, av.VideoFrame)`` for every frame with
        ``t >= start`` and, with ``audio_rate``, ``("audio", t, samples)`` (mono float32 at
        ``audio_rate`` Hz, ``t`` the first sample's time) from the same demux.

        Damaged packets are skipped and listed in ``status.errors`` (with one
        :class:`TruncatedVideoWarning` at the end); ``status.last_video_time`` is the last
        frame's time. Convert frames with :meth:`converter`.
        """
        status = status if status is not None else DecodeStatus()
        container = self._container
        stream = container.streams.video[0]
        t0 = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        if start > 0 and stream.time_base is not None:
            # Jump to the keyframe at or before ``start``; frames before it are skipped below.
            container.seek(int((start + t0) / stream.time_base), backward=True, any_frame=False,
                           stream=stream)
        else:
            container = self._rewind()
            stream = container.streams.video[0]
        streams = [stream]
        resampler = None
        if audio_rate and container.streams.audio:
            astream = container.streams.audio[0]
            streams.append(astream)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=int(audio_rate))
        eps = 1e-6
        try:
            for frame in self._decode(streams, status.errors):
                t = float(frame.time) - t0
                if isinstance(frame, av.AudioFrame):
                    if resampler is None or t < start - 1.0:
                        continue
                    for out in resampler.resample(frame):
                        if out.time is None:
                            continue
                        yield "audio", float(out.time) - t0, out.to_ndarray().reshape(-1)
                    continue
                if t < start - eps:
                    continue
                status.last_video_time = t
                status.video_frames += 1
                yield "video", t, frame
            if resampler is not None:
                for out in resampler.resample(None):
                    if out.time is not None:
                        yield "audio", float(out.time) - t0, out.to_ndarray().reshape(-1)
        finally:
            if status.errors:
                warnings.warn(
                    f"{self.path}: {len(status.errors)} damaged packet(s), first at "
                    f"{status.errors[0]}; the readable frames around them were decoded "
                    "(the file is corrupt or truncated)",
                    TruncatedVideoWarning,
                    stacklevel=3,
                )

    def _warn_if_short(self, status: DecodeStatus) -> None:
        info = self.info
        last_t = status.last_video_time
        if last_t is not None and not status.complete_for(info):
            warnings.warn(
                f"{self.path}: stream ended at {last_t:.3f} s but the file declares "
                f"{info.duration:.3f} s (truncated?)",
                TruncatedVideoWarning,
                stacklevel=3,
            )

    def _decode(self, streams, errors: list[str], max_consecutive: int = 200):
        """Decode packet by packet, skipping damaged packets (recorded in ``errors``)."""
        last_time = None
        consecutive = 0
        info = getattr(self, "info", None)
        step = 1.0 / info.fps if info is not None and info.fps > 0 else 0.0
        step_base = fractions.Fraction(1, 90000)
        packets = self._container.demux(*streams)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:  # the demuxer cannot go on: the file ends here
                errors.append(f"{last_time or 0.0:.3f} s (demuxer: {_ffmpeg_reason(exc)})")
                break
            try:
                frames = packet.decode()
                consecutive = 0
            except av.error.FFmpegError as exc:
                errors.append(f"{(last_time or 0.0):.3f} s ({_ffmpeg_reason(exc)})")
                consecutive += 1
                if consecutive >= max_consecutive:
                    break
                continue
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    if frame.time is None:
                        # Streams without timestamps (raw H.264): count frames at the rate.
                        if frame.pts is None and step > 0:
                            frame.pts = round((0.0 if last_time is None else last_time + step)
                                              / float(frame.time_base or step_base))
                            frame.time_base = frame.time_base or step_base
                        if frame.time is None:
                            continue
                    last_time = float(frame.time)
                elif frame.time is None:
                    continue
                yield frame

    def converter(self, mode: FrameMode = "rgb", full_range: bool = True,
                  size: tuple[int, int] | None = None, interpolation: str | None = None,
                  apply_rotation: bool = True):
        """A function ``av.VideoFrame -> np.ndarray`` for :meth:`decoded`'s frames (see
        :meth:`frames` for the arguments); rotation is applied after scaling."""
        if mode not in ("rgb", "bgr", "gray"):
            raise ValueError(f"mode must be 'rgb', 'bgr' or 'gray', not {mode!r}")
        convert = self._converter(mode, full_range, size, interpolation)
        rot_k = (self.info.rotation // 90) % 4 if apply_rotation else 0
        if rot_k == 0:
            return convert
        return lambda frame: _rotate(convert(frame), rot_k)

    def _converter(self, mode: FrameMode, full_range: bool, size: tuple[int, int] | None,
                   interpolation: str | None = None):
        info = self.info
        if mode == "gray":
            if size is None and info.pix_fmt in _YUV_PLANAR_8BIT:
                expand = full_range and info.color_range == "limited"

                def luma(frame: av.VideoFrame) -> np.ndarray:
                    plane = frame.planes[0]
                    y = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
                    y = y[:, : frame.width]
                    if expand:
                        return LIMITED_TO_FULL_LUMA[y]
                    return y.copy()

                return luma

            def gray(frame: av.VideoFrame) -> np.ndarray:
                kw = _range_kwargs(frame, info)
                w, h = size if size else (None, None)
                g = frame.reformat(width=w, height=h, format="gray", interpolation=interpolation,
                                   threads=SWSCALE_THREADS, **kw)
                plane = g.planes[0]
                y = np.frombuffer(plane, np.uint8).reshape(g.height, plane.line_size)
                return y[:, : g.width].copy()

            return gray

        fmt = "rgb24" if mode == "rgb" else "bgr24"

        def color(frame: av.VideoFrame) -> np.ndarray:
            kw = _range_kwargs(frame, info)
            w, h = size if size else (None, None)
            return frame.reformat(width=w, height=h, format=fmt, interpolation=interpolation,
                                  threads=SWSCALE_THREADS, **kw).to_ndarray()

        return color

    # -- lifetime --------------------------------------------------------------------------------
    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        i = self.info
        return (f"VideoReader({str(self.path)!r}, {i.width}x{i.height}, {i.fps:.3f} fps, "
                f"{i.duration:.2f} s)")


#: swscale threads per conversion. One: the decoder's own threads already keep the cores busy,
#: and slice threading of a small output costs CPU (measured at 1080p -> 480 x 272 area: 1.65
#: ms of CPU per frame with one thread, 1.94 with PyAV's default of one per core).
SWSCALE_THREADS = 1


def _range_kwargs(frame: av.VideoFrame, info: VideoInfo) -> dict:
    """Tell swscale the source's real range and matrix (it assumes limited BT.601 otherwise)."""
    if not frame.format.name.startswith(("yuv", "nv")):
        return {}
    src_range = "JPEG" if (frame.color_range == 2 or frame.format.name.startswith("yuvj")) else "MPEG"
    cs = int(frame.colorspace or 2)
    if cs == 2:  # unspecified: HD is BT.709, SD is BT.601 (the usual convention)
        src_cs = "ITU709" if info.height >= 720 else "ITU601"
    else:
        src_cs = {1: "ITU709", 4: "FCC", 5: "ITU601", 6: "SMPTE170M", 7: "SMPTE240M",
                  9: "BT2020", 10: "BT2020"}.get(cs, "ITU601")
    return {"src_colorspace": src_cs, "dst_colorspace": src_cs, "src_color_range": src_range,
            "dst_color_range": "JPEG"}


def _rotate(a: np.ndarray, k: int) -> np.ndarray:
    if k == 0:
        return a
    return np.ascontiguousarray(np.rot90(a, k=k))


def _ffmpeg_reason(exc: Exception) -> str:
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).strip() or exc.__class__.__name__


def open_video(path: str | os.PathLike[str]) -> VideoReader:
    """Open a video file for streaming; raises :class:`~moviemotion.errors.VideoError`."""
    return VideoReader(path)


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Return a file's :class:`VideoInfo` without decoding more than a few frames."""
    with open_video(path) as v:
        return v.info
