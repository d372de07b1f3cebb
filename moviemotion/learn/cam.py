"""Class activation maps from ONNX: export a network with its last feature map as a second
output, and compute CAMs from it with numpy (Zhou et al. 2016, "Learning Deep Features for
Discriminative Localization").

For a "global average pooling + linear" head, the logit of class k is the spatial mean of
``M_k = W_k . F + b_k`` over the last feature map ``F`` (C, h, w), so ``M_k`` shows exactly
where the evidence for class k lies. :func:`export_cam_onnx` writes a model whose outputs are
the task's probabilities and ``features`` (N, C, h, w), and stores ``W`` (K, C) and ``b``
(K,) in its metadata (``cam_weight``, ``cam_bias``); with ``mirror`` the feature map is the
mean of the image's and (flipped back) its mirror image's, and the probabilities are the
softmax of the head on that mean, so maps and probabilities stay exactly consistent.
:class:`CamPredictor` runs it with onnxruntime and numpy only.

>>> p = CamPredictor("scenes.onnx")                                  # doctest: +SKIP
>>> probs, feats = p.predict_features(p.prepare_images([img]))       # doctest: +SKIP
>>> heat = p.heatmap(feats[0], probs[0].argmax(), img.shape[:2])     # (H, W) in [0, 1]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.learn.onnx import Predictor, activate, export_onnx
from moviemotion.learn.task import Task

FEATURES = "features"


def head_weights(net) -> tuple[np.ndarray, np.ndarray]:
    """``(W (K, C), b (K,))`` with ``net.class_maps(F) == W . F + b`` at every position; an
    :class:`InputError` when the network has no such per-position linear class maps."""
    import torch

    if not getattr(net, "cam_exact", False):
        raise InputError(f"{type(net).__name__} has no exact class activation maps")
    net.eval()
    with torch.no_grad():
        shape = net.forward_features(torch.zeros(1, *_input_shape(net))).shape
        c = int(shape[1])
        basis = torch.cat([torch.zeros(1, c), torch.eye(c)]).view(c + 1, c, 1, 1)
        maps = net.class_maps(basis)[:, :, 0, 0].double().numpy()
        b, w = maps[0], maps[1:].T - maps[0][:, None]
        probe = torch.randn(2, c, 3, 4)
        want = net.class_maps(probe).double().numpy()
    got = np.einsum("kc,nchw->nkhw", w, probe.double().numpy()) + b[None, :, None, None]
    if not np.allclose(got, want, atol=1e-4):
        raise InputError(f"{type(net).__name__}: class maps are not a per-position linear map "
                         "of the features")
    return w.astype(np.float32), b.astype(np.float32)


def _input_shape(net) -> tuple[int, ...]:
    shape = getattr(net, "cam_input_shape", None)
    if shape is None:
        raise InputError("set net.cam_input_shape (the task's input shape) before export")
    return tuple(shape)


def feature_model(net, task: Task, mirror: bool = False):
    """``net`` wrapped for export: raw input -> (task outputs, feature map)."""
    import torch
    from torch import nn

    class FeatureModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor):
            f = self.net.forward_features(x)
            if mirror:
                f = 0.5 * (f + torch.flip(self.net.forward_features(torch.flip(x, dims=[3])),
                                          dims=[3]))
            return activate(self.net.forward_head(f), task.kind), f

    return FeatureModel()


def export_cam_onnx(net, path: str | os.PathLike[str], task: Task,
                    metadata: dict[str, Any] | None = None, mirror: bool = False) -> Path:
    """Export ``net`` (a :class:`~moviemotion.learn.archs.common.Net` with exact class maps)
    with outputs ``probabilities`` and ``features`` and the head in the metadata."""
    if not task.is_image:
        raise InputError(f"task {task.name!r}: class activation maps need image inputs")
    net.cam_input_shape = task.input_shape
    w, b = head_weights(net)
    meta = {**(metadata or {}), "cam_weight": w.round(7).tolist(), "cam_bias": b.round(7).tolist(),
            "mirror_averaged": mirror}
    return export_onnx(net, path, task, meta, mirror, model=feature_model(net, task, mirror),
                       extra_outputs=(FEATURES,))


class CamPredictor(Predictor):
    """:class:`~moviemotion.learn.onnx.Predictor` of a model made by :func:`export_cam_onnx`:
    also returns the feature map and turns it into class activation maps (numpy only)."""

    def __init__(self, path: str | os.PathLike[str], threads: int | None = None,
                 batch_size: int = 64, **kw: Any):
        super().__init__(path, threads, batch_size, **kw)
        names = [o.name for o in self._session.get_outputs()]
        if FEATURES not in names or "cam_weight" not in self.metadata:
            raise ModelError(f"{self.path}: no '{FEATURES}' output or head weights in the "
                             "metadata (export it with learn.cam.export_cam_onnx)")
        try:
            self.weight = np.asarray(json.loads(self.metadata["cam_weight"]), np.float32)
            self.bias = np.asarray(json.loads(self.metadata["cam_bias"]), np.float32)
        except (ValueError, TypeError) as exc:
            raise ModelError(f"{self.path}: unreadable head weights ({exc})") from None
        if self.weight.shape[0] != len(self.classes) or self.bias.shape != (len(self.classes),):
            raise ModelError(f"{self.path}: head weights {self.weight.shape} do not match "
                             f"{len(self.classes)} classes")

    def predict_features(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(outputs (N, K), feature maps (N, C, h, w)) for ``x`` (N, *input_shape)."""
        x = np.asarray(x, np.float32)
        outs, feats = [], []
        for start in range(0, len(x), self.batch_size):
            chunk = np.ascontiguousarray(x[start:start + self.batch_size])
            o, f = self._session.run([self._output, FEATURES], {self._input: chunk})
            outs.append(o)
            feats.append(f)
        if not outs:
            raise InputError(f"{self.path.name}: no inputs")
        return np.concatenate(outs), np.concatenate(feats)

    def class_maps(self, features: np.ndarray) -> np.ndarray:
        """Class activation maps (N, K, h, w) of feature maps (N, C, h, w) (or one (C, h, w))."""
        f = np.asarray(features, np.float32)
        one = f.ndim == 3
        f = f[None] if one else f
        if f.shape[1] != self.weight.shape[1]:
            raise InputError(f"features have {f.shape[1]} channels, the head takes "
                             f"{self.weight.shape[1]}")
        maps = np.einsum("kc,nchw->nkhw", self.weight, f) + self.bias[None, :, None, None]
        return maps[0] if one else maps

    def heatmap(self, features: np.ndarray, k: int, size: Sequence[int]) -> np.ndarray:
        """The map of class ``k`` for one feature map (C, h, w), resized (bilinear) to
        ``size`` = (H, W) and scaled to [0, 1] (min -> 0, max -> 1; a flat map is all 0)."""
        return normalized_heatmap(self.class_maps(features)[int(k)], size)


def normalized_heatmap(cam: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """A class map (h, w) -> (H, W) float32 in [0, 1] (bilinear, pixel centres aligned)."""
    import cv2

    h, w = int(size[0]), int(size[1])
    m = cv2.resize(np.asarray(cam, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    lo, hi = float(m.min()), float(m.max())
    return (m - lo) / (hi - lo) if hi > lo else np.zeros((h, w), np.float32)
