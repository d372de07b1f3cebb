"""Screenplay-to-subtitle alignment on pairs derived with a known truth."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.samples.script import derive_pair
from moviemotion.script.align import align, best_chain
from moviemotion.script.screenplay import parse_fountain, read_screenplay
from moviemotion.script.subtitles import read_subtitles
from moviemotion.signals import Signals


def _placed(sp, pair, tmp_path, with_cuts: bool):
    p = tmp_path / "derived.srt"
    p.write_text(pair.srt)
    subs = read_subtitles(p, offset=pair.offset, speed=pair.speed)
    a = align(sp, subs, pair.duration, pair.cuts if with_cuts else None)
    ok = (np.abs(a.scenes.time - pair.scene_start) <= 1) & (np.abs(a.scenes.end - pair.scene_end) <= 1)
    return a, ok


def test_chain_is_monotonic_and_heaviest():
    # pairs sorted by line then cue; (1, 0) crosses (0, 2) and must lose to the heavier chain
    i = np.array([0, 0, 1, 1, 2])
    j = np.array([0, 2, 0, 3, 4])
    w = np.array([1.0, 5.0, 1.0, 1.0, 1.0])
    chain = best_chain(i, j, w, 5)
    assert [(i[k], j[k]) for k in chain] == [(0, 0), (0, 2), (1, 3), (2, 4)]


def test_split_and_merged_cues_and_missing_dialogue():
    sp = parse_fountain("""INT. A - DAY

ANNA
The lighthouse keeper never came back from the island that winter.

BEN
Nobody knows why.

INT. B - DAY

A long silent scene with no dialogue at all.

INT. C - DAY

ANNA
Tomorrow we take the boat across the bay.
""")
    subs = Signals.from_columns("subtitles", "events", {
        "time": [1.0, 3.0, 5.0, 20.0], "end": [2.9, 4.9, 6.0, 23.0], "line": [1, 2, 3, 4],
        "text": ["The lighthouse keeper never came back", "from the island that winter.",
                 "Nobody knows why.", "Tomorrow we take the boat across the bay."]})
    a = align(sp, subs, 30.0)
    assert a.line_of_cue.tolist() == [0, 0, 1, 2]
    rows = a.scenes.to_pylist()
    assert [r["placed_by"] for r in rows] == ["dialogue", "between", "dialogue"]
    assert [r["confidence"] for r in rows] == [1.0, 0.0, 1.0]
    assert rows[0]["time"] == 0 and rows[-1]["end"] == 30.0
    assert 6.0 <= rows[1]["time"] < rows[1]["end"] <= 20.0  # between its neighbours


@pytest.mark.parametrize("name", ["Brick-and-Steel", "The-Last-Birthday-Card", "Big-Fish"])
def test_derived_pairs_place_scenes_within_a_second(shared_data, tmp_path, name):
    """Lines dropped (10 %), paraphrased (15 %), swapped within their scene (10 %), merged
    cues, long lines split, an offset of 3.5 s and a 25/23.976 drift (undone by the reader's
    options), whole scenes cut (3 %). Measured shares in docs/script.md."""
    sp = read_screenplay(shared_data / "text" / f"{name}.fountain")
    shares, shares_cuts, dropped_conf, kept_conf = [], [], [], []
    for seed in range(3):
        pair = derive_pair(sp, seed=seed)
        a, ok = _placed(sp, pair, tmp_path, with_cuts=False)
        shares.append(ok.mean())
        _, ok_c = _placed(sp, pair, tmp_path, with_cuts=True)
        shares_cuts.append(ok_c.mean())
        dropped_conf += a.scenes.column("confidence")[pair.dropped_scenes].tolist()
        kept = np.setdiff1d(np.arange(len(sp.scenes)), pair.dropped_scenes)
        with_lines = [k for k in kept if sp.scenes[k].line_indices]
        kept_conf += a.scenes.column("confidence")[with_lines].tolist()
    assert np.mean(kept_conf) > 0.8  # 10 % of lines cut: most of the rest matched
    # shot cuts from a movie analysis pull the boundaries onto the true cuts (docs/script.md:
    # measured 100 %, 95.5 %, 88.2 %; without cuts 91.7 %, 74.9 %, 55.6 %, which is near what
    # the derivation's random timing leaves observable: 97 %, 82 %, 58 %)
    assert np.mean(shares_cuts) >= {"Big-Fish": 0.93, "The-Last-Birthday-Card": 0.85}.get(name, 0.99)
    assert np.mean(shares_cuts) >= np.mean(shares)
    assert np.mean(shares) >= {"Big-Fish": 0.72, "The-Last-Birthday-Card": 0.52}.get(name, 0.9)
    if dropped_conf:  # scenes whose dialogue is missing get low confidence
        assert np.median(dropped_conf) < 0.3


def test_sintel_subtitles_against_a_screenplay_made_of_them(shared_data):
    subs = read_subtitles(shared_data / "text" / "sintel_en.srt")
    texts = subs.column("text").tolist()
    src = "EXT. MOUNTAINS - DAY\n\n" + "".join(f"SINTEL\n{t}\n\n" for t in texts[:12]) + \
        "INT. HUT - NIGHT\n\n" + "".join(f"SHAMAN\n{t}\n\n" for t in texts[12:])
    a = align(parse_fountain(src), subs, 888.0)
    assert (a.line_of_cue >= 0).mean() == 1.0
    rows = a.scenes.to_pylist()
    assert rows[0]["time"] == 0 and rows[1]["end"] == 888.0
    assert subs.end[11] <= rows[1]["time"] <= subs.time[12]
