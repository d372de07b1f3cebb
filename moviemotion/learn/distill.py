"""Knowledge distillation (Hinton et al. 2015): one student learns from an ensemble's soft targets.

The teacher is the mean of several models: exported ONNX files (an
:class:`~moviemotion.learn.ensemble.Ensemble`; export them with ``mirror=True`` so the soft
targets carry the teachers' mirror averaging) or ``.pt`` checkpoints, run with torch on the
training device through the export wrapper with mirror averaging on (same numbers, faster on
a GPU).
Its probabilities over the training set are computed once and cached
(``run_dir/teacher_probs.npz``, keyed by the SHA-256 of the inputs and of every teacher
file), so a resumed run or a second student reuses them. The student is trained by the one
trainer (:func:`moviemotion.learn.train.train`) on targets ``[class index, p_1 .. p_K]`` (the
hard label, then the teacher's probabilities softened at ``temperature``) with
:func:`distillation_loss`::

    loss = alpha * CE(student, label) + (1 - alpha) * T^2 * KL(teacher_T || student_T)

Student augmentation (flips, shifts, erasing, mixup) transforms the student's input while the
target stays the teacher's output on the clean face: the usual "function matching" set-up.
The settings and the teachers (names, SHA-256, their accuracy on the training data) are kept
in ``run_dir/distill.json``; export the student with mirror averaging baked in
(:func:`moviemotion.learn.ship.ship` with ``mirror=True``).

>>> from moviemotion.learn.distill import Distillation, distill
>>> d = Distillation(("a/model-mirror.onnx", "b/model-mirror.onnx"), alpha=0.3, temperature=4)
>>> distill(task, cfg, "runs/student", (x, y), (x_val, y_val), d)     # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError
from moviemotion.io import atomic_path, atomic_write_json
from moviemotion.learn.card import file_sha256
from moviemotion.learn.ensemble import Ensemble, average

DISTILL_FILE = "distill.json"
CACHE_FILE = "teacher_probs.npz"


@dataclass(frozen=True)
class Distillation:
    """What to distill from: ``teachers`` (ONNX files, averaged), ``alpha`` (weight of the
    hard-label loss, 0-1) and ``temperature`` (> 0; 1 = the teachers' probabilities)."""

    teachers: tuple[str, ...]
    alpha: float = 0.5
    temperature: float = 4.0

    def checked(self) -> Distillation:
        if not self.teachers:
            raise InputError("distillation needs at least one teacher model (--teacher)")
        if not (isinstance(self.alpha, int | float) and 0.0 <= self.alpha <= 1.0):
            raise InputError(f"--alpha {self.alpha!r}: must be a number from 0 to 1")
        if not (isinstance(self.temperature, int | float) and math.isfinite(self.temperature)
                and self.temperature > 0):
            raise InputError(f"--temperature {self.temperature!r}: must be a finite number > 0")
        return Distillation(tuple(str(t) for t in self.teachers), float(self.alpha),
                            float(self.temperature))


def soften(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities at ``temperature``: ``softmax(log(p) / T)`` (flatter for T > 1)."""
    logp = np.log(np.clip(np.asarray(probs, np.float64), 1e-12, None)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    e = np.exp(logp)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def soft_targets(y: np.ndarray, teacher_probs: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Trainer targets (N, 1 + K) float32: the class index, then the softened teacher output."""
    y, teacher_probs = np.asarray(y), np.asarray(teacher_probs)
    if teacher_probs.ndim != 2 or len(teacher_probs) != len(y):
        raise InputError(f"teacher probabilities {teacher_probs.shape} do not match "
                         f"{len(y)} training labels")
    return np.concatenate([y.reshape(-1, 1).astype(np.float32),
                           soften(teacher_probs, temperature)], axis=1)


def distillation_loss(alpha: float = 0.5, temperature: float = 4.0,
                      label_smoothing: float = 0.0):
    """The loss of targets from :func:`soft_targets`: ``alpha`` x cross-entropy with the hard
    label + (1 - ``alpha``) x T^2 x KL divergence from the softened teacher (torch)."""
    import torch.nn.functional as F

    t2 = temperature * temperature

    def loss(out, target):
        hard, soft = target[:, 0].long(), target[:, 1:].float()
        ce = F.cross_entropy(out.float(), hard, label_smoothing=label_smoothing)
        kl = F.kl_div(F.log_softmax(out.float() / temperature, dim=1), soft,
                      reduction="batchmean")
        return alpha * ce + (1 - alpha) * t2 * kl

    return loss


def _digest(x: np.ndarray) -> str:
    x = np.ascontiguousarray(x)
    h = hashlib.sha256(f"{x.dtype}{x.shape}".encode())
    h.update(x.data)
    return h.hexdigest()


def describe(teachers: Sequence[str | os.PathLike[str]]) -> list[dict]:
    """Name and SHA-256 of each teacher file (a missing one: one-line InputError)."""
    missing = [str(t) for t in teachers if not Path(t).is_file()]
    if missing:
        raise InputError(f"teacher model not found: {', '.join(missing)}")
    return [{"name": Path(t).name, "sha256": file_sha256(t)} for t in teachers]


def _torch_probabilities(path: Path, x: np.ndarray, device: str, batch_size: int = 1024):
    """Mirror-averaged probabilities of a ``.pt`` checkpoint (the export wrapper, in torch)."""
    import torch

    from moviemotion.learn.onnx import inference_model
    from moviemotion.learn.train import load_checkpoint

    net, _, task = load_checkpoint(path)
    model = inference_model(net, task, mirror=task.is_image).to(device).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            xb = torch.as_tensor(np.asarray(x[start:start + batch_size]), dtype=torch.float32)
            xb = xb.unsqueeze(1) if xb.ndim == len(task.input_shape) else xb
            out.append(model(xb.to(device)).float().cpu().numpy())
    return np.concatenate(out)


def teacher_probabilities(teachers: Sequence[str | os.PathLike[str]], x: np.ndarray,
                          cache: str | os.PathLike[str] | None = None,
                          threads: int | None = None, device: str = "cpu") -> np.ndarray:
    """The teachers' mean probabilities (N, K) for ``x`` (``.onnx`` files with onnxruntime,
    ``.pt`` checkpoints with torch on ``device``, mirror-averaged), read from ``cache`` when
    it was made from the same inputs and teacher files, else computed and written there."""
    key = json.dumps({"x": _digest(x), "teachers": [m["sha256"] for m in describe(teachers)]})
    if cache is not None and Path(cache).is_file():
        try:
            with np.load(cache, allow_pickle=False) as d:
                if str(d["key"]) == key:
                    return d["probs"]
        except Exception:  # noqa: BLE001 - an unreadable cache is recomputed
            pass
    onnx_files = [t for t in teachers if Path(t).suffix != ".pt"]
    parts = [Ensemble(onnx_files, threads=threads).predict(x)] * len(onnx_files) if onnx_files else []
    parts += [_torch_probabilities(Path(t), x, device) for t in teachers if Path(t).suffix == ".pt"]
    probs = average(parts)
    if cache is not None:
        with atomic_path(Path(cache)) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, probs=probs, key=np.asarray(key))
    return probs


def resumed(run_dir: str | os.PathLike[str], distillation: Distillation | None,
            resume: bool) -> Distillation | None:
    """``distillation``, or with ``resume`` and none given, the settings a distilled run in
    ``run_dir`` recorded (``distill.json``); None when there is nothing to distill."""
    record = Path(run_dir) / DISTILL_FILE
    if distillation is None and resume and record.is_file():
        stored = json.loads(record.read_text())
        return Distillation(tuple(stored["teachers"]), stored["alpha"], stored["temperature"])
    return distillation


def prepare(run_dir: str | os.PathLike[str], distillation: Distillation | None, x: np.ndarray,
            y: np.ndarray, *, resume: bool = False, label_smoothing: float = 0.0,
            threads: int | None = None, device: str = "cpu",
            probs: np.ndarray | None = None) -> tuple[np.ndarray, Any, Distillation]:
    """(training targets, loss function, settings) of a distilled run in ``run_dir``; writes
    ``distill.json`` (with ``resume``: reads it, ``distillation`` may be None) and the cache.
    ``probs``: the teacher's probabilities over ``x``, computed elsewhere (e.g. a classical
    model's out-of-fold predictions, :mod:`moviemotion.content.scene_teacher`); the teachers
    then name the file they came from and are not run."""
    run_dir = Path(run_dir)
    distillation = resumed(run_dir, distillation, resume)
    if distillation is None:
        raise InputError(f"{run_dir}: no {DISTILL_FILE}; name the teachers (--teacher)")
    distillation = distillation.checked()
    y = np.asarray(y)
    if probs is None:
        probs = teacher_probabilities(distillation.teachers, x, run_dir / CACHE_FILE, threads,
                                      device)
    targets = soft_targets(y, probs, distillation.temperature)      # checks probs against y
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / DISTILL_FILE, {
        **asdict(distillation),
        "members": describe(distillation.teachers),
        "teacher_train_accuracy": float((np.asarray(probs).argmax(1) == y).mean()),
        "loss": "alpha * CE(label) + (1 - alpha) * T^2 * KL(teacher_T || student_T)"})
    return (targets,
            distillation_loss(distillation.alpha, distillation.temperature, label_smoothing),
            distillation)


def distill(task, config, run_dir: str | os.PathLike[str], train_data: Any, val_data: Any,
            distillation: Distillation | None, *, resume: bool = False,
            probs: np.ndarray | None = None, **train_kwargs: Any) -> Path:
    """Train a student with :func:`moviemotion.learn.train.train` on the teachers' soft
    targets (``train_data``: ``(x, y)`` arrays or an object with ``.x``/``.y``; ``probs``:
    precomputed teacher probabilities, see :func:`prepare`)."""
    from moviemotion.learn.train import prepare as prepare_run
    from moviemotion.learn.train import train

    if task.kind != "multiclass":
        raise InputError(f"distillation needs a multiclass task; {task.name!r} is {task.kind}")
    x, y = (train_data.x, train_data.y) if hasattr(train_data, "x") else train_data
    cfg = prepare_run(task, config, Path(run_dir), resume, write=False)   # checks options first
    targets, loss_fn, _ = prepare(run_dir, distillation, np.asarray(x), np.asarray(y),
                                  resume=resume, label_smoothing=cfg.label_smoothing or 0.0,
                                  threads=cfg.threads, device=cfg.device, probs=probs)
    return train(task, config, run_dir, (x, targets), val_data, resume=resume, loss_fn=loss_fn,
                 **train_kwargs)
