"""``moviemotion flashes``: exit codes, outputs, help; and the HTML report in a browser."""

from __future__ import annotations

import json
import re

import pyarrow.csv as pacsv
import pytest

from moviemotion.cli import main
from moviemotion.flash import analyze
from moviemotion.flash.analyzer import FRAME_COLUMNS
from moviemotion.report.flash import write_flash_report
from moviemotion.samples import clips as synth

SIZE = (160, 90)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    fail = synth.write_video(d / "strobe.mp4", synth.render(
        synth.flashing(SIZE, 5, area=0.3, where="left"), 25, 2), fps=25)
    ok = synth.write_video(d / "calm.mp4", synth.render(synth.flashing(SIZE, 2), 25, 2), fps=25)
    return {"fail": fail, "pass": ok}


def run(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, out.out + out.err


def test_fail_writes_csv_json_html_and_exits_2(clips, tmp_path, capsys):
    code, text = run(["flashes", str(clips["fail"]), "-o", str(tmp_path), "-q"], capsys)
    assert code == 2 and "FAIL" in text and "broadcast" in text
    def stem(suffix):
        return tmp_path / f"strobe.flash-broadcast{suffix}"

    summary = json.loads(stem(".json").read_text())
    assert summary["profile"] == "broadcast" and summary["verdict"] == "fail"
    (inc,) = summary["incidents"]
    assert inc["type"] == "luminance_flash" and inc["bbox"] == [0, 0, 48, 90]
    table = pacsv.read_csv(stem(".csv"))
    assert table.column_names == ["profile", *FRAME_COLUMNS] and table.num_rows == 50
    assert set(table.column("profile").to_pylist()) == {"broadcast"}
    assert max(table.column("lum_flashes").to_pylist()) == 5
    incidents = pacsv.read_csv(stem(".incidents.csv"))
    assert incidents.column_names[:4] == ["time", "end", "type", "severity"]
    assert incidents.column("type").to_pylist() == ["luminance_flash"]
    assert incidents.column("bbox_width").to_pylist() == [48]
    assert "profile broadcast" in stem(".html").read_text()
    assert not list(tmp_path.glob("*.tmp*"))


def test_pass_and_selected_outputs(clips, tmp_path, capsys):
    code, _ = run(["flashes", str(clips["pass"]), "-o", str(tmp_path), "--json", "-q",
                   "--profile", "wcag"], capsys)
    assert code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["calm.flash-wcag.json"]
    assert json.loads((tmp_path / "calm.flash-wcag.json").read_text())["profile"] == "wcag"


def test_unreadable_video_exits_3_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    out = tmp_path / "out"
    code, text = run(["flashes", str(bad), "-o", str(out)], capsys)
    assert code == 3 and "bad.mp4" in text and "Traceback" not in text
    assert not out.exists() or not any(out.iterdir())


def test_help_has_examples(capsys):
    code, text = run(["flashes", "--help"], capsys)
    assert code == 0
    assert re.search(r"Example: .*moviemotion flashes", text)
    assert "iris-compat" in text


def test_iris_compat_is_dispatched(clips, tmp_path, capsys):
    code, text = run(["flashes", str(clips["fail"]), "-p", "iris-compat", "-o", str(tmp_path),
                      "--json", "-q"], capsys)
    summary = json.loads((tmp_path / "strobe.flash-iris-compat.json").read_text())
    assert summary["profile"] == "iris-compat"
    assert code == {"pass": 0, "warning": 1, "fail": 2}[summary["verdict"]]


@pytest.mark.browser
def test_html_report_opens_in_chromium_without_errors(clips, tmp_path, browser):
    result = analyze(clips["fail"])
    page = write_flash_report(result, tmp_path / "report.html")
    dom, errors = browser.load(page)
    assert errors == []
    # every figure rendered: rate, area, luminance, red, heatmap
    assert dom.count('class="main-svg"') >= 5
    assert "Where on screen" in dom and "luminance_flash" in dom


@pytest.mark.browser
def test_iris_compat_report_opens_in_chromium_without_errors(clips, tmp_path, browser):
    result = analyze(clips["fail"], "iris-compat")
    dom, errors = browser.load(write_flash_report(result, tmp_path / "iris.html"))
    assert errors == []
    assert dom.count('class="main-svg"') >= 4 and "iris-compat" in dom
