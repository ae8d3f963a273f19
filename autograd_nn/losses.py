"""Losses for one sample (prediction, target) and the batch average mean_loss (1/n Σ).

Each returns a Value when the prediction holds Values. Stable forms: binary_cross_entropy(from_logits=True)
uses softplus, softmax/softmax_cross_entropy subtract the largest logit (log-sum-exp).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from numbers import Real
from typing import Any

import numpy as np

from .engine import Value
from .engine.arithmetic import fold_sum
from .engine.checks import short
from .engine.ops import LOG, RELU, SOFTPLUS, exp, log

Scalar = Any  # float | Value


def _as_list(x: Any, what: str) -> list[Any]:
    if type(x) is Value or type(x) is float and math.isfinite(x):  # one number: checked first, for speed
        return [x]
    if isinstance(x, (Value, Real)) and not isinstance(x, bool):
        items = [x]
    elif isinstance(x, (str, bytes, Mapping, AbstractSet)):  # iterable, but not an ordered list of numbers
        raise TypeError(f"{what}: expected a number, a Value or a list of them, got {type(x).__name__} {short(x)}")
    else:
        try:
            items = list(x)
        except TypeError:
            raise TypeError(f"{what}: expected a number, a Value or a list of them, got {type(x).__name__}") from None
    for i, v in enumerate(items):
        if type(v) is Value:
            continue
        if not isinstance(v, Real) or isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{what}: element {i} = {short(v)} is not a number or Value")
        try:
            finite = math.isfinite(v)
        except OverflowError:  # an int beyond the largest float
            raise ValueError(f"{what}: element {i} = {short(v)} is too large for a float") from None
        if not finite:
            raise ValueError(f"{what}: element {i} = {short(v)} is not a finite number")
    return items


def _pairs(pred: Any, target: Any, name: str) -> tuple[list[Any], list[Any]]:
    p, t = _as_list(pred, name + " prediction"), _as_list(target, name + " target")
    if len(p) != len(t):
        raise ValueError(f"{name}: prediction has length {len(p)} but target has length {len(t)}")
    if not p:
        raise ValueError(f"{name}: empty prediction")
    return p, t


def _data(x: Any) -> float:
    return x.data if type(x) is Value else float(x)


def squared_error(pred: Any, target: Any) -> Scalar:
    """C = ½ Σ (y − a)², the documents' cost; ∂C/∂a = a − y."""
    p, t = _pairs(pred, target, "squared_error")
    return 0.5 * fold_sum([(a - y) ** 2 for a, y in zip(p, t)])


def mse(pred: Any, target: Any) -> Scalar:
    """Mean squared error (1/n) Σ (y − a)² over the outputs of one sample."""
    p, t = _pairs(pred, target, "mse")
    return fold_sum([(a - y) ** 2 for a, y in zip(p, t)]) * (1.0 / len(p))


def _check_labels(t: list[Any], name: str) -> None:
    for y in t:
        if not 0.0 <= _data(y) <= 1.0:
            raise ValueError(f"{name}: target {y!r} must lie in [0, 1]")


def binary_cross_entropy(pred: Any, target: Any, from_logits: bool = False) -> Scalar:
    """−[y log a + (1 − y) log(1 − a)], summed over outputs.

    With from_logits=True pred is z (a = σ(z)) and the loss is softplus(z) − y·z, exact and finite for any z;
    its gradient is σ(z) − y, the documents' dz = a − y.
    """
    p, t = _pairs(pred, target, "binary_cross_entropy")
    _check_labels(t, "binary_cross_entropy")
    if from_logits:
        return fold_sum([SOFTPLUS(z) - y * z for z, y in zip(p, t)])
    for a in p:
        if not 0.0 < _data(a) < 1.0:
            raise ValueError(f"binary_cross_entropy: probability {_data(a)!r} must lie strictly between 0 and 1 "
                             "(pass logits with from_logits=True for a stable form)")
    terms = []
    for a, y in zip(p, t):
        yd = _data(y)
        if yd == 1.0 and type(y) is not Value:  # skip the 0·log(1 − a) term: exact, and a smaller graph
            terms.append(-LOG(a))
        elif yd == 0.0 and type(y) is not Value:
            terms.append(-LOG(1.0 - a))
        else:
            terms.append(-(y * LOG(a) + (1.0 - y) * LOG(1.0 - a)))
    return fold_sum(terms)


def _check_logits(logits: Any, name: str) -> list[Any]:
    z = _as_list(logits, name)
    if len(z) < 1:
        raise ValueError(f"{name}: needs at least one logit")
    return z


def softmax(logits: Any) -> list[Scalar]:
    """sᵢ = e^(zᵢ − m) / Σⱼ e^(zⱼ − m) with m = max z (a constant), so no exp overflows."""
    z = _check_logits(logits, "softmax")
    m = max(_data(v) for v in z)
    e = [exp(v - m) for v in z]
    total = fold_sum(e)
    return [v / total for v in e]


def log_sum_exp(logits: Any) -> Scalar:
    """log Σ e^zᵢ = m + log Σ e^(zᵢ − m): finite for logits of any size."""
    z = _check_logits(logits, "log_sum_exp")
    m = max(_data(v) for v in z)
    return log(fold_sum([exp(v - m) for v in z])) + m


def softmax_cross_entropy(logits: Any, target: int) -> Scalar:
    """−log softmax(z)[k] = log Σ e^zⱼ − z_k for the class index k; gradient softmax(z) − onehot(k)."""
    z = _check_logits(logits, "softmax_cross_entropy")
    if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int,)) and not (
            hasattr(target, "__index__") and not isinstance(target, float)):
        raise TypeError(f"softmax_cross_entropy: target must be an integer class index, got {short(target)}")
    k = operator.index(target)
    if not 0 <= k < len(z):
        raise ValueError(f"softmax_cross_entropy: class index {short(k)} out of range for {len(z)} logits")
    return log_sum_exp(z) - z[k]


def hinge(score: Any, target: Any) -> Scalar:
    """max(0, 1 − y·s) with y ∈ {−1, +1}, summed over outputs (the micrograd demo's loss)."""
    p, t = _pairs(score, target, "hinge")
    for y in t:
        if _data(y) not in (-1.0, 1.0):
            raise ValueError(f"hinge: target {y!r} must be -1 or +1 (see data.to_pm1 for 0/1 labels)")
    return fold_sum([RELU(1.0 - y * s) for s, y in zip(p, t)])


def mean_loss(losses: Sequence[Any]) -> Scalar:
    """(1/n) Σ losses: the batch average whose gradient is the mean of the per-sample gradients."""
    if isinstance(losses, (Value, Real, str, bytes)):
        raise TypeError(f"mean_loss: expected a list of losses, got {type(losses).__name__} {short(losses)}")
    items = _as_list(losses, "mean_loss")
    if not items:
        raise ValueError("mean_loss: no losses to average")
    return fold_sum(items) * (1.0 / len(items))
