"""Scene classes of the film (what kind of place is on screen), with class activation maps.

:class:`SceneClassifier` runs the shipped scene model (``content/weights/scenes.onnx``, a
small residual network trained by ``moviemotion train scenes`` on 15-Scene + Intel6, 17
classes; model card in docs/scenes.md) with onnxruntime and numpy only:

>>> from moviemotion.content import SceneClassifier                     # doctest: +SKIP
>>> sc = SceneClassifier()
>>> probs = sc.predict(images)      # list/array of RGB or gray uint8 images, any size: (N, 17)
>>> sc.classes[probs[0].argmax()]
>>> heat = sc.cam(images[0])        # (H, W) float32 in [0, 1]: where the top class was seen

The network ends in global average pooling + one linear layer, so the class activation map
(Zhou et al. 2016) ``W_k . F + b_k`` over the last feature map ``F`` is exact: its spatial
mean is the class's logit. The model outputs ``F`` beside the probabilities and carries
``W`` and ``b`` in its metadata (:mod:`moviemotion.learn.cam`).

The ``scenes`` analyzer of the one decode pass classifies ``fps`` frames per second (default
2) at the model's input size, in batches, averages the probabilities per second and writes the
top five classes per second into the movie table: ``scene_1`` .. ``scene_5`` (class names)
and ``scene_1_p`` .. ``scene_5_p`` (mean probability over the second's frames, 0-1). With
``cam`` it hands on a ``cam`` table: for each shot's representative frame (the shots
analyzer's thumbnail from the middle of the shot) a PNG of the frame with the heat map of
its top class laid over it (``moviemotion movie --cam`` writes them to ``OUT/cam/``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from moviemotion.content.base import ANALYZERS, MovieAnalyzer, n_seconds
from moviemotion.errors import InputError, ModelError
from moviemotion.signals import Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo

#: The shipped model (see docs/scenes.md).
DEFAULT_MODEL = Path(__file__).parent / "weights" / "scenes.onnx"
TOP = 5


class SceneClassifier:
    """The scene model. ``model``: an ``.onnx`` file made by ``moviemotion train scenes``
    (default: the shipped one); ``threads``: onnxruntime threads; ``batch_size``: images per
    inference call. A missing or foreign model is a one-line :class:`ModelError`."""

    def __init__(self, model: str | os.PathLike[str] | None = None, threads: int | None = None,
                 batch_size: int = 64):
        from moviemotion.learn.cam import CamPredictor

        path = Path(model) if model is not None else DEFAULT_MODEL
        if model is None and not path.is_file():
            raise ModelError(f"{path}: no scene model shipped in this installation; train one "
                             "with `moviemotion train scenes` and pass it as the model")
        self.predictor = CamPredictor(path, threads, batch_size, what="scene model")
        if self.predictor.input_shape is None or len(self.predictor.input_shape) != 3:
            raise ModelError(f"{path}: not an image model (input {self.predictor.input_shape})")
        self.path = path
        self.classes: tuple[str, ...] = self.predictor.classes

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) the model takes."""
        _, h, w = self.predictor.input_shape
        return int(w), int(h)

    def prepare(self, images: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Images of any size (uint8 gray (H, W) or RGB (H, W, 3)) -> model input."""
        if len(images) == 0:
            return np.zeros((0, *self.predictor.input_shape), np.float32)
        return self.predictor.prepare_images(images)

    def predict(self, images: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Class probabilities (N, C) of images of any size (RGB or gray uint8)."""
        x = self.prepare(images)
        return self.predictor.predict(x) if len(x) else np.zeros((0, len(self.classes)), np.float32)

    def predict_maps(self, images: np.ndarray | Sequence[np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (N, C), class activation maps (N, C, h, w) at feature resolution)."""
        probs, feats = self.predictor.predict_features(self.prepare(images))
        return probs, self.predictor.class_maps(feats)

    def cam(self, image: np.ndarray, label: int | str | None = None) -> np.ndarray:
        """Heat map (H, W) float32 in [0, 1] at the image's size of where the network saw
        ``label`` (a class name or index; default: the top class)."""
        image = np.asarray(image)
        probs, maps = self.predict_maps([image])
        k = self.class_index(label) if label is not None else int(probs[0].argmax())
        from moviemotion.learn.cam import normalized_heatmap

        return normalized_heatmap(maps[0, k], image.shape[:2])

    def class_index(self, label: int | str) -> int:
        if isinstance(label, str):
            if label not in self.classes:
                raise InputError(f"unknown scene class {label!r}; the model has "
                                 f"{', '.join(self.classes)}")
            return self.classes.index(label)
        k = int(label)
        if not 0 <= k < len(self.classes):
            raise InputError(f"class index {k} out of range 0-{len(self.classes) - 1}")
        return k

    def top(self, probs: np.ndarray, k: int = TOP) -> list[list[tuple[str, float]]]:
        """Per row of ``probs``: the ``k`` most likely (class, probability), best first."""
        probs = np.asarray(probs)
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        return [[(self.classes[j], float(p[j])) for j in row] for p, row in zip(probs, order, strict=True)]


def overlay(image_rgb: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The RGB image with the heat map (0-1, same size) laid over it in the JET colours."""
    colored = cv2.applyColorMap(np.uint8(np.clip(heat, 0, 1) * 255), cv2.COLORMAP_JET)
    colored = cv2.cvtColor(colored, cv2.COLOR_BGR2RGB)
    img = image_rgb if image_rgb.ndim == 3 else cv2.cvtColor(image_rgb, cv2.COLOR_GRAY2RGB)
    return cv2.addWeighted(img, 1 - alpha, colored, alpha, 0)


def png_bytes(image_rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def seconds_top(times: np.ndarray, probs: np.ndarray, n: int, classes: Sequence[str],
                k: int = TOP) -> dict[str, Any]:
    """Per-second mean probabilities of samples at ``times`` -> ``scene_i`` (names) and
    ``scene_i_p`` (probabilities) columns for seconds 0 .. n-1 (no sample: "" and NaN)."""
    c = len(classes)
    sums, counts = np.zeros((n, c)), np.zeros(n)
    sec = np.floor(np.asarray(times, np.float64) + 1e-9).astype(np.int64)
    ok = (sec >= 0) & (sec < n)
    np.add.at(sums, sec[ok], np.asarray(probs, np.float64)[ok])
    np.add.at(counts, sec[ok], 1)
    mean = sums / np.maximum(counts, 1)[:, None]
    order = np.argsort(-mean, axis=1, kind="stable")[:, :k]
    cols: dict[str, Any] = {"time": np.arange(n, dtype=np.float64)}
    names = np.asarray(classes, dtype=object)
    for i in range(min(k, c)):
        has = counts > 0
        cols[f"scene_{i + 1}"] = np.where(has, names[order[:, i]], "").astype(str)
        cols[f"scene_{i + 1}_p"] = np.where(has, np.round(mean[np.arange(n), order[:, i]], 4), np.nan)
    return cols


@ANALYZERS.register("scenes", help="scene class per second (17 places: 15-Scene + Intel6), "
                    "top 5 with probabilities; class activation maps per shot with --cam")
class ScenesAnalyzer(MovieAnalyzer):
    """Top-5 scene classes per second (see the module docstring)."""

    name = "scenes"
    columns = {k: v for i in range(1, TOP + 1)
               for k, v in ((f"scene_{i}", "class"), (f"scene_{i}_p", "probability"))}
    defaults = {"fps": 2.0, "model": None, "threads": None, "batch_size": 64, "cam": False}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        s = self._settings
        try:
            fps = float(s["fps"])
        except (TypeError, ValueError):
            fps = float("nan")
        if not 0 < fps <= 60:
            raise InputError(f"scenes analyzer: fps {s['fps']!r} must be a number in (0, 60]")
        self._fps = fps
        self._classifier: SceneClassifier | None = None

    @classmethod
    def applies(cls, info: VideoInfo, has_audio: bool) -> str:
        return "" if DEFAULT_MODEL.is_file() else "no scene model shipped"

    @property
    def classifier(self) -> SceneClassifier:
        if self._classifier is None:
            s = self._settings
            self._classifier = SceneClassifier(s["model"], s["threads"], int(s["batch_size"]))
        return self._classifier

    def request(self, info: VideoInfo) -> FrameRequest:
        self._times: list[float] = []
        self._batch: list[np.ndarray] = []
        self._probs: list[np.ndarray] = []
        return FrameRequest(fps=self._fps, mode="rgb", size=self.classifier.input_size,
                            interpolation="AREA")

    def push(self, t: float, frame: np.ndarray) -> None:
        self._times.append(t)
        self._batch.append(frame)
        if len(self._batch) >= int(self._settings["batch_size"]):
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._probs.append(self.classifier.predict(self._batch))
            self._batch = []

    def finish(self, run: PassInfo) -> list[Signals]:
        self._flush()
        k = len(self.classifier.classes)
        probs = np.concatenate(self._probs) if self._probs else np.zeros((0, k), np.float32)
        cols = seconds_top(np.asarray(self._times), probs, n_seconds(run), self.classifier.classes)
        self._summary = {"frames": len(self._times), "complete": run.complete}
        if len(probs):
            mean = probs.mean(axis=0)
            self._summary["most_likely"] = self.classifier.top(mean[None], 3)[0]
        return [Signals.from_columns(self.name, "seconds", cols, units=dict(self.columns))]

    def summary(self) -> dict[str, Any]:
        return getattr(self, "_summary", {})

    def after_pass(self, tables: Mapping[str, list[Signals]], run: PassInfo) -> list[Signals]:
        """With ``cam``: the ``cam`` table (shot, time, label, probability, png) of each shot's
        representative frame (the shots analyzer's thumbnail), else nothing."""
        if not self._settings["cam"]:
            return []
        thumbs = next((s for s in tables.get("shots", []) if s.source == "shot_thumbnails"), None)
        if thumbs is None:
            raise InputError("--cam needs the shots analyzer (one representative frame per shot)")
        return [cam_table([(int(r["shot"]), float(r["time"]),
                            cv2.cvtColor(cv2.imdecode(np.frombuffer(r["jpeg"], np.uint8),
                                                      cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
                           for r in thumbs.to_pylist()], self.classifier)]


def cam_table(frames: Sequence[tuple[int, float, np.ndarray]], classifier: SceneClassifier,
              batch: int = 32) -> Signals:
    """``(shot, time, RGB frame)`` -> a ``cam`` table: shot, time, top class, its probability
    and the PNG of the frame with that class's heat map over it."""
    import pyarrow as pa

    from moviemotion.learn.cam import normalized_heatmap

    rows: list[tuple[int, float, str, float, bytes]] = []
    for start in range(0, len(frames), batch):
        chunk = frames[start:start + batch]
        probs, maps = classifier.predict_maps([f for _, _, f in chunk])
        for (shot, t, frame), p, m in zip(chunk, probs, maps, strict=True):
            k = int(p.argmax())
            heat = normalized_heatmap(m[k], frame.shape[:2])
            rows.append((shot, t, classifier.classes[k], round(float(p[k]), 4),
                         png_bytes(overlay(frame, heat))))
    table = pa.table({"time": pa.array([r[1] for r in rows], pa.float64()),
                      "shot": pa.array([r[0] for r in rows], pa.int64()),
                      "label": pa.array([r[2] for r in rows], pa.string()),
                      "probability": pa.array([r[3] for r in rows], pa.float64()),
                      "png": pa.array([r[4] for r in rows], pa.binary())})
    return Signals.from_columns("cam", "frames", table)


def _read_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(f"{path}: not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def classify_path(path: str | os.PathLike[str], classifier: SceneClassifier, *, fps: float = 2.0,
                  top: int = TOP, out: str | os.PathLike[str] | None = None,
                  cam_dir: str | os.PathLike[str] | None = None
                  ) -> tuple[list[dict[str, Any]], list[Path]]:
    """Top classes of an image file, each image of a folder, or each second of a video.

    Returns (rows for display, files written): ``out`` gets the table (CSV for images:
    ``image, scene_1, scene_1_p, ...``; for a video the per-second time table, .csv or
    .parquet); ``cam_dir`` (images only) one ``<name>_cam.png`` per image."""
    from moviemotion.io import atomic_write_text
    from moviemotion.video.images import IMAGE_SUFFIXES

    path = Path(path)
    written: list[Path] = []
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        files = [path] if path.is_file() else sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InputError(f"{path}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        rows: list[dict[str, Any]] = []
        lines = ["image," + ",".join(f"scene_{i},scene_{i}_p" for i in range(1, top + 1))]
        if cam_dir is not None:
            Path(cam_dir).mkdir(parents=True, exist_ok=True)
        for start in range(0, len(files), 64):
            chunk = files[start:start + 64]
            images = [_read_rgb(f) for f in chunk]
            probs, maps = classifier.predict_maps(images)
            for f, img, p, m, best in zip(chunk, images, probs, maps,
                                          classifier.top(probs, top), strict=True):
                rows.append({"image": f.name, **{str(i + 1): f"{c} {q:.2f}"
                                                 for i, (c, q) in enumerate(best)}})
                lines.append(",".join([_csv(f.name)] + [f"{c},{q:.4f}" for c, q in best]))
                if cam_dir is not None:
                    from moviemotion.io import atomic_write_bytes
                    from moviemotion.learn.cam import normalized_heatmap

                    heat = normalized_heatmap(m[int(p.argmax())], img.shape[:2])
                    written.append(atomic_write_bytes(Path(cam_dir) / f"{f.stem}_cam.png",
                                                      png_bytes(overlay(img, heat))))
        if out is not None:
            written.append(atomic_write_text(Path(out), "\n".join(lines) + "\n"))
        return rows, written
    if cam_dir is not None:
        raise InputError("--cam-dir is for images; for a video use `moviemotion movie VIDEO "
                         "--cam -o OUT` (one map per shot)")
    from moviemotion.video.source import analyze_movie, open_source

    analyzer = ScenesAnalyzer(fps=fps)
    analyzer._classifier = classifier
    with open_source(path) as src:
        result = analyze_movie(src, [analyzer])
    table = result.tables["scenes"][0]
    if out is not None:
        written.append(table.write(out))
    from moviemotion.signals import clock

    shown = range(1, min(top, len(classifier.classes)) + 1)
    rows = [{"time": clock(r["time"]), **{str(i): f"{r[f'scene_{i}']} {r[f'scene_{i}_p']:.2f}"
                                          for i in shown if r[f"scene_{i}"]}}
            for r in table.to_pylist()]
    if not result.run.complete:
        rows.append({"time": "", "1": result.run.incomplete_reason})
    return rows, written


def _csv(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text
