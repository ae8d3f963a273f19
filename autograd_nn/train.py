"""fit(): gradient descent over many samples, full-batch or mini-batch, with the 1/n average of the losses.

Each step: zero the gradients, compute the batch loss L = (1/n) Σᵢ loss(model(xᵢ), yᵢ) + l2·Σ p², call
backward(), then optimizer.step(). Computing "L and its gradients" is one replaceable function (`backend`),
so a faster engine (e.g. a recorded tape) can plug in without this module importing it.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import losses as L
from .engine import Value, weighted_sum
from .nn import Model
from .optim import SGD, Optimizer

# loss name -> (per-sample loss(out, target), target transform on the label, prediction rule out -> label)
LOSSES: dict[str, tuple[Callable[..., Any], Callable[[Any], Any], Callable[[Any], int]]] = {
    "hinge": (L.hinge, lambda y: 2 * int(y) - 1, lambda out: int(_data(out) > 0)),
    "bce": (lambda out, y: L.binary_cross_entropy(out, y, from_logits=True), float, lambda out: int(_data(out) > 0)),
    "binary_cross_entropy": (L.binary_cross_entropy, float, lambda out: int(_data(out) > 0.5)),  # sigmoid output
    "squared_error": (L.squared_error, lambda y: y, lambda out: _argmax_or_threshold(out, 0.5)),
    "mse": (L.mse, lambda y: y, lambda out: _argmax_or_threshold(out, 0.5)),
    "cross_entropy": (L.softmax_cross_entropy, int, lambda out: _argmax_or_threshold(out, 0.0)),
}


def _data(v: Any) -> float:
    return v.data if type(v) is Value else float(v)


def _argmax_or_threshold(out: Any, threshold: float) -> int:
    if isinstance(out, list):
        if len(out) == 1:
            return int(_data(out[0]) > threshold)
        return int(np.argmax([_data(o) for o in out]))
    return int(_data(out) > threshold)


@dataclass
class History:
    """What fit() measured: per epoch the mean loss (incl. the l2 term), the metric and the learning rate."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0

    def first_epoch_reaching(self, accuracy: float = 1.0) -> int | None:
        """The 1-based epoch at which the metric first reached `accuracy`, or None."""
        return next((i + 1 for i, a in enumerate(self.accuracy) if a >= accuracy), None)


@dataclass
class Batch:
    """One batch handed to a backend: the rows of X, their raw labels, and the fit() settings they need."""

    X: np.ndarray
    y: np.ndarray
    loss: Callable[..., Any]
    target: Callable[[Any], Any]
    predict: Callable[[Any], int] | None
    l2: float


BatchResult = tuple[float, int]  # (the batch loss L, how many rows the prediction rule got right)
Backend = Callable[[Model, Batch], BatchResult]


def batch_loss(model: Model, batch: Batch,
               rows: Sequence[Sequence[float | Value]] | None = None) -> tuple[Value, list[Value | list[Value]]]:
    """L = (1/n) Σᵢ loss(model(xᵢ), yᵢ) + l2·Σ p² on Values, and the model's outputs (rows default to batch.X)."""
    if rows is None:
        rows = [list(map(float, x)) for x in batch.X]
    outs = [model(row) for row in rows]
    total = L.mean_loss([batch.loss(o, batch.target(y)) for o, y in zip(outs, batch.y)])
    if batch.l2:
        ps = model.parameters()
        total = total + batch.l2 * weighted_sum(ps, ps)  # Σ p·p as one fused node
    return total, outs


def value_backend(model: Model, batch: Batch) -> BatchResult:
    """The default backend: build L on Values, call backward(); the parameters' .grad then hold ∂L/∂p."""
    total, outs = batch_loss(model, batch)
    total.backward()
    correct = 0
    if batch.predict is not None:
        correct = sum(batch.predict(o) == int(y) for o, y in zip(outs, batch.y))
    return total.data, correct


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("fit: X must be a 2-D array of numbers (n samples × features)") from None
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"fit: X must be a non-empty 2-D array (n × features), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("fit: X contains NaN or infinite values")
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"fit: X has {len(X)} rows but y has {len(y)} labels")
    return X, y


def fit(model: Model, X: Any, y: Any, *, loss: str | Callable[..., Any] = "hinge", optimizer: Optimizer | None = None,
        lr: float = 0.1, epochs: int = 100, batch_size: int | None = None, metric: str | None = "accuracy",
        l2: float = 0.0, lr_schedule: Callable[[int], float] | None = None, progress: bool | None = None,
        seed: int | None = 0, backend: Backend = value_backend) -> History:
    """Train `model` on rows X with labels y; return a History (loss, accuracy, lr per epoch).

    loss: "hinge" (0/1 labels mapped to ±1, linear output score), "bce" (from logits), "binary_cross_entropy"
    (on a sigmoid output's probabilities), "squared_error", "mse",
    "cross_entropy" (softmax over the outputs, integer labels), or a callable loss(output, label).
    optimizer: defaults to SGD(model.parameters(), lr). batch_size None is full batch (one step per epoch);
    otherwise rows are shuffled each epoch with `seed`. lr_schedule(k) sets the learning rate before step k
    (k = 0, 1, …). progress None shows a tqdm bar only when stderr is a terminal; False is silent.
    backend(model, Batch) -> (loss, correct) computes the batch loss and leaves ∂L/∂p in each p.grad.
    """
    X, y = _check_xy(X, y)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"fit: batch_size must be None (full batch) or a positive integer, got {batch_size!r}")
    if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if callable(loss):
        loss_fn, target, predict = loss, (lambda t: t), None
    elif loss in LOSSES:
        loss_fn, target, predict = LOSSES[loss]
    else:
        raise ValueError(f"fit: unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable")
    if metric not in (None, "accuracy"):
        raise ValueError(f"fit: metric must be 'accuracy' or None, got {metric!r}")
    if metric is None:
        predict = None
    elif predict is None:
        raise ValueError("fit: metric='accuracy' needs a named loss (its prediction rule); pass metric=None")
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr)
    if progress is None:
        progress = sys.stderr.isatty()

    n = len(X)
    size = n if batch_size is None else min(batch_size, n)
    rng = np.random.default_rng(seed)
    history = History()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=epochs, desc="fit", unit="epoch", leave=False)
    start = time.perf_counter()
    try:
        for _ in range(epochs):
            order = np.arange(n) if size == n else rng.permutation(n)
            epoch_loss, correct = 0.0, 0
            for lo in range(0, n, size):
                rows = order[lo:lo + size]
                if lr_schedule is not None:
                    optimizer.lr = float(lr_schedule(history.steps))
                optimizer.zero_grad()
                batch_loss, batch_correct = backend(model, Batch(X[rows], y[rows], loss_fn, target, predict, l2))
                if not math.isfinite(batch_loss):
                    raise FloatingPointError(f"fit: the loss became {batch_loss!r} at step {history.steps}; "
                                             "try a smaller learning rate")
                optimizer.step()
                history.steps += 1
                epoch_loss += batch_loss * len(rows)
                correct += batch_correct
            history.loss.append(epoch_loss / n)
            history.lr.append(optimizer.lr)
            if predict is not None:
                history.accuracy.append(correct / n)
            if bar is not None:
                shown = {"loss": f"{history.loss[-1]:.4g}"}
                if predict is not None:
                    shown["acc"] = f"{history.accuracy[-1]:.1%}"
                bar.set_postfix(shown)
                bar.update()
    finally:
        if bar is not None:
            bar.close()
        history.seconds = time.perf_counter() - start
    return history


def accuracy(model: Model, X: Any, y: Any, loss: str = "hinge") -> float:
    """The fraction of rows that `loss`'s prediction rule gets right (labels 0/1 or class indices)."""
    X, y = _check_xy(X, y)
    predict = LOSSES[loss][2]
    return float(np.mean([predict(model(list(map(float, x)))) == int(t) for x, t in zip(X, y)]))


__all__: Sequence[str] = ["fit", "History", "Batch", "value_backend", "accuracy", "LOSSES"]
