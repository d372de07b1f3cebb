"""The streaming reader against videos rendered in code with known content."""

from __future__ import annotations

import resource
import warnings

import numpy as np
import pytest

from moviemotion.errors import VideoError
from moviemotion.samples import clips as synth
from moviemotion.video import TruncatedVideoWarning, open_source, open_video, probe

SIZE = (64, 48)  # (width, height)


def level_frame(level: int, size=SIZE) -> np.ndarray:
    return synth.canvas(size, (level, level, level))


def index_clip(path, n: int, fps: float, size=SIZE, **kw):
    """Frame i is uniform grey of level 20 + 8 i: the decoded level tells which frame it is."""
    frames = [level_frame(20 + 8 * i, size) for i in range(n)]
    return synth.write_video(path, frames, fps=fps, **kw)


def frame_index(gray: np.ndarray) -> int:
    return int(round((float(gray.mean()) - 20) / 8))


@pytest.fixture(scope="module")
def clip25(tmp_path_factory):
    return index_clip(tmp_path_factory.mktemp("v") / "clip25.mp4", 25, 25.0, full_range=True)


def test_metadata(clip25):
    info = probe(clip25)
    assert info.width == 64 and info.height == 48
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.frame_count == 25
    assert info.codec == "h264" and info.pix_fmt in ("yuv420p", "yuvj420p")
    assert info.color_range == "full"
    assert info.rotation == 0 and not info.variable_frame_rate


def test_every_frame_in_order_with_timestamps(clip25):
    with open_video(clip25) as v:
        got = list(v.frames(mode="gray"))
    assert len(got) == 25
    times = np.array([t for t, _ in got])
    np.testing.assert_allclose(times, np.arange(25) / 25, atol=1e-3)
    assert [frame_index(g) for _, g in got] == list(range(25))


def test_sampling_at_fps_returns_frame_on_screen(clip25):
    with open_video(clip25) as v:
        got = list(v.frames(fps=5, mode="gray"))
    # sample times 0, .2, .4, .6, .8 -> frames 0, 5, 10, 15, 20
    assert [frame_index(g) for _, g in got] == [0, 5, 10, 15, 20]
    np.testing.assert_allclose([t for t, _ in got], [0, 0.2, 0.4, 0.6, 0.8], atol=1e-3)


def test_sampling_1fps_timestamps(tmp_path):
    p = synth.write_video(tmp_path / "long.mp4", synth.render(synth.solid(SIZE, (90, 90, 90)), 30, 4.0), fps=30)
    with open_video(p) as v:
        times = [t for t, _ in v.frames(fps=1, mode="gray")]
    np.testing.assert_allclose(times, [0, 1, 2, 3], atol=1e-3)


def test_sampling_slower_source_does_not_repeat_frames(tmp_path):
    p = index_clip(tmp_path / "slow.mp4", 6, 2.0, full_range=True)  # 2 fps source, 3 s
    with open_video(p) as v:
        got = list(v.frames(fps=10, mode="gray"))
    assert [frame_index(g) for _, g in got] == list(range(6))


def test_variable_frame_rate_uses_real_timestamps(tmp_path):
    ts = [0.0, 0.04, 0.1, 0.5, 0.52, 1.3, 1.31, 2.0, 2.9]
    frames = [(t, level_frame(20 + 8 * i)) for i, t in enumerate(ts)]
    p = synth.write_video(tmp_path / "vfr.mp4", frames, fps=25, full_range=True)
    with open_video(p) as v:
        assert v.info.variable_frame_rate
        got = list(v.frames(mode="gray"))
        np.testing.assert_allclose([t for t, _ in got], ts, atol=1e-3)
        # 1 fps: on screen at t=0 -> frame 0 (t=0), t=1 -> frame 4 (0.52), t=2 -> frame 7 (2.0)
        sampled = list(v.frames(fps=1, mode="gray"))
    assert [frame_index(g) for _, g in sampled] == [0, 4, 7]
    np.testing.assert_allclose([t for t, _ in sampled], [0.0, 0.52, 2.0], atol=1e-3)


def test_start_end_window(clip25):
    with open_video(clip25) as v:
        got = list(v.frames(mode="gray", start=0.4, end=0.6))
    assert [frame_index(g) for _, g in got] == [10, 11, 12, 13, 14]


@pytest.mark.parametrize("full_range_file", [False, True])
def test_luma_range_expansion(tmp_path, full_range_file):
    p = synth.write_video(tmp_path / "g.mp4", [level_frame(200)] * 3, fps=10, full_range=full_range_file)
    with open_video(p) as v:
        assert v.info.color_range == ("full" if full_range_file else "limited")
        raw = next(iter(v.frames(mode="gray", full_range=False)))[1]
        full = next(iter(v.frames(mode="gray", full_range=True)))[1]
        rgb = next(iter(v.frames(mode="rgb")))[1]
    expected_raw = 200 if full_range_file else 16 + 200 * 219 / 255  # 187.8
    assert abs(float(raw.mean()) - expected_raw) < 1.5
    assert abs(float(full.mean()) - 200) < 1.5
    assert np.abs(rgb.astype(float) - 200).max() <= 2


def test_rgb_colours_survive(tmp_path):
    p = synth.write_video(tmp_path / "red.mp4", [synth.canvas(SIZE, (220, 30, 40))] * 3, fps=10)
    with open_video(p) as v:
        rgb = next(iter(v.frames(mode="rgb")))[1]
        bgr = next(iter(v.frames(mode="bgr")))[1]
    assert rgb.shape == (48, 64, 3)
    np.testing.assert_allclose(rgb.reshape(-1, 3).mean(0), [220, 30, 40], atol=4)
    np.testing.assert_array_equal(bgr[..., ::-1], rgb)


def test_lossless_rgb_is_exact(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    p = synth.write_video(tmp_path / "ll.mp4", [img] * 2, fps=10, lossless=True)
    with open_video(p) as v:
        rgb = next(iter(v.frames(mode="rgb")))[1]
    np.testing.assert_array_equal(rgb, img)


def test_rotation_metadata_is_applied(tmp_path):
    img = synth.canvas(SIZE, (0, 0, 0))
    img[:10, :20] = 255  # a white block in the top-left corner
    p = synth.write_video(tmp_path / "rot.mp4", [img] * 3, fps=10, rotation=90, full_range=True)
    with open_video(p) as v:
        assert v.info.rotation == 90
        assert (v.info.display_width, v.info.display_height) == (48, 64)
        g = next(iter(v.frames(mode="gray")))[1]
        unrotated = next(iter(v.frames(mode="gray", apply_rotation=False)))[1]
    assert unrotated.shape == (48, 64) and unrotated[:10, :20].mean() > 200
    # 90 degrees counter-clockwise: the top-left block ends up bottom-left
    assert g.shape == (64, 48)
    assert g[-20:, :10].mean() > 200 and g[:20, :10].mean() < 50


def test_image_folder_source(tmp_path):
    import cv2

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(12):  # natural order: frame2 before frame10
        cv2.imwrite(str(folder / f"frame{i}.png"), level_frame(20 + 8 * i))
    with open_source(folder, image_fps=4) as src:
        assert src.info.frame_count == 12 and src.info.duration == pytest.approx(3.0)
        every = list(src.frames(mode="gray"))
        sampled = list(src.frames(fps=1, mode="gray"))
        rgb = next(iter(src.frames(mode="rgb")))[1]
    assert [frame_index(g) for _, g in every] == list(range(12))
    assert [frame_index(g) for _, g in sampled] == [0, 4, 8]
    np.testing.assert_allclose([t for t, _ in sampled], [0, 1, 2])
    assert rgb.shape == (48, 64, 3)


def test_memory_stays_flat(tmp_path):
    p = synth.write_video(tmp_path / "m.mp4", synth.render(synth.moving_shapes((640, 360)), 25, 16), fps=25)
    with open_video(p) as v:
        it = v.frames(mode="rgb")
        for _ in range(50):
            next(it)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        n = 50 + sum(1 for _ in it)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert n == 400
    assert grown_mb < 60, f"memory grew by {grown_mb:.0f} MB over 350 frames of 0.7 MB"


# -- bad input ------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        open_video(tmp_path / "nope.mp4")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        open_video(tmp_path / "empty.mp4")


def test_not_a_video(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are not frames\n" * 50)
    with pytest.raises(VideoError, match="not a readable video"):
        open_video(tmp_path / "notes.mp4")


def test_folder_without_images(tmp_path):
    with pytest.raises(VideoError, match="no images"):
        open_source(tmp_path)


def test_zero_length_video(tmp_path):
    import av

    path = tmp_path / "zero.mkv"
    c = av.open(str(path), "w")
    s = c.add_stream("libx264", rate=25)
    s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
    c.start_encoding()  # header only, no frame
    c.close()
    assert path.stat().st_size > 0
    with pytest.raises(VideoError, match="no video frames"):
        open_video(path)


def test_audio_only_file_has_no_video_stream(tmp_path):
    import av

    path = tmp_path / "audio.m4a"
    c = av.open(str(path), "w")
    s = c.add_stream("aac", rate=16000)
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
    frame.sample_rate = 16000
    for _ in range(5):
        for pkt in s.encode(frame):
            c.mux(pkt)
    for pkt in s.encode():
        c.mux(pkt)
    c.close()
    with pytest.raises(VideoError, match="no video stream"):
        open_video(path)


def test_truncated_video_decodes_what_is_readable_then_warns(tmp_path):
    p = synth.write_video(tmp_path / "full.mp4", synth.render(synth.moving_shapes((160, 120)), 25, 8), fps=25,
                          gop=25)
    data = p.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.5)])  # faststart: the index is at the front
    with open_video(cut) as v:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            times = [t for t, _ in v.frames(mode="gray")]
    assert 0 < len(times) < 200
    msgs = [str(w.message) for w in caught if issubclass(w.category, TruncatedVideoWarning)]
    assert msgs, "a truncated file must warn"
    assert "cut.mp4" in msgs[0] and " s" in msgs[0]


def test_corrupt_bytes_mid_stream_do_not_crash(tmp_path):
    p = synth.write_video(tmp_path / "ok.mp4", synth.render(synth.moving_shapes((160, 120)), 25, 4), fps=25,
                          gop=10)
    data = bytearray(p.read_bytes())
    rng = np.random.default_rng(1)
    mid = len(data) // 2
    data[mid: mid + 3000] = rng.integers(0, 256, size=3000, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    with open_video(bad) as v, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = list(v.frames(mode="gray"))
    assert 50 <= len(frames) <= 100
    assert all(f.shape == (120, 160) for _, f in frames)


def test_start_seeks_to_keyframe_and_skips_to_start(tmp_path):
    p = index_clip(tmp_path / "k.mp4", 30, 10.0, full_range=True, gop=5)
    with open_video(p) as v:
        got = list(v.frames(mode="gray", start=2.0))
        sampled = list(v.frames(fps=2, mode="gray", start=1.3, end=2.5))
    assert [frame_index(g) for _, g in got] == list(range(20, 30))
    np.testing.assert_allclose([t for t, _ in got], np.arange(20, 30) / 10, atol=1e-3)
    assert [frame_index(g) for _, g in sampled] == [13, 18, 23]


def test_outputs_get_normal_permissions(tmp_path):
    import os

    from moviemotion.io import atomic_write_text

    out = atomic_write_text(tmp_path / "x.txt", "hi")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
