"""Export a trained network to a single-file ONNX model that :class:`Predictor` runs.

The exported graph takes raw pixels ``faces`` (N, 48, 48) float32 0-255 and returns
``probabilities`` (N, 7) (softmax inside); the batch axis is dynamic. The class names
and any extra metadata are stored in the model's metadata properties.

>>> from moviemotion.emotion.models import build
>>> from moviemotion.emotion.export import export_onnx
>>> export_onnx(build("mini_xception").eval(), "mini.onnx")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.io import atomic_path

OPSET = 17


class InferenceModel(nn.Module):
    """(N, 48, 48) raw pixels -> (N, 7) probabilities around a trained ``net``.

    ``mirror``: average the probabilities of each face and its mirror image (one batched
    forward pass of 2N faces): a cheap test-time augmentation baked into the graph.
    """

    def __init__(self, net: nn.Module, mirror: bool = False):
        super().__init__()
        self.net = net
        self.mirror = mirror

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        x = faces.unsqueeze(1)
        if not self.mirror:
            return torch.softmax(self.net(x), dim=1)
        n = faces.shape[0]
        probs = torch.softmax(self.net(torch.cat([x, torch.flip(x, dims=[3])], dim=0)), dim=1)
        return 0.5 * (probs[:n] + probs[n:])


def export_onnx(net: nn.Module, path: str | os.PathLike[str],
                metadata: dict[str, Any] | None = None, mirror: bool = False) -> Path:
    """Write ``net`` (in eval mode) to ``path`` as ONNX, atomically; returns the path.

    ``mirror`` bakes mirror-image averaging into the graph (see :class:`InferenceModel`).
    """
    import onnx

    path = Path(path)
    model = InferenceModel(net, mirror=mirror).eval().cpu()
    example = torch.zeros(2, 48, 48)
    with atomic_path(path) as tmp:
        with warnings.catch_warnings():   # the TorchScript exporter is "legacy" but exact
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message="Constant folding")
            torch.onnx.export(model, (example,), str(tmp), input_names=["faces"],
                              output_names=["probabilities"], opset_version=OPSET,
                              dynamic_axes={"faces": {0: "n"}, "probabilities": {0: "n"}},
                              dynamo=False)
        proto = onnx.load(str(tmp))
        meta = {"classes": json.dumps(list(EMOTIONS)), "mirror_averaged": json.dumps(mirror)}
        meta.update({k: v if isinstance(v, str) else json.dumps(v)
                     for k, v in (metadata or {}).items()})
        for k, v in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = k, v
        onnx.checker.check_model(proto)
        onnx.save(proto, str(tmp))
    return path


def ship(run_dir: str | os.PathLike[str], dest: str | os.PathLike[str] | None = None,
         mirror: bool = False, **extra: Any) -> Path:
    """Install a finished run's ``model.onnx`` as the package's default model.

    Copies it to ``dest`` (default ``moviemotion/emotion/weights/default.onnx``) and writes
    the JSON card beside it (``default.json``): classes, input spec, architecture, epochs,
    seed, the command that trained it and its evaluation scores (plus ``extra`` fields).

    ``mirror``: re-export the best checkpoint with mirror-image averaging baked in (see
    :class:`InferenceModel`) and score that exact file on the run's validation split, so
    the card's numbers are those of the shipped model.
    """
    from moviemotion.emotion.predictor import DEFAULT_MODEL
    from moviemotion.io import atomic_write_bytes, atomic_write_json

    run_dir = Path(run_dir)
    dest = Path(dest) if dest is not None else DEFAULT_MODEL
    cfg = json.loads((run_dir / "config.json").read_text())
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    best = torch.load(run_dir / "best.pt", map_location="cpu", weights_only=False)
    card = {
        "classes": list(EMOTIONS),
        "input": {"name": "faces", "shape": ["N", 48, 48], "dtype": "float32",
                  "range": "raw grayscale 0-255 (normalisation is inside the model)"},
        "output": {"name": "probabilities", "shape": ["N", 7], "order": list(EMOTIONS)},
        "arch": cfg["arch"], "arch_args": cfg["arch_args"], "epochs": cfg["epochs"],
        "best_epoch": best["epoch"], "seed": cfg["seed"], "command": cfg["command"],
        "resumed_with": cfg.get("resumed_with", []),
        "data": Path(cfg["data"]).name, "train_split": cfg["train_split"],
        "val_split": cfg["val_split"],
        "metrics": {k: {"n": v["n"], "accuracy": v["accuracy"], "macro_f1": v["macro_f1"]}
                    for k, v in evaluation.items() if isinstance(v, dict) and "accuracy" in v},
        "duplicates_removed": evaluation.get("duplicates"),
        **extra,
    }
    onnx_file = run_dir / "model.onnx"
    if mirror:
        card["metrics"], onnx_file = _export_mirrored(run_dir, cfg, best["epoch"])
    card["mirror_averaged"] = mirror
    atomic_write_bytes(dest, onnx_file.read_bytes())
    atomic_write_json(dest.with_suffix(".json"), card)
    return dest


def _export_mirrored(run_dir: Path, cfg: dict, epoch: int) -> tuple[dict, Path]:
    """Export ``best.pt`` mirror-averaged to ``model-mirror.onnx``; score it with Predictor
    (report files in ``run_dir/mirror/``)."""
    from moviemotion.emotion.data import load
    from moviemotion.emotion.evaluate import evaluate, write_report
    from moviemotion.emotion.predictor import Predictor
    from moviemotion.emotion.train import load_checkpoint

    net, _ = load_checkpoint(run_dir / "best.pt")
    path = export_onnx(net, run_dir / "model-mirror.onnx", mirror=True, metadata={
        "arch": cfg["arch"], "epoch": epoch, "seed": cfg["seed"], "command": cfg["command"]})
    result = evaluate(Predictor(path).predict, load(cfg["data"], cfg["val_split"]),
                      reference=load(cfg["data"], cfg["train_split"]))
    write_report(result, run_dir / "mirror", title=f"{cfg['arch']} epoch {epoch}, mirror-averaged")
    metrics = {k: {"n": v.n, "accuracy": v.accuracy, "macro_f1": v.macro_f1}
               for k, v in result.items() if hasattr(v, "accuracy")}
    return metrics, path
