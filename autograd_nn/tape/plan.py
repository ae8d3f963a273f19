"""The plan: the placed groups compiled to kernels (:func:`compile_plan`), and its last pass, :func:`first_writes`.

:class:`Plan` is the executable program: places 0…L-1 hold the leaves, the kernels fill the rest in order; it
prints one line per kernel over places ``p…``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine.ops import SUM, WEIGHTED_SUM
from .kernels import Elementwise, Kernel
from .layout import Layout, PlacedGroup, place_name
from .passes import LayerGroup
from .program import count, listing
from .sum_kernels import MatmulLayer, SquaredSums, Sums, WeightedSums, rule, sum_rule, weighted_sum_rule


@dataclass(frozen=True, repr=False)
class Plan:
    """The program after the passes, ready to run: places 0…n_leaves-1 hold the leaves, the kernels fill the rest in
    order (each only reads places written before it); ``root`` is the result's place, ``size`` the number of places.
    ``zeroed``: the gradient places zeroed before backward (the others are assigned by their first write);
    ``assigns_leaves``: some leaf's gradient is a first write (see :func:`first_writes`).
    """

    n_leaves: int
    kernels: tuple[Kernel, ...]
    root: int
    size: int
    zeroed: tuple[slice, ...] = field(default=(slice(None),))
    assigns_leaves: bool = False

    def forward(self, vals: np.ndarray, grads: np.ndarray) -> None:
        """Every kernel's forward, in order (vals[:n_leaves] must hold the leaves' data), each prepared as it runs:
        a large plan keeps no prepared views between calls."""
        for kernel in self.kernels:
            kernel.prepare(vals, grads)[0]()

    def backward(self, vals: np.ndarray, grads: np.ndarray) -> None:
        """Every kernel's backward, in reverse order (grads must hold the root's seed, and zeros in the ``zeroed``
        places)."""
        for kernel in reversed(self.kernels):
            kernel.prepare(vals, grads)[1]()

    def __repr__(self) -> str:
        return f"<Plan: {self.n_leaves} leaves, {self.size} places, {len(self.kernels)} groups>"

    def __str__(self) -> str:
        header = f"{{ lambda {place_name(0, self.n_leaves)} ; ({count(self.n_leaves, 'leaf', 'leaves')}, " \
                 f"{count(self.size, 'place', 'places')}, {count(len(self.kernels), 'group', 'groups')})"
        return "\n".join([header, *listing(self.kernels, "groups"), f"  in p{self.root} }}"])


def compile_kernel(placed: PlacedGroup) -> Kernel:
    """The kernel that evaluates one placed group. A sum or weighted sum gets its array kernel when the op's rule
    (read from its table entry by ``sum_kernels.rule``) is the one that kernel is written for; every other group,
    and a sum whose rule differs, is an :class:`Elementwise` group running the op's own derivative."""
    group, start, n, blocks = placed.group, placed.start, placed.n_nodes, placed.blocks
    op = group.op
    arity = len(group.equations[0].args)
    if op is SUM and rule(op, arity) == sum_rule(arity):
        return Sums(op, start, n, blocks[0])
    if op is WEIGHTED_SUM and len(blocks) == 3 and rule(op, arity) == weighted_sum_rule(arity):
        if isinstance(group, LayerGroup):
            return MatmulLayer(op, start, group.shape, *blocks)
        kind = SquaredSums if SquaredSums.fits(blocks[0], blocks[1]) else WeightedSums
        return kind(op, start, n, *blocks)
    rows: list[np.ndarray]
    if op is SUM:
        rows = list(blocks[0])
    elif op is WEIGHTED_SUM and len(blocks) == 3:
        rows = [*blocks[0], *blocks[1], blocks[2]]
    else:
        rows = list(blocks)
    return Elementwise(op, start, n, rows, group.floats)


def compile_plan(layout: Layout, root: int, n_leaves: int) -> Plan:
    """The layout's groups as kernels, in order: a :class:`Plan` whose ``root`` is program slot ``root``'s place."""
    kernels = tuple(compile_kernel(placed) for placed in layout.groups)
    return Plan(n_leaves, kernels, int(layout.place[root]), layout.size)


def first_writes(plan: Plan, gap: int = 64, most_runs: int = 16) -> Plan:
    """The plan with backward's first write into gradient places marked (``Places.first``): those kernels assign
    ∂root/∂operand instead of adding it to a zero, e.g. ``G @ Wᵀ`` straight into a relu's gradient places,
    ``step(x) * g`` into a layer's, ``Aᵀ @ G`` into its weights'. Returns a new plan (new kernels; the given plan
    is not changed) with ``zeroed``: the places still to be zeroed before backward (as a few slices; runs closer
    than ``gap`` merge, and more than ``most_runs`` become the whole array), every place that is no first write's;
    and ``assigns_leaves``: whether some leaf's gradient is a first write.

    Kernels run backward in reverse order, each writing its ``targets()`` in order, so the first write is known
    from the plan alone. A block qualifies when none of its places was written before (the root holds the seed)
    and none repeats. An assigned gradient is the number added to a zero would be, but for the sign of a zero:
    0.0 + (−0.0) is +0.0, as eager's gradients, which add up from +0.0, always are. An inner place may keep a
    −0.0 (equal to +0.0); a leaf's gradient gets + 0.0 after backward when ``assigns_leaves`` (see
    ``Tape.gradient``), which turns −0.0 into +0.0 and leaves every other number as it is.
    """
    written = np.zeros(plan.size, dtype=bool)
    written[plan.root] = True
    assigned = np.zeros(plan.size, dtype=bool)
    marked: list[Kernel] = []
    for kernel in reversed(plan.kernels):
        flags = []
        for target in kernel.targets():
            block = target.into or target  # (the places written, see Places.redirected)
            at = block.flat(plan.size)
            first = not block.repeats and not written[at].any()
            if first:
                assigned[at] = True
            written[at] = True
            flags.append(first)
        marked.append(kernel.marked(flags))
    return replace(plan, kernels=tuple(reversed(marked)), zeroed=_runs(~assigned, gap, most_runs),
                   assigns_leaves=bool(assigned[:plan.n_leaves].any()))


def _runs(mask: np.ndarray, gap: int, most: int) -> tuple[slice, ...]:
    """Slices covering the True places of ``mask`` (and maybe some False ones): runs at most ``gap`` places apart
    are one slice; more than ``most`` slices are the whole array."""
    at = np.flatnonzero(mask)
    if not len(at):
        return ()
    cut = np.flatnonzero(np.diff(at) > gap + 1)
    starts, stops = at[np.r_[0, cut + 1]], at[np.r_[cut, len(at) - 1]] + 1
    if len(starts) > most:
        return (slice(0, len(mask)),)
    return tuple(slice(int(a), int(b)) for a, b in zip(starts, stops))


def kernels_of(plan: Plan, kind: type[Kernel]) -> Sequence[Kernel]:
    """The plan's kernels of one kind (for benchmarks and pictures)."""
    return [k for k in plan.kernels if isinstance(k, kind)]


__all__ = ["Plan", "compile_kernel", "compile_plan", "first_writes", "kernels_of"]
