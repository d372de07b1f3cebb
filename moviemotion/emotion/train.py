"""Training the emotion classifier: the learning kit's trainer on FER2013 faces.

A run folder holds ``config.json`` (everything needed to repeat the run, with the exact
``command`` and ``resume_command``), ``metrics.csv`` (one row per epoch), ``last.pt`` (resume
point, written every epoch), ``best.pt`` (best validation accuracy), and after training the
best model's ``model.onnx``, ``evaluation.json``, ``classification_report.txt`` and
``confusion_matrix.png`` (also de-duplicated: without faces byte-identical to a training face).

Reproducible: the batch order, augmentation and dropout of epoch ``e`` depend only on
``(seed, e)``, so a resumed run ends with the same weights as an uninterrupted one
(on the same device and thread count).

>>> from moviemotion.emotion.train import TrainConfig, train
>>> cfg = TrainConfig(arch="vgg", data="fer.npz", epochs=30, seed=0)   # doctest: +SKIP
>>> run_dir = train(cfg, "runs/vgg-30")                                  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moviemotion.emotion.data import FaceSet, duplicates_of, load
from moviemotion.emotion.evaluate import evaluate, scores, torch_predict, write_report
from moviemotion.emotion.export import export_onnx
from moviemotion.emotion.task import EMOTION_TASK, load_checkpoint
from moviemotion.errors import InputError
from moviemotion.learn import train as kit
from moviemotion.progress import console

__all__ = ["TrainConfig", "finish", "load_checkpoint", "train", "train_stack"]


@dataclass
class TrainConfig(kit.TrainConfig):
    """A training run of the emotion task (FER2013 split names by default). ``None`` fields
    take the architecture's recipe value."""

    train_split: str = "Training"
    val_split: str = "PublicTest"


def train(config: TrainConfig, run_dir: str | Path, resume: bool = False,
          quiet: bool = False, distillation=None) -> Path:
    """Train (or with ``resume`` continue) the run in ``run_dir``; returns ``run_dir``.

    With ``resume`` the configuration stored in ``run_dir/config.json`` is used
    (``config.epochs`` may extend it) and training continues after the last finished
    epoch in ``last.pt``. Every option is checked before any work.

    ``distillation`` (:class:`moviemotion.learn.distill.Distillation`): train on the soft
    targets of its teachers (a resumed distilled run reads them from ``distill.json``).
    """
    run_dir = Path(run_dir)
    cfg = kit.prepare(EMOTION_TASK, config, run_dir, resume, write=False)
    train_set, val_set = _splits(cfg)
    kit.write_config(EMOTION_TASK, cfg, run_dir)
    console.print(f"[bold]{cfg.arch}[/] on {len(train_set)} {cfg.train_split} faces, "
                  f"validating on {len(val_set)} {cfg.val_split}; run folder {run_dir}")
    val_metrics = _val_metrics(val_set, train_set)

    from moviemotion.learn import distill

    train_data, loss_fn = train_set, None
    distillation = distill.resumed(run_dir, distillation, resume)
    if distillation is not None:
        targets, loss_fn, _ = distill.prepare(run_dir, distillation, train_set.x, train_set.y,
                                              resume=resume, threads=cfg.threads, device=cfg.device,
                                              label_smoothing=cfg.label_smoothing or 0.0)
        train_data = (train_set.x, targets)
    kit.fit(EMOTION_TASK, cfg, run_dir, train_data, val_set, resume=resume, quiet=quiet,
            val_metrics=val_metrics, select="val_acc", loss_fn=loss_fn)
    finish(run_dir, train_set, val_set)
    return run_dir


def _splits(cfg: TrainConfig) -> tuple[FaceSet, FaceSet]:
    """The run's training and validation faces; a file of one split only is an error."""
    train_set = load(cfg.data, cfg.train_split)
    val_set = load(cfg.data, cfg.val_split)
    if train_set.whole_file or val_set.whole_file:
        raise InputError(f"{cfg.data}: holds one split only (no Usage column / no split "
                         f"folders), so {cfg.val_split} would be the training faces; add a "
                         "Usage column (Training, PublicTest) or train/ and test/ folders")
    return train_set, val_set


def _val_metrics(val_set: FaceSet, train_set: FaceSet):
    """The ``metrics.csv`` validation columns: accuracy (full, de-duplicated), macro-F1."""
    dup = duplicates_of(val_set, train_set)

    def val_metrics(probs: np.ndarray) -> dict[str, float]:
        full = scores(probs, val_set.y)
        return {"val_acc": full.accuracy,
                "val_acc_dedup": scores(probs[~dup], val_set.y[~dup]).accuracy,
                "val_macro_f1": full.macro_f1}

    return val_metrics


def train_stack(configs: list[TrainConfig], run_dirs: list[str | Path],
                quiet: bool = False) -> list[Path]:
    """Train G runs of one architecture and size at once, as one stacked network on one
    device (:func:`moviemotion.learn.train.fit_stack`: for a GPU); the configs may differ
    only in ``seed``, ``init`` and ``command``. Each run folder ends as one of :func:`train`
    (``config.json`` also names the stack: ``stack``, ``stack_index``), without ``last.pt``."""
    run_dirs = [Path(d) for d in run_dirs]
    first = configs[0]
    if any((c.data, c.train_split, c.val_split) != (first.data, first.train_split,
                                                     first.val_split) for c in configs):
        raise InputError("stacked runs must train on the same data and splits")
    train_set, val_set = _splits(first)
    console.print(f"[bold]{len(configs)} x {first.arch}[/] stacked on {len(train_set)} "
                  f"{first.train_split} faces, validating on {len(val_set)} {first.val_split}; "
                  f"run folders {', '.join(map(str, run_dirs))}")
    return kit.train_stacked(EMOTION_TASK, list(configs), run_dirs, train_set, val_set,
                             quiet=quiet, val_metrics=_val_metrics(val_set, train_set),
                             select="val_acc",
                             on_finish=lambda d: finish(d, train_set, val_set))


def finish(run_dir: str | Path, train_set: FaceSet | None = None,
           val_set: FaceSet | None = None) -> dict:
    """Evaluate the run's best checkpoint, write the report files and ``model.onnx``."""
    run_dir = Path(run_dir)
    net, ckpt = load_checkpoint(run_dir / "best.pt")
    cfg = TrainConfig.from_dict(ckpt["config"])
    train_set = train_set or load(cfg.data, cfg.train_split)
    val_set = val_set or load(cfg.data, cfg.val_split)
    result = evaluate(torch_predict(net), val_set, reference=train_set, tta=cfg.tta)
    write_report(result, run_dir, title=f"{cfg.arch} epoch {ckpt['epoch']}")
    export_onnx(net, run_dir / "model.onnx", metadata={
        "arch": cfg.arch, "epoch": ckpt["epoch"], "seed": cfg.seed,
        "val_split": cfg.val_split, "val_acc": result["full"].accuracy,
        "val_acc_dedup": result["dedup"].accuracy, "command": cfg.command})
    console.print(f"best epoch {ckpt['epoch']}: {cfg.val_split} accuracy "
                  f"{result['full'].accuracy:.2%} (de-duplicated {result['dedup'].accuracy:.2%}, "
                  f"macro-F1 {result['full'].macro_f1:.3f}); wrote {run_dir / 'model.onnx'}",
                  highlight=False)
    return result
