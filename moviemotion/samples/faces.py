"""Procedural cartoon faces drawn in code, with an expression: the demo's audience members.

No face image is shipped or read: each face is drawn from ellipses and polylines with
OpenCV (shaded skin, eye sockets, eyes, brows, nose shading, a mouth per expression),
so that OpenCV's Haar frontal-face cascade finds it like a real face.

Example
-------
>>> from moviemotion.samples.faces import FaceStyle, draw_face
>>> import numpy as np
>>> img = np.zeros((480, 640, 3), np.uint8)
>>> draw_face(img, center=(320, 230), height=220, expression="happy", style=FaceStyle())
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Expressions the renderer knows, named like the emotion classes they portray.
EXPRESSIONS = ("neutral", "happy", "surprise", "sad", "angry", "fear")


@dataclass(frozen=True)
class FaceStyle:
    """How one synthetic viewer looks (colours are RGB)."""

    skin: tuple[int, int, int] = (214, 170, 140)
    hair: tuple[int, int, int] = (60, 42, 30)
    eye: tuple[int, int, int] = (50, 40, 35)
    width_ratio: float = 0.74  # face width / face height


STYLES = (
    FaceStyle(),
    FaceStyle(skin=(170, 120, 90), hair=(25, 20, 18), eye=(30, 25, 20), width_ratio=0.76),
    FaceStyle(skin=(235, 200, 175), hair=(150, 110, 60), eye=(60, 80, 90), width_ratio=0.72),
    FaceStyle(skin=(200, 150, 110), hair=(90, 90, 95), eye=(40, 30, 25), width_ratio=0.75),
)


# Eye geometry (fractions of face width/height) and how wide each expression opens them.
# (Tuned so that Haar finds every face and an FER2013-trained model reads most expressions.)
_EYE_OPEN = {"neutral": 0.7, "surprise": 1.5, "fear": 1.35, "happy": 0.5, "angry": 0.52, "sad": 0.6}
_EYE_W, _EYE_H, _IRIS, _SOCKET = 0.1, 0.025, 0.025, 0.7


def _shade(color: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * k, 0, 255)) for c in color)


def _pt(x: float, y: float) -> tuple[int, int]:
    return int(round(x)), int(round(y))


def draw_face(
    img: np.ndarray,
    center: tuple[float, float],
    height: float,
    expression: str = "neutral",
    style: FaceStyle = FaceStyle(),
) -> np.ndarray:
    """Draw a face of ``height`` pixels centred at ``center`` onto RGB ``img`` (in place).

    ``expression`` is one of :data:`EXPRESSIONS`; the mouth, brows and eyes change with it.
    """
    if expression not in EXPRESSIONS:
        raise ValueError(f"unknown expression {expression!r}; use one of {EXPRESSIONS}")
    cx, cy = center
    h = float(height)
    w = h * style.width_ratio
    aa = cv2.LINE_AA
    # Hair behind the head, neck below it.
    cv2.ellipse(img, _pt(cx, cy - 0.08 * h), _pt(0.56 * w, 0.55 * h), 0, 180, 360, style.hair, -1, aa)
    cv2.rectangle(img, _pt(cx - 0.22 * w, cy + 0.3 * h), _pt(cx + 0.22 * w, cy + 0.75 * h),
                  _shade(style.skin, 0.75), -1)
    # Skin: an ellipse shaded from a lit centre to darker edges.
    cv2.ellipse(img, _pt(cx, cy), _pt(0.5 * w, 0.5 * h), 0, 0, 360, _shade(style.skin, 0.8), -1, aa)
    cv2.ellipse(img, _pt(cx, cy + 0.02 * h), _pt(0.42 * w, 0.44 * h), 0, 0, 360, style.skin, -1, aa)
    cv2.ellipse(img, _pt(cx, cy - 0.05 * h), _pt(0.3 * w, 0.3 * h), 0, 0, 360,
                _shade(style.skin, 1.07), -1, aa)
    # Fringe over the forehead.
    cv2.ellipse(img, _pt(cx, cy - 0.42 * h), _pt(0.46 * w, 0.14 * h), 0, 180, 360, style.hair, -1, aa)

    eye_y = cy - 0.1 * h
    eye_dx = 0.21 * w
    open_ = _EYE_OPEN.get(expression, 1.0)
    brow_lift = {"surprise": 0.07, "fear": 0.05, "angry": -0.03, "sad": 0.0}.get(expression, 0.0)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        # Eye socket shadow: the dark band Haar features look for.
        cv2.ellipse(img, _pt(ex, eye_y), _pt(0.16 * w, 0.075 * h * max(open_, 0.9)), 0, 0, 360,
                    _shade(style.skin, _SOCKET), -1, aa)
        cv2.ellipse(img, _pt(ex, eye_y), _pt(_EYE_W * w, _EYE_H * h * open_), 0, 0, 360, (235, 235, 230), -1, aa)
        cv2.circle(img, _pt(ex, eye_y), int(round(_IRIS * h * min(open_, 1.2))), style.eye, -1, aa)
        cv2.circle(img, _pt(ex, eye_y), max(1, int(round(0.013 * h))), (10, 10, 10), -1, aa)
        # Brows: tilt inwards-down when angry, inwards-up when sad or afraid.
        by = eye_y - (0.1 + brow_lift) * h
        tilt = {"angry": 0.05, "sad": -0.045, "fear": -0.03}.get(expression, 0.0) * h
        inner = (ex - side * 0.11 * w, by + tilt)
        outer = (ex + side * 0.12 * w, by - 0.01 * h)
        cv2.line(img, _pt(*inner), _pt(*outer), _shade(style.hair, 0.8), max(2, int(0.028 * h)), aa)
    # Nose: bright ridge, shadowed side and nostrils.
    cv2.line(img, _pt(cx + 0.03 * w, eye_y + 0.02 * h), _pt(cx + 0.06 * w, cy + 0.13 * h),
             _shade(style.skin, 0.72), max(2, int(0.02 * h)), aa)
    cv2.ellipse(img, _pt(cx, cy + 0.15 * h), _pt(0.09 * w, 0.035 * h), 0, 0, 180,
                _shade(style.skin, 0.6), max(2, int(0.015 * h)), aa)
    _draw_mouth(img, cx, cy + 0.3 * h, w, h, expression, style)
    return img


def _draw_mouth(img, cx, my, w, h, expression, style) -> None:
    aa = cv2.LINE_AA
    lip = _shade(style.skin, 0.5)
    dark = (60, 20, 25)
    thick = max(2, int(0.025 * h))
    if expression == "happy":
        # A wide open smile: a dark half-ellipse with teeth and upturned corners.
        cv2.ellipse(img, _pt(cx, my - 0.03 * h), _pt(0.22 * w, 0.1 * h), 0, 0, 180, dark, -1, aa)
        cv2.ellipse(img, _pt(cx, my - 0.025 * h), _pt(0.17 * w, 0.035 * h), 0, 0, 180, (240, 240, 235), -1, aa)
        cv2.ellipse(img, _pt(cx, my - 0.03 * h), _pt(0.22 * w, 0.1 * h), 0, 0, 180, lip, thick, aa)
        cv2.line(img, _pt(cx - 0.22 * w, my - 0.03 * h), _pt(cx + 0.22 * w, my - 0.03 * h), lip, thick, aa)
    elif expression in ("surprise", "fear"):
        ry = 0.09 * h if expression == "surprise" else 0.06 * h
        rx = 0.09 * w if expression == "surprise" else 0.15 * w
        cv2.ellipse(img, _pt(cx, my), _pt(rx, ry), 0, 0, 360, dark, -1, aa)
        cv2.ellipse(img, _pt(cx, my), _pt(rx, ry), 0, 0, 360, lip, thick, aa)
    elif expression in ("sad", "angry"):
        # A frown: an arc bending down at the corners.
        depth = 0.06 if expression == "sad" else 0.03
        cv2.ellipse(img, _pt(cx, my + 0.04 * h), _pt(0.17 * w, depth * h), 0, 180, 360, lip, thick + 1, aa)
    else:
        cv2.line(img, _pt(cx - 0.15 * w, my), _pt(cx + 0.15 * w, my), lip, thick + 1, aa)


def background(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A dim cinema-seat backdrop (RGB): a vertical gradient and a seat back, no texture noise."""
    w, h = size
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.7, 1.0, 3) * np.array([40.0, 38.0, 55.0])
    ramp = np.linspace(0.6, 1.3, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(base[None, None, :] * ramp, (h, w, 3)).astype(np.uint8).copy()
    seat = tuple(int(c) for c in rng.uniform(60, 110, 3) * np.array([1.2, 0.4, 0.4]))
    cv2.rectangle(img, (int(0.18 * w), int(0.55 * h)), (int(0.82 * w), h), seat, -1)
    return img
