"""The network's forward pass kept layer by layer, so that every neuron's zˡⱼ and aˡⱼ can be read: the same
nodes ``MLP.__call__`` builds (each neuron's weighted sum, then its activation), made with ``Layer.__call__``."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Value
from ..engine.ops import WEIGHTED_SUM
from ..nn import MLP


class LayeredForward:
    """A model for ``train.batch_loss`` that runs ``mlp`` one layer at a time and keeps, per call, each layer's
    (z nodes, a nodes). For a neuron without activation ("linear") z and a are the same node."""

    def __init__(self, mlp: MLP) -> None:
        self.mlp = mlp
        self.calls: list[list[tuple[list[Value], list[Value]]]] = []

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        row: list[Value] = [v if isinstance(v, Value) else Value(float(v)) for v in x]
        kept = []
        for layer in self.mlp.layers:
            row = layer(row)
            zs = [a if a.op is WEIGHTED_SUM else a.parents[0] for a in row]
            kept.append((zs, row))
        self.calls.append(kept)
        return row[0] if len(row) == 1 else row

    def parameters(self) -> list[Value]:
        return self.mlp.parameters()
