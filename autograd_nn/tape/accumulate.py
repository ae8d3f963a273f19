"""Eager's order of accumulation: a pass over the plan so that a gradient with three or more contributions adds them
in the order the engine's walk adds them.

The walk (``autodiff.walk``) visits the nodes in reverse topological order (the program's equations backwards) and
adds each node's contributions ∂C/∂v·∂v/∂pᵢ to its parents in argument order, into gradients that start at 0.
The plan's kernels run backward group by group, the last level first: for a place with one or two contributions
the order makes no difference (float addition is commutative), with three or more it can change the last bits.
:func:`eager_sums` finds the places whose contributions the plan adds in another order than the walk; for those
only, every contribution is written to a place of its own after the nodes' places (``Places.redirected``), and an
:class:`EagerSums` step adds them up in the walk's order (the engine's ``fold_rows``) into the gradient, before the
kernel that reads that gradient runs backward. A plan without such places is returned as it was given.

The matrix product of a layer adds its terms in BLAS's order: the places it writes are left as they are (its
documented difference), and so are those of a kernel this pass does not know.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..engine.arithmetic import fold_rows
from ..engine.ops import ADD, SUM
from .kernels import Elementwise, Kernel, Run
from .layout import Places
from .plan import Plan
from .program import Program, count
from .sum_kernels import Sums, WeightedSums


class EagerSums(Kernel):
    """The gradients of ``places`` (m places), each the sum of its k contributions written to the places
    ``parts[:, j]`` (a k × m block, rows in the walk's order), added in that order. Forward does nothing."""

    __slots__ = ("places", "parts")

    def __init__(self, places: np.ndarray, parts: np.ndarray) -> None:
        super().__init__(SUM, 0, 0)
        self.places, self.parts = places, parts

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        places, parts = self.places, self.parts
        out = np.empty(len(places))

        def forward() -> None:
            pass

        def backward() -> None:
            grads[places] = fold_rows(grads[parts], out)
        return forward, backward

    def targets(self) -> list[Places]:
        return [Places(self.places)]

    def marked(self, first: list[bool]) -> EagerSums:
        return self  # (always an assignment: every contribution to its places is in its parts)

    def __str__(self) -> str:
        line = f"{Places(self.places)} = sum in eager's order of {Places(self.parts)}"
        return f"{line:<56s} # {count(len(self.places), 'gradient', 'gradients')} of {len(self.parts)} contributions"


def _rows(kernel: Kernel) -> list[tuple[Places, int]] | None:
    """The kernel's targets (in the order backward writes them) with the argument position of each's first row
    (a block of several rows holds the next positions); None for a kernel whose order this pass leaves alone."""
    if isinstance(kernel, Elementwise):
        return [(row, j) for j, row in enumerate(kernel.rows)]
    if isinstance(kernel, Sums):
        return [(kernel.block, 0)]
    if isinstance(kernel, WeightedSums):
        n = kernel.w.shape[0]
        return [(kernel.w, 0), (kernel.a, n), (kernel.b, 2 * n)]
    return None


def _redirected(kernel: Kernel, into: list[np.ndarray | None]) -> Kernel:
    """The kernel with its targets' gradient writes going to ``into`` (one per target; None: unchanged)."""
    rows = [t if i is None else t.redirected(i) for t, i in zip(kernel.targets(), into)]
    n = kernel.stop - kernel.start
    if isinstance(kernel, Elementwise):
        return Elementwise(kernel.op, kernel.start, n, rows, kernel.floats)
    if isinstance(kernel, Sums):
        return Sums(kernel.op, kernel.start, n, rows[0])
    assert isinstance(kernel, WeightedSums)
    return WeightedSums(kernel.op, kernel.start, n, *rows)  # (a SquaredSums gathers and adds in place: not here)


def _walk_times(program: Program, folded: Program) -> tuple[np.ndarray, dict[int, list[int]]]:
    """When the walk visits each slot of ``folded`` (its equation's index in the recorded ``program``: the walk
    goes from the last to the first), and for a sum folded from a chain of adds, when it visits the add that takes
    each term (terms 0 and 1: the first add; term i > 1: the i-th)."""
    index = {v: i for i, v in enumerate(program.nodes)}
    times = np.array([index[v] for v in folded.nodes], dtype=np.int64)
    chains: dict[int, list[int]] = {}
    for eq in folded.equations:
        node = folded.nodes[eq.out]
        if eq.op is SUM and node.op is ADD:
            adds = [index[node]]
            for _ in range(len(eq.args) - 2):
                node = node.parents[0]
                adds.append(index[node])
            adds.reverse()  # adds[i - 1] takes term i (i ≥ 1)
            chains[eq.out] = [adds[0], *adds]
    return times, chains


def eager_sums(plan: Plan, program: Program, folded: Program, place: np.ndarray) -> Plan:
    """The plan with the contributions to each gradient place that it would add in another order than the walk
    redirected and added in the walk's order (see the module doc). ``program`` is the recorded program, ``folded``
    the one the plan was compiled from (``fold_sums``), ``place`` its slots' places (``Layout.place``)."""
    size = plan.size
    # Every contribution in the order backward makes it: the blocks the kernels write, kernel by kernel backwards.
    blocks: list[tuple[int, int, int, np.ndarray]] = []  # (kernel index, target index, first position, places)
    left_alone = np.zeros(size, dtype=bool)
    for k in range(len(plan.kernels) - 1, -1, -1):
        kernel = plan.kernels[k]
        rows = _rows(kernel)
        if rows is None:
            for target in kernel.targets():
                left_alone[target.flat(size)] = True
            continue
        for t, (target, first_position) in enumerate(rows):
            blocks.append((k, t, first_position, target.flat(size).reshape(-1, target.shape[-1])))  # (rows, nodes)
    if not blocks:
        return plan
    p_all = np.concatenate([block.ravel() for *_, block in blocks])
    n_of = np.bincount(p_all, minlength=size)
    if not ((n_of >= 3) & ~left_alone).any():  # (one or two contributions add up the same in any order)
        return plan
    # Each contribution's rank in the walk: sorting by it gives the walk's order (later equations first, then the
    # argument position within one).
    times, chains = _walk_times(program, folded)
    slot_at = np.full(size, -1, dtype=np.int64)
    slot_at[place] = np.arange(len(place))
    width = 1 + max((len(eq.args) for eq in folded.equations), default=1)
    ranks = []
    spans: list[tuple[int, int, int, int]] = []  # (kernel index, target index, first, stop) in p_all
    n = 0
    for k, t, first_position, block in blocks:
        kernel = plan.kernels[k]
        children = slot_at[kernel.start + np.arange(block.shape[1])]
        position = first_position + np.arange(block.shape[0])[:, None] + np.zeros_like(block)
        when = np.broadcast_to(times[children], block.shape).copy()
        if kernel.op is SUM:
            for j, s in enumerate(children.tolist()):
                adds = chains.get(s)
                if adds is not None:
                    column = position[:, j]
                    when[:, j] = [adds[i] for i in column.tolist()]
                    position[:, j] = np.minimum(column, 1)
        ranks.append(((len(times) - when) * width + position).ravel())
        spans.append((k, t, n, n + block.size))
        n += block.size
    r_all = np.concatenate(ranks)
    seq = np.argsort(p_all, kind="stable")  # by place, each place's contributions in backward's order
    p_sorted, r_sorted = p_all[seq], r_all[seq]
    same = p_sorted[1:] == p_sorted[:-1]
    out_of_order = np.unique(p_sorted[1:][same & (r_sorted[1:] < r_sorted[:-1])])
    reorder = out_of_order[(n_of[out_of_order] >= 3) & ~left_alone[out_of_order]]
    if not len(reorder):
        return plan
    # A place of its own for every contribution to a reordered place, numbered after the plan's places.
    chosen = np.isin(p_all, reorder)
    picked = np.flatnonzero(chosen)
    by_walk = picked[np.lexsort((r_all[picked], p_all[picked]))]  # by place, then in the walk's order
    part_of = np.empty(len(p_all), dtype=np.int64)
    part_of[by_walk] = size + np.arange(len(by_walk))
    # The kernels, their targets' writes redirected.
    into = np.where(chosen, part_of, p_all)
    redirect: dict[int, list[np.ndarray | None]] = {}
    for k, t, a, b in spans:
        if chosen[a:b].any():
            targets = plan.kernels[k].targets()
            redirect.setdefault(k, [None] * len(targets))[t] = into[a:b].reshape(targets[t].shape)
    kernels = list(plan.kernels)
    for k, new in redirect.items():
        kernels[k] = _redirected(kernels[k], new)
    # One EagerSums step per owner (the kernel whose outputs the places are, or the leaves) and number of
    # contributions, placed so that backward runs it right before its owner.
    starts = np.array([kn.start for kn in plan.kernels])
    owner = np.searchsorted(starts, reorder, side="right") - 1
    owner[reorder < plan.n_leaves] = -1
    first_part = part_of[by_walk][np.r_[0, np.flatnonzero(np.diff(p_all[by_walk])) + 1]]  # each place's first part
    steps: dict[int, list[EagerSums]] = {}
    for o in np.unique(owner).tolist():
        mine = owner == o
        for n in np.unique(n_of[reorder[mine]]).tolist():
            group = mine & (n_of[reorder] == n)
            parts = first_part[group][None, :] + np.arange(n)[:, None]
            steps.setdefault(o, []).append(EagerSums(reorder[group], parts))
    ordered: list[Kernel] = list(steps.get(-1, []))
    for k, kernel in enumerate(kernels):
        ordered.append(kernel)
        ordered.extend(steps.get(k, []))
    return replace(plan, kernels=tuple(ordered), size=size + len(by_walk))


__all__ = ["EagerSums", "eager_sums"]
