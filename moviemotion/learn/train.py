"""The one trainer: seeded, resumable, CPU or CUDA (mixed precision), one run folder per run.

:func:`train` fits an architecture (:mod:`moviemotion.learn.archs`) to a
:class:`~moviemotion.learn.task.Task` from arrays ``(x, y)`` (any object with ``.x``/``.y``)
or a torch ``Dataset`` of ``(x, y)`` pairs. The loss follows the task's kind: cross-entropy
(``multiclass``, with label smoothing), mean per-label binary cross-entropy (``multilabel``),
mean squared error (``regression``), batch-hard triplet loss on unit vectors (``embedding``);
``loss_fn`` replaces it. A multiclass target may also be a row ``[class index, p_1 .. p_K]``
(the hard label, then soft targets: :mod:`moviemotion.learn.distill`).

``init`` warm-starts a run from another run's checkpoint (``best.pt``): every tensor whose
name and shape match is copied, except the output head when the checkpoint's task has other
outputs (:func:`warm_start`), e.g. a poster model initialized from the scene model's features;
a checkpoint of the same task (same outputs) gives its head too (fine-tuning, a distilled
student starting from a trained network).

Regularization options: ``mixup`` / ``cutmix`` (Beta parameter, 0 = off; the loss is the
weighted sum of the losses against both mixed target sets, so soft targets mix too) and
``ema`` (decay of an exponential moving average of the weights, buffers included, 0 = off):
with ``ema`` the averaged network is the one validated, kept in ``best.pt`` and exported.

A run folder holds ``config.json`` (everything needed to repeat the run, with the exact
``command`` and ``resume_command``), ``metrics.csv`` (one row per epoch), ``last.pt`` (the
resume point, every epoch), ``best.pt`` (best validation score: the task's primary metric),
and after training ``model.onnx``, ``evaluation.json`` and, for classifiers,
``classification_report.txt`` (scikit-learn's) and ``confusion_matrix.png``.

Reproducible: the batch order, augmentation and dropout of epoch ``e`` depend only on
``(seed, e)``, so a resumed run ends with the same weights as an uninterrupted one (on the
same device and thread count). A loss that turns NaN or infinite stops the run with an error.

>>> task = Task("toy", (1, 16, 16), ("a", "b"), "multiclass")
>>> cfg = TrainConfig(arch="vgg", arch_args={"width": 4}, epochs=2, seed=0)   # doctest: +SKIP
>>> train(task, cfg, "runs/toy", (x_train, y_train), (x_val, y_val))          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from moviemotion.errors import InputError, ModelError
from moviemotion.io import atomic_path, atomic_write_json, atomic_write_text
from moviemotion.learn import archs
from moviemotion.learn.augment import POLICIES, augment, mix
from moviemotion.learn.onnx import activate
from moviemotion.learn.task import Task
from moviemotion.progress import console, progress_bar

_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class TrainConfig:
    """A training run. ``None`` fields take the architecture's recipe value."""

    data: str = ""                        # where the data came from (recorded; the caller loads it)
    arch: str = "vgg"
    arch_args: dict[str, Any] = field(default_factory=dict)
    train_split: str = "train"
    val_split: str = "val"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None          # "sgd" (Nesterov momentum 0.9) or "adam"
    weight_decay: float | None = None
    label_smoothing: float | None = None
    augment: str | None = None            # see moviemotion.learn.augment.POLICIES
    schedule: str | None = None           # "cosine" (1 warm-up epoch) or "constant"
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    amp: bool = True                      # mixed precision (CUDA only)
    tta: bool = False                     # test-time augmentation in the final evaluation
    mixup: float = 0.0                    # mixup Beta(a, a) parameter (0 = off), e.g. 0.2
    cutmix: float = 0.0                   # CutMix Beta(a, a) parameter (0 = off), e.g. 1.0
    ema: float = 0.0                      # weight EMA decay per step (0 = off), e.g. 0.999
    init: str = ""                        # warm start: a checkpoint whose matching layers are copied
    command: str = ""
    resumed_with: list[str] = field(default_factory=list)   # commands that resumed the run

    def resolved(self, task: Task | None = None) -> TrainConfig:
        """A copy with the recipe's (and the task's) values filled in and every option checked
        (one-line :class:`InputError` before any work)."""
        arch = archs.get(self.arch)
        if task is not None and arch.inputs == "image" and not task.is_image:
            raise InputError(f"architecture {self.arch!r} takes images (C, H, W); task "
                             f"{task.name!r} has input shape {task.input_shape}")
        values = asdict(self)
        if values.get("augment") is None and task is not None and task.augment is not None:
            values["augment"] = task.augment
        for key, value in arch.recipe.items():
            if values.get(key) is None:
                values[key] = value
        cfg = type(self)(**values)
        _check_number("--lr", cfg.lr, low=0.0, low_open=True)
        _check_number("--weight-decay", cfg.weight_decay, low=0.0)
        _check_number("--label-smoothing", cfg.label_smoothing, low=0.0, high=1.0, high_open=True)
        _check_number("--mixup", cfg.mixup, low=0.0)
        _check_number("--cutmix", cfg.cutmix, low=0.0)
        _check_number("--ema", cfg.ema, low=0.0, high=1.0, high_open=True)
        if (cfg.mixup or cfg.cutmix) and task is not None and (
                not task.is_image or task.kind not in ("multiclass", "multilabel")):
            raise InputError(f"mixup/cutmix need an image classification task; task "
                             f"{task.name!r} is {task.kind} on {task.input_shape}")
        for name, v in (("--epochs", cfg.epochs), ("--batch-size", cfg.batch_size),
                        ("--threads", cfg.threads if cfg.threads is not None else 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"{name} {v!r}: must be a whole number of at least 1")
        if cfg.augment not in POLICIES:
            raise InputError(f"unknown augmentation {cfg.augment!r}; choose one of {POLICIES}")
        if task is not None and not task.is_image and cfg.augment != "none":
            raise InputError(f"augmentation {cfg.augment!r} needs image inputs; task "
                             f"{task.name!r} has input shape {task.input_shape} (use none)")
        if cfg.optimizer not in ("sgd", "adam"):
            raise InputError(f"unknown optimizer {cfg.optimizer!r}; choose sgd or adam")
        if cfg.schedule not in ("cosine", "constant"):
            raise InputError(f"unknown schedule {cfg.schedule!r}; choose cosine or constant")
        if not _DEVICE.match(str(cfg.device)):
            raise InputError(f"unknown device {cfg.device!r}; choose cpu, cuda, cuda:N or mps")
        if cfg.device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"device {cfg.device!r} asked for but CUDA is not available")
        if not isinstance(cfg.arch_args, dict):
            raise InputError(f"architecture options must be KEY=VALUE pairs, got {cfg.arch_args!r}")
        return cfg

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _check_number(name: str, value: float | None, low: float | None = None,
                  high: float | None = None, low_open: bool = False, high_open: bool = False) -> None:
    if value is None:
        return
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} {value!r}: not a number") from None
    bad = not math.isfinite(v) or (low is not None and (v < low or (low_open and v == low))) \
        or (high is not None and (v > high or (high_open and v == high)))
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        raise InputError(f"{name} {value!r}: must be a finite number {' and '.join(p for p in (lo, hi) if p)}")


# ---- data -------------------------------------------------------------------------------------

class Batches:
    """Batches of inputs and targets from arrays or a torch ``Dataset`` (same index order)."""

    def __init__(self, data: Any, task: Task):
        self.task = task
        if isinstance(data, torch.utils.data.Dataset) and not hasattr(data, "x"):
            self.dataset, self.x, self.y = data, None, None
            self.n = len(data)                           # type: ignore[arg-type]
        else:
            x, y = (data.x, data.y) if hasattr(data, "x") else data
            self.dataset = None
            self.x, self.y = torch.from_numpy(np.ascontiguousarray(x)), np.asarray(y)
            self.y_t = torch.from_numpy(np.ascontiguousarray(self.y))
            self.n = len(self.x)
            if len(self.y) != self.n:
                raise InputError(f"{self.n} inputs but {len(self.y)} targets")
            shape = tuple(self.x.shape[1:])
            if shape != task.input_shape and not (task.is_image and task.input_shape[0] == 1
                                                  and shape == task.input_shape[1:]):
                raise InputError(f"task {task.name!r} takes inputs of shape {task.input_shape}, "
                                 f"got {shape}")

    def __len__(self) -> int:
        return self.n

    def get(self, idx: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self.dataset is not None:
            items = [self.dataset[int(i)] for i in idx]
            xb = torch.stack([torch.as_tensor(np.asarray(a)) for a, _ in items])
            yb = torch.as_tensor(np.asarray([np.asarray(b) for _, b in items]))
        else:
            xb, yb = self.x[idx], self.y_t[idx]
        return (to_input(xb.to(device, non_blocking=True), self.task),
                _targets(yb.to(device, non_blocking=True), self.task))

    def to(self, device: torch.device) -> Batches:
        """Keep the arrays on ``device`` (a GPU: one copy per run instead of one per batch)."""
        if self.x is not None and device.type != "cpu":
            self.x, self.y_t = self.x.to(device), self.y_t.to(device)
        return self

    def targets(self) -> np.ndarray:
        if self.y is not None:
            return self.y
        return np.asarray([np.asarray(self.dataset[i][1]) for i in range(self.n)])

    def inputs(self, start: int, stop: int) -> torch.Tensor:
        if self.dataset is not None:
            return torch.stack([torch.as_tensor(np.asarray(self.dataset[i][0]))
                                for i in range(start, min(stop, self.n))])
        return self.x[start:stop]


def to_input(xb: torch.Tensor, task: Task) -> torch.Tensor:
    """A batch as the network takes it: float, with the channel axis of 1-channel images."""
    xb = xb.float()
    return xb.unsqueeze(1) if xb.ndim == len(task.input_shape) else xb


def _targets(yb: torch.Tensor, task: Task) -> torch.Tensor:
    hard = task.kind == "embedding" or (task.kind == "multiclass" and yb.ndim == 1)
    return yb.long() if hard else yb.float()


def predict_torch(net: nn.Module, data: Any, task: Task, device: str | torch.device = "cpu",
                  batch_size: int = 512) -> np.ndarray:
    """What the exported model would output for ``data`` (arrays, a Dataset or (x, y))."""
    if isinstance(data, np.ndarray):
        data = (data, np.zeros(len(data)))
    batches = data if isinstance(data, Batches) else Batches(data, task)
    net.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(batches), batch_size):
            xb = to_input(batches.inputs(start, start + batch_size).to(device), task)
            out.append(activate(net(xb).float(), task.kind).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, task.num_outputs), np.float32)


# ---- losses -----------------------------------------------------------------------------------

def batch_hard_triplet_loss(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    """Batch-hard triplet loss on L2-normalized embeddings: for each anchor the farthest
    positive and the nearest negative in the batch (anchors without both are skipped)."""
    e = nn.functional.normalize(emb.float(), dim=1)
    d = torch.cdist(e, e)
    same = labels.view(-1, 1) == labels.view(1, -1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=e.device)
    pos = (same & ~eye)
    hardest_pos = torch.where(pos, d, torch.zeros_like(d)).amax(dim=1)
    hardest_neg = torch.where(~same, d, torch.full_like(d, float("inf"))).amin(dim=1)
    ok = pos.any(dim=1) & (~same).any(dim=1)
    if not ok.any():
        return (emb * 0).sum()
    return nn.functional.relu(hardest_pos - hardest_neg + margin)[ok].mean()


def asymmetric_loss(logits: torch.Tensor, y: torch.Tensor, gamma_neg: float = 4.0,
                    gamma_pos: float = 0.0, clip: float = 0.05) -> torch.Tensor:
    """Asymmetric loss for multi-label outputs (Ridnik et al., ICCV 2021): the logistic loss
    with easy negatives down-weighted by ``p ** gamma_neg`` and negatives with ``p < clip``
    discarded (``p`` shifted down by ``clip``), so that the many negatives of rare labels stop
    dominating. Averaged per label and example, scaled by 4 to start near the logistic loss's
    size (for the same learning rate)."""
    p = torch.sigmoid(logits.float())
    p_neg = (p - clip).clamp(min=0)
    pos = y * torch.log(p.clamp(min=1e-8)) * (1 - p) ** gamma_pos
    neg = (1 - y) * torch.log((1 - p_neg).clamp(min=1e-8)) * p_neg ** gamma_neg
    return -(pos + neg).sum(1).mean() / y.shape[1] * 4


def default_loss(task: Task, cfg: TrainConfig) -> LossFn:
    if task.kind == "multiclass":
        return nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing or 0.0)
    if task.kind == "multilabel":
        return nn.BCEWithLogitsLoss()
    if task.kind == "regression":
        mse = nn.MSELoss()
        return lambda out, y: mse(out.reshape(y.shape) if out.numel() == y.numel() else out, y)
    return batch_hard_triplet_loss


def validation_loss(task: Task, out: np.ndarray, y: np.ndarray) -> float:
    """Loss of the model's outputs on validation data (NLL, BCE, MSE; NaN for embeddings)."""
    o = torch.from_numpy(np.asarray(out, np.float32))
    if task.kind == "multiclass":
        return float(nn.functional.nll_loss(torch.log(o.clamp_min(1e-12)),
                                            torch.from_numpy(np.asarray(y, np.int64))))
    if task.kind == "multilabel":
        return float(nn.functional.binary_cross_entropy(o.clamp(1e-7, 1 - 1e-7),
                                                        torch.from_numpy(np.asarray(y, np.float32))))
    if task.kind == "regression":
        return float(np.mean((np.asarray(y, float).reshape(out.shape) - out) ** 2))
    return float("nan")


# ---- the run ----------------------------------------------------------------------------------

def prepare(task: Task, config: TrainConfig, run_dir: str | Path, resume: bool = False,
            write: bool = True) -> TrainConfig:
    """Check everything before any work: the run folder, every option, the network (built
    once, and one forward pass on zeros); with ``write``, :func:`write_config`. Returns the
    resolved config (with ``resume``: the stored one, ``config.epochs`` may extend it)."""
    run_dir = Path(run_dir)
    if resume:
        config = _resume_config(run_dir, config)
    elif (run_dir / "last.pt").exists():
        raise InputError(f"{run_dir}: already holds a run; pass --resume to continue it "
                         "or choose another folder")
    cfg = config.resolved(task)
    net = archs.build(cfg.arch, task, **cfg.arch_args).eval()
    try:
        with torch.no_grad():
            out = net(torch.zeros(2, *task.input_shape))
    except RuntimeError as exc:
        raise InputError(f"architecture {cfg.arch!r} cannot take inputs of shape "
                         f"{task.input_shape} ({str(exc).splitlines()[0][:120]})") from None
    if tuple(out.shape) != (2, task.num_outputs):
        raise InputError(f"architecture {cfg.arch!r} gives outputs {tuple(out.shape)[1:]}, "
                         f"task {task.name!r} needs ({task.num_outputs},)")
    if cfg.init and not resume:
        warm_start(net, cfg.init, task)
    if write:
        write_config(task, cfg, run_dir)
    return cfg


def write_config(task: Task, cfg: TrainConfig, run_dir: str | Path, **extra: Any) -> Path:
    """``run_dir/config.json``: the resolved config, the task, the ``resume_command`` (and
    ``extra`` fields, e.g. a stacked run's ``stack``)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write_json(run_dir / "config.json", {**_config_record(cfg, task, run_dir), **extra})


def _config_record(cfg: TrainConfig, task: Task, run_dir: Path) -> dict[str, Any]:
    rec = asdict(cfg)
    if cfg.command and "--resume" not in shlex.split(cfg.command):
        parts = shlex.split(cfg.command)
        rec["resume_command"] = shlex.join(parts + (["-o", str(run_dir)] if "-o" not in parts
                                                   and "--run-dir" not in parts else []) + ["--resume"])
    elif cfg.command:
        rec["resume_command"] = cfg.command
    rec["task"] = task.to_dict()
    return rec


def train(task: Task, config: TrainConfig, run_dir: str | Path, train_data: Any, val_data: Any,
          *, resume: bool = False, quiet: bool = False, loss_fn: LossFn | None = None,
          val_metrics: Callable[[np.ndarray], dict[str, float]] | None = None,
          select: str | None = None, on_finish: Callable[[Path], Any] | None = None) -> Path:
    """Train (or with ``resume`` continue) a run in ``run_dir``; returns ``run_dir``.

    ``val_metrics(outputs)`` -> the validation columns of ``metrics.csv`` (default: the
    task's scores as ``val_<name>``); ``select`` the column that picks the best epoch
    (default ``val_<primary metric>``); ``on_finish(run_dir)`` replaces :func:`finish`.
    """
    run_dir = Path(run_dir)
    cfg = prepare(task, config, run_dir, resume)
    fit(task, cfg, run_dir, train_data, val_data, resume=resume, quiet=quiet, loss_fn=loss_fn,
        val_metrics=val_metrics, select=select)
    if on_finish is not None:
        on_finish(run_dir)
    else:
        finish(task, run_dir, val_data)
    return run_dir


def fit(task: Task, cfg: TrainConfig, run_dir: Path, train_data: Any, val_data: Any, *,
        resume: bool = False, quiet: bool = False, loss_fn: LossFn | None = None,
        val_metrics: Callable[[np.ndarray], dict[str, float]] | None = None,
        select: str | None = None) -> None:
    """The epochs of a run whose config :func:`prepare` resolved (see :func:`train`)."""
    device, train_b, val_b, y_val, select, higher, val_metrics = _data_setup(
        task, cfg, train_data, val_data, val_metrics, select)

    torch.manual_seed(cfg.seed)
    net = archs.build(cfg.arch, task, **cfg.arch_args)
    if cfg.init and not resume:
        copied, total = warm_start(net, cfg.init, task)
        console.print(f"warm start from {cfg.init}: {copied} of {total} tensors copied",
                      highlight=False, markup=False)
    net = net.to(device)
    # ``scored``: the network validated and kept (the EMA's when there is one)
    ema, scored, steps_per_epoch, optimizer, scheduler, amp = _setup(net, cfg, train_b, device)
    use_amp, amp_dtype, scaler = amp
    state: dict[str, Any] = {"epoch": 0, "best_score": None, "best_epoch": 0, "history": []}
    if resume:
        state = _load_state(run_dir / "last.pt", net, optimizer, scheduler, scaler, device, ema)
        console.print(f"resuming after epoch {state['epoch']}")
    loss_fn = loss_fn or default_loss(task, cfg)
    config_record = asdict(cfg)

    for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch)       # dropout
        order = torch.randperm(len(train_b), generator=gen)
        if train_b.x is not None and train_b.x.device != order.device:
            order = order.to(train_b.x.device)
        net.train()
        # Sums stay on the device until the epoch ends: no host synchronization per step.
        total_loss = torch.zeros((), dtype=torch.float32, device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        with progress_bar(disable=quiet) as bar:
            bar_task = bar.add_task(f"epoch {epoch}/{cfg.epochs}", total=steps_per_epoch,
                                    unit="batches")
            for start in range(0, len(order), cfg.batch_size):
                idx = order[start:start + cfg.batch_size]
                xb, yb = train_b.get(idx, device)
                if task.is_image:
                    xb = augment(xb, cfg.augment, gen)
                if cfg.mixup or cfg.cutmix:
                    xb, perm, lam = mix(xb, gen, cfg.mixup, cfg.cutmix)
                with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
                    out = net(xb)
                    loss = loss_fn(out, yb)
                    if cfg.mixup or cfg.cutmix:
                        loss = lam * loss + (1 - lam) * loss_fn(out, yb[perm])
                _step(loss, optimizer, scheduler, scaler, ema, net, cfg.ema)
                total_loss += loss.detach().float() * len(idx)
                if task.kind == "multiclass":
                    labels = yb if yb.ndim == 1 else yb[:, 0].long()
                    correct += (out.detach().argmax(1) == labels).sum()
                bar.advance(bar_task)
        value = float(total_loss) / len(order)
        if not math.isfinite(value):
            raise InputError(f"training diverged: the mean loss of epoch {epoch} is {value}; "
                             f"lower the learning rate (--lr {cfg.lr:g}); last good epoch in "
                             f"{run_dir / 'last.pt'}")
        out_val = predict_torch(scored, val_b, task, cfg.device)
        if not np.isfinite(out_val).all():
            raise InputError(f"training diverged: the model outputs NaN after epoch {epoch}; "
                             f"lower the learning rate (--lr {cfg.lr:g})")
        row: dict[str, Any] = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"],
                               "train_loss": value}
        if task.kind == "multiclass":
            row["train_acc"] = int(correct) / len(order)
        row["val_loss"] = validation_loss(task, out_val, y_val)
        row.update(val_metrics(out_val))
        row["seconds"] = time.perf_counter() - t0
        state["history"].append(row)
        state["epoch"] = epoch
        score = row[select]
        best = state["best_score"]
        improved = best is None or (score > best if higher else score < best) or (
            isinstance(best, float) and math.isnan(best) and not math.isnan(score))
        if improved:
            state["best_score"], state["best_epoch"] = score, epoch
            _save(run_dir / "best.pt", {"config": config_record, "task": task.to_dict(),
                                        "epoch": epoch, "model": scored.state_dict(), "metrics": row})
        _save(run_dir / "last.pt", {
            "config": config_record, "task": task.to_dict(), **state, "model": net.state_dict(),
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(), **({"ema": ema.state_dict()} if ema is not None else {})})
        write_metrics(run_dir / "metrics.csv", state["history"])
        shown = "  ".join(f"{k.removeprefix('val_')} {v:.4g}" for k, v in row.items()
                          if k.startswith("val_") and k != "val_loss" and isinstance(v, float))
        console.print(f"epoch {epoch:>3}/{cfg.epochs}  loss {row['train_loss']:.4f}  val {shown}  "
                      f"{row['seconds']:.0f}s{'  *best' if improved else ''}", highlight=False)


def _data_setup(task: Task, cfg: TrainConfig, train_data: Any, val_data: Any,
                val_metrics: Callable[[np.ndarray], dict[str, float]] | None, select: str | None):
    """(device, training batches, validation batches, validation targets, selected column,
    higher is better, validation-columns function) of a run."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    train_b, val_b = Batches(train_data, task), Batches(val_data, task)
    if len(train_b) == 0 or len(val_b) == 0:
        raise InputError(f"task {task.name!r}: no training or no validation examples")
    y_val = val_b.targets()
    primary, higher = task.primary
    if val_metrics is None:
        def val_metrics(out: np.ndarray) -> dict[str, float]:
            return {f"val_{k}": v for k, v in task.score(y_val, out).items()}
    return (torch.device(cfg.device), train_b, val_b, y_val, select or f"val_{primary}", higher,
            val_metrics)


def _setup(net: nn.Module, cfg: TrainConfig, train_b: Batches, device: torch.device):
    """(ema, scored network, steps per epoch, optimizer, scheduler, (use_amp, amp dtype,
    scaler)) of a run on ``device``; on a GPU the training arrays move there once."""
    ema = _ema_model(net, cfg.ema) if cfg.ema else None
    scored = ema.module if ema is not None else net
    steps_per_epoch = math.ceil(len(train_b) / cfg.batch_size)
    optimizer = _optimizer(net, cfg)
    scheduler = _scheduler(optimizer, cfg, steps_per_epoch)
    use_amp = cfg.amp and device.type == "cuda"
    # bfloat16 where the GPU has it: no loss scaling, so no host synchronization per step.
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        train_b.to(device)
    return ema, scored, steps_per_epoch, optimizer, scheduler, (use_amp, amp_dtype, scaler)


def train_stacked(task: Task, configs: list[TrainConfig], run_dirs: list[str | Path],
                  train_data: Any, val_data: Any, *, quiet: bool = False,
                  loss_fn: LossFn | None = None,
                  val_metrics: Callable[[np.ndarray], dict[str, float]] | None = None,
                  select: str | None = None,
                  on_finish: Callable[[Path], Any] | None = None) -> list[Path]:
    """:func:`train` for G runs at once, as one stacked network (:func:`fit_stack`: for a GPU).
    The configs may differ only in ``seed``, ``init`` and ``command``. Every option is checked
    before any work; each run folder ends as one of :func:`train` (``config.json`` also names
    the stack: ``stack``, ``stack_index``), without ``last.pt`` (a stack does not resume)."""
    dirs = [Path(d) for d in run_dirs]
    cfgs = [prepare(task, c, d, write=False) for c, d in zip(configs, dirs, strict=True)]
    for g, (c, d) in enumerate(zip(cfgs, dirs, strict=True)):
        write_config(task, c, d, stack=[str(x) for x in dirs], stack_index=g)
    fit_stack(task, cfgs, dirs, train_data, val_data, quiet=quiet, loss_fn=loss_fn,
              val_metrics=val_metrics, select=select)
    for d in dirs:
        if on_finish is not None:
            on_finish(d)
        else:
            finish(task, d, val_data)
    return dirs


def member_dirs(run_dir: str | Path, seed: int, stack: int) -> list[Path]:
    """The run folders of a command's ``--stack G`` members: ``RUN/s<seed>`` for the G seeds
    ``seed .. seed+G-1`` (one run, ``RUN`` itself, when G is 1)."""
    if stack < 1:
        raise InputError(f"--stack {stack}: must be 1 or more")
    run_dir = Path(run_dir)
    return [run_dir] if stack == 1 else [run_dir / f"s{seed + g}" for g in range(stack)]


def fit_stack(task: Task, cfgs: list[TrainConfig], run_dirs: list[Path], train_data: Any,
              val_data: Any, *, quiet: bool = False, loss_fn: LossFn | None = None,
              val_metrics: Callable[[np.ndarray], dict[str, float]] | None = None,
              select: str | None = None) -> None:
    """The epochs of G runs trained at once as one stacked network (:mod:`moviemotion.learn.stack`).

    For a GPU, where one small network leaves the device idle (every step is bound by the host
    launching kernels): the G members cost about the launches of one. ``cfgs`` (resolved, e.g.
    by :func:`prepare`) may differ only in ``seed``, ``init`` and ``command``. Member ``g``
    starts from the weights its seed (or ``init``) gives; each epoch it sees the training data
    in its own order, augmented per image, and its loss is its own mean loss, so its updates
    are those it would get alone (the stack's seed, the first member's, draws the orders,
    augmentation and mixup: mixup's pairing and weight are shared by the members). Each
    ``run_dirs[g]`` becomes an ordinary run folder (``metrics.csv``, ``best.pt``; ``finish``
    exports it), its ``train_loss`` column the stack's mean. Not resumable (no ``last.pt``):
    a stopped stack keeps every member's best epoch.
    """
    from moviemotion.learn.stack import PerMember, stack, unstack

    def shared(c: TrainConfig) -> dict[str, Any]:
        return {k: v for k, v in asdict(c).items()
                if k not in ("seed", "init", "command", "resumed_with")}

    if not cfgs or len(cfgs) != len(run_dirs):
        raise InputError(f"{len(cfgs)} configurations for {len(run_dirs)} run folders")
    if any(shared(c) != shared(cfgs[0]) for c in cfgs[1:]):
        raise InputError("stacked runs must share every option but seed, init and command")
    cfg, groups = cfgs[0], len(cfgs)
    device, train_b, val_b, y_val, select, higher, val_metrics = _data_setup(
        task, cfg, train_data, val_data, val_metrics, select)
    if train_b.x is None:
        raise InputError("stacked training takes arrays (x, y), not a Dataset")

    nets = []
    for c in cfgs:
        torch.manual_seed(c.seed)
        net = archs.build(c.arch, task, **c.arch_args)
        if c.init:
            warm_start(net, c.init, task)
        nets.append(net)
    big = stack(nets, task.input_shape).to(device)
    ema, scored, steps_per_epoch, optimizer, scheduler, amp = _setup(big, cfg, train_b, device)
    use_amp, amp_dtype, scaler = amp
    loss_fn = loss_fn or default_loss(task, cfg)
    states = [{"best_score": None, "history": []} for _ in cfgs]
    n = len(train_b)

    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch)       # dropout
        orders = torch.stack([torch.randperm(n, generator=gen) for _ in cfgs]).to(train_b.x.device)
        big.train()
        total_loss = torch.zeros((), dtype=torch.float32, device=device)
        correct = torch.zeros(groups, dtype=torch.long, device=device)
        with progress_bar(disable=quiet) as bar:
            bar_task = bar.add_task(f"epoch {epoch}/{cfg.epochs} ({groups} stacked)",
                                    total=steps_per_epoch, unit="batches")
            for start in range(0, n, cfg.batch_size):
                idx = orders[:, start:start + cfg.batch_size]             # (G, b)
                b = idx.shape[1]
                xb, yb = train_b.get(idx.reshape(-1), device)             # member-major
                if task.is_image:
                    xb = augment(xb, cfg.augment, gen)
                xb = xb.view(groups, b, *xb.shape[1:]).transpose(0, 1).reshape(b, -1, *xb.shape[2:])
                yb = yb.view(groups, b, *yb.shape[1:])
                if cfg.mixup or cfg.cutmix:
                    xb, perm, lam = mix(xb, gen, cfg.mixup, cfg.cutmix)
                with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
                    out = big(xb).view(b, groups, -1).transpose(0, 1).reshape(groups * b, -1)
                    flat_y = yb.reshape(groups * b, *yb.shape[2:])
                    loss = loss_fn(out, flat_y) * groups          # the sum of the members' means
                    if cfg.mixup or cfg.cutmix:
                        other = yb[:, perm].reshape(groups * b, *yb.shape[2:])
                        loss = lam * loss + (1 - lam) * loss_fn(out, other) * groups
                _step(loss, optimizer, scheduler, scaler, ema, big, cfg.ema)
                total_loss += loss.detach().float() * b / groups
                if task.kind == "multiclass":
                    labels = flat_y if flat_y.ndim == 1 else flat_y[:, 0].long()
                    correct += (out.detach().argmax(1) == labels).view(groups, b).sum(1)
                bar.advance(bar_task)
        value = float(total_loss) / n
        if not math.isfinite(value):
            raise InputError(f"training diverged: the mean loss of epoch {epoch} is {value}; "
                             f"lower the learning rate (--lr {cfg.lr:g})")
        out_val = predict_torch(PerMember(scored, groups), val_b, task, device)
        out_val = out_val.reshape(len(val_b), groups, -1)
        if not np.isfinite(out_val).all():
            raise InputError(f"training diverged: the model outputs NaN after epoch {epoch}; "
                             f"lower the learning rate (--lr {cfg.lr:g})")
        members = None
        seconds = time.perf_counter() - t0
        shown = []
        accs = correct.cpu().tolist()
        for g, (c, run_dir, state) in enumerate(zip(cfgs, run_dirs, states, strict=True)):
            row: dict[str, Any] = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"],
                                   "train_loss": value}
            if task.kind == "multiclass":
                row["train_acc"] = accs[g] / n
            row["val_loss"] = validation_loss(task, out_val[:, g], y_val)
            row.update(val_metrics(out_val[:, g]))
            row["seconds"] = seconds
            state["history"].append(row)
            score, best = row[select], state["best_score"]
            improved = best is None or (score > best if higher else score < best)
            if improved:
                state["best_score"] = score
                members = members or unstack(scored, groups)
                _save(Path(run_dir) / "best.pt", {"config": asdict(c), "task": task.to_dict(),
                                                  "epoch": epoch, "model": members[g], "metrics": row})
            write_metrics(Path(run_dir) / "metrics.csv", state["history"])
            shown.append(f"{score:.4g}{'*' if improved else ''}")
        console.print(f"epoch {epoch:>3}/{cfg.epochs}  loss {value:.4f}  val "
                      f"{select.removeprefix('val_')} {' '.join(shown)}  {seconds:.0f}s", highlight=False)


def finish(task: Task, run_dir: str | Path, val_data: Any) -> dict[str, Any]:
    """Score the run's best checkpoint on ``val_data``; write ``evaluation.json`` (and for a
    classifier ``classification_report.txt`` and ``confusion_matrix.png``; for a multilabel
    task per-label AP and F1-best thresholds, also stored in the model) and ``model.onnx``."""
    from moviemotion.learn import metrics
    from moviemotion.learn.onnx import export_onnx
    from moviemotion.learn.plot import write_confusion_png

    run_dir = Path(run_dir)
    net, ckpt, task = load_checkpoint(run_dir / "best.pt", task)
    cfg = ckpt["config"]
    val = Batches(val_data, task)
    y, out = val.targets(), predict_torch(net, val, task)
    result: dict[str, Any] = {"split": cfg.get("val_split"), "n": len(y), **task.score(y, out)}
    title = f"{cfg['arch']} epoch {ckpt['epoch']}"
    if task.kind == "multiclass":
        s = metrics.class_scores(out, y, task.num_outputs)
        result["full"] = s.as_dict()
        atomic_write_text(run_dir / "classification_report.txt",
                          f"{title}\n{cfg.get('val_split')}\n{s.table(task.outputs)}")
        write_confusion_png(run_dir / "confusion_matrix.png", np.asarray(s.confusion), task.outputs,
                            f"{title} {cfg.get('val_split')}: acc {s.accuracy:.1%}")
    elif task.kind == "multilabel":
        result["ap"] = dict(zip(task.outputs, metrics.average_precision(y, out).tolist(), strict=True))
        thresholds = metrics.best_thresholds(y, out)
        result["thresholds"] = dict(zip(task.outputs, thresholds.tolist(), strict=True))
        task = Task.from_dict({**task.to_dict(), "thresholds": thresholds.tolist()})
    result["classes"] = list(task.outputs)
    atomic_write_json(run_dir / "evaluation.json", result)
    primary = task.primary[0]
    export_onnx(net, run_dir / "model.onnx", task, metadata={
        "arch": cfg["arch"], "epoch": ckpt["epoch"], "seed": cfg["seed"],
        "val_split": cfg.get("val_split"), f"val_{primary}": result.get(primary),
        "command": cfg.get("command", "")})
    console.print(f"best epoch {ckpt['epoch']}: {primary} {result.get(primary):.4g}; "
                  f"wrote {run_dir / 'model.onnx'}", highlight=False)
    return result


def load_checkpoint(path: str | Path, task: Task | None = None) -> tuple[nn.Module, dict, Task]:
    """(network in eval mode on the CPU, the checkpoint, its task) from a ``best.pt``/``last.pt``.
    ``task`` is used when the checkpoint holds none (older runs). A missing or foreign file is
    a one-line :class:`ModelError`."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: checkpoint not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        cfg = TrainConfig.from_dict(ckpt["config"])
        if "task" in ckpt:
            task = Task.from_dict(ckpt["task"])
        if task is None:
            raise KeyError("task")
        net = archs.build(cfg.arch, task, **cfg.arch_args)
        net.load_state_dict(ckpt["model"])
    except InputError as exc:
        raise ModelError(f"{path}: not a usable checkpoint ({exc.message})") from None
    except Exception as exc:  # unpickling raises many types: never a traceback for a bad file
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ModelError(f"{path}: not a moviemotion checkpoint ({reason})") from None
    return net.eval(), ckpt, task


def warm_start(net: nn.Module, path: str | Path, task: Task | None = None,
               skip: tuple[str, ...] | None = None) -> tuple[int, int]:
    """Copy into ``net`` every tensor (weights and batch-norm statistics) of the checkpoint at
    ``path`` whose name and shape match, except those under ``skip``. By default ``skip`` is
    the output head (``head.``), unless the checkpoint's task has the same outputs as ``task``
    (then the head is copied too: fine-tuning on the same classes). Returns (tensors copied,
    tensors in ``net``). A checkpoint of which no tensor fits is a one-line
    :class:`InputError` (another architecture or width)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: --init checkpoint not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        state = {k: v for k, v in ckpt["model"].items() if isinstance(v, torch.Tensor)}
    except Exception as exc:  # unpickling raises many types: never a traceback for a bad file
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a moviemotion checkpoint ({reason})") from None
    if skip is None:
        theirs = ckpt.get("task") if isinstance(ckpt, dict) else None
        same = (task is not None and isinstance(theirs, dict)
                and theirs.get("kind") == task.kind
                and list(theirs.get("outputs", ())) == list(task.outputs))
        skip = () if same else ("head.",)
    own = net.state_dict()
    take = {k: v for k, v in state.items()
            if k in own and not (skip and k.startswith(skip)) and tuple(v.shape) == tuple(own[k].shape)}
    weights = [k for k in take if own[k].is_floating_point() and k.endswith("weight")]
    if not weights:
        raise InputError(f"{path}: --init checkpoint has no layer that fits this network "
                         "(another architecture or width?)")
    net.load_state_dict(take, strict=False)
    return len(take), len(own)


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
    try:
        stored = type(given).from_dict(json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: unreadable run configuration ({exc})") from None
    if given.epochs is not None and given.epochs != stored.epochs:
        stored.epochs = given.epochs
    if given.threads:
        stored.threads = given.threads
    if given.command:
        stored.resumed_with = [*stored.resumed_with, given.command]
    return stored


def _ema_model(net: nn.Module, decay: float) -> nn.Module:
    """An exponential moving average of ``net``'s weights and buffers (updated per step)."""
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def _step(loss, optimizer, scheduler, scaler, ema, net: nn.Module, decay: float) -> None:
    """One optimizer step on ``loss`` (scaled when float16), the schedule, the EMA."""
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    if ema is not None:
        _ema_update(ema, net, decay)


@torch.no_grad()
def _ema_update(ema: nn.Module, net: nn.Module, decay: float) -> None:
    """``AveragedModel.update_parameters`` with the EMA function, the same numbers, without
    its per-step host-to-device copy of the step count (a GPU synchronization every step)."""
    mine = [*ema.module.parameters(), *ema.module.buffers()]
    theirs = [t.detach() for t in (*net.parameters(), *net.buffers())]
    if int(ema.n_averaged) == 0:                   # the count stays on the CPU
        for a, b in zip(mine, theirs, strict=True):
            a.detach().copy_(b)
    else:
        floats = [(a.detach(), b) for a, b in zip(mine, theirs, strict=True) if a.is_floating_point()]
        if floats:
            torch._foreach_lerp_([a for a, _ in floats], [b for _, b in floats], 1 - decay)
        for a, b in zip(mine, theirs, strict=True):
            if not a.is_floating_point():
                a.copy_(a * decay + b * (1 - decay))
    ema.n_averaged += 1


def _load_state(path: Path, net, optimizer, scheduler, scaler, device, ema=None) -> dict:
    try:
        ckpt = torch.load(path, map_location=device, weights_only=False)
        net.load_state_dict(ckpt["model"])
        if ema is not None:
            ema.load_state_dict(ckpt["ema"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        scaler.load_state_dict(ckpt["scaler"])
    except Exception as exc:
        raise ModelError(f"{path}: cannot resume from it ({str(exc).splitlines()[0][:160]})") from None
    best = ckpt.get("best_score", ckpt.get("best_acc"))       # runs made before the kit
    return {"epoch": ckpt["epoch"], "best_score": best, "best_epoch": ckpt["best_epoch"],
            "history": ckpt["history"]}


def _save(path: Path, obj: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def read_metrics(run_dir: str | Path) -> list[dict[str, str]]:
    """The rows of a run's ``metrics.csv`` (:func:`write_metrics`), as text."""
    with open(Path(run_dir) / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def write_metrics(path: Path, history: list[dict]) -> None:
    """``metrics.csv``: one row per epoch (columns: those of the rows, in order)."""
    columns = list(dict.fromkeys(k for row in history for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())
