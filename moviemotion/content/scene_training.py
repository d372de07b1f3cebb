"""Training data and training run of the scene classifier (15-Scene + Intel6, one label set).

**One label set: the union, 17 classes.** 15-Scene's 15 classes plus Intel6's ``glacier``
and ``buildings``; Intel6's ``forest``, ``mountain`` and ``street`` are the same notions as
15-Scene's classes of the same names (natural forest, mountain landscapes, city streets at
eye level) and ``sea`` is merged into ``coast`` (Intel6's sea pictures are beaches, shores and
sea views, 15-Scene's coast pictures the same). Not merged: Intel6 ``buildings`` (facades and
city blocks) overlaps 15-Scene's ``tallbuilding``, ``insidecity`` and ``suburb`` without
meaning any one of them, so it stays its own class.

**Data.** 15-Scene: the official 1,500 training images and the 1,495 ``val`` images
(grayscale 128x128). Intel6 (colour 100x100): exact duplicate files are reduced to one
(duplicates with conflicting labels are dropped), then a stratified 15 % validation split
(seed :data:`SPLIT_SEED`, the same for every run). Every image is resized (area averaging) to ``size`` x ``size`` RGB; 15-Scene's gray
images have three equal channels. So that gray is not a shortcut to the indoor classes (only
15-Scene has them), a seeded half of Intel6's training images is converted to gray too.
15-Scene's training images are repeated ``scene15_repeat`` times per epoch (augmentation makes
every repeat different) so the small dataset weighs more.

**Scores.** Per dataset, accuracy over that dataset's own classes (``val_scene15_accuracy``,
``val_intel6_accuracy``: the argmax over the classes the dataset has) and over all 17
(``..._any``); the best epoch maximizes their mean (``val_mean_accuracy``).

>>> from moviemotion.content.scene_training import SCENE_CLASSES, DATASET_LABELS
>>> len(SCENE_CLASSES), DATASET_LABELS["intel6"]["sea"]
(17, 'coast')
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError
from moviemotion.learn.task import Task

SCENE15 = ("bedroom", "coast", "forest", "highway", "industrial", "insidecity", "kitchen",
           "livingroom", "mountain", "office", "opencountry", "store", "street", "suburb",
           "tallbuilding")
INTEL6 = ("buildings", "forest", "glacier", "mountain", "sea", "street")
#: The union label set, in this order (the model's outputs).
SCENE_CLASSES = (*SCENE15, "glacier", "buildings")
#: Per dataset: its label -> the union's label.
DATASET_LABELS: dict[str, dict[str, str]] = {
    "scene15": {c: c for c in SCENE15},
    "intel6": {"buildings": "buildings", "forest": "forest", "glacier": "glacier",
               "mountain": "mountain", "sea": "coast", "street": "street"},
}
DATASETS = tuple(DATASET_LABELS)
#: The seed of Intel6's validation split and of the gray half, whatever a run's own seed:
#: every run (and every member of an ensemble) validates on the same images.
SPLIT_SEED = 0
#: Pixel statistics baked into the network (one number for all channels).
MEAN, STD = 115.0, 62.0


def dataset_classes(dataset: str) -> np.ndarray:
    """Indices (into :data:`SCENE_CLASSES`) of the classes ``dataset`` has."""
    return np.array(sorted(SCENE_CLASSES.index(v) for v in DATASET_LABELS[dataset].values()))


def scene_task(size: int = 64) -> Task:
    return Task("scenes", (3, size, size), SCENE_CLASSES, "multiclass", mean=MEAN, std=STD,
                augment="strong")


@dataclass
class SceneData:
    """Images (N, 3, size, size) uint8, labels into :data:`SCENE_CLASSES`, dataset index
    into :data:`DATASETS` per image, for the training and the validation split."""

    x_train: np.ndarray
    y_train: np.ndarray
    d_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    d_val: np.ndarray


def _read_labels(root: Path, dataset: str) -> list[dict[str, str]]:
    path = root / dataset / "labels.csv"
    if not path.is_file():
        raise InputError(f"{path}: not found (expected the scenes data folder with "
                         "scene15/ and intel6/)")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"path", "label", "split"} <= set(rows[0]):
        raise InputError(f"{path}: expected columns path,label,split")
    unknown = sorted({r["label"] for r in rows} - set(DATASET_LABELS[dataset]))
    if unknown:
        raise InputError(f"{path}: unknown label(s) {', '.join(unknown)}")
    return rows


def _load_images(root: Path, dataset: str, rows: list[dict[str, str]], size: int) -> np.ndarray:
    import cv2

    out = np.empty((len(rows), 3, size, size), np.uint8)
    for i, r in enumerate(rows):
        path = root / dataset / r["path"]
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(f"{path}: not a readable image")
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
        out[i] = img[:, :, ::-1].transpose(2, 0, 1)
    return out


def _dedupe(root: Path, dataset: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per distinct file content; contents seen with two labels are dropped."""
    groups: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        digest = hashlib.md5((root / dataset / r["path"]).read_bytes()).hexdigest()
        groups.setdefault(digest, []).append(r)
    return [g[0] for g in groups.values() if len({r["label"] for r in g}) == 1]


def load_scene_data(root: str | Path, size: int = 64, seed: int = 0, val_fraction: float = 0.15,
                    gray_fraction: float = 0.5, scene15_repeat: int = 2,
                    limit: int | None = None, train: bool = True) -> SceneData:
    """The training and validation images of both datasets (see the module docstring).
    ``limit``: at most this many images per dataset and split (a quick pipeline check);
    ``train=False``: the validation split only (the same one; training arrays empty)."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {"train": [], "val": []}
    for d_index, dataset in enumerate(DATASETS):
        rows = _read_labels(root, dataset)
        if dataset == "intel6":
            rows = _dedupe(root, dataset, [r for r in rows if r["split"] == "train"])
            labels = np.array([r["label"] for r in rows])
            val = np.zeros(len(rows), bool)
            for label in INTEL6:                       # stratified, seeded
                idx = np.flatnonzero(labels == label)
                val[rng.choice(idx, int(round(len(idx) * val_fraction)), replace=False)] = True
            splits = {"train": [r for r, v in zip(rows, val, strict=True) if not v],
                      "val": [r for r, v in zip(rows, val, strict=True) if v]}
        else:
            splits = {s: [r for r in rows if r["split"] == s] for s in ("train", "val")}
        for split, chosen in splits.items():
            if split == "train" and not train:
                chosen = []
            if limit is not None:  # its own generator: the same subset whatever else is loaded
                pick = np.random.default_rng([seed, d_index, split == "val"])
                chosen = [chosen[i] for i in sorted(pick.choice(len(chosen), min(limit, len(chosen)),
                                                                replace=False))]
            x = _load_images(root, dataset, chosen, size)
            y = np.array([SCENE_CLASSES.index(DATASET_LABELS[dataset][r["label"]]) for r in chosen],
                         np.int64)
            if split == "train" and dataset == "intel6" and gray_fraction > 0:
                gray = rng.random(len(x)) < gray_fraction
                luma = (0.299 * x[gray, 0] + 0.587 * x[gray, 1] + 0.114 * x[gray, 2])
                x[gray] = np.repeat(np.round(luma).astype(np.uint8)[:, None], 3, axis=1)
            if split == "train" and dataset == "scene15" and scene15_repeat > 1:
                x, y = np.concatenate([x] * scene15_repeat), np.concatenate([y] * scene15_repeat)
            parts[split].append((x, y, np.full(len(y), d_index, np.int64)))
    cat = {s: [np.concatenate([p[i] for p in parts[s]]) for i in range(3)] for s in parts}
    return SceneData(*cat["train"], *cat["val"])


def dataset_scores(probs: np.ndarray, y: np.ndarray, d: np.ndarray) -> dict[str, float]:
    """Per-dataset accuracy (over its own classes and over all) and their mean."""
    from moviemotion.learn.metrics import accuracy

    out: dict[str, float] = {}
    for d_index, dataset in enumerate(DATASETS):
        rows = d == d_index
        if not rows.any():
            continue
        own = dataset_classes(dataset)
        pred_own = own[probs[rows][:, own].argmax(axis=1)]
        out[f"{dataset}_accuracy"] = accuracy(y[rows], pred_own)
        out[f"{dataset}_accuracy_any"] = accuracy(y[rows], probs[rows].argmax(axis=1))
    out["mean_accuracy"] = float(np.mean([out[f"{d}_accuracy"] for d in DATASETS
                                          if f"{d}_accuracy" in out]))
    return out


def teacher_targets(path: str | Path, data: SceneData, scene15_repeat: int) -> np.ndarray:
    """The probabilities of a teacher file (:mod:`moviemotion.content.scene_teacher`: one row
    per distinct training image, in load order) laid out as ``data``'s training rows
    (15-Scene's repeated ``scene15_repeat`` times); a file made for other images is an error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: teacher file not found")
    try:
        with np.load(path, allow_pickle=False) as f:
            probs, y, d = f["probs"], f["y"], f["dataset"]
    except Exception as e:  # noqa: BLE001 - any unreadable file is one message
        raise InputError(f"{path}: not a scene teacher file ({type(e).__name__})") from None
    s15 = d == DATASETS.index("scene15")
    probs = np.concatenate([probs[s15]] * scene15_repeat + [probs[~s15]])
    y = np.concatenate([y[s15]] * scene15_repeat + [y[~s15]])
    if probs.shape != (len(data.y_train), len(SCENE_CLASSES)) or not np.array_equal(y, data.y_train):
        raise InputError(f"{path}: made for other training images ({len(y)} rows after the "
                         f"15-Scene repeats, {len(data.y_train)} training images here); make it "
                         "with the same data and --limit")
    return probs.astype(np.float32)


def train_scenes(data_root: str | Path, run_dir: str | Path, *, size: int = 64,
                 config: Any = None, resume: bool = False, quiet: bool = False,
                 limit: int | None = None, scene15_repeat: int = 2,
                 on_finish: Callable[[Path], Any] | None = None, stack: int = 1,
                 distillation: Any = None) -> Path:
    """Train the scene classifier with the kit's trainer (``config``: a
    :class:`~moviemotion.learn.train.TrainConfig`); the best epoch maximizes the mean of the
    two datasets' validation accuracies. Returns the run folder. ``stack`` G > 1: G runs of
    seeds ``config.seed`` .. ``+G-1`` trained at once as one stacked network (for a GPU:
    :func:`moviemotion.learn.train.train_stacked`), in ``run_dir/s<seed>``.
    ``distillation`` (:class:`~moviemotion.learn.distill.Distillation` whose one teacher is a
    teacher file of :mod:`moviemotion.content.scene_teacher`): train on its soft targets too
    (a resumed distilled run reads the settings from ``distill.json``)."""
    from dataclasses import replace

    from moviemotion.learn.distill import resumed
    from moviemotion.learn.train import TrainConfig, member_dirs, train, train_stacked

    config = config or TrainConfig(arch="resnet")
    dirs = member_dirs(run_dir, config.seed, stack)
    if stack > 1 and resume:
        raise InputError("--resume: a stacked run does not resume (each member keeps its best epoch)")
    distillation = resumed(run_dir, distillation, resume)
    if distillation is not None:
        distillation = distillation.checked()
        if stack > 1 or len(distillation.teachers) != 1:
            raise InputError("scene distillation takes one teacher file and no --stack")
    data = load_scene_data(data_root, size, SPLIT_SEED, scene15_repeat=scene15_repeat, limit=limit)
    task = scene_task(size)

    def val_metrics(out: np.ndarray) -> dict[str, float]:
        return {f"val_{k}": v for k, v in dataset_scores(out, data.y_val, data.d_val).items()}

    def done(path: Path) -> None:
        np.savez_compressed(Path(path) / "validation_sets.npz", y=data.y_val, d=data.d_val)
        if on_finish is not None:
            on_finish(path)

    if stack > 1:
        train_stacked(task, [replace(config, seed=config.seed + g) for g in range(stack)], dirs,
                      (data.x_train, data.y_train), (data.x_val, data.y_val), quiet=quiet,
                      val_metrics=val_metrics, select="val_mean_accuracy", on_finish=done)
        return Path(run_dir)
    if distillation is not None:
        from moviemotion.learn.distill import distill

        probs = teacher_targets(distillation.teachers[0], data, scene15_repeat)
        return distill(task, config, run_dir, (data.x_train, data.y_train),
                       (data.x_val, data.y_val), distillation, resume=resume, probs=probs,
                       quiet=quiet, val_metrics=val_metrics, select="val_mean_accuracy",
                       on_finish=done)
    return train(task, config, run_dir, (data.x_train, data.y_train), (data.x_val, data.y_val),
                 resume=resume, quiet=quiet, val_metrics=val_metrics,
                 select="val_mean_accuracy", on_finish=done)


def evaluate_scenes(model: str | Path, data_root: str | Path, threads: int | None = 2,
                    seed: int = SPLIT_SEED) -> dict[str, Any]:
    """Score an exported scene model (onnxruntime) on both validation sets: per dataset the
    accuracy over its own classes and over all, macro-F1, the confusion matrix over its own
    classes; and the inference speed (images/s at ``threads``, batch 64, from model input)."""
    import time

    from moviemotion.learn.cam import CamPredictor
    from moviemotion.learn.metrics import confusion, macro_f1

    p = CamPredictor(model, threads, 64)
    size = int(p.input_shape[-1])
    data = load_scene_data(data_root, size, seed, train=False)
    t0 = time.perf_counter()
    probs = p.predict(data.x_val)
    speed = len(probs) / (time.perf_counter() - t0)
    out: dict[str, Any] = {"images_per_s": round(speed, 1), "threads": threads}
    scores = dataset_scores(probs, data.y_val, data.d_val)
    for d_index, dataset in enumerate(DATASETS):
        rows = data.d_val == d_index
        own = dataset_classes(dataset)
        y = np.searchsorted(own, data.y_val[rows])
        pred = probs[rows][:, own].argmax(axis=1)
        out[dataset] = {"n": int(rows.sum()), "accuracy": scores[f"{dataset}_accuracy"],
                        "accuracy_any_class": scores[f"{dataset}_accuracy_any"],
                        "macro_f1": macro_f1(y, pred, range(len(own))),
                        "classes": [SCENE_CLASSES[i] for i in own],
                        "confusion": confusion(y, pred, len(own)).tolist()}
    out["confusion_all"] = confusion(data.y_val, probs.argmax(axis=1), len(SCENE_CLASSES)).tolist()
    return out


def ship_scenes(run_dir: str | Path, data_root: str | Path, dest: str | Path | None = None,
                mirror: bool = True, threads: int | None = 2) -> Path:
    """Export a run's best checkpoint with its feature map (``learn.cam``; ``mirror``: the
    image and its mirror image averaged), score it on both validation sets and write the model
    with its card (``scenes.json``, ``scenes.md``) to ``dest`` (default: the shipped model)."""
    import shutil
    import tempfile

    from moviemotion.content.scenes import DEFAULT_MODEL
    from moviemotion.learn.cam import export_cam_onnx
    from moviemotion.learn.card import model_card, write_card
    from moviemotion.learn.train import load_checkpoint

    run_dir, dest = Path(run_dir), Path(dest or DEFAULT_MODEL)
    net, ckpt, task = load_checkpoint(run_dir / "best.pt")
    cfg = ckpt["config"]
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / dest.name
        export_cam_onnx(net, staged, task, mirror=mirror, metadata={
            "arch": cfg["arch"], "epoch": ckpt["epoch"], "seed": cfg["seed"],
            "command": cfg.get("command", ""), "data": "15-Scene + Intel6 (docs/scenes.md)"})
        scores = evaluate_scenes(staged, data_root, threads)
        dest.parent.mkdir(parents=True, exist_ok=True)
        from moviemotion.io import atomic_path

        with atomic_path(dest) as final:
            shutil.copyfile(staged, final)
    metrics = {f"{d} val": {k: scores[d][k] for k in ("n", "accuracy", "accuracy_any_class",
                                                      "macro_f1")} for d in DATASETS}
    card = model_card(task, cfg, metrics, model=dest, best_epoch=ckpt["epoch"],
                      confusion=scores["confusion_all"], mirror_averaged=mirror,
                      per_dataset_confusion={d: {"classes": scores[d]["classes"],
                                                 "matrix": scores[d]["confusion"]}
                                             for d in DATASETS},
                      speed={"images_per_s": scores["images_per_s"], "threads": threads,
                             "batch": 64},
                      label_set={"classes": list(SCENE_CLASSES), "merged": DATASET_LABELS})
    write_card(dest, card)
    return dest
