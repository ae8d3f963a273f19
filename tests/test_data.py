"""Data sets: shapes, labels, determinism from the seed (independent of numpy's global state), geometry."""

import numpy as np
import pytest

from autograd_nn import data

ALL = [data.moons, data.circles, data.xor, data.spiral, data.blobs]


@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("n", [7, 100])
def test_shapes_and_labels(make, n):
    X, y = make(n=n, seed=3)
    assert X.shape == (n, 2) and X.dtype == float and np.isfinite(X).all()
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    k = 3 if make is data.blobs else 2
    assert set(y.tolist()) <= set(range(k)) and len(set(y.tolist())) >= 2


@pytest.mark.parametrize("make", ALL)
def test_same_seed_same_data_regardless_of_global_state(make):
    np.random.seed(0)
    X1, y1 = make(seed=5)
    np.random.seed(1)
    X2, y2 = make(seed=5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(seed=6)
    assert not np.array_equal(X1, X3)


def test_moons_geometry_without_noise():
    X, y = data.moons(200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()
    assert np.bincount(y).tolist() == [100, 100]


def test_circles_radii_and_xor_labels():
    X, y = data.circles(100, noise=0.0, seed=0, factor=0.3)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    X, y = data.xor(200, seed=1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_spiral_classes_and_blobs_cluster_around_their_centers():
    _, y = data.spiral(99, seed=0, classes=3)
    assert np.bincount(y).tolist() == [33, 33, 33]
    X, y = data.blobs(300, noise=0.1, seed=0, centers=3)
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(np.hypot(*means.T), 2.0, atol=0.05)


def test_to_pm1():
    np.testing.assert_array_equal(data.to_pm1([0, 1, 1]), [-1, 1, 1])
    with pytest.raises(ValueError, match="0 or 1"):
        data.to_pm1([0, 2])


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 2.5}, {"noise": -0.1}, {"noise": float("nan")}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        data.moons(**kwargs)


@pytest.mark.parametrize("call,match", [
    (lambda: data.moons(10, seed="a"), r"moons: seed must be None or an integer >= 0 .*got 'a'"),
    (lambda: data.circles(10, seed=-1), r"circles: seed must be None or an integer >= 0 .*got -1"),
    (lambda: data.xor(10, seed=1.5), "xor: seed must be None or an integer >= 0"),
    (lambda: data.circles(10, factor="0.5"), r"circles: factor must lie in \(0, 1\), got '0.5'"),
    (lambda: data.spiral(10, classes=2.0), "spiral: classes must be an integer >= 2, got 2.0"),
    (lambda: data.blobs(10, centers=True), "blobs: centers must be an integer >= 1, got True"),
])
def test_bad_seeds_and_sizes_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_numpy_integers_and_generators_are_accepted():
    X, y = data.spiral(12, classes=np.int64(3), seed=np.int64(4))
    assert np.bincount(y).tolist() == [4, 4, 4]
    X1, _ = data.moons(10, seed=np.random.default_rng(3))
    X2, _ = data.moons(10, seed=3)
    np.testing.assert_array_equal(X1, X2)
