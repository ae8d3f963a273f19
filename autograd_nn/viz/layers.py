"""explain_layers: backprop through an MLP as the documents write it, a recursion on δ, with the numbers in.

For one sample, layer k computes zˡ = Wˡ aˡ⁻¹ + bˡ and aˡ = f(zˡ) (a⁰ = x). With δˡ = ∂C/∂zˡ:

    δᴸ = ∇ₐC ⊙ f'(zᴸ)                 the output layer
    δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(zˡ)       each layer before it
    ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ,  ∂C/∂bˡ = δˡ

explain_layers runs the sample through the model's own forward pass and reads every number from the scalar
graph it records (``autograd_nn.layerwise.read_backprop``): z and a are the nodes' data, δ of a neuron is the
engine's gradient at its z node (one ``grad`` call, the same walk backward() runs) and ∂C/∂W, ∂C/∂b are what
``backward()`` puts in the parameters' ``.grad``. Beside them it evaluates the matrix formulas above with
numpy, from the weights, the input and the loss's own derivative ∇ₐC written out, and says per layer how far
the two are apart (0, or a rounding error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layerwise import LOSSES, delta_recursion, read_backprop, sup  # noqa: F401 (LOSSES: the names explain_layers knows)
from ..nn import MLP, _check_input
from .graph import fmt
from .render import Graph, dot_escape

COST = {
    "squared_error": ("C = ½ Σ (y − a)²", r"C = \tfrac{1}{2} \sum_j (y_j - a_j)^2", "a − y", r"a - y"),
    "mse": ("C = (1/n) Σ (y − a)²", r"C = \tfrac{1}{n} \sum_j (y_j - a_j)^2", "2(a − y)/n", r"\tfrac{2}{n}(a - y)"),
    "binary_cross_entropy": ("C = −Σ [y log a + (1 − y) log(1 − a)]",
                             r"C = -\sum_j \left[y_j \log a_j + (1 - y_j) \log(1 - a_j)\right]",
                             "(a − y) / (a(1 − a))", r"\frac{a - y}{a \odot (1 - a)}"),
    "softmax_cross_entropy": ("C = log Σ e^aⱼ − a_k (softmax cross-entropy on the outputs a as logits)",
                              r"C = \log \sum_j e^{a_j} - a_k", "softmax(a) − onehot(k)",
                              r"\mathrm{softmax}(a) - e_k"),
    "hinge": ("C = Σ max(0, 1 − y·a)", r"C = \sum_j \max(0, 1 - y_j a_j)", "−y where y·a < 1, else 0",
              r"-y \odot [y \odot a < 1]"),
}
SHOWN = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "id"}
SHOWN_TEX = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{relu}", "linear": r"\mathrm{id}"}
AGREE = 1e-9  # numpy and backward() agree when their relative difference is at most this (they differ by rounding)
MAX_SHOWN = 8  # entries of a vector (rows, columns of a matrix) written out; more are cut with …
MAX_LABELLED_EDGES = 40  # the picture labels each weight's edge with ∂C/∂w up to this many weights


@dataclass(frozen=True)
class LayerView:
    """One layer k for one sample: its numbers read from the scalar graph, and the matrix formulas by numpy.

    From the graph: ``z``, ``a`` (the nodes' data), ``delta`` (the engine's gradient at each z node),
    ``dW``, ``db`` (what backward() put in the weights' and biases' .grad). By numpy: ``f_prime`` (f'(zˡ)),
    ``back`` (∇ₐC for the output layer, (Wˡ⁺¹)ᵀ δˡ⁺¹ before it), ``delta_np`` = back ⊙ f'(z),
    ``dW_np`` = δ (aˡ⁻¹)ᵀ and ``db_np`` = δ. ``difference``: the largest |numpy − graph| over δ, ∂C/∂W, ∂C/∂b;
    ``relative_difference``: per quantity (δ, ∂C/∂W, ∂C/∂b) that largest difference over the quantity's largest
    magnitude, the largest of the three. The two agree when it is at most AGREE: rounding errors grow with
    the numbers (weights scaled by 100 scale ∂C/∂W and its rounding by as much), so an absolute bound would
    call rounding a disagreement.
    """

    index: int
    activation: str
    W: np.ndarray
    b: np.ndarray
    a_in: np.ndarray
    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    f_prime: np.ndarray
    back: np.ndarray
    delta_np: np.ndarray
    dW_np: np.ndarray
    db_np: np.ndarray

    @property
    def difference(self) -> float:
        return float(max(np.abs(self.delta_np - self.delta).max(), np.abs(self.dW_np - self.dW).max(),
                         np.abs(self.db_np - self.db).max()))

    @property
    def relative_difference(self) -> float:
        return max(_relative(self.delta_np, self.delta), _relative(self.dW_np, self.dW),
                   _relative(self.db_np, self.db))

    @property
    def agree(self) -> bool:
        return self.relative_difference <= AGREE


def _relative(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max |ours − theirs| / max(|ours|, |theirs|) over the entries (0 when both are all zero)."""
    scale = float(max(np.abs(ours).max(), np.abs(theirs).max()))
    diff = float(np.abs(ours - theirs).max())
    return diff / scale if scale > 0 else diff


def _vec(v: np.ndarray) -> str:
    items = [fmt(float(x)) for x in v[:MAX_SHOWN]]
    if len(v) > MAX_SHOWN:
        items.append(f"… ({len(v)} in all)")
    return "[" + ", ".join(items) + "]"


def _mat(m: np.ndarray) -> str:
    rows = [_vec(r) for r in m[:MAX_SHOWN]]
    if len(m) > MAX_SHOWN:
        rows.append(f"… ({len(m)} rows)")
    return "[" + ", ".join(rows) + "]"


def _tex_vec(v: np.ndarray) -> str:
    items = [fmt(float(x)) for x in v[:MAX_SHOWN]] + ([r"\vdots"] if len(v) > MAX_SHOWN else [])
    return r"\begin{bmatrix}" + r" \\ ".join(items) + r"\end{bmatrix}"


def _tex_mat(m: np.ndarray) -> str:
    def row(r: np.ndarray) -> str:
        return " & ".join([fmt(float(x)) for x in r[:MAX_SHOWN]] + ([r"\cdots"] if len(r) > MAX_SHOWN else []))

    rows = [row(r) for r in m[:MAX_SHOWN]] + ([r"\vdots"] if len(m) > MAX_SHOWN else [])
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


class LayerExplanation:
    """Backprop of one sample through an MLP, layer by layer (see the module doc).

    ``layers`` holds one LayerView per layer (index 1 … L), ``cost`` is C, ``grad_a`` ∇ₐC read from the graph.
    ``str()``/``repr()`` is the derivation as text, ``latex()`` as LaTeX (a notebook shows it as maths), and
    ``graph()`` the network with δ on each neuron and ∂C/∂w on each edge (``viz.render(e.graph(), "x.png")``).
    """

    def __init__(self, model: MLP, x: np.ndarray, target: Any, loss_name: str, cost: float,
                 grad_a: np.ndarray, layers: list[LayerView]) -> None:
        self.model, self.x, self.target, self.loss_name = model, x, target, loss_name
        self.cost, self.grad_a, self.layers = cost, grad_a, layers

    @property
    def difference(self) -> float:
        """The largest |numpy's matrix formula − the graph's number| over every layer's δ, ∂C/∂W and ∂C/∂b."""
        return max(layer.difference for layer in self.layers)

    @property
    def relative_difference(self) -> float:
        """The largest LayerView.relative_difference over the layers; the formulas agree when it is ≤ AGREE."""
        return max(layer.relative_difference for layer in self.layers)

    def _target_text(self) -> str:
        if self.loss_name == "softmax_cross_entropy":
            return f"class k = {self.target}"
        return f"y = {_vec(np.asarray(self.target, dtype=float).reshape(-1))}"

    def __str__(self) -> str:
        L = len(self.layers)
        cost = COST.get(self.loss_name)
        shape = "-".join(str(n) for n in [self.model.nin, *self.model.nouts])
        lines = [f"Backprop layer by layer: a {shape} MLP, one sample, loss {self.loss_name}"
                 + (f": {cost[0]}" if cost else ""),
                 f"forward:  a⁰ = x = {_vec(self.x)}"]
        for v in self.layers:
            k, f = v.index, _shown(v)
            lines.append(f"  layer {k} ({'output' if k == L else 'hidden'}, {v.activation}):  "
                         f"z{sup(k)} = W{sup(k)} a{sup(k - 1)} + b{sup(k)} = {_vec(v.z)},  "
                         f"a{sup(k)} = {f}(z{sup(k)}) = {_vec(v.a)}")
        lines.append(f"  C = {fmt(self.cost)} for {self._target_text()}")
        lines.append("backward (δˡ = ∂C/∂zˡ: the engine's gradient at each neuron's z; "
                     "∂C/∂W, ∂C/∂b: backward()'s .grad):")
        grad_a = f"{cost[2]} = " if cost else ""
        lines.append(f"  ∇ₐC = {grad_a}{_vec(self.grad_a)}")
        for v in reversed(self.layers):
            k, f = v.index, _shown(v)
            if k == L:
                rule = f"δ{sup(k)} = ∇ₐC ⊙ {f}'(z{sup(k)})"
            else:
                rule = f"δ{sup(k)} = ((W{sup(k + 1)})ᵀ δ{sup(k + 1)}) ⊙ {f}'(z{sup(k)})"
            lines.append(f"  {rule} = {_vec(v.back)} ⊙ {_vec(v.f_prime)} = {_vec(v.delta)}")
            lines.append(f"  ∂C/∂W{sup(k)} = δ{sup(k)} (a{sup(k - 1)})ᵀ = {_mat(v.dW)}")
            lines.append(f"  ∂C/∂b{sup(k)} = δ{sup(k)} = {_vec(v.db)}")
            verdict = "equal" if v.agree else "DIFFER from"
            lines.append(f"  layer {k}: the matrix formulas by numpy {verdict} the graph's δ{sup(k)} and "
                         f"backward()'s .grad (largest difference {v.difference:.3g}, relative "
                         f"{v.relative_difference:.3g})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def latex(self) -> str:
        L = len(self.layers)
        cost = COST.get(self.loss_name)
        rows = [rf"a^{{(0)}} &= x = {_tex_vec(self.x)}"]
        for v in self.layers:
            k, f = v.index, SHOWN_TEX.get(v.activation) or _tex_op(v.activation)
            rows.append(rf"z^{{({k})}} &= W^{{({k})}} a^{{({k - 1})}} + b^{{({k})}} = {_tex_vec(v.z)}, \quad "
                        rf"a^{{({k})}} = {f}(z^{{({k})}}) = {_tex_vec(v.a)}")
        rows.append((cost[1] if cost else "C") + rf" &= {fmt(self.cost)}")
        rows.append(rf"\nabla_a C &= {cost[3] + ' = ' if cost else ''}{_tex_vec(self.grad_a)}")
        for v in reversed(self.layers):
            k, f = v.index, SHOWN_TEX.get(v.activation) or _tex_op(v.activation)
            back = r"\nabla_a C" if k == L else rf"\left(W^{{({k + 1})}}\right)^T \delta^{{({k + 1})}}"
            rows.append(rf"\delta^{{({k})}} &= {back} \odot {f}'(z^{{({k})}}) = {_tex_vec(v.back)} \odot "
                        rf"{_tex_vec(v.f_prime)} = {_tex_vec(v.delta)}")
            rows.append(rf"\frac{{\partial C}}{{\partial W^{{({k})}}}} &= \delta^{{({k})}} \left(a^{{({k - 1})}}"
                        rf"\right)^T = {_tex_mat(v.dW)}, \quad \frac{{\partial C}}{{\partial b^{{({k})}}}} = "
                        rf"\delta^{{({k})}} = {_tex_vec(v.db)}")
            same = "=" if v.agree else r"\neq"
            rows.append(rf"&\text{{layer {k}: numpy's matrix formulas }}{same}\text{{ backward()'s .grad "
                        rf"(largest difference {v.difference:.3g}, relative {v.relative_difference:.3g})}}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def graph(self, rankdir: str = "LR", edge_labels: bool | None = None) -> Graph:
        """The network with the numbers of this sample: each neuron shows z, a, δ = ∂C/∂z (and b, ∂C/∂b = δ),
        each edge w and ∂C/∂w (red where ∂C/∂w < 0, blue where > 0, thicker for a larger |∂C/∂w|), and the
        cost node C the ∂C/∂a of each output."""
        n_weights = sum(v.W.size for v in self.layers)
        if edge_labels is None:
            edge_labels = n_weights <= MAX_LABELLED_EDGES
        biggest = max(float(np.abs(v.dW).max()) for v in self.layers) or 1.0
        g = Graph("explain_layers", graph_attr={"rankdir": rankdir, "ranksep": "1.1", "nodesep": "0.3",
                                                "splines": "line", "outputorder": "edgesfirst"},
                  node_attr={"fontname": "Helvetica", "fontsize": "10"},
                  edge_attr={"fontname": "Helvetica", "fontsize": "8", "arrowsize": "0.5"})
        columns = [[f"x{i}" for i in range(len(self.x))]]
        with g.subgraph(name="layer0") as col:
            col.attr(rank="same")
            for i, name in enumerate(columns[0]):
                col.node(name, f"x{i + 1} = a⁰{_sub(i + 1)}\\n{fmt(float(self.x[i]))}", shape="box", style="rounded")
        for v in self.layers:
            k, names = v.index, [f"L{v.index}n{j}" for j in range(len(v.z))]
            neurons = self.model.layers[k - 1].neurons
            with g.subgraph(name=f"layer{k}") as col:
                col.attr(rank="same")
                for j, (name, neuron) in enumerate(zip(names, neurons)):
                    # the neuron by its place: aˡⱼ = f(zˡⱼ), bˡⱼ (its labels, the defaults nn gives or the user's)
                    a, z = dot_escape(neuron.a_label or "a"), dot_escape(neuron.z_label or "z")
                    b = dot_escape(neuron.b.label or "b")
                    text = "\\n".join([f"{a} = {dot_escape(_shown(v))}({z})",
                                       f"{z} = {fmt(float(v.z[j]))}   {a} = {fmt(float(v.a[j]))}",
                                       f"δ = ∂C/∂{z} = {fmt(float(v.delta[j]))}",
                                       f"{b} = {fmt(float(v.b[j]))}   ∂C/∂{b} = {fmt(float(v.db[j]))}"])
                    col.node(name, text, shape="ellipse", margin="0.05", style="filled", fillcolor="white",
                             color="#d62728" if v.delta[j] < 0 else "#1f77b4" if v.delta[j] > 0 else "black")
            for j, (name, neuron) in enumerate(zip(names, neurons)):
                for i, src in enumerate(columns[-1]):
                    d = float(v.dW[j, i])
                    color = "#d62728" if d < 0 else "#1f77b4" if d > 0 else "#999999"
                    style = {"color": color, "penwidth": f"{0.4 + 3.6 * abs(d) / biggest:.2f}"}
                    if not edge_labels:
                        g.edge(src, name, **style)
                        continue
                    mid = f"{name}w{i}"
                    w = dot_escape(neuron.w[i].label or "w")
                    g.node(mid, f"{w} = {fmt(float(v.W[j, i]))}\\n∂C/∂{w} = {fmt(d)}", shape="box",
                           style="rounded,filled", fillcolor="white", color=color, fontcolor=color, fontsize="8",
                           margin="0.03,0.01", height="0.2", width="0.2")
                    g.edge(src, mid, arrowhead="none", **style)
                    g.edge(mid, name, **style)
            columns.append(names)
        g.node("C", f"C = {fmt(self.cost)}\\n{dot_escape(self.loss_name)}", shape="box", style="bold")
        for j, name in enumerate(columns[-1]):
            g.edge(name, "C", label=f"∂C/∂a = {fmt(float(self.grad_a[j]))}")
        g.attr(label="δ = ∂C/∂z on each neuron, ∂C/∂w on each edge: red < 0, blue > 0 (a neuron by its δ, an edge by "
                     "its ∂C/∂w), a thicker edge for a larger |∂C/∂w|",
               labelloc="b", fontname="Helvetica", fontsize="10")
        return g


def _shown(view: LayerView) -> str:
    """A layer's activation as the text writes it: σ, tanh, relu, id, or a user op's symbol."""
    return SHOWN.get(view.activation, view.activation)


def _tex_op(name: str) -> str:
    """An op's name as LaTeX: upright, underscores escaped (softsign is \\mathrm{softsign})."""
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def explain_layers(model: MLP, x: Sequence[float], target: Any,
                   loss: str | Callable[..., Any] = "squared_error") -> LayerExplanation:
    """Run one sample (x, target) through ``model`` and show backprop as the recursion on δ (module doc).

    ``loss``: a name from LOSSES ("squared_error", "mse", "binary_cross_entropy", "softmax_cross_entropy",
    "hinge") or a loss function of (prediction row, target), e.g. ``losses.binary_cross_entropy``; for
    softmax_cross_entropy the target is a class index and the outputs are the logits. For a loss of your own,
    ∇ₐC is read from the graph rather than written out.

    Sets the model's gradients to this sample's: zero_grad(), then backward() from C.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"explain_layers: model must be an MLP, got {type(model).__name__}")
    bp = read_backprop(model, [_check_input(x, model.nin, "explain_layers: x")], [target], loss, reduction="sum",
                       who="explain_layers")
    # The matrix formulas, by numpy: ∇ₐC written out for a known loss, then the recursion on δ.
    top = bp.written_grad_a()[:, 0]
    deltas = delta_recursion(top, [n.f_prime[:, 0] for n in bp.layers], lambda k, d: bp.layers[k - 1].W.T @ d)
    views: list[LayerView] = []
    for n, delta_np in zip(bp.layers, deltas):
        back = top if n.index == len(bp.layers) else bp.layers[n.index].W.T @ deltas[n.index]
        views.append(LayerView(index=n.index, activation=n.activation, W=n.W, b=n.b, a_in=n.A_in[:, 0],
                               z=n.Z[:, 0], a=n.A[:, 0], delta=n.Delta[:, 0], dW=n.dW, db=n.db,
                               f_prime=n.f_prime[:, 0], back=back, delta_np=delta_np,
                               dW_np=np.outer(delta_np, n.A_in[:, 0]), db_np=delta_np))
    return LayerExplanation(model, views[0].a_in, target, bp.loss_name, bp.cost, bp.grad_a[:, 0], views)
