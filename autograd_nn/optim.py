"""Optimizers with PyTorch's update rules, over a list of `Value` parameters or over a bound parameter set.

SGD (momentum μ, weight decay λ):  g = ∇ + λp;  b = g (first step) else μb + g;  p ← p − lr·b.
Adam:  g = ∇ + λp;  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  p ← p − lr·m̂/(√v̂ + ε),
with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).

A bound parameter set (:class:`ArrayParameters`, e.g. the ``Bound`` of ``Tape.bind(model.parameters())``) keeps
the parameters' numbers in one float64 array ``.data`` and their gradients in ``.grad``: ``step()`` is then a few
numpy operations on ``.data`` (the same operations, in the same order, as the Value path: the same numbers, bit
for bit), and no Value is read or written::

    bound = tape.bind(model.parameters())
    opt = SGD(bound, lr=0.05)
    for _ in range(100):
        tape.forward()
        tape.gradient()      # fills bound.grad (overwrites it: there is nothing to zero)
        opt.step()           # updates bound.data in place
    bound.write_back()       # the Values' .data, up to date again
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import Protocol, cast

import numpy as np

from .engine import Value, assign


class ArrayParameters(Protocol):
    """A bound parameter set: the parameters' numbers in ``data``, a writable 1-d float64 array that the optimizer
    updates in place, and their gradients in ``grad``, a float64 array of the same shape that the optimizer reads
    (``Tape.bind`` returns one). Recognised structurally: any object whose ``data`` is a numpy array."""

    @property
    def data(self) -> np.ndarray: ...

    @property
    def grad(self) -> np.ndarray: ...


def _is_arrays(params: object) -> bool:
    return isinstance(getattr(params, "data", None), np.ndarray)


def _check_arrays(params: ArrayParameters, who: str) -> int:
    """The number of parameters of a bound set, after checking its arrays (or raising, naming what is wrong)."""
    kind = type(params).__name__
    data, grad = params.data, getattr(params, "grad", None)
    if data.dtype != np.float64:
        raise TypeError(f"{who}: {kind}.data must be a float64 array, got dtype {data.dtype}")
    if data.ndim != 1:
        raise ValueError(f"{who}: {kind}.data must be a 1-d array, got shape {data.shape}")
    if not data.size:
        raise ValueError(f"{who}: {kind}.data is empty: no parameters to optimize")
    if not data.flags.writeable:
        raise ValueError(f"{who}: {kind}.data is read-only; the optimizer updates it in place")
    if not isinstance(grad, np.ndarray):
        raise TypeError(f"{who}: {kind}.grad must be a numpy array like .data, got {type(grad).__name__}")
    if grad.dtype != np.float64:
        raise TypeError(f"{who}: {kind}.grad must be a float64 array, got dtype {grad.dtype}")
    if grad.shape != data.shape:
        raise ValueError(f"{who}: {kind}.grad has shape {grad.shape}, .data {data.shape}; they must be the same")
    return data.size


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

    The parameters are a list of Values (``params``; each step reads ``p.grad`` and assigns ``p.data``) or a
    bound parameter set (``arrays``, an :class:`ArrayParameters`; each step reads ``arrays.grad`` and updates
    ``arrays.data`` in place; ``params`` is then empty).

    A step either updates every parameter or, when the update would not be finite (a NaN or infinite gradient,
    an overflow), raises FloatingPointError naming the first such parameter (its index in ``params`` or in the
    arrays) and changes nothing: parameters and the optimizer's state stay as they were before it.
    """

    def __init__(self, params: Iterable[Value] | ArrayParameters, lr: float) -> None:
        who = type(self).__name__
        self.arrays: ArrayParameters | None = None
        self.params: list[Value] = []
        if _is_arrays(params):
            self.arrays = cast(ArrayParameters, params)
            self._n = _check_arrays(self.arrays, who)
        else:
            self.params = _check_params(cast(Iterable[Value], params), who)
            self._n = len(self.params)
        self._lr = _check_number(lr, f"{who}: lr", strict=True)
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate of the next step: a finite number >= 0 (0 pauses training, e.g. at a schedule's end)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_number(value, f"{type(self).__name__}: lr")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (backward() accumulates). On a bound parameter set, fill ``arrays.grad``
        with 0: harmless and not needed, as ``tape.gradient()`` overwrites the gradients rather than adding to them."""
        if self.arrays is not None:
            self.arrays.grad.fill(0.0)
            return
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _grads(self) -> list[float]:
        grads = [p.grad for p in self.params]
        if all(map(math.isfinite, grads)):  # in C; the loop below only finds which one is not
            return grads
        for i, g in enumerate(grads):
            if not math.isfinite(g):
                raise self._bad_gradient(i, g)
        return grads

    def _bad_gradient(self, i: int, g: float) -> FloatingPointError:
        """The refusal of a step whose parameter i has a non-finite gradient (both paths: Values and arrays)."""
        return FloatingPointError(f"{type(self).__name__}.step: parameter {i} has gradient {g!r}; "
                                  "parameters left unchanged")

    def _bad_update(self, i: int, new: float, old: float, g: float) -> FloatingPointError:
        """The refusal of a step that would make parameter i non-finite (both paths: Values and arrays)."""
        return FloatingPointError(f"{type(self).__name__}.step: the update would make parameter {i} {new!r} "
                                  f"(it is {old!r}, gradient {g!r}, lr {self._lr!r}); "
                                  "parameters left unchanged: try a smaller learning rate")

    def _commit(self, new: list[float], grads: list[float]) -> None:
        """Write the new parameter values, or raise (changing nothing) if one of them is not finite."""
        if not all(map(math.isfinite, new)):
            i = next(i for i, v in enumerate(new) if not math.isfinite(v))
            raise self._bad_update(i, new[i], self.params[i].data, grads[i])
        assign(self.params, new)  # one checked assignment of them all (the engine's bulk .data)

    def _arrays_now(self) -> tuple[np.ndarray, np.ndarray]:
        """The bound set's (data, grad) for this step, checked to still have the shape they had at construction."""
        arrays = cast(ArrayParameters, self.arrays)
        x, g = arrays.data, arrays.grad
        if x.shape != (self._n,) or g.shape != (self._n,):
            raise ValueError(f"{type(self).__name__}.step: the bound arrays changed shape (data {x.shape}, grad "
                             f"{g.shape}); they held {self._n} parameters when the optimizer was made")
        return x, g

    def _commit_arrays(self, x: np.ndarray, g: np.ndarray, new: np.ndarray) -> None:
        """Write ``new`` into ``x``, or raise as the Value path does (changing nothing) if ``g`` or ``new`` has a
        non-finite entry. One sum decides: it is finite only if every entry is (a NaN or ±inf makes it NaN or ±inf);
        a non-finite sum (also an overflow of the sum alone) sends to the exact, entry by entry, check. A non-finite
        gradient always makes its parameter's new number non-finite (x − lr·(±inf or NaN), and for Adam
        (±inf)/(inf + ε) = NaN), so the gradients need no check of their own on the way that commits."""
        with np.errstate(all="ignore"):
            total = np.add.reduce(new)
        if not math.isfinite(total):
            bad = np.flatnonzero(~np.isfinite(g))
            if len(bad):
                i = int(bad[0])
                raise self._bad_gradient(i, float(g[i]))
            bad = np.flatnonzero(~np.isfinite(new))
            if len(bad):
                i = int(bad[0])
                raise self._bad_update(i, float(new[i]), float(x[i]), float(g[i]))
        x[...] = new


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and L2 weight decay."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number(momentum, "SGD: momentum")
        self.weight_decay = _check_number(weight_decay, "SGD: weight_decay")
        self._buffers: list[float] | None = None
        self._buffer_array: np.ndarray | None = None  # the momentum buffer of a bound parameter set

    def step(self) -> None:
        if self.arrays is not None:
            self._step_arrays()
            return
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

    def _step_arrays(self) -> None:
        """The step above on the bound arrays: the same operations, elementwise, in the same order."""
        x, raw = self._arrays_now()
        lr, mu, wd = self._lr, self.momentum, self.weight_decay
        buffer = self._buffer_array
        with np.errstate(all="ignore"):  # overflow gives inf, as Python's float arithmetic: _commit_arrays decides
            g = raw + wd * x if wd else raw
            if mu:
                # a copy on the first step: raw is the tape's gradient array, which the next gradient() overwrites
                buffer = np.array(g) if buffer is None else mu * buffer + g
                g = buffer
            new = x - lr * g
        self._commit_arrays(x, raw, new)
        self._buffer_array = buffer  # only after the parameters were written
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
        # ε > 0: with ε = 0 a parameter whose gradients have all been 0 gets the step 0/0
        self.eps = _check_number(eps, "Adam: eps", strict=True)
        self.weight_decay = _check_number(weight_decay, "Adam: weight_decay")
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)
        if self.arrays is not None:  # the moments of a bound parameter set
            self._m_array, self._v_array = np.zeros(self._n), np.zeros(self._n)

    def _bad_moment(self, i: int, g: float) -> FloatingPointError:
        """The refusal of a step whose second moment v = β₂v + (1 − β₂)g² overflows for parameter i (both paths).
        Once v is inf the step m̂/(√v̂ + ε) is 0 for ever: the parameter would silently never move again."""
        return FloatingPointError(f"Adam.step: parameter {i} has gradient {g!r}, whose square overflows Adam's "
                                  "second moment v = β₂v + (1 − β₂)g² (inf: the parameter would never move again); "
                                  "parameters left unchanged: scale the loss down or clip the gradients")

    def step(self) -> None:
        if self.arrays is not None:
            self._step_arrays()
            return
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
        if not all(map(math.isfinite, v)):  # in C; the search below only finds which one overflowed
            i = next(i for i, vi in enumerate(v) if not math.isfinite(vi))
            raise self._bad_moment(i, grads[i])
        self._commit(new, grads)
        self._m, self._v = m, v
        self.steps = t

    def _step_arrays(self) -> None:
        """The step above on the bound arrays: the same operations, elementwise, in the same order."""
        x, raw = self._arrays_now()
        b1, b2 = self.betas
        t = self.steps + 1
        c1, c2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        lr, eps, wd = self._lr, self.eps, self.weight_decay
        with np.errstate(all="ignore"):  # overflow gives inf, as Python's float arithmetic: _commit_arrays decides
            g = raw + wd * x if wd else raw
            m = b1 * self._m_array + (1.0 - b1) * g
            v = b2 * self._v_array + (1.0 - b2) * g * g
            new = x - lr * (m / c1) / (np.sqrt(v / c2) + eps)
            total = np.add.reduce(v)  # finite only if every entry is (v >= 0: an overflow of the sum alone is rare)
        if not math.isfinite(total):
            bad = np.flatnonzero(~np.isfinite(raw))
            if len(bad):  # a non-finite gradient is named as such, as on the Value path
                raise self._bad_gradient(int(bad[0]), float(raw[bad[0]]))
            bad = np.flatnonzero(~np.isfinite(v))
            if len(bad):
                raise self._bad_moment(int(bad[0]), float(raw[bad[0]]))
        self._commit_arrays(x, raw, new)
        self._m_array, self._v_array = m, v  # only after the parameters were written
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
