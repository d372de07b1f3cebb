"""iris-compat on synthetic clips with known answers, and IRIS's rules on per-frame scalars.

The clips are tiny (128x72) and losslessly encoded, so pixel values are exact.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from moviemotion.errors import VideoError
from moviemotion.flash.iris import (
    IRIS_COLUMNS,
    analyze_iris,
    frame_measures,
    write_iris_csv,
)
from moviemotion.flash.iris_rules import (
    EXTENDED_FAIL,
    FLASH_FAIL,
    PASS,
    PASS_WITH_WARNING,
    IrisParams,
    accumulate_transitions,
    evaluate,
    frame_codes,
    iris_fps,
    windowed_count,
)
from moviemotion.flash.result import FlashResult
from moviemotion.samples import clips as synth

SIZE = (128, 72)
FPS = 25
GREY_30 = (149, 149, 149)  # relative luminance 0.30
GREY_21 = (128, 128, 128)  # relative luminance 0.216, close to pure red's 0.2126


def _clip(tmp_path, name, renderer, duration, fps=FPS):
    return synth.write_video(tmp_path / f"{name}.mp4", synth.render(renderer, fps, duration),
                             fps=fps, lossless=True)


# -- IRIS's rules on per-frame scalars ---------------------------------------------------------

def test_iris_fps_rounds_half_away_from_zero():
    assert [iris_fps(f) for f in (23.976, 24.5, 25, 29.97, 59.94)] == [24, 25, 25, 30, 60]


def test_windowed_count_is_a_sliding_frame_window():
    flags = np.array([0, 1, 1, 0, 1, 1, 0, 0])
    assert windowed_count(flags, 3).tolist() == [0, 1, 2, 2, 2, 2, 2, 1]


def test_small_steps_accumulate_into_one_transition():
    """Four +0.03 steps in a row add up to 0.12 >= 0.1: one transition, on the 4th step."""
    means = np.array([0.0, 0.03, 0.06, 0.09, 0.12, 0.12], np.float32)
    diff = np.diff(means, prepend=np.float32(0))
    acc, new = accumulate_transitions(diff, means, fps=25, threshold=0.1, dark=0.8)
    assert new.tolist() == [False, False, False, False, True, False]
    assert acc[4] == pytest.approx(0.12, abs=1e-6)


def test_accumulation_window_is_fps_frames_long():
    """With fps=3 only the last 3 same-sign steps count: 0.03/frame never reaches 0.1."""
    means = np.arange(10, dtype=np.float32) * np.float32(0.03)
    diff = np.diff(means, prepend=np.float32(0))
    acc, new = accumulate_transitions(diff, means, fps=3, threshold=0.1, dark=0.8)
    assert not new.any()
    assert acc.max() == pytest.approx(0.09, abs=1e-6)


def test_bright_flashes_above_the_dark_threshold_are_not_transitions():
    """A 0.81 <-> 1.0 flash changes by 0.19, but its darker state is not below 0.8."""
    for dark_state, expect in ((0.81, 0), (0.79, 9)):
        means = np.array([dark_state, 1.0] * 5, np.float32)
        ev = evaluate(means, np.ones(10, int), n_pixels=1, fps=25, threshold=0.1, dark=0.8)
        assert ev.transitions.max() == expect


def test_changes_over_less_than_a_quarter_of_the_pixels_are_ignored():
    means = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1], np.float32)
    small = evaluate(means, np.full(10, 24), n_pixels=100, fps=25, threshold=0.1, dark=0.8)
    large = evaluate(means, np.full(10, 25), n_pixels=100, fps=25, threshold=0.1, dark=0.8)
    assert small.transitions.max() == 0 and not small.diff.any()
    assert large.transitions.max() == 9


def test_frame_codes_follow_iris_priorities():
    p = IrisParams()
    transitions = np.array([9, 7, 6, 4, 4, 3, 6])
    extended = np.array([0, 0, 0, 99, 100, 100, 100])
    codes = frame_codes(transitions, extended, fps=25, params=p)
    assert codes.tolist() == [PASS, FLASH_FAIL, PASS_WITH_WARNING, PASS_WITH_WARNING,
                              EXTENDED_FAIL, PASS, EXTENDED_FAIL]


def test_frame_measures_red_saturation_and_luminance():
    px = np.array([[[255, 0, 0], [0, 0, 0], [255, 255, 255], GREY_21]], np.uint8)
    lum, red = frame_measures(px)
    assert lum.dtype == np.float32 and red.dtype == np.float32
    np.testing.assert_allclose(lum[0], [0.2126, 0.0, 1.0, 0.2159], atol=1e-4)
    assert red[0].tolist() == [320.0, 0.0, 0.0, 0.0]  # black: 0/0 is not "saturated"


# -- whole clips ------------------------------------------------------------------------------

def test_full_screen_5hz_fails_with_a_luminance_incident(tmp_path):
    path = _clip(tmp_path, "5hz", synth.flashing(SIZE, 5), 2.0)
    r = analyze_iris(path)
    assert r.profile == "iris-compat" and r.verdict == "fail" and r.exit_code == 2
    assert r.extras["iris_result"] == "Fail"
    assert r.extras["iris_results"] == ["LuminanceFlashFailure"]
    assert max(r.frames["LuminanceTransitions"]) == 10  # 5 Hz = 10 transitions per second
    fails = [i for i in r.incidents if i.severity == "fail"]
    assert [i.type for i in fails] == ["luminance_flash"]
    assert fails[0].peak_flashes_per_second == 5.0
    assert fails[0].peak_area == pytest.approx(1.0)
    assert fails[0].bbox == (0, 0, *SIZE)
    assert 0.2 < fails[0].start < fails[0].end <= 2.0 + 1e-9
    assert r.n_frames == 50 and list(r.frames) == list(IRIS_COLUMNS)


def test_2hz_warns_then_fails_as_extended_flashing(tmp_path):
    short = analyze_iris(_clip(tmp_path, "2hz_3s", synth.flashing(SIZE, 2), 3.0))
    assert short.verdict == "warning" and short.extras["iris_summary"] == "pass with warning"
    assert {i.severity for i in short.incidents} == {"warning"}
    counts = short.extras["iris_incident_frames"]["luminance"]
    assert counts["flashFailFrames"] == counts["extendedFailFrames"] == 0
    assert counts["passWithWarningFrames"] == int(
        (np.asarray(short.frames["FlashLuminanceFailedFrame"]) == PASS_WITH_WARNING).sum()) > 0
    long = analyze_iris(_clip(tmp_path, "2hz_6s", synth.flashing(SIZE, 2), 6.0))
    assert long.verdict == "fail" and long.extras["iris_summary"] == "extended fail"
    assert long.extras["iris_results"] == ["LuminanceExtendedFlashFailure"]
    ext = [i for i in long.incidents if i.type == "extended_flash"]
    assert len(ext) == 1 and ext[0].severity == "fail"
    # extended failure starts once 4 s (100 frames) of 4-6 transitions/s have accumulated
    first = int(np.argmax(np.asarray(long.frames["FlashLuminanceFailedFrame"]) == EXTENDED_FAIL))
    assert long.frames["LuminanceExtendedFailCount"][first] == 4 * FPS
    assert ext[0].start == pytest.approx(first / FPS)


def test_saturated_red_flash_fails_on_red_only(tmp_path):
    """Red <-> equal-luminance gray: no luminance transition, a red flash failure."""
    r = analyze_iris(_clip(tmp_path, "red", synth.flashing(SIZE, 5, on=synth.RED, off=GREY_21), 2.0))
    assert r.verdict == "fail"
    assert r.extras["iris_results"] == ["RedFlashFailure"]
    assert max(r.frames["LuminanceTransitions"]) == 0
    assert max(r.frames["AverageRed"]) == pytest.approx(320.0)
    assert {i.type for i in r.incidents} == {"red_flash"}


def test_steady_picture_passes(tmp_path):
    r = analyze_iris(_clip(tmp_path, "gray", synth.solid(SIZE, GREY_30), 1.0))
    assert r.verdict == "pass" and r.exit_code == 0 and r.incidents == []
    assert r.extras["iris_result"] == "Pass" and r.extras["iris_results"] == []
    assert not np.any(r.frames["LuminanceTransitions"])
    assert np.allclose(r.frames["AverageLuminance"], 0.30, atol=0.002)


# -- IRIS's known weaknesses: iris-compat reproduces them (the broadcast profile does not) ----

def test_misses_a_30_percent_region_flashing_at_5hz(tmp_path):
    """A 30% region flashing 0 <-> 0.30 luminance at 5 Hz breaks the standard (local change
    0.30 >= 0.1 over more than 25% of the screen), but moves the frame mean by only 0.09."""
    flash = synth.flashing(SIZE, 5, on=GREY_30, area=0.3, where="left")
    r = analyze_iris(_clip(tmp_path, "strip30", flash, 2.0))
    assert r.verdict == "pass" and r.incidents == []
    assert max(r.frames["FlashAreaLuminance"]) == pytest.approx(0.3, abs=0.01)  # it changed...
    assert max(np.abs(r.frames["AverageLuminanceDiff"])) < 0.1  # ...but the mean barely moved
    assert max(r.frames["LuminanceTransitions"]) == 0


def test_misses_opposite_phase_halves(tmp_path):
    r = analyze_iris(_clip(tmp_path, "halves", synth.opposite_halves(SIZE, 5), 2.0))
    assert r.verdict == "pass" and r.incidents == []
    assert max(r.frames["FlashAreaLuminance"]) == pytest.approx(1.0)  # every pixel flips
    assert max(r.frames["LuminanceTransitions"]) == 0


def test_misses_a_reversing_checkerboard(tmp_path):
    r = analyze_iris(_clip(tmp_path, "checker", synth.reversing_checkerboard(SIZE, 16, 5), 2.0))
    assert r.verdict == "pass"
    assert max(r.frames["LuminanceTransitions"]) == 0


def test_one_second_is_a_frame_count_not_time(tmp_path):
    """A VFR clip: 5 Hz flashing shot at 100 frames/s for 3 s, then 9 s of 1 frame/s black.
    The file's average rate is ~26 fps, so IRIS's "second" is 26 frames = 0.26 s of the
    flashing part, which holds only 2-3 transitions: a real 5 Hz flash passes."""
    times = [i / 100 for i in range(300)] + [3.0 + k for k in range(9)]
    flash = synth.flashing(SIZE, 5, stop=3.0)
    path = synth.write_video(tmp_path / "vfr.mp4", synth.render_vfr(flash, times), fps=25,
                             lossless=True)
    r = analyze_iris(path)
    assert r.settings["window_frames"] < 30
    assert max(r.frames["LuminanceTransitions"]) <= 3
    assert r.verdict == "pass"
    assert np.allclose(r.extras["time"][:300], times[:300], atol=1e-3)  # real timestamps kept


# -- outputs and errors ------------------------------------------------------------------------

def test_write_iris_csv_columns_and_formatting(tmp_path):
    r = analyze_iris(_clip(tmp_path, "5hz", synth.flashing(SIZE, 5), 1.0))
    out = write_iris_csv(r, tmp_path / "out" / "frames.csv")
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == IRIS_COLUMNS
    assert len(rows) == r.n_frames + 1
    # 5 Hz at 25 fps: frames 1-3 white, frame 4 the first black one (one transition)
    fourth = dict(zip(IRIS_COLUMNS, rows[4], strict=True))
    assert fourth["Frame"] == "4" and fourth["TimeStamp"] == "00:00:00.120000"
    assert fourth["AverageLuminance"] == "0.000000"
    assert fourth["AverageLuminanceDiff"] == "-1.000000"
    assert fourth["FlashAreaLuminance"] == "1.000000"
    assert fourth["LuminanceTransitions"] == "1" and fourth["FlashLuminanceFailedFrame"] == "0"
    assert sorted(p.name for p in out.parent.iterdir()) == ["frames.csv"]  # no temp file left


def test_write_iris_csv_refuses_other_profiles_and_writes_nothing(tmp_path):
    other = FlashResult(path="x.mp4", profile="broadcast", verdict="pass", incidents=[],
                        frames={"t": [0.0]}, duration=1.0, n_frames=1, fps=25.0)
    with pytest.raises(ValueError, match="iris-compat"):
        write_iris_csv(other, tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_unreadable_input_raises_video_error(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(VideoError, match="broken.mp4"):
        analyze_iris(bad)
    with pytest.raises(VideoError, match="missing.mp4"):
        analyze_iris(tmp_path / "missing.mp4")
