"""A recorded graph replayed with numpy: ``Tape(root)`` records once, then forward/backward run vectorized.

The nodes under ``root`` are grouped by topological level and op: nodes in one group do not depend on each
other, so each group is one numpy call of the op's ``vector`` forward and one call of its ``derivative``
(the op table's own rule, evaluated on arrays; there is no second copy of any derivative here).

Limitation: the tape replays the *structure* it recorded. Python control flow that depends on data (an ``if``
on a Value, a loop whose length depends on data) is frozen as it was when recorded; rebuild the tape then.
``check()`` re-walks the graph and raises if its node or leaf count changed.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .engine.autodiff import topological_order
from .engine.errors import DomainError
from .engine.value import Value


class Tape:
    """Record the graph under ``root`` once; ``forward()`` and ``backward()`` replay it with numpy."""

    def __init__(self, root: Value) -> None:
        if type(root) is not Value:
            raise TypeError(f"Tape: root must be a Value, got {type(root).__name__}")
        order = topological_order(root)
        index = {id(node): i for i, node in enumerate(order)}
        self.root = root
        self.n_nodes = len(order)
        self.leaves = [node for node in order if node._op is None]
        self._leaf_idx = np.array([index[id(node)] for node in self.leaves], dtype=np.intp)
        self._root_idx = index[id(root)]
        level = [0] * len(order)
        buckets: dict[tuple[int, object, int], list[int]] = defaultdict(list)
        for i, node in enumerate(order):
            if node._op is None:
                continue
            level[i] = 1 + max(level[index[id(p)]] for p in node._prev)
            buckets[(level[i], node._op, len(node._prev))].append(i)
        # Each group: (op, output indices, parent index columns), in level order.
        self._groups = []
        for (_, op, _), outs in sorted(buckets.items(), key=lambda kv: kv[0][0]):
            cols = np.array([[index[id(p)] for p in order[i]._prev] for i in outs], dtype=np.intp).T
            self._groups.append((op, np.array(outs, dtype=np.intp), list(cols)))
        self._values = np.array([node.data for node in order], dtype=float)

    def check(self) -> None:
        """Raise ValueError if the graph under root no longer has the recorded node/leaf counts."""
        order = topological_order(self.root)
        leaves = sum(1 for node in order if node._op is None)
        if len(order) != self.n_nodes or leaves != len(self.leaves):
            raise ValueError(f"Tape: the graph changed since it was recorded ({self.n_nodes} nodes, "
                             f"{len(self.leaves)} leaves then; {len(order)} nodes, {leaves} leaves now); "
                             "record a new Tape")

    def forward(self) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value."""
        vals = self._values
        vals[self._leaf_idx] = [leaf.data for leaf in self.leaves]
        with np.errstate(all="ignore"):
            for op, outs, cols in self._groups:
                args = [vals[c] for c in cols]
                out = op.vector(*args) if op.vector is not None else np.vectorize(op.forward, otypes=[float])(*args)
                if not np.isfinite(out).all():
                    bad = int(np.argmin(np.isfinite(out)))
                    raise op.domain_error([float(a[bad]) for a in args])
                vals[outs] = out
        return float(vals[self._root_idx])

    def backward(self) -> None:
        """Add ∂root/∂leaf to every leaf's ``.grad``, as ``root.backward()`` on a fresh graph would."""
        vals = self._values
        grads = np.zeros_like(vals)
        grads[self._root_idx] = 1.0
        with np.errstate(all="ignore"):
            for op, outs, cols in reversed(self._groups):
                g = grads[outs]
                args = [vals[c] for c in cols]
                partials = op.derivative(*args, vals[outs])
                for c, d in zip(cols, partials):
                    contrib = g * d
                    if not np.isfinite(contrib).all():
                        bad = int(np.argmin(np.isfinite(contrib)))
                        raise DomainError(f"derivative of {op.describe([float(a[bad]) for a in args])}: "
                                          "not finite during tape backward")
                    np.add.at(grads, c, contrib)
        for leaf, gr in zip(self.leaves, grads[self._leaf_idx].tolist()):
            leaf.grad += gr


__all__ = ["Tape"]
