"""Small 2-D classification data sets generated with numpy from a seed (no download, no scikit-learn).

Every function returns (X, y): X a float array of shape (n, 2), y an int array of labels 0..k-1.
The same seed gives the same data, whatever numpy's global random state is.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, TypeGuard

import numpy as np


def _is_int(x: object) -> TypeGuard[int | np.integer[Any]]:
    return not isinstance(x, (bool, np.bool_)) and isinstance(x, (int, np.integer))


def _check(n: int, noise: float, who: str, min_n: int = 1, seed: object = None) -> tuple[int, float]:
    if not _is_int(n) or n < min_n:
        raise ValueError(f"{who}: n must be an integer >= {min_n}, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"{who}: noise must be a finite number >= 0, got {noise!r}")
    if not (seed is None or (_is_int(seed) and seed >= 0)
            or isinstance(seed, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator))):
        raise ValueError(f"{who}: seed must be None or an integer >= 0 (or a numpy Generator), got {seed!r}")
    return int(n), float(noise)


def _count(k: object, what: str, who: str, low: int) -> int:
    if not _is_int(k) or k < low:
        raise ValueError(f"{who}: {what} must be an integer >= {low}, got {k!r}")
    return int(k)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order].astype(float), y[order].astype(int)


def moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: label 0 the upper moon, label 1 the lower one shifted right."""
    n, noise = _check(n, noise, "moons", 2, seed)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0, t1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng)


def circles(n: int = 100, noise: float = 0.05, seed: int | None = 0, factor: float = 0.5
            ) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: label 0 the outer (radius 1), label 1 the inner (radius `factor`)."""
    n, noise = _check(n, noise, "circles", 2, seed)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise ValueError(f"circles: factor must lie in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0, 2 * math.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * math.pi, n1, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), factor * np.stack([np.cos(t1), np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng)


def xor(n: int = 100, noise: float = 0.0, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]²; label 1 where x₁·x₂ < 0 (the XOR of the two signs), else 0."""
    n, noise = _check(n, noise, "xor", 1, seed)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(int)  # labels from the clean points; noise only moves them
    X = X + rng.normal(0.0, noise, X.shape)
    return X.astype(float), y


def spiral(n: int = 100, noise: float = 0.1, seed: int | None = 0, classes: int = 2
           ) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms of about n/classes points each; label = arm index."""
    n, noise = _check(n, noise, "spiral", 1, seed)
    classes = _count(classes, "classes", "spiral", 2)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = np.concatenate([np.linspace(0.05, 1.0, int((y == k).sum())) for k in range(classes)])
    y = np.sort(y)
    theta = y * (2 * math.pi / classes) + r * 1.5 * math.pi + rng.normal(0.0, noise, n)
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], 1)
    return _shuffled(X, y, rng)


def blobs(n: int = 100, noise: float = 0.5, seed: int | None = 0, centers: int = 3
          ) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs (standard deviation `noise`) around `centers` points evenly spaced on a circle of radius 2."""
    n, noise = _check(n, noise, "blobs", 1, seed)
    centers = _count(centers, "centers", "blobs", 1)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % centers
    angles = 2 * math.pi * np.arange(centers) / centers
    mid = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    X = mid[y] + rng.normal(0.0, noise, (n, 2))
    return _shuffled(X, y, rng)


def to_pm1(y: np.ndarray) -> np.ndarray:
    """Map 0/1 labels to −1/+1 (the targets of the hinge loss)."""
    y = np.asarray(y)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"to_pm1: labels must be 0 or 1, got {sorted(set(y.tolist()))[:5]}")
    return (2 * y - 1).astype(int)
