"""The movie job and command: outputs, the report, arousal on a calm and a hectic part, and bad
input (one line, the right exit code, nothing half-written)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from content_media import noise, pan, synth, tone, write_av

from moviemotion.cli import main
from moviemotion.content import ANALYZERS
from moviemotion.jobs.movie import run_movie
from moviemotion.signals import Signals

FPS = 25
SIZE = (192, 108)


def cli(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, out.out + out.err


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    """6 s: a pan with a quiet tone, then cuts at 3.0 and 4.5 s with loud noise."""
    d = tmp_path_factory.mktemp("film")
    pic = synth.concat([(pan(SIZE, 0.1), 3.0),
                        (synth.scene_cuts(SIZE, [1.5], seed=2), 3.0)])
    audio = np.concatenate([tone(3.0, -40), noise(3.0, -10)])
    return write_av(d / "film.mp4", synth.render(pic, FPS, 6.0), FPS, audio=audio)


@pytest.fixture(scope="module")
def done(film, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "film-out"
    return run_movie(film, out), out


def test_outputs_and_their_columns(done):
    result, out = done
    assert result.exit_code == 0
    names = {p.name for p in out.iterdir()}
    assert {"movie.parquet", "movie.csv", "shots.csv", "run.json", "movie.html"} <= names
    assert not [n for n in names if ".tmp-" in n]
    table = Signals.read(out / "movie.parquet")
    expected = ["time"] + [c for n in result.analyzers for c in ANALYZERS.get(n).columns]
    assert {"shots", "motion", "look", "audio", "faces", "flashes", "arousal"} <= set(
        result.analyzers)
    assert table.columns == expected and table.kind == "seconds"
    assert table.time.tolist() == [0, 1, 2, 3, 4, 5]
    assert table.units["loudness"] == "LUFS" and table.units["motion"] == "frame widths/s"
    assert pq.read_table(out / "movie.parquet").num_rows == 6
    csv = (out / "movie.csv").read_text().splitlines()
    assert csv[0].replace('"', "").split(",") == expected and len(csv) == 7
    shots = (out / "shots.csv").read_text().splitlines()
    assert shots[0].replace('"', "").split(",")[:6] == ["time", "end", "shot", "start_frame",
                                                       "end_frame", "transition"]
    assert [r.split(",")[3] for r in shots[1:]] == ["0", "75", "113"]
    # the loud, cut part is louder and cut more than the quiet pan
    assert table["loudness"][4] > table["loudness"][1] + 20
    assert table["cuts"].tolist() == [0, 0, 0, 1, 1, 0]


def test_run_record(done, film):
    result, out = done
    record = json.loads((out / "run.json").read_text())
    assert record["pass"]["complete"] is True and record["pass"]["frames"] == 150
    assert record["input"]["movie"] == str(film) and record["input"]["audio"] is True
    assert list(record["analyzers"]) == result.analyzers
    assert record["results"]["flashes"]["verdict"] == "pass"
    assert record["analyzers"]["shots"]["detector"] == "adaptive"
    assert set(record["timings_s"]) >= {*result.analyzers, "decode", "total"}
    assert record["versions"]["scenedetect-headless"]
    assert set(record["outputs"]) >= {"movie.parquet", "shots.csv", "movie.html", "run.json"}


@pytest.mark.browser
def test_report_opens_offline_with_filmstrip_and_curves(done, browser):
    result, out = done
    dom, errors = browser.load(out / "movie.html")
    assert errors == []
    assert dom.count('class="shot"') == len(result.shots) == 3
    assert dom.count("data:image/jpeg;base64,") == 3
    assert dom.count('class="main-svg"') >= 2  # curves and look figures drawn
    assert "content arousal" in dom and "Shot list" in dom
    page = (out / "movie.html").read_text()
    assert "<script src=" not in page and '<link rel="stylesheet" href="http' not in page


def test_arousal_higher_in_the_hectic_part(tmp_path):
    """Calm: one slow pan, quiet. Hectic: a cut every 0.8 s, moving shapes, loud noise."""
    calm, busy = 12.0, 12.0
    cuts = list(np.arange(0.8, busy, 0.8))
    pic = synth.concat([(pan(SIZE, 0.02), calm), (synth.scene_cuts(SIZE, cuts, seed=7), busy)])
    audio = np.concatenate([tone(calm, -45), noise(busy, -6, seed=3)])
    path = write_av(tmp_path / "two.mp4", synth.render(pic, FPS, calm + busy), FPS, audio=audio)
    result = run_movie(path, tmp_path / "out", analyzers="arousal", html=False,
                       options={"arousal": {"window_s": 5}})
    s = result.seconds
    assert result.analyzers == ["shots", "motion", "audio", "arousal"]
    a = s["arousal"]
    assert np.nanmean(a[16:24]) > np.nanmean(a[0:8]) + 0.5
    for part in ("arousal_motion", "arousal_rhythm", "arousal_sound"):
        assert np.nanmean(s[part][16:24]) > np.nanmean(s[part][0:8]), part
    assert np.nanmin(a) == 0 and np.nanmax(a) == pytest.approx(1)


# -- bad input ---------------------------------------------------------------------------------
def test_truncated_file_is_recorded_incomplete(tmp_path, capsys):
    path = synth.write_video(tmp_path / "long.mp4", synth.render(
        synth.scene_cuts(SIZE, [2.0, 5.0], seed=1), FPS, 8.0), fps=FPS, faststart=True)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    code, text = cli(["movie", str(cut), "-o", str(tmp_path / "o"), "-q"], capsys)
    assert code == 1 and "incomplete" in text.lower()
    record = json.loads((tmp_path / "o" / "run.json").read_text())
    assert record["pass"]["complete"] is False
    assert record["pass"]["status"].startswith("incomplete: analyzed up to")
    table = Signals.read(tmp_path / "o" / "movie.parquet")
    assert len(table) < 8 and len(table) == int(np.ceil(record["pass"]["analyzed_until_s"]))
    assert "Incomplete" in (tmp_path / "o" / "movie.html").read_text()


def test_corrupt_stretch_in_the_middle_continues_and_says_where(tmp_path, capsys):
    path = synth.write_video(tmp_path / "ok.mp4", synth.render(synth.moving_shapes(SIZE), FPS,
                                                               6.0), fps=FPS, gop=10)
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid: mid + 3000] = np.random.default_rng(1).integers(0, 256, 3000, np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    code, text = cli(["movie", str(bad), "-o", str(tmp_path / "o"), "-q", "-a", "shots,motion"],
                     capsys)
    record = json.loads((tmp_path / "o" / "run.json").read_text())
    assert code == 1 and record["pass"]["complete"] is False
    assert record["pass"]["damaged_packets"] and "damaged packet" in record["pass"]["status"]
    assert " s" in record["pass"]["damaged_packets"][0]
    table = Signals.read(tmp_path / "o" / "movie.parquet")
    assert len(table) >= 5  # the pass went on after the damage


def test_no_video_stream_exits_3_and_writes_nothing(tmp_path, capsys):
    import av

    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as out:
        s = out.add_stream("aac", rate=48000)
        s.layout = "mono"
        x = tone(1.0, -20)
        for k in range(0, x.size, 1024):
            f = av.AudioFrame.from_ndarray(x[None, k:k + 1024], format="flt", layout="mono")
            f.sample_rate, f.pts = 48000, k
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    code, text = cli(["movie", str(path), "-o", str(tmp_path / "o")], capsys)
    assert code == 3 and "no video stream" in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_no_audio_stream_gives_nan_loudness_and_a_warning(tmp_path, capsys):
    path = synth.write_video(tmp_path / "mute.mp4", synth.render(
        synth.scene_cuts(SIZE, [1.0, 2.0], seed=1), FPS, 3.0), fps=FPS)
    code, text = cli(["movie", str(path), "-o", str(tmp_path / "o"), "-q", "--no-html"], capsys)
    assert code == 0 and "no audio stream" in text
    table = Signals.read(tmp_path / "o" / "movie.parquet")
    assert np.isnan(table["loudness"]).all() and np.isfinite(table["arousal"]).all()
    record = json.loads((tmp_path / "o" / "run.json").read_text())
    assert any("no audio stream" in w for w in record["warnings"])


@pytest.mark.parametrize(("argv", "needle"), [
    (["-a", "shots,sparkle"], "unknown movie analyzer 'sparkle'"),
    (["-a", "shots", "--cam"], "scenes analyzer"),
])
def test_bad_options_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    path = synth.write_video(tmp_path / "c.mp4", synth.render(synth.solid(SIZE, (9, 9, 9)),
                                                              FPS, 1.0), fps=FPS)
    code, text = cli(["movie", str(path), "-o", str(tmp_path / "o"), *argv], capsys)
    assert code == 2 and needle in text and len(text.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_output_path_that_is_a_file(tmp_path, capsys):
    path = synth.write_video(tmp_path / "c.mp4", synth.render(synth.solid(SIZE, (9, 9, 9)),
                                                              FPS, 1.0), fps=FPS)
    (tmp_path / "taken").write_text("x")
    code, text = cli(["movie", str(path), "-o", str(tmp_path / "taken")], capsys)
    assert code == 2 and "not a folder" in text


@pytest.mark.parametrize("kind", ["10bit", "rotated", "vfr"])
def test_odd_but_valid_files(tmp_path, kind):
    cuts = [1.0, 2.0]
    render = synth.scene_cuts(SIZE, cuts, seed=5)
    if kind == "10bit":
        path = write_av(tmp_path / "c.mp4", synth.render(render, FPS, 3.0), FPS,
                        pix_fmt="yuv420p10le")
    elif kind == "rotated":
        path = synth.write_video(tmp_path / "c.mp4", synth.render(render, FPS, 3.0), fps=FPS,
                                 rotation=90)
    else:
        times = np.cumsum(np.r_[0, np.where(np.arange(74) % 3, 0.03, 0.05)])
        path = synth.write_video(tmp_path / "c.mp4", synth.render_vfr(render, times), fps=FPS)
    result = run_movie(path, tmp_path / "o", analyzers="shots,motion,look", html=False)
    assert result.exit_code == 0 and len(result.seconds) == 3
    np.testing.assert_allclose(result.shots.time[1:], cuts, atol=0.06)
    assert np.isfinite(result.seconds["motion"]).all()


def test_help_has_an_example(capsys):
    code, text = cli(["movie", "--help"], capsys)
    assert code == 0 and "Example" in text and "moviemotion movie" in text
