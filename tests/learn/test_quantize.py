"""Int8 quantization of exported models (learn.onnx.quantize_int8) and the emotion model's
`ship --int8`: the quantized model agrees with the float one, keeps its metadata, and its
output activations stay float (probabilities sum to 1, sigmoids are not 8-bit steps)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from learn_synth import blocks, one_block

from moviemotion.errors import InputError
from moviemotion.learn import Predictor, Task
from moviemotion.learn.onnx import quantize_int8
from moviemotion.learn.train import TrainConfig, train

FAST = dict(threads=1, seed=1, schedule="constant", command="pytest", augment="none")


def _ops(path: Path) -> list[str]:
    return [n.op_type for n in onnx.load(str(path)).graph.node]


def test_multiclass_int8_agrees_with_float_and_keeps_metadata(tmp_path: Path) -> None:
    task = Task("blocks", (3, 16, 16), ("tl", "tr", "bl"), "multiclass", mean=100.0, std=60.0)
    xtr, ytr = one_block(150, seed=1)
    xva, yva = one_block(60, seed=2)
    cfg = TrainConfig(arch="vgg", arch_args={"width": 8}, epochs=4, batch_size=16, lr=0.05, **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr), (xva, yva), quiet=True)
    src = run / "model.onnx"
    dest = quantize_int8(src, tmp_path / "int8.onnx", xtr[:64])
    assert "QuantizeLinear" in _ops(dest) and "QuantizeLinear" not in _ops(src)
    full, small = Predictor(src), Predictor(dest)
    assert small.classes == full.classes and small.task == full.task
    meta = small.metadata
    assert json.loads(meta["quantized"])["calibration_inputs"] == 64
    p, q = full.predict(xva), small.predict(xva)
    np.testing.assert_allclose(q.sum(1), 1, atol=1e-5)            # the softmax stayed float
    assert (q.argmax(1) == p.argmax(1)).mean() >= 0.95
    assert (q.argmax(1) == yva).mean() >= (p.argmax(1) == yva).mean() - 0.05
    assert np.abs(q - p).max() < 0.2 and not np.array_equal(q, p)


def test_multilabel_sigmoids_stay_float(tmp_path: Path) -> None:
    task = Task("quads", (3, 16, 16), ("q0", "q1", "q2", "q3"), "multilabel", mean=100.0, std=60.0)
    xtr, ytr = blocks(120, seed=1)
    xva, _ = blocks(40, seed=2)
    cfg = TrainConfig(arch="vgg", arch_args={"width": 8}, epochs=3, batch_size=16, lr=0.05, **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr.astype(np.float32)), (xva, blocks(40, seed=2)[1]),
                quiet=True)
    q = Predictor(quantize_int8(run / "model.onnx", tmp_path / "int8.onnx", xtr[:32])).predict(xva)
    assert ((q >= 0) & (q <= 1)).all()
    off_grid = np.abs(q * 255 - np.round(q * 255)) > 1e-3          # not u8 steps of an output Q/DQ
    assert off_grid.mean() > 0.5


def test_calibration_must_be_finite_and_given(tmp_path: Path) -> None:
    task = Task("blocks", (3, 16, 16), ("tl", "tr", "bl"), "multiclass", mean=100.0, std=60.0)
    xtr, ytr = one_block(30, seed=1)
    cfg = TrainConfig(arch="vgg", arch_args={"width": 4}, epochs=1, batch_size=16, lr=0.05, **FAST)
    run = train(task, cfg, tmp_path / "run", (xtr, ytr), (xtr, ytr), quiet=True)
    with pytest.raises(InputError, match="calibration"):
        quantize_int8(run / "model.onnx", tmp_path / "a.onnx", np.zeros((0, 3, 16, 16)))
    with pytest.raises(InputError, match="calibration"):
        quantize_int8(run / "model.onnx", tmp_path / "b.onnx", np.full((2, 3, 16, 16), np.nan))
    assert not (tmp_path / "a.onnx").exists() and not (tmp_path / "b.onnx").exists()
