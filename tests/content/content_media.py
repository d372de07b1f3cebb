"""Test media for the movie side, made in code with known answers (video with sound)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from moviemotion.samples import clips as synth

RATE = 48000


def tone(seconds: float, dbfs: float, hz: float = 997.0, rate: int = RATE) -> np.ndarray:
    """A sine of peak level ``dbfs`` (0 dBFS = amplitude 1)."""
    t = np.arange(int(round(seconds * rate))) / rate
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise(seconds: float, dbfs: float, seed: int = 0, rate: int = RATE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (10 ** (dbfs / 20) * rng.uniform(-1, 1, int(round(seconds * rate)))).astype(np.float32)


def write_av(path: Path, frames: Iterable[np.ndarray], fps: float = 25.0,
             audio: np.ndarray | None = None, rate: int = RATE, *, pix_fmt: str = "yuv420p",
             codec: str = "libx264") -> Path:
    """Encode RGB frames (and mono float audio) into an MP4 with PyAV."""
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        vs.pix_fmt = pix_fmt
        vs.options = {"preset": "ultrafast", "crf": "18"}
        aus = None
        if audio is not None:
            aus = out.add_stream("aac", rate=rate)
            aus.layout = "mono"
        first = True
        for img in frames:
            if first:
                vs.height, vs.width = img.shape[:2]
                first = False
            for p in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img),
                                                          format="rgb24")):
                out.mux(p)
        for p in vs.encode(None):
            out.mux(p)
        if aus is not None:
            for k in range(0, audio.size, 1024):
                af = av.AudioFrame.from_ndarray(audio[None, k:k + 1024], format="flt",
                                                layout="mono")
                af.sample_rate = rate
                af.pts = k
                for p in aus.encode(af):
                    out.mux(p)
            for p in aus.encode(None):
                out.mux(p)
    return path


def textured(size: tuple[int, int], seed: int) -> np.ndarray:
    """A still, detailed RGB picture (smoothed noise in colour) of ``size`` (w, h)."""
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC)


def pan(size: tuple[int, int], speed: float, seed: int = 0) -> Callable[[float], np.ndarray]:
    """A textured picture sliding left by ``speed`` frame widths per second."""
    w, h = size
    wide = textured((w * 8, h), seed)

    def frame(t: float) -> np.ndarray:
        x = int(round(t * speed * w)) % (wide.shape[1] - w)
        return wide[:, x:x + w]

    return frame


def dissolve(a: np.ndarray, b: np.ndarray, start: float, seconds: float
             ) -> Callable[[float], np.ndarray]:
    """``a`` until ``start``, a linear cross-dissolve to ``b`` over ``seconds``, then ``b``."""
    fa, fb = a.astype(np.float32), b.astype(np.float32)

    def frame(t: float) -> np.ndarray:
        k = min(max((t - start) / seconds, 0.0), 1.0)
        return np.clip((1 - k) * fa + k * fb + 0.5, 0, 255).astype(np.uint8)

    return frame


def fade_through_black(a: np.ndarray, b: np.ndarray, start: float, out_s: float,
                       black_s: float, in_s: float) -> Callable[[float], np.ndarray]:
    """``a``, fade to black, black, fade in to ``b``."""
    fa, fb = a.astype(np.float32), b.astype(np.float32)

    def frame(t: float) -> np.ndarray:
        u = t - start
        if u < 0:
            return a
        if u < out_s:
            return (fa * (1 - u / out_s)).astype(np.uint8)
        u -= out_s
        if u < black_s:
            return np.zeros_like(a)
        u -= black_s
        if u < in_s:
            return (fb * (u / in_s)).astype(np.uint8)
        return b

    return frame


__all__ = ["dissolve", "fade_through_black", "noise", "pan", "synth", "textured", "tone",
           "write_av"]
