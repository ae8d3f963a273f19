"""Layout: every program slot gets a *place* in the Tape's value array and gradient array.

Places print as ``p…`` (program slots as ``s…``; ``tape.place(value)`` maps a recorded Value to its place).
:func:`lay_out` places each group's outputs side by side, and the leaves in the order the kernels read them, so
that most reads and writes are slices (views) instead of gathers; :class:`Places` is one set of places a kernel
reads or writes, with the fastest way to do it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from .passes import Group, LayerGroup
from .program import Program

_out = attrgetter("out")


def place_name(start: int, stop: int) -> str:
    """Places start…stop-1 as text: ``p7`` for one, ``p7:23`` (Python's half-open slice) for a run."""
    return f"p{start}" if stop - start == 1 else f"p{start}:{stop}"


class Places:
    """A fixed set of places in an array (a row or a block of operands), with the fastest way to read and add to
    them.

    A run of places with a constant step (consecutive, or backwards) is a slice: a view, no copy (a block is the
    slice reshaped, still a view); so is a block whose place (t, k) is start + t·rows + k·cols (a ``grid``). Other
    sets are gathered; adding to them is ``arr[index] += x`` when no place repeats, and ``np.add.at`` (which adds
    every repeat) when one does, as in x * x.

    ``first`` marks the backward pass's first write into these places, none of which any kernel wrote before (see
    :func:`~autograd_nn.tape.plan.first_writes`): the gradient is then assigned instead of added to a zero (the
    same number), so that neither the zeroing nor the addition is needed. ``into``: the places backward writes
    gradients into when they are others than the places read (see :meth:`redirected`), else None.
    """

    __slots__ = ("index", "shape", "repeats", "grid", "first", "into")

    def __init__(self, where: np.ndarray, first: bool = False) -> None:
        self.shape: tuple[int, ...] = where.shape
        self.repeats = False
        self.first = first
        self.into: Places | None = None
        self.grid: tuple[int, int, int] | None = None  # a block (start, row step, column step) read as a view
        flat = where.ravel()
        start, n = int(flat[0]), len(flat)
        step = int(flat[1]) - start if n > 1 else 1
        if step != 0 and (n == 1 or (np.diff(flat) == step).all()):
            stop = int(flat[-1]) + step
            self.index: slice | np.ndarray = slice(start, stop if stop >= 0 else None, step)
        else:
            self.index = where.copy()
            self.repeats = len(np.unique(flat)) < n
            if where.ndim == 2 and not self.repeats and min(where.shape) > 1:
                rows, cols = int(where[1, 0]) - start, int(where[0, 1]) - start
                grid = start + rows * np.arange(where.shape[0])[:, None] + cols * np.arange(where.shape[1])
                if (grid == where).all():  # e.g. the terms of many sums
                    self.grid = (start, rows, cols)

    def marked(self, first: bool) -> Places:
        """A copy with ``first`` set."""
        copy = object.__new__(Places)
        copy.index, copy.shape, copy.repeats, copy.grid, copy.first = \
            self.index, self.shape, self.repeats, self.grid, first
        copy.into = None if self.into is None else self.into.marked(first)
        return copy

    def redirected(self, into: np.ndarray) -> Places:
        """A copy that reads these places but whose :meth:`adder` and :meth:`scaled_adder` write gradients into the
        places ``into`` (of the same shape): see ``accumulate.eager_sums``."""
        copy = self.marked(self.first)
        copy.into = Places(into, self.first)
        return copy

    def flat(self, size: int) -> np.ndarray:
        """The places as a flat array of indices into an array of ``size`` places."""
        return np.arange(size)[self.index].ravel()

    def view(self, arr: np.ndarray) -> np.ndarray | None:
        """The places of ``arr`` as a view (of the block's shape) when they are a run or a grid, else None."""
        if type(self.index) is not slice:
            if self.grid is None:
                return None
            start, rows, cols = self.grid
            size = arr.itemsize
            return np.ndarray(self.shape, dtype=arr.dtype, buffer=arr, offset=start * size,
                              strides=(rows * size, cols * size))
        view = arr[self.index]
        return view if len(self.shape) == 1 else view.reshape(self.shape)

    def reader(self, arr: np.ndarray) -> Callable[[], np.ndarray]:
        """A function reading the places of ``arr`` (which must stay the same array): a view made once, or a
        gather made at every call."""
        view = self.view(arr)
        if view is not None:
            return lambda: view
        index = self.index
        return lambda: arr[index]

    def adder(self, arr: np.ndarray) -> Callable[[Any], None]:
        """A function adding its argument to the places of ``arr`` (which must stay the same array); for a
        ``first`` write, assigning it."""
        if self.into is not None:
            return self.into.adder(arr)
        view = self.view(arr)
        index: Any = self.index
        if self.first:
            if view is not None:
                return functools.partial(np.copyto, view)  # view[...] = x
            return functools.partial(arr.__setitem__, index)  # arr[index] = x
        if view is not None:
            return functools.partial(np.add, view, out=view)  # view += x
        shape = self.shape
        if self.repeats:
            return lambda x: np.add.at(arr, index, np.broadcast_to(x, shape))

        def add(x: Any) -> None:
            arr[index] += x
        return add

    def scaled_adder(self, arr: np.ndarray) -> Callable[[Any, np.ndarray], None]:
        """A function adding ``d * g`` (a local derivative times gradients) to the places of ``arr``, like
        :meth:`adder`, without a temporary array where it can: a ``first`` write into a view multiplies straight
        into it, and a derivative that is the float ±1.0 (add's, sub's) passes ``g`` or ``-g`` on without a
        product (the same numbers: 1·g is g, −1·g is −g, and v + (−g) is v − g)."""
        if self.into is not None:
            return self.into.scaled_adder(arr)
        add = self.adder(arr)
        view = self.view(arr)
        times: Callable[[Any, np.ndarray], Any] = lambda d, g: add(d * g)
        minus: Callable[[np.ndarray], Any] = lambda g: add(-g)
        if view is not None and self.first:
            times, minus = functools.partial(np.multiply, out=view), functools.partial(np.negative, out=view)
        elif view is not None:
            minus = functools.partial(np.subtract, view, out=view)  # view -= g

        def scaled(d: Any, g: np.ndarray) -> None:
            if type(d) is float:
                if d == 1.0:
                    return add(g)
                if d == -1.0:
                    return minus(g)
            times(d, g)
        return scaled

    def __str__(self) -> str:
        if self.into is not None:
            return f"{self.read_places()}→{self.into}"
        return self.read_places()

    def read_places(self) -> str:
        if type(self.index) is slice:
            start, stop, step = self.index.start, self.index.stop, self.index.step
            if step == 1:
                return place_name(start, stop)
            return f"p{start}:{'' if stop is None else stop}:{step}"
        flat = self.index.ravel()
        if (flat == flat[0]).all():
            return f"p{flat[0]}"
        shown = [str(i) for i in flat[:3]] + ["…", str(flat[-1])] if len(flat) > 5 else [str(i) for i in flat]
        return f"p[{' '.join(shown)}]"


@dataclass(frozen=True)
class PlacedGroup:
    """A group with its outputs at places ``start…start+n_nodes-1`` and its operands as the blocks its kernel
    reads (arrays of places, in the order the kernel reads them)."""

    group: Group
    start: int
    n_nodes: int
    blocks: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Layout:
    """Where every program slot lives: ``place[s]`` is slot s's place; the placed groups in order; ``size`` the
    number of places (the arrays' length)."""

    place: np.ndarray
    groups: tuple[PlacedGroup, ...]
    size: int


def lay_out(program: Program, groups: Sequence[Group]) -> Layout:
    """Give every slot of ``program`` its place in the value and gradient arrays.

    Each group, level by level, gets the next run of places after the leaves', its nodes in the order the group
    chooses by their operands' places (a layer sample-major, relu over it in the same order). The leaves take
    places 0…L-1 last, in the order the kernels read them: first the blocks of the layers (W row by row, b, and A
    when it is the inputs), then the rest. So a kernel often finds a block of operands as one run of places.

    While the groups are ordered, a leaf has no place yet; it sorts by ``n_slots + slot`` (after every place, in
    the order of its slot). The blocks are kept as program slots until every leaf has its place.
    """
    n_inputs, n_slots = program.n_inputs, program.n_slots
    place = np.full(n_slots, -1, dtype=np.intp)
    start = n_inputs
    staged: list[tuple[Group, int, int, list[np.ndarray]]] = []  # (group, start, n_nodes, blocks of slots)
    for group in groups:
        eqs = group.equations
        outs = np.fromiter(map(_out, eqs), dtype=np.intp, count=len(eqs))
        args = group.args  # (operands, nodes), program slots
        leaf = args < n_inputs
        keys = np.where(leaf, n_slots + args, place[args])
        if len(eqs) > 1:
            by = group.order(keys, [bool(row.any()) for row in leaf])
            args, keys, outs = args[:, by], keys[:, by], outs[by]
        place[outs] = np.arange(start, start + len(outs))
        staged.append((group, start, len(outs), group.blocks(args, keys)))
        start += len(outs)
    # The leaves in the order the kernels read them (the layers' blocks first), each at its first reading.
    read = [np.ravel(block) for layers_first in (True, False) for group, _, _, blocks in staged
            if isinstance(group, LayerGroup) == layers_first for block in blocks]
    reads = np.concatenate(read) if read else np.zeros(0, dtype=np.intp)
    reads = reads[reads < n_inputs]
    _, first = np.unique(reads, return_index=True)
    in_order = reads[np.sort(first)]
    place[in_order] = np.arange(len(in_order))
    next_leaf = len(in_order)
    alone = np.flatnonzero(place[:n_inputs] < 0)  # a leaf no equation reads: the root of a graph of one node
    place[alone] = np.arange(next_leaf, next_leaf + len(alone))
    placed = tuple(PlacedGroup(group, first, n, tuple(place[b] for b in blocks)) for group, first, n, blocks in staged)
    return Layout(place, placed, start)


__all__ = ["Places", "PlacedGroup", "Layout", "lay_out", "place_name"]
