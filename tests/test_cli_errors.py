"""User errors common to every command (reliability sweep D5, D6, D17, D19, D20, D21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from moviemotion.errors import EXIT_CODES, OutputError
from moviemotion.io import atomic_write_text, ensure_output_dir


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "moviemotion", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def one_error_line(p: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in p.stderr, p.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    return lines[0]


def test_brackets_in_file_names_are_printed_as_written(tmp_path):
    bad = tmp_path / "take[final].mp4"
    bad.write_bytes(b"not a video")
    p = run_cli("info", str(bad))
    assert p.returncode == 3
    assert "take[final].mp4" in one_error_line(p)


def test_image_renamed_mp4_is_refused(tmp_path):
    img = tmp_path / "img.png"
    cv2.imwrite(str(img), np.zeros((48, 64, 3), np.uint8))
    fake = tmp_path / "img.mp4"
    fake.write_bytes(img.read_bytes())
    p = run_cli("info", str(fake))
    assert p.returncode == 3 and "is an image" in one_error_line(p)


def raw_h264(path, n=10):
    """An elementary H.264 stream: no container, unknown duration, cannot seek."""
    import av

    with av.open(str(path), "w", format="h264") as out:
        s = out.add_stream("libx264", rate=10)
        s.width = s.height = 32
        s.pix_fmt = "yuv420p"
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 20, np.uint8), "rgb24")
            for pkt in s.encode(frame):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    return path


def test_info_json_is_strict_json(tmp_path):
    p = run_cli("info", "--json", str(raw_h264(tmp_path / "raw.h264")))
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert d["duration"] is None  # unknown, written as null


def test_a_stream_that_cannot_seek_is_read_whole(tmp_path):
    from moviemotion.video import open_video

    with open_video(raw_h264(tmp_path / "raw.h264")) as v:
        assert len(list(v.frames(mode="gray"))) == 10


@pytest.mark.parametrize(("args", "needle"), [
    (["--width", "17", "--height", "10"], "--width 17"),
    (["--width", "0"], "--width 0"),
    (["--fps", "0"], "--fps"),
    (["--duration", "0"], "--duration"),
    (["--duration", "nan"], "--duration"),
    (["--area", "2"], "--area"),
    (["--area", "-1"], "--area"),
])
def test_sample_checks_every_number_first(tmp_path, args, needle):
    out = tmp_path / "x.mp4"
    p = run_cli("sample", "flashes", str(out), *args)
    assert p.returncode == 2 and needle in one_error_line(p)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_sample_screening_needs_a_seat(tmp_path):
    p = run_cli("sample", "screening", str(tmp_path / "s"), "--seats", "0")
    assert p.returncode == 2 and "--seats" in one_error_line(p)


def test_unwritable_output_is_exit_5_with_the_path(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    p = run_cli("sample", "flashes", str(afile / "x.mp4"), "--duration", "1")
    line = one_error_line(p)
    assert p.returncode == 5 == OutputError.exit_code and "afile" in line
    assert EXIT_CODES[5].startswith("an output")


def test_atomic_write_errors_name_the_target(tmp_path):
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(OutputError, match="dir.txt: cannot write"):
        atomic_write_text(tmp_path / "dir.txt", "x")
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(OutputError, match="is a file"):
        ensure_output_dir(f)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_long_warning_lines_do_not_wrap(tmp_path):
    from moviemotion.progress import console

    assert console.soft_wrap
    long_name = "x" * 150
    code = ("import warnings; from moviemotion.cli import _show_warning; "
            f"_show_warning('{long_name} ends here', UserWarning, 'f', 1)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "80"})
    assert p.stderr.count("\n") == 1 and "ends here" in p.stderr


def _without_root_privileges() -> list[str]:
    """Root reads any file; run the command with permission bits applying (D15)."""
    import shutil

    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("setpriv is needed to drop root's read override")
    return ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_unreadable_input_named_on_the_command_line_is_one_line(tmp_path):
    from moviemotion.samples import clips as synth

    clip = synth.write_video(tmp_path / "noread.mp4",
                             synth.render(synth.solid((32, 32), (9, 9, 9)), 5, 1))
    clip.chmod(0)
    p = subprocess.run([*_without_root_privileges(), sys.executable, "-m", "moviemotion", "info",
                        str(clip)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 3, p.stderr
    assert "noread.mp4" in one_error_line(p) and "Permission denied" in p.stderr
