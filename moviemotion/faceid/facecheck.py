"""Training the face detector's second look (:mod:`moviemotion.faces.check`) on the kit.

CenterFace keeps every candidate down to a heatmap score of ``check_from`` (0.02); the face
check, a small CNN on a 32x32 luma patch of the candidate's square box, decides about those
below the detector's threshold. It learns from CenterFace's own candidates (both detect
widths, 320 and 640), built in code from ``../shared/data`` (never shipped):

* **positives**: candidates that overlap a true face (IoU >= 0.3) in frames made by
  :func:`moviemotion.samples.faces.face_scene` from **training-side faces only**
  (:func:`face_pool`: FER2013's Training split, Extended Yale B people 01-28); the held-out
  faces (FER2013 PublicTest, Yale B 29-39) are left for ``benchmarks/detector.py``;
* **negatives**: candidates in real photos of places (15-Scene and Intel6 training images:
  rooms, streets, coasts, forests, without faces close up). Candidates on the frames' backdrops
  are *not* used as negatives, so the check never learns the benchmark's backdrops.

The p(face) a weak candidate needs (:data:`~moviemotion.faces.centerface.CHECK_THRESHOLD`) is
chosen on validation frames made from training-side faces with another seed: the highest
recall with at most ``max_fp`` false positives per frame (:func:`choose_threshold`).

    moviemotion train facecheck --data ../shared/data -o runs/facecheck
    moviemotion ship facecheck runs/facecheck
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from moviemotion.errors import InputError
from moviemotion.io import atomic_write_json
from moviemotion.learn.task import Task

#: Detect widths whose candidates are learnt from (the audience job's and the benchmark's).
WIDTHS = (320, 640)
#: Yale B people up to this number are training-side; the rest are held out.
YALE_TRAIN_LAST = 28
FER_TRAIN_SPLIT, FER_HELD_OUT_SPLIT = 0, 1          # FER2013 Training / PublicTest
SCENE_KINDS = ("seat",) * 10 + ("wide",) * 7 + ("empty",) * 3    # 50 / 35 / 15 %


def face_pool(data: str | Path, side: str, n: int, seed: int) -> dict[str, list[np.ndarray]]:
    """``n`` Yale B crops and ``n`` FER2013 faces (gray uint8) of one side of the split:
    ``"train"`` (FER Training, Yale B01-B28) or ``"held-out"`` (FER PublicTest, Yale B29-B39;
    without the PublicTest faces that repeat a Training face pixel for pixel)."""
    import cv2

    if side not in ("train", "held-out"):
        raise ValueError(f"side must be train or held-out, got {side!r}")
    data = Path(data)
    root = data / "faces" / "yaleb_cropped"
    fer_path = data / "fer2013_train_public.npz"
    if not (root / "labels.csv").is_file() or not fer_path.is_file():
        raise InputError(f"{data}: needs faces/yaleb_cropped/labels.csv and fer2013_train_public.npz")
    rng = np.random.default_rng(seed)
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    train_side = side == "train"
    paths = [r["path"] for r in rows if (int(r["identity"].removeprefix("yaleB")) <= YALE_TRAIN_LAST) == train_side]
    yale = [cv2.imread(str(root / paths[i]), cv2.IMREAD_GRAYSCALE)
            for i in rng.choice(len(paths), min(n, len(paths)), replace=False)]
    with np.load(fer_path) as z:
        x, split = z["x"], z["split"]
    fer = x[split == (FER_TRAIN_SPLIT if train_side else FER_HELD_OUT_SPLIT)]
    if not train_side:       # FER2013 repeats some Training faces in PublicTest: drop those
        seen = {f.tobytes() for f in x[split == FER_TRAIN_SPLIT]}
        fer = fer[[f.tobytes() not in seen for f in fer]]
    return {"yale": yale, "fer": list(fer[rng.choice(len(fer), min(n, len(fer)), replace=False)])}


def scene_frames(faces: dict[str, list[np.ndarray]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` 640x480 frames: 50 % seat, 35 % wide, 15 % empty, each frame's faces from one
    source (alternating Yale B and FER2013). Each: ``gray``, ``boxes`` (true faces, x y w h),
    ``kind``, ``source``."""
    import cv2

    from moviemotion.samples.faces import face_scene

    rng = np.random.default_rng(seed)
    frames, cursor = [], dict.fromkeys(faces, 0)
    for i in range(n):
        kind = SCENE_KINDS[int(i / n * len(SCENE_KINDS))]
        source = ("yale", "fer")[i % 2]
        pool = faces[source]
        take = [pool[(cursor[source] + j) % len(pool)] for j in range(6)]
        cursor[source] += 6
        rgb, boxes = face_scene(take, kind, rng)
        frames.append({"gray": cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), "boxes": boxes,
                       "kind": kind, "source": source if kind != "empty" else "none"})
    return frames


def match(truth: np.ndarray, found: np.ndarray, min_iou: float = 0.3) -> np.ndarray:
    """Which of ``found`` is a true face: one detection per face at IoU >= ``min_iou``
    (Hungarian matching), bool (len(found),)."""
    from scipy.optimize import linear_sum_assignment

    from moviemotion.faces import iou_matrix

    hit = np.zeros(len(found), bool)
    if len(truth) and len(found):
        iou = iou_matrix(np.asarray(truth, np.float32), np.asarray(found, np.float32))
        rows, cols = linear_sum_assignment(-iou)
        hit[cols[iou[rows, cols] >= min_iou]] = True
    return hit


def _detectors():
    from moviemotion.faces.centerface import CHECK_FROM, CenterFaceDetector

    # Without the check and at its lowest score: every candidate the check will be asked about.
    return [CenterFaceDetector(detect_width=w, threshold=CHECK_FROM, check=False, threads=2)
            for w in WIDTHS]


def candidates(gray: np.ndarray, truth: np.ndarray, detectors) -> tuple[np.ndarray, ...]:
    """(32x32 patches, is-face labels, heatmap scores) of every candidate of ``gray``."""
    from moviemotion.faces.check import PATCH
    from moviemotion.faces.crops import crop_faces

    xs, ys, ss = [], [], []
    for det in detectors:
        found = det.detect(gray)
        if len(found.boxes):
            xs.append(crop_faces(gray, found.boxes, PATCH))
            ys.append(match(truth, found.boxes))
            ss.append(found.scores)
    if not xs:
        return np.zeros((0, PATCH, PATCH), np.uint8), np.zeros(0, bool), np.zeros(0, np.float32)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def photo_paths(data: str | Path, n: int, seed: int) -> list[Path]:
    """Every 15-Scene training photo and ``n`` - 1,500 Intel6 ones (seeded)."""
    data = Path(data) / "scenes"
    out = []
    for name in ("scene15", "intel6"):
        table = data / name / "labels.csv"
        if not table.is_file():
            raise InputError(f"{table}: not found (the scene photos give the negatives)")
        with open(table, newline="") as f:
            out.append([data / name / r["path"] for r in csv.DictReader(f) if r["split"] == "train"])
    scene15, intel6 = out
    rng = np.random.default_rng(seed)
    take = max(0, min(len(intel6), n - len(scene15)))
    return scene15[:n] + [intel6[i] for i in rng.choice(len(intel6), take, replace=False)]


def build(data: str | Path, frames: int = 800, photos: int = 3000, seed: int = 0,
          quiet: bool = False) -> dict[str, np.ndarray]:
    """The training candidates: ``x`` (N, 32, 32) uint8, ``y`` (1 = face), ``score``,
    ``source`` (1 = a face-scene frame, 2 = a photo)."""
    import cv2

    from moviemotion.progress import progress_bar

    dets = _detectors()
    pool = face_pool(data, "train", 1500, seed)
    xs, ys, ss, src = [], [], [], []
    scenes = scene_frames(pool, frames, seed + 1)
    paths = photo_paths(data, photos, seed)
    with progress_bar(disable=quiet) as bar:
        task = bar.add_task("face-check candidates", total=len(scenes) + len(paths), unit="images")
        for fr in scenes:
            x, y, s = candidates(fr["gray"], fr["boxes"], dets)
            xs.append(x), ys.append(y), ss.append(s), src.append(np.full(len(y), 1, np.uint8))
            bar.advance(task)
        for p in paths:
            g = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
            if g is not None:
                g = cv2.resize(g, (640, round(640 * g.shape[0] / g.shape[1])), interpolation=cv2.INTER_LINEAR)
                x, y, s = candidates(g, np.zeros((0, 4), np.float32), dets)
                xs.append(x), ys.append(y), ss.append(s), src.append(np.full(len(y), 2, np.uint8))
            bar.advance(task)
    return {"x": np.concatenate(xs), "y": np.concatenate(ys).astype(np.int64),
            "score": np.concatenate(ss), "source": np.concatenate(src)}


def make_task(x: np.ndarray) -> Task:
    from moviemotion.faces.check import PATCH

    return Task("face_check", (1, PATCH, PATCH), ("other", "face"), "multiclass",
                mean=round(float(x.mean()), 2), std=round(float(x.std()), 2), augment="light")


def frame_scores(detectors, frames: list[dict[str, Any]], check) -> list[tuple]:
    """Per frame: (is-face per candidate, heatmap score, p(face)) for :func:`choose_threshold`."""
    out = []
    for fr in frames:
        for det in detectors:
            found = det.detect(fr["gray"])
            out.append((det.detect_width, len(fr["boxes"]), match(fr["boxes"], found.boxes),
                        found.scores, check(fr["gray"], found.boxes)))
    return out


def operating_points(scored: list[tuple], threshold: float, taus: np.ndarray) -> dict[int, list[dict]]:
    """Recall and false positives per frame, per detect width, at each p(face) ``tau`` (a weak
    candidate kept when p >= tau; a strong one, score >= ``threshold``, always)."""
    out: dict[int, list[dict]] = {}
    for width in sorted({s[0] for s in scored}):
        rows = [s for s in scored if s[0] == width]
        faces = sum(r[1] for r in rows)
        hit, score, p = (np.concatenate([r[k] for r in rows]) for k in (2, 3, 4))
        keep = (score >= threshold)[None] | (p[None] >= np.asarray(taus, float)[:, None])  # (taus, N)
        hits, fps = (keep & hit).sum(axis=1), (keep & ~hit).sum(axis=1)
        out[width] = [{"tau": float(t), "recall": int(h) / max(faces, 1), "fp_per_frame": int(f) / len(rows)}
                      for t, h, f in zip(taus, hits, fps, strict=True)]
    return out


def choose_threshold(points: dict[int, list[dict]], max_fp: float = 0.05, width: int = 640) -> float:
    """The lowest p(face) threshold whose false positives per frame at ``width`` stay at or
    below ``max_fp`` (the highest recall with few false positives)."""
    ok = [p["tau"] for p in points[width] if p["fp_per_frame"] <= max_fp]
    return min(ok) if ok else 1.0


def train_facecheck(data: str | Path, run_dir: str | Path, config: Any, *, frames: int = 800,
                    photos: int = 3000, val_frames: int = 200, max_fp: float = 0.05,
                    resume: bool = False, quiet: bool = False) -> Path:
    """Build the candidates (kept in ``run_dir/candidates.npz``), train the check with the kit
    (a seeded 1/7 of the candidates picks the best epoch), then choose its p(face) threshold on
    ``val_frames`` new frames of training-side faces (``operating_points.json``)."""
    from moviemotion.faces.centerface import CenterFaceDetector
    from moviemotion.faces.check import FaceCheck
    from moviemotion.io import atomic_path
    from moviemotion.learn.train import train

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    cache = run_dir / "candidates.npz"
    if cache.is_file():
        with np.load(cache) as z:
            cands = {k: z[k] for k in z.files}
    else:
        cands = build(data, frames, photos, config.seed, quiet)
        with atomic_path(cache) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, **cands)
    use = (cands["source"] == 2) | (cands["y"] == 1)      # faces, and photo negatives only
    x, y = cands["x"][use][:, None], cands["y"][use]
    order = np.random.default_rng(config.seed).permutation(len(y))
    va, tr = order[:len(y) // 7], order[len(y) // 7:]
    task = make_task(x)
    train(task, config, run_dir, (x[tr], y[tr]), (x[va], y[va]), resume=resume, quiet=quiet)

    threshold = CenterFaceDetector(check=False).threshold
    check = FaceCheck(run_dir / "model.onnx")
    pool = face_pool(data, "train", 600, config.seed + 2)
    scored = frame_scores(_detectors(), scene_frames(pool, val_frames, config.seed + 3), check)
    points = operating_points(scored, threshold, np.round(np.arange(0.05, 1.0, 0.05), 2))
    chosen = choose_threshold(points, max_fp)
    atomic_write_json(run_dir / "operating_points.json", {
        "check_threshold": chosen, "max_fp_per_frame": max_fp, "detector_threshold": threshold,
        "val_frames": val_frames, "faces": "training side (FER Training, Yale B01-B28), other seeds",
        "candidates": {"n": int(len(y)), "faces": int(y.sum()),
                       "photo_negatives": int(((cands["source"] == 2) & (cands["y"] == 0)).sum()),
                       "frame_negatives_unused": int(((cands["source"] == 1) & (cands["y"] == 0)).sum())},
        "points": {str(w): p for w, p in points.items()}})
    return run_dir


def ship(run_dir: str | Path, dest: str | Path | None = None) -> Path:
    """Install a finished run's ``model.onnx`` as the shipped face check with the kit's model
    card (:func:`moviemotion.learn.ship.ship`: command, data, best epoch, validation accuracy
    and confusion matrix) plus the chosen p(face) threshold and the operating points it was
    chosen from."""
    import json

    from moviemotion.faces.check import CHECK_MODEL
    from moviemotion.learn.ship import require_run_files
    from moviemotion.learn.ship import ship as ship_run

    run_dir = Path(run_dir)
    require_run_files(run_dir, ("model.onnx", "best.pt", "config.json", "evaluation.json",
                                "operating_points.json"), "face-check")
    points = json.loads((run_dir / "operating_points.json").read_text())
    return ship_run(run_dir, Path(dest) if dest is not None else CHECK_MODEL,
                    check_threshold=points["check_threshold"], operating_points=points)
