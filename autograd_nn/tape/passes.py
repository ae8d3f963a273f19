"""The Tape's passes over a recorded :class:`~autograd_nn.tape.program.Program`, in the order the Tape runs them.

Each pass is a function that reads its input and returns new data; none changes what it was given.

* :func:`probe_ops` — every op is tried on arrays of its recorded operands and compared with its float evaluation;
* :func:`fold_sums` — ``sum()``'s chains of ``+`` → one n-ary ``sum`` (the same float);
* :func:`float_forms` — the slots whose op must be evaluated with its float ``forward`` (``math``), because a
  branch (eq, lt, gt, step, relu, abs, maximum, minimum) reads their value;
* :func:`batch` — equations of one op at one topological level → a :class:`Group`, one numpy call each way;
* :func:`rewrite_layers` — a group of weighted sums shaped like a layer over a batch → a :class:`LayerGroup`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np

from ..engine import DomainError
from ..engine.ops import (
    ABS,
    ADD,
    DIV,
    EQ,
    GT,
    LT,
    MAXIMUM,
    MINIMUM,
    MUL,
    NEG,
    RELU,
    SQRT,
    STEP,
    SUB,
    SUM,
    WEIGHTED_SUM,
    Op,
)
from .program import Equation, Program

# Ops whose value jumps or whose derivative does: a last-bit difference in an operand may change the side taken.
BRANCH_OPS = frozenset({EQ, LT, GT, STEP, RELU, ABS, MAXIMUM, MINIMUM})
# Ops whose numpy form gives exactly the float form's number (IEEE arithmetic, comparisons, the engine's folds).
# Every other op (tanh, exp, log, sigmoid, softplus, pow, a user's op with a vector) may differ in the last bit.
EXACT_ON_ARRAYS = frozenset({ADD, SUB, MUL, DIV, NEG, SQRT, SUM, WEIGHTED_SUM}) | BRANCH_OPS

_args = attrgetter("args")

AGREE = 1e-13
"""How close (relative) an op's array form must come to its float form in :func:`probe_ops`: a few hundred units
in the last place, the most numpy's and ``math``'s transcendental functions differ by; a wrong formula is far off."""


@functools.lru_cache(maxsize=64)
def vector_form(op: Op) -> Callable[..., Any]:
    """The op's forward on arrays: its ``vector``, or its float ``forward`` applied element by element."""
    return op.vector if op.vector is not None else float_form(op)


@functools.lru_cache(maxsize=64)
def float_form(op: Op) -> Callable[..., Any]:
    """The op's float ``forward`` (as eager code runs it) on rows of operands, element by element."""
    forward = op.forward

    def on_floats(*rows: np.ndarray) -> np.ndarray:
        n = max(np.size(r) for r in rows)
        columns = [np.broadcast_to(r, (n,)).tolist() for r in rows]
        return np.fromiter(map(forward, *columns), dtype=float, count=n)
    return on_floats


def _agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two arrays of results agree: equal, or within :data:`AGREE` relative, or either is not finite (an
    operand at a domain edge or an overflow: the replay's error path, not the array form, decides there)."""
    with np.errstate(all="ignore"):
        close = np.abs(a - b) <= AGREE * np.maximum(np.abs(a), np.abs(b))
        return (a == b) | close | ~np.isfinite(a) | ~np.isfinite(b)


def probe_ops(program: Program) -> None:
    """Try every op of the program (forward and derivative) on arrays of two recorded operand sets and compare the
    results with the float evaluation of the same operands (the recorded ``out``, and ``derivative`` on floats).

    Raises a TypeError naming the op if it cannot run on arrays (a derivative written with ``math.cos``, or an
    ``if`` on its argument), and a ValueError naming the op, the operands and both numbers if its array form
    disagrees with its float form (a ``vector`` that is another function, a derivative written ``np.sum(x)``): the
    replay evaluates each op on the arrays of a whole group at once, and must give eager's numbers.

    ``sum`` and ``weighted_sum`` are not probed: their kernels call the engine's folds. An operand at a domain edge
    (a DomainError from an op called inside a derivative) is no problem of arrays: the replay's error path handles it.
    """
    data = [v.data for v in program.nodes]
    examples: dict[tuple[Op, int], list[Equation]] = {}
    for eq in program.equations:
        if eq.op is not SUM and eq.op is not WEIGHTED_SUM:
            seen = examples.setdefault((eq.op, len(eq.args)), [])
            if len(seen) < 2:
                seen.append(eq)
    for (op, arity), eqs in examples.items():
        pair = (eqs * 2)[:2]  # two elements: one-element arrays would pass through math.cos or an if
        operands = [[data[a] for a in eq.args] for eq in pair]
        args = [np.array([row[j] for row in operands]) for j in range(arity)]
        out = np.array([data[eq.out] for eq in pair])
        what = "forward (its vector)"
        try:
            with np.errstate(all="ignore"):
                forward = np.broadcast_to(np.asarray(vector_form(op)(*args), dtype=float), out.shape)
                what = "derivative"
                partials = tuple(op.derivative(*args, out))
                if len(partials) != arity:
                    raise TypeError(f"it returned {len(partials)} value(s) for {arity} argument(s)")
                arrays = [np.broadcast_to(np.asarray(d, dtype=float), out.shape) for d in partials]
        except DomainError:
            continue
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise TypeError(f"Tape: the {what} of op {op.name!r} cannot be evaluated on numpy arrays ({exc}); the "
                            "tape evaluates every op on the arrays of many nodes at once. Write it with arithmetic "
                            "and autograd_nn ops (autograd_nn.exp rather than math.exp, autograd_nn.step(x) rather "
                            "than an if on x), or use backward() instead of a Tape") from None
        _compare(op, "its vector", "its forward", forward, out, operands)
        floats = []
        for row, o in zip(operands, out.tolist()):
            try:
                floats.append([float(d) for d in op.derivative(*row, o)])
            except (DomainError, ArithmeticError, ValueError, TypeError):
                floats.append([float("nan")] * arity)
        for j, d in enumerate(arrays):
            _compare(op, f"its derivative ∂/∂(argument {j}) on arrays", "on floats", d,
                     np.array([f[j] for f in floats]), operands)


def _compare(op: Op, this: str, that: str, got: np.ndarray, want: np.ndarray, operands: list[list[float]]) -> None:
    bad = np.flatnonzero(~_agree(got, want))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"Tape: op {op.name!r} gives {float(got[i])!r} with {this} but {float(want[i])!r} with "
                         f"{that}, at operands {tuple(operands[i])}; the tape would replay another number than eager "
                         "code computes. Make the array form the same function as the float form (or leave out "
                         "vector=)")


def fold_sums(program: Program) -> Program:
    """A left-fold chain of binary adds ((a + b) + c) + d whose inner adds are used nowhere else → one ``sum``
    equation with the terms a, b, c, d in that order (SUM adds left to right: the same float as the chain).

    Only an add's *left* operand is folded into its chain, so nothing the user wrote is regrouped: ``x + (y + z)``
    stays two adds of that shape. Slots are renumbered so that the program stays dense; the result has the nodes
    of the slots it keeps (an inner add of a chain has no slot any more).
    """
    n_inputs = program.n_inputs
    adds = [eq for eq in program.equations if eq.op is ADD]
    add_outs = {eq.out for eq in adds}
    if not any(eq.args[0] in add_outs for eq in adds):  # no add whose left operand is an add: nothing to fold
        return program
    uses = Counter(chain.from_iterable(map(_args, program.equations)))  # (counted in C: a pass over every edge)
    chains: dict[int, list[int]] = {}  # an add's out → the terms of the chain it ends
    folded: set[int] = set()  # the inner adds, now part of a later chain
    for eq in adds:
        left, right = eq.args
        terms = chains.pop(left, None) if uses[left] == 1 else None
        if terms is None:
            terms = [left]
        else:
            folded.add(left)
        terms.append(right)
        chains[eq.out] = terms
    if not folded:
        return program
    renamed = list(range(n_inputs)) + [-1] * len(program.equations)
    nodes = list(program.nodes[:n_inputs])
    equations = []
    for eq in program.equations:
        if eq.out in folded:
            continue
        out = renamed[eq.out] = len(nodes)
        op, args = eq.op, eq.args
        if op is ADD and len(chains[eq.out]) > 2:
            op, args = SUM, tuple(chains[eq.out])
        equations.append(Equation(out, op, tuple(map(renamed.__getitem__, args))))
        nodes.append(program.nodes[eq.out])
    return Program(n_inputs, tuple(equations), renamed[program.root], tuple(nodes))


def float_forms(program: Program) -> frozenset[int]:
    """The slots whose op is evaluated with its float ``forward`` on the tape: an op outside
    :data:`EXACT_ON_ARRAYS` (its numpy form may differ from ``math`` in the last bit, as ``np.tanh`` does) whose
    value a branch op reads, directly or through other ops. So a branch (``eq(tanh(x), 1.0)``, ``maximum(tanh(x),
    c)``) always sees eager's operand and takes eager's side. Elsewhere the numpy form is kept (faster; a difference
    stays in the last bits of the result it feeds). The matrix product of a layer is the one documented exception:
    it may round z in another order, so a relu reading it may differ from eager where z is within rounding of 0.
    """
    equations = program.equations
    # First the slots that an inexact op's last bit can reach (its output, and what is computed from it): only
    # they can make a branch differ, so the walk back from the branches below stays among them.
    inexact = [False] * program.n_slots
    reached = inexact.__getitem__
    seen = False
    for eq in equations:
        if eq.op not in EXACT_ON_ARRAYS or (seen and any(map(reached, eq.args))):
            inexact[eq.out] = seen = True
    if not seen:
        return frozenset()
    needs = [False] * program.n_slots
    for eq in equations:
        if eq.op in BRANCH_OPS:
            for a in eq.args:
                needs[a] = inexact[a]
    chosen = []
    for eq in reversed(equations):  # consumers before their operands: a slot's need is known when it is reached
        if needs[eq.out]:
            if eq.op not in EXACT_ON_ARRAYS:
                chosen.append(eq.out)
            for a in eq.args:
                if inexact[a]:
                    needs[a] = True
    return frozenset(chosen)


@dataclass(frozen=True)
class Group:
    """Equations of one op and one number of arguments at one topological level (1 + the deepest argument's level;
    leaves are level 0). None depends on another, so the group is one numpy call forward and one backward.
    ``floats``: evaluate its forward with the op's float form (see :func:`float_forms`).
    """

    op: Op
    level: int
    equations: tuple[Equation, ...]
    floats: bool = False

    @functools.cached_property
    def args(self) -> np.ndarray:
        """The equations' arguments as one (arguments × nodes) array of program slots: row j is argument j of
        every node (made once, from the equations, for the passes that read them as arrays)."""
        eqs = self.equations
        arity = len(eqs[0].args)
        flat = np.fromiter(chain.from_iterable(map(_args, eqs)), dtype=np.intp, count=arity * len(eqs))
        return flat.reshape(len(eqs), arity).T

    def order(self, keys: np.ndarray, leaves: list[bool]) -> np.ndarray:
        """The order to lay the nodes out in, given their operands' sort keys (``keys[j]``: operand j of every
        node; ``leaves[j]``: whether that row holds leaves, which are placed later, in the order the kernels read
        them)."""
        if self.op is SUM or self.op is WEIGHTED_SUM:
            return np.arange(keys.shape[1])
        # By the first operand's place, then the second's, …; rows of leaves last, so that a row of constants
        # (the labels in y * score) follows the row it is combined with, and is then placed in that order.
        rows = [row for row, leaf in zip(keys, leaves) if not leaf] + [row for row, leaf in zip(keys, leaves) if leaf]
        return np.lexsort(rows[::-1])

    def blocks(self, cols: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
        """The operands (``cols``: program slots, nodes in layout order; ``keys``: their sort keys, see
        :meth:`order`) as the blocks the kernel reads, in the order it reads them."""
        if self.op is SUM:
            return [cols]
        if self.op is WEIGHTED_SUM and len(cols) >= 3:
            n = len(cols) // 2
            return [cols[:n], cols[n:2 * n], cols[2 * n]]
        return list(cols)


@dataclass(frozen=True)
class LayerGroup(Group):
    """A group of weighted sums z = b + Σᵢ wᵢ·aᵢ that is a layer over a batch: node (s, u) for S samples × U units,
    where in every pair i one factor is per unit (the same for every sample: a weight) and the other per sample
    (the same for every unit: an activation), and b is per unit. ``unit_rows[i]`` and ``sample_rows[i]`` are the
    argument positions of pair i's two factors.
    """

    shape: tuple[int, int] = (0, 0)
    unit_rows: tuple[int, ...] = field(default=())
    sample_rows: tuple[int, ...] = field(default=())

    def order(self, keys: np.ndarray, leaves: list[bool]) -> np.ndarray:
        """Sample-major: samples in the order of their activations' places, units in the order of their weights'."""
        first = min(range(len(self.sample_rows)), key=lambda i: keys[self.sample_rows[i], 0])
        return np.lexsort((keys[self.unit_rows[first]], keys[self.sample_rows[first]]))

    def blocks(self, cols: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
        """A (S × n), W (n × U) and b (U); the pairs in the order of their activations' places, so that A is often
        one run of places (a view)."""
        n_s, n_u = self.shape
        pairs = sorted(range(len(self.unit_rows)), key=lambda i: keys[self.sample_rows[i], 0])
        grid = cols.reshape(len(cols), n_s, n_u)
        return [np.ascontiguousarray(grid[[self.sample_rows[i] for i in pairs], :, 0].T),
                np.ascontiguousarray(grid[[self.unit_rows[i] for i in pairs], 0, :]), grid[-1, 0, :].copy()]


def batch(program: Program, floats: frozenset[int] = frozenset()) -> list[Group]:
    """Group the equations by (topological level, op, number of arguments, float form), lowest level first."""
    level = [0] * program.n_slots
    of = level.__getitem__
    groups: dict[tuple[int, Op, int, bool], list[Equation]] = {}
    for eq in program.equations:
        args = eq.args
        lv = level[eq.out] = 1 + max(map(of, args), default=0)
        groups.setdefault((lv, eq.op, len(args), eq.out in floats), []).append(eq)
    made = [Group(op, lv, tuple(eqs), on_floats) for (lv, op, _, on_floats), eqs in groups.items()]
    return sorted(made, key=attrgetter("level"))  # stable: within a level, in order of appearance


def _labels(row: np.ndarray) -> tuple[np.ndarray, int]:
    """Each node's class (0, 1, … by distinct operand) and the number of classes."""
    distinct, inverse = np.unique(row, return_inverse=True)
    return inverse.ravel(), len(distinct)


def _one_to_one(labels: np.ndarray, n_labels: int, row: np.ndarray) -> bool:
    """Whether ``row`` names the classes of ``labels`` one to one: the same operand throughout each class, and
    another one in every class (in linear time: one operand per class, then every node checked against it)."""
    of_class = np.empty(n_labels, dtype=row.dtype)
    of_class[labels] = row
    return bool((of_class[labels] == row).all()) and len(np.unique(of_class)) == n_labels


def _as_layer(group: Group) -> LayerGroup | None:
    """The group as a :class:`LayerGroup`, if it is one (see there); else None."""
    if group.op is not WEIGHTED_SUM or len(group.equations) < 2 or len(group.equations[0].args) < 3:
        return None
    args = group.args  # (2n + 1, nodes)
    n = len(args) // 2
    unit, n_u = _labels(args[-1])  # the bias names the unit
    sample: np.ndarray | None = None
    n_s = 0
    unit_rows, sample_rows = [], []
    for i in range(n):
        w_is_unit, a_is_unit = _one_to_one(unit, n_u, args[i]), _one_to_one(unit, n_u, args[n + i])
        if w_is_unit == a_is_unit:
            return None
        u, s = (i, n + i) if w_is_unit else (n + i, i)
        if sample is None:
            sample, n_s = _labels(args[s])
        elif not _one_to_one(sample, n_s, args[s]):
            return None
        unit_rows.append(u)
        sample_rows.append(s)
    assert sample is not None
    if n_u * n_s != args.shape[1] or len(np.unique(sample * n_u + unit)) != args.shape[1]:
        return None
    layer = LayerGroup(group.op, group.level, group.equations, group.floats, (n_s, n_u), tuple(unit_rows),
                       tuple(sample_rows))
    layer.__dict__["args"] = args  # (the cached array of the same equations)
    return layer


def rewrite_layers(groups: list[Group]) -> list[Group]:
    """Every group of weighted sums that is a layer over a batch → a :class:`LayerGroup` (matrix products)."""
    return [_as_layer(g) or g for g in groups]


__all__ = ["BRANCH_OPS", "EXACT_ON_ARRAYS", "AGREE", "Group", "LayerGroup", "probe_ops", "fold_sums", "float_forms",
           "batch", "rewrite_layers", "vector_form", "float_form"]
