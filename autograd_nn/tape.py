"""A recorded graph replayed with numpy: ``Tape(root)`` compiles the graph under ``root`` once, then ``forward()``
and ``backward()`` replay it vectorized. The compiler is a list of passes, each a small function below:

1. :func:`record` — the graph → a :class:`Program`: the leaves, then one :class:`Equation` ``out = op(args)`` per
   node over numbered slots, in topological order (in the spirit of a JAX jaxpr; ``print(program)`` shows it).
2. :func:`probe_ops` — every op is tried on small arrays of its recorded operands, so that an op whose derivative
   cannot run on arrays (written with ``math.cos``, or an ``if`` on its argument) is a clear TypeError naming it,
   now, instead of a numpy error on the first replay.
3. :func:`fold_sums` — a left-fold chain of binary adds ((a + b) + c) + d, as ``sum()`` builds, whose inner adds are
   used nowhere else → one n-ary ``sum`` equation over the same terms in the same order (so the same float). Only
   the *left* operand of an add is folded: ``x + (y + z)`` keeps its two adds, and its rounding.
4. :func:`batch` — equations of one op and arity at one topological level do not depend on each other: each such
   :class:`Group` is evaluated with one numpy call each way.
5. :func:`rewrite_layers` — a group of weighted sums shaped like a layer over a batch (node (sample, unit) with
   weights and bias per unit and activations per sample) becomes a :class:`LayerGroup`: one ``A @ W + b`` forward
   and two matrix products backward. This is the one documented exception to "the same floats as eager": the
   matrix product adds a weighted sum's terms in its own order, so such z may differ from eager's in the last bits
   (and near the overflow limit, one order may overflow where the other does not).
6. :func:`lay_out` — every node gets a place in one value array and one gradient array: each group's outputs side
   by side, in the order of their operands, and the leaves in the order the kernels read them (a layer's W and b
   row by row), so that most reads and writes are slices (views) instead of gathers. The result is the executable
   :class:`Plan`, a list of kernels (:class:`Elementwise`, :class:`Sums`, :class:`WeightedSums`,
   :class:`SquaredSums`, :class:`MatmulLayer`); ``print(tape)`` shows it, one line per group.
7. :func:`first_writes` — backward's first write into slots that no kernel wrote before (a layer's gradient from
   its relu, a relu's from the next layer, a layer's weights' from its matrix product) assigns instead of adding
   to a zero: the same numbers (a leaf's −0.0 made +0.0 again), without the zeroing and without the addition.
8. execution — :meth:`Plan.forward` and :meth:`Plan.backward` run the kernels. The fast path looks for non-finite
   numbers once per pass. When it finds one (0·inf, an overflow, an op outside its domain), there is one error path:
   :func:`replay_eagerly` rebuilds the recorded program on fresh Values and the engine's own
   :func:`~autograd_nn.engine.autodiff.walk` runs over it. It raises the DomainError that eager code raises, or
   gives the gradients eager code gives (a zero gradient passes nothing on, so sqrt'(0) in ``sqrt(x) * 0`` is no
   error); the tape then uses those. There is no second copy of any chain-rule rule here. The rebuild follows
   :func:`eager_order` (operands left to right, as Python evaluates a formula), so that of several failing ops it
   meets the one eager code meets first; ``TapeBackend`` goes further and reruns the step as eager code.

A graph that is deep and narrow (a chain: one node per level) gains nothing from numpy and replays slower than
``backward()``; the tape is for wide graphs such as a network over a batch. Element-wise ops run numpy's functions
(``np.exp``, ``np.tanh``, … from the op table's ``vector``), which may differ from ``math``'s in the last bit.

Limitation: a tape replays the *structure* it recorded. Python control flow that depends on data (an ``if`` on a
Value, a loop whose length depends on data; relu's branch is fine: it is an op) stays frozen as it was when
recorded; build a new Tape then. ``check()`` re-walks the graph and raises if its node or leaf count changed.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np

from . import losses as L
from .engine import assign, weighted_sum, write_clock  # write_clock: bumped by every assignment to a Value's .data
from .engine.autodiff import topological_order, walk
from .engine.errors import DomainError, StaleGraphError
from .engine.ops import ADD, SUM, WEIGHTED_SUM, Op
from .engine.value import Value
from .train import LOSSES, batch_loss, value_backend

PREPARED_KERNELS = 256  # a plan of at most this many kernels runs them prepared (see Tape.__init__)

_data = attrgetter("_data")  # what Value.data reads (its getter is this attrgetter), without the property


def _name(start: int, stop: int) -> str:
    """Slots start…stop-1 as text: ``s7`` for one, ``s7:23`` (Python's half-open slice) for a run."""
    return f"s{start}" if stop - start == 1 else f"s{start}:{stop}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _listing(items: Sequence[Any], what: str, head: int = 30, tail: int = 8) -> list[str]:
    """One indented line per item, or for a long listing the first ``head`` and the last ``tail`` items with a
    "… N more" line between them (only the lines shown are formatted)."""
    if len(items) <= head + tail + 4:
        return [f"  {item}" for item in items]
    return [*(f"  {item}" for item in items[:head]), f"  … {len(items) - head - tail} more {what}",
            *(f"  {item}" for item in items[-tail:])]


# -- 1. record: the graph as a program ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Equation:
    """``s{out} = op(s{args[0]}, s{args[1]}, …)``: one node of the graph, over slots."""

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
    """A graph as a flat program: ``leaves`` are the slots 0…L-1, equation k defines slot L+k (its ``out``), in
    topological order (every equation after the ones defining its arguments); ``root`` is the result's slot.

    ``nodes[i]`` is the Value that slot i was recorded from (``nodes[:L]`` are the leaves).
    """

    leaves: list[Value]
    equations: list[Equation]
    root: int
    nodes: list[Value] = field(compare=False)

    def __repr__(self) -> str:
        return f"<Program: {len(self.leaves)} leaves, {len(self.equations)} equations, root s{self.root}>"

    def __str__(self) -> str:
        n = len(self.leaves)
        names = " ".join(f"s{i}" for i in range(n)) if n <= 8 else f"s0 s1 s2 … s{n - 1}"
        lines = [f"{{ lambda {names} ; ({_count(n, 'leaf', 'leaves')})", *_listing(self.equations, "equations")]
        lines.append(f"  in s{self.root} }}")
        return "\n".join(lines)


def record(root: Value) -> Program:
    """The graph under ``root`` → a :class:`Program`: its leaves, then one equation per node, in topological order."""
    order = topological_order(root)
    leaves = [v for v in order if v.is_leaf()]
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
    return Program(leaves, equations, slot[root], nodes)


# -- 2. probe_ops: every op must run on arrays ----------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _vector(op: Op) -> Callable[..., Any]:
    """The op's forward on arrays: its ``vector``, or its float ``forward`` applied element by element."""
    return op.vector if op.vector is not None else np.vectorize(op.forward, otypes=[float])


def probe_ops(program: Program) -> None:
    """Try every op of the program (forward and derivative) on arrays of two recorded operand sets, and raise a
    TypeError naming the op if it cannot run on arrays (e.g. a derivative written with ``math.cos`` or with an
    ``if`` on its argument): the replay evaluates each op on the arrays of a whole group at once.

    ``sum`` and ``weighted_sum`` are not probed: their kernels are written for them. An operand at a domain edge
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
        args = [np.array([data[eq.args[j]] for eq in pair]) for j in range(arity)]
        out = np.array([data[eq.out] for eq in pair])
        what = "forward (its vector)"
        try:
            with np.errstate(all="ignore"):
                np.broadcast_to(_vector(op)(*args), out.shape)
                what = "derivative"
                partials = tuple(op.derivative(*args, out))
                if len(partials) != arity:
                    raise TypeError(f"it returned {len(partials)} value(s) for {arity} argument(s)")
                for d in partials:
                    np.broadcast_to(np.asarray(d, dtype=float), out.shape)
        except DomainError:
            continue
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise TypeError(f"Tape: the {what} of op {op.name!r} cannot be evaluated on numpy arrays ({exc}); the "
                            "tape evaluates every op on the arrays of many nodes at once. Write it with arithmetic "
                            "and autograd_nn ops (autograd_nn.exp rather than math.exp, autograd_nn.step(x) rather "
                            "than an if on x), or use backward() instead of a Tape") from None


# -- 3. fold_sums: sum()'s chains of + as one n-ary sum -------------------------------------------------------

def fold_sums(program: Program) -> Program:
    """A left-fold chain of binary adds ((a + b) + c) + d whose inner adds are used nowhere else → one ``sum``
    equation with the terms a, b, c, d in that order (SUM adds left to right: the same float as the chain).

    Only an add's *left* operand is folded into its chain, so nothing the user wrote is regrouped: ``x + (y + z)``
    stays two adds of that shape. Slots are renumbered so that the program stays dense.
    """
    n_leaves = len(program.leaves)
    uses = [0] * len(program.nodes)
    for eq in program.equations:
        for a in eq.args:
            uses[a] += 1
    chains: dict[int, list[int]] = {}  # an add's out → the terms of the chain it ends
    folded: set[int] = set()  # the inner adds, now part of a later chain
    for eq in program.equations:
        if eq.op is ADD:
            left, right = eq.args
            chain = chains.pop(left, None) if uses[left] == 1 else None
            if chain is None:
                chain = [left]
            else:
                folded.add(left)
            chain.append(right)
            chains[eq.out] = chain
    if not folded:
        return program
    renamed = list(range(n_leaves)) + [-1] * len(program.equations)
    nodes = program.nodes[:n_leaves]
    equations = []
    for eq in program.equations:
        if eq.out in folded:
            continue
        out = renamed[eq.out] = len(nodes)
        op, args = eq.op, eq.args
        if op is ADD and len(chains[eq.out]) > 2:
            op, args = SUM, tuple(chains[eq.out])
        equations.append(Equation(out, op, tuple([renamed[a] for a in args])))
        nodes.append(program.nodes[eq.out])
    return Program(program.leaves, equations, renamed[program.root], nodes)


# -- 4. batch: independent equations of one op as one group ---------------------------------------------------

@dataclass
class Group:
    """Equations of one op and one number of arguments at one topological level (1 + the deepest argument's level;
    leaves are level 0). None depends on another, so the group is one numpy call forward and one backward.
    """

    op: Op
    level: int
    equations: list[Equation]

    def order(self, cols: np.ndarray, leaves: list[bool]) -> np.ndarray:
        """The order to lay the nodes out in, given their operands' places (``cols[j]``: operand j of every node;
        ``leaves[j]``: whether that row holds leaves, which are placed later, in the order the kernels read them)."""
        if self.op is SUM or self.op is WEIGHTED_SUM:
            return np.arange(cols.shape[1])
        # By the first operand's place, then the second's, …; rows of leaves last, so that a row of constants
        # (the labels in y * score) follows the row it is combined with, and is then placed in that order.
        rows = [row for row, leaf in zip(cols, leaves) if not leaf] + [row for row, leaf in zip(cols, leaves) if leaf]
        return np.lexsort(rows[::-1])

    def blocks(self, cols: np.ndarray) -> list[np.ndarray]:
        """The operands (``cols``, nodes in layout order) as the blocks the kernel reads, in the order it reads them."""
        if self.op is SUM:
            return [cols]
        if self.op is WEIGHTED_SUM and len(cols) >= 3:
            n = len(cols) // 2
            return [cols[:n], cols[n:2 * n], cols[2 * n]]
        return list(cols)

    def compile(self, start: int, n_nodes: int, blocks: list[np.ndarray]) -> Kernel:
        """The kernel that evaluates the group: outputs at slots start…start+n_nodes-1, operands at ``blocks``."""
        if self.op is SUM:
            return Sums(self.op, start, n_nodes, blocks)
        if self.op is WEIGHTED_SUM and len(blocks) == 3:
            kind = SquaredSums if SquaredSums.fits(blocks) else WeightedSums
            return kind(self.op, start, n_nodes, blocks)
        return Elementwise(self.op, start, n_nodes, blocks)


def batch(program: Program) -> list[Group]:
    """Group the equations by (topological level, op, number of arguments), lowest level first."""
    level = [0] * len(program.nodes)
    groups: dict[tuple[int, Op, int], Group] = {}
    for eq in program.equations:
        lv = level[eq.out] = 1 + max([level[a] for a in eq.args], default=0)
        key = (lv, eq.op, len(eq.args))
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(eq.op, lv, [])
        group.equations.append(eq)
    return sorted(groups.values(), key=attrgetter("level"))  # stable: within a level, in order of appearance


# -- 5. rewrite_layers: a layer over a batch as matrix products -----------------------------------------------

@dataclass
class LayerGroup(Group):
    """A group of weighted sums z = b + Σᵢ wᵢ·aᵢ that is a layer over a batch: node (s, u) for S samples × U units,
    where in every pair i one factor is per unit (the same for every sample: a weight) and the other per sample
    (the same for every unit: an activation), and b is per unit. ``unit_rows[i]`` and ``sample_rows[i]`` are the
    argument positions of pair i's two factors.
    """

    shape: tuple[int, int] = (0, 0)
    unit_rows: list[int] = field(default_factory=list)
    sample_rows: list[int] = field(default_factory=list)

    def order(self, cols: np.ndarray, leaves: list[bool]) -> np.ndarray:
        """Sample-major: samples in the order of their activations' places, units in the order of their weights'."""
        first = min(range(len(self.sample_rows)), key=lambda i: cols[self.sample_rows[i], 0])
        return np.lexsort((cols[self.unit_rows[first]], cols[self.sample_rows[first]]))

    def blocks(self, cols: np.ndarray) -> list[np.ndarray]:
        """A (S × n), W (n × U) and b (U); the pairs in the order of their activations' slots, so that A is often one
        run of slots (a view)."""
        n_s, n_u = self.shape
        pairs = sorted(range(len(self.unit_rows)), key=lambda i: cols[self.sample_rows[i], 0])
        grid = cols.reshape(len(cols), n_s, n_u)
        return [np.ascontiguousarray(grid[[self.sample_rows[i] for i in pairs], :, 0].T),
                np.ascontiguousarray(grid[[self.unit_rows[i] for i in pairs], 0, :]), grid[-1, 0, :].copy()]

    def compile(self, start: int, n_nodes: int, blocks: list[np.ndarray]) -> Kernel:
        return MatmulLayer(self.op, start, self.shape, blocks)


def _same_partition(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether two labellings of the same nodes (0, 1, … per distinct operand) split them into the same classes."""
    nx, ny = int(x.max()) + 1, int(y.max()) + 1
    return nx == ny and len(np.unique(x * ny + y)) == nx


def _as_layer(group: Group) -> LayerGroup | None:
    """The group as a :class:`LayerGroup`, if it is one (see there); else None."""
    if group.op is not WEIGHTED_SUM or len(group.equations) < 2 or len(group.equations[0].args) < 3:
        return None
    args = np.array([eq.args for eq in group.equations]).T  # (2n + 1, nodes)
    n = len(args) // 2
    labels = [np.unique(row, return_inverse=True)[1].ravel() for row in args]
    unit = labels[-1]  # the bias names the unit
    sample: np.ndarray | None = None
    unit_rows, sample_rows = [], []
    for i in range(n):
        w_is_unit, a_is_unit = _same_partition(unit, labels[i]), _same_partition(unit, labels[n + i])
        if w_is_unit == a_is_unit:
            return None
        u, s = (i, n + i) if w_is_unit else (n + i, i)
        if sample is None:
            sample = labels[s]
        elif not _same_partition(sample, labels[s]):
            return None
        unit_rows.append(u)
        sample_rows.append(s)
    assert sample is not None
    n_u, n_s = int(unit.max()) + 1, int(sample.max()) + 1
    if n_u * n_s != args.shape[1] or len(np.unique(sample * n_u + unit)) != args.shape[1]:
        return None
    return LayerGroup(group.op, group.level, group.equations, (n_s, n_u), unit_rows, sample_rows)


def rewrite_layers(groups: list[Group]) -> list[Group]:
    """Every group of weighted sums that is a layer over a batch → a :class:`LayerGroup` (matrix products)."""
    return [_as_layer(g) or g for g in groups]


# -- 6. lay_out: slots, and the kernels that read and write them ----------------------------------------------

class _Slots:
    """A fixed set of slots (a row or a block of operands), with the fastest way to read and add to them.

    A run of slots with a constant step (consecutive, or backwards) is a slice: a view, no copy (a block is the
    slice reshaped, still a view). Other sets are gathered; adding to them is ``arr[index] += x`` when no slot
    repeats, and ``np.add.at`` (which adds every repeat) when one does, as in x * x.

    ``first`` (set by :func:`first_writes`) marks the backward pass's first write into these slots, none of which
    any kernel wrote before: the gradient is then assigned instead of added to a zero (the same number), so that
    neither the zeroing nor the addition is needed.
    """

    __slots__ = ("index", "shape", "repeats", "grid", "first")

    def __init__(self, where: np.ndarray) -> None:
        self.shape: tuple[int, ...] = where.shape
        self.repeats = False
        self.first = False
        self.grid: tuple[int, int, int] | None = None  # a block (start, row step, column step) prepared as a view
        flat = where.ravel()
        first, n = int(flat[0]), len(flat)
        step = int(flat[1]) - first if n > 1 else 1
        if step != 0 and (n == 1 or (np.diff(flat) == step).all()):
            stop = int(flat[-1]) + step
            self.index: slice | np.ndarray = slice(first, stop if stop >= 0 else None, step)
        else:
            self.index = where.copy()
            self.repeats = len(np.unique(flat)) < n
            if where.ndim == 2 and not self.repeats and min(where.shape) > 1:
                start, rows, cols = first, int(where[1, 0]) - first, int(where[0, 1]) - first
                grid = start + rows * np.arange(where.shape[0])[:, None] + cols * np.arange(where.shape[1])
                if (grid == where).all():  # slot (t, k) = start + t·rows + k·cols: e.g. the terms of many sums
                    self.grid = (start, rows, cols)

    def view(self, arr: np.ndarray) -> np.ndarray | None:
        """The slots of ``arr`` as a view (of the block's shape) when they are a run or a grid with constant
        steps, else None (a gather)."""
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
        """A function reading the slots of ``arr`` (which must stay the same array): a view made once, or a
        gather made at every call."""
        view = self.view(arr)
        if view is not None:
            return lambda: view
        index = self.index
        return lambda: arr[index]

    def adder(self, arr: np.ndarray) -> Callable[[Any], None]:
        """A function adding its argument to the slots of ``arr`` (which must stay the same array); for a
        ``first`` write, assigning it."""
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
        """A function adding ``d * g`` (a local derivative times gradients) to the slots of ``arr``, like
        :meth:`adder`, without a temporary array where it can: a ``first`` write into a view multiplies straight
        into it, and a derivative that is the float ±1.0 (add's, sub's) passes ``g`` or ``-g`` on without a
        product (the same numbers: 1·g is g, −1·g is −g, and v + (−g) is v − g)."""
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

    def read(self, arr: np.ndarray) -> np.ndarray:
        """The slots of ``arr`` now (a view where :meth:`view` gives one)."""
        return self.reader(arr)()

    def add(self, arr: np.ndarray, contrib: Any) -> None:
        """Add ``contrib`` to the slots of ``arr``."""
        self.adder(arr)(contrib)

    def __str__(self) -> str:
        if type(self.index) is slice:
            start, stop, step = self.index.start, self.index.stop, self.index.step
            if step == 1:
                return _name(start, stop)
            return f"s{start}:{'' if stop is None else stop}:{step}"
        flat = self.index.ravel()
        if (flat == flat[0]).all():
            return f"s{flat[0]}"
        shown = [str(i) for i in flat[:3]] + ["…", str(flat[-1])] if len(flat) > 5 else [str(i) for i in flat]
        return f"s[{' '.join(shown)}]"


class Kernel:
    """One group of the plan, ready to run: its nodes' values and gradients are the slots ``start…stop-1``."""

    __slots__ = ("op", "start", "stop")

    def __init__(self, op: Op, start: int, n_nodes: int) -> None:
        self.op, self.start, self.stop = op, start, start + n_nodes

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        """The group's forward and backward, as functions of no argument over these two arrays (which must stay
        the same arrays; their views are made here, once). forward computes the group's values from its
        operands' (already computed) values; backward adds ∂root/∂node · ∂node/∂operand to every operand's
        gradient (the nodes' own gradients being complete), or assigns it to a block marked ``first``. This is
        the kernel's only implementation: a small plan keeps the prepared pair, a large one prepares each kernel
        when it runs (see :class:`Plan`)."""
        raise NotImplementedError

    def targets(self) -> list[_Slots]:
        """The operand slots backward writes gradients into, in the order it writes them (see
        :func:`first_writes`)."""
        raise NotImplementedError

    def operands(self) -> str:
        raise NotImplementedError

    def note(self) -> str:
        return _count(self.stop - self.start, "node", "nodes")

    def __str__(self) -> str:
        line = f"{_name(self.start, self.stop)} = {self.operands()}"
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
    """Nodes of one op (any but sum and weighted_sum), one numpy call each way: forward is the op's ``vector`` on
    the operand rows (``rows[j]``: operand j of every node), backward the op table's own ``derivative`` evaluated on
    the same rows, times the nodes' gradients. An op with a domain test is checked against it, so that an operand
    outside the domain goes to the error path even where numpy returns a number (0 ** 2 for pow)."""

    __slots__ = ("rows", "vector", "inside")

    def __init__(self, op: Op, start: int, n_nodes: int, rows: list[np.ndarray]) -> None:
        super().__init__(op, start, n_nodes)
        self.rows = [_Slots(row) for row in rows]
        self.vector = _vector(op)
        self.inside = None if op.domain is None or op.domain.contains is None else _on_arrays(op.domain.contains)

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        if self.stop - self.start == 1 and all(type(row.index) is slice for row in self.rows):
            return self._prepare_scalar(vals, grads)
        if self.one_gather():
            return self._prepare_one_gather(vals, grads)
        reads = [row.reader(vals) for row in self.rows]
        adds = [row.scaled_adder(grads) for row in self.rows]
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        vector, inside, derivative, name = self.vector, self.inside, self.op.derivative, self.op.name
        if isinstance(vector, np.ufunc) and vector.nin == len(reads) and vector.nout == 1:
            vector = functools.partial(vector, out=out)  # np.exp, np.add, …: straight into the output slots
        if len(reads) == 1:  # the common case (relu, tanh, …) without a list of arguments
            read, add = reads[0], adds[0]

            def forward1() -> None:
                x = read()
                out[...] = vector(x)
                if inside is not None and not inside(x):
                    raise _Outside(name)

            def backward1() -> None:
                d, = derivative(read(), out)
                add(d, g)
            return forward1, backward1

        def forward() -> None:
            args = [r() for r in reads]
            out[...] = vector(*args)
            if inside is not None and not inside(*args):
                raise _Outside(name)

        def backward() -> None:
            for add, d in zip(adds, derivative(*[r() for r in reads], out)):
                add(d, g)
        return forward, backward

    def _prepare_scalar(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        """One node (the tail of a loss: a mean's 1/n, the l2 term's α): the op on Python floats, its ``forward``
        and ``derivative`` as eager code runs them, without numpy's per-call cost on one-element arrays."""
        at = [row.index.start for row in self.rows if type(row.index) is slice]
        o, item = self.start, vals.item
        op = self.op
        forward_f, derivative = op.forward, op.derivative
        contains = None if op.domain is None else op.domain.contains

        def forward() -> None:
            args = [item(i) for i in at]
            if contains is not None and not contains(*args):
                raise _Outside(op.name)
            vals[o] = forward_f(*args)

        rows = self.rows  # (a row marked first is assigned: see first_writes)

        def backward() -> None:
            g = grads.item(o)
            for i, d, row in zip(at, derivative(*[item(i) for i in at], item(o)), rows):
                grads[i] = d * g if row.first else grads.item(i) + d * g
        return forward, backward

    def one_gather(self) -> bool:
        """Whether every row is the same gathered slots, none repeated (x * x over many nodes, p * p of an l2 term
        written with sum())."""
        first = self.rows[0]
        return len(self.rows) > 1 and type(first.index) is not slice and not first.repeats and all(
            type(row.index) is not slice and np.array_equal(row.index, first.index) for row in self.rows[1:])

    def _prepare_one_gather(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None],
                                                                                 Callable[[], None]]:
        """Rows that are one gather (see :meth:`one_gather`): the operand gathered once each way, and the rows'
        contributions d·g added, row after row, to one gathered copy of the gradients written back once: the
        numbers of one ``grads[x] += d·g`` per row (1251 nodes p * p: backward 10.4 → 6.0 µs)."""
        index, n = self.rows[0].index, len(self.rows)
        first = self.rows[0].first  # (the other rows write the same slots after it: never first)
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        vector, inside, derivative, name = self.vector, self.inside, self.op.derivative, self.op.name

        def forward() -> None:
            args = [vals[index]] * n
            out[...] = vector(*args)
            if inside is not None and not inside(*args):
                raise _Outside(name)

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

    def targets(self) -> list[_Slots]:
        return list(self.rows)

    def operands(self) -> str:
        return f"{self.op.name} {' '.join(map(str, self.rows))}"


ROWS_FROM = 100  # a (terms × nodes) block of at least this many nodes is added up row by row (see _left_fold)


def _left_fold(n_terms: int, n_nodes: int) -> Callable[[np.ndarray, np.ndarray], None]:
    """A function ``(terms, out)`` setting ``out`` to ((t₀ + t₁) + t₂) + … down the rows of a (terms × nodes)
    block, strictly left to right as a chain of + adds (``np.sum`` would add pairwise: another float). Few nodes
    (one sum of many terms): one ``np.add.accumulate`` down the block. Many nodes (many sums of a few terms): one
    ``np.add`` per term, each over every node (accumulating down 3 × 300 terms is a numpy loop per column: 4.4 µs,
    row by row 0.9 µs; 8 × 1000: 23 and 3.4 µs; one sum of 1251 terms: 3.2 µs, row by row 750)."""
    if n_terms == 1:
        return lambda terms, out: np.copyto(out, terms[0])
    if n_nodes < ROWS_FROM:
        accumulate = np.add.accumulate
        return lambda terms, out: np.copyto(out, accumulate(terms, axis=0)[-1])
    plus = np.add

    def by_rows(terms: np.ndarray, out: np.ndarray) -> None:
        plus(terms[0], terms[1], out=out)
        for k in range(2, n_terms):
            plus(out, terms[k], out=out)
    return by_rows


class Sums(Kernel):
    """n-ary sums with the same number of terms: the operands are one (terms × nodes) block, added strictly left to
    right down its rows, as the chain of + was (see :func:`_left_fold`). Backward: ∂sum/∂term = 1 (SUM's rule), so
    every term gets its node's gradient."""

    __slots__ = ("block",)

    def __init__(self, op: Op, start: int, n_nodes: int, blocks: list[np.ndarray]) -> None:
        super().__init__(op, start, n_nodes)
        self.block = _Slots(blocks[0])

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        read, add = self.block.reader(vals), self.block.adder(grads)
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        fold = _left_fold(*self.block.shape)

        def forward() -> None:
            fold(read(), out)

        def backward() -> None:
            add(g)
        return forward, backward

    def targets(self) -> list[_Slots]:
        return [self.block]

    def operands(self) -> str:
        return f"sum {self.block}"

    def note(self) -> str:
        return f"{super().note()} of {self.block.shape[0]} terms"


class WeightedSums(Kernel):
    """Weighted sums z = b + Σᵢ wᵢ·aᵢ that are not a layer: the w's and the a's are two (n × nodes) blocks, b a
    row. Forward adds b and then each product, in eager's order (:func:`_left_fold`); backward is WEIGHTED_SUM's
    rule ∂z/∂wᵢ = aᵢ, ∂z/∂aᵢ = wᵢ, ∂z/∂b = 1, on the blocks."""

    __slots__ = ("w", "a", "b")

    def __init__(self, op: Op, start: int, n_nodes: int, blocks: list[np.ndarray]) -> None:
        super().__init__(op, start, n_nodes)
        self.w, self.a, self.b = map(_Slots, blocks)

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        w, a, b = (s.reader(vals) for s in (self.w, self.a, self.b))
        add_w, add_a, add_b = (s.adder(grads) for s in (self.w, self.a, self.b))
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        fold = _left_fold(*self.w.shape)

        def forward() -> None:
            terms = w() * a()
            terms[0] += b()
            fold(terms, out)

        def backward() -> None:
            add_w(a() * g)
            add_a(w() * g)
            add_b(g)
        return forward, backward

    def targets(self) -> list[_Slots]:
        return [self.w, self.a, self.b]

    def operands(self) -> str:
        return f"weighted_sum w={self.w} a={self.a} b={self.b}"

    def note(self) -> str:
        return f"{super().note()} of {self.w.shape[0]} products"


class SquaredSums(WeightedSums):
    """Weighted sums whose w's and a's are the same slots, gathered: z = b + Σᵢ pᵢ·pᵢ, an l2 term
    ``weighted_sum(ps, ps)``. The same numbers as :class:`WeightedSums`, with one gather of p instead of two each
    way, and backward's two contributions p·g (as ∂z/∂w, then as ∂z/∂a) added to one gathered copy of the
    gradients, written back once: G + p·g + p·g in that order, as two ``grads[p] += p·g`` would add them (1251
    parameters: forward 8.3 → 6.1 µs, backward 9.6 → 5.4)."""

    __slots__ = ()

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        index = self.w.index
        b, add_b = self.b.reader(vals), self.b.adder(grads)
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        fold = _left_fold(*self.w.shape)
        first = self.w.first

        def forward() -> None:
            p = vals[index]
            terms = p * p
            terms[0] += b()
            fold(terms, out)

        def backward() -> None:
            pg = vals[index] * g
            if first:  # (inner slots) ∂z/∂w assigned, then ∂z/∂a added
                total = pg + pg
            else:
                total = grads[index]
                total += pg  # ∂z/∂w = a = p
                total += pg  # ∂z/∂a = w = p
            grads[index] = total
            add_b(g)
        return forward, backward

    def operands(self) -> str:
        return f"weighted_sum w=a={self.w} b={self.b}"

    @staticmethod
    def fits(blocks: list[np.ndarray]) -> bool:
        """Whether weighted sums over these blocks (w, a, b) are squares of gathered slots: w and a the same, no
        slot repeated, and no view (a run or a grid is read and added to without a gather anyway)."""
        w, a = blocks[0], blocks[1]
        if w.shape != a.shape or not (w == a).all() or len(np.unique(w)) < w.size:
            return False
        slots = _Slots(w)
        return type(slots.index) is not slice and slots.grid is None


class MatmulLayer(Kernel):
    """A :class:`LayerGroup` as matrix products: node (s, u) = Σᵢ A[s, i]·W[i, u] + b[u], outputs sample-major
    (slot start + s·U + u). Forward is one ``A @ W + b``; backward ∂W = Aᵀ·G, ∂A = G·Wᵀ, ∂b = Σₛ G = 1ᵀ·G
    (WEIGHTED_SUM's rule ∂z/∂w = a, ∂z/∂a = w, ∂z/∂b = 1, contracted over the batch; the column sums as a product
    with a row of ones, a BLAS call, rather than numpy's slower reduction down the columns). Wᵀ is first copied
    into a buffer of its own (n·U numbers): OpenBLAS multiplies by a transposed operand markedly slower (300×32 by
    32×32: 12.4 µs, 9.2 with the copy). A first write (see :func:`first_writes`) of ∂W, ∂A or ∂b is computed
    straight into its slots. The matrix products add in their own order: the one place where the tape's floats
    may differ from eager's in the last bits."""

    __slots__ = ("shape", "A", "W", "b")

    def __init__(self, op: Op, start: int, shape: tuple[int, int], blocks: list[np.ndarray]) -> None:
        super().__init__(op, start, shape[0] * shape[1])
        self.shape = shape
        self.A, self.W, self.b = map(_Slots, blocks)

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Callable[[], None], Callable[[], None]]:
        A, W, b = (s.reader(vals) for s in (self.A, self.W, self.b))
        add_A, add_W, add_b = (s.adder(grads) for s in (self.A, self.W, self.b))
        out = vals[self.start:self.stop].reshape(self.shape)
        G = grads[self.start:self.stop].reshape(self.shape)
        ones = np.ones(self.shape[0])
        Wt = np.empty(self.W.shape[::-1])
        matmul, add, copyto = np.matmul, np.add, np.copyto
        dW, dA, db = (s.view(grads) if s.first else None for s in (self.W, self.A, self.b))

        def forward() -> None:
            matmul(A(), W(), out=out)
            add(out, b(), out=out)

        def backward() -> None:
            if dW is None:
                add_W(matmul(A().T, G))
            else:
                matmul(A().T, G, out=dW)
            copyto(Wt, W().T)
            if dA is None:
                add_A(matmul(G, Wt))
            else:
                matmul(G, Wt, out=dA)
            if db is None:
                add_b(matmul(ones, G))
            else:
                matmul(ones, G, out=db)
        return forward, backward

    def targets(self) -> list[_Slots]:
        return [self.W, self.A, self.b]

    def operands(self) -> str:
        (n_s, n), (_, n_u) = self.A.shape, self.W.shape
        return f"matmul-layer weighted_sum A={self.A} ({n_s}×{n}) W={self.W} ({n}×{n_u}) b={self.b}"

    def note(self) -> str:
        return f"{self.shape[0]}×{self.shape[1]} grid"


class _Outside(ArithmeticError):
    """The fast path met an operand outside an op's domain (raised by a kernel, handled by the error path)."""


@dataclass(repr=False)
class Plan:
    """The program after the passes, ready to run: slots 0…n_leaves-1 hold the leaves, the kernels fill the rest
    in order (each only reads slots written before it); ``root`` is the result's slot, ``size`` the number of slots.
    """

    n_leaves: int
    kernels: list[Kernel]
    root: int
    size: int
    zeroed: list[slice] = field(default_factory=lambda: [slice(None)])  # zeroed before backward (first_writes)
    assigns_leaves: bool = False  # some leaf's gradient is assigned: + 0.0 after backward (first_writes)

    def forward(self, vals: np.ndarray, grads: np.ndarray) -> None:
        """Every kernel's forward, in order (vals[:n_leaves] must hold the leaves' data), each prepared as it runs:
        a large plan keeps no prepared views between calls."""
        for kernel in self.kernels:
            kernel.prepare(vals, grads)[0]()

    def backward(self, vals: np.ndarray, grads: np.ndarray) -> None:
        """Every kernel's backward, in reverse order (grads must hold the root's seed, and zeros in the ``zeroed``
        slots: the others are assigned before they are read)."""
        for kernel in reversed(self.kernels):
            kernel.prepare(vals, grads)[1]()

    def __repr__(self) -> str:
        return f"<Plan: {self.n_leaves} leaves, {self.size} slots, {len(self.kernels)} groups>"

    def __str__(self) -> str:
        header = f"{{ lambda {_name(0, self.n_leaves)} ; ({_count(self.n_leaves, 'leaf', 'leaves')}, " \
                 f"{_count(self.size, 'slot', 'slots')}, {_count(len(self.kernels), 'group', 'groups')})"
        return "\n".join([header, *_listing(self.kernels, "groups"), f"  in s{self.root} }}"])


def lay_out(program: Program, groups: Sequence[Group]) -> tuple[Plan, np.ndarray]:
    """Give every slot of ``program`` its place in the value and gradient arrays, and compile the groups.

    Each group, level by level, gets the next run of places after the leaves', its nodes in the order the group
    chooses by their operands' places (a layer sample-major, relu over it in the same order). The leaves take
    places 0…L-1 last, in the order the kernels read them: first the blocks of the layers (W row by row, b, and A
    when it is the inputs), then the rest. So a kernel often finds a block of operands as one run of places: a
    slice, read and written without a gather. Returns the plan and ``place`` (program slot → place).
    """
    n_leaves = len(program.leaves)
    place = np.full(len(program.nodes), -1, dtype=np.intp)
    unplaced = len(program.nodes)  # a leaf s is keyed unplaced + s until it is placed: after every place
    start = n_leaves
    staged: list[tuple[Group, int, int, list[np.ndarray], bool]] = []
    for group in groups:
        eqs = group.equations
        outs = np.array([eq.out for eq in eqs])
        args = np.array([eq.args for eq in eqs], dtype=np.intp).T  # (operands, nodes)
        keys = place[args]
        leaf = keys < 0
        has_leaf = bool(leaf.any())
        if has_leaf:
            keys[leaf] = unplaced + args[leaf]
        if len(eqs) > 1:
            by = group.order(keys, [bool(row.any()) for row in leaf])
            keys, outs = keys[:, by], outs[by]
        place[outs] = np.arange(start, start + len(outs))
        staged.append((group, start, len(outs), group.blocks(keys), has_leaf))
        start += len(outs)
    next_leaf = 0
    for layers_first in (True, False):
        for group, _, _, blocks, has_leaf in staged:
            if has_leaf and isinstance(group, LayerGroup) == layers_first:
                for block in blocks:
                    for s in block.ravel().tolist():
                        if s >= unplaced and place[s - unplaced] < 0:
                            place[s - unplaced] = next_leaf
                            next_leaf += 1
    alone = np.flatnonzero(place[:n_leaves] < 0)  # a leaf no equation reads: the root of a graph of one node
    place[alone] = np.arange(next_leaf, next_leaf + len(alone))
    final = np.concatenate([np.arange(unplaced), place])  # key → place: a place stays, unplaced + s → place[s]
    kernels = [group.compile(first, n, [final[b] for b in blocks] if has_leaf else blocks)
               for group, first, n, blocks, has_leaf in staged]
    return Plan(n_leaves, kernels, int(place[program.root]), start), place


# -- 7. first_writes: a gradient's first contribution is assigned, not added to a zero ------------------------

def first_writes(plan: Plan, gap: int = 64, most_runs: int = 16) -> Plan:
    """Mark the gradient blocks that backward writes before any other write into their slots (``_Slots.first``):
    those kernels assign ∂root/∂operand instead of adding it to a zero, e.g. ``G @ Wᵀ`` straight into a relu's
    gradient slots, ``step(x) * g`` into a layer's, ``Aᵀ @ G`` into its weights'. Returns the plan with
    ``zeroed``: the slots still to be zeroed before backward (as a few slices; runs closer than ``gap`` merge, and
    more than ``most_runs`` become the whole array), every slot that is no first write's; and
    ``assigns_leaves``: whether some leaf's gradient is a first write.

    Kernels run backward in reverse order, each writing its :meth:`Kernel.targets` in order, so the first write is
    known from the plan alone. A block qualifies when none of its slots was written before (the root holds the
    seed) and none repeats. An assigned gradient is the number added to a zero would be, but for the sign of a
    zero: 0.0 + (−0.0) is +0.0, as eager's gradients, which add up from +0.0, always are. An inner slot may keep a
    −0.0 (equal to +0.0, and a leaf's sum of them is +0.0 again); a leaf's gradient gets + 0.0 after backward when
    ``assigns_leaves`` (see :meth:`Tape.gradient`), which turns −0.0 into +0.0 and leaves every other number as it
    is, so that the leaves' gradients are eager's to the bit.
    """
    written = np.zeros(plan.size, dtype=bool)
    written[plan.root] = True
    assigned = np.zeros(plan.size, dtype=bool)
    slots = np.arange(plan.size)
    for kernel in reversed(plan.kernels):
        for block in kernel.targets():
            at = slots[block.index].ravel()
            block.first = not block.repeats and not written[at].any()
            if block.first:
                assigned[at] = True
            written[at] = True
    return dataclasses.replace(plan, zeroed=_runs(~assigned, gap, most_runs),
                               assigns_leaves=bool(assigned[:plan.n_leaves].any()))


def _runs(mask: np.ndarray, gap: int, most: int) -> list[slice]:
    """Slices covering the True places of ``mask`` (and maybe some False ones): runs at most ``gap`` places apart
    are one slice; more than ``most`` slices are the whole array."""
    at = np.flatnonzero(mask)
    if not len(at):
        return []
    cut = np.flatnonzero(np.diff(at) > gap + 1)
    starts, stops = at[np.r_[0, cut + 1]], at[np.r_[cut, len(at) - 1]] + 1
    if len(starts) > most:
        return [slice(0, len(mask))]
    return [slice(int(a), int(b)) for a, b in zip(starts, stops)]


# -- 8. the error path: the engine decides --------------------------------------------------------------------

def replay_eagerly(program: Program, leaf_data: Sequence[float] | None = None) -> list[Value]:
    """The recorded program rebuilt on fresh Values, as eager code builds it: leaves with ``leaf_data`` (default:
    the leaves' current ``.data``), every equation through ``op.apply`` (which raises the DomainError eager code
    raises). Returns the Value of every slot; ``walk`` over the root's gives eager's gradients and errors.
    """
    data = [leaf.data for leaf in program.leaves] if leaf_data is None else leaf_data
    nodes: list[Any] = [None] * len(program.nodes)
    for i, (leaf, x) in enumerate(zip(program.leaves, data)):
        fresh = Value(x, label=leaf.label)
        fresh.grad = leaf.grad  # as eager code's leaf shows it in an error message
        nodes[i] = fresh
    n_leaves = len(program.leaves)
    for k in eager_order(program):
        eq = program.equations[k]
        fresh = eq.op(*[nodes[a] for a in eq.args])
        fresh.label = program.nodes[eq.out].label
        nodes[eq.out] = fresh
    assert all(v is not None for v in nodes[n_leaves:])
    return nodes


def eager_order(program: Program) -> list[int]:
    """The equations (indices) in the order Python evaluates the expression: each node's operands left to right,
    each operand's own expression completely before the next (a left-first depth-first post-order from the root).

    For code that builds its expression as one formula, this is the order eager code created the nodes in, so that
    of several ops that would fail, the error path meets first the one eager code met first. (Code that builds
    nodes ahead of their first use, e.g. all outputs of a batch and then all their losses, may differ: a Tape does
    not know when a node was created.) Unreachable equations (none, after :func:`record`) come last.
    """
    n_leaves = len(program.leaves)
    defined_by = {eq.out: k for k, eq in enumerate(program.equations)}
    order: list[int] = []
    done = [False] * len(program.nodes)
    stack: list[tuple[int, bool]] = [(program.root, False)]
    while stack:
        slot, expanded = stack.pop()
        if slot < n_leaves or done[slot]:
            continue
        k = defined_by[slot]
        if expanded:
            done[slot] = True
            order.append(k)
            continue
        stack.append((slot, True))
        stack.extend((a, False) for a in reversed(program.equations[k].args) if a >= n_leaves and not done[a])
    if len(order) < len(program.equations):
        seen = set(order)
        order += [k for k in range(len(program.equations)) if k not in seen]
    return order


class Tape:
    """Record the graph under ``root`` once; ``forward()`` and ``backward()`` replay it with numpy.

    ``forward()`` recomputes every node from the leaves' current ``.data`` and returns root's value;
    ``backward()`` adds ∂root/∂leaf to every leaf's ``.grad``, exactly as ``root.backward()`` would, at the point
    of the last ``forward()`` (the recorded one before any): if a leaf's ``.data`` changed since, those gradients
    would belong to the old point, so backward raises StaleGraphError (call ``forward()`` first). The test costs one
    comparison of the engine's write clock when no ``.data`` was assigned since forward, else one pass over the
    leaves.
    ``program`` is the recorded :class:`Program`; ``print(tape)`` shows the compiled plan, one line per group.
    """

    def __init__(self, root: Value) -> None:
        if type(root) is not Value:
            raise TypeError(f"Tape: root must be a Value, got {type(root).__name__} {root!r}")
        self.root = root
        self.program = record(root)
        probe_ops(self.program)
        folded = fold_sums(self.program)
        plan, place = lay_out(folded, rewrite_layers(batch(folded)))
        self.plan = first_writes(plan)
        self.leaves = self.program.leaves
        self.n_nodes = len(self.program.nodes)
        self._slot = dict(zip(folded.nodes, place.tolist()))
        self._in_place_order = [self.leaves[k] for k in np.argsort(place[:len(self.leaves)]).tolist()]
        self._values = np.empty(self.plan.size)
        self._values[place] = [v.data for v in folded.nodes]
        self._grads = np.zeros(self.plan.size)
        # Preparing a kernel saves its views' making at every call but costs memory (a few functions and views,
        # ~2 KB): worth it for the few wide groups of a network over a batch, not for a deep chain of one-node groups
        # (its replay is Python's per-kernel overhead either way), which runs the plan's kernels as they are.
        self._prepared = len(self.plan.kernels) <= PREPARED_KERNELS
        prepared = [k.prepare(self._values, self._grads) for k in self.plan.kernels] if self._prepared else []
        self._run_forward = [f for f, _ in prepared]
        self._run_backward = [b for _, b in reversed(prepared)]
        self._clock = write_clock()  # the write clock when the leaves' data were last read into _values
        self._leaf_set: set[Value] | None = None
        self._bound: Bound | None = None
        self._read_order = self._in_place_order  # the leaves forward reads from their Values, and their places
        self._read_places: Any = np.arange(len(self.leaves))  # (forward reads them as a slice while all are read)
        self._read_slice: Any = slice(0, len(self.leaves))
        self._forward_done = False

    def __str__(self) -> str:
        return str(self.plan)

    __repr__ = __str__

    def value(self, node: Value) -> float:
        """A recorded node's value as of the last ``forward()`` (the Values' own .data are not rewritten)."""
        i = self._slot.get(node)
        if i is None:
            raise KeyError(f"Tape.value: {node!r} is not part of the recorded graph (or is an inner term of a "
                           "sum that the tape replays as one n-ary sum)")
        return float(self._values[i])

    def check(self, parameters: Iterable[Value] | None = None) -> None:
        """Raise ValueError if the graph under root no longer has the recorded number of nodes and leaves, or if
        one of ``parameters`` (e.g. ``model.parameters()``) is not a leaf of the recorded graph: a parameter object
        replaced in the model after recording, which the tape would never read nor give a gradient."""
        order = topological_order(self.root)
        leaves = sum(1 for node in order if node.is_leaf())
        recorded = len(self.leaves)
        if len(order) != self.n_nodes or leaves != recorded:
            raise ValueError(f"Tape: the graph changed since it was recorded ({self.n_nodes} nodes then, "
                             f"{len(order)} now; {recorded} leaves then, {leaves} now); record a new Tape")
        if parameters is not None:
            if self._leaf_set is None:
                self._leaf_set = set(self.leaves)
            given = list(parameters)
            foreign = [i for i, p in enumerate(given) if p not in self._leaf_set]
            if foreign:
                i = foreign[0]
                what = _count(len(foreign), "parameter is not a leaf", "parameters are not leaves")
                raise ValueError(f"Tape.check: {what} of the recorded graph (the first: parameter {i}, "
                                 f"{given[i]!r}); the tape would neither read it nor give it a gradient. Was it "
                                 "replaced in the model after the Tape was recorded? Record a new Tape")

    def forward(self) -> float:
        """Recompute every node from the leaves' current ``.data`` (a bound leaf: from its array); return the root's
        value. The leaves are read only when some ``.data`` was assigned since they were last read (the engine's
        write clock moved): a step that writes no Value reads none."""
        vals = self._values
        if write_clock() != self._clock:
            self._read_leaves()
        bound = self._bound
        if bound is not None and bound._copied is not None:
            vals[bound._copied] = bound.data  # an array that is no view of vals: copied in
        try:
            with np.errstate(all="ignore"):
                if self._prepared:
                    for run in self._run_forward:  # the plan's kernels, prepared over the tape's two arrays
                        run()
                else:
                    self.plan.forward(vals, self._grads)
            fast = bool(np.isfinite(vals).all())  # once, at the end: every value stays in vals
        except (ArithmeticError, ValueError):  # outside a domain, or a user op's own error
            fast = False
        if not fast:
            self._forward_eagerly()
        self._forward_done = True
        return float(vals[self.plan.root])

    def _read_leaves(self) -> None:
        """The leaves' .data into their places (a bound leaf's .data only if it was assigned since bind or the last
        write_back: an assignment is never lost); then remember the write clock."""
        clock = write_clock()
        vals = self._values
        vals[self._read_slice] = [v._data for v in self._read_order]  # (faster than map(attrgetter))
        if self._bound is not None:
            self._bound._take_assigned()
        self._clock = clock

    def gradient(self) -> np.ndarray:
        """∂root/∂(every slot) at the point of the last ``forward()``, in the tape's gradient array (reused: the
        next call overwrites it); no Value's ``.grad`` is touched. A bound array's ``grad`` is a view of it."""
        grads, n = self._grads, len(self.leaves)
        if write_clock() != self._clock:  # some .data was assigned since forward: was it a leaf's?
            self._check_leaves_unchanged()
        for zeroed in self.plan.zeroed:  # the other slots are assigned by their first write (first_writes)
            grads[zeroed] = 0.0
        grads[self.plan.root] = 1.0
        try:
            with np.errstate(all="ignore"):
                if self._prepared:
                    for run in self._run_backward:
                        run()
                else:
                    self.plan.backward(self._values, grads)
            if self.plan.assigns_leaves:
                grads[:n] += 0.0  # an assigned −0.0 → +0.0, as a sum from +0.0 gives it; no other number changes
            # A non-finite gradient anywhere reaches a leaf (finite·inf, 0·inf and inf - inf are not finite): the
            # leaves' gradients are enough to look at.
            fast = bool(np.isfinite(grads[:n]).all())
        except (ArithmeticError, ValueError):  # e.g. an op called inside a derivative, outside its domain
            fast = False
        if not fast:
            found = self._backward_eagerly()  # the leaves in the order of their places
            grads[n:] = 0.0  # the inner slots are not computed by the error path
            grads[:n] = found
        return grads

    def backward(self) -> None:
        """Add ∂root/∂leaf to every leaf's ``.grad``, as ``root.backward()`` on a fresh graph would (an error leaves
        every ``.grad`` as it was)."""
        found = self.gradient()[:len(self.leaves)].tolist()  # the leaves in the order of their places
        leaves = self._in_place_order
        totals = [leaf.grad + g for leaf, g in zip(leaves, found)]
        if not math.isfinite(sum(totals)):  # a non-finite total makes the sum so (an overflowing sum: look closer)
            for leaf, total in zip(leaves, totals):
                if not math.isfinite(total):
                    raise DomainError(f"backward: the gradient of {leaf!r} would become {total} (overflow)")
        for leaf, total in zip(leaves, totals):
            leaf.grad = total

    def bind(self, parameters: Sequence[Value]) -> Bound:
        """Let ``parameters`` (leaves of this tape, e.g. ``model.parameters()``) keep their numbers in one float64
        array, :attr:`Bound.data`, which the tape reads directly: an optimizer steps that array (one numpy operation)
        with the gradients in :attr:`Bound.grad` (filled by :meth:`gradient`), and no Value is read or written
        during a step. The Values' ``.data`` are brought up to date by :meth:`Bound.write_back` (e.g. once after
        training); a ``.data`` assigned while bound is taken into the array by the next forward."""
        if self._bound is not None:
            raise ValueError("Tape.bind: this tape already has bound parameters")
        self.check(parameters)
        places = np.array([self._slot[p] for p in parameters], dtype=np.intp)
        if len(np.unique(places)) != len(places):
            raise ValueError("Tape.bind: a parameter is listed twice")
        self._bound = Bound(self, places)
        unbound = np.ones(len(self.leaves), dtype=bool)
        unbound[places] = False
        self._read_places = np.flatnonzero(unbound)
        self._read_order = [self._in_place_order[i] for i in self._read_places.tolist()]
        self._read_slice = self._read_places
        self._clock = -1  # read everything at the next forward
        return self._bound

    def _check_leaves_unchanged(self) -> None:
        """Raise StaleGraphError if a leaf's .data differs from what the last forward() read (else remember the
        clock, so that the next backward does not look again)."""
        clock = write_clock()
        now = np.fromiter(map(_data, self._read_order), dtype=float, count=len(self._read_order))
        changed = self._read_places[now != self._values[self._read_places]]
        if self._bound is not None:
            changed = np.concatenate([changed, self._bound._assigned()])
        if len(changed):
            i = int(changed[0])
            leaf = self._in_place_order[i]
            raise StaleGraphError(
                f"Tape.backward: {_count(len(changed), 'leaf', 'leaves')} changed since the last forward() (e.g. "
                f"{leaf!r}, which forward() read as {float(self._values[i])!r}); the gradients would belong to the "
                "old point. Call forward() before backward()")
        self._clock = clock

    def _forward_eagerly(self) -> None:
        """The error path of forward: eager code's values, or eager code's error."""
        places = [self._slot[leaf] for leaf in self.leaves]
        nodes = replay_eagerly(self.program, self._values[places].tolist())
        vals, slot = self._values, self._slot
        for recorded, fresh in zip(self.program.nodes, nodes):
            i = slot.get(recorded)
            if i is not None:
                vals[i] = fresh.data

    def _backward_eagerly(self) -> list[float]:
        """The error path of backward: the engine's walk over the program rebuilt at the last forward's values gives
        eager's leaf gradients (in the order of the leaves' places), or raises eager's error."""
        places = [self._slot[leaf] for leaf in self.leaves]
        nodes = replay_eagerly(self.program, self._values[places].tolist())
        place_of = dict(zip(nodes, places))
        found = [0.0] * len(places)
        for node, g, _ in walk(nodes[self.program.root]):
            if node.is_leaf():
                found[place_of[node]] = g
        return found


class Bound:
    """Parameters of a :class:`Tape` whose numbers live in one float64 array (see :meth:`Tape.bind`).

    ``params[k]``'s number is ``data[k]`` and its gradient (after ``tape.gradient()``) ``grad[k]``; both are views
    of the tape's arrays when the parameters' places form one run (a layer's W and b are placed side by side), so
    ``data -= lr * grad`` is a whole SGD step. The order is the tape's (layer by layer, W column by column); use
    :meth:`grad_of` for another order. While bound, the Values' ``.data`` are not updated: :meth:`write_back`
    does it.
    """

    def __init__(self, tape: Tape, places: np.ndarray) -> None:
        order = np.argsort(places, kind="stable")
        self.places = places[order]
        self.params: list[Value] = [tape._in_place_order[i] for i in self.places.tolist()]
        self._tape = tape
        lo, n = int(self.places[0]), len(self.places)
        run = bool((self.places == np.arange(lo, lo + n)).all())
        self._copied: np.ndarray | None = None if run else self.places
        self.data: np.ndarray = tape._values[lo:lo + n] if run else tape._values[self.places].copy()
        self._shown = np.array([p.data for p in self.params])  # the numbers the Values hold
        self.data[:] = self._shown

    @property
    def grad(self) -> np.ndarray:
        """The parameters' gradients from the last ``tape.gradient()``, in the order of ``params``."""
        grads = self._tape._grads
        return grads[self.places[0]:self.places[0] + len(self.places)] if self._copied is None else \
            grads[self.places]

    def grad_of(self, parameters: Sequence[Value]) -> np.ndarray:
        """The gradients of ``parameters`` (bound ones, in any order) from the last ``tape.gradient()``."""
        slot = self._tape._slot
        return self._tape._grads[[slot[p] for p in parameters]]

    def write_back(self) -> None:
        """Assign every parameter's ``.data`` from the array (checked, as any assignment: all or none)."""
        assign(self.params, self.data.tolist())
        self._shown = self.data.copy()

    def _assigned(self) -> np.ndarray:
        """The places of the parameters whose ``.data`` was assigned since bind or the last write_back."""
        now = np.fromiter(map(_data, self.params), dtype=float, count=len(self.params))
        return self.places[now != self._shown]

    def _take_assigned(self) -> None:
        now = np.fromiter(map(_data, self.params), dtype=float, count=len(self.params))
        changed = now != self._shown
        if changed.any():
            self.data[changed] = now[changed]
            self._shown[changed] = now[changed]


class TapeBackend:
    """A ``fit(..., backend=TapeBackend())`` backend: records the batch loss once per batch shape, then replays it.

    The batch's inputs are leaves of the recorded graph, and so are its targets for the named losses that take them
    as numbers (hinge, bce, binary_cross_entropy, squared_error, mse): a later batch of the same shape replays on
    the same tape, whatever its rows and labels (mini-batches: one tape for the full batches and one for the last,
    smaller one). cross_entropy is recorded with each class as a one-hot row of leaves (the same floats), so its
    batches replay too; callable losses (which may branch on the label) are recorded once per distinct sequence
    of labels.

    Every call compares ``model.parameters()`` with the parameters the tape was recorded with (identity): a
    parameter object replaced in the model makes it record again, so the new Value is the one trained.
    When the replay meets an error (an overflow, an operand outside an op's domain), the step is computed again
    by eager code (``value_backend``), which raises eager code's own error, word for word.
    """

    def __init__(self) -> None:
        self._tapes: dict[tuple[Any, ...], _Recorded] = {}
        self._params: list[Value] = []
        self._model_id: int | None = None
        self.recordings = 0  # how many tapes were recorded (for tests and benchmarks)

    def __call__(self, model: Any, batch: Any) -> tuple[float, int]:
        params = model.parameters()
        if id(model) != self._model_id or len(params) != len(self._params) or \
                not all(map(operator.is_, params, self._params)):
            self._tapes.clear()  # another model, or a parameter replaced: every tape read the old Values
            self._model_id, self._params = id(model), params
        targets = _numeric_targets(batch, model)
        numeric = targets is not None
        key = (batch.X.shape, None if numeric else np.asarray(batch.y).tobytes(), batch.loss, batch.l2)
        recorded = self._tapes.get(key)
        if recorded is None:
            recorded = self._tapes[key] = _Recorded(model, batch, targets if numeric else None, params)
            self.recordings += 1
        try:
            return recorded.step(batch, targets if numeric else None)
        except DomainError:
            # The tape's error path replays the recorded program, not the user's code: compute this step as eager
            # code does (every .grad is as it was: an error leaves them), so the error is eager's own.
            return value_backend(model, batch)


# The named losses that use their target only as a number in arithmetic (so it can be a leaf of the tape).
_NUMERIC_TARGETS = {LOSSES[name][0] for name in ("hinge", "bce", "binary_cross_entropy", "squared_error", "mse")}


_CROSS_ENTROPY = LOSSES["cross_entropy"][0]


def _one_hot_cross_entropy(out: Any, onehot: list[Value]) -> Value:
    """softmax_cross_entropy(out, k) with the class as a one-hot row of leaves: log Σ e^zⱼ − Σⱼ tⱼ·zⱼ, on a graph
    that does not depend on the labels, so that every batch of one shape replays on one tape. The picked logit is
    exact (0 + 0·z₀ + 1·z_k + 0·z₂ is z_k) and so are its gradients (∂/∂zⱼ = −tⱼ). As for any recorded
    log_sum_exp, its shift m (the largest logit) is a constant of the recorded batch: later batches differ from
    eager code in the last bits, and an exp that would overflow sends the step to eager code."""
    z = out if isinstance(out, list) else [out]
    return L.log_sum_exp(z) - weighted_sum(onehot, z)


def _numeric_targets(batch: Any, model: Any) -> list[Any] | None:
    """The batch's targets as floats (a float, or a list of floats for several outputs), if its loss takes them as
    numbers, or as one-hot rows for cross_entropy on a model that states its outputs; else None."""
    if batch.loss is _CROSS_ENTROPY:
        nouts = getattr(model, "nouts", None)
        if not (isinstance(nouts, list) and nouts and isinstance(nouts[-1], int)):
            return None
        eye = np.eye(nouts[-1]).tolist()
        return [eye[int(batch.target(y))] for y in batch.y]
    if batch.loss not in _NUMERIC_TARGETS:
        return None
    out: list[Any] = []
    for y in batch.y:
        t = np.asarray(batch.target(y), dtype=float)
        if t.ndim > 1:
            return None
        out.append(float(t) if t.ndim == 0 else t.tolist())
    return out


class _Recorded:
    """One recorded batch loss: its tape, its input and target leaves, and the model's outputs in it.

    The inputs and targets are Values private to the backend: they are bound to the tape's array (see
    :meth:`Tape.bind`), so a batch is written into the array with one numpy assignment and no Value's .data.
    The gradients go to the parameters' .grad only (nobody sees the private leaves' gradients).
    """

    def __init__(self, model: Any, batch: Any, targets: list[Any] | None, params: list[Value]) -> None:
        rows = [[Value(float(v)) for v in x] for x in batch.X]
        inputs = [v for row in rows for v in row]
        target_leaves: list[Value] = []
        if targets is not None:  # the targets as leaves, so that other labels replay on the same tape
            leaves = [[Value(v) for v in t] if isinstance(t, list) else Value(t) for t in targets]
            target_leaves = [v for t in leaves for v in (t if isinstance(t, list) else [t])]
            batch = _with_targets(batch, leaves)
            if batch.loss is _CROSS_ENTROPY:
                batch = dataclasses.replace(batch, loss=_one_hot_cross_entropy)
        total, self.outs = batch_loss(model, batch, rows)
        self.tape = tape = Tape(total)
        slot = tape._slot
        fed = [(k, v) for k, v in enumerate(inputs + target_leaves) if v in slot]  # (a leaf no op reads: none)
        self._fed = np.array([k for k, _ in fed], dtype=np.intp)
        self._bound = tape.bind([v for _, v in fed]) if fed else None
        if self._bound is not None:
            where = {v: i for i, v in enumerate(self._bound.params)}
            self._fed_at = np.array([where[v] for _, v in fed], dtype=np.intp)
        self.params = [p for p in params if p in slot]
        self._param_places = np.array([slot[p] for p in self.params], dtype=np.intp)
        self._outs_flat = [v for o in self.outs for v in (o if isinstance(o, list) else [o])]

    def step(self, batch: Any, targets: list[Any] | None) -> tuple[float, int]:
        tape = self.tape
        if self._bound is not None:
            numbers = batch.X.ravel()
            if targets is not None:
                numbers = np.concatenate([numbers, [v for t in targets for v in (t if isinstance(t, list) else [t])]])
            if not np.isfinite(numbers).all():
                raise ValueError("TapeBackend: the batch holds a number that is not finite")
            self._bound.data[self._fed_at] = numbers[self._fed]
        loss = tape.forward()
        found = tape.gradient()[self._param_places].tolist()
        totals = [p.grad + g for p, g in zip(self.params, found)]
        if not math.isfinite(sum(totals)):
            for p, total in zip(self.params, totals):
                if not math.isfinite(total):
                    raise DomainError(f"backward: the gradient of {p!r} would become {total} (overflow)")
        for p, total in zip(self.params, totals):
            p.grad = total
        correct = 0
        if batch.predict is not None:
            value = tape.value
            for o, t in zip(self.outs, batch.y):
                shown = [value(v) for v in o] if isinstance(o, list) else value(o)  # predict reads floats too
                correct += batch.predict(shown) == int(t)
        return loss, correct


def _with_targets(batch: Any, leaves: list[Any]) -> Any:
    """The batch with its target transform replaced by one that returns the target leaves, row by row."""
    it = iter(leaves)
    return dataclasses.replace(batch, target=lambda _y: next(it))


__all__ = ["Tape", "Bound", "TapeBackend", "Program", "Equation", "Plan", "Group", "LayerGroup", "Kernel",
           "Elementwise", "Sums", "WeightedSums", "SquaredSums", "MatmulLayer", "record", "probe_ops", "fold_sums",
           "batch", "rewrite_layers", "lay_out", "first_writes", "replay_eagerly", "eager_order"]
