"""Training: seeded, resumable, CPU or CUDA (mixed precision), one run folder per run.

A run folder holds ``config.json`` (everything needed to repeat the run),
``metrics.csv`` (one row per epoch), ``last.pt`` (resume point, written every
epoch), ``best.pt`` (best validation accuracy), and after training the best model's
``model.onnx``, ``evaluation.json``, ``classification_report.txt`` and
``confusion_matrix.png``.

Reproducible: the batch order, augmentation and dropout of epoch ``e`` depend only on
``(seed, e)``, so a resumed run ends with the same weights as an uninterrupted one
(on the same device and thread count).

>>> from moviemotion.emotion.train import TrainConfig, train
>>> cfg = TrainConfig(arch="vgg", data="fer.npz", epochs=30, seed=0)   # doctest: +SKIP
>>> run_dir = train(cfg, "runs/vgg-30")                                  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from moviemotion.emotion import models
from moviemotion.emotion.augment import POLICIES, augment
from moviemotion.emotion.data import FaceSet, duplicates_of, load
from moviemotion.emotion.evaluate import evaluate, scores, torch_predict, write_report
from moviemotion.errors import InputError
from moviemotion.io import atomic_path, atomic_write_json, atomic_write_text
from moviemotion.progress import console, progress_bar

log = logging.getLogger(__name__)

METRIC_COLUMNS = ("epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc",
                  "val_acc_dedup", "val_macro_f1", "seconds")


@dataclass
class TrainConfig:
    """A training run. ``None`` fields take the architecture's recipe value."""

    data: str
    arch: str = "vgg"
    arch_args: dict[str, Any] = field(default_factory=dict)
    train_split: str = "Training"
    val_split: str = "PublicTest"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None          # "sgd" (Nesterov momentum 0.9) or "adam"
    weight_decay: float | None = None
    label_smoothing: float | None = None
    augment: str | None = None            # "none", "light", "strong"
    schedule: str | None = None           # "cosine" (1 warm-up epoch) or "constant"
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    amp: bool = True                      # mixed precision (CUDA only)
    tta: bool = False                     # test-time augmentation in the final evaluation
    command: str = ""
    resumed_with: list[str] = field(default_factory=list)   # commands that resumed the run

    def resolved(self) -> TrainConfig:
        """A copy with the recipe's values filled in and the options checked."""
        arch = models.get(self.arch)
        values = asdict(self)
        for key, value in arch.recipe.items():
            if values.get(key) is None:
                values[key] = value
        cfg = TrainConfig(**values)
        if cfg.augment not in POLICIES:
            raise InputError(f"unknown augmentation {cfg.augment!r}; choose one of {POLICIES}")
        if cfg.optimizer not in ("sgd", "adam"):
            raise InputError(f"unknown optimizer {cfg.optimizer!r}; choose sgd or adam")
        if cfg.schedule not in ("cosine", "constant"):
            raise InputError(f"unknown schedule {cfg.schedule!r}; choose cosine or constant")
        if cfg.epochs < 1 or cfg.batch_size < 1:
            raise InputError("epochs and batch size must be at least 1")
        if cfg.device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"device {cfg.device!r} asked for but CUDA is not available")
        return cfg

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def train(config: TrainConfig, run_dir: str | Path, resume: bool = False,
          quiet: bool = False) -> Path:
    """Train (or with ``resume`` continue) the run in ``run_dir``; returns ``run_dir``.

    With ``resume`` the configuration stored in ``run_dir/config.json`` is used
    (``config.epochs`` may extend it) and training continues after the last finished
    epoch in ``last.pt``.
    """
    run_dir = Path(run_dir)
    if resume:
        config = _resume_config(run_dir, config)
    elif (run_dir / "last.pt").exists():
        raise InputError(f"{run_dir}: already holds a run; pass --resume to continue it "
                         "or choose another folder")
    cfg = config.resolved()
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / "config.json", asdict(cfg))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)

    train_set = load(cfg.data, cfg.train_split)
    val_set = load(cfg.data, cfg.val_split)
    console.print(f"[bold]{cfg.arch}[/] on {len(train_set)} {cfg.train_split} faces, "
                  f"validating on {len(val_set)} {cfg.val_split}; run folder {run_dir}")

    torch.manual_seed(cfg.seed)
    net = models.build(cfg.arch, **cfg.arch_args).to(device)
    steps_per_epoch = math.ceil(len(train_set) / cfg.batch_size)
    optimizer = _optimizer(net, cfg)
    scheduler = _scheduler(optimizer, cfg, steps_per_epoch)
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    state = {"epoch": 0, "best_acc": -1.0, "best_epoch": 0, "history": []}
    if resume:
        state = _load_checkpoint(run_dir / "last.pt", net, optimizer, scheduler, scaler, device)
        console.print(f"resuming after epoch {state['epoch']}")

    x_train = torch.from_numpy(train_set.x)
    y_train = torch.from_numpy(train_set.y)
    dup_mask = None
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch)       # dropout
        order = torch.randperm(len(train_set), generator=gen)
        net.train()
        total_loss, correct = 0.0, 0
        with progress_bar(disable=quiet) as bar:
            task = bar.add_task(f"epoch {epoch}/{cfg.epochs}", total=steps_per_epoch,
                                unit="batches")
            for start in range(0, len(order), cfg.batch_size):
                idx = order[start:start + cfg.batch_size]
                xb = x_train[idx].to(device).float().unsqueeze(1)
                yb = y_train[idx].to(device)
                xb = augment(xb, cfg.augment, gen)
                with torch.autocast(device.type, enabled=use_amp):
                    logits = net(xb)
                    loss = loss_fn(logits, yb)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                total_loss += float(loss.detach()) * len(idx)
                correct += int((logits.detach().argmax(1) == yb).sum())
                bar.advance(task)
        probs = torch_predict(net, cfg.device)(val_set.x)
        if dup_mask is None:
            dup_mask = duplicates_of(val_set, train_set)
        val = scores(probs, val_set.y)
        val_loss = float(nn.functional.nll_loss(
            torch.log(torch.from_numpy(probs).clamp_min(1e-12)), torch.from_numpy(val_set.y)))
        row = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"],
               "train_loss": total_loss / len(order), "train_acc": correct / len(order),
               "val_loss": val_loss, "val_acc": val.accuracy,
               "val_acc_dedup": scores(probs[~dup_mask], val_set.y[~dup_mask]).accuracy,
               "val_macro_f1": val.macro_f1, "seconds": time.perf_counter() - t0}
        state["history"].append(row)
        state["epoch"] = epoch
        improved = val.accuracy > state["best_acc"]
        if improved:
            state["best_acc"], state["best_epoch"] = val.accuracy, epoch
            _save(run_dir / "best.pt", {"config": asdict(cfg), "epoch": epoch,
                                        "model": net.state_dict(), "metrics": row})
        _save(run_dir / "last.pt", {
            "config": asdict(cfg), **state, "model": net.state_dict(),
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict()})
        _write_metrics(run_dir / "metrics.csv", state["history"])
        console.print(
            f"epoch {epoch:>3}/{cfg.epochs}  loss {row['train_loss']:.4f}  "
            f"train {row['train_acc']:.2%}  val {row['val_acc']:.2%} "
            f"(dedup {row['val_acc_dedup']:.2%}, macro-F1 {row['val_macro_f1']:.3f})  "
            f"{row['seconds']:.0f}s{'  *best' if improved else ''}", highlight=False)
    finish(run_dir, train_set, val_set)
    return run_dir


def finish(run_dir: str | Path, train_set: FaceSet | None = None,
           val_set: FaceSet | None = None) -> dict:
    """Evaluate the run's best checkpoint, write the report files and ``model.onnx``."""
    from moviemotion.emotion.export import export_onnx

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


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict]:
    """The network (eval mode, CPU) stored in a ``best.pt``/``last.pt`` and the checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: checkpoint not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        cfg = TrainConfig.from_dict(ckpt["config"])
        net = models.build(cfg.arch, **cfg.arch_args)
        net.load_state_dict(ckpt["model"])
    except (KeyError, RuntimeError, EOFError, OSError) as exc:
        raise InputError(f"{path}: not a moviemotion checkpoint ({exc})") from exc
    return net.eval(), ckpt


def _optimizer(net: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    # No weight decay on batch-norm and bias parameters.
    decay = [p for p in net.parameters() if p.ndim > 1]
    other = [p for p in net.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": other, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True)
    return torch.optim.AdamW(groups, lr=cfg.lr) if cfg.weight_decay else \
        torch.optim.Adam(groups, lr=cfg.lr)


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int):
    total = cfg.epochs * steps_per_epoch
    warmup = min(steps_per_epoch, total // 10) if cfg.schedule == "cosine" else 0

    def factor(step: int) -> float:
        if cfg.schedule == "constant":
            return 1.0
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _resume_config(run_dir: Path, given: TrainConfig) -> TrainConfig:
    path = run_dir / "config.json"
    if not (run_dir / "last.pt").is_file() or not path.is_file():
        raise InputError(f"{run_dir}: nothing to resume (no last.pt / config.json)")
    stored = TrainConfig.from_dict(json.loads(path.read_text()))
    if given.epochs is not None and given.epochs != stored.epochs:
        stored.epochs = given.epochs
    if given.threads:
        stored.threads = given.threads
    if given.command:
        stored.resumed_with = [*stored.resumed_with, given.command]
    return stored


def _load_checkpoint(path: Path, net, optimizer, scheduler, scaler, device) -> dict:
    ckpt = torch.load(path, map_location=device, weights_only=False)
    net.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    sched_state = ckpt["scheduler"]
    scheduler.load_state_dict(sched_state)
    scaler.load_state_dict(ckpt["scaler"])
    return {k: ckpt[k] for k in ("epoch", "best_acc", "best_epoch", "history")}


def _save(path: Path, obj: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _write_metrics(path: Path, history: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=METRIC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())

