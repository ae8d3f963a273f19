"""The runtime: :class:`Tape` records a graph once, compiles it with the passes, and replays it with numpy.

``forward()`` and ``gradient()`` run the plan's kernels over two float64 arrays (values and gradients, one place
per node). The fast path looks for non-finite numbers once per pass; when it finds one (0·inf, an overflow, an op
outside its domain) there is one error path: the recorded program is rebuilt on fresh Values
(``program.replay_eagerly``) and the engine's own ``walk`` runs over it, so the tape raises eager code's
DomainError or gives eager code's gradients (a zero gradient passes nothing on, so sqrt'(0) in ``sqrt(x) * 0`` is
no error). There is no chain-rule rule of its own here.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..engine import DomainError, StaleGraphError, Value, walk, write_clock
from .accumulate import eager_sums
from .bound import Bound
from .layout import lay_out
from .passes import batch, float_forms, fold_sums, probe_ops, rewrite_layers
from .plan import compile_plan, first_writes
from .program import count, record, replay_eagerly
from .sum_kernels import MatmulLayer
from .threads import one_thread

PREPARED_KERNELS = 256  # a plan of at most this many kernels keeps its kernels prepared (see Tape.__init__)



def _all_finite(arr: np.ndarray) -> bool:
    """Whether every number of ``arr`` is finite: its sum is (a NaN or an infinity makes any sum NaN or infinite;
    one pass, no array of flags), or else, for a sum that overflowed, every number is."""
    return math.isfinite(np.add.reduce(arr)) or bool(np.isfinite(arr).all())


class Tape:
    """Record the graph under ``root`` once; ``forward()`` and ``backward()`` replay it with numpy.

    ``forward()`` recomputes every node from the leaves' current ``.data`` and returns root's value;
    ``backward()`` adds ∂root/∂leaf to every leaf's ``.grad``, as ``root.backward()`` would, at the point of the
    last ``forward()`` (the recorded one before any): if a leaf's ``.data`` changed since, those gradients would
    belong to the old point, so backward raises StaleGraphError (call ``forward()`` first).

    ``program`` is the recorded :class:`~autograd_nn.tape.program.Program` (``print(tape.program)``: slots
    ``s…``); ``plan`` the compiled :class:`~autograd_nn.tape.plan.Plan` (``print(tape)``: places ``p…``);
    ``place(value)`` is a recorded Value's place in the arrays ``values`` and ``gradients``.

    Where the numbers may differ from eager code's (see the README's Tape section): a layer's matrix product adds
    z's terms, and the gradients it passes back, in BLAS's order (their last bits, and a relu reading such a z at
    ±0); an element-wise op other than + − × ÷, sqrt and the branch ops runs numpy's function (``np.tanh``),
    which may differ from ``math`` in the last bit, except where a branch reads it (then its float form runs).
    A node's gradient contributions are added in the order of the engine's walk (``accumulate.eager_sums``).
    """

    def __init__(self, root: Value) -> None:
        if type(root) is not Value:
            raise TypeError(f"Tape: root must be a Value, got {type(root).__name__} {root!r}")
        self.root = root
        # Recording, the passes and the kernels make a few small objects per node (equations, tuples of slots),
        # none in a reference cycle. Made with the cyclic garbage collector running, they would trigger it again
        # and again, and each full collection walks every object alive, the whole graph among them; paused, the
        # collector meets them once, afterwards, and finds nothing to free either way.
        running = gc.isenabled()
        gc.disable()
        try:
            self._compile(root)
        finally:
            if running:
                gc.enable()

    def _compile(self, root: Value) -> None:
        """Record the graph, run the passes, lay out the arrays and prepare the kernels (see ``__init__``)."""
        self.program = program = record(root)
        probe_ops(program)
        folded = fold_sums(program)
        layout = lay_out(folded, rewrite_layers(batch(folded, float_forms(folded))))
        compiled = compile_plan(layout, folded.root, folded.n_inputs)
        self.plan = plan = first_writes(eager_sums(compiled, program, folded, layout.place))
        self.leaves = program.leaves
        self.n_nodes = program.n_slots
        place = layout.place
        self._place = dict(zip(folded.nodes, place.tolist()))
        n = len(self.leaves)
        self._leaf_at = [self.leaves[k] for k in np.argsort(place[:n]).tolist()]  # the leaf at each place
        self._values = np.zeros(plan.size)  # (the places after the nodes' hold gradient contributions only)
        self._values[place] = [v.data for v in folded.nodes]
        self._grads = np.zeros(plan.size)
        # Preparing a kernel saves making its views at every call but costs memory (a few functions and views):
        # worth it for the few wide groups of a network over a batch, not for a deep chain of one-node groups.
        self._prepared = len(plan.kernels) <= PREPARED_KERNELS
        prepared = [k.prepare(self._values, self._grads) for k in plan.kernels] if self._prepared else []
        self._run_forward = [f for f, _ in prepared]
        self._run_backward = [b for _, b in reversed(prepared)]
        self._clock = write_clock()  # the write clock when the leaves' data were last read into _values
        self._leaf_set: set[Value] | None = None
        self._bound: Bound | None = None
        self._read = self._leaf_at  # the leaves forward reads from their Values, and where
        self._read_at: Any = slice(0, n)
        # Small matrix products run with one BLAS thread (see threads.py): a busy machine makes threads wait.
        largest = max((k.A.shape[0] * k.A.shape[1] * k.shape[1] for k in plan.kernels if isinstance(k, MatmulLayer)),
                      default=0)
        self._threads = one_thread(largest)

    def __str__(self) -> str:
        return str(self.plan)

    __repr__ = __str__

    @property
    def values(self) -> np.ndarray:
        """The value array (one place per node, see :meth:`place`) as of the last ``forward()``; reused."""
        return self._values

    @property
    def gradients(self) -> np.ndarray:
        """The gradient array as of the last ``gradient()`` (∂root/∂node at each node's place, see :meth:`place`;
        places after the nodes' hold single contributions, see ``accumulate``); reused."""
        return self._grads

    def place(self, node: Value) -> int:
        """A recorded Value's place in :attr:`values` and :attr:`gradients` (printed ``p…`` in the plan)."""
        i = self._place.get(node)
        if i is None:
            raise KeyError(f"Tape.place: {node!r} is not part of the recorded graph (or is an inner term of a "
                           "sum that the tape replays as one n-ary sum)")
        return i

    def value(self, node: Value) -> float:
        """A recorded node's value as of the last ``forward()`` (the Values' own .data are not rewritten)."""
        return float(self._values[self.place(node)])

    def check(self, parameters: Iterable[Value]) -> None:
        """Raise ValueError if one of ``parameters`` (e.g. ``model.parameters()``) is not a leaf of the recorded
        graph: a parameter object replaced in the model after recording, which the tape would never read nor give
        a gradient."""
        if self._leaf_set is None:
            self._leaf_set = set(self.leaves)
        given = list(parameters)
        foreign = [i for i, p in enumerate(given) if p not in self._leaf_set]
        if foreign:
            i = foreign[0]
            what = count(len(foreign), "parameter is not a leaf", "parameters are not leaves")
            raise ValueError(f"Tape.check: {what} of the recorded graph (the first: parameter {i}, "
                             f"{given[i]!r}); the tape would neither read it nor give it a gradient. Was it "
                             "replaced in the model after the Tape was recorded? Record a new Tape")

    def forward(self) -> float:
        """Recompute every node from the leaves' current ``.data`` (a bound leaf: from its array, or from its Value
        if that was assigned since); return the root's value. The leaves are read only when some ``.data`` was
        assigned since they were last read (the engine's write clock moved): a step that writes no Value reads
        none."""
        vals = self._values
        if write_clock() != self._clock:
            self._read_leaves()
        if self._bound is not None:
            self._bound.before_forward()
        # The finite check once, at the end: every value stays in vals.
        fast = self._run(self._run_forward, lambda: self.plan.forward(vals, self._grads), lambda: _all_finite(vals))
        if not fast:
            self._forward_eagerly()
        return float(vals[self.plan.root])

    def _run(self, prepared: list[Callable[[], None]], unprepared: Callable[[], None],
             finish: Callable[[], bool]) -> bool:
        """One pass of the plan (its kernels prepared over the tape's two arrays, or the plan itself), with the
        tape's BLAS thread bound (threads.py), then ``finish()`` (its numbers' check); False if an op raised (outside
        its domain, a user op's own error) or the check failed: the caller then takes eager code's path, which
        raises eager code's error or gives eager code's numbers."""
        threads = self._threads
        if threads is not None:
            threads[0]()
        try:
            with np.errstate(all="ignore"):
                if self._prepared:
                    for run in prepared:
                        run()
                else:
                    unprepared()
                return finish()
        except (ArithmeticError, ValueError):
            return False
        finally:
            if threads is not None:
                threads[1]()

    def _read_leaves(self) -> None:
        """The unbound leaves' .data into their places; then remember the write clock."""
        clock = write_clock()
        # The engine's slot, not the public property (a function call per Value): this is the loop of every
        # unbound tape's forward after an optimizer's step.
        self._values[self._read_at] = [v._data for v in self._read]
        self._clock = clock

    def gradient(self) -> np.ndarray:
        """∂root/∂(every place) at the point of the last ``forward()``, in the tape's gradient array (reused: the
        next call overwrites it); no Value's ``.grad`` is touched. A bound array's ``grad`` is a view of it.
        Raises StaleGraphError if a leaf's number changed since that forward (a Value's ``.data``, or a bound
        array stepped), as the gradient would belong to neither point."""
        grads, n = self._grads, len(self.leaves)
        if write_clock() != self._clock:  # some .data was assigned since forward: was it a leaf's?
            self._check_leaves_unchanged()
        if self._bound is not None:
            self._bound.check_unchanged()
        for zeroed in self.plan.zeroed:  # the other places are assigned by their first write (first_writes)
            grads[zeroed] = 0.0
        grads[self.plan.root] = 1.0
        fast = self._run(self._run_backward, lambda: self.plan.backward(self._values, grads), self._leaf_gradients)
        if not fast:
            found = self._backward_eagerly()  # the leaves in the order of their places
            grads[n:] = 0.0  # the inner places are not computed by the error path
            grads[:n] = found
        return grads

    def _leaf_gradients(self) -> bool:
        """The end of a gradient pass: an assigned −0.0 at a leaf → +0.0, as a sum from +0.0 gives it (no other
        number changes); then whether every leaf's gradient is finite. A non-finite gradient anywhere reaches a
        leaf (finite·inf, 0·inf and inf - inf are not finite): the leaves' gradients are enough to look at."""
        leaves = self._grads[:len(self.leaves)]
        if self.plan.assigns_leaves:
            leaves += 0.0
        return _all_finite(leaves)

    def backward(self) -> None:
        """Add ∂root/∂leaf to every leaf's ``.grad``, as ``root.backward()`` on a fresh graph would (an error leaves
        every ``.grad`` as it was)."""
        found = self.gradient()[:len(self.leaves)].tolist()  # the leaves in the order of their places
        leaves = self._leaf_at
        totals = [leaf.grad + g for leaf, g in zip(leaves, found)]
        if not np.isfinite(totals).all():
            for leaf, total in zip(leaves, totals):
                if not math.isfinite(total):
                    raise DomainError(f"backward: the gradient of {leaf!r} would become {total} (overflow)")
        for leaf, total in zip(leaves, totals):
            leaf.grad = total

    def bind(self, parameters: Iterable[Value]) -> Bound:
        """Let ``parameters`` (leaves of this tape, e.g. ``model.parameters()``; any iterable, not empty) keep their
        numbers in one float64 array, :attr:`Bound.data`, which the tape reads directly: an optimizer steps that
        array (one numpy operation) with the gradients in :attr:`Bound.grad` (filled by :meth:`gradient`), and no
        Value is read or written during a step. See :class:`~autograd_nn.tape.bound.Bound`."""
        if self._bound is not None:
            raise ValueError("Tape.bind: this tape already has bound parameters")
        given = list(parameters)
        if not given:
            raise ValueError("Tape.bind: no parameters given (an empty iterable); bind the leaves whose numbers "
                             "an optimizer steps, e.g. tape.bind(model.parameters())")
        for p in given:
            if type(p) is not Value:
                raise TypeError(f"Tape.bind: expected Values, got {type(p).__name__} {p!r}")
        self.check(given)
        places = [self._place[p] for p in given]
        if len(set(places)) != len(places):
            raise ValueError("Tape.bind: a parameter is listed twice")
        self._bound = Bound(self, given)
        unbound = np.ones(len(self.leaves), dtype=bool)
        unbound[places] = False
        at = np.flatnonzero(unbound)
        self._read_at = at
        self._read = [self._leaf_at[i] for i in at.tolist()]
        self._clock = -1  # read everything at the next forward
        return self._bound

    def _check_leaves_unchanged(self) -> None:
        """Raise StaleGraphError if an unbound leaf's .data differs from what the last forward() read (else remember
        the clock, so that the next gradient does not look again)."""
        clock = write_clock()
        now = np.array([v.data for v in self._read], dtype=float)
        at = np.arange(len(self.leaves))[self._read_at]
        changed = at[now != self._values[at]]
        if len(changed):
            i = int(changed[0])
            raise StaleGraphError(
                f"Tape.backward: {count(len(changed), 'leaf', 'leaves')} changed since the last forward() (e.g. "
                f"{self._leaf_at[i]!r}, which forward() read as {float(self._values[i])!r}); the gradients would "
                "belong to the old point. Call forward() before backward()")
        self._clock = clock

    def _leaf_data(self) -> list[float]:
        return self._values[[self._place[leaf] for leaf in self.leaves]].tolist()

    def _forward_eagerly(self) -> None:
        """The error path of forward: eager code's values, or eager code's error."""
        nodes = replay_eagerly(self.program, self._leaf_data())
        vals, place = self._values, self._place
        for recorded, fresh in zip(self.program.nodes, nodes):
            i = place.get(recorded)
            if i is not None:
                vals[i] = fresh.data

    def _backward_eagerly(self) -> list[float]:
        """The error path of backward: the engine's walk over the program rebuilt at the last forward's values gives
        eager's leaf gradients (in the order of the leaves' places), or raises eager's error."""
        places = [self._place[leaf] for leaf in self.leaves]
        nodes = replay_eagerly(self.program, self._leaf_data())
        place_of = dict(zip(nodes, places))
        found = [0.0] * len(places)
        for node, g, _ in walk(nodes[self.program.root]):
            if node.op is None:
                found[place_of[node]] = g
        return found


__all__ = ["Tape", "PREPARED_KERNELS"]
