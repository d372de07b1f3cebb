"""Bad models, data and options for the emotion commands: one line, the documented exit code,
no run folder (reliability sweep D9, D11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from emotion_synth import synthetic_faces, write_npz
from test_emotion_cli import cli

from moviemotion.emotion import Predictor
from moviemotion.emotion.data import load
from moviemotion.emotion.export import export_onnx
from moviemotion.emotion.task import build
from moviemotion.errors import InputError, ModelError


def _csv(path: Path, usage: bool = True, per_class: int = 3) -> Path:
    x, y = synthetic_faces(per_class)
    header = "emotion,pixels" + (",Usage" if usage else "")
    rows = [header] + [f'{label},"{" ".join(map(str, face.ravel()))}"'
                       + ("," + ("Training" if i % 3 else "PublicTest") if usage else "")
                       for i, (face, label) in enumerate(zip(x, y, strict=True))]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_model_with_wrong_output_shape(tmp_path: Path, tiny_npz: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.zeros((2304, 3), np.float32), "W")
    shp = numpy_helper.from_array(np.array([-1, 2304], np.int64), "shp")
    g = helper.make_graph([helper.make_node("Reshape", ["x", "shp"], ["xf"]),
                           helper.make_node("MatMul", ["xf", "W"], ["z"]),
                           helper.make_node("Softmax", ["z"], ["p"], axis=1)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 48, 48])],
                          [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 3])], [w, shp])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "out3.onnx"))
    with pytest.raises(ModelError, match=r"out3.onnx: output shape \(N, 3\), expected \(N, 7\)"):
        Predictor(tmp_path / "out3.onnx")
    assert cli(["evaluate", "emotion", "--data", str(tiny_npz), "--model",
                str(tmp_path / "out3.onnx")]) == 4


def test_model_that_outputs_nan_is_refused(tmp_path: Path) -> None:
    net = build("vgg", width=4).eval()
    with torch.no_grad():
        net.features[1][0].weight.fill_(float("nan"))
    path = export_onnx(net, tmp_path / "nan.onnx")
    with pytest.raises(ModelError, match="nan.onnx: the model outputs NaN"):
        Predictor(path)


def test_checkpoints_that_are_not(tmp_path: Path, tiny_npz: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "random.pt"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    (tmp_path / "emptyrun").mkdir()
    for model in (junk, tmp_path / "missing.pt", tmp_path / "emptyrun"):
        assert cli(["evaluate", "emotion", "--data", str(tiny_npz), "--model", str(model)]) == 4
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("option", [["--lr", "nan"], ["--lr", "-1"], ["--label-smoothing", "2"],
                                    ["--device", "tpu"], ["-A", "width=abc"], ["-A", "nonsense=1"],
                                    ["--epochs", "0"], ["--threads", "0"], ["-A", "=3"]])
def test_impossible_options_fail_before_any_work(tmp_path: Path, tiny_npz: Path, option: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    argv = ["train", "emotion", "--data", str(tiny_npz), "-A", "width=4", "--epochs", "1",
            "-q", "-o", str(run), *option]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not run.exists()


def test_csv_without_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "nousage.csv", usage=False)
    faces = load(path, "Training")
    assert faces.whole_file and len(faces) == 21
    assert cli(["train", "emotion", "--data", str(path), "-A", "width=4", "--epochs", "1",
                "-q", "-o", str(tmp_path / "run")]) == 2
    assert "one split only" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    # evaluate scores the whole file; de-duplication against itself is skipped, no crash
    assert cli(["evaluate", "emotion", "--data", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["full"]["n"] == 21 and result["duplicates"] == 21 and "dedup" not in result


def test_corrupt_npz_and_pixel_range(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InputError, match="bad.npz: not a readable .npz file"):
        load(bad, "Training")
    x, y = synthetic_faces(1)
    wide = x.astype(np.int16)
    wide[0, 0, 0] = 300
    np.savez(tmp_path / "wide.npz", x=wide, y=y, split=np.zeros(len(y), np.uint8))
    with pytest.raises(InputError, match=r"wide.npz: pixel values must be whole numbers 0-255 \(found 40 to 300\)"):
        load(tmp_path / "wide.npz", "Training")


def test_csv_parse_matches_npz(tmp_path: Path) -> None:
    """The column-wise parser reads exactly the pixels a per-row loop would."""
    npz = write_npz(tmp_path / "t.npz", per_class_train=3, per_class_test=1)
    train = load(npz, "Training")
    path = tmp_path / "t.csv"
    path.write_text("emotion,pixels,Usage\n" + "".join(
        f'{label},{" ".join(map(str, face.ravel()))},Training\n'
        for face, label in zip(train.x, train.y, strict=True)))
    got = load(path, "Training")
    np.testing.assert_array_equal(got.x, train.x)
    np.testing.assert_array_equal(got.y, train.y)


def test_ship_command(tmp_path: Path, tiny_npz: Path) -> None:
    run = tmp_path / "run"
    assert cli(["train", "emotion", "--data", str(tiny_npz), "-A", "width=4", "--epochs", "1",
                "--augment", "none", "--threads", "1", "-q", "-o", str(run)]) == 0
    dest = tmp_path / "weights" / "default.onnx"
    assert cli(["ship", "emotion", str(run), "--dest", str(dest)]) == 0
    assert dest.read_bytes() == (run / "model.onnx").read_bytes()
    card = json.loads(dest.with_suffix(".json").read_text())
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert card["metrics"]["full"]["accuracy"] == evaluation["full"]["accuracy"]
    assert card["command"].startswith("moviemotion train emotion") and card["mirror_averaged"] is False
    assert "moviemotion train emotion" in dest.with_suffix(".md").read_text()
    assert cli(["ship", "emotion", str(tmp_path / "nowhere")]) == 2


def test_csv_with_loose_whitespace_parses_the_same(tmp_path: Path) -> None:
    """Pixels separated by runs of spaces (not the Kaggle layout) take the checked path."""
    x, y = synthetic_faces(1)
    path = tmp_path / "loose.csv"
    path.write_text("emotion,pixels,Usage\n" + "".join(
        f'{label}," {"  ".join(map(str, face.ravel()))} ",Training\n'
        for face, label in zip(x, y, strict=True)))
    np.testing.assert_array_equal(load(path, "Training").x, x)
