"""Matplotlib pictures of training: the loss curve and a 2-D decision boundary.

Drawn with matplotlib's object API (``Figure``, never pyplot), so importing this module neither chooses nor
changes the user's backend (no ``matplotlib.use``), no window opens, and it works on machines with no display.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def loss_curve_figure(loss: Sequence[float], accuracy: Sequence[float] | None = None,
                      title: str = "Training") -> Figure:
    """The figure plot_loss_curve saves: loss per epoch (1, 2, ...), and the accuracy on a second axis if given.

    Epochs are whole numbers, so the x axis only has whole-number ticks. An empty `accuracy` (fit with
    metric=None) is the same as None.
    """
    values = _finite_series(loss, "loss")
    if len(values) == 0:
        raise ValueError("plot_loss_curve: the loss history is empty (train for at least one epoch)")
    acc = None if accuracy is None or len(accuracy) == 0 else _finite_series(accuracy, "accuracy")
    if acc is not None and len(acc) != len(values):
        raise ValueError(f"plot_loss_curve: accuracy has {len(acc)} values but loss has {len(values)}; "
                         "expected one of each per epoch")
    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.subplots()
    epochs = np.arange(1, len(values) + 1)
    ax.plot(epochs, values, color="tab:blue", label="loss", marker="o" if len(values) == 1 else None)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1))  # epochs: never 1.5
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color="tab:blue")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if acc is not None:
        ax2 = ax.twinx()
        ax2.plot(epochs, acc, color="tab:orange", label="accuracy", marker="o" if len(acc) == 1 else None)
        ax2.set_ylabel("accuracy", color="tab:orange")
        ax2.set_ylim(0, 1.05)
    fig.tight_layout()
    return fig


def plot_loss_curve(loss: Sequence[float], path: str | Path, accuracy: Sequence[float] | None = None,
                    title: str = "Training") -> Path:
    """Draw the loss per epoch (and the accuracy, on a second axis, if given) and save it to ``path``."""
    return _save(loss_curve_figure(loss, accuracy, title), path)


def _finite_series(values: Sequence[float], name: str) -> np.ndarray:
    """`values` as a 1-D float array; anything else (text, complex, NaN, nested lists) refused, naming it."""
    try:
        arr = np.asarray(values)
    except ValueError:
        raise ValueError(f"plot_loss_curve: {name} must be a list of numbers, one per epoch") from None
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        raise TypeError(f"plot_loss_curve: {name} must be a list of real numbers, one per epoch, "
                        f"got {arr.dtype} values of shape {arr.shape}")
    arr = arr.astype(float)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"plot_loss_curve: {name} at epoch {i + 1} is {float(arr[i])!r}; expected finite numbers")
    return arr


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                           path: str | Path, threshold: float = 0.0, resolution: int = 150,
                           title: str = "Decision boundary") -> Path:
    """Shade the plane by the model's score and draw the training points on top.

    ``predict`` maps an (N, 2) array of points to N scores; the boundary is the contour score = threshold
    (0 for a linear output trained with hinge loss, 0.5 for a sigmoid output). With more than two classes in
    ``y`` (labels 0..k-1), ``predict`` returns each point's class index instead and every class gets a shade.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    scores = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])), dtype=float).reshape(gx.shape)
    fig = Figure(figsize=(5.5, 5), dpi=100)
    ax = fig.subplots()
    classes = int(y.max()) + 1 if y.min() >= 0 else 2
    if classes > 2:  # predict returned class indices: one shade per class, boundaries where the class changes
        tab10 = matplotlib.colormaps["tab10"]
        colors = [tab10(k) for k in range(classes)]  # tab10's k-th colour (an int indexes the colour list)
        ax.contourf(gx, gy, scores, levels=np.arange(classes + 1) - 0.5, colors=colors, alpha=0.25)
        ax.contour(gx, gy, scores, levels=np.arange(classes - 1) + 0.5, colors="k", linewidths=1)
        for k in range(classes):
            ax.scatter(X[y == k, 0], X[y == k, 1], color=colors[k], edgecolors="k", s=25, label=f"class {k}")
    else:
        ax.contourf(gx, gy, scores > threshold, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"], alpha=0.9)
        ax.contour(gx, gy, scores, levels=[threshold], colors="k", linewidths=1)
        positive = y > 0  # class 1 under both label conventions, 0/1 and -1/+1
        ax.scatter(X[~positive, 0], X[~positive, 1], c="tab:red", edgecolors="k", s=25, label="class 0 / -1")
        ax.scatter(X[positive, 0], X[positive, 1], c="tab:blue", edgecolors="k", s=25, label="class 1")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path)  # a Figure of its own (no pyplot): nothing to close, garbage-collected with fig
    return path
