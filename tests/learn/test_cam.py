"""learn.cam: ONNX export with the feature map and numpy class activation maps (exact)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moviemotion.errors import InputError, ModelError
from moviemotion.learn.archs import build
from moviemotion.learn.cam import CamPredictor, export_cam_onnx, head_weights, normalized_heatmap
from moviemotion.learn.task import Task


def random_net(arch: str, task: Task, **kw):
    torch.manual_seed(0)
    net = build(arch, task, **kw)
    for m in net.modules():  # non-trivial batch-norm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    return net.eval()


@pytest.mark.parametrize("arch, kw", [("resnet", {"width": 4}), ("vgg", {"width": 4})])
@pytest.mark.parametrize("mirror", [False, True])
def test_maps_from_onnx_equal_torch(tmp_path, arch, kw, mirror):
    task = Task("toy", (3, 32, 32), ("a", "b", "c"), mean=100.0, std=50.0)
    net = random_net(arch, task, **kw)
    path = export_cam_onnx(net, tmp_path / "m.onnx", task, mirror=mirror)
    p = CamPredictor(path, threads=1)
    x = np.random.default_rng(0).uniform(0, 255, (3, 3, 32, 32)).astype(np.float32)
    probs, feats = p.predict_features(x)
    maps = p.class_maps(feats)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        f = net.forward_features(xt)
        if mirror:
            f = 0.5 * (f + torch.flip(net.forward_features(torch.flip(xt, [3])), [3]))
        want_maps = net.class_maps(f).numpy()
        want_probs = torch.softmax(net.forward_head(f), 1).numpy()
    assert np.allclose(maps, want_maps, atol=1e-4) and np.allclose(probs, want_probs, atol=1e-5)
    # exact: the spatial mean of the maps is the logit
    logits = maps.mean(axis=(2, 3))
    soft = np.exp(logits - logits.max(1, keepdims=True))
    assert np.allclose(soft / soft.sum(1, keepdims=True), probs, atol=1e-5)
    assert np.array_equal(p.predict(x), probs)
    heat = p.heatmap(feats[0], 2, (40, 50))
    assert heat.shape == (40, 50) and heat.min() == 0 and heat.max() == pytest.approx(1)


def test_head_weights_need_exact_maps(tmp_path):
    task = Task("toy", (3, 16, 16), ("a", "b"))
    with pytest.raises(InputError, match="no exact class activation maps"):
        head_weights(build("mlp", Task("v", (8,), ("a", "b"))))
    net = random_net("mini_xception", Task("toy", (1, 48, 48), ("a", "b")))
    net.cam_input_shape = (1, 48, 48)
    with pytest.raises(InputError, match="per-position linear"):  # its maps are a 3x3 conv
        head_weights(net)
    from moviemotion.learn.onnx import export_onnx

    plain = export_onnx(random_net("resnet", task, width=4), tmp_path / "p.onnx", task)
    with pytest.raises(ModelError, match="features"):
        CamPredictor(plain)


def test_flat_map_is_zero():
    assert not normalized_heatmap(np.ones((3, 3)), (5, 7)).any()
