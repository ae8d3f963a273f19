"""The input plane as a grid of points and the network over all of them at once, recorded on one Tape and replayed
after every step: the decision boundary (the output at each grid point) and each neuron's output over the plane
(the small heatmaps of the network diagram).

The tape is recorded once per network and plane (tens of milliseconds to a few tenths of a second); a replay
then costs a few matrix products, so the boundary can be redrawn at every training step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..engine import Value, sum_of
from ..nn import MLP
from ..tape import Tape
from .forward import LayeredForward

GRID = 32  # the boundary's grid: GRID × GRID points
HEAT_EVERY = 2  # a neuron's heatmap reads every HEAT_EVERY-th grid point along each axis (16 × 16)

Extent = tuple[float, float, float, float]  # (x₁ min, x₁ max, x₂ min, x₂ max)


def _reader(tape: Tape, nodes: list[Value]) -> Callable[[], np.ndarray]:
    """A function giving ``nodes``' values as of the tape's last forward(), in one gather of its value array."""
    places = np.array([tape.place(v) for v in nodes], dtype=np.intp)
    values = tape.values  # (the tape's own array, reused by every forward)
    return lambda: values[places]


def grid_points(extent: Extent, n: int = GRID) -> np.ndarray:
    """n × n points covering ``extent``, row by row from the top (largest x₂) down, as an image is stored."""
    x0, x1, y0, y1 = extent
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y1, y0, n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], 1)


class PlaneGrid:
    """The network over the grid of ``extent``: ``outputs()`` gives the outputs at every grid point (rows in image
    order, one column per output) and ``activations()`` each neuron's output on the heatmap's points."""

    def __init__(self, mlp: MLP, extent: Extent) -> None:
        self.extent = extent
        points = grid_points(extent)
        forward = LayeredForward(mlp)
        inputs = [[Value(float(a)), Value(float(b))] for a, b in points]
        outs = [forward(row) for row in inputs]
        flat = [v for o in outs for v in (o if isinstance(o, list) else [o])]
        self.tape = Tape(sum_of(flat))
        # the grid's points are bound to the tape's array: a replay then reads only the parameters from their Values
        self.tape.bind([v for row in inputs for v in row])
        self._outputs = _reader(self.tape, flat)
        self._n_out = len(flat) // len(points)
        keep = [r * GRID + c for r in range(0, GRID, HEAT_EVERY) for c in range(0, GRID, HEAT_EVERY)]
        # per layer, per neuron, its a-nodes at the heatmap's points
        self._heat = [[_reader(self.tape, [forward.calls[p][layer][1][j] for p in keep])
                       for j in range(len(forward.calls[0][layer][1]))] for layer in range(len(mlp.layers))]

    def refresh(self) -> None:
        """Replay the tape at the parameters' current numbers."""
        self.tape.forward()

    def outputs(self) -> np.ndarray:
        return self._outputs().reshape(-1, self._n_out)

    def activations(self) -> list[list[np.ndarray]]:
        """Per layer, per neuron, its output at the heatmap's (GRID / HEAT_EVERY)² points."""
        return [[read() for read in layer] for layer in self._heat]
