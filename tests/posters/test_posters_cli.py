"""``moviemotion posters`` and ``moviemotion train poster``: tables, JSON, errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moviemotion.posters.classifier import MODELS
from moviemotion.posters.training import ship


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviemotion", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "120"})


def one_error_line(p: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in p.stderr, p.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    return lines[0]


def test_posters_table_and_json(tiny_runs: dict[str, Path], posters_dir: Path, tmp_path: Path):
    model = ship(tiny_runs["multilabel"], tmp_path / "m.onnx")
    folder = tmp_path / "in"
    folder.mkdir()
    for pid in ("val0000", "val0006"):                      # color and grayscale
        (folder / f"{pid}.jpg").write_bytes((posters_dir / "images" / f"{pid}.jpg").read_bytes())
    p = run_cli("posters", str(folder), "--model", str(model), "--top", "2")
    assert p.returncode == 0, p.stderr
    assert "val0000.jpg" in p.stdout and "val0006.jpg" in p.stdout and "probability" in p.stdout
    p = run_cli("posters", str(folder / "val0000.jpg"), "--model", str(model), "--json")
    rows = json.loads(p.stdout)
    assert len(rows) == 1 and set(rows[0]["probabilities"]) == {"Action", "Comedy", "Drama", "Horror", "Romance"}


@pytest.mark.skipif(not MODELS["multilabel"].is_file(), reason="no shipped poster model")
def test_shipped_model_runs(posters_dir: Path):
    p = run_cli("posters", str(posters_dir / "images" / "val0001.jpg"), "--json")
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)[0]["probabilities"]) >= 10


def test_unreadable_poster_exit_2(tmp_path: Path):
    bad = tmp_path / "poster.jpg"
    bad.write_text("not an image")
    p = run_cli("posters", str(bad))
    assert p.returncode == 2 and "poster.jpg: not a readable image" in one_error_line(p)
    p = run_cli("posters", str(tmp_path / "missing.png"))
    assert p.returncode == 2 and "missing.png: not found" in one_error_line(p)


def test_train_with_missing_genre_columns_exit_2(tmp_path: Path):
    (tmp_path / "train.csv").write_text("Id,Genre,Drama\nx,[],1\n")
    (tmp_path / "val.csv").write_text("Id,Genre,Drama\ny,[],1\n")
    p = run_cli("train", "poster", "--data", str(tmp_path), "--head", "single", "-o", str(tmp_path / "r"))
    assert p.returncode == 2
    assert "train.csv: missing genre column(s) Comedy, Horror, Action, Romance" in one_error_line(p)


def test_help_has_examples():
    for args in (("posters", "--help"), ("train", "poster", "--help"), ("train", "emotion", "--help")):
        p = run_cli(*args)
        assert p.returncode == 0 and "Example" in p.stdout


def test_train_poster_takes_the_kits_regularizers(posters_dir: Path, tmp_path: Path):
    """--ema / --mixup reach the trainer (config.json, the recorded command) and change the run."""
    common = ("train", "poster", "--data", str(posters_dir), "--arch", "vgg", "-A", "width=4",
              "--height", "32", "--width", "24", "--epochs", "1", "--min-count", "5",
              "--threads", "1", "-q")
    for name, extra in (("plain", ()), ("reg", ("--ema", "0.9", "--mixup", "0.2"))):
        p = run_cli(*common, *extra, "-o", str(tmp_path / name))
        assert p.returncode == 0, p.stderr
    cfg = json.loads((tmp_path / "reg" / "config.json").read_text())
    assert cfg["ema"] == 0.9 and cfg["mixup"] == 0.2 and "--mixup 0.2 --ema 0.9" in cfg["command"]
    plain = json.loads((tmp_path / "plain" / "evaluation.json").read_text())
    reg = json.loads((tmp_path / "reg" / "evaluation.json").read_text())
    assert plain != reg
