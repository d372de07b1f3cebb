"""``video_flashinator`` (the original project's table), checked on its specification's two worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.flash import video_flashinator
from moviemotion.flash.flashinator import flashinator_luminance


def gray_for_luminance(lum: np.ndarray) -> np.ndarray:
    """Invert f(x) = 4 (0.2 x + 1)^2.2: the gray level whose seed luminance is ``lum``."""
    return 5.0 * ((np.asarray(lum, dtype=np.float64) / 4.0) ** (1 / 2.2) - 1.0)


def frames_with_changes(changes: list[float], base: float = 40.0) -> np.ndarray:
    """Two frames whose per-pixel flashinator-luminance changes are exactly ``changes``."""
    before = np.full(len(changes), base)
    after = before + np.asarray(changes, dtype=np.float64)
    gray = gray_for_luminance(np.stack([before, after]))  # (2, n)
    return np.repeat(gray[:, None, :, None], 3, axis=3)  # (2, 1, n, 3)


# Worked example 1: the 5 largest rises are 20, 16, 12, 8, 4 -> mean 12; the falls
# (-3 and zeros for the missing four) average -0.6; the larger magnitude wins: T = 12.
EXAMPLE_RISE = [20.0, 16.0, 12.0, 8.0, 4.0, 1.0, -3.0, 0.0]


def test_worked_example_t_equals_12():
    frames = frames_with_changes(EXAMPLE_RISE)
    np.testing.assert_allclose(flashinator_luminance(frames.mean(axis=-1))[1] -
                               flashinator_luminance(frames.mean(axis=-1))[0],
                               [EXAMPLE_RISE], atol=1e-9)
    out = video_flashinator(frames)
    assert out.shape == (1, 1)
    assert out[0, 0] == pytest.approx(12.0, abs=1e-9)


def test_worked_example_t_equals_minus_12():
    # The same frames played backwards: falls of 20, 16, 12, 8, 4 -> T = -12.
    frames = frames_with_changes(EXAMPLE_RISE)[::-1]
    assert video_flashinator(frames)[0, 0] == pytest.approx(-12.0, abs=1e-9)


def test_fewer_than_five_changes_are_padded_with_zeros():
    frames = frames_with_changes([10.0, 5.0, -1.0, 0.0, 0.0, 0.0])
    # rises: (10 + 5 + 0 + 0 + 0) / 5 = 3; falls: -1 / 5 = -0.2
    assert video_flashinator(frames)[0, 0] == pytest.approx(3.0, abs=1e-9)
    tiny = frames_with_changes([-2.0, 1.0])  # only 2 pixels in the frame
    assert video_flashinator(tiny)[0, 0] == pytest.approx(-0.4, abs=1e-9)


def reference(frames: np.ndarray) -> np.ndarray:
    """A loop-and-sort transcription of the spec, to compare the vectorized one against."""
    lum = 4 * (0.2 * frames.mean(axis=-1) + 1) ** 2.2
    out = []
    for a, b in zip(lum[:-1], lum[1:], strict=True):
        d = (b - a).ravel()
        pos = sorted(d[d > 0], reverse=True)[:5]
        neg = sorted(d[d < 0])[:5]
        p, n = sum(pos) / 5, sum(neg) / 5
        out.append([n if abs(n) > p else p])
    return np.array(out)


def test_matches_the_spec_on_random_video():
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, size=(9, 12, 16, 3), dtype=np.uint8)
    out = video_flashinator(frames)
    assert out.shape == (8, 1)
    np.testing.assert_allclose(out, reference(frames.astype(np.float64)), rtol=1e-12)
    assert (out > 0).any() and (out < 0).any()


def test_still_video_and_bad_shapes():
    assert not video_flashinator(np.full((4, 3, 3, 3), 100, np.uint8)).any()
    assert video_flashinator(np.zeros((1, 2, 2, 3))).shape == (0, 1)
    with pytest.raises(ValueError, match="shape"):
        video_flashinator(np.zeros((3, 4, 4)))
