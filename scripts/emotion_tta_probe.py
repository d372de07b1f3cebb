"""Does more test-time augmentation than the mirror image help the emotion model?

Scores one exported emotion model (float ONNX, without mirror averaging baked in) on the
PublicTest faces with several sets of views averaged: the face alone, with its mirror image,
with 2-pixel shifts (edge-padded) and their mirrors, with 10 % zoom in and out. Measured
numbers are in docs/emotion.md; nothing here is shipped.

    python scripts/emotion_tta_probe.py runs/gpu/s5call2/runs/w40s2/model.onnx \\
        --data ../shared/data/fer2013_train_public.npz        # ~2 min on 2 cores
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moviemotion.emotion.data import load  # noqa: E402
from moviemotion.emotion.predictor import Predictor  # noqa: E402

SHIFTS4 = ((-2, 0), (2, 0), (0, -2), (0, 2))
SHIFTS8 = (*SHIFTS4, (-1, -1), (1, 1), (-1, 1), (1, -1))


def shift(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """(N, 48, 48) faces moved by (dx, dy) pixels, edges repeated."""
    p = np.pad(x, ((0, 0), (2, 2), (2, 2)), mode="edge")
    return p[:, 2 + dy:2 + dy + x.shape[1], 2 + dx:2 + dx + x.shape[2]]


def zoom(x: np.ndarray, f: float) -> np.ndarray:
    """(N, 48, 48) faces scaled by ``f`` about the centre (cropped, or edge-padded)."""
    import cv2

    n = x.shape[1]
    m = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), 0, f)
    return np.stack([cv2.warpAffine(face, m, (n, n), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE) for face in x])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="an exported emotion model (model.onnx of a run)")
    ap.add_argument("--data", required=True, help="FER2013 .npz / .csv")
    ap.add_argument("--split", default="PublicTest")
    a = ap.parse_args()
    faces = load(a.data, a.split)
    predict = Predictor(a.model, threads=2).predict
    views = {"id": faces.x}
    for dx, dy in SHIFTS8:
        views[f"shift{dx},{dy}"] = shift(faces.x, dx, dy)
    for f in (1.1, 0.9):
        views[f"zoom{f}"] = zoom(faces.x, f)
    probs = {}
    for name, x in views.items():               # every view and its mirror image
        probs[name] = predict(np.ascontiguousarray(x))
        probs["mirror " + name] = predict(np.ascontiguousarray(x[:, :, ::-1]))

    def acc(names: list[str]) -> float:
        return float((sum(probs[k] for k in names).argmax(1) == faces.y).mean())

    both = lambda names: [v for n in names for v in (n, "mirror " + n)]  # noqa: E731
    sets = {"one view": ["id"], "+ mirror": both(["id"]),
            "+ 4 shifts (and mirrors)": both(["id", *(f"shift{dx},{dy}" for dx, dy in SHIFTS4)]),
            "+ 8 shifts (and mirrors)": both(["id", *(f"shift{dx},{dy}" for dx, dy in SHIFTS8)]),
            "+ zoom 1.1 / 0.9 (and mirrors)": both(["id", "zoom1.1", "zoom0.9"]),
            "all views": list(probs)}
    for label, names in sets.items():
        print(f"{label:32s} {len(names):3d} views  {acc(names):.2%}")


if __name__ == "__main__":
    main()
