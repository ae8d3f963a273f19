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

Everything here is read from the op table (``autograd_nn.engine.ops``), so a new op needs no edit here: an
op's operands are drawn from ``op.sample``; an operand tuple is kept only where ``op.domain`` contains it and
``op.edge`` (the distance to a domain edge, kink or jump) is at least :data:`MARGIN`; formulas are written by
``op.formula``. That margin is also what lets the flat ops with a jump (step, lt, gt, eq) be gradchecked:
away from their jump they are constant, and finite differences agree with their derivative 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from ..engine import BUILTIN_OPS, DomainError, Op, Value
from ..engine.ops import power_op
from ..tape.program import Equation, Program

MARGIN = 0.05
"""How far (``op.edge``) operands stay from a point where an op is undefined, has a kink or jumps."""
_LIMIT = 1e4  # no drawn node may exceed this magnitude (keeps finite differences meaningful)
_DEFAULT_SAMPLE = (-3.0, 3.0)  # values() with no op
# An op of any arity (arity None) is drawn with one of these operand counts, those it accepts (see
# operand_counts): sum with 2 to 5 terms, weighted_sum (w₁…wₙ, a₁…aₙ, b) with 3 or 5.
_NARY_COUNTS = range(2, 6)

# The ops an expression is drawn from when none are given: every built-in op (a new entry in the op table is
# covered without an edit here), and x ** k for two constants k.
DEFAULT_OPS: tuple[Op, ...] = tuple(BUILTIN_OPS.values()) + (power_op(2.0), power_op(3.0))
# What a user's ops are mixed with: the infix two-operand ops defined and smooth everywhere (+ - *).
_ARITHMETIC: tuple[Op, ...] = tuple(
    op for op in BUILTIN_OPS.values()
    if op.arity == 2 and isinstance(op.template, str) and op.domain is None and op.edge is None)


def _op(op: Op | str) -> Op:
    if isinstance(op, Op):
        return op
    if op in BUILTIN_OPS:
        return BUILTIN_OPS[op]
    raise ValueError(f"strategies: unknown op {op!r}; give an Op or one of {sorted(BUILTIN_OPS)}")


def operand_counts(op: Op | str) -> tuple[int, ...]:
    """How many operands ``op`` is drawn with: ``(op.arity,)``, or for an op of any arity (``arity=None``) the
    counts from 2 to 5 that it accepts.

    The op is asked, not named: a count k is accepted when ``op.forward`` runs on k operands from its sample
    and ``op.derivative`` gives exactly one partial per operand. So ``sum`` takes 2, 3, 4 or 5 terms, and
    ``weighted_sum``, whose operands are n pairs (wᵢ, aᵢ) and a bias, only 3 or 5.
    """
    op = _op(op)
    if op.arity is not None:
        return (op.arity,)
    lo, hi = op.sample
    counts = []
    for k in _NARY_COUNTS:
        xs = [lo + (hi - lo) * (i + 1) / (k + 1) for i in range(k)]
        try:
            accepted = len(tuple(op.derivative(*xs, op.forward(*xs)))) == k
        except (TypeError, ValueError, ArithmeticError, IndexError):
            accepted = False
        if accepted:
            counts.append(k)
    if not counts:
        raise ValueError(f"strategies: {op.name} takes any number of operands but accepts none of "
                         f"{list(_NARY_COUNTS)} (its derivative must give one partial per operand)")
    return tuple(counts)


def _safe(op: Op, args: Sequence[float]) -> bool:
    """Whether ``op`` at these operands is comfortably inside its domain: ``op.domain`` contains them (if it
    has a test) and ``op.edge`` is at least MARGIN (if the op has an edge)."""
    domain = op.domain
    if domain is not None and domain.contains is not None and not domain.contains(*args):
        return False
    return op.edge is None or op.edge(*args) >= MARGIN


def _result(op: Op, args: Sequence[float]) -> float | None:
    """``op`` at these operands if it is safe there (see _safe) and a finite number within the drawing limit."""
    if not _safe(op, args):
        return None
    try:
        out: float = op(*args)
    except (DomainError, ValueError, ArithmeticError):
        return None
    return out if math.isfinite(out) and abs(out) <= _LIMIT else None


def operands(op: Op | str) -> st.SearchStrategy[tuple[float, ...]]:
    """Operand tuples for ``op`` (an Op or a built-in name), each drawn from ``op.sample``, kept where the op is
    defined and at least MARGIN from its edges (``op.edge``): e.g. div → (a, b) with |b| ≥ 0.05,
    maximum → (a, b) with |a - b| ≥ 0.05, sum → 2 to 5 terms (see :func:`operand_counts`)."""
    op = _op(op)
    counts = operand_counts(op)
    lo, hi = op.sample
    number = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    tuples = st.sampled_from(counts).flatmap(lambda k: st.tuples(*[number] * k))
    return tuples.filter(lambda args: _result(op, args) is not None)


def values(op: Op | str | None = None) -> st.SearchStrategy[float]:
    """Floats where ``op`` (an Op or a built-in name) is defined and smooth, drawn from ``op.sample``: e.g.
    log → [0.1, 10], relu → |x| ≥ 0.05 (away from its kink), no op → [-3, 3].

    For an op of several operands it is the *last* operand of a draw of :func:`operands`: for div a divisor
    (away from 0), for pow an exponent, for weighted_sum a bias. Use :func:`operands` for all of them.
    """
    if op is None:
        return st.floats(*_DEFAULT_SAMPLE, allow_nan=False, allow_infinity=False)
    return operands(op).map(lambda args: args[-1])


class Expression:
    """A drawn computation graph: callable on Values (or numbers), with ``inputs`` to evaluate it at.

    ``program`` is the graph as the project's one program record (``autograd_nn.tape.Program``: ops over numbered
    slots, the inputs first); ``e(*xs)`` rebuilds it on new operands with :meth:`~autograd_nn.tape.Program.rebuild`
    (a shared sub-expression is computed once and used twice, so its node has several children); ``e.output`` is
    it evaluated at ``e.inputs``; ``str(e)`` is the formula.
    """

    def __init__(self, program: Program, point: Sequence[float]) -> None:
        self.program = program
        self.n_inputs = program.n_inputs
        self.point = tuple(point)
        self.inputs = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
        self.output = self(*self.inputs)

    @property
    def ops(self) -> list[Op]:
        return [eq.op for eq in self.program.equations]

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"{self}: takes {self.n_inputs} input(s), got {len(xs)}")
        return self.program.rebuild(xs)[self.program.root]

    def formula(self) -> str:
        """The expression as text, parenthesised only where precedence needs it: ``tanh(x0 * x1) + x0``.

        Each op writes itself (``op.formula``), so the text reads back as the same graph: ``x0 + (x1 + x0)``
        keeps its parentheses.
        """
        return self.program.formula([f"x{i}" for i in range(self.n_inputs)])

    def __str__(self) -> str:
        return self.formula()

    def __repr__(self) -> str:
        at = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.point))
        return f"<{self.formula()} at {at}>"


def expressions(ops: Sequence[Op | str] | None = None, max_depth: int = 4, max_leaves: int = 3,
                with_arithmetic: bool = True) -> st.SearchStrategy[Expression]:
    """A random expression over ``ops`` (default: the built-in ops) and its input Values.

    Up to ``max_leaves`` inputs x0, x1, …; ops nested at most ``max_depth`` deep. Operands are drawn from
    the inputs *and* earlier sub-expressions, so a sub-expression can be used twice (a DAG, not only a
    tree). With ``with_arithmetic`` (the default) user-given ops are mixed with ``+ - *`` so the chain rule
    around them is exercised too. Every node is finite and inside its op's domain, at least MARGIN from its
    edges and kinks (``op.domain``, ``op.edge``); it shrinks toward one op applied to x0. A user-defined op
    is kept wherever it returns a finite number (draws where it raises DomainError are discarded); if it has a
    kink, give it an ``edge`` (see ``define_op``), exclude that point with ``assume`` in the test, or rely on
    gradcheck's kink rule.
    """
    chosen = [_op(o) for o in ops] if ops is not None else list(DEFAULT_OPS)
    if not chosen:
        raise ValueError("expressions: ops must not be empty")
    if ops is not None and with_arithmetic:
        chosen += [o for o in _ARITHMETIC if o not in chosen]
    if max_depth < 1 or max_leaves < 1:
        raise ValueError(f"expressions: max_depth and max_leaves must be >= 1, got {max_depth}, {max_leaves}")
    counts = tuple(operand_counts(o) for o in chosen)
    return _expressions(tuple(chosen), counts, max_depth, max_leaves)


@st.composite
def _expressions(draw: Callable[..., Any], chosen: tuple[Op, ...], counts: tuple[tuple[int, ...], ...],
                 max_depth: int, max_leaves: int) -> Expression:
    n_inputs = draw(st.integers(1, max_leaves))
    # Inputs on a grid of 1/100 in [-2, 2]: short to print, and shrinking moves them toward 0.
    point = [draw(st.integers(-200, 200)) / 100 for _ in range(n_inputs)]
    data: list[float] = list(point)
    depth = [0] * n_inputs
    equations: list[Equation] = []
    n_steps = draw(st.integers(1, 2 * max_depth))
    for _ in range(n_steps):
        # The last node is the output; operands are preferably the newest nodes, so the graph stays connected.
        which = draw(st.integers(0, len(chosen) - 1))
        op, k = chosen[which], counts[which][draw(st.integers(0, len(counts[which]) - 1))]
        usable = [i for i in range(len(data)) if depth[i] < max_depth]
        operands = tuple(usable[len(usable) - 1 - draw(st.integers(0, len(usable) - 1))] for _ in range(k))
        args = [data[i] for i in operands]
        out = _result(op, args)
        if out is None:
            reject()
        data.append(out)
        depth.append(1 + max(depth[i] for i in operands))
        equations.append(Equation(len(data) - 1, op, operands))
    return Expression(Program(n_inputs, tuple(equations), len(data) - 1), point)


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


__all__ = ["DEFAULT_OPS", "MARGIN", "Expression", "expressions", "mlps", "operand_counts", "operands", "values"]
