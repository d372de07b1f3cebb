"""Bad options, diverging training, foreign checkpoints and models: one-line errors (D9, D11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from learn_synth import one_block, sequences
from onnx import TensorProto, helper, numpy_helper

from moviemotion.errors import InputError, ModelError
from moviemotion.learn import Predictor, Task
from moviemotion.learn.archs import build
from moviemotion.learn.onnx import export_onnx
from moviemotion.learn.train import TrainConfig, load_checkpoint, train

IMG = Task("img", (1, 16, 16), ("a", "b", "c"), mean=100.0, std=60.0)
SEQ = Task("seq", (4, 3), ("level", "last"), "regression")


@pytest.mark.parametrize("options, message", [
    ({"lr": float("nan")}, "--lr nan: must be a finite number > 0"),
    ({"lr": -1.0}, "--lr -1.0: must be a finite number > 0"),
    ({"lr": float("inf")}, "--lr inf"),
    ({"label_smoothing": 2.0}, "--label-smoothing 2.0: must be a finite number >= 0 and < 1"),
    ({"weight_decay": float("nan")}, "--weight-decay nan"),
    ({"device": "tpu"}, "unknown device 'tpu'"),
    ({"epochs": 0}, "--epochs 0"),
    ({"batch_size": 0}, "--batch-size 0"),
    ({"threads": 0}, "--threads 0"),
    ({"augment": "wild"}, "unknown augmentation 'wild'"),
    ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ({"arch_args": {"width": "abc"}}, "cannot be built with width='abc'"),
    ({"arch_args": {"nonsense": 1}}, "unexpected keyword argument 'nonsense'"),
    ({"arch": "resnet9"}, "unknown architecture 'resnet9'"),
])
def test_bad_options_fail_before_any_work(tmp_path: Path, options: dict, message: str) -> None:
    cfg = TrainConfig(**{"arch": "vgg", "arch_args": {"width": 4}, "epochs": 1, **options})
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        train(IMG, cfg, tmp_path / "run", "never read", "never read")
    assert not (tmp_path / "run").exists()


def test_architecture_must_fit_the_task(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="takes images"):
        train(SEQ, TrainConfig(arch="vgg"), tmp_path / "r", None, None)
    with pytest.raises(InputError, match="needs image inputs"):
        train(SEQ, TrainConfig(arch="mlp", augment="light"), tmp_path / "r", None, None)
    with pytest.raises(InputError, match=r"takes inputs of shape \(4, 3\), got \(3, 4\)"):
        x, y = sequences(8)
        train(SEQ, TrainConfig(arch="mlp", epochs=1, threads=1), tmp_path / "r",
              (x.transpose(0, 2, 1), y), (x, y), quiet=True)


def test_diverging_training_stops_with_an_error(tmp_path: Path) -> None:
    x, y = sequences(64)
    cfg = TrainConfig(arch="mlp", epochs=3, lr=1e12, optimizer="sgd", threads=1, seed=0)
    with pytest.raises(InputError, match="training diverged"):
        train(SEQ, cfg, tmp_path / "run", (x, y * 1e3), (x, y), quiet=True)
    assert not (tmp_path / "run" / "model.onnx").exists()


def test_foreign_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing.pt: checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "random.pt"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ModelError, match="random.pt: not a moviemotion checkpoint"):
        load_checkpoint(junk)
    other = tmp_path / "other.pt"
    torch.save({"weights": [1, 2]}, other)
    with pytest.raises(ModelError, match="other.pt: not a moviemotion checkpoint"):
        load_checkpoint(other, IMG)


def _onnx_3_outputs(path: Path, classes: str | None = None) -> Path:
    w = numpy_helper.from_array(np.zeros((256, 3), np.float32), "W")
    shp = numpy_helper.from_array(np.array([-1, 256], np.int64), "shp")
    g = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shp"], ["xf"]), helper.make_node("MatMul", ["xf", "W"], ["z"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 16, 16])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 3])], [w, shp])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    if classes is not None:
        e = m.metadata_props.add()
        e.key, e.value = "classes", classes
    onnx.save(m, str(path))
    return path


def test_models_that_do_not_fit(tmp_path: Path) -> None:
    m = _onnx_3_outputs(tmp_path / "three.onnx", classes='["a", "b", "c"]')
    assert Predictor(m).predict(np.zeros((2, 1, 16, 16))).shape == (2, 3)
    with pytest.raises(ModelError, match=r"three.onnx: model classes .* differ"):
        Predictor(m, outputs=("a", "b", "c", "d"))
    with pytest.raises(ModelError, match=r"expected one input of shape \(N, 1, 48, 48\)"):
        Predictor(m, input_shape=(1, 48, 48))
    with pytest.raises(ModelError, match="unreadable metadata"):
        Predictor(_onnx_3_outputs(tmp_path / "badmeta.onnx", classes="angry,sad"))
    with pytest.raises(ModelError, match=r"output shape \(N, 3\), expected \(N, 2\)"):
        Predictor(_onnx_3_outputs(tmp_path / "two.onnx", classes='["a", "b"]'))


def test_model_that_outputs_nan(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = build("vgg", IMG, width=4)
    with torch.no_grad():
        net.head[3].weight.fill_(float("nan"))
    path = export_onnx(net, tmp_path / "nan.onnx", IMG)
    with pytest.raises(ModelError, match="nan.onnx: the model outputs NaN"):
        Predictor(path)


def test_images_for_a_non_image_model(tmp_path: Path) -> None:
    torch.manual_seed(0)
    p = Predictor(export_onnx(build("mlp", SEQ), tmp_path / "seq.onnx", SEQ))
    assert p.predict(sequences(3)[0]).shape == (3, 2)
    with pytest.raises(InputError, match="not an image model"):
        p.prepare_images([np.zeros((8, 8), np.uint8)])
    with pytest.raises(InputError, match=r"inputs must have shape \(N, 4, 3\)"):
        p.predict(np.zeros((2, 3, 4)))
    with pytest.raises(InputError, match="mirror averaging needs image inputs"):
        export_onnx(build("mlp", SEQ), tmp_path / "m.onnx", SEQ, mirror=True)
    x, y = one_block(4, channels=1)
    assert x.shape == (4, 1, 16, 16) and len(y) == 4
