"""One decode pass for many analyzers: every analyzer gets what its request asks, once."""

from __future__ import annotations

import av
import numpy as np
import pytest

from moviemotion.samples import clips as synth
from moviemotion.signals import Signals
from moviemotion.video.source import FrameRequest, PassInfo, analyze_movie, open_source


class Recorder:
    """An analyzer that keeps what it was given (tests only)."""

    def __init__(self, name: str, request: FrameRequest):
        self.name = name
        self._request = request
        self.times: list[float] = []
        self.shapes: list[tuple] = []
        self.means: list[float] = []
        self.audio: list[tuple[float, int]] = []
        self.run: PassInfo | None = None

    def request(self, info):
        return self._request

    def push(self, t, frame):
        self.times.append(t)
        self.shapes.append(frame.shape)
        self.means.append(float(frame.mean()))

    def push_audio(self, t, samples):
        assert samples.dtype == np.float32 and samples.ndim == 1
        self.audio.append((t, samples.size))

    def finish(self, run):
        self.run = run
        return [Signals.from_columns(self.name, "frames", {"time": self.times,
                                                           "mean": self.means})]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "clip.mp4"
    synth.write_video(path, synth.render(synth.moving_shapes((160, 96), seed=3), 25, 3.0), fps=25)
    return path


def test_each_request_matches_the_readers_own_sampling(clip):
    reqs = {
        "every": FrameRequest(),
        "two_fps_gray": FrameRequest(fps=2, mode="gray"),
        "small": FrameRequest(fps=7, mode="rgb", size=(80, 48)),
        "small_too": FrameRequest(fps=7, mode="rgb", size=(80, 48)),
    }
    recs = [Recorder(n, r) for n, r in reqs.items()]
    with open_source(clip) as src:
        result = analyze_movie(src, recs)
        for rec, (name, r) in zip(recs, reqs.items(), strict=True):
            ref = list(src.frames(fps=r.fps, mode=r.mode, size=r.size))
            assert rec.times == [t for t, _ in ref], name
            np.testing.assert_allclose(rec.means, [f.mean() for _, f in ref], err_msg=name)
            assert rec.shapes[0] == ref[0][1].shape
    assert result.run.complete and result.run.frames == 75
    assert set(result.tables) == set(reqs) and result.tables["every"][0].source == "every"
    assert all(v >= 0 for v in result.timings.values())


def test_names_must_be_unique(clip):
    with open_source(clip) as src, pytest.raises(ValueError, match="unique"):
        analyze_movie(src, [Recorder("a", FrameRequest()), Recorder("a", FrameRequest())])


def test_conversion_done_once_per_distinct_request(clip, monkeypatch):
    calls = []
    with open_source(clip) as src:
        real = src.converter

        def counting(*a, **k):
            fn = real(*a, **k)

            def wrapped(frame):
                calls.append(1)
                return fn(frame)
            return wrapped

        monkeypatch.setattr(src, "converter", counting)
        analyze_movie(src, [Recorder("a", FrameRequest(mode="gray")),
                            Recorder("b", FrameRequest(mode="gray")),
                            Recorder("c", FrameRequest(fps=5, mode="gray"))])
    assert len(calls) == 75  # one conversion per frame, shared by all three


def test_audio_from_the_same_demux(tmp_path):
    path = tmp_path / "av.mp4"
    rate = 48000
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        aus = out.add_stream("aac", rate=rate)
        aus.layout = "mono"
        for i in range(50):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 4, np.uint8), format="rgb24")
            for p in vs.encode(f):
                out.mux(p)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * rate) / rate)).astype(np.float32)
        for k in range(0, tone.size, 1024):
            af = av.AudioFrame.from_ndarray(tone[None, k:k + 1024], format="flt", layout="mono")
            af.sample_rate = rate
            af.pts = k
            for p in aus.encode(af):
                out.mux(p)
        for s in (vs, aus):
            for p in s.encode(None):
                out.mux(p)
    rec = Recorder("sound", FrameRequest(fps=1, mode="gray", audio_rate=16000))
    with open_source(path) as src:
        result = analyze_movie(src, [rec])
    assert result.run.has_audio
    total = sum(n for _, n in rec.audio)
    assert abs(total - 32000) < 2000  # two seconds at 16 kHz
    assert rec.audio[0][0] < 0.1 and len(rec.times) == 2


def test_image_folder_is_a_frame_source(tmp_path):
    import cv2

    for i in range(6):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), np.full((20, 30, 3), i * 40, np.uint8))
    rec = Recorder("x", FrameRequest(fps=2, mode="gray"))
    with open_source(tmp_path, image_fps=4) as src:
        analyze_movie(src, [rec])
        ref = list(src.frames(fps=2, mode="gray"))
    assert rec.times == [t for t, _ in ref] == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(rec.means, [0, 80, 160], atol=1)


def test_truncated_file_is_reported_incomplete(tmp_path, clip):
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    synth.write_video(cut, synth.render(synth.moving_shapes((160, 96), seed=3), 25, 8.0), fps=25,
                      faststart=True)
    raw = cut.read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    rec = Recorder("x", FrameRequest(fps=1, mode="gray"))
    with pytest.warns(UserWarning), open_source(cut) as src:
        result = analyze_movie(src, [rec])
    assert not result.run.complete
    assert rec.run is result.run and "incomplete: analyzed up to" in result.run.incomplete_reason
    assert result.run.analyzed_until < 7.0
    assert data  # the intact clip is untouched
