"""Ship a finished run: install its ONNX model where a part loads it, with the model card.

>>> ship("runs/scene-vgg", "moviemotion/content/weights/scene.onnx")         # doctest: +SKIP
>>> ship("runs/scene-vgg", dest, val_data=(x_val, y_val), mirror=True)        # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError
from moviemotion.io import atomic_write_bytes
from moviemotion.learn.card import model_card, write_card
from moviemotion.learn.task import Task


def require_run_files(run_dir: Path, names: tuple[str, ...], what: str = "training") -> None:
    """One :class:`ModelError` line naming the files of a finished ``what`` run that
    ``run_dir`` lacks (the ``ship`` commands' check before any work)."""
    from moviemotion.errors import ModelError

    missing = [n for n in names if not (Path(run_dir) / n).is_file()]
    if missing:
        raise ModelError(f"{run_dir}: not a finished {what} run (missing {', '.join(missing)})")


def read_run(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, evaluation) of a finished run; one InputError line if it is not one."""
    missing = [n for n in ("config.json", "evaluation.json", "best.pt", "model.onnx")
               if not (run_dir / n).is_file()]
    if missing:
        raise InputError(f"{run_dir}: not a finished training run (missing {', '.join(missing)})")
    try:
        return (json.loads((run_dir / "config.json").read_text()),
                json.loads((run_dir / "evaluation.json").read_text()))
    except ValueError as exc:
        raise InputError(f"{run_dir}: unreadable run files ({exc})") from None


def ship(run_dir: str | os.PathLike[str], dest: str | os.PathLike[str], task: Task | None = None,
         *, val_data: Any = None, mirror: bool = False, **extra: Any) -> Path:
    """Copy ``run_dir/model.onnx`` to ``dest`` and write its card (``dest`` with ``.json`` and
    ``.md``): task, command, data, seed, best epoch, validation scores, confusion matrix, file
    size and SHA-256, plus ``extra`` fields.

    ``mirror``: re-export ``best.pt`` with mirror-image averaging inside
    (``model-mirror.onnx``) and score that exact file with the onnxruntime Predictor on
    ``val_data`` (``(x, y)``), so the card's numbers are those of the shipped file.
    """
    from moviemotion.learn import metrics
    from moviemotion.learn.onnx import Predictor, export_onnx
    from moviemotion.learn.train import load_checkpoint

    run_dir, dest = Path(run_dir), Path(dest)
    cfg, evaluation = read_run(run_dir)
    net, ckpt, task = load_checkpoint(run_dir / "best.pt", task)
    source = run_dir / "model.onnx"
    scores = {k: v for k, v in evaluation.items()
              if isinstance(v, int | float) and not isinstance(v, bool)}
    confusion = (evaluation.get("full") or {}).get("confusion")
    if mirror:
        if val_data is None:
            raise InputError("shipping mirror-averaged needs the validation data to score it")
        source = export_onnx(net, run_dir / "model-mirror.onnx", task, mirror=True, metadata={
            "arch": cfg["arch"], "epoch": ckpt["epoch"], "seed": cfg["seed"],
            "command": cfg.get("command", "")})
        x, y = (val_data.x, val_data.y) if hasattr(val_data, "x") else val_data
        out = Predictor(source).predict(np.asarray(x))
        scores = {"n": len(y), **task.score(np.asarray(y), out)}
        if task.kind == "multiclass":
            confusion = metrics.confusion(np.asarray(y), out.argmax(1), task.num_outputs).tolist()
    atomic_write_bytes(dest, source.read_bytes())
    card = model_card(task, cfg, {str(cfg.get("val_split")): scores}, model=dest,
                      best_epoch=ckpt["epoch"], confusion=confusion, mirror_averaged=mirror,
                      **extra)
    write_card(dest, card)
    return dest
