"""Motion, look, sound and faces: each signal on media with a known answer."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from content_media import noise, pan, synth, textured, tone, write_av

from moviemotion.content import (
    AudioAnalyzer,
    FacesAnalyzer,
    LookAnalyzer,
    MotionAnalyzer,
    NoAudioWarning,
    brightness,
    colorfulness,
)
from moviemotion.content.sound import KWeighting, lufs
from moviemotion.video.source import analyze_movie, open_source

FPS = 25


def run(path, *analyzers):
    with open_source(path) as src:
        return analyze_movie(src, list(analyzers))


def own(result, name):
    return next(s for s in result.tables[name] if s.kind == "seconds")


def test_motion_reads_the_pan_speed(tmp_path):
    still = write_av(tmp_path / "still.mp4", synth.render(pan((320, 180), 0.0), FPS, 3.0), FPS)
    slow = write_av(tmp_path / "slow.mp4", synth.render(pan((320, 180), 0.1), FPS, 3.0), FPS)
    fast = write_av(tmp_path / "fast.mp4", synth.render(pan((320, 180), 0.3), FPS, 3.0), FPS)
    m = {name: own(run(p, MotionAnalyzer()), "motion")["motion"]
         for name, p in (("still", still), ("slow", slow), ("fast", fast))}
    assert np.nanmax(m["still"]) < 0.01
    # frame widths per second, whatever the sampling rate and size
    np.testing.assert_allclose(np.nanmedian(m["slow"]), 0.1, rtol=0.25)
    np.testing.assert_allclose(np.nanmedian(m["fast"]), 0.3, rtol=0.25)


def test_colorfulness_and_brightness_formulas():
    grey = np.full((10, 10, 3), 128, np.uint8)
    assert colorfulness(grey) == 0.0
    assert brightness(grey) == pytest.approx(128 / 255)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    r, g, b = (img[..., i].astype(float) for i in range(3))
    rg, yb = r - g, (r + g) / 2 - b
    want = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert colorfulness(img) == pytest.approx(want, rel=1e-5)
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255
    assert colorfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5), rel=1e-6)
    assert brightness(red) == pytest.approx(0.2126)


def test_look_per_second(tmp_path):
    colours = synth.concat([(synth.solid((160, 96), (128, 128, 128)), 2.0),
                            (lambda t: textured((160, 96), 5), 2.0)])
    path = write_av(tmp_path / "look.mp4", synth.render(colours, FPS, 4.0), FPS)
    t = own(run(path, LookAnalyzer()), "look")
    assert t["colorfulness"][0] < 2 and t["colorfulness"][3] > 20
    assert t["brightness"][0] == pytest.approx(128 / 255, abs=0.03)


def test_k_weighting_matches_pyloudnorm():
    import pyloudnorm

    rate = 16000
    x = np.concatenate([tone(5.0, -20, rate=rate), noise(5.0, -30, rate=rate)])
    k = KWeighting(rate)
    y = np.concatenate([k(c) for c in np.array_split(x, 37)])  # streamed in odd chunks
    ours = float(lufs([np.mean(y ** 2)])[0])
    # pyloudnorm gates the integrated value; both halves are far above the gates
    ref = pyloudnorm.Meter(rate, block_size=0.4).integrated_loudness(x.astype(np.float64))
    assert ours == pytest.approx(ref, abs=0.3)


def test_loudness_of_known_tones(tmp_path):
    # 997 Hz sine at -20 dBFS peak reads -23.0 LUFS mono (BS.1770: 0 dBFS sine = -3.01 LUFS)
    audio = np.concatenate([tone(3.0, -20.0), tone(3.0, -40.0), np.zeros(3 * 48000, np.float32)])
    frames = synth.render(synth.solid((64, 48), (0, 0, 0)), FPS, 9.0)
    path = write_av(tmp_path / "tones.mp4", frames, FPS, audio=audio)
    t = own(run(path, AudioAnalyzer()), "audio")
    assert len(t) == 9
    np.testing.assert_allclose(t["loudness"][:3], -23.0, atol=0.5)
    np.testing.assert_allclose(t["loudness"][3:6], -43.0, atol=0.5)
    assert (t["loudness"][7:] <= -69.9).all()  # silence floors at -70 LUFS
    assert t["loudness_short_term"][2] == pytest.approx(-23.0, abs=0.5)
    # the loudest 400 ms window ending in second 3 still holds 300 ms of the loud tone
    assert t["loudness_momentary"][3] == pytest.approx(-23.0 + 10 * np.log10(0.75), abs=0.5)
    assert t["loudness_short_term"][4] > t["loudness"][4] + 3  # still hears the loud part


def test_no_audio_stream_is_nan_and_a_warning(tmp_path):
    path = write_av(tmp_path / "silent.mp4", synth.render(synth.solid((64, 48), (9, 9, 9)),
                                                          FPS, 2.0), FPS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = own(run(path, AudioAnalyzer()), "audio")
    assert len(t) == 2 and np.isnan(t["loudness"]).all()
    assert [w for w in caught if issubclass(w.category, NoAudioWarning)]


def test_faces_on_screen(tmp_path):
    from moviemotion.samples.faces import draw_face

    frame = np.full((360, 640, 3), 90, np.uint8)
    draw_face(frame, (320, 180), 160, "happy")
    clip = synth.concat([(synth.solid((640, 360), (90, 90, 90)), 2.0), (lambda t: frame, 2.0)])
    path = write_av(tmp_path / "face.mp4", synth.render(clip, 10, 4.0), 10)
    t = own(run(path, FacesAnalyzer()), "faces")
    assert t["faces"].tolist()[:2] == [0, 0] and t["faces"][3] >= 1
    assert 0.2 < t["face_size"][3] < 0.8  # a 160 px face in a 360 px frame


def test_one_shared_conversion_for_every_rgb_analyzer():
    """At 1080p the flash raster serves every RGB analyzer (one swscale per frame); SD
    sources, whose raster is too small, get an analyzer its own small request."""
    from moviemotion.content import ShotsAnalyzer
    from moviemotion.content.base import fit_width, shared_request
    from moviemotion.content.flashes import FlashesAnalyzer
    from moviemotion.video.reader import VideoInfo

    def info(w, h, rotation=0):
        return VideoInfo("x", 10.0, 25.0, w, h, rotation, 250, "h264", "yuv420p", "limited",
                         "bt709")

    hd = info(1920, 1080)
    keys = {a.request(hd).conversion() for a in (ShotsAnalyzer(), MotionAnalyzer(),
                                                  LookAnalyzer(), FacesAnalyzer(),
                                                  FlashesAnalyzer())}
    assert keys == {("rgb", (480, 272), "AREA", True)}
    assert shared_request(info(640, 360), None, 256).size == (256, 144)
    assert shared_request(info(1920, 1080, 90), 2, 160).size == (480, 272)
    assert shared_request(info(1080, 1920), 2, 160).size == (272, 480)
    frame = np.zeros((272, 480, 3), np.uint8)
    assert fit_width(frame, 256).shape == (136, 240, 3)
    assert fit_width(frame, 160).shape == (90, 160, 3)
    assert fit_width(frame, 480) is frame
