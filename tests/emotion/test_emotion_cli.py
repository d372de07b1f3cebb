"""The CLI: help texts, a tiny train + evaluate run, errors as one line and an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moviemotion.cli import main


def cli(argv: list[str]) -> int:
    """Run the CLI in-process; its exit status."""
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize("argv", [["train", "--help"], ["train", "emotion", "--help"],
                                  ["evaluate", "emotion", "--help"]])
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert "Example" in out or "emotion" in out


def test_train_then_evaluate(tiny_npz: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert 0 == cli(["train", "emotion", "--data", str(tiny_npz), "--arch", "vgg", "-A", "width=4",
          "--epochs", "3", "--batch-size", "16", "--augment", "none", "--threads", "1",
          "-o", str(run), "--quiet"])
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["arch_args"] == {"width": 4} and cfg["epochs"] == 3
    assert cfg["command"].startswith("moviemotion train emotion --data")
    capsys.readouterr()
    assert 0 == cli(["evaluate", "emotion", "--data", str(tiny_npz), "--model", str(run / "model.onnx"),
          "--tta", "--json", "-o", str(tmp_path / "eval")])
    result = json.loads(capsys.readouterr().out)
    assert result["tta"] is True and result["full"]["n"] == 28 and result["duplicates"] == 2
    assert (tmp_path / "eval" / "confusion_matrix.png").is_file()
    # The checkpoint (run folder) scores the same as its ONNX export.
    assert 0 == cli(["evaluate", "emotion", "--data", str(tiny_npz), "--model", str(run), "--json"])
    from_checkpoint = json.loads(capsys.readouterr().out)["full"]
    assert 0 == cli(["evaluate", "emotion", "--data", str(tiny_npz),
                     "--model", str(run / "model.onnx"), "--json"])
    from_onnx = json.loads(capsys.readouterr().out)["full"]
    assert from_checkpoint["confusion"] == from_onnx["confusion"]


def test_errors_exit_nonzero(tmp_path: Path, tiny_npz: Path) -> None:
    assert cli(["evaluate", "emotion", "--data", str(tiny_npz),
                "--model", str(tmp_path / "none.onnx")]) == 4
    assert cli(["train", "emotion", "--data", str(tmp_path / "missing.csv"),
                "-o", str(tmp_path / "run")]) == 2
    assert not (tmp_path / "run" / "last.pt").exists()
