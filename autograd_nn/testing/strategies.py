"""Hypothesis strategies for checking gradients: numbers in an op's domain, random expressions, small MLPs.

::

    from hypothesis import given
    from autograd_nn.testing import gradcheck
    from autograd_nn.testing.strategies import expressions

    @given(expressions(ops=[my_op]))
    def test_my_op(e):
        assert gradcheck(e, e.inputs)

A drawn :class:`Expression` is a small computation graph (sub-expressions may be used more than once) with
its input Values; it prints readably, e.g. ``tanh(x0 * x1) + x0`` at ``x0=0.5, x1=-1.0``, and Hypothesis
shrinks a failing one to a minimal expression.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from ..engine import BUILTIN_OPS, DomainError, Op, Value
from ..engine.ops import power_op

# Where each built-in op is drawn from by values(op): away from domain edges, kinks and overflow.
_DOMAINS: dict[str, tuple[float, float]] = {
    "log": (0.1, 10.0), "sqrt": (0.1, 10.0), "exp": (-5.0, 5.0), "pow": (0.2, 3.0),
}
_DEFAULT_DOMAIN = (-3.0, 3.0)
# How far an operand must stay from a point where an op (or its derivative) is undefined or has a kink.
_MARGIN = 0.05
_LIMIT = 1e4  # no drawn node may exceed this magnitude (keeps finite differences meaningful)

# The ops an expression is drawn from when none are given: every built-in op (a new entry in the op table is
# covered without an edit here) except step, which is flat everywhere and jumps at 0.
DEFAULT_OPS: tuple[Op, ...] = tuple(op for name, op in BUILTIN_OPS.items() if name != "step") + (
    power_op(2.0), power_op(3.0))
_ARITHMETIC: tuple[Op, ...] = tuple(BUILTIN_OPS[name] for name in ("add", "sub", "mul"))


def _op(op: Op | str) -> Op:
    if isinstance(op, Op):
        return op
    if op in BUILTIN_OPS:
        return BUILTIN_OPS[op]
    raise ValueError(f"strategies: unknown op {op!r}; give an Op or one of {sorted(BUILTIN_OPS)}")


def values(op: Op | str | None = None) -> st.SearchStrategy[float]:
    """Floats where ``op`` (an Op or a built-in name) is defined and smooth: e.g. log → [0.1, 10],
    relu → |x| ≥ 0.05 (away from its kink), anything else → [-3, 3]."""
    name = _op(op).name if op is not None else None
    lo, hi = _DOMAINS.get(name, _DEFAULT_DOMAIN) if name else _DEFAULT_DOMAIN
    floats = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if name in ("relu", "step", "div"):  # kink at 0 (relu, step); div is drawn as a divisor here
        return floats.filter(lambda x: abs(x) >= _MARGIN)
    return floats


def _safe(op: Op, args: Sequence[float]) -> bool:
    """Whether ``op`` at these operands is comfortably inside its domain (checked before applying it)."""
    name = op.name
    if name == "div":
        return abs(args[1]) >= _MARGIN
    if name in ("log", "sqrt", "pow"):
        return args[0] >= _MARGIN
    if name in ("relu", "step"):
        return abs(args[0]) >= _MARGIN
    if name == "exp":
        return args[0] <= 8.0
    if name.startswith("pow"):  # x ** k: a negative k needs x away from 0
        return abs(args[0]) >= _MARGIN
    return True


@dataclass(frozen=True)
class _Step:
    op: Op
    operands: tuple[int, ...]  # indices into inputs + earlier steps


class Expression:
    """A drawn computation graph: callable on Values (or numbers), with ``inputs`` to evaluate it at.

    ``e(*xs)`` rebuilds the graph on new operands (a shared sub-expression is computed once and used
    twice, so its node has several children); ``e.output`` is it evaluated at ``e.inputs``; ``str(e)`` is
    the formula.
    """

    def __init__(self, n_inputs: int, steps: Sequence[_Step], point: Sequence[float]) -> None:
        self.n_inputs = n_inputs
        self.steps = tuple(steps)
        self.point = tuple(point)
        self.inputs = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
        self.output = self(*self.inputs)

    @property
    def ops(self) -> list[Op]:
        return [s.op for s in self.steps]

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"{self}: takes {self.n_inputs} input(s), got {len(xs)}")
        nodes = list(xs)
        for s in self.steps:
            nodes.append(s.op(*[nodes[k] for k in s.operands]))
        return nodes[-1]

    def formula(self) -> str:
        """The expression as text, parenthesised only where precedence needs it: ``tanh(x0 * x1) + x0``."""
        texts: list[tuple[str, int]] = [(f"x{i}", _ATOM) for i in range(self.n_inputs)]
        for s in self.steps:
            texts.append(_format(s.op, [texts[k] for k in s.operands]))
        return texts[-1][0]

    def __str__(self) -> str:
        return self.formula()

    def __repr__(self) -> str:
        at = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.point))
        return f"<{self.formula()} at {at}>"


_ATOM = 9
# Precedence of the infix ops (Python's): a lower number binds less tightly.
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def _format(op: Op, args: Sequence[tuple[str, int]]) -> tuple[str, int]:
    """One op applied to already formatted operands (text, precedence) -> (text, precedence)."""
    name = op.name
    if name == "weighted_sum":  # w₁·a₁ + … + b, as the sum it is
        n = len(args) // 2
        terms = [f"{_wrap(w, 2, False)} * {_wrap(a, 2, True)}" for w, a in zip(args[:n], args[n:2 * n])]
        return " + ".join(terms + [_wrap(args[-1], 1, True)]), 1
    prec = _PRECEDENCE.get(name, 4 if name.startswith("pow") else None)
    if prec is None or op.template is None:
        return f"{name}({', '.join(text for text, _ in args)})", _ATOM
    if len(args) == 1 and name == "neg":
        return "-" + _wrap(args[0], prec, True), prec
    if len(args) == 1:  # x ** k
        return op.template.format(_wrap(args[0], prec, True)), prec
    # Left operands of ** and right operands of - / ** need parentheses at equal precedence.
    left = _wrap(args[0], prec, name == "pow")
    right = _wrap(args[1], prec, name in ("sub", "div", "pow"))
    return op.template.format(left, right), prec


def _wrap(arg: tuple[str, int], prec: int, strict: bool) -> str:
    text, p = arg
    return f"({text})" if p < prec or (strict and p == prec) else text


def _arity(op: Op, draw: Callable[..., Any]) -> int:
    if op.arity is not None:
        return op.arity
    return 2 * draw(st.integers(1, 2)) + 1  # weighted_sum: w₁..wₙ, a₁..aₙ, b


def expressions(ops: Sequence[Op | str] | None = None, max_depth: int = 4, max_leaves: int = 3,
                with_arithmetic: bool = True) -> st.SearchStrategy[Expression]:
    """A random expression over ``ops`` (default: the built-in ops) and its input Values.

    Up to ``max_leaves`` inputs x0, x1, …; ops nested at most ``max_depth`` deep. Operands are drawn from
    the inputs *and* earlier sub-expressions, so a sub-expression can be used twice (a DAG, not only a
    tree). With ``with_arithmetic`` (the default) user-given ops are mixed with ``+ - *`` so the chain rule
    around them is exercised too. Every node is finite and inside its op's domain, away from kinks; it
    shrinks toward one op applied to x0. A user-defined op is kept wherever it returns a finite number (draws
    where it raises DomainError are discarded); if it has a kink, exclude that point with ``assume`` in the
    test, or rely on gradcheck's kink rule.
    """
    chosen = [_op(o) for o in ops] if ops is not None else list(DEFAULT_OPS)
    if not chosen:
        raise ValueError("expressions: ops must not be empty")
    if ops is not None and with_arithmetic:
        chosen += [o for o in _ARITHMETIC if o not in chosen]
    if max_depth < 1 or max_leaves < 1:
        raise ValueError(f"expressions: max_depth and max_leaves must be >= 1, got {max_depth}, {max_leaves}")
    return _expressions(tuple(chosen), max_depth, max_leaves)


@st.composite
def _expressions(draw: Callable[..., Any], chosen: tuple[Op, ...], max_depth: int, max_leaves: int) -> Expression:
    n_inputs = draw(st.integers(1, max_leaves))
    # Inputs on a grid of 1/100 in [-2, 2]: short to print, and shrinking moves them toward 0.
    point = [draw(st.integers(-200, 200)) / 100 for _ in range(n_inputs)]
    data: list[float] = list(point)
    depth = [0] * n_inputs
    steps: list[_Step] = []
    n_steps = draw(st.integers(1, 2 * max_depth))
    for _ in range(n_steps):
        # The last node is the output; operands are preferably the newest nodes, so the graph stays connected.
        op = chosen[draw(st.integers(0, len(chosen) - 1))]
        k = _arity(op, draw)
        usable = [i for i in range(len(data)) if depth[i] < max_depth]
        operands = tuple(usable[len(usable) - 1 - draw(st.integers(0, len(usable) - 1))] for _ in range(k))
        args = [data[i] for i in operands]
        assume(_safe(op, args))
        try:
            out = op(*args)
        except (DomainError, ValueError, ArithmeticError):
            assume(False)
        assume(math.isfinite(out) and abs(out) <= _LIMIT)
        data.append(out)
        depth.append(1 + max(depth[i] for i in operands))
        steps.append(_Step(op, operands))
    return Expression(n_inputs, steps, point)


def mlps(max_inputs: int = 3, max_layers: int = 2, max_width: int = 3,
         activations: Sequence[str] = ("tanh", "sigmoid", "relu", "linear")) -> st.SearchStrategy[Any]:
    """A small ``autograd_nn.nn.MLP`` and one input vector for it: ``(mlp, x)`` with x a list of floats."""

    @st.composite
    def draw_mlp(draw: Callable[..., Any]) -> tuple[Any, list[float]]:
        from ..nn import MLP  # imported here: nn sits above the engine, and testing must import without it
        nin = draw(st.integers(1, max_inputs))
        nouts = draw(st.lists(st.integers(1, max_width), min_size=0, max_size=max_layers - 1)) + [1]
        activation = draw(st.sampled_from(list(activations)))
        seed = draw(st.integers(0, 2**16))
        x = draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=nin, max_size=nin))
        return MLP(nin, nouts, activation=activation, seed=seed), x

    return draw_mlp()


__all__ = ["DEFAULT_OPS", "Expression", "expressions", "mlps", "values"]
