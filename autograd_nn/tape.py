"""A recorded graph replayed with numpy: ``Tape(root)`` records once, then forward/backward run vectorized.

Recording walks the graph under ``root`` once and groups its nodes by topological level, op and number of
operands: nodes in one group do not depend on each other, so each group is one numpy call of the op's
``vector`` forward and one call of its ``derivative`` — the op table's own rule, evaluated on arrays (there
is no second copy of any derivative here). Two things keep the number of groups small:

* chains of binary ``+`` that ``sum()`` builds (((0 + a) + b) + c …) are merged into one n-ary sum, so a sum
  of 300 terms is one level instead of 300;
* the operands of a group are fetched with one 2-D gather, and its gradients scattered with one bincount.

Limitation: a tape replays the *structure* it recorded. Python control flow that depends on data (an ``if``
on a Value, a loop whose length depends on data, relu's branch is fine: it is an op) stays frozen as it was
when recorded; build a new Tape then. ``check()`` re-walks the graph and raises if its node or leaf count
changed, and ``forward()`` raises if the number of leaves given differs from the recording.
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
        self._index = index = {id(node): i for i, node in enumerate(order)}
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
        self.leaves = [node for i, node in enumerate(order) if node._op is None and needed[i]]
        self._leaf_idx = np.array([index[id(n)] for n in self.leaves], dtype=np.intp)
        self._root = index[id(root)]
        level = [0] * len(order)
        buckets: dict[tuple[int, object, int], list[int]] = defaultdict(list)
        for i in sorted(recipe):
            op, args = recipe[i]
            level[i] = 1 + max(level[j] for j in args)
            buckets[(level[i], op, len(args))].append(i)
        # A group: (op or _SUM, output indices (k,), operand indices (nargs, k)), in level order.
        self._groups = []
        for (_, op, _), outs in sorted(buckets.items(), key=lambda kv: kv[0][0]):
            cols = np.array([recipe[i][1] for i in outs], dtype=np.intp).T.copy()
            outs_arr = np.array(outs, dtype=np.intp)
            grid = _as_grid(cols) if op is not _SUM and cols.shape[1] > 1 and cols.shape[0] > 2 else None
            if grid is None:
                self._groups.append((op, outs_arr, cols))
            else:  # a layer over a batch: see _Grid
                self._groups.append((op, outs_arr[grid.order].reshape(grid.shape), grid))
        self._values = np.array([node.data for node in order], dtype=float)

    def value(self, node: Value) -> float:
        """A recorded node's value as of the last ``forward()`` (the Values' own .data are not rewritten)."""
        i = self._index.get(id(node))
        if i is None:
            raise KeyError(f"Tape.value: {node!r} is not part of the recorded graph")
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
        vals[self._leaf_idx] = [leaf.data for leaf in self.leaves]
        with np.errstate(all="ignore"):
            for op, outs, cols in self._groups:
                if type(cols) is _Grid:
                    args = [vals[ix] for ix in cols.operands]
                    out = op.vector(*args) if op.vector is not None else np.vectorize(op.forward, otypes=[float])(*args)
                    out = np.broadcast_to(out, cols.shape)
                    if not np.isfinite(out).all():
                        self._raise_forward(op, np.array([np.broadcast_to(a, cols.shape).ravel() for a in args]),
                                            out.ravel())
                    vals[outs] = out
                    continue
                args = vals[cols]  # one gather: row j holds operand j of every node in the group
                if op is _SUM:
                    out = np.add.reduce(args, axis=0)  # row by row: the same order as sum()'s chain of adds
                elif op.vector is not None:
                    out = op.vector(*args)
                else:
                    out = np.vectorize(op.forward, otypes=[float])(*args)
                if not np.isfinite(out).all():
                    self._raise_forward(op, args, out)
                vals[outs] = out
        return float(vals[self._root])

    def backward(self) -> None:
        """Add ∂root/∂leaf to every leaf's ``.grad``, as ``root.backward()`` on a fresh graph would."""
        vals = self._values
        grads = np.zeros(len(vals))
        grads[self._root] = 1.0
        with np.errstate(all="ignore"):
            for op, outs, cols in reversed(self._groups):
                if type(cols) is _Grid:
                    cols.backward(op, vals, outs, grads)
                else:
                    _backward_group(op, outs, cols, vals, grads)
        for leaf, gr in zip(self.leaves, grads[self._leaf_idx].tolist()):
            leaf.grad += gr

    @staticmethod
    def _raise_forward(op: object, args: np.ndarray, out: np.ndarray) -> None:
        k = int(np.argmin(np.isfinite(out)))
        operands = [float(a) for a in args[:, k]]
        if op is _SUM:
            raise DomainError(f"{' + '.join(map(repr, operands))}: the result is too large for a float (overflow)")
        assert isinstance(op, Op)
        raise op.domain_error(operands)

    @staticmethod
    def _checked(op: Op, args: np.ndarray, g: np.ndarray, contrib: np.ndarray) -> np.ndarray:
        # Like backward(): a node whose gradient is 0 passes nothing on, even where its derivative is undefined.
        contrib[:, g == 0.0] = 0.0
        bad = ~np.isfinite(contrib)
        if bad.any():
            k = int(np.argmax(bad.any(axis=0)))
            raise DomainError(f"derivative of {op.describe([float(a) for a in args[:, k]])}: "
                              "not a finite number here")
        return contrib


def _backward_group(op: object, outs: np.ndarray, cols: np.ndarray, vals: np.ndarray, grads: np.ndarray) -> None:
    """grads[operand] += grads[node] · ∂node/∂operand for every node of one group (op's own derivative rule)."""
    g = grads[outs]
    if op is _SUM:  # ∂(a + b + …)/∂each = 1, ADD's rule
        contrib = np.broadcast_to(g, cols.shape)
    else:
        assert isinstance(op, Op)
        args = vals[cols]
        contrib = np.empty(cols.shape)
        for j, d in enumerate(op.derivative(*args, vals[outs])):
            contrib[j] = d
        contrib *= g
        if not np.isfinite(contrib).all():
            contrib = Tape._checked(op, args, g, contrib)
    _scatter_add(grads, cols.ravel(), contrib.ravel())


def _scatter_add(grads: np.ndarray, where: np.ndarray, contrib: np.ndarray) -> None:
    # A full-length bincount is fastest for big groups, but costs O(all nodes): a small group (deep narrow
    # graphs have one per level) uses np.add.at, so backward stays linear in the number of nodes.
    if 8 * len(where) < len(grads):
        np.add.at(grads, where, contrib)
    else:
        grads += np.bincount(where, contrib, minlength=len(grads))


class _Grid:
    """A group that is a layer over a batch: node (s, u) has per-sample operands (rows indexed by s only, e.g.
    the activations a) and shared operands (indexed by u only, e.g. a neuron's w and b).

    Forward evaluates the op once on (S, 1) and (1, U) arrays, broadcast to (S, U). Backward evaluates the op's
    own derivative the same way and contracts it with the gradients G (S, U): a derivative that depends on s
    only (∂z/∂w = a) gives a matrix product Gᵀ·D for the shared operands, one that depends on u only
    (∂z/∂a = w) gives G·D for the per-sample ones; anything else is multiplied and summed element-wise.
    """

    __slots__ = ("shape", "order", "operands", "shared", "plan")

    def __init__(self, shape: tuple[int, int], order: np.ndarray, operands: list[np.ndarray],
                 shared: list[bool]) -> None:
        self.shape, self.order, self.operands, self.shared = shape, order, operands, shared
        self.plan: tuple | None = None  # how to contract each derivative, worked out on the first backward

    def backward(self, op: Op, vals: np.ndarray, outs: np.ndarray, grads: np.ndarray) -> None:
        G = grads[outs]
        partials = op.derivative(*[vals[ix] for ix in self.operands], vals[outs])
        shapes = [np.shape(d) for d in partials]
        if self.plan is None or self.plan[0] != shapes:
            self.plan = (shapes, *self._make_plan(shapes))
        _, by_sample, by_unit, other, where = self.plan
        pieces = []
        if by_sample:  # Σ_s G[s, u]·d_j[s]  for every shared operand j whose derivative depends on s only
            pieces.append((G.T @ np.hstack([partials[j] for j in by_sample])).T.ravel())
        if by_unit:  # Σ_u G[s, u]·d_j[u]  for every per-sample operand j whose derivative depends on u only
            pieces.append((np.vstack([partials[j] for j in by_unit]) @ G.T).ravel())
        for j in other:
            pieces.append((G * partials[j]).sum(axis=0 if self.shared[j] else 1).ravel())
        contrib = np.concatenate(pieces)
        if not np.isfinite(contrib).all():  # redo element by element, which skips zero gradients like backward()
            flat = np.array([np.broadcast_to(ix, self.shape).ravel() for ix in self.operands])
            _backward_group(op, outs.ravel(), flat, vals, grads)
            return
        _scatter_add(grads, where, contrib)

    def _make_plan(self, shapes: list[tuple[int, ...]]) -> tuple[list[int], list[int], list[int], np.ndarray]:
        n_s, n_u = self.shape
        by_sample = [j for j, sh in enumerate(self.shared) if sh and shapes[j] == (n_s, 1)]
        by_unit = [j for j, sh in enumerate(self.shared) if not sh and shapes[j] == (1, n_u)]
        other = [j for j in range(len(shapes)) if j not in by_sample and j not in by_unit]
        where = np.concatenate([self.operands[j].ravel() for j in by_sample + by_unit + other])
        return by_sample, by_unit, other, where


def _as_grid(cols: np.ndarray) -> _Grid | None:
    """Factor a group's operand rows into per-sample and shared ones, if node k ↔ (sample, unit) is a grid."""
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
    order = np.lexsort((first, second))  # sample-major: node (s, u) at s * U + u
    sorted_cols = cols[:, order]
    operands = [sorted_cols[j, :n_u].reshape(1, n_u) if sh else sorted_cols[j, ::n_u].reshape(n_s, 1)
                for j, sh in enumerate(shared)]
    return _Grid((n_s, n_u), order, operands, shared)


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
        from .engine import weighted_sum  # noqa: PLC0415 (local: only needed here)
        from .losses import mean_loss  # noqa: PLC0415

        key = (id(model), batch.X.shape, np.asarray(batch.y).tobytes(), batch.loss, batch.l2)
        if key != self._key:
            rows = [[Value(float(v)) for v in x] for x in batch.X]
            outs = [model(row) for row in rows]
            total = mean_loss([batch.loss(o, batch.target(t)) for o, t in zip(outs, batch.y)])
            if batch.l2:
                ps = model.parameters()
                total = total + batch.l2 * weighted_sum(ps, ps)
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
