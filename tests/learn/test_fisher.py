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


def test_encoder_is_its_arrays_and_reduces_like_scikit_learn_pca():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12))
    enc = FisherEncoder(components=3, pca_dims=5).fit(x)
    pca = PCA(5, whiten=True, random_state=0).fit(x)
    np.testing.assert_allclose(enc._reduce(x, None), pca.transform(x), rtol=1e-3, atol=1e-3)
    again = FisherEncoder.from_arrays(enc.to_arrays("c_"), "c_")
    assert (again.components, again.pca_dims, again.dims) == (3, 5, enc.dims)
    np.testing.assert_array_equal(again.encode(x[:50]), enc.encode(x[:50]))


def test_local_colour_statistics_known_answers():
    from moviemotion.learn.fisher import LocalColorStats

    lcs = LocalColorStats(32, 24, step=4, sizes=(8, 16))
    flat = np.empty((32, 24, 3), np.uint8)
    flat[:] = (255, 51, 0)
    out = lcs(flat)
    assert out.shape == (len(lcs.grid), 96)
    np.testing.assert_allclose(out[:, :48].reshape(-1, 16, 3), np.broadcast_to([1.0, 0.2, 0.0],
                                                                               (len(out), 16, 3)), atol=1e-5)
    np.testing.assert_allclose(out[:, 48:], 0, atol=1e-3)        # no spread in a flat image
    # a fine checkerboard: every sub-cell holds black and white, mean 0.5 and deviation 0.5
    yy, xx = np.mgrid[:32, :24]
    board = np.repeat((((yy + xx) % 2) * 255).astype(np.uint8)[:, :, None], 3, 2)
    out = lcs(board)
    big = lcs.grid[:, 2] == 16                                   # 4 px sub-cells
    np.testing.assert_allclose(out[big, :48], 0.5, atol=1e-5)
    np.testing.assert_allclose(out[big, 48:], 0.5, atol=1e-3)
    with pytest.raises(InputError):
        lcs(np.zeros((32, 24), np.uint8))


def test_describe_images_in_processes_equals_each_descriptor():
    from moviemotion.learn.fisher import LocalColorStats, describe_images, sample_grid

    rng = np.random.default_rng(3)
    x = rng.integers(0, 255, (5, 3, 32, 24), np.uint8)
    serial = describe_images(x)
    parallel = describe_images(x, workers=2, chunk=2)
    sift, lcs = DenseSift(32, 24), LocalColorStats(32, 24)
    for k in ("sift", "lab", "color"):
        np.testing.assert_array_equal(serial[k], parallel[k])
    img = np.ascontiguousarray(x[4].transpose(1, 2, 0))
    np.testing.assert_allclose(serial["color"][4], lcs(img), atol=1e-3)        # float16
    np.testing.assert_allclose(serial["lab"][4], sift.local_color(img), atol=1e-3)
    assert serial["sift"].shape == (5, len(sift.grid), 128)
    assert describe_images(x[:0])["color"].shape == (0, len(lcs.grid), 96)
    ii, jj = sample_grid(5, len(sift.grid), images=3, per_image=7, seed=1)
    assert len(set(ii)) == 3 and ii.max() < 5 and jj.shape == (3, 7) and jj.max() < len(sift.grid)
