"""Lighting normalization (Tan-Triggs) and the LBP chi-square baseline, on faces built here
with known lighting: a smooth random texture under a strong one-sided light ramp."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.errors import ModelError
from moviemotion.faceid import illumination as il


def _face(seed: int = 0, size: tuple[int, int] = (64, 56)) -> np.ndarray:
    import cv2

    noise = np.random.default_rng(seed).uniform(0, 1, size).astype(np.float32)
    tex = cv2.GaussianBlur(noise, (0, 0), 1.5)
    tex = (tex - tex.min()) / (tex.max() - tex.min())
    return (60 + 150 * tex).astype(np.float32)


def _lit(face: np.ndarray, dark: float) -> np.ndarray:
    """The face under a light from the right: gain falls linearly to ``dark`` on the left."""
    ramp = np.linspace(dark, 1.0, face.shape[1], dtype=np.float32)[None, :]
    return np.clip(face * ramp, 0, 255).astype(np.uint8)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1])


def test_tan_triggs_takes_away_a_one_sided_light():
    f = _face()
    bright, shaded = _lit(f, 1.0), _lit(f, 0.08)
    raw = _corr(bright, shaded)
    tt = il.tan_triggs(np.stack([bright, shaded]))
    assert tt.dtype == np.uint8 and tt.shape == (2, *f.shape)
    assert _corr(tt[0], tt[1]) > 0.85 and _corr(tt[0], tt[1]) > raw + 0.15
    other = il.tan_triggs(_lit(_face(seed=1), 1.0))                   # another face stays apart
    assert abs(_corr(tt[0], other)) < 0.3
    assert np.array_equal(il.tan_triggs(bright), tt[0])                # one face or a stack


def test_normalize_names_its_methods():
    x = np.stack([_lit(_face(), 0.5)])
    assert np.array_equal(il.normalize(x, "tan-triggs"), il.tan_triggs(x))
    assert il.normalize(x, "equalize").max() == 255
    with pytest.raises(ModelError, match="unknown face preprocessing 'gamma'"):
        il.normalize(x, "gamma")


def test_lbp_is_invariant_to_monotonic_gray_changes():
    f = _lit(_face(), 1.0)
    brighter = (f.astype(int) + 40).astype(np.uint8)                 # strictly monotonic: same order
    a, b = il.lbp_codes(f[None]), il.lbp_codes(brighter[None])
    assert a.shape == (1, f.shape[0] - 2, f.shape[1] - 2) and a.max() <= 58
    assert np.array_equal(a, b) and len(np.unique(a)) > 20
    assert int((il._UNIFORM < 58).sum()) == 58                        # 58 uniform patterns


def test_lbp_chi_square_scores_separate_identities():
    faces = np.stack([_lit(_face(seed=s), d) for s in range(4) for d in (1.0, 0.7, 0.5)])
    labels = np.repeat(np.arange(4), 3)
    h = il.lbp_histograms(faces, grid=(4, 4))
    assert h.shape == (12, 16 * 59) and np.allclose(h.sum(axis=1), 16)
    i, j, sim = il.chi_square_similarity(h)
    assert len(sim) == 66 and np.all(sim <= 0)
    assert il.chi_square_similarity(np.stack([h[0], h[0]]))[2][0] == pytest.approx(0)
    scores = il.lbp_scores(labels, faces)
    assert scores["roc_auc"] > 0.95 and scores["eer"] < 0.1
