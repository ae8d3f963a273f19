"""Kernels: one placed group of the plan, ready to run forward and backward over the Tape's two arrays.

:class:`Elementwise` runs any op from its op-table entry (``vector`` or ``forward``, and ``derivative``); the
kernels of ``sum`` and ``weighted_sum`` are in :mod:`autograd_nn.tape.sum_kernels`. Every kernel's outputs are
the places ``start…stop-1`` of both arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.ops import Op
from .layout import Places, place_name
from .passes import float_form, vector_form
from .program import count
from .traced import array_derivative

Run = Callable[[], None]


class Outside(ArithmeticError):
    """The fast path met an operand outside an op's domain (raised by a kernel, handled by the error path)."""


class Kernel:
    """One group of the plan, ready to run: its nodes' values and gradients are the places ``start…stop-1``."""

    __slots__ = ("op", "start", "stop")

    def __init__(self, op: Op, start: int, n_nodes: int) -> None:
        self.op, self.start, self.stop = op, start, start + n_nodes

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        """The group's forward and backward, as functions of no argument over these two arrays (which must stay
        the same arrays; their views are made here, once). forward computes the group's values from its
        operands' (already computed) values; backward adds ∂root/∂node · ∂node/∂operand to every operand's
        gradient (the nodes' own gradients being complete), or assigns it to places marked ``first``."""
        raise NotImplementedError

    def targets(self) -> list[Places]:
        """The operand places backward writes gradients into, in the order it writes them."""
        raise NotImplementedError

    def marked(self, first: list[bool]) -> Kernel:
        """A copy whose :meth:`targets` have these ``first`` flags (see ``plan.first_writes``)."""
        raise NotImplementedError

    def operands(self) -> str:
        raise NotImplementedError

    def note(self) -> str:
        return count(self.stop - self.start, "node", "nodes")

    def __str__(self) -> str:
        line = f"{place_name(self.start, self.stop)} = {self.operands()}"
        return f"{line:<56s} # {self.note()}"


def _on_arrays(contains: Callable[..., Any]) -> Callable[..., bool]:
    """A domain test for arrays: ``contains`` on the arrays (the built-in ones compare), else element by element."""
    def inside(*args: np.ndarray) -> bool:
        try:
            return bool(np.all(contains(*args)))
        except (TypeError, ValueError):
            return bool(np.all(np.vectorize(contains, otypes=[bool])(*args)))
    return inside


class Elementwise(Kernel):
    """Nodes of one op, one numpy call each way: forward is the op's ``vector`` on the operand rows (``rows[j]``:
    operand j of every node), or its float ``forward`` element by element when ``floats`` (a branch reads the
    values: see ``passes.float_forms``); backward the op table's own ``derivative`` evaluated on the same rows
    (traced once, ``traced.array_derivative``: the ops inside it without their per-call dispatch), times the
    nodes' gradients. An op with a domain test is checked against it, so that an operand outside the
    domain goes to the error path even where numpy returns a number (0 ** 2 for pow). A group of one node runs on
    Python floats: the op called on floats (its float form, with its checks) and its derivative on floats."""

    __slots__ = ("rows", "floats", "vector", "inside", "derivative")

    def __init__(self, op: Op, start: int, n_nodes: int, rows: list[np.ndarray] | list[Places],
                 floats: bool = False) -> None:
        super().__init__(op, start, n_nodes)
        self.rows = [row if isinstance(row, Places) else Places(row) for row in rows]
        self.floats = floats
        self.vector = float_form(op) if floats else vector_form(op)
        self.inside = None if op.domain is None or op.domain.contains is None else _on_arrays(op.domain.contains)
        self.derivative = array_derivative(op, len(self.rows))  # the op's rule, without per-call dispatch

    def marked(self, first: list[bool]) -> Elementwise:
        return Elementwise(self.op, self.start, self.stop - self.start,
                           [row.marked(f) for row, f in zip(self.rows, first)], self.floats)

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        if self.stop - self.start == 1 and all(type(row.index) is slice and row.into is None for row in self.rows):
            return self._prepare_scalar(vals, grads)
        if self.one_gather():
            return self._prepare_one_gather(vals, grads)
        reads = [row.reader(vals) for row in self.rows]
        adds = [row.scaled_adder(grads) for row in self.rows]
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        vector, inside, derivative, name = self.vector, self.inside, self.derivative, self.op.name
        if isinstance(vector, np.ufunc) and vector.nin == len(reads) and vector.nout == 1:
            vector = functools.partial(vector, out=out)  # np.exp, np.add, …: straight into the output places
        if len(reads) == 1:  # the common case (relu, tanh, …) without a list of arguments
            read, add = reads[0], adds[0]

            def forward1() -> None:
                x = read()
                out[...] = vector(x)
                if inside is not None and not inside(x):
                    raise Outside(name)

            def backward1() -> None:
                d, = derivative(read(), out)
                add(d, g)
            return forward1, backward1

        def forward() -> None:
            args = [r() for r in reads]
            out[...] = vector(*args)
            if inside is not None and not inside(*args):
                raise Outside(name)

        def backward() -> None:
            for add, d in zip(adds, derivative(*[r() for r in reads], out)):
                add(d, g)
        return forward, backward

    def _prepare_scalar(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        """One node (the tail of a loss: a mean's 1/n, the l2 term's α): the op's float ``forward`` and its
        ``derivative`` on Python floats, as eager code evaluates them, without numpy's per-call cost on one-element
        arrays. An error or a non-finite result sends the tape to its error path (the forward's one finite check),
        where the engine raises eager's error."""
        at = [row.index.start for row in self.rows if type(row.index) is slice]
        o, item = self.start, vals.item
        forward_f, derivative = self.op.forward, self.op.derivative

        def forward() -> None:
            vals[o] = forward_f(*[item(i) for i in at])

        first = [row.first for row in self.rows]  # (a first write is assigned)

        def backward() -> None:
            g = grads.item(o)
            for i, d, assign in zip(at, derivative(*[item(i) for i in at], item(o)), first):
                grads[i] = d * g if assign else grads.item(i) + d * g
        return forward, backward

    def one_gather(self) -> bool:
        """Whether every row is the same gathered places, none repeated (x * x over many nodes, p * p of an l2 term
        written with sum())."""
        first = self.rows[0]
        return len(self.rows) > 1 and type(first.index) is not slice and not first.repeats and all(
            type(row.index) is not slice and row.into is None and np.array_equal(row.index, first.index)
            for row in self.rows)

    def _prepare_one_gather(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        """Rows that are one gather (see :meth:`one_gather`): the operand gathered once each way, and the rows'
        contributions d·g added, row after row, to one gathered copy of the gradients written back once: the
        numbers of one ``grads[x] += d·g`` per row."""
        index, n = self.rows[0].index, len(self.rows)
        first = self.rows[0].first  # (the other rows write the same places after it: never first)
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        vector, inside, derivative, name = self.vector, self.inside, self.derivative, self.op.name

        def forward() -> None:
            args = [vals[index]] * n
            out[...] = vector(*args)
            if inside is not None and not inside(*args):
                raise Outside(name)

        def backward() -> None:
            d0, *rest = derivative(*[vals[index]] * n, out)
            if first:
                total = d0 * g
            else:
                total = grads[index]
                total += d0 * g
            for d in rest:
                total += d * g
            grads[index] = total
        return forward, backward

    def targets(self) -> list[Places]:
        return list(self.rows)

    def operands(self) -> str:
        return f"{self.op.name}{' (float form)' if self.floats else ''} {' '.join(map(str, self.rows))}"


__all__ = ["Kernel", "Elementwise", "Outside", "Run"]
