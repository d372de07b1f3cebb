"""Model cards: what a shipped model is, how it was made and how well it does.

A card is a JSON object written beside the model (``default.json`` next to ``default.onnx``)
and rendered as a markdown section for the docs (``default.md``): the command that trained
it, the data, the seed, the scores and (for classifiers) the confusion matrix.

>>> card = model_card(task, config, metrics={"full": {"n": 10, "accuracy": 0.9}})  # doctest: +SKIP
>>> write_card("weights/scene.onnx", card)                                        # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moviemotion.io import atomic_write_json, atomic_write_text
from moviemotion.learn.task import Task


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file (``hashlib.file_digest``)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def model_card(task: Task, config: dict[str, Any], metrics: dict[str, Any], *,
               model: str | os.PathLike[str] | None = None, best_epoch: int | None = None,
               confusion: Sequence[Sequence[int]] | None = None, **extra: Any) -> dict[str, Any]:
    """A card: the task, the training run (``config``: a TrainConfig as a dict), the scores
    (``metrics``: split -> name -> value), optionally the model file's size and SHA-256, the
    confusion matrix and ``extra`` fields."""
    card: dict[str, Any] = {
        "task": task.name, "kind": task.kind, "classes": list(task.outputs),
        "input_shape": ["N", *task.input_shape],
        "arch": config.get("arch"), "arch_args": config.get("arch_args", {}),
        "epochs": config.get("epochs"), "best_epoch": best_epoch, "seed": config.get("seed"),
        "command": config.get("command", ""), "resumed_with": config.get("resumed_with", []),
        "data": Path(str(config.get("data", ""))).name,
        "train_split": config.get("train_split"), "val_split": config.get("val_split"),
        "metrics": metrics,
    }
    if confusion is not None:
        card["confusion"] = [list(map(int, row)) for row in confusion]
    if model is not None:
        card["file"] = {"name": Path(model).name, "bytes": Path(model).stat().st_size,
                        "sha256": file_sha256(model)}
    card.update(extra)
    return card


def card_markdown(card: dict[str, Any], title: str | None = None) -> str:
    """The card as a markdown section (a table of facts, the scores, the confusion matrix)."""
    name = title or f"Model card: {card.get('task') or card.get('arch') or 'model'}"
    rows = [("architecture", f"`{card.get('arch')}` {card.get('arch_args') or ''}".strip()),
            ("classes", ", ".join(card.get("classes", []))),
            ("data", f"{card.get('data')} (train: {card.get('train_split')}, "
                     f"validation: {card.get('val_split')})"),
            ("command", f"`{card.get('command')}`"),
            ("epochs, seed", f"{card.get('epochs')} epochs (best {card.get('best_epoch')}), "
                             f"seed {card.get('seed')}") if card.get("epochs") is not None
            else ("seed", str(card.get("seed")))]
    if card.get("resumed_with"):
        rows.append(("resumed with", "; ".join(f"`{c}`" for c in card["resumed_with"])))
    for i, m in enumerate(card.get("members") or [], 1):       # an ensemble's networks
        rows.append((f"member {i}", f"`{m.get('command')}` (best epoch {m.get('best_epoch')})"))
    if card.get("note"):
        rows.append(("note", str(card["note"])))
    if card.get("mirror_averaged") is not None:
        rows.append(("mirror-averaged", str(card["mirror_averaged"]).lower()))
    if card.get("quantized"):
        q = card["quantized"]
        floats = ", ".join(f"{k} {v['accuracy']:.4f}" for k, v in (q.get("float_metrics") or {}).items()
                           if isinstance(v, dict) and "accuracy" in v)
        rows.append(("int8", f"{q.get('scheme')}; calibrated on {q.get('calibration')}"
                             + (f"; the float model's accuracy: {floats}" if floats else "")))
    if card.get("file"):
        f = card["file"]
        rows.append(("file", f"`{f['name']}`, {f['bytes']:,} bytes, sha256 `{f['sha256'][:16]}...`"))
    lines = [f"## {name}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    metrics = card.get("metrics") or {}
    if metrics:
        names = sorted({k for m in metrics.values() if isinstance(m, dict) for k in m})
        lines += ["", "| split | " + " | ".join(names) + " |",
                  "|---|" + "---|" * len(names)]
        for split, m in metrics.items():
            if isinstance(m, dict):
                lines.append(f"| {split} | " + " | ".join(_fmt(m.get(k)) for k in names) + " |")
    if card.get("confusion"):
        classes = card.get("classes", [])
        lines += ["", "Confusion matrix (rows: true class, columns: predicted):", "",
                  "| | " + " | ".join(classes) + " |", "|---|" + "---|" * len(classes)]
        lines += [f"| {c} | " + " | ".join(str(v) for v in row) + " |"
                  for c, row in zip(classes, card["confusion"], strict=False)]
    return "\n".join(lines) + "\n"


def write_card(model_path: str | os.PathLike[str], card: dict[str, Any],
               markdown: bool = True) -> list[Path]:
    """Write ``card`` beside the model: ``<stem>.json`` (and ``<stem>.md``), atomically."""
    model_path = Path(model_path)
    written = [atomic_write_json(model_path.with_suffix(".json"), card)]
    if markdown:
        written.append(atomic_write_text(model_path.with_suffix(".md"), card_markdown(card)))
    return written


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return "" if v is None else str(v)
