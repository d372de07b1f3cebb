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


#: Skin tones (RGB gains on the gray faces) and hair colors of the synthetic viewers.
TONES = ((1.05, 0.86, 0.72), (0.85, 0.66, 0.52), (1.1, 0.95, 0.85), (0.95, 0.75, 0.6))
HAIRS = ((60, 42, 30), (25, 20, 18), (150, 110, 60), (90, 90, 95))


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


# --- Real-looking frames for measuring face detectors (faces come from the caller) ---------


def textured_background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random RGB backdrop: a color gradient, multi-scale noise texture and a few objects.

    Built so a detector meets edges, blobs and shading as in a room, but no face.
    """
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    c0, c1 = rng.uniform(10, 230, 3), rng.uniform(10, 230, 3)
    img = c0[None, None] * (1 - ramp[..., None]) + c1[None, None] * ramp[..., None]
    texture = np.zeros((h, w), np.float32)
    for cell, amp in ((4, 6.0), (16, 12.0), (64, 18.0)):  # fine grain to large blotches
        small = rng.normal(0, 1, (h // cell + 2, w // cell + 2)).astype(np.float32)
        texture += amp * rng.uniform(0.3, 1.0) * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    img += texture[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 9))):  # furniture, frames, lamps, stripes
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        kind = rng.integers(0, 4)
        if kind == 0:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(20, w // 2)), y + int(rng.integers(20, h // 2))), color, -1)
        elif kind == 1:
            cv2.circle(img, (x, y), int(rng.integers(8, h // 4)), color, -1, cv2.LINE_AA)
        elif kind == 2:
            cv2.line(img, (x, 0), (int(rng.integers(0, w)), h), color, int(rng.integers(2, 12)), cv2.LINE_AA)
        else:
            period = int(rng.integers(6, 30))
            x1, y1 = min(w, x + int(rng.integers(40, 200))), min(h, y + int(rng.integers(40, 200)))
            for sx in range(x, x1, 2 * period):
                cv2.rectangle(img, (sx, y), (min(x1, sx + period), y1), color, -1)
    return cv2.GaussianBlur(img, (3, 3), 0)


def paste_face(frame: np.ndarray, face: np.ndarray, box: tuple[int, int, int, int],
               rng: np.random.Generator | None = None, turn: float = 0.0, roll: float = 0.0,
               tone: tuple[float, float, float] | None = None,
               hair: tuple[float, float, float] | None = None, whole: bool = False) -> np.ndarray:
    """Blend gray ``face`` into RGB ``frame`` (in place) so that it fills ``box`` (x, y, w, h).

    The face is tinted with a skin ``tone`` (RGB gains; random from ``rng`` if not given),
    set in a drawn head (hair, skin rim, neck) and faded in by a soft elliptical mask
    (``whole``: the whole crop with feathered edges);
    ``turn`` (0-1) squeezes it sideways like a head turned away, ``roll`` rotates it in the
    image plane (degrees). Returns the frame.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    x, y, bw, bh = (int(round(v)) for v in box)
    fh, fw = frame.shape[:2]
    f = cv2.resize(face, (bw, bh), interpolation=cv2.INTER_AREA if bw < face.shape[1] else cv2.INTER_CUBIC)
    f = f.astype(np.float32)
    mask = np.zeros((bh, bw), np.float32)
    if whole:  # the whole crop, edges feathered (crops framed with hair and chin, as FER2013's)
        mask[int(0.04 * bh):bh - int(0.04 * bh), int(0.04 * bw):bw - int(0.04 * bw)] = 1.0
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.03 * bw))
    else:
        cv2.ellipse(mask, (bw // 2, bh // 2), (int(bw * 0.47), int(bh * 0.48)), 0, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.025 * bw))
    if turn or roll:
        rot = np.vstack([cv2.getRotationMatrix2D((bw / 2, bh / 2), roll, 1.0), [0, 0, 1]])
        squeeze = np.array([[1.0 - 0.45 * turn, 0, 0.45 * turn * bw / 2], [0, 1, 0], [0, 0, 1]])
        m = (squeeze @ rot)[:2]
        f = cv2.warpAffine(f, m, (bw, bh), borderMode=cv2.BORDER_REPLICATE)
        mask = cv2.warpAffine(mask, m, (bw, bh))
    tone = np.asarray(tone) if tone is not None else rng.uniform([0.85, 0.7, 0.55], [1.1, 0.95, 0.85])
    rgb = f[..., None] * tone[None, None, :]
    # A head around the face: neck, hair and a skin rim in the face's own mean tone, so the
    # face has an outline as in a photo (the crops end at the brow and the jaw).
    cx, cy = x + bw / 2, y + bh / 2
    skin = tuple(float(v) for v in np.median(f, axis=(0, 1)) * tone * 0.9)
    if hair is None:
        hair = tuple(float(v) for v in rng.uniform(10, 90) * rng.uniform(0.7, 1.1, 3))
    cv2.rectangle(frame, _pt(cx - 0.3 * bw, cy + 0.3 * bh), _pt(cx + 0.3 * bw, cy + 0.95 * bh),
                  tuple(0.8 * v for v in skin), -1)
    cv2.ellipse(frame, _pt(cx, cy - 0.12 * bh), _pt(0.62 * bw * (1 - 0.3 * turn), 0.62 * bh), roll, 0, 360,
                hair, -1, cv2.LINE_AA)
    cv2.ellipse(frame, _pt(cx, cy + 0.02 * bh), _pt(0.53 * bw * (1 - 0.45 * turn), 0.54 * bh), roll, 0, 360,
                skin, -1, cv2.LINE_AA)
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + bw), min(fh, y + bh)
    if x1 <= x0 or y1 <= y0:
        return frame
    sub = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
    a = mask[sub][..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(a * rgb[sub] + (1 - a) * region, 0, 255).astype(np.uint8)
    return frame


def relight(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random global lighting: exposure, gamma and a side light falloff (RGB uint8 in, out)."""
    h, w = frame.shape[:2]
    gain = rng.uniform(0.45, 1.3)
    gamma = rng.uniform(0.7, 1.5)
    side = np.linspace(1 - rng.uniform(0, 0.5), 1.0, w, dtype=np.float32)
    if rng.random() < 0.5:
        side = side[::-1]
    img = (frame.astype(np.float32) / 255.0) ** gamma * 255.0 * gain * side[None, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)


#: Shots :func:`face_scene` composes: one seated viewer, a wide shot of several, no one.
SCENE_KINDS = ("seat", "wide", "empty")


def face_scene(faces: list[np.ndarray], kind: str, rng: np.random.Generator,
               size: tuple[int, int] = (640, 480)) -> tuple[np.ndarray, np.ndarray]:
    """An RGB frame with ``faces`` (gray crops, cycled as needed) pasted on a textured backdrop.

    ``kind`` "seat": one face of 20-60 % of the frame height, maybe turned or rolled;
    "wide": 3-6 faces of 8-16 % side by side; "empty": none. Returns the frame (after a
    random relighting) and the true face boxes ``(N, 4)`` x, y, w, h (float32).
    """
    w, h = size
    frame = textured_background(size, rng)
    boxes = []
    if kind == "seat":
        plan = [rng.uniform(0.2, 0.6) * h]
    elif kind == "wide":
        plan = list(rng.uniform(0.08, 0.16, int(rng.integers(3, 7))) * h)
    elif kind == "empty":
        plan = []
    else:
        raise ValueError(f"unknown scene kind {kind!r}; use one of {SCENE_KINDS}")
    slots = np.linspace(0, w, len(plan) + 1)
    for k, fh in enumerate(plan):
        face = faces[k % len(faces)]
        bh = int(round(fh))
        bw = int(round(fh * face.shape[1] / face.shape[0]))
        lo, hi = int(slots[k]), int(slots[k + 1]) - bw
        x = int(rng.integers(lo, max(lo + 1, hi)))
        y = int(rng.integers(0, max(1, h - bh)))
        turn = rng.uniform(0, 0.6) if rng.random() < 0.5 else 0.0
        roll = rng.uniform(-20, 20) if rng.random() < 0.5 else 0.0
        if rng.random() < 0.5:
            face = face[:, ::-1]
        paste_face(frame, face, (x, y, bw, bh), rng, turn=turn, roll=roll)
        boxes.append([x + 0.225 * turn * bw, y, bw * (1 - 0.45 * turn), bh])
    return relight(frame, rng), np.asarray(boxes, np.float32).reshape(-1, 4)
