"""Shots: hard cuts, fades and dissolves on clips with known boundaries, and on real film."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from content_media import dissolve, fade_through_black, pan, synth, textured, write_av

from moviemotion.content.shots import Boundary, ShotsAnalyzer, merge_boundaries
from moviemotion.video.source import analyze_movie, open_source

FPS = 25


def shots_of(path, **settings):
    a = ShotsAnalyzer(**settings)
    with open_source(path) as src:
        result = analyze_movie(src, [a])
    per_second, shots, thumbs = result.tables["shots"]
    return per_second, shots, thumbs


def test_hard_cuts_found_to_the_frame(tmp_path):
    cuts = [1.6, 3.2, 4.0, 6.4]  # 40, 80, 100, 160 at 25 fps
    path = write_av(tmp_path / "cuts.mp4", synth.render(synth.scene_cuts((320, 180), cuts,
                                                                         seed=4), FPS, 8.0), FPS)
    per_second, shots, thumbs = shots_of(path)
    assert shots["start_frame"].tolist() == [0, 40, 80, 100, 160]
    assert shots["transition"].tolist() == ["start", "cut", "cut", "cut", "cut"]
    np.testing.assert_allclose(shots.time[1:], cuts, atol=1e-6)
    np.testing.assert_allclose(shots["end"][:-1], shots.time[1:])
    assert shots["end"][-1] == pytest.approx(8.0)
    # per second: shot on screen at mid-second, cuts counted in the second they fall in
    assert per_second["shot"].tolist() == [0, 0, 1, 2, 3, 3, 4, 4]
    assert per_second["cuts"].tolist() == [0, 1, 0, 1, 1, 0, 1, 0]
    np.testing.assert_allclose(per_second["shot_length"][:2], [1.6, 1.6])
    # one thumbnail per shot, from inside the shot
    assert thumbs["shot"].tolist() == [0, 1, 2, 3, 4]
    inside = (thumbs.time >= shots.time[thumbs["shot"]]) & (thumbs.time < shots["end"][thumbs["shot"]])
    assert inside.all()
    assert all(bytes(j[:2]) == b"\xff\xd8" for j in thumbs["jpeg"])


def test_a_pan_is_not_a_cut(tmp_path):
    path = write_av(tmp_path / "pan.mp4", synth.render(pan((320, 180), 0.5), FPS, 4.0), FPS)
    _, shots, _ = shots_of(path)
    assert len(shots) == 1 and shots["transition"][0] == "start"


def test_dissolve_and_fade_are_found_and_named(tmp_path):
    a, b, c = (textured((320, 180), s) for s in (1, 2, 3))
    part1 = dissolve(a, b, start=2.0, seconds=1.2)  # dissolve 2.0-3.2 s, middle 2.6 s
    part2 = fade_through_black(b, c, start=2.0, out_s=0.6, black_s=0.4, in_s=0.6)  # 7-8.6 s
    clip = synth.concat([(part1, 5.0), (part2, 5.0)])
    path = write_av(tmp_path / "gradual.mp4", synth.render(clip, FPS, 10.0), FPS)
    _, shots, _ = shots_of(path)
    assert shots["transition"].tolist() == ["start", "dissolve", "fade"]
    assert shots.time[1] == pytest.approx(2.6, abs=0.2)
    assert 7.6 - 0.2 <= shots.time[2] <= 8.0 + 0.2  # inside the black
    assert shots["transition_start"][1] == pytest.approx(2.0, abs=0.3)


def test_merge_keeps_one_boundary_per_transition():
    found = [Boundary(180, "cut", 180, 180), Boundary(198, "fade", 178, 216),
             Boundary(211, "cut", 211, 211), Boundary(300, "cut", 300, 300),
             Boundary(305, "cut", 305, 305)]
    kept = merge_boundaries(found, min_gap=15)
    assert [(b.frame, b.kind) for b in kept] == [(198, "fade"), (300, "cut")]
    # a boundary closer than the gap to the film's start is dropped
    assert merge_boundaries([Boundary(5, "cut", 5, 5)], min_gap=15) == []


def score(found: list[int], truth: list[int], tolerance: int = 1) -> tuple[int, int, int]:
    """True positives, false positives, misses (each truth matched once)."""
    left = list(truth)
    tp = 0
    for f in found:
        hit = next((t for t in left if abs(t - f) <= tolerance), None)
        if hit is not None:
            left.remove(hit)
            tp += 1
    return tp, len(found) - tp, len(left)


#: The hand-checked list of ../shared/data/video/bbb_first60s_shots.json (frames).
BBB_HARD_CUTS = [285, 378, 553, 1145, 1346]
BBB_DISSOLVE = (750, 820)
BBB_OVERLAYS = [(505, 552), (600, 716)]


def test_big_buck_bunny_hand_checked_list():
    """The committed demo clip: every hard cut to the frame, no other boundary, the dissolve,
    nothing inside the text overlays, the opening fade (bounds of gradual ones +-5 frames)."""
    video = Path(__file__).resolve().parents[2] / "examples" / "bbb_first60s_640x360.mp4"
    _, shots, thumbs = shots_of(video)
    rows = shots.to_pylist()[1:]
    cuts = [r["start_frame"] for r in rows if r["transition"] == "cut"]
    assert score(cuts, BBB_HARD_CUTS) == (len(BBB_HARD_CUTS), 0, 0), cuts
    diss = [r for r in rows if r["transition"] == "dissolve"]
    assert len(diss) == 1 and BBB_DISSOLVE[0] - 5 <= diss[0]["start_frame"] <= BBB_DISSOLVE[1] + 5
    assert len(rows) == len(BBB_HARD_CUTS) + 1
    for a, b in BBB_OVERLAYS:
        assert not [r for r in rows if a < r["start_frame"] <= b]
    assert shots["transition"][0] == "fade"
    assert len(thumbs) == len(shots)


@pytest.mark.shared_data
def test_hand_checked_list_is_the_shared_one(shared_data):
    truth = json.loads((shared_data / "video" / "bbb_first60s_shots.json").read_text())
    assert truth["hard_cuts_first_frame_of_new_shot"] == BBB_HARD_CUTS
    diss = next(g for g in truth["gradual"] if g["type"] == "dissolve")
    assert (diss["start"], diss["end"]) == BBB_DISSOLVE
    assert [tuple(o[:2]) for o in truth["other"]["overlays_not_transitions"]] == BBB_OVERLAYS


def golden_times(folder, clip: str, detectors: tuple[str, ...]) -> list[float]:
    """PySceneDetect's golden cut frames as times (its frame numbers count at the stream's
    guessed rate, also for variable-frame-rate files)."""
    import av

    with av.open(str(folder / clip)) as c:
        rate = float(c.streams.video[0].guessed_rate)
    out = set()
    for d in detectors:
        cuts = json.loads((folder / "goldens" / f"{clip}.{d}.default.json").read_text())["cuts"]
        out |= {round(f / rate, 6) for f in cuts}
    return sorted(out)


def found_by(shots, t: float, frame_s: float) -> bool:
    """A golden boundary is found when one of ours is within a frame of it, or when it lies
    inside one of our gradual transitions (PySceneDetect marks a cut to black, the middle of
    the black and the cut back; we report the one fade)."""
    rows = shots.to_pylist()[1:]
    return any(abs(r["time"] - t) <= frame_s + 1e-6
               or r["transition_start"] - frame_s <= t <= r["transition_end"] + frame_s
               for r in rows)


@pytest.mark.shared_data
@pytest.mark.parametrize("clip", ["testvideo.mp4", "goldeneye-vfr-drop3.mp4", "fades.mp4"])
def test_pyscenedetect_goldens_all_found(shared_data, clip):
    """Every cut of PySceneDetect's content and threshold (fade) detector goldens is found."""
    folder = shared_data / "video" / "pyscenedetect"
    truth = golden_times(folder, clip, ("ContentDetector", "ThresholdDetector"))
    _, shots, _ = shots_of(folder / clip)
    with open_source(folder / clip) as src:
        frame_s = 1.0 / src.info.fps
    missed = [t for t in truth if not found_by(shots, t, frame_s)]
    assert truth and not missed, (missed, shots.to_pylist())
