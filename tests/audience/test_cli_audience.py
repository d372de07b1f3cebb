"""``moviemotion audience`` / ``purge`` / ``sample screening`` from the command line: exit codes and messages."""

from __future__ import annotations

import subprocess
import sys


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviemotion", *args], capture_output=True, text=True,
                          timeout=300)


def test_empty_folder_is_one_clear_error(tmp_path):
    (tmp_path / "seats").mkdir()
    r = cli("audience", str(tmp_path / "seats"), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "contains no video files" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_offset_beyond_the_movie_exits_2_and_writes_nothing(screening, tmp_path):
    seats = screening["manifest"].parent / "seats"
    r = cli("audience", str(seats), "--movie", str(screening["movie"]), "--offset", "seat01=99",
            "-o", str(tmp_path / "out"), "--no-progress")
    assert r.returncode == 2 and "beyond the movie's end" in r.stderr and "seat01.mp4" in r.stderr
    assert not (tmp_path / "out").exists()
    bad = cli("audience", str(seats), "--offset", "seat01:3", "-o", str(tmp_path / "out"))
    assert bad.returncode == 2 and "LABEL=SECONDS" in bad.stderr
    knob = cli("audience", str(seats), "--detector", "haar", "--scale-factor", "0.9", "-o", str(tmp_path / "out"))
    assert knob.returncode == 2 and "scale factor must be > 1" in knob.stderr
    assert not (tmp_path / "out").exists()


def test_purge_cli(tmp_path):
    out = tmp_path / "out"
    (out / "recordings").mkdir(parents=True)
    (out / "recordings" / "seat01.parquet").write_bytes(b"x")
    r = cli("purge", str(out), "--older-than", "0")
    assert r.returncode == 0 and "deleted 1 file" in r.stderr
    assert not (out / "recordings").exists()
    assert cli("purge", str(tmp_path / "nope")).returncode == 2


def test_sample_screening_writes_movie_seats_and_manifest(tmp_path):
    r = cli("sample", "screening", str(tmp_path / "s"), "--duration", "3", "--seats", "2")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s" / "movie.mp4").is_file()
    assert sorted(p.name for p in (tmp_path / "s" / "seats").iterdir()) == ["seat01.mp4", "seat02.mp4"]
    assert (tmp_path / "s" / "manifest.csv").read_text().splitlines()[0] == "recording,label,offset"
