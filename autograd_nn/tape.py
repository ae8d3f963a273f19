"""A recorded graph replayed with numpy: ``Tape(root)`` records once, then forward/backward run vectorized.

Recording walks the graph under ``root`` once and groups its nodes by topological level, op and number of
operands: nodes in one group do not depend on each other, so each group is one numpy call of the op's
``vector`` forward and one call of its ``derivative`` — the op table's own rule, evaluated on arrays (there
is no second copy of any derivative here). What keeps it fast:

* chains of binary ``+`` that ``sum()`` builds (((0 + a) + b) + c …) are merged into one n-ary sum, so a sum
  of 300 terms is one level instead of 300;
* a layer over a batch (the same weighted sum for every sample) is one matrix product each way (``_Grid``);
* every node gets a slot in one value array and one gradient array, and a group's nodes get consecutive slots,
  laid out in the order of their operands, so most reads and writes are slices (views), not gathers;
* non-finite numbers are looked for once per pass; only when there is one is the pass redone group by group,
  to raise the same DomainError that ``backward()`` would, naming the op and its operands.

A graph that is deep and narrow (a chain: one node per level) gains nothing from numpy and replays slower
than ``backward()``; the tape is for wide graphs such as a network over a batch.

Limitation: a tape replays the *structure* it recorded. Python control flow that depends on data (an ``if``
on a Value, a loop whose length depends on data; relu's branch is fine: it is an op) stays frozen as it was
when recorded; build a new Tape then. ``check()`` re-walks the graph and raises if its node or leaf count
changed since it was recorded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from .engine.autodiff import topological_order
from .engine.errors import DomainError
from .engine.ops import ADD, Op
from .engine.value import Value

_SUM = "sum"  # group kind of merged add chains


class Tape:
    """Record the graph under ``root`` once; ``forward()`` and ``backward()`` replay it with numpy.

    ``forward()`` recomputes every node from the leaves' current ``.data`` and returns root's value;
    ``backward()`` adds ∂root/∂leaf to every leaf's ``.grad``, exactly as ``root.backward()`` would.
    """

    def __init__(self, root: Value) -> None:
        if type(root) is not Value:
            raise TypeError(f"Tape: root must be a Value, got {type(root).__name__} {root!r}")
        order = topological_order(root)
        self.root = root
        self.n_nodes = len(order)
        index = {id(node): i for i, node in enumerate(order)}
        uses = [0] * len(order)
        for node in order:
            for p in node._prev:
                uses[index[id(p)]] += 1

        def operands(node: Value) -> tuple[object, list[int]]:
            # An add whose add-operands are used nowhere else becomes one n-ary sum, in sum()'s order.
            if node._op is not ADD:
                return node._op, [index[id(p)] for p in node._prev]
            flat: list[int] = []
            stack = [node._prev[1], node._prev[0]]
            while stack:
                p = stack.pop()
                i = index[id(p)]
                if p._op is ADD and uses[i] == 1:
                    stack += [p._prev[1], p._prev[0]]
                else:
                    flat.append(i)
            return (_SUM if len(flat) > 2 else ADD), flat

        # Walk from the root, so nodes merged into a sum are never replayed themselves.
        needed = [False] * len(order)
        needed[index[id(root)]] = True
        recipe: dict[int, tuple[object, list[int]]] = {}
        for i in range(len(order) - 1, -1, -1):
            node = order[i]
            if not needed[i] or node._op is None:
                continue
            recipe[i] = operands(node)
            for j in recipe[i][1]:
                needed[j] = True
        leaves = [i for i, node in enumerate(order) if node._op is None and needed[i]]
        level = [0] * len(order)
        buckets: dict[tuple[int, object, int], list[int]] = defaultdict(list)
        for i in sorted(recipe):
            op, args = recipe[i]
            level[i] = 1 + max(level[j] for j in args)
            buckets[(level[i], op, len(args))].append(i)
        # Slots: the leaves first, then each group's outputs side by side, so that a group reads and writes
        # its own values and gradients as one slice (a view) instead of a gather and a scatter. A group's nodes
        # are laid out in the order of their operands' slots (for a layer over a batch: sample-major, node
        # (s, u) at s·U + u), so that the next group often finds its operands as a run of slots too.
        slot = np.full(len(order), -1, dtype=np.intp)
        slot[leaves] = np.arange(len(leaves))
        start = len(leaves)
        self._groups: list[_Group | _Grid] = []
        for (_, op, _), outs in sorted(buckets.items(), key=lambda kv: kv[0][0]):
            cols = slot[np.array([recipe[i][1] for i in outs], dtype=np.intp).T]  # operands: earlier levels
            layout = _grid_layout(cols) if op is not _SUM and cols.shape[1] > 1 and cols.shape[0] > 2 else None
            if layout is not None:
                by = layout[1]
            elif op is not _SUM:
                by = np.lexsort(cols[::-1])  # by the first operand's slot, then the second's, …
            else:
                by = np.arange(len(outs))
            cols = cols[:, by].copy()
            stop = start + len(outs)
            slot[np.asarray(outs)[by]] = np.arange(start, stop)
            if layout is None:
                self._groups.append(_Group(op, start, stop, cols))
            else:
                self._groups.append(_Grid(op, start, stop, layout[0], cols, layout[2]))
            start = stop
        self.leaves = [order[i] for i in leaves]
        self._slot = {id(order[i]): int(slot[i]) for i in range(len(order)) if slot[i] >= 0}
        self._root = int(slot[index[id(root)]])
        self._values = np.empty(start)
        for i in np.flatnonzero(slot >= 0).tolist():
            self._values[slot[i]] = order[i].data

    def value(self, node: Value) -> float:
        """A recorded node's value as of the last ``forward()`` (the Values' own .data are not rewritten)."""
        i = self._slot.get(id(node))
        if i is None:
            raise KeyError(f"Tape.value: {node!r} is not part of the recorded graph (or is an inner term of a "
                           "sum that the tape replays as one n-ary sum)")
        return float(self._values[i])

    def check(self) -> None:
        """Raise ValueError if the graph under root no longer has the recorded number of nodes and leaves."""
        order = topological_order(self.root)
        leaves = sum(1 for node in order if node._op is None)
        recorded = len(self.leaves)
        if len(order) != self.n_nodes or leaves != recorded:
            raise ValueError(f"Tape: the graph changed since it was recorded ({self.n_nodes} nodes then, "
                             f"{len(order)} now; {recorded} leaves then, {leaves} now); record a new Tape")

    def forward(self) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value."""
        vals = self._values
        vals[:len(self.leaves)] = [leaf.data for leaf in self.leaves]
        with np.errstate(all="ignore"):
            for group in self._groups:
                group.forward(vals)
        # One check at the end instead of one per group: every group's output stays in vals, so a non-finite
        # value anywhere is still there; only then look for the first group that made one, to name it.
        if not np.isfinite(vals).all():
            self._raise_forward_error()
        return float(vals[self._root])

    def backward(self) -> None:
        """Add ∂root/∂leaf to every leaf's ``.grad``, as ``root.backward()`` on a fresh graph would."""
        vals = self._values
        grads = np.zeros(len(vals))
        grads[self._root] = 1.0
        with np.errstate(all="ignore"):
            for group in reversed(self._groups):
                group.backward(vals, grads)
            if not np.isfinite(grads).all():
                # The fast pass let a non-finite number through: redo it group by group with backward()'s rules
                # (a zero gradient passes nothing on, an undefined derivative is an error that names the op).
                grads = np.zeros(len(vals))
                grads[self._root] = 1.0
                for group in reversed(self._groups):
                    _careful_backward(group.op, *group.flat_operands(), vals, grads)
                if not np.isfinite(grads).all():
                    raise DomainError("Tape.backward: a gradient overflowed (is too large for a float)")
        for leaf, gr in zip(self.leaves, grads[:len(self.leaves)].tolist()):
            leaf.grad += gr

    def _raise_forward_error(self) -> None:
        vals = self._values
        for group in self._groups:
            out = vals[group.start:group.stop]
            if not np.isfinite(out).all():
                outs, cols = group.flat_operands()
                k = int(np.argmin(np.isfinite(out)))
                operands = [float(a) for a in vals[cols[:, k]]]
                if group.op is _SUM:
                    raise DomainError(f"{' + '.join(map(repr, operands))}: the result is too large for a float "
                                      "(overflow)")
                assert isinstance(group.op, Op)
                raise group.op.domain_error(operands)
        bad = [leaf for leaf in self.leaves if not np.isfinite(leaf.data)]
        raise ValueError(f"Tape.forward: leaf {bad[0]!r} holds a non-finite number; leaves must be finite")


def _forward_op(op: Any, args: Any) -> Any:
    if op.vector is not None:
        return op.vector(*args)
    return np.vectorize(op.forward, otypes=[float])(*args)


class _Slots:
    """A fixed set of slots in the value/gradient arrays, with the fastest way to read and add to them.

    A run of consecutive slots (relu over the layer just before it, the layer after a relu) is a slice: a view,
    no copy. Other sets are gathered; adding to them is ``arr[index] += x`` when no slot repeats and
    ``np.add.at`` (which accumulates repeats) when one does, as in x * x.
    """

    __slots__ = ("index", "shape", "repeats")

    def __init__(self, where: np.ndarray) -> None:
        flat = where.ravel()
        self.shape = where.shape
        self.repeats = len(np.unique(flat)) < flat.size
        if flat.size > 1 and (np.diff(flat) == 1).all():
            self.index: slice | np.ndarray = slice(int(flat[0]), int(flat[-1]) + 1)
        else:
            self.index = where

    def read(self, arr: np.ndarray) -> np.ndarray:
        if type(self.index) is slice:
            return arr[self.index].reshape(self.shape)
        return arr[self.index]

    def add(self, arr: np.ndarray, contrib: Any) -> None:
        if type(self.index) is slice:
            view = arr[self.index].reshape(self.shape)
            view += contrib
        elif self.repeats:
            np.add.at(arr, self.index, np.broadcast_to(contrib, self.shape))
        else:
            arr[self.index] += contrib


class _Group:
    """Nodes of one op at one topological level: they do not depend on each other, so one numpy call each way.

    Their outputs are the slots start…stop; ``cols[j]`` holds operand j of every node.
    """

    __slots__ = ("op", "start", "stop", "cols", "block", "rows")

    def __init__(self, op: Any, start: int, stop: int, cols: np.ndarray) -> None:
        self.op, self.start, self.stop, self.cols = op, start, stop, cols
        # A sum reads all its operand rows (hundreds, for sum()) as one block; another op, operand j of every
        # node as row j.
        self.block = _Slots(cols) if op is _SUM else None
        self.rows = [_Slots(row) for row in cols] if op is not _SUM else []

    def flat_operands(self) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(self.start, self.stop), self.cols

    def forward(self, vals: np.ndarray) -> None:
        if self.op is _SUM:  # added row by row: the order of sum()'s chain of adds
            vals[self.start:self.stop] = np.add.reduce(self.block.read(vals), axis=0)
        else:
            vals[self.start:self.stop] = _forward_op(self.op, [row.read(vals) for row in self.rows])

    def backward(self, vals: np.ndarray, grads: np.ndarray) -> None:
        g = grads[self.start:self.stop]  # a view; operands sit at lower slots, so it is never written here
        if self.op is _SUM:  # ∂(a + b + …)/∂each = 1, ADD's rule
            self.block.add(grads, g)
            return
        partials = self.op.derivative(*[row.read(vals) for row in self.rows], vals[self.start:self.stop])
        for row, d in zip(self.rows, partials):  # the op table's rule, on arrays
            row.add(grads, d * g)


def _careful_backward(op: Any, outs: np.ndarray, cols: np.ndarray, vals: np.ndarray, grads: np.ndarray) -> None:
    """One group's backward with backward()'s rules for non-finite numbers (the slow path, used after a NaN/inf)."""
    g = grads[outs]
    if op is _SUM:
        contrib = np.broadcast_to(g, cols.shape)
    else:
        args = vals[cols]
        contrib = np.empty(cols.shape)
        for j, d in enumerate(op.derivative(*args, vals[outs])):
            contrib[j] = d
        contrib *= g
        contrib[:, g == 0.0] = 0.0  # like backward(): a node whose gradient is 0 passes nothing on
        bad = ~np.isfinite(contrib)
        if bad.any():
            k = int(np.argmax(bad.any(axis=0)))
            raise DomainError(f"derivative of {op.describe([float(a) for a in args[:, k]])}: "
                              "not a finite number here")
    np.add.at(grads, cols.ravel(), contrib.ravel())


class _Grid:
    """A group that is a layer over a batch: node (s, u) has per-sample operands (indexed by s only, e.g. the
    activations a) and shared operands (indexed by u only, e.g. a neuron's w and b).

    The shared operands are read as one (n_shared, U) block and the per-sample ones as one (S, n_sample) block;
    the op sees row (1, U) and column (S, 1) views of them and broadcasts to (S, U). Backward evaluates the op's
    own derivative the same way and contracts it with the gradients G (S, U): a derivative that depends on s
    only (∂z/∂w = a) gives a matrix product for the shared operands, one that depends on u only (∂z/∂a = w)
    gives one for the per-sample operands; anything else is multiplied and summed element-wise.
    """

    __slots__ = ("op", "start", "stop", "shape", "shared", "blocks", "views", "operand_ix", "position", "plan")

    def __init__(self, op: Any, start: int, stop: int, shape: tuple[int, int], cols: np.ndarray,
                 shared: list[bool]) -> None:
        n_u = shape[1]
        self.op, self.start, self.stop, self.shape, self.shared = op, start, stop, shape, shared
        shared_j = [j for j, sh in enumerate(shared) if sh]
        sample_j = [j for j, sh in enumerate(shared) if not sh]
        # Each block's operands are put in the order of their slots (a layer's activations may sit in another
        # order than the weights that read them), so that a block is often one run of slots: a slice.
        shared_j.sort(key=lambda j: cols[j, 0])
        sample_j.sort(key=lambda j: cols[j, 0])
        shared_ix = np.array([cols[j, :n_u] for j in shared_j])
        sample_ix = np.array([cols[j, ::n_u] for j in sample_j]).T.copy()
        self.blocks = (_Slots(shared_ix), _Slots(sample_ix))
        # Operand j as (block, index into the block): a row of the shared block or a column of the other.
        self.views: list[tuple[int, Any]] = [(0, ())] * len(shared)
        self.operand_ix: list[np.ndarray] = [np.empty(0, dtype=np.intp)] * len(shared)
        self.position = [0] * len(shared)  # operand j's row or column in its block
        for b, js in enumerate((shared_j, sample_j)):
            for k, j in enumerate(js):
                where = (slice(k, k + 1),) if b == 0 else (slice(None), slice(k, k + 1))
                self.views[j] = (b, where)
                self.operand_ix[j] = (shared_ix if b == 0 else sample_ix)[where]  # (1, U) or (S, 1)
                self.position[j] = k
        self.plan: tuple | None = None  # how to contract each derivative, worked out on the first backward

    def flat_operands(self) -> tuple[np.ndarray, np.ndarray]:
        cols = np.array([np.broadcast_to(ix, self.shape).ravel() for ix in self.operand_ix])
        return np.arange(self.start, self.stop), cols

    def _args(self, vals: np.ndarray) -> list[np.ndarray]:
        blocks = (self.blocks[0].read(vals), self.blocks[1].read(vals))  # two reads for the whole layer
        return [blocks[b][where] for b, where in self.views]

    def forward(self, vals: np.ndarray) -> None:
        vals[self.start:self.stop].reshape(self.shape)[...] = _forward_op(self.op, self._args(vals))

    def backward(self, vals: np.ndarray, grads: np.ndarray) -> None:
        G = grads[self.start:self.stop].reshape(self.shape)
        partials = self.op.derivative(*self._args(vals), vals[self.start:self.stop].reshape(self.shape))
        shapes = tuple(d.shape if type(d) is np.ndarray else () for d in partials)
        if self.plan is None or self.plan[0] != shapes:
            self.plan = self._make_plan(shapes)
        _, by_sample, by_unit, other = self.plan
        if by_sample:  # Σ_s G[s, u]·d_j[s] for every shared operand j whose derivative depends on s only
            js, target = by_sample
            target.add(grads, np.concatenate([partials[j] for j in js], axis=1).T @ G)
        if by_unit:  # Σ_u G[s, u]·d_j[u] for every per-sample operand j whose derivative depends on u only
            js, target = by_unit
            target.add(grads, G @ np.concatenate([partials[j] for j in js], axis=0).T)
        for j, target in other:
            target.add(grads, (G * partials[j]).sum(axis=0 if self.shared[j] else 1))

    def _make_plan(self, shapes: tuple[tuple[int, ...], ...]) -> tuple:
        n_s, n_u = self.shape
        # In block order, so that the gradients of a whole block are added through its slice when it has one.
        sample_d = sorted((j for j, sh in enumerate(self.shared) if sh and shapes[j] == (n_s, 1)),
                          key=self.position.__getitem__)
        unit_d = sorted((j for j, sh in enumerate(self.shared) if not sh and shapes[j] == (1, n_u)),
                        key=self.position.__getitem__)
        by_sample = (sample_d, _Slots(np.concatenate([self.operand_ix[j] for j in sample_d]))) if sample_d else None
        by_unit = (unit_d, _Slots(np.concatenate([self.operand_ix[j] for j in unit_d], axis=1))) if unit_d else None
        other = [(j, _Slots(self.operand_ix[j].ravel())) for j in range(len(shapes))
                 if j not in sample_d and j not in unit_d]
        return shapes, by_sample, by_unit, other


def _grid_layout(cols: np.ndarray) -> tuple[tuple[int, int], np.ndarray, list[bool]] | None:
    """If node k ↔ (sample, unit) is a grid, its shape, the sample-major node order and which rows are shared."""
    labels = [np.unique(row, return_inverse=True) for row in cols]
    k = cols.shape[1]

    def same_partition(x: np.ndarray, y: np.ndarray) -> bool:
        return len(np.unique(x * k + y)) == len(np.unique(x)) == len(np.unique(y))

    first = labels[0][1]
    shared = [same_partition(first, inv) for _, inv in labels]
    other = [j for j, sh in enumerate(shared) if not sh]
    if not other:
        return None
    second = labels[other[0]][1]
    if not all(same_partition(second, labels[j][1]) for j in other):
        return None
    n_u, n_s = len(np.unique(first)), len(np.unique(second))
    if n_u * n_s != k or len(np.unique(second * k + first)) != k:
        return None
    return (n_s, n_u), np.lexsort((first, second)), shared


class TapeBackend:
    """A ``fit(..., backend=TapeBackend())`` backend: records the batch loss once, then replays it with a Tape.

    The tape is rebuilt whenever the batch's shape or labels change (labels are constants inside the graph);
    for full-batch training it is recorded once, on the first epoch.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._tape: Tape | None = None
        self._inputs: list[Value] = []
        self._outs: list[Any] = []

    def __call__(self, model: Any, batch: Any) -> tuple[float, int]:
        from .train import batch_loss  # noqa: PLC0415 (local: only needed here)

        key = (id(model), batch.X.shape, np.asarray(batch.y).tobytes(), batch.loss, batch.l2)
        if key != self._key:
            # The inputs are leaves too, so that a later batch of the same shape replays on the same tape.
            rows = [[Value(float(v)) for v in x] for x in batch.X]
            total, outs = batch_loss(model, batch, rows)
            self._key, self._tape, self._outs = key, Tape(total), outs
            self._inputs = [v for row in rows for v in row]
        tape = self._tape
        assert tape is not None
        for v, x in zip(self._inputs, batch.X.ravel().tolist()):
            v.data = x
        loss = tape.forward()
        tape.backward()
        correct = 0
        if batch.predict is not None:
            for o, t in zip(self._outs, batch.y):
                shown = [Value(tape.value(v)) for v in o] if isinstance(o, list) else Value(tape.value(o))
                correct += batch.predict(shown) == int(t)
        return loss, correct


__all__ = ["Tape", "TapeBackend"]
