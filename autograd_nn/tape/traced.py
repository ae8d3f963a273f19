"""An op's derivative on arrays, traced once from its op-table entry: the same numpy operations, without the
dispatch of every op called inside it.

A derivative is written with arithmetic and with ops (relu' = ``step(x)``, \\|x\\|' = ``gt(x, 0) - lt(x, 0)``).
Called on arrays, each op inside it goes through ``Op.__call__``, which looks at its arguments' types and checks
its result for non-finite numbers: several µs per call, more than the numpy work on a layer's activations.
:func:`array_derivative` calls the derivative once on placeholders, which record what it does (an expression over
the operands and ``out``), and returns a function evaluating that expression on arrays: the same operations in the
same order, so the same numbers. An op inside it whose values are only 0.0 and 1.0 (:data:`INDICATOR_OPS`, step
and the comparisons: no non-finite result, so ``Op.__call__``'s check cannot fail) runs its ``vector`` directly;
any other op is called as before, with its checks.

A derivative that does what a placeholder cannot record (an ``if`` or a comparison on an operand, a numpy or
``math`` function) is used as written, and so is one whose traced form gives other numbers than the derivative
itself on a few sample arrays (compared bit for bit before the trace is used).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.ops import EQ, GT, LT, STEP, Op

INDICATOR_OPS = frozenset({STEP, LT, GT, EQ})
"""Ops whose array form gives only 0.0 and 1.0 (a NaN operand gives 0.0 on floats and arrays alike)."""

Evaluate = Callable[[tuple[Any, ...]], Any]


class _Traced:
    """A placeholder for a value inside a derivative: ``evaluate(args)`` computes it from the derivative's
    arguments (the operand arrays and ``out``). Arithmetic with a number or another placeholder makes a new one;
    anything else (a comparison, ``bool``, a numpy function) raises TypeError, which ends the trace."""

    __slots__ = ("evaluate", "ops")
    __array_ufunc__ = None  # numpy refuses it (np.sum(x) on a placeholder is a TypeError, not a silent identity)

    def __init__(self, evaluate: Evaluate, ops: int = 0) -> None:
        self.evaluate = evaluate
        self.ops = ops  # how many indicator ops it calls directly (a trace without any is not worth using)

    @staticmethod
    def __autograd_op__(op: Op, args: tuple[Any, ...]) -> _Traced:
        """An op called on a placeholder (``Op.__call__`` hands it here, as it hands a Value to its class)."""
        parts = [_operand(a) for a in args]
        if any(p is None for p in parts):
            raise TypeError(f"{op.name}: an argument the trace cannot follow")
        evals = tuple(p.evaluate for p in parts if p is not None)
        ops = sum(p.ops for p in parts if p is not None)
        if op in INDICATOR_OPS:
            vector: Callable[..., Any] = op.vector  # type: ignore[assignment]
            if len(evals) == 1:
                only = evals[0]
                return _Traced(lambda env: vector(only(env)), ops + 1)
            return _Traced(lambda env: vector(*[e(env) for e in evals]), ops + 1)
        return _Traced(lambda env: op(*[e(env) for e in evals]), ops)

    def _binary(self, other: Any, fn: Callable[[Any, Any], Any], reflected: bool) -> _Traced:
        part = _operand(other)
        if part is None:
            return NotImplemented
        a, b = (part, self) if reflected else (self, part)
        fa, fb = a.evaluate, b.evaluate
        return _Traced(lambda env: fn(fa(env), fb(env)), a.ops + b.ops)

    def __add__(self, other: Any) -> _Traced:
        return self._binary(other, operator.add, False)

    def __radd__(self, other: Any) -> _Traced:
        return self._binary(other, operator.add, True)

    def __sub__(self, other: Any) -> _Traced:
        return self._binary(other, operator.sub, False)

    def __rsub__(self, other: Any) -> _Traced:
        return self._binary(other, operator.sub, True)

    def __mul__(self, other: Any) -> _Traced:
        return self._binary(other, operator.mul, False)

    def __rmul__(self, other: Any) -> _Traced:
        return self._binary(other, operator.mul, True)

    def __truediv__(self, other: Any) -> _Traced:
        return self._binary(other, operator.truediv, False)

    def __rtruediv__(self, other: Any) -> _Traced:
        return self._binary(other, operator.truediv, True)

    def __pow__(self, other: Any) -> _Traced:
        return self._binary(other, operator.pow, False)

    def __rpow__(self, other: Any) -> _Traced:
        return self._binary(other, operator.pow, True)

    def __neg__(self) -> _Traced:
        f = self.evaluate
        return _Traced(lambda env: -f(env), self.ops)

    def __bool__(self) -> bool:
        raise TypeError("a derivative that branches on its operand cannot be traced")

    def __eq__(self, other: object) -> bool:
        raise TypeError("a derivative that compares its operand cannot be traced")

    __ne__ = __eq__
    __hash__ = object.__hash__


def _operand(x: Any) -> _Traced | None:
    """A placeholder, or a plain number as a constant placeholder; None for anything else."""
    if isinstance(x, _Traced):
        return x
    if type(x) in (float, int):
        return _Traced(lambda env: x)
    return None


def _argument(j: int) -> _Traced:
    return _Traced(lambda env: env[j])


def _trace(op: Op, arity: int) -> Callable[..., tuple[Any, ...]] | None:
    """The traced derivative (see the module docstring), or None when it cannot be traced or gains nothing."""
    try:
        partials = tuple(op.derivative(*[_argument(j) for j in range(arity + 1)]))
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    if len(partials) != arity or not any(isinstance(d, _Traced) and d.ops for d in partials):
        return None
    parts: list[Any] = [d.evaluate if isinstance(d, _Traced) else d for d in partials]
    if any(not callable(p) and type(p) not in (float, int) for p in parts):
        return None
    if arity == 1 and callable(parts[0]):
        only = parts[0]
        return lambda *env: (only(env),)
    return lambda *env: tuple([p(env) if callable(p) else p for p in parts])


def _same(a: Any, b: Any) -> bool:
    """The same numbers: both plain numbers equal and of one type, or both arrays equal bit for bit (NaN where NaN,
    −0.0 where −0.0)."""
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=True) and (np.signbit(a) == np.signbit(b)).all())


def _agrees(op: Op, arity: int, traced: Callable[..., tuple[Any, ...]]) -> bool:
    """Whether the traced form gives the derivative's own results on sample arrays over the op's sample interval
    (with its kink 0.0), forwards and backwards for a second operand."""
    lo, hi = op.sample
    base = np.r_[np.linspace(lo, hi, 9), 0.0, -0.0]
    args = [base if j % 2 == 0 else base[::-1].copy() for j in range(arity)]
    try:
        with np.errstate(all="ignore"):
            vector = op.vector
            out = np.asarray(vector(*args) if vector is not None else np.vectorize(op.forward)(*args), dtype=float)
            want = tuple(op.derivative(*args, out))
            got = traced(*args, out)
    except (TypeError, ValueError, ArithmeticError):
        return False
    return len(want) == len(got) and all(_same(a, b) for a, b in zip(want, got))


@functools.lru_cache(maxsize=64)
def array_derivative(op: Op, arity: int) -> Callable[..., Any]:
    """The op's ``derivative`` for operands that are arrays: its traced form (see the module docstring) when it
    calls an indicator op and agrees with the derivative on sample arrays, else the derivative itself."""
    traced = _trace(op, arity)
    if traced is None or not _agrees(op, arity, traced):
        return op.derivative
    return traced


__all__ = ["INDICATOR_OPS", "array_derivative"]
