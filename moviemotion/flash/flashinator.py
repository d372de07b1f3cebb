"""The original project's flash table: ``video_flashinator`` exactly as its specification says.

For frames ``(F, H, W, 3)``:

1. gray = mean of the three channels, per pixel;
2. luminance ``f(x) = 4 * (0.2 * x + 1) ** 2.2``;
3. deltas between consecutive frames, per pixel: ``f(frame[i + 1]) - f(frame[i])``;
4. per delta-frame: the mean of the 5 largest positive changes and the mean of the 5 largest
   negative changes (negative numbers); where a delta-frame has fewer than 5 positive
   (negative) changes, zeros fill the missing places (the sum is still divided by 5);
5. keep the one of larger magnitude (the positive one on a tie).

The result has shape ``(F - 1, 1)``. It is a historical heuristic kept for compatibility:
it works on gamma-coded values with an ad-hoc curve, ignores the screen area and the time
base, so it is *not* a photosensitivity verdict (use :func:`moviemotion.flash.analyze`).

Example
-------
>>> import numpy as np
>>> frames = np.zeros((3, 2, 4, 3))
>>> frames[1] = 10.0                      # every pixel: f(10) - f(0) = 4 * 3**2.2 - 4
>>> video_flashinator(frames).round(3).tolist()
[[40.846], [-40.846]]
"""

from __future__ import annotations

import numpy as np

TOP_K = 5


def flashinator_luminance(x: np.ndarray) -> np.ndarray:
    """The original luminance curve ``4 * (0.2 x + 1) ** 2.2`` (x = channel-mean gray level)."""
    return 4.0 * (0.2 * np.asarray(x, dtype=np.float64) + 1.0) ** 2.2


def video_flashinator(frames: np.ndarray) -> np.ndarray:
    """Signed flash strength per pair of consecutive frames, shape ``(F - 1, 1)``.

    ``frames``: array ``(F, H, W, 3)`` of any real dtype (8-bit codes or floats).
    Fully vectorized: one partition per sign over all delta-frames at once.
    """
    a = np.asarray(frames)
    if a.ndim != 4 or a.shape[-1] != 3:
        raise ValueError(f"frames must have shape (F, H, W, 3), got {a.shape}")
    n_frames = a.shape[0]
    if n_frames < 2:
        return np.zeros((0, 1), dtype=np.float64)
    lum = flashinator_luminance(a.mean(axis=-1, dtype=np.float64))
    delta = np.diff(lum, axis=0).reshape(n_frames - 1, -1)
    n = delta.shape[1]
    k = min(TOP_K, n)
    # Non-positive changes clip to 0, so fewer than 5 positives are padded with zeros.
    pos = np.partition(np.maximum(delta, 0.0), n - k, axis=1)[:, n - k:].sum(axis=1) / TOP_K
    neg = np.partition(np.minimum(delta, 0.0), k - 1, axis=1)[:, :k].sum(axis=1) / TOP_K
    out = np.where(np.abs(neg) > pos, neg, pos)
    return out[:, None]
