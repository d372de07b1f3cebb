"""The standard's cases (issue 3, item 5) on real encoded videos made with the synth module.

Small clips (160 x 90 or 320 x 180, 2-3 s); exact levels go through lossless RGB H.264.
"""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.errors import VideoError
from moviemotion.flash import analyze
from moviemotion.flash.luminance import srgb_to_linear_lut
from moviemotion.samples import clips as synth

SIZE = (160, 90)
LIN = srgb_to_linear_lut(np.float64)


def check(tmp_path, renderer, *, fps=25.0, duration=3.0, profile="broadcast", lossless=False,
          full_range=False, name="clip.mp4", **kw):
    path = synth.write_video(tmp_path / name, synth.render(renderer, fps, duration), fps=fps,
                             lossless=lossless, full_range=full_range)
    return analyze(path, profile, **kw)


def types(result):
    return sorted({i.type for i in result.incidents if i.severity == "fail"})


def gray(code: int) -> tuple[int, int, int]:
    return (code, code, code)


def test_5hz_full_screen_fails(tmp_path):
    r = check(tmp_path, synth.flashing(SIZE, 5))
    assert r.verdict == "fail" and r.exit_code == 2 and r.profile == "broadcast"
    (inc,) = r.incidents
    assert inc.type == "luminance_flash" and inc.peak_flashes_per_second == 5
    assert inc.peak_area == 1.0 and inc.bbox == (0, 0, 160, 90)
    assert inc.start == pytest.approx(0.12) and inc.end == pytest.approx(3.0)
    assert max(r.frames["lum_flashes"]) == 5 and r.frames["result"][-1] == 2


@pytest.mark.parametrize("fps", [24, 25, 30000 / 1001, 50, 60])
def test_frame_rates_3hz_passes_5hz_fails(tmp_path, fps):
    ok = check(tmp_path, synth.flashing(SIZE, 3), fps=fps, duration=2.5, name="a.mp4")
    assert ok.verdict == "pass", ok.incidents
    assert max(ok.frames["lum_flashes"]) == 3  # exactly at the limit, not above
    bad = check(tmp_path, synth.flashing(SIZE, 5), fps=fps, duration=2.5, name="b.mp4")
    assert bad.verdict == "fail"


@pytest.mark.parametrize(("n", "verdict"), [(3, "pass"), (4, "fail")])
def test_bursts_of_3_and_4_flashes_in_one_second(tmp_path, n, verdict):
    r = check(tmp_path, synth.flash_bursts(SIZE, [0.5, 2.0], n, hz=6.25), duration=3.2)
    assert r.verdict == verdict
    assert max(r.frames["lum_flashes"]) == n


def nearest_pair(delta: float, dark: int = 10) -> tuple[int, float]:
    """The gray code whose luminance is closest to ``LIN[dark] + delta``."""
    light = int(np.argmin(np.abs(LIN - LIN[dark] - delta)))
    return light, LIN[light] - LIN[dark]


@pytest.mark.parametrize(("delta", "verdict"), [(0.09, "pass"), (0.108, "fail")])
def test_luminance_change_of_0_09_passes_0_108_fails(tmp_path, delta, verdict):
    light, real = nearest_pair(delta)
    assert real == pytest.approx(delta, abs=0.0015)
    r = check(tmp_path, synth.flashing(SIZE, 5, on=gray(light), off=gray(10)), lossless=True,
              duration=2)
    assert r.verdict == verdict


@pytest.mark.parametrize(("dark", "verdict"), [(231, "fail"), (232, "pass")])
def test_darker_state_0_799_fails_0_807_passes(tmp_path, dark, verdict):
    assert LIN[dark] == pytest.approx(0.799 if dark == 231 else 0.807, abs=5e-4)
    r = check(tmp_path, synth.flashing(SIZE, 5, on=gray(255), off=gray(dark)), lossless=True,
              duration=2)
    assert r.verdict == verdict


def test_limited_and_full_range_video_decode_to_the_same_light(tmp_path):
    renderer = synth.solid(SIZE, gray(231))
    lim = check(tmp_path, renderer, duration=0.4, name="lim.mp4")
    full = check(tmp_path, renderer, duration=0.4, full_range=True, name="full.mp4")
    # without the range expansion limited-range 231 would read as code 214 (0.67)
    for r in (lim, full):
        assert r.frames["luminance"][0] == pytest.approx(0.799, abs=0.02)


def test_30_percent_strip_fails_20_percent_passes_broadcast(tmp_path):
    big = check(tmp_path, synth.flashing(SIZE, 5, area=0.3, where="left"), name="30.mp4")
    assert big.verdict == "fail"
    (inc,) = big.incidents
    assert inc.peak_area == pytest.approx(0.3, abs=0.02)
    assert inc.bbox == (0, 0, 48, 90)
    small = check(tmp_path, synth.flashing(SIZE, 5, area=0.2, where="left"), name="20.mp4")
    assert small.verdict == "pass", small.incidents
    assert max(small.frames["lum_flash_area"]) == pytest.approx(0.2, abs=0.02)
    # ... but 20 % of the screen is more than 25 % of a 10-degree field: WCAG fails it
    wcag = check(tmp_path, synth.flashing(SIZE, 5, area=0.2, where="left"), profile="wcag",
                 name="20w.mp4")
    assert wcag.verdict == "fail" and wcag.profile == "wcag"


def test_opposite_phase_halves_fail(tmp_path):
    r = check(tmp_path, synth.opposite_halves(SIZE, 5))
    assert r.verdict == "fail"
    # the whole-frame mean hardly moves: a frame-average method cannot see this
    assert np.ptp(r.frames["luminance"]) < 0.03
    assert max(r.frames["lum_flash_area"]) == pytest.approx(1.0)


def test_reversing_40px_checkerboard_fails(tmp_path):
    r = check(tmp_path, synth.reversing_checkerboard((320, 180), 40, 5), duration=2)
    assert r.verdict == "fail" and types(r) == ["luminance_flash"]
    assert np.ptp(r.frames["luminance"]) < 0.03


@pytest.mark.parametrize("kind", ["checker1", "noise"])
def test_1px_checkerboard_and_white_noise_pass(tmp_path, kind):
    renderer = (synth.reversing_checkerboard(SIZE, 1, 5) if kind == "checker1"
                else synth.noise(SIZE, seed=2))
    r = check(tmp_path, renderer, duration=2)
    assert r.verdict == "pass", r.incidents


def test_saturated_red_flash_fails_as_red_not_as_luminance(tmp_path):
    gray_code = int(np.argmin(np.abs(LIN - 0.2126)))  # same luminance as pure red
    r = check(tmp_path, synth.flashing(SIZE, 5, on=(255, 0, 0), off=gray(gray_code)),
              lossless=True, duration=2)
    assert types(r) == ["red_flash"]
    assert max(r.frames["lum_transitions"]) == 0
    assert max(r.frames["red_flashes"]) == 5
    # a desaturated red of the gray's luminance is not a red flash
    lum = 0.2126 * LIN[180] + 0.7874 * LIN[100]
    other = int(np.argmin(np.abs(LIN - lum)))
    ok = check(tmp_path, synth.flashing(SIZE, 5, on=(180, 100, 100), off=gray(other)),
               lossless=True, duration=2, name="b.mp4")
    assert ok.verdict == "pass"


def vfr_check(tmp_path, renderer, times, name="vfr.mp4", **kw):
    path = synth.write_video(tmp_path / name, synth.render_vfr(renderer, times))
    return analyze(path, **kw)


def test_variable_frame_rate_uses_presentation_time(tmp_path):
    # 4 s still at 10 fps, then 1 s at 100 fps holding 4 flashes (8 transitions). The mean
    # rate is 28 fps: a "second" of 28 frames would be 0.28 s of this part and miss it.
    slow = np.arange(40) / 10
    fast = 4 + np.arange(100) / 100
    burst = synth.flash_bursts(SIZE, [4.0], 4, hz=4.5)
    r = vfr_check(tmp_path, burst, np.concatenate([slow, fast]))
    assert r.verdict == "fail"
    assert r.incidents[0].start == pytest.approx(4.0, abs=0.011)
    # jittered timestamps (20-60 ms apart): 2.5 Hz passes, 5 Hz fails (exactly 3 Hz is
    # not used: a jittered sampling of it really does put 7 transitions within < 1 s)
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.02, 0.06, size=80))
    assert vfr_check(tmp_path, synth.flashing(SIZE, 2.5), times, "a.mp4").verdict == "pass"
    assert vfr_check(tmp_path, synth.flashing(SIZE, 5), times, "b.mp4").verdict == "fail"


@pytest.mark.parametrize(("gap", "verdict"), [(9, "pass"), (8, "fail")])
def test_leading_edges_9_frames_apart_are_acceptable(tmp_path, gap, verdict):
    white, black = synth.canvas(SIZE, synth.WHITE), synth.canvas(SIZE, synth.BLACK)
    frames = [white if i % gap < 2 else black for i in range(75)]  # 2-frame flashes
    path = synth.write_video(tmp_path / "edges.mp4", frames, fps=25)
    assert analyze(path).verdict == verdict


def test_extended_rule_is_off_by_default_and_reports_its_own_type(tmp_path):
    renderer = synth.flashing(SIZE, 2.5)
    assert check(tmp_path, renderer, duration=6).verdict == "pass"
    r = check(tmp_path, renderer, duration=6, extended=True, name="ext.mp4")
    assert r.verdict == "fail" and types(r) == ["extended_flash"]
    assert r.incidents[0].end - r.incidents[0].start >= 4.0


def stripes(size, bar, low=0, high=255):
    w, h = size
    row = np.where((np.arange(w) // bar) % 2 == 0, high, low).astype(np.uint8)
    img = np.repeat(np.repeat(row[None, :, None], h, axis=0), 3, axis=2)
    return lambda t: img


def test_pattern_check_is_optional_and_finds_regular_stripes(tmp_path):
    size = (320, 180)
    assert check(tmp_path, stripes(size, 8), duration=1.2).verdict == "pass"
    r = check(tmp_path, stripes(size, 8), duration=1.2, pattern=True, name="p.mp4")
    assert r.verdict == "fail" and r.exit_code == 2  # broadcast: pattern_severity "fail"
    assert [i.type for i in r.incidents] == ["spatial_pattern"]
    assert r.incidents[0].end - r.incidents[0].start > 0.5
    # low contrast stripes, and shorter than 0.5 s, are no risk
    weak = check(tmp_path, stripes(size, 8, low=120, high=130), duration=1.2, pattern=True,
                 name="w.mp4")
    assert weak.verdict == "pass"
    short = check(tmp_path, stripes(size, 8), duration=0.4, pattern=True, name="s.mp4")
    assert short.verdict == "pass"
    noise = check(tmp_path, synth.noise(size), duration=1.2, pattern=True, name="n.mp4")
    assert noise.verdict == "pass"


def test_unreadable_input_raises_video_error(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(VideoError) as err:
        analyze(bad)
    assert err.value.exit_code == 3 and "broken.mp4" in str(err.value)


def test_exact_mode_averages_fine_texture_in_linear_light(tmp_path):
    # 1-px white/black stripes: the true mean relative luminance is 0.5. The default raster
    # averages 4 x 4 px in sRGB codes first, which reads darker (never brighter: the sRGB
    # curve is convex); --exact linearizes every pixel first.
    path = synth.write_video(tmp_path / "s.mp4", [stripes(SIZE, 1)(0)] * 3, fps=25,
                             lossless=True)
    exact = analyze(path, oversample=None).frames["luminance"][0]
    fast = analyze(path).frames["luminance"][0]
    assert exact == pytest.approx(0.5, abs=0.005)
    assert 0.15 < fast < exact


def test_rotated_video_is_judged_as_displayed(tmp_path):
    # a strip at the left of the coded frame is at the bottom once rotated 90 degrees
    path = synth.write_video(tmp_path / "rot.mp4", synth.render(
        synth.flashing(SIZE, 5, area=0.3, where="left"), 25, 2), fps=25, rotation=90)
    r = analyze(path)
    assert r.verdict == "fail" and r.extras["frame_size"] == [90, 160]
    assert r.incidents[0].bbox == (0, 112, 90, 48)


@pytest.mark.parametrize("kind", ["halves", "checker40"])
def test_whole_frame_method_misses_what_cells_see(tmp_path, kind):
    renderer = (synth.opposite_halves(SIZE, 5) if kind == "halves"
                else synth.reversing_checkerboard((320, 180), 40, 5))
    path = synth.write_video(tmp_path / "c.mp4", synth.render(renderer, 25, 2), fps=25)
    assert analyze(path, "iris-compat").verdict == "pass"  # IRIS's frame means stay flat
    assert analyze(path, "broadcast").verdict == "fail"


def roving_flashes(size, width_share, hz=4.0, on_s=0.08):
    """``hz`` flashes a second, each lighting the next of three vertical strips in turn."""
    w, h = size
    frames = []
    for k in range(3):
        img = synth.canvas(size, synth.BLACK)
        x0 = int(round(k * w / 3 / 16)) * 16  # on the 16-px cell grid: areas stay exact
        img[:, x0:x0 + int(round(width_share * w))] = 255
        frames.append(img)
    dark = synth.canvas(size, synth.BLACK)

    def frame(t):
        k = int(t * hz)
        return frames[k % 3] if t - k / hz < on_s else dark

    return frame


@pytest.mark.parametrize(("share", "verdict"), [(0.3, "fail"), (0.2, "pass")])
def test_flashes_over_a_large_area_at_different_places_count_together(tmp_path, share, verdict):
    # each strip flashes only 4/3 times a second, but every 0.25 s 30 % of the screen flashes
    r = check(tmp_path, roving_flashes(SIZE, share), duration=2.5)
    assert r.verdict == verdict
    if verdict == "fail":
        (inc,) = r.incidents
        assert inc.peak_flashes_per_second == 4 and inc.peak_area == pytest.approx(0.3, abs=0.02)
    else:  # no single place flashes more than 2 times a second
        assert max(r.frames["lum_flashes"]) <= 2
