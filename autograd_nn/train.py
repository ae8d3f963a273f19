"""fit(): gradient descent over many samples, full-batch or mini-batch, with the 1/n average of the losses.

Each step: zero the gradients, compute the batch loss L = (1/n) Σᵢ loss(model(xᵢ), yᵢ) + l2·Σ p², call
backward(), then optimizer.step(). Computing "L and its gradients" is one replaceable function (`backend`),
so a faster engine (``autograd_nn.tape.TapeBackend``, a recorded tape) can plug in; the batch it is handed
(:class:`Batch`) says what the loss is, which targets are numbers and how eager code computes the step.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from typing import Any

import numpy as np

from . import losses as L
from .engine import DomainError, Value, weighted_sum
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
    """One batch handed to a backend: the rows of X, their raw labels, and the fit() settings they need.

    Its methods are what a backend that records the loss (``autograd_nn.tape.TapeBackend``) asks of it, so that the
    backend needs to know nothing of losses: :meth:`numeric_targets`, :meth:`graph` and :meth:`eagerly`.
    """

    X: np.ndarray
    y: np.ndarray
    loss: Callable[..., Any]
    target: Callable[[Any], Any]
    predict: Callable[[Any], int] | None
    l2: float

    def numeric_targets(self, model: Any) -> list[Any] | None:
        """The targets as floats (a float, or a list of floats for several outputs), if the loss uses them only as
        numbers in arithmetic (so they can be leaves of a recorded graph), or as one-hot rows for cross_entropy on
        a model that states its outputs (``model.nouts``); else None."""
        if self.loss is _CROSS_ENTROPY:
            nouts = getattr(model, "nouts", None)
            if not (isinstance(nouts, list) and nouts and isinstance(nouts[-1], int)):
                return None
            eye = np.eye(nouts[-1]).tolist()
            return [eye[int(self.target(y))] for y in self.y]
        if self.loss not in _NUMERIC_TARGETS:
            return None
        out: list[Any] = []
        for y in self.y:
            t = np.asarray(self.target(y), dtype=float)
            if t.ndim > 1:
                return None
            out.append(float(t) if t.ndim == 0 else t.tolist())
        return out

    def graph(self, model: Model, rows: Sequence[Sequence[float | Value]],
              targets: list[Any] | None = None) -> tuple[Value, list[Value | list[Value]]]:
        """:func:`batch_loss` on these input rows, with ``targets`` (one per row, in the form
        :meth:`numeric_targets` gives, as Values) in place of the labels' targets when given: cross_entropy then
        reads its class as a one-hot row (:func:`one_hot_cross_entropy`)."""
        batch = self
        if targets is not None:
            it = iter(targets)
            batch = replace(self, target=lambda _y: next(it))
            if self.loss is _CROSS_ENTROPY:
                batch = replace(batch, loss=one_hot_cross_entropy)
        return batch_loss(model, batch, rows)

    def eagerly(self, model: Model) -> BatchResult:
        """This batch's step as eager code computes it (:func:`value_backend`)."""
        return value_backend(model, self)


BatchResult = tuple[float, int]  # (the batch loss L, how many rows the prediction rule got right)
Backend = Callable[[Model, Batch], BatchResult]


def batch_loss(model: Model, batch: Batch,
               rows: Sequence[Sequence[float | Value]] | None = None) -> tuple[Value, list[Value | list[Value]]]:
    """L = (1/n) Σᵢ loss(model(xᵢ), yᵢ) + l2·Σ p² on Values, and the model's outputs (rows default to batch.X)."""
    if rows is None:
        rows = [list(map(float, x)) for x in batch.X]
    outs = [model(row) for row in rows]
    per_sample = []
    for o, y in zip(outs, batch.y):
        value = batch.loss(o, batch.target(y))
        if not isinstance(value, Value):
            raise TypeError(f"fit: the loss returned {type(value).__name__} {_short(value)} for a sample with label "
                            f"{_short(y)}; a loss must return one Value computed from the model's output "
                            "(e.g. losses.squared_error(output, label))")
        per_sample.append(value)
    total = L.mean_loss(per_sample)
    if batch.l2:
        ps = model.parameters()
        total = total + batch.l2 * weighted_sum(ps, ps)  # Σ p·p as one fused node
    return total, outs


# The named losses that use their target only as a number in arithmetic (so it can be a leaf of a recorded graph).
_NUMERIC_TARGETS = {LOSSES[name][0] for name in ("hinge", "bce", "binary_cross_entropy", "squared_error", "mse")}
_CROSS_ENTROPY = LOSSES["cross_entropy"][0]


def one_hot_cross_entropy(out: Any, onehot: list[Value]) -> Value:
    """softmax_cross_entropy(out, k) with the class as a one-hot row of leaves: log Σ e^zⱼ − Σⱼ tⱼ·zⱼ, on a graph
    that does not depend on the labels, so that every batch of one shape replays on one tape. The picked logit is
    exact (0 + 0·z₀ + 1·z_k + 0·z₂ is z_k) and so are its gradients (∂/∂zⱼ = −tⱼ). As for any recorded
    log_sum_exp, its shift m (the largest logit) is a constant of the recorded batch: later batches differ from
    eager code in the last bits, and an exp that would overflow sends the step to eager code."""
    z = out if isinstance(out, list) else [out]
    return L.log_sum_exp(z) - weighted_sum(onehot, z)


def value_backend(model: Model, batch: Batch) -> BatchResult:
    """The default backend: build L on Values, call backward(); the parameters' .grad then hold ∂L/∂p."""
    total, outs = batch_loss(model, batch)
    total.backward()
    correct = 0
    if batch.predict is not None:
        correct = sum(batch.predict(o) == int(y) for o, y in zip(outs, batch.y))
    return total.data, correct


def _short(x: Any) -> str:
    text = repr(x.item() if isinstance(x, np.generic) else x)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(index: tuple[int, ...], name: str) -> str:
    return f"{name}[{', '.join(map(str, index))}]"


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _real_array(a: Any, name: str, who: str) -> np.ndarray:
    """`a` as a float array; complex, text, None or other non-numbers are refused, naming the first one."""
    try:
        arr = np.asarray(a)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{who}: {name} must be a rectangular array of numbers: its rows have different lengths") \
            from None
    kind = arr.dtype.kind
    if kind == "c":
        bad = arr.imag != 0
        index = _first(bad) if bad.any() else (0,) * arr.ndim
        raise TypeError(f"{who}: {_at(index, name)} = {_short(arr[index])} is complex; {name} must hold real "
                        "numbers (a complex part would be dropped)")
    if kind == "O":
        for index in np.ndindex(arr.shape):
            v = arr[index]
            if isinstance(v, bool) or not isinstance(v, Real):
                raise TypeError(f"{who}: {_at(index, name)} = {_short(v)} ({type(v).__name__}) is not a real number")
    elif kind not in "biuf":
        index = (0,) * arr.ndim
        raise TypeError(f"{who}: {name} must hold numbers, got {arr.dtype} values such as "
                        f"{_at(index, name)} = {_short(arr[index]) if arr.size else '(none)'}")
    arr = arr.astype(float)
    if not np.isfinite(arr).all():
        index = _first(~np.isfinite(arr))
        raise ValueError(f"{who}: {_at(index, name)} = {_short(arr[index])}; {name} must hold finite numbers")
    return arr


def _check_xy(X: Any, y: Any, who: str = "fit") -> tuple[np.ndarray, np.ndarray]:
    X = _real_array(X, "X", who)
    if X.ndim != 2 or len(X) == 0 or X.shape[1] == 0:
        raise ValueError(f"{who}: X must be a non-empty 2-D array (n samples × features), got shape {X.shape}")
    if isinstance(y, (str, bytes)) or np.ndim(y) == 0:
        raise TypeError(f"{who}: y must be a sequence of labels, one per row of X, got {type(y).__name__}")
    try:
        y = np.asarray(y)
    except ValueError:
        raise ValueError(f"{who}: y must be a rectangular array: its rows have different lengths") from None
    if len(y) != len(X):
        raise ValueError(f"{who}: X has {len(X)} rows but y has {len(y)} labels")
    return X, y


# the forms of labels a named loss or the accuracy metric expects: (description, test on the labels as floats)
_LABELS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "0/1": ("labels 0 or 1", lambda y: (y == 0) | (y == 1)),
    "[0,1]": ("targets between 0 and 1", lambda y: (y >= 0) & (y <= 1)),
    "class": ("class indices 0, 1, 2, ... (whole numbers)", lambda y: (y >= 0) & (y == np.floor(y))),
}


def _check_labels(y: np.ndarray, loss: str | None, metric: str | None, who: str = "fit") -> np.ndarray:
    """Refuse labels the loss or the accuracy metric would silently misread (0.5 truncated to class 0)."""
    if loss is None and metric is None:  # a callable loss: its labels are its own business
        return y
    if loss == "cross_entropy":
        rule = "class"
    elif loss == "hinge" or (metric is not None and loss in ("bce", "binary_cross_entropy")):
        rule = "0/1"
    elif loss in ("bce", "binary_cross_entropy"):
        rule = "[0,1]"
    elif metric is not None:
        rule = "class"
    else:  # squared_error / mse without a metric: real targets, one per output
        _real_array(y, "y", who)
        return y
    floats = _real_array(y, "y", who)
    form, test = _LABELS[rule]
    why = "metric='accuracy' compares class labels (pass metric=None for real-valued targets)" \
        if loss in ("squared_error", "mse", None) else f"loss={loss!r} expects {form}"
    if floats.ndim != 1:
        raise ValueError(f"{who}: y must be 1-D (one label per row) but has shape {floats.shape}: {why}")
    ok = test(floats)
    if not ok.all():
        i = _first(~ok)
        raise ValueError(f"{who}: {_at(i, 'y')} = {_short(y[i])} is not valid: {why}")
    return y


def _check_model_fits(model: Model, X: np.ndarray, y: np.ndarray, loss: str | None, who: str = "fit") -> None:
    """For a model that states its sizes (an MLP): the columns of X, and the outputs the loss needs."""
    nin, nouts = getattr(model, "nin", None), getattr(model, "nouts", None)
    if isinstance(nin, int) and X.shape[1] != nin:
        raise ValueError(f"{who}: X has {X.shape[1]} columns but the model takes {nin} inputs")
    if not (isinstance(nouts, list) and nouts and isinstance(nouts[-1], int)):
        return
    outputs = nouts[-1]
    if loss in ("hinge", "bce", "binary_cross_entropy") and outputs != 1:
        raise ValueError(f"{who}: loss={loss!r} needs a model with 1 output, this one has {outputs}")
    if loss in ("squared_error", "mse"):
        per_row = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
        if per_row != outputs:
            raise ValueError(f"{who}: loss={loss!r} compares the model's {outputs} output(s) with {per_row} "
                             f"target(s) per row: y has shape {y.shape}, expected {(len(y), outputs)}")
    if loss == "cross_entropy" and y.size and int(np.max(y)) >= outputs:
        i = int(np.argmax(y))
        raise ValueError(f"{who}: y[{i}] = {_short(y[i])} is not a class of the model's {outputs} outputs "
                         f"(0 to {outputs - 1})")


def _scheduled_lr(lr_schedule: Callable[[int], float], step: int) -> float:
    value = lr_schedule(step)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"fit: lr_schedule({step}) returned {type(value).__name__} {_short(value)} for step {step}; "
                        "expected a learning rate, a finite number >= 0 (parameters unchanged by this step)")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"fit: lr_schedule({step}) returned {_short(value)} for step {step}; a learning rate must "
                         "be a finite number >= 0 (parameters unchanged by this step)")
    return float(value)


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
    if isinstance(l2, bool) or not (isinstance(l2, Real) and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0):
        raise ValueError(f"fit: seed must be None or an integer >= 0, got {seed!r}")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"fit: lr_schedule must be a function step -> learning rate, got {type(lr_schedule).__name__}")
    if callable(loss):
        loss_fn, target, predict = loss, (lambda t: t), None
    elif isinstance(loss, str) and loss in LOSSES:
        loss_fn, target, predict = LOSSES[loss]
    else:
        raise ValueError(f"fit: unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a callable")
    if metric not in (None, "accuracy"):
        raise ValueError(f"fit: metric must be 'accuracy' or None, got {metric!r}")
    if metric is None:
        predict = None
    elif predict is None:
        raise ValueError("fit: metric='accuracy' needs a named loss (its prediction rule); pass metric=None")
    name = loss if isinstance(loss, str) else None
    y = _check_labels(y, name, metric)
    _check_model_fits(model, X, y, name)
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr)
    elif isinstance(optimizer, Optimizer) and optimizer.arrays is not None:
        raise ValueError("fit: this optimizer steps a Tape's bound arrays, not the model's Values; fit trains the "
                         "Values: pass an optimizer over model.parameters() (with backend=TapeBackend() for speed)")
    elif isinstance(optimizer, Optimizer) and not {id(p) for p in model.parameters()} & {id(p) for p in
                                                                                         optimizer.params}:
        raise ValueError("fit: the optimizer holds none of the model's parameters (was it made for another "
                         "model?); training would change nothing")
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
                if lr_schedule is not None:  # checked before anything changes: a bad lr leaves the model as it was
                    optimizer.lr = _scheduled_lr(lr_schedule, history.steps)
                optimizer.zero_grad()
                try:
                    batch_loss, batch_correct = backend(model, Batch(X[rows], y[rows], loss_fn, target, predict, l2))
                except DomainError as exc:  # e.g. an overflow once the weights have grown: say when it happened
                    raise DomainError(f"fit: step {history.steps} (epoch {len(history.loss) + 1}) could not compute "
                                      f"the loss and its gradients: {exc}; no parameter was changed by this step "
                                      "(if the loss was growing, try a smaller learning rate)") from exc
                if not math.isfinite(batch_loss):
                    raise FloatingPointError(f"fit: the loss became {batch_loss!r} at step {history.steps}; "
                                             "try a smaller learning rate")
                try:
                    optimizer.step()
                except FloatingPointError as exc:
                    raise FloatingPointError(f"fit: step {history.steps} (epoch {len(history.loss) + 1}): {exc}") \
                        from exc
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
    X, y = _check_xy(X, y, "accuracy")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"accuracy: unknown loss {loss!r}; expected one of {sorted(LOSSES)}")
    y = _check_labels(y, loss, "accuracy", "accuracy")
    _check_model_fits(model, X, y, loss, "accuracy")
    predict = LOSSES[loss][2]
    return float(np.mean([predict(model(list(map(float, x)))) == int(t) for x, t in zip(X, y)]))


__all__: Sequence[str] = ["fit", "History", "Batch", "value_backend", "accuracy", "LOSSES"]
