"""``moviemotion report`` and ``moviemotion compare`` end to end; the page in headless Chromium."""

from __future__ import annotations

import subprocess

import numpy as np
import pyarrow.csv as pacsv
import pytest
from script_helpers import write_audience

from moviemotion.cli import main
from moviemotion.samples.script import write_demo_script
from moviemotion.signals import Signals


def run_cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture
def demo_script(tmp_path):
    return write_demo_script(tmp_path / "script", duration=24.0)


def test_report_joins_words_scenes_and_feelings(tmp_path, audience_dir, demo_script):
    out = tmp_path / "report"
    rc = run_cli(["report", "-o", str(out), "--audience", str(audience_dir), "-q",
                  "--subtitles", str(demo_script["subtitles"]),
                  "--screenplay", str(demo_script["screenplay"])])
    assert rc == 0
    for name in ("screening.html", "lines.csv", "lines.parquet", "scenes.csv", "scenes.parquet",
                 "arc.csv", "moments.csv", "summary.json"):
        assert (out / name).is_file(), name
    scenes = Signals.read(out / "scenes.parquet")
    assert scenes.kind == "events" and len(scenes) == 6
    # the demo scenes are 0-5, 5-9, 9-12, 12-15, 15-19, 19-24 s
    assert np.allclose(scenes.time, [0, 5, 9, 12, 15, 19], atol=1.0)
    assert scenes.column("placed_by").tolist() == ["dialogue"] * 6
    # the audience felt happy 5-9 and 19-24, surprise 12-15, sad 15-19
    assert scenes.column("dominant").tolist()[1:] == ["happy", "neutral", "surprise", "sad", "happy"]
    lines = Signals.read(out / "lines.parquet")
    assert lines.column("character").tolist()[:2] == ["MAYA", "LEO"]
    assert lines.column("scene").tolist() == [1, 1, 2, 2, 3, 4, 5, 5, 6, 6]
    assert lines.column("dominant")[lines.column("text").tolist().index(
        "Look! The tomatoes finally came in!")] == "happy"
    arc = pacsv.read_csv(out / "arc.csv").to_pydict()
    assert len(arc["time"]) == 24 and "Wait. This letter is from Grandpa?" in arc["text"][13]
    moments = pacsv.read_csv(out / "moments.csv").to_pydict()
    assert moments["emotion"] == ["happy", "surprise", "sad"] and moments["scene"] == [2, 4, 5]


def test_report_page_in_chromium(tmp_path, audience_dir, demo_script, browser, chromium):
    out = tmp_path / "report"
    assert run_cli(["report", "-o", str(out), "--audience", str(audience_dir), "-q",
                    "--subtitles", str(demo_script["subtitles"]),
                    "--scenes", str(demo_script["scenes"])]) == 0
    page = out / "screening.html"
    html = page.read_text()
    assert "<script src=" not in html and html.count("Plotly.newPlot") == 4
    dom, errors = browser.load(page)
    assert errors == []
    assert dom.count('class="main-svg"') >= 2 * 4, "a plot was not drawn"
    assert "Look! The tomatoes finally came in!" in html  # the words are in the hover data
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'profile2'}", "--window-size=1280,1400",
                    "--virtual-time-budget=4000", f"--screenshot={shot}", page.resolve().as_uri()],
                   capture_output=True, timeout=120)
    import cv2

    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (1400, 1280)
    colored = (img.max(axis=2).astype(int) - img.min(axis=2)) > 60  # saturated plot pixels
    assert colored.mean() > 0.02, "the screenshot shows no colored plot"


@pytest.mark.parametrize("case", ["not a folder", "not audience", "long subtitles",
                                  "both scene sources", "no dialogue"])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, audience_dir, demo_script, case,
                                                   capsys):
    out = tmp_path / "out"
    args = ["report", "-o", str(out), "-q", "--audience", str(audience_dir)]
    if case == "not a folder":
        args[-1] = str(demo_script["subtitles"])
    elif case == "not audience":
        args[-1] = str(tmp_path)
    elif case == "long subtitles":
        long = tmp_path / "long.srt"
        long.write_text("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:09:00,000 --> 00:09:02,000\nBye\n")
        args += ["--subtitles", str(long)]
    elif case == "both scene sources":
        args += ["--screenplay", str(demo_script["screenplay"]), "--scenes",
                 str(demo_script["scenes"])]
    else:
        empty = tmp_path / "silent.fountain"
        empty.write_text("EXT. FIELD - DAY\n\nWind.\n")
        args += ["--screenplay", str(empty)]
    assert run_cli(args) == 2
    cap = capsys.readouterr()
    err = (cap.out + cap.err).strip()
    assert "error:" in err and len(err.splitlines()) <= 3 and "Traceback" not in err
    assert not out.exists()


def test_compare_two_screenings(tmp_path):
    plan = [(10, 20, "happy")]
    a = write_audience(tmp_path / "a", 30, plan, viewers=8, noise=0.05, seed=1)
    b = write_audience(tmp_path / "b", 30, plan, viewers=8, noise=0.05, seed=2, shift=1.0)
    scenes = tmp_path / "scenes.csv"
    scenes.write_text("time,end,heading,dominant\n0,10,calm,x\n10,20,joy,y\n20,30,calm again,z\n")
    out = tmp_path / "cmp"
    assert run_cli(["compare", str(a), str(b), "-o", str(out), "--scenes", str(scenes),
                    "--boot", "300", "-q"]) == 0
    rows = pacsv.read_csv(out / "compare_scenes.csv").to_pylist()
    happy = {r["heading"]: r for r in rows if r["measure"] == "happy"}
    assert happy["joy"]["significant"] and happy["joy"]["diff"] > 0.05
    assert not happy["calm"]["significant"]
    secs = Signals.read(out / "compare_seconds.parquet")
    assert len(secs) == 30 * 10  # 30 seconds x 10 measures
    short = write_audience(tmp_path / "short", 12, plan, viewers=3)
    assert run_cli(["compare", str(a), str(short), "-o", str(tmp_path / "x"), "-q"]) == 2
    assert not (tmp_path / "x").exists()


def test_report_on_the_real_audience_job(tmp_path):
    """The demo screening (2 seats, 8 s) through ``moviemotion audience``, then the report."""
    from moviemotion.samples.screening import make_screening

    scr = make_screening(tmp_path / "screening", seats=2, duration=8.0, fps=6)
    script = write_demo_script(tmp_path / "screening", duration=8.0)
    aud = tmp_path / "audience"
    assert run_cli(["audience", str(tmp_path / "screening" / "seats"), "--manifest",
                    str(scr["manifest"]), "--movie", str(scr["movie"]), "-o", str(aud)]) == 0
    out = tmp_path / "report"
    assert run_cli(["report", "-o", str(out), "--audience", str(aud), "-q",
                    "--subtitles", str(script["subtitles"]),
                    "--screenplay", str(script["screenplay"])]) == 0
    scenes = Signals.read(out / "scenes.parquet")
    # the screenplay has 6 scenes; the 8 s cut holds the first two (0-5, 5-8) and the rest
    # are squeezed at the end with no dialogue to place them
    assert scenes.column("placed_by").tolist()[:2] == ["dialogue", "dialogue"]
    assert abs(scenes.end[0] - 5.0) <= 1.0 and scenes.end[-1] == pytest.approx(8.0)
    assert scenes.column("confidence").tolist()[2:] == [0.0] * 4
    lines = Signals.read(out / "lines.parquet")
    assert len(lines) == 4 and np.all(np.asarray(lines.column("viewers")) >= 1)
    html = (out / "screening.html").read_text()
    assert "data:image/jpeg;base64" in html  # movie thumbnails from the audience run's movie


def test_report_with_movie_analysis_and_flash_check(tmp_path, audience_dir, demo_script):
    import json

    import pyarrow as pa

    from moviemotion.io import write_table
    from moviemotion.script.arc import valence_arousal
    from moviemotion.script.inputs import read_audience

    aud = read_audience(audience_dir)
    _, arousal = valence_arousal(aud.probabilities())
    movie = tmp_path / "movie"
    movie.mkdir()
    t = np.arange(24, dtype=np.float64)
    write_table(pa.table({"time": t, "content_arousal": arousal, "motion": np.cos(t),
                          "scene_top1": ["kitchen"] * 5 + ["garden"] * 19}), movie / "movie.parquet")
    cuts = np.array([0.0, 5.0, 9.0, 12.0, 15.0, 19.0])
    write_table(pa.table({"time": cuts, "end": np.append(cuts[1:], 24.0)}), movie / "shots.csv")
    flash = tmp_path / "clip.flash-broadcast.json"
    flash.write_text(json.dumps({"verdict": "fail", "profile": "broadcast", "incidents": [
        {"start": 3.0, "end": 4.5, "kind": "general"}]}))
    out = tmp_path / "report"
    assert run_cli(["report", "-o", str(out), "--audience", str(audience_dir), "-q",
                    "--movie", str(movie), "--flashes", str(flash),
                    "--subtitles", str(demo_script["subtitles"]),
                    "--screenplay", str(demo_script["screenplay"])]) == 0
    scenes = Signals.read(out / "scenes.parquet")
    assert np.allclose(scenes.time, cuts)  # boundaries snapped onto the shot cuts
    assert scenes.column("movie_scene_top1").tolist()[:2] == ["kitchen", "garden"]
    assert scenes.column("movie_cuts").tolist() == [0] * 6
    lines = Signals.read(out / "lines.parquet")
    assert "movie_motion" in lines.columns and "movie_content_arousal" in lines.columns
    summary = json.loads((out / "summary.json").read_text())
    top = summary["coupling"][0]
    assert top["signal"] == "content_arousal" and top["r"] > 0.8  # follows the room exactly
    assert summary["flashes"] == {"verdict": "fail", "incidents": 1}
    html = (out / "screening.html").read_text()
    assert html.count("Plotly.newPlot") == 5 and "Flash check" in html


def test_report_from_the_audience_alone(tmp_path, audience_dir):
    out = tmp_path / "report"
    assert run_cli(["report", "-o", str(out), "--audience", str(audience_dir), "-q"]) == 0
    scenes = Signals.read(out / "scenes.parquet")
    assert scenes.column("placed_by").tolist() == ["window"] and scenes.end[0] == 24.0
    assert not (out / "lines.csv").exists() and (out / "arc.csv").is_file()
