"""The program record: a graph as a list of ops over numbered slots, and the one way to rebuild it on Values.

A :class:`Program` is what the Tape compiles, what the test strategies draw (``testing.strategies``) and what the
command line parses an expression into (``cli.expression``): slots 0…L-1 are its inputs (the leaves), and equation
k defines the next slot, ``out = op(args)``, in topological order (every equation after the ones defining its
arguments), in the spirit of a JAX jaxpr. :meth:`Program.rebuild` evaluates it through the ops themselves, on Values
(recording a graph, with the engine's domain checks) or on plain numbers; :meth:`Program.formula` writes it as text
with each op's own template. :func:`record` reads a program off a recorded graph.

Program slots print as ``s…``; the places of the Tape's arrays, which are numbered differently, print as ``p…``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import Value, topological_order
from ..engine.ops import ATOM, Op


def count(n: int, one: str, many: str) -> str:
    """``1 leaf``, ``3 leaves``."""
    return f"{n} {one if n == 1 else many}"


def listing(items: Sequence[Any], what: str, head: int = 30, tail: int = 8) -> list[str]:
    """One indented line per item, or for a long listing the first ``head`` and the last ``tail`` items with a
    "… N more" line between them (only the lines shown are formatted)."""
    if len(items) <= head + tail + 4:
        return [f"  {item}" for item in items]
    return [*(f"  {item}" for item in items[:head]), f"  … {len(items) - head - tail} more {what}",
            *(f"  {item}" for item in items[-tail:])]


@dataclass(frozen=True, slots=True)
class Equation:
    """``s{out} = op(s{args[0]}, s{args[1]}, …)``: one node of the graph, over program slots."""

    out: int
    op: Op
    args: tuple[int, ...]

    def __str__(self) -> str:
        args = [f"s{a}" for a in self.args]
        if len(args) > 12:
            args = args[:8] + ["…"] + args[-2:] + [f"({len(self.args)} args)"]
        return f"s{self.out} = {self.op.name} {' '.join(args)}"


@dataclass(frozen=True, repr=False)
class Program:
    """Ops over numbered slots: ``n_inputs`` input slots 0…L-1, then equation k defines slot L+k (its ``out``),
    in topological order; ``root`` is the result's slot.

    ``nodes[i]`` is the Value that slot i was recorded from, for a program read off a graph by :func:`record`
    (``nodes[:L]`` are its leaves); a program written by hand (a drawn or parsed expression) has none.
    """

    n_inputs: int
    equations: tuple[Equation, ...]
    root: int
    nodes: tuple[Value, ...] = field(default=(), compare=False)

    @property
    def leaves(self) -> list[Value]:
        """The recorded leaves (the Values of the input slots), for a recorded program."""
        return list(self.nodes[:self.n_inputs])

    @property
    def n_slots(self) -> int:
        return self.n_inputs + len(self.equations)

    def rebuild(self, inputs: Sequence[Any], order: Sequence[int] | None = None,
                on_node: Callable[[int, Any], None] | None = None) -> list[Any]:
        """Every slot's value, computed from ``inputs`` (one per input slot) through the ops themselves: on Values
        each equation is recorded as eager code records it (``op(*args)``: a DomainError outside the op's domain),
        on numbers it is a float. ``order`` is the order to evaluate the equations in (indices; default: as
        written, see :func:`eager_order` for Python's); ``on_node(slot, value)`` is called for every new value.
        """
        if len(inputs) != self.n_inputs:
            raise TypeError(f"{self!r}: takes {self.n_inputs} input(s), got {len(inputs)}")
        slots: list[Any] = [*inputs, *[None] * len(self.equations)]
        equations = self.equations
        for k in range(len(equations)) if order is None else order:
            eq = equations[k]
            value = slots[eq.out] = eq.op(*[slots[a] for a in eq.args])
            if on_node is not None:
                on_node(eq.out, value)
        return slots

    def formula(self, names: Sequence[str]) -> str:
        """The root's expression as text over the input ``names``, each op written by its own template
        (``op.formula``), parenthesised only where Python's precedence needs it, so it reads back as the same
        graph: ``x0 + (x1 + x0)`` keeps its parentheses."""
        texts: list[tuple[str, int]] = [(name, ATOM) for name in names]
        texts += [("", ATOM)] * len(self.equations)
        for eq in self.equations:
            texts[eq.out] = eq.op.formula([texts[a] for a in eq.args])
        return texts[self.root][0]

    def __repr__(self) -> str:
        return f"<Program: {count(self.n_inputs, 'input', 'inputs')}, " \
               f"{count(len(self.equations), 'equation', 'equations')}, root s{self.root}>"

    def __str__(self) -> str:
        n = self.n_inputs
        names = " ".join(f"s{i}" for i in range(n)) if n <= 8 else f"s0 s1 s2 … s{n - 1}"
        lines = [f"{{ lambda {names} ; ({count(n, 'input', 'inputs')})", *listing(self.equations, "equations")]
        lines.append(f"  in s{self.root} }}")
        return "\n".join(lines)


def record(root: Value) -> Program:
    """The graph under ``root`` → a :class:`Program`: its leaves, then one equation per node, in topological order."""
    order = topological_order(root)
    leaves = [v for v in order if v.op is None]
    slot: dict[Value, int] = {v: i for i, v in enumerate(leaves)}
    nodes = list(leaves)
    equations = []
    for v in order:
        op = v.op
        if op is None:
            continue
        out = len(nodes)
        equations.append(Equation(out, op, tuple([slot[p] for p in v.parents])))
        slot[v] = out
        nodes.append(v)
    return Program(len(leaves), tuple(equations), slot[root], tuple(nodes))


def eager_order(program: Program) -> list[int]:
    """The equations (indices) in the order Python evaluates the expression: each node's operands left to right,
    each operand's own expression completely before the next (a left-first depth-first post-order from the root).

    For code that builds its expression as one formula, this is the order eager code created the nodes in, so that
    of several ops that would fail, a replay meets first the one eager code met first. (Code that builds nodes
    ahead of their first use, e.g. all outputs of a batch and then all their losses, may differ: a program does
    not know when a node was created.) Every equation of a recorded program is reached from its root.
    """
    n_inputs = program.n_inputs
    equations = program.equations
    order: list[int] = []
    done = [False] * program.n_slots
    stack: list[tuple[int, bool]] = [(program.root, False)]
    while stack:
        slot, expanded = stack.pop()
        if slot < n_inputs or done[slot]:
            continue
        k = slot - n_inputs  # equation k defines slot n_inputs + k
        if expanded:
            done[slot] = True
            order.append(k)
            continue
        stack.append((slot, True))
        stack.extend((a, False) for a in reversed(equations[k].args) if a >= n_inputs and not done[a])
    return order


def replay_eagerly(program: Program, leaf_data: Sequence[float]) -> list[Value]:
    """A recorded program rebuilt on fresh Values, as eager code builds it: leaves holding ``leaf_data`` (with the
    recorded leaves' labels and gradients, as eager code's leaves show them in a message), every equation through
    its op in :func:`eager_order` (so the first DomainError is the one eager code meets first). Returns the Value of
    every slot; the engine's ``walk`` over the root's gives eager's gradients and errors."""
    fresh = []
    for leaf, x in zip(program.leaves, leaf_data):
        v = Value(x, label=leaf.label)
        v.grad = leaf.grad
        fresh.append(v)
    nodes = program.nodes

    def label(slot: int, value: Value) -> None:
        value.label = nodes[slot].label
    return program.rebuild(fresh, eager_order(program), label)


__all__ = ["Equation", "Program", "record", "eager_order", "replay_eagerly"]
