"""ONNX export and the onnxruntime Predictor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from emotion_synth import synthetic_faces

from moviemotion.emotion import DEFAULT_MODEL, EMOTIONS, Predictor
from moviemotion.emotion.export import export_onnx
from moviemotion.emotion.task import architectures, build
from moviemotion.errors import InputError, ModelError


def _trained_like(name: str) -> torch.nn.Module:
    """A network with non-trivial batch-norm statistics (as after training)."""
    torch.manual_seed(0)
    net = build(name)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.mark.parametrize("name", sorted(architectures()))
def test_onnx_matches_torch(name: str, tmp_path: Path) -> None:
    net = _trained_like(name)
    path = export_onnx(net, tmp_path / f"{name}.onnx", metadata={"arch": name})
    x, _ = synthetic_faces(3)
    with torch.no_grad():
        expected = torch.softmax(net(torch.from_numpy(x).float().unsqueeze(1)), 1).numpy()
    p = Predictor(path, threads=1, batch_size=8)       # several chunks
    got = p.predict(x)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert p.metadata["arch"] == name


def test_mirror_averaged_export(tmp_path: Path) -> None:
    net = _trained_like("mini_xception")
    path = export_onnx(net, tmp_path / "m.onnx", mirror=True)
    x, _ = synthetic_faces(2)
    t = torch.from_numpy(x).float().unsqueeze(1)
    with torch.no_grad():
        expected = 0.5 * (torch.softmax(net(t), 1) + torch.softmax(net(torch.flip(t, dims=[3])), 1))
    p = Predictor(path, threads=1, batch_size=5)
    got = p.predict(x)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)
    # a face and its mirror image now get the same answer
    np.testing.assert_allclose(p.predict(x[:, :, ::-1].copy()), got, atol=1e-4)
    assert p.metadata["mirror_averaged"] == "true"


def test_predictor_shapes_and_probabilities(tmp_path: Path) -> None:
    p = Predictor(export_onnx(_trained_like("mini_xception"), tmp_path / "m.onnx"))
    x, _ = synthetic_faces(2)
    probs = p.predict(x)
    assert probs.shape == (14, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert (probs >= 0).all()
    np.testing.assert_allclose(p.predict(x.astype(np.float32)), probs, atol=1e-6)
    assert p.predict(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)
    assert p.classes == EMOTIONS
    with pytest.raises(InputError, match=r"shape \(N, 48, 48\)"):
        p.predict(np.zeros((2, 64, 64), np.uint8))


def test_shipped_default_model() -> None:
    assert DEFAULT_MODEL.is_file()
    assert DEFAULT_MODEL.stat().st_size <= 20e6
    p = Predictor(threads=1)
    probs = p.predict(synthetic_faces(1)[0])
    assert probs.shape == (7, 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_bad_model_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="nope.onnx: emotion model not found"):
        Predictor(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="bad.onnx: not a valid ONNX model"):
        Predictor(bad)
    good = export_onnx(_trained_like("mini_xception"), tmp_path / "good.onnx").read_bytes()
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelError, match="cut.onnx"):
        Predictor(cut)
