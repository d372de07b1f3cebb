"""Reading subtitles (SRT, WebVTT, ASS; encodings; offset and speed) and screenplays."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.errors import InputError
from moviemotion.script.screenplay import parse_fountain, read_scenes_csv, read_screenplay
from moviemotion.script.subtitles import parse_speed, read_subtitles

SRT = """1
00:00:01,000 --> 00:00:02,500
Café <i>au lait</i>,
s'il vous plaît.

2
00:00:03,000 --> 00:00:04,000
Merci.
"""

VTT = """WEBVTT

00:00:01.000 --> 00:00:02.500
Café au lait, s'il vous plaît.

00:00:03.000 --> 00:00:04.000
Merci.
"""

ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,Merci.
Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\i1}Café au lait{\\i0},\\Ns'il vous plaît.
Comment: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,not shown
"""


@pytest.mark.parametrize("name,text,encoding", [
    ("a.srt", SRT, "utf-8"), ("b.srt", SRT, "utf-8-sig"), ("c.srt", SRT, "cp1252"),
    ("d.srt", SRT, "utf-16"), ("e.vtt", VTT, "utf-8"), ("f.ass", ASS, "utf-8")])
def test_every_format_and_encoding_reads_the_same_lines(tmp_path, name, text, encoding):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    s = read_subtitles(p)
    assert s.column("text").tolist() == ["Café au lait, s'il vous plaît.", "Merci."]
    assert s.time.tolist() == [1.0, 3.0] and s.end.tolist() == [2.5, 4.0]
    assert s.column("line").tolist() == [1, 2]


def test_offset_and_speed_map_file_time_to_movie_time(tmp_path):
    p = tmp_path / "a.srt"
    p.write_text(SRT)
    s = read_subtitles(p, offset=10.0, speed="25/23.976")
    k = 25 / 23.976
    assert np.allclose(s.time, [1 * k + 10, 3 * k + 10]) and np.allclose(s.end, [2.5 * k + 10, 4 * k + 10])
    assert parse_speed("1.5") == 1.5
    with pytest.raises(InputError, match="subtitle-speed"):
        parse_speed("fast")


def test_negative_offset_trims_lines_before_the_movie(tmp_path):
    p = tmp_path / "a.srt"
    p.write_text(SRT)
    s = read_subtitles(p, offset=-2.0)
    assert s.column("text").tolist() == ["Café au lait, s'il vous plaît.", "Merci."]
    assert s.time.tolist() == [0.0, 1.0]
    with pytest.raises(InputError, match="before the movie starts"):
        read_subtitles(p, offset=-10.0)


@pytest.mark.parametrize("content,message", [
    (b"\x00\x01\x02binary\x00" * 20, "binary"),
    (b"just some words, no times\n", "not a subtitle file"),
    (b"\x81\x8d\x8f\x90\x9d" * 10, "cannot decode"),
    (b"   \n", "empty"),
    (b"1\n00:00:05,000 --> 00:00:06,000\nB\n\n2\n00:00:01,000 --> 00:00:02,000\nA\n", "out of order"),
    (b"1\n00:00:01,000 --> 00:00:09,000\nA\n\n2\n00:00:02,000 --> 00:00:03,000\nB\n", "overlaps"),
    (b"1\n00:00:05,000 --> 00:00:04,000\nA\n", "before it starts"),
])
def test_bad_subtitles_fail_with_one_line_naming_the_file(tmp_path, content, message):
    p = tmp_path / "bad.srt"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        read_subtitles(p)
    assert str(p) in err.value.message and "\n" not in err.value.message
    assert err.value.exit_code == 2


def test_small_overlaps_are_trimmed_and_long_subtitles_refused(tmp_path):
    p = tmp_path / "a.srt"
    p.write_text("1\n00:00:01,000 --> 00:00:03,300\nA\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n")
    s = read_subtitles(p)
    assert s.end[0] == 3.0
    with pytest.raises(InputError, match="movie lasts"):
        read_subtitles(p, movie_duration=1.0)


def test_real_sintel_subtitles(shared_data):
    s = read_subtitles(shared_data / "text" / "sintel_en.srt")
    assert len(s) == 26 and s.time[0] == pytest.approx(107.25)
    assert s.column("text")[0] == "This blade has a dark past."
    assert np.all(np.diff(s.time) > 0)


FOUNTAIN = """Title: Test

EXT. BEACH - DAY

Waves. ANNA walks.

ANNA
(quietly)
The tide is turning.

BEN (V.O.)(CONT'D)
Then we go home.

INT. CAR - NIGHT

They drive in silence.

ANNA
Left here.

BEN ^
Right here.
"""


def test_fountain_scenes_characters_and_dialogue():
    sp = parse_fountain(FOUNTAIN)
    assert [s.heading for s in sp.scenes] == ["EXT. BEACH - DAY", "INT. CAR - NIGHT"]
    assert [(x.scene, x.character, x.text) for x in sp.lines] == [
        (1, "ANNA", "The tide is turning."), (1, "BEN", "Then we go home."),
        (2, "ANNA", "Left here."), (2, "BEN", "Right here.")]
    assert [k for k, _, _ in sp.scenes[0].items] == ["action", "dialogue", "dialogue"]
    assert sp.scenes[0].items[0][1] == 3  # "Waves. ANNA walks."


def test_real_screenplays(shared_data):
    big = read_screenplay(shared_data / "text" / "Big-Fish.fountain")
    headings = sum(1 for s in big.scenes if s.number > 0)
    assert headings == 190  # the data README: 190 scene headings
    assert len(big.lines) > 700 and big.lines[0].character == "EDWARD"
    brick = read_screenplay(shared_data / "text" / "Brick-and-Steel.fountain")  # CRLF, dual dialogue
    assert [x.character for x in brick.lines[:3]] == ["STEEL", "BRICK", "STEEL"]


def test_screenplay_without_dialogue_is_refused(tmp_path):
    p = tmp_path / "s.fountain"
    p.write_text("EXT. DESERT - DAY\n\nNothing happens for a long time.\n")
    with pytest.raises(InputError, match="no dialogue"):
        read_screenplay(p)


def test_scenes_csv(tmp_path):
    p = tmp_path / "scenes.csv"
    p.write_text("start,end,title\n0,5,Kitchen\n0:05,0:09,Garden\n")
    s = read_scenes_csv(p)
    assert s.time.tolist() == [0.0, 5.0] and s.end.tolist() == [5.0, 9.0]
    assert s.column("heading").tolist() == ["Kitchen", "Garden"]
    p.write_text("start,end,title\n0,5,A\n3,9,B\n")
    with pytest.raises(InputError, match="overlapping"):
        read_scenes_csv(p)
    p.write_text("from,to\n0,5\n")
    with pytest.raises(InputError, match="start,end,title"):
        read_scenes_csv(p)
