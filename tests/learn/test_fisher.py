"""Fisher vectors of dense SIFT (moviemotion.learn.fisher): known answers and a separable task."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.errors import InputError
from moviemotion.learn.fisher import DenseSift, FisherEncoder, dense_grid, fisher_vector, improve


def test_grid_keeps_patches_inside_the_image():
    g = dense_grid(40, 24, step=4, sizes=(8, 16))
    half = g[:, 2] // 2
    assert (g[:, 0] - half >= 0).all() and (g[:, 0] + half <= 24).all()
    assert (g[:, 1] - half >= 0).all() and (g[:, 1] + half <= 40).all()
    assert set(g[:, 2]) == {8, 16}
    with pytest.raises(InputError):
        dense_grid(10, 10, sizes=(16,))


def test_one_component_fisher_vector_is_the_standardized_moments():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (500, 4))
    mu, var = np.array([[1.0, 0.0, 2.0, -1.0]]), np.array([[4.0, 9.0, 1.0, 2.0]])
    fv = fisher_vector(x, np.array([1.0]), mu, var)
    z = (x - mu) / np.sqrt(var)
    np.testing.assert_allclose(fv[:4], z.mean(0), rtol=1e-5)
    np.testing.assert_allclose(fv[4:], (z ** 2 - 1).mean(0) / np.sqrt(2), rtol=1e-5)


def test_descriptors_at_the_means_give_a_zero_mean_gradient():
    means = np.array([[0.0, 0.0], [10.0, 10.0]])
    x = np.concatenate([means[0] + [[1, 0], [-1, 0]], means[1] + [[0, 1], [0, -1]]])
    fv = fisher_vector(x, np.array([0.5, 0.5]), means, np.ones((2, 2)))
    np.testing.assert_allclose(fv[:4], 0, atol=1e-6)
    assert np.abs(fv[4:]).max() > 0.01


def test_improve_is_signed_root_then_unit_norm():
    out = improve(np.array([[4.0, -9.0, 0.0]]))
    np.testing.assert_allclose(out, [[2 / np.sqrt(13), -3 / np.sqrt(13), 0]], rtol=1e-6)


def test_rootsift_shape_norm_and_orientation():
    sift = DenseSift(32, 32, step=8, sizes=(16,))
    flat = sift(np.full((32, 32), 128, np.uint8))
    assert flat.shape == (len(sift.grid), 128)
    ramp_x = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (32, 1))
    d = sift(ramp_x)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1, rtol=1e-3)   # RootSIFT: unit L2
    assert not np.allclose(d, sift(np.ascontiguousarray(ramp_x.T)))        # orientation matters
    with pytest.raises(InputError):
        sift(np.zeros((16, 16), np.uint8))


def _texture(kind: str, rng) -> np.ndarray:
    period = rng.integers(5, 8)
    yy, xx = np.mgrid[:48, :48] + rng.integers(0, period, 2)[:, None, None]
    img = (np.sin(2 * np.pi * (xx if kind == "v" else yy) / period) > 0) * 200 + 25
    return (img + rng.normal(0, 10, img.shape)).clip(0, 255).astype(np.uint8)


def test_encoder_separates_vertical_from_horizontal_stripes():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    sift = DenseSift(48, 48, step=8, sizes=(16,))
    kinds = ["v", "h"] * 20
    desc = [sift(_texture(k, rng)) for k in kinds]
    # one component: the vector is the images' standardized mean descriptor and spread (with
    # one component per orientation the first- and second-order gradients carry no class)
    enc = FisherEncoder(components=1, pca_dims=8).fit(np.concatenate(desc[:20]))
    x = enc.transform(desc)
    assert x.shape == (40, enc.dims) and enc.dims == 2 * 1 * 8
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, rtol=1e-5)
    y = np.array([k == "v" for k in kinds])
    clf = LogisticRegression(C=10).fit(x[:20], y[:20])
    assert clf.score(x[20:], y[20:]) == 1.0
    # appended columns (positions) enlarge the vector and are used
    pos = sift.positions()
    enc2 = FisherEncoder(components=2, pca_dims=8).fit(np.concatenate(desc[:20]),
                                                       np.tile(pos, (20, 1)))
    assert enc2.transform(desc[:2], [pos, pos]).shape == (2, 2 * 2 * 10)
    with pytest.raises(InputError):
        FisherEncoder(components=64).fit(desc[0][:10])
