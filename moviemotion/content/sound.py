"""Sound: loudness after ITU-R BS.1770 (momentary 400 ms, short-term 3 s, per second), LUFS.

The audio is decoded by PyAV in the same demux as the video (mono, float32, 16 kHz by
default: :class:`~moviemotion.video.source.FrameRequest` ``audio_rate``), K-weighted with
pyloudnorm's BS.1770 filters (its ``Meter``'s two biquads, run as a stream with
:func:`scipy.signal.lfilter` state so the movie is never held in memory), and reduced to mean
squares over 100 ms blocks. Loudness of a window is ``-0.691 + 10 log10(mean square)``:

* ``loudness_momentary``: the highest momentary loudness (400 ms windows, 100 ms steps) ending
  in the second, as a loudness meter's peak;
* ``loudness_short_term``: short-term loudness (the 3 s window) ending at the end of the second;
* ``loudness``: the loudness of the second itself (its 1 s of signal), used as the sound
  energy of the arousal model.

Values are floored at -70 LUFS (BS.1770's absolute gate; digital silence reads -70). The meter
reads the mono downmix, so for stereo with identical channels it reads 3 dB below a
full-channel BS.1770 meter (which sums the channels' energies). No audio stream: every column
is NaN and the analyzer warns once.
"""

from __future__ import annotations

import math
import warnings
from array import array

import numpy as np

from moviemotion.content.base import ANALYZERS, MovieAnalyzer, n_seconds
from moviemotion.signals import Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo

FLOOR_LUFS = -70.0
BLOCK_S = 0.1


class NoAudioWarning(UserWarning):
    """The movie has no audio stream: sound columns are NaN."""


def lufs(mean_square: np.ndarray) -> np.ndarray:
    """BS.1770 loudness of mean-square K-weighted energy (floored at -70 LUFS)."""
    with np.errstate(divide="ignore"):
        out = -0.691 + 10.0 * np.log10(np.asarray(mean_square, np.float64))
    return np.maximum(out, FLOOR_LUFS)


class KWeighting:
    """pyloudnorm's BS.1770 K-weighting filters as a streaming filter (state kept)."""

    def __init__(self, rate: int):
        import pyloudnorm

        meter = pyloudnorm.Meter(rate)  # filter_class="K-weighting"
        self.stages = [(f.b, f.a, f.passband_gain) for f in meter._filters.values()]
        self.state = [np.zeros(max(len(a), len(b)) - 1) for b, a, _ in self.stages]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from scipy.signal import lfilter

        y = x.astype(np.float64)
        for i, (b, a, gain) in enumerate(self.stages):
            y, self.state[i] = lfilter(b, a, y, zi=self.state[i])
            y = gain * y
        return y


@ANALYZERS.register("audio", help="loudness after ITU-R BS.1770 (momentary, short-term, per "
                    "second; LUFS) on the audio decoded in the same demux")
class AudioAnalyzer(MovieAnalyzer):
    """BS.1770 loudness per second (see the module docstring)."""

    name = "audio"
    columns = {"loudness_momentary": "LUFS", "loudness_short_term": "LUFS", "loudness": "LUFS"}

    defaults = {"rate": 16000}

    def request(self, info: VideoInfo) -> FrameRequest:
        self._rate = int(self._settings["rate"])
        self._k = KWeighting(self._rate)
        self._block = int(round(self._rate * BLOCK_S))
        self._pending = np.zeros(0, np.float64)
        self._energy = array("d")  # mean square per 100 ms block, from time 0
        self._position: float | None = None  # time of the next sample
        return FrameRequest(video=False, audio_rate=self._rate)

    def push(self, t: float, frame: np.ndarray) -> None:  # no video
        pass

    def push_audio(self, t: float, samples: np.ndarray) -> None:
        if self._position is None:
            self._position = 0.0
            samples = np.concatenate([np.zeros(max(int(round(t * self._rate)), 0), np.float32),
                                      samples])
        elif t > self._position + 0.05:  # a gap (damaged packets): silence, times stay right
            samples = np.concatenate([np.zeros(int(round((t - self._position) * self._rate)),
                                               np.float32), samples])
        self._position = (self._position or 0.0) + samples.size / self._rate
        y = np.concatenate([self._pending, self._k(samples)])
        full = y.size // self._block * self._block
        if full:
            self._energy.extend((y[:full].reshape(-1, self._block) ** 2).mean(axis=1))
        self._pending = y[full:]

    def finish(self, run: PassInfo) -> list[Signals]:
        n = n_seconds(run)
        nan = np.full(n, np.nan)
        if not run.has_audio or self._position is None:
            warnings.warn(f"{run.path}: no audio stream; the loudness columns are NaN",
                          NoAudioWarning, stacklevel=2)
            return [Signals.from_columns(self.name, "seconds", {
                "time": np.arange(n, dtype=np.float64), **{c: nan for c in self.columns}},
                units=dict(self.columns))]
        e = np.frombuffer(self._energy, np.float64)
        per_s = int(round(1 / BLOCK_S))
        csum = np.concatenate([[0.0], np.cumsum(e)])

        def window(end_block: np.ndarray, length: int) -> np.ndarray:
            lo = np.clip(end_block - length, 0, e.size)
            hi = np.clip(end_block, 0, e.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(hi > lo, (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1), np.nan)

        ends = (np.arange(n) + 1) * per_s  # block index just past each second
        second = lufs(window(ends, per_s))
        short = lufs(window(ends, 30))
        momentary_all = lufs(window(np.arange(1, e.size + 1), 4))  # window ending at each block
        moment = np.full(n, np.nan)
        if e.size:
            sec_of = np.arange(e.size) // per_s
            ok = sec_of < n
            np.fmax.at(moment, sec_of[ok], momentary_all[ok])
        covered = ends <= e.size + per_s - 1  # seconds the audio reached
        until = run.analyzed_until
        valid = covered & (np.arange(n) < math.ceil(until - 1e-6))
        return [Signals.from_columns(self.name, "seconds", {
            "time": np.arange(n, dtype=np.float64),
            "loudness_momentary": np.where(valid, np.round(moment, 3), np.nan),
            "loudness_short_term": np.where(valid, np.round(short, 3), np.nan),
            "loudness": np.where(valid, np.round(second, 3), np.nan),
        }, units=dict(self.columns))]
