"""The command line: help with examples everywhere, one clear line and an exit code for user errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from moviemotion.cli import app
from moviemotion.samples import clips as synth


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviemotion", *args], capture_output=True, text=True,
                          timeout=timeout)


def _all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd, prefix: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, [*prefix, name])
        else:
            paths.append(prefix)

    walk(root, [])
    return paths


def test_every_command_has_help_with_an_example():
    paths = _all_command_paths()
    assert ["info"] in paths and ["sample"] in paths
    root = typer.main.get_command(app)
    for path in paths:
        cmd = root
        for name in path:
            cmd = cmd.commands[name]
        help_text = (cmd.help or "")
        assert "Example" in help_text, f"'moviemotion {' '.join(path)} --help' shows no example"


def test_help_runs():
    r = run_cli("--help")
    assert r.returncode == 0 and "Example" in r.stdout


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("moviemotion ")


@pytest.mark.parametrize("content", [None, b"", b"garbage" * 100])
def test_bad_video_gives_one_line_and_exit_3(tmp_path, content):
    path = tmp_path / "movie.mp4"
    if content is not None:
        path.write_bytes(content)
    r = run_cli("info", str(path))
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert "error:" in r.stderr and "movie.mp4" in r.stderr


def test_sample_then_info(tmp_path):
    out = tmp_path / "flash.mp4"
    r = run_cli("sample", "flashes", str(out), "--duration", "1", "--width", "160", "--height", "90")
    assert r.returncode == 0, r.stderr
    r = run_cli("info", str(out), "--json")
    assert r.returncode == 0
    import json

    info = json.loads(r.stdout)
    assert info["width"] == 160 and info["fps"] == pytest.approx(25)


def test_sample_renders_known_flashes(tmp_path):
    from moviemotion.video import open_video

    p = synth.write_video(tmp_path / "f.mp4", synth.flashes((64, 48), fps=20, duration=1, hz=5), fps=20,
                          full_range=True)
    with open_video(p) as v:
        means = [float(g.mean()) for _, g in v.frames(mode="gray")]
    lit = [m > 128 for m in means]
    # 5 Hz at 20 fps: 2 frames on, 2 frames off
    assert lit == [True, True, False, False] * 5
