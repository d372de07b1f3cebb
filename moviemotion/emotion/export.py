"""Export an emotion network to the ONNX model :class:`Predictor` runs, and ship a run.

The exported graph takes raw pixels ``faces`` (N, 48, 48) float32 0-255 and returns
``probabilities`` (N, 7) (softmax inside); the batch axis is dynamic. The class names, the
task and any extra metadata are stored in the model's metadata properties (the learning
kit's :func:`moviemotion.learn.onnx.export_onnx` with the emotion layout).

>>> from moviemotion.emotion.task import build
>>> from moviemotion.emotion.export import export_onnx, ship
>>> export_onnx(build("mini_xception").eval(), "mini.onnx")   # doctest: +SKIP
>>> ship("runs/vgg32-e45", mirror=True)                         # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from moviemotion.emotion.labels import EMOTIONS
from moviemotion.emotion.task import EMOTION_TASK, ONNX_LAYOUT, load_checkpoint


def export_onnx(net, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None,
                mirror: bool = False) -> Path:
    """Write ``net`` (put in eval mode) to ``path`` as ONNX, atomically; returns the path.

    ``mirror`` bakes mirror-image averaging into the graph: each face and its mirror image
    are scored in one batch and the probabilities averaged.
    """
    from moviemotion.learn.onnx import export_onnx as export

    return export(net, path, EMOTION_TASK, metadata=metadata, mirror=mirror, **ONNX_LAYOUT)


#: Training faces (a seeded draw) that calibrate an int8 model's activation ranges.
CALIBRATION_FACES = 512


def ship(run_dir: str | os.PathLike[str], dest: str | os.PathLike[str] | None = None,
         mirror: bool = False, int8: bool = False, **extra: Any) -> Path:
    """Install a finished run's ``model.onnx`` as the package's default model.

    Copies it to ``dest`` (default ``moviemotion/emotion/weights/default.onnx``) and writes
    the model card beside it (``default.json``, and ``default.md`` for the docs): classes,
    input spec, architecture, epochs, seed, the command that trained it and its evaluation
    scores (plus ``extra`` fields).

    ``mirror``: re-export the best checkpoint with mirror-image averaging baked in and score
    that exact file on the run's validation split, so the card's numbers are those of the
    shipped model.

    ``int8``: ship the model quantized to 8-bit integers (:func:`moviemotion.learn.onnx.quantize_int8`,
    calibrated on :data:`CALIBRATION_FACES` training faces drawn with seed 0) and score that
    exact file; the card keeps the float model's scores under ``quantized.float_metrics``.
    """
    from moviemotion.emotion.predictor import DEFAULT_MODEL
    from moviemotion.io import atomic_write_bytes
    from moviemotion.learn.card import write_card
    from moviemotion.learn.ship import read_run

    run_dir = Path(run_dir)
    dest = Path(dest) if dest is not None else DEFAULT_MODEL
    cfg, evaluation = read_run(run_dir)
    _, best = load_checkpoint(run_dir / "best.pt")
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
    if mirror or int8:                      # the faces, loaded once for every score below
        from moviemotion.emotion.data import load

        sets = load(cfg["data"], cfg["val_split"]), load(cfg["data"], cfg["train_split"])
    if mirror:
        card["metrics"], onnx_file = _export_mirrored(run_dir, cfg, best["epoch"], sets)
    if int8:
        card["metrics"], onnx_file, card["quantized"] = _quantized(run_dir, cfg, onnx_file,
                                                                   card["metrics"], sets)
    card["mirror_averaged"] = mirror
    atomic_write_bytes(dest, onnx_file.read_bytes())
    write_card(dest, card)
    return dest


def _export_mirrored(run_dir: Path, cfg: dict, epoch: int, sets: tuple) -> tuple[dict, Path]:
    """Export ``best.pt`` mirror-averaged to ``model-mirror.onnx``; score it with Predictor
    (report files in ``run_dir/mirror/``)."""
    net, _ = load_checkpoint(run_dir / "best.pt")
    path = export_onnx(net, run_dir / "model-mirror.onnx", mirror=True, metadata={
        "arch": cfg["arch"], "epoch": epoch, "seed": cfg["seed"], "command": cfg["command"]})
    return _score(path, sets, run_dir / "mirror", f"{cfg['arch']} epoch {epoch}, mirror-averaged"), path


def _quantized(run_dir: Path, cfg: dict, src: Path, float_metrics: dict,
               sets: tuple) -> tuple[dict, Path, dict]:
    """``src`` quantized to int8 next to it (``*-int8.onnx``), scored (reports in
    ``run_dir/int8/``); returns (its metrics, its path, the card's ``quantized`` record)."""
    import numpy as np

    from moviemotion.learn.onnx import INT8_SCHEME, quantize_int8

    train = sets[1]
    pick = np.random.default_rng(0).choice(len(train.y), min(CALIBRATION_FACES, len(train.y)),
                                           replace=False)
    path = quantize_int8(src, src.with_name(src.stem + "-int8.onnx"), train.x[np.sort(pick)])
    metrics = _score(path, sets, run_dir / "int8", f"{cfg['arch']} int8 ({src.name})")
    return metrics, path, {"scheme": INT8_SCHEME,
                           "calibration": f"{len(pick)} {cfg['train_split']} faces, seed 0",
                           "float_metrics": float_metrics}


def _score(path: Path, sets: tuple, report_dir: Path, title: str) -> dict:
    """The exported model at ``path`` scored with Predictor on the run's validation faces
    ``sets[0]`` (full, and without duplicates of the training faces ``sets[1]``; report
    files in ``report_dir``)."""
    from moviemotion.emotion.evaluate import evaluate, write_report
    from moviemotion.emotion.predictor import Predictor

    result = evaluate(Predictor(path).predict, sets[0], reference=sets[1])
    write_report(result, report_dir, title=title)
    return {k: {"n": v.n, "accuracy": v.accuracy, "macro_f1": v.macro_f1}
            for k, v in result.items() if hasattr(v, "accuracy")}
