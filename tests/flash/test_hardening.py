"""Issue 13, flash side: no pass for an incomplete read (D1), the pattern check at any period
and orientation, the pattern severity as a profile setting, and the WCAG area to within 1 %.

Every clip is rendered in code with a known answer (moviemotion.samples.clips).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import av
import pyarrow.csv as pacsv
import pytest

from moviemotion.cli import main
from moviemotion.flash import analyze, get_profile
from moviemotion.flash.analyzer import FlashAnalyzer
from moviemotion.samples import clips as synth
from moviemotion.video.source import analyze_movie, open_source

SIZE = (160, 90)


# -- D1: a truncated video is never a pass ------------------------------------------------------

def cut_at(path, seconds, out):
    """Keep the file's bytes up to the first packet at ``seconds`` (a truncated download)."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pos = next(p.pos for p in c.demux(s) if p.pts is not None
                   and float(p.pts * p.time_base) >= seconds)
    out.write_bytes(path.read_bytes()[:pos])
    return out


@pytest.fixture(scope="module")
def late_flash(tmp_path_factory):
    """4 s gray, then 6 s of 5 Hz full-screen flashing; and the same file cut at 3.9 s."""
    d = tmp_path_factory.mktemp("late")
    r = synth.concat([(synth.solid(SIZE, (128, 128, 128)), 4.0),
                      (synth.flashing(SIZE, 5.0, area=1.0), 6.0)])
    full = synth.write_video(d / "lateflash.mp4", synth.render(r, 25, 10.0), fps=25)
    return full, cut_at(full, 3.9, d / "lateflash_cut.mp4")


@pytest.mark.parametrize("profile", ["broadcast", "wcag", "iris-compat"])
def test_truncated_video_is_at_least_a_warning_with_an_incomplete_incident(late_flash, profile):
    full, cut = late_flash
    assert analyze(full, profile).verdict == "fail"  # the whole file flashes from 4 s
    with pytest.warns(UserWarning, match="truncated"):
        r = analyze(cut, profile)
    assert r.verdict == "warning" and r.exit_code == 1 and not r.complete
    (inc,) = [i for i in r.incidents if i.type == "incomplete"]
    assert inc.severity == "warning"
    assert inc.note.startswith("incomplete: analyzed up to ") and "of 10.00 s" in inc.note
    assert inc.start == pytest.approx(3.9, abs=0.1) and inc.end == pytest.approx(10.0)
    summary = r.summary()
    assert summary["complete"] is False and summary["incomplete_reason"] == inc.note


def test_complete_video_has_no_incomplete_incident(late_flash):
    full, _ = late_flash
    r = analyze(full)
    assert r.complete and r.summary()["complete"] is True
    assert "incomplete" not in {i.type for i in r.incidents}


@pytest.mark.parametrize("profile", ["broadcast", "iris-compat"])
def test_truncated_video_is_recorded_in_json_csv_and_html(late_flash, tmp_path, capsys,
                                                          profile):
    _, cut = late_flash
    with pytest.raises(SystemExit) as done, pytest.warns(UserWarning):
        main(["flashes", str(cut), "-p", profile, "-o", str(tmp_path), "-q"])
    assert done.value.code == 1
    said = capsys.readouterr()
    out = said.out + said.err
    assert "WARNING" in out and "incomplete" in out
    stem = tmp_path / f"lateflash_cut.flash-{profile}"
    summary = json.loads(Path(f"{stem}.json").read_text())
    assert summary["verdict"] == "warning" and summary["complete"] is False
    assert [i["type"] for i in summary["incidents"]] == ["incomplete"]
    assert summary["incidents"][0]["note"].startswith("incomplete: analyzed up to")
    rows = pacsv.read_csv(f"{stem}.incidents.csv").to_pylist()
    assert [(r["type"], r["severity"]) for r in rows] == [("incomplete", "warning")]
    assert rows[0]["time"] == pytest.approx(3.9, abs=0.1) and rows[0]["end"] == 10.0
    assert rows[0]["note"].startswith("incomplete: analyzed up to")
    html = Path(f"{stem}.html").read_text()
    assert "Incomplete check" in html and "incomplete: analyzed up to" in html


def test_the_flash_analyzer_shares_one_decode_pass(late_flash):
    """Two profiles in one pass, each with its own Signals; the same verdicts as alone."""
    full, _ = late_flash
    a, b = FlashAnalyzer("broadcast"), FlashAnalyzer("wcag")
    b.name = "flash-wcag"
    with open_source(full) as src:
        res = analyze_movie(src, [a, b])
    frames, events = res.tables["flash"]
    assert frames.kind == "frames" and events.kind == "events"
    assert frames.columns[:2] == ["frame", "time"] and len(frames) == 250
    assert events.columns[:2] == ["time", "end"] and len(events) == 1
    assert events.time[0] == pytest.approx(4.0, abs=0.05)
    assert a.result.verdict == b.result.verdict == "fail" and res.run.complete


# -- the pattern check: coarse and fine stripes, any orientation ---------------------------------

def pattern_check(tmp_path, renderer, size, profile="broadcast", fps=10, duration=1.2,
                  name="p.mp4"):
    path = synth.write_video(tmp_path / name, synth.render(renderer, fps, duration), fps=fps)
    return analyze(path, profile, pattern=True)


def still(img):
    return lambda t: img


def pattern_types(r):
    return [i.type for i in r.incidents]


@pytest.mark.parametrize(("size", "pairs", "angle"), [
    ((640, 360), 12, 0),     # 53 px period: missed before
    ((640, 360), 8, 90),
    ((640, 360), 10, 45),    # diagonal
    ((640, 360), 10, 135),
    ((1920, 1080), 6, 0),    # 320 px period
    ((1920, 1080), 40, 0),
    ((1920, 1080), 6, 90),
    ((1920, 1080), 24, 90),
])
def test_stripes_with_more_than_five_pairs_are_found_at_any_period(tmp_path, size, pairs,
                                                                   angle):
    r = pattern_check(tmp_path, still(synth.stripes(size, pairs, angle)), size)
    assert r.verdict == "fail" and pattern_types(r) == ["spatial_pattern"], r.incidents
    (inc,) = r.incidents
    assert inc.severity == "fail" and inc.peak_area > 0.5
    assert inc.end - inc.start > 0.5


@pytest.mark.parametrize("pairs", [3, 5])
def test_five_pairs_or_fewer_are_no_pattern(tmp_path, pairs):
    r = pattern_check(tmp_path, still(synth.stripes((640, 360), pairs)), (640, 360))
    assert r.verdict == "pass", r.incidents


def test_reversing_coarse_stripes_are_found(tmp_path):
    # 8 pairs reversing twice a second: 4 transitions/s, under the flash limit; a pattern
    size = (640, 360)
    r = pattern_check(tmp_path, synth.reversing_stripes(size, 8, 1.0), size, fps=25,
                      duration=2.0)
    assert "spatial_pattern" in pattern_types(r) and r.verdict == "fail"
    assert max(r.frames["lum_flashes"]) <= 3  # not a flash failure


@pytest.mark.parametrize("kind", ["noise", "shapes", "low_contrast"])
def test_no_pattern_in_noise_shapes_or_faint_stripes(tmp_path, kind):
    size = (640, 360)
    renderer = {"noise": synth.noise(size, seed=3),
                "shapes": synth.moving_shapes(size, seed=2),
                "low_contrast": still(synth.stripes(size, 12, light=(130, 130, 130),
                                                    dark=(120, 120, 120)))}[kind]
    assert pattern_check(tmp_path, renderer, size).verdict == "pass"


# -- the pattern severity is a profile setting ------------------------------------------------------

def test_static_pattern_severity_is_a_profile_setting(tmp_path):
    size = (320, 180)
    path = synth.write_video(tmp_path / "s.mp4", synth.render(
        still(synth.stripes(size, 20)), 10, 1.2), fps=10)
    assert get_profile("broadcast").pattern_severity == "fail"
    assert get_profile("wcag").pattern_severity == "warning"
    broadcast = analyze(path, "broadcast", pattern=True)
    assert broadcast.verdict == "fail" and broadcast.exit_code == 2
    assert broadcast.settings["pattern_severity"] == "fail"
    wcag = analyze(path, "wcag", pattern=True)
    assert wcag.verdict == "warning" and wcag.incidents[0].severity == "warning"
    relaxed = analyze(path, get_profile("broadcast", pattern_severity="warning"), pattern=True)
    assert relaxed.verdict == "warning" and relaxed.profile == "broadcast"
    with pytest.raises(ValueError, match="pattern_severity"):
        get_profile("broadcast", pattern_severity="maybe")


# -- WCAG: the flashing share of a 10-degree field, to within 1 % --------------------------------------

def field_box(size, share, offset=(37, 23)):
    """A square box covering ``share`` of a 10-degree field (W/3 x 0.75 W/3), off the cell grid."""
    w, _ = size
    field = (w / 3) * (0.75 * w / 3)
    side = round(math.sqrt(share * field))
    return (offset[0] + w // 4, offset[1] + 5, side, side), side * side / field


@pytest.mark.parametrize("size", [(640, 360), (1920, 1080)])
@pytest.mark.parametrize(("share", "verdict"), [(0.237, "pass"), (0.26, "fail")])
def test_wcag_area_limit_holds_to_within_one_percent(tmp_path, size, share, verdict):
    box, real = field_box(size, share)
    assert real == pytest.approx(share, abs=0.002)
    path = synth.write_video(tmp_path / "box.mp4", synth.render(
        synth.flashing_box(size, 5, box), 25, 1.6), fps=25)
    r = analyze(path, "wcag")
    assert r.verdict == verdict, (real, max(r.frames["lum_transitions"]))
    # the share in transition together is the flashing share of the worst field
    assert max(r.frames["lum_transitions"]) == pytest.approx(real, abs=0.01)
