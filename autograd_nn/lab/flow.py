"""gradient_flow: how big the gradient is in each layer, for networks of several depths, activations and inits.

Going back through a network of L layers (zˡ = Wˡ aˡ⁻¹ + bˡ, aˡ = f(zˡ)), backprop multiplies δ by a weight matrix
and by f' at every layer:

    δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(zˡ),    ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ

so |∂C/∂Wˡ| is a product of L − l such factors. Where |f'| is small (σ' ≤ ¼ everywhere; tanh' and σ' near 0 for
a saturated neuron, |f'(z)| < 0.01; relu' = 0 for z ≤ 0) or the weights are small, the product shrinks
geometrically towards the input: the first layers' gradients *vanish* and they stop learning. Weights too large
for f make it grow: the gradients *explode*. Xavier's and He's initial weights are scaled by the layer's fan-in
(and fan-out) so that the factor stays near 1 for tanh and for ReLU.

Every number is read from the engine, by ``layerwise.read_backprop`` (as ``viz.explain_layers`` reads one
sample): δ of a neuron is the walk's gradient at its z node, ∂C/∂W is what ``backward()`` puts in the weights'
``.grad``, and f'(z) is the activation's rule in the op table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import data
from ..engine.arithmetic import fold_sum
from ..layerwise import read_backprop, resolve_loss
from ..nn import ACTIVATIONS, INITS, MLP
from .figures import STYLES, colour, new_figure, save

SATURATED = 0.01  # a neuron is saturated (or, for relu, dead) where |f'(z)| is below this
VANISH = 1e-2  # first layer's mean |∂C/∂W| over the last's below this: the gradient vanishes
EXPLODE = 1e2  # above this: it explodes


@dataclass(frozen=True)
class LayerFlow:
    """One layer l of one network on one batch: ``mean_abs_grad`` = mean over its weights of |∂C/∂wˡⱼₖ| (their
    ``.grad`` after backward()), ``mean_abs_delta`` = mean over its neurons and the samples of |δˡⱼ| (the walk's
    gradient at each z node), ``mean_abs_slope`` = mean over them of |f'(zˡⱼ)| (1 for a linear layer) and
    ``saturated`` = the share of (sample, neuron) pairs with |f'(zˡⱼ)| < SATURATED."""

    layer: int
    mean_abs_grad: float
    mean_abs_delta: float
    mean_abs_slope: float
    saturated: float


def _mean(values: Sequence[float]) -> float:
    return fold_sum(values) / len(values)


def layer_gradient_sizes(model: MLP) -> list[float]:
    """Mean |∂C/∂Wˡ| for each layer l = 1 … L, from the weights' ``.grad`` as they are now (after the caller's
    backward()): the per-layer figure of :func:`gradient_flow`, for a model trained elsewhere."""
    if not isinstance(model, MLP):
        raise TypeError(f"layer_gradient_sizes: model must be an MLP, got {type(model).__name__}")
    return [_mean([abs(w.grad) for n in layer.neurons for w in n.w]) for layer in model.layers]


def _batch(X: Any, y: Any, nin: int, who: str) -> tuple[np.ndarray, list[Any]]:
    try:
        rows = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: X must be an array of numbers of shape (samples, {nin})") from None
    if rows.ndim != 2 or rows.shape[1] != nin or len(rows) == 0:
        raise ValueError(f"{who}: X must have shape (samples, {nin}) with at least one sample, got {rows.shape}")
    if not np.isfinite(rows).all():
        i, j = (int(k) for k in np.argwhere(~np.isfinite(rows))[0])
        raise ValueError(f"{who}: X[{i}, {j}] = {float(rows[i, j])!r} is not a finite number")
    targets = list(y)
    if len(targets) != len(rows):
        raise ValueError(f"{who}: X has {len(rows)} samples but y has {len(targets)} targets")
    return rows, targets


def measure_flow(model: MLP, X: Any, y: Any, loss: str | Callable[..., Any] = "squared_error") -> list[LayerFlow]:
    """Run the batch (X, y) through ``model``, backward() from the mean loss C = (1/n) Σ loss(aᴸ, y), and measure
    each layer (see LayerFlow). Leaves the batch's gradient in the parameters' ``.grad`` (zero_grad() first).

    The numbers are read by ``layerwise.read_backprop`` (the reading explain_layers and check_backprop use): Δˡ
    the walk's gradient at every z node, ∂C/∂W the weights' ``.grad``; f'(zˡ) is the activation's op-table rule
    evaluated on the layer's Zˡ and Aˡ. ``loss``: a name ("squared_error", "mse", "binary_cross_entropy",
    "softmax_cross_entropy", "hinge") or a function (prediction row, target) -> Value.
    """
    who = "measure_flow"
    if not isinstance(model, MLP):
        raise TypeError(f"{who}: model must be an MLP, got {type(model).__name__}")
    rows, targets = _batch(X, y, model.nin, who)
    read = read_backprop(model, [[float(v) for v in x] for x in rows], targets, loss, reduction="mean", who=who)
    sizes = layer_gradient_sizes(model)
    flows = []
    for k, numbers in enumerate(read.layers):
        op = ACTIVATIONS[numbers.activation]
        slopes = np.ones_like(numbers.Z) if op is None else np.abs(op.derivative(numbers.Z, numbers.A)[0])
        flows.append(LayerFlow(k + 1, sizes[k], _mean([float(d) for d in np.abs(numbers.Delta).ravel()]),
                               _mean([float(v) for v in slopes.ravel()]), float(np.mean(slopes < SATURATED))))
    return flows


def flow_network(depth: int, activation: Any, init: str, nin: int = 2, width: int = 16, seed: int = 0) -> MLP:
    """The network gradient_flow measures: ``depth`` layers, depth − 1 hidden ones of ``width`` neurons with
    ``activation``, then one linear output, the weights drawn by ``init`` from ``seed``."""
    return MLP(nin, [width] * (depth - 1) + [1], activation=activation, output_activation="linear", seed=seed,
               init=init)


@dataclass(frozen=True)
class FlowRow:
    """One layer of one network in the table: which network (activation, init, depth) and its LayerFlow's figures."""

    activation: str
    init: str
    depth: int
    layer: int
    mean_abs_grad: float
    mean_abs_delta: float
    mean_abs_slope: float
    saturated: float


def _name(activation: Any) -> str:
    return activation if isinstance(activation, str) else getattr(activation, "name", str(activation))


@dataclass(frozen=True)
class GradientFlow:
    """gradient_flow's result: ``rows``, one per layer of every network, and how they were made.

    ``str()`` is the table and the summary; ``summary()`` says in words where gradients vanish or explode;
    ``plot()`` draws it; ``models[(activation, init, depth)]`` are the networks, their ``.grad`` left from the
    measured batch.
    """

    rows: tuple[FlowRow, ...]
    depths: tuple[int, ...]
    activations: tuple[str, ...]
    inits: tuple[str, ...]
    width: int
    samples: int
    models: dict[tuple[str, str, int], MLP] = field(repr=False, compare=False, default_factory=dict)

    def network(self, activation: str, init: str, depth: int) -> list[FlowRow]:
        """The rows of one network, layer 1 first."""
        found = [r for r in self.rows if (r.activation, r.init, r.depth) == (activation, init, depth)]
        if not found:
            raise KeyError(f"GradientFlow: no network {activation} + {init} of depth {depth}; measured activations "
                           f"{list(self.activations)}, inits {list(self.inits)}, depths {list(self.depths)}")
        return found

    def ratio(self, activation: str, init: str, depth: int) -> float:
        """First layer's mean |∂C/∂W| over the last layer's, in one network: how the gradient changes on its way
        back to the input (inf when only the last is 0, NaN when both are)."""
        rows = self.network(activation, init, depth)
        return _over(rows[0].mean_abs_grad, rows[-1].mean_abs_grad)

    def growth(self, activation: str, init: str) -> float:
        """The first layer's mean |∂C/∂W| in the deepest network over the one in the shallowest: how it changes as
        layers are added (inf when only the shallowest is 0, NaN when both are)."""
        deep = self.network(activation, init, self.depths[-1])[0].mean_abs_grad
        return _over(deep, self.network(activation, init, self.depths[0])[0].mean_abs_grad)

    def verdict(self, activation: str, init: str, depth: int) -> str:
        """On the way back to the input: "vanishes" (ratio below VANISH), "explodes" (above EXPLODE), "steady",
        or "none" (no gradient reaches the weights at all)."""
        return _verdict(self.ratio(activation, init, depth))

    def growth_verdict(self, activation: str, init: str) -> str:
        """As layers are added (``growth``): "vanishes", "explodes", "steady" or "none", by the same thresholds."""
        return _verdict(self.growth(activation, init))

    def _towards_input(self, act: str, init: str) -> str:
        verdicts = [(d, self.verdict(act, init, d)) for d in self.depths]
        deepest = self.depths[-1]
        at_deepest = f"layer 1 gets {self.ratio(act, init, deepest):.2g} × the last layer's at depth {deepest}"
        bad = [(d, v) for d, v in verdicts if v != "steady"]
        if not bad:
            return f"steady towards the input at every depth ({at_deepest})"
        d0, v0 = bad[0]
        if [v for _, v in verdicts[self.depths.index(d0):]] == [v0] * (len(self.depths) - self.depths.index(d0)):
            return f"the gradient {v0} towards the input from depth {d0} on ({at_deepest})"
        return "towards the input it " + ", ".join(f"{v} at depth {d}" for d, v in bad) + f" ({at_deepest})"

    def _with_depth(self, act: str, init: str) -> str:
        if len(self.depths) == 1:
            return ""
        shallow, deep = self.depths[0], self.depths[-1]
        first = [self.network(act, init, d)[0].mean_abs_grad for d in (shallow, deep)]
        change = f"layer 1's mean |∂C/∂W| goes from {first[0]:.2g} at depth {shallow} to {first[1]:.2g} at depth {deep}"
        verdict = self.growth_verdict(act, init)
        return f"; as layers are added it {verdict}: {change}" if verdict != "steady" else f"; {change}"

    def summary(self) -> str:
        """Where the gradient vanishes or explodes, one line per activation × init, in words."""
        lines = [f"Gradient flow (width {self.width}, one batch of {self.samples} samples): a change by more than "
                 f"×{EXPLODE:g} explodes, by less than ×{VANISH:g} vanishes"]
        deepest = self.depths[-1]
        for act in self.activations:
            for init in self.inits:
                hidden = self.network(act, init, deepest)[:-1]
                most = max(hidden, key=lambda row: row.saturated) if hidden else None
                kind = "dead (z ≤ 0)" if act == "relu" else "saturated"
                if most is None:
                    neurons = ""
                else:
                    slope = _mean([r.mean_abs_slope for r in hidden])
                    neurons = f"; at depth {deepest} the hidden neurons' mean |f'(z)| is {slope:.2g} and " + (
                        f"none is {kind}" if most.saturated == 0.0 else
                        f"up to {most.saturated:.0%} of a layer's are {kind} (layer {most.layer})")
                lines.append(f"  {act} + {init}: {self._towards_input(act, init)}{self._with_depth(act, init)}"
                             f"{neurons}")
        return "\n".join(lines)

    def table(self) -> str:
        """The rows as a text table."""
        head = ("activation", "init", "depth", "layer", "mean |∂C/∂W|", "mean |δ|", "mean |f'(z)|", "saturated")
        body = [(r.activation, r.init, str(r.depth), str(r.layer), f"{r.mean_abs_grad:.3e}",
                 f"{r.mean_abs_delta:.3e}", f"{r.mean_abs_slope:.3f}", f"{r.saturated:.0%}") for r in self.rows]
        widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in [head, *body])

    def __str__(self) -> str:
        return f"{self.table()}\n\n{self.summary()}"

    def plot(self, path: str | Path | None = None) -> Figure:
        """Four panels, one line per activation × init (colour: activation, line style: init), log scales:
        mean |∂C/∂Wˡ| per layer of the deepest networks; the first layer's over the last's against depth; the first
        layer's against depth; the share of saturated neurons per layer of the deepest networks. The vanish and
        explode ranges are shaded. Saved to ``path`` (.png, .svg, .pdf) when given; returns the Figure. A 0 has
        no place on a log scale: a layer whose gradient is exactly 0 leaves a gap."""
        deepest = self.depths[-1]
        fig = new_figure(12, 8.6)
        (per_layer, ratio), (first, saturation) = fig.subplots(2, 2)
        names = list(self.activations)
        for act in self.activations:
            for init in self.inits:
                style = {"color": colour(act, names), "linestyle": STYLES.get(init, "-."), "label": f"{act} + {init}",
                         "marker": "o", "markersize": 3}
                rows = self.network(act, init, deepest)
                layers = [r.layer for r in rows]
                per_layer.plot(layers, _positive([r.mean_abs_grad for r in rows]), **style)
                ratio.plot(self.depths, _positive([self.ratio(act, init, d) for d in self.depths]), **style)
                shallow = self.network(act, init, self.depths[0])[0].mean_abs_grad
                first.plot(self.depths, _positive([_over(self.network(act, init, d)[0].mean_abs_grad, shallow)
                                                   for d in self.depths]), **style)
                saturation.plot(layers[:-1], [100 * r.saturated for r in rows[:-1]], **style)
        per_layer.set_yscale("log")
        per_layer.set_xlabel("layer l (1 = next to the input)")
        per_layer.set_ylabel("mean |∂C/∂Wˡ|")
        per_layer.set_title(f"the gradient in each layer, depth {deepest}")
        ratio.set_yscale("log")
        ratio.axhline(1.0, color="black", lw=0.6)
        _shade(ratio, 1.0)
        ratio.set_xlabel("depth (layers)")
        ratio.set_ylabel("layer 1's mean |∂C/∂W| / the last layer's")
        ratio.set_title("on the way back to the input")
        first.set_yscale("log")
        first.axhline(1.0, color="black", lw=0.6)
        _shade(first, 1.0)
        first.set_xlabel("depth (layers)")
        first.set_ylabel(f"layer 1's mean |∂C/∂W¹| / at depth {self.depths[0]}")
        first.set_title("as layers are added")
        saturation.set_xlabel("hidden layer l")
        saturation.set_ylabel(f"% of the layer's neurons with |f'(z)| < {SATURATED:g}")
        saturation.set_ylim(-3, 103)
        saturation.set_title(f"saturated (relu: dead) neurons, depth {deepest}")
        per_layer.set_xticks(range(1, deepest + 1))
        saturation.set_xticks(range(1, max(deepest, 2)))
        for ax in (ratio, first):
            ax.set_xticks(list(self.depths))
        for ax in (per_layer, ratio, first, saturation):
            ax.grid(alpha=0.3, which="both")
        per_layer.legend(fontsize=7, ncol=1 if len(names) * len(self.inits) <= 5 else 2)
        fig.suptitle(f"Gradient flow: width {self.width}, one batch of {self.samples} samples, a linear output; "
                     f"shaded: a change by more than ×{EXPLODE:g} (red) or less than ×{VANISH:g} (blue)")
        if path is not None:
            save(fig, path, "GradientFlow.plot")
        return fig


def _over(top: float, bottom: float) -> float:
    if bottom == 0.0:
        return math.nan if top == 0.0 else math.inf
    return top / bottom


def _verdict(r: float) -> str:
    if math.isnan(r):
        return "none"
    return "vanishes" if r < VANISH else "explodes" if r > EXPLODE else "steady"


def _shade(ax: Any, centre: float) -> None:
    """Set the y range to the lines' (a decade either side, and the thresholds) and shade below centre·VANISH
    and above centre·EXPLODE."""
    ys = [y for line in ax.get_lines() for y in line.get_ydata() if 0.0 < y < math.inf]
    if not ys:
        return
    lo, hi = min(min(ys) / 10, centre * VANISH / 3), max(max(ys) * 10, centre * EXPLODE * 3)
    ax.axhspan(lo, centre * VANISH, color="tab:blue", alpha=0.08, lw=0)
    ax.axhspan(centre * EXPLODE, hi, color="tab:red", alpha=0.08, lw=0)
    ax.set_ylim(lo, hi)


def _positive(values: Sequence[float]) -> list[float]:
    """Values for a log scale: 0, inf and NaN become NaN (a gap in the line)."""
    return [v if 0.0 < v < math.inf else math.nan for v in values]


def gradient_flow(depths: Sequence[int] = (2, 4, 6, 8, 10), activations: Sequence[Any] = ("sigmoid", "tanh", "relu"),
                  inits: Sequence[str] = INITS, *, width: int = 16, X: Any = None, y: Any = None,
                  loss: str | Callable[..., Any] = "squared_error", samples: int = 32, seed: int = 0) -> GradientFlow:
    """Build every network depth × activation × init (:func:`flow_network`: depth − 1 hidden layers of ``width``,
    one linear output, weights from ``seed``), run backward() on one batch and measure each layer
    (:func:`measure_flow`). The batch is (X, y), or ``samples`` moons points (targets 0/1) from ``seed``.
    """
    who = "gradient_flow"
    depth_list = [_count(d, "each depth", who) for d in _listed(depths, "depths", who)]
    if sorted(set(depth_list)) != depth_list:
        raise ValueError(f"{who}: depths must be increasing with no repeats, got {depth_list}")
    acts = _listed(activations, "activations", who)
    for act in acts:
        if isinstance(act, str) and act not in ACTIVATIONS:
            raise ValueError(f"{who}: unknown activation {act!r}; expected one of {sorted(ACTIVATIONS)}")
    init_list = _listed(inits, "inits", who)
    for init in init_list:
        if init not in INITS:
            raise ValueError(f"{who}: unknown init {init!r}; expected one of {list(INITS)}")
    width = _count(width, "width", who)
    if X is None and y is None:
        X, y = data.moons(_count(samples, "samples", who), seed=seed)
    elif X is None or y is None:
        raise ValueError(f"{who}: give both X and y, or neither (then {samples} moons points are used)")
    try:
        shape = np.asarray(X, dtype=float).shape
    except (TypeError, ValueError):
        raise TypeError(f"{who}: X must be an array of numbers of shape (samples, features)") from None
    if len(shape) != 2 or 0 in shape:
        raise ValueError(f"{who}: X must have shape (samples, features), at least one of each, got {shape}")
    nin = shape[1]
    _batch(X, y, nin, who)  # refused here, naming gradient_flow, before any network is built
    resolve_loss(loss, who)
    rows: list[FlowRow] = []
    models: dict[tuple[str, str, int], MLP] = {}
    for act in acts:
        for init in init_list:
            for depth in depth_list:
                model = flow_network(depth, act, init, nin=nin, width=width, seed=seed)
                for f in measure_flow(model, X, y, loss):
                    rows.append(FlowRow(_name(act), init, depth, f.layer, f.mean_abs_grad, f.mean_abs_delta,
                                        f.mean_abs_slope, f.saturated))
                models[(_name(act), init, depth)] = model
    return GradientFlow(tuple(rows), tuple(depth_list), tuple(_name(a) for a in acts), tuple(init_list), width,
                        shape[0], models)


def _listed(items: Any, what: str, who: str) -> list[Any]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError(f"{who}: {what} must be a list, got {type(items).__name__} {items!r}")
    if not items:
        raise ValueError(f"{who}: {what} is empty")
    return list(items)


def _count(n: Any, what: str, who: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{who}: {what} must be a positive integer, got {n!r}")
    return int(n)
