"""Optimizers over a list of `Value` parameters, with PyTorch's update rules.

SGD (momentum μ, weight decay λ):  g = ∇ + λp;  b = g (first step) else μb + g;  p ← p − lr·b.
Adam:  g = ∇ + λp;  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p ← p − lr·m̂/(√v̂ + ε),
with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Integral, Real

from .engine import Value


def _check_params(params: Iterable[Value], who: str) -> list[Value]:
    ps = list(params)
    if not ps:
        raise ValueError(f"{who}: got an empty parameter list")
    for i, p in enumerate(ps):
        if type(p) is not Value:
            raise TypeError(f"{who}: parameter {i} is {type(p).__name__}, expected a Value")
    return ps


def _check_number(x: float, what: str, low: float = 0.0, strict: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x) or x < low or (strict and x == low):
        raise ValueError(f"{what} must be a finite number {'>' if strict else '>='} {low}, got {x!r}")
    return float(x)


class Optimizer:
    """Base class: holds the parameters and the learning rate (which a schedule may change between steps).

    A step either updates every parameter or, when the update would not be finite (a NaN or infinite gradient,
    an overflow), raises FloatingPointError and changes nothing: parameters and the optimizer's state stay
    as they were before it.
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _check_params(params, type(self).__name__)
        self._lr = _check_number(lr, f"{type(self).__name__}: lr", strict=True)
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate of the next step: a finite number >= 0 (0 pauses training, e.g. at a schedule's end)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_number(value, f"{type(self).__name__}: lr")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (backward() accumulates)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _grads(self) -> list[float]:
        grads = [p.grad for p in self.params]
        for i, g in enumerate(grads):
            if not math.isfinite(g):
                raise FloatingPointError(f"{type(self).__name__}.step: parameter {i} has gradient {g!r}; "
                                         "parameters left unchanged")
        return grads

    def _commit(self, new: list[float], grads: list[float]) -> None:
        """Write the new parameter values, or raise (changing nothing) if one of them is not finite."""
        if not all(map(math.isfinite, new)):
            i = next(i for i, v in enumerate(new) if not math.isfinite(v))
            raise FloatingPointError(f"{type(self).__name__}.step: the update would make parameter {i} {new[i]!r} "
                                     f"(it is {self.params[i].data!r}, gradient {grads[i]!r}, lr {self._lr!r}); "
                                     "parameters left unchanged: try a smaller learning rate")
        for p, v in zip(self.params, new):
            p.data = v


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and L2 weight decay."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number(momentum, "SGD: momentum")
        self.weight_decay = _check_number(weight_decay, "SGD: weight_decay")
        self._buffers: list[float] | None = None

    def step(self) -> None:
        raw = grads = self._grads()
        lr, mu, wd = self._lr, self.momentum, self.weight_decay
        if wd:
            grads = [g + wd * p.data for g, p in zip(grads, self.params)]
        buffers = self._buffers
        if mu:
            buffers = grads if buffers is None else [mu * b + g for b, g in zip(buffers, grads)]
            grads = buffers
        self._commit([p.data - lr * g for p, g in zip(self.params, grads)], raw)
        self._buffers = buffers  # only after the parameters were written: a refused step changes no state
        self.steps += 1


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as torch.optim.Adam (weight_decay adds λp to the gradient)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (β₁, β₂), got {betas!r}")
        for name, beta in zip(("β₁", "β₂"), betas):
            if not 0.0 <= _check_number(beta, f"Adam: {name}") < 1.0:
                raise ValueError(f"Adam: {name} must lie in [0, 1), got {beta!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _check_number(eps, "Adam: eps")
        self.weight_decay = _check_number(weight_decay, "Adam: weight_decay")
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        grads = self._grads()
        b1, b2 = self.betas
        t = self.steps + 1
        c1, c2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        lr, eps, wd = self._lr, self.eps, self.weight_decay
        m, v = list(self._m), list(self._v)  # new moments, kept only if the step succeeds
        new = []
        for i, (p, g) in enumerate(zip(self.params, grads)):
            x = p.data
            if wd:
                g += wd * x
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            new.append(x - lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps))
        self._commit(new, grads)
        self._m, self._v = m, v
        self.steps = t


def linear_decay(start: float, end: float, steps: int) -> Callable[[int], float]:
    """A schedule k ↦ start − (start − end)·k/steps for k ≤ steps, then `end`; e.g. micrograd's demo
    lr = 1.0 − 0.9·k/100. Past its end it holds `end` (it never turns negative)."""
    start = _check_number(start, "linear_decay: start")
    end = _check_number(end, "linear_decay: end")
    if isinstance(steps, bool) or not isinstance(steps, Integral) or steps < 1:
        raise ValueError(f"linear_decay: steps must be an integer >= 1, got {steps!r}")
    n = int(steps)
    return lambda k: start - (start - end) * min(max(k, 0), n) / n
