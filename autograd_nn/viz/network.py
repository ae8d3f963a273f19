"""draw_network: an MLP as layers of neurons (input, hidden, output columns), one edge per weight.

Edges are coloured by the weight's sign and drawn wider for a larger |w| (or |∂C/∂w|, strength="grad"). A small
network's edges are labelled with w and, when gradients are present, ∂C/∂w, in a box just before the neuron the
weight feeds; a big network's neurons are drawn small and its edges fade with their strength, so the strong
weights stand out of the crossing lines. A neuron shows its activation name and bias (and its activation value
a when inputs are given).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..nn import MLP
from .graph import fmt
from .render import Graph, dot_escape

POSITIVE = "#1f77b4"  # w > 0
NEGATIVE = "#d62728"  # w < 0
MAX_LABELLED_EDGES = 40  # beyond this many weights, edge labels would cover the picture


def _check_mlp(mlp: Any) -> None:
    try:
        layers = mlp.layers
        _ = mlp.nin, [(n.w, n.b, n.activation) for layer in layers for n in layer.neurons]
    except AttributeError as exc:
        raise TypeError(f"draw_network: expected an autograd_nn.nn.MLP (with .nin and .layers of neurons "
                        f"with .w, .b, .activation), got {type(mlp).__name__} ({exc})") from None


def _name(owner: Any, attribute: str, default: str) -> str:
    """A label of the network (a parameter's, a neuron's z or a label), escaped for DOT; ``default`` if it has none."""
    return dot_escape(getattr(owner, attribute, "") or default)


def _keep_order(col: Any, names: list[str]) -> None:
    # Invisible edges inside a rank keep neuron 1 above neuron 2 …, instead of Graphviz's crossing-driven order.
    for a, b in zip(names, names[1:]):
        col.edge(a, b, style="invis")


def _hex_alpha(color: str, opacity: float) -> str:
    return f"{color}{round(255 * opacity):02x}"


def draw_network(mlp: MLP, inputs: Sequence[float] | None = None, *, edge_labels: bool | None = None,
                 rankdir: str = "LR", strength: str = "w") -> Graph:
    """The network diagram of ``mlp``; ``inputs`` (one row) adds each neuron's activation a to its node.

    Edges are blue for w > 0 and red for w < 0, wider for a larger |w| (``strength="w"``) or a larger |∂C/∂w|
    (``strength="grad"``, after backward()). ``edge_labels`` None labels the edges only when there are at most
    MAX_LABELLED_EDGES weights: each label is a small box on its edge just before the neuron it feeds, so a
    neuron's weights sit together beside it, away from where the edges cross. Without labels the neurons are
    drawn small, the edges also fade with their strength (the strongest drawn on top), and the picture stays
    about as wide as it is tall.
    """
    _check_mlp(mlp)
    if strength not in ("w", "grad"):
        raise ValueError(f"draw_network: strength must be 'w' or 'grad', got {strength!r}")
    activations: list[list[float]] = []
    if inputs is not None:
        row = [float(v) for v in inputs]
        if len(row) != mlp.nin:
            raise ValueError(f"draw_network: inputs must have {mlp.nin} numbers (the MLP's nin), got {len(row)}")
        activations.append(row)
        for layer in mlp.layers:
            row = [float(n(row).data) for n in layer.neurons]
            activations.append(row)
    weights = [w for layer in mlp.layers for n in layer.neurons for w in n.w]

    def size(w: Any) -> float:
        return abs(w.data if strength == "w" else w.grad)

    biggest = max((size(w) for w in weights), default=1.0) or 1.0
    has_grads = any(p.grad != 0.0 for layer in mlp.layers for n in layer.neurons for p in (*n.w, n.b))
    if edge_labels is None:
        edge_labels = len(weights) <= MAX_LABELLED_EDGES
    widest = max([mlp.nin] + [len(layer.neurons) for layer in mlp.layers])
    compact = not edge_labels

    # Labelled: a label box sits one short rank before its neuron (the long stretch from the input, where edges
    # cross, carries no text). Compact: the gap between columns grows with the widest layer, so the crossing
    # edges fan out over about as much width as the columns are tall.
    gap = f"{max(0.9, 0.14 * widest):.2f}" if compact else "0.25"
    g = Graph("network", graph_attr={"rankdir": rankdir, "ranksep": gap,
                                     "nodesep": "0.12" if compact else "0.3", "splines": "line",
                                     "outputorder": "edgesfirst"},  # white boxes then hide crossing lines
              node_attr={"fontname": "Helvetica", "fontsize": "8" if compact else "10"},
              edge_attr={"fontname": "Helvetica", "fontsize": "8", "arrowsize": "0.4" if compact else "0.5"})
    columns: list[list[str]] = [[f"x{i}" for i in range(mlp.nin)]]
    with g.subgraph(name="layer0") as col:
        col.attr(rank="same")
        for i, name in enumerate(columns[0]):
            value = f"\\n{fmt(activations[0][i])}" if activations else ""
            col.node(name, f"x{i + 1}{value}", shape="box", style="rounded")
        _keep_order(col, columns[0])
    edges: list[tuple[float, str, str, dict[str, str]]] = []
    for k, layer in enumerate(mlp.layers, start=1):
        names = [f"L{k}n{j}" for j in range(len(layer.neurons))]
        with g.subgraph(name=f"layer{k}") as col:
            col.attr(rank="same")
            for j, (name, neuron) in enumerate(zip(names, layer.neurons)):
                # the activation's name as typed (an MLP checks it; a look-alike object need not), the neuron
                # named by its place (aˡⱼ, zˡⱼ, bˡⱼ: the labels nn gives, or the user's own)
                a_name, z_name = _name(neuron, "a_label", f"a{k}.{j + 1}"), _name(neuron, "z_label", "z")
                act = dot_escape(str(neuron.activation))
                bias = f"{_name(neuron.b, 'label', 'b')} = {fmt(neuron.b.data)}"
                if compact:
                    lines = [f"{a_name} {act}", bias] + ([f"a = {fmt(activations[k][j])}"] if activations else [])
                else:
                    value = f" = {fmt(activations[k][j])}" if activations else ""
                    lines = [f"{a_name} = {act}({z_name}){value}", bias]
                col.node(name, "\\n".join(lines), shape="ellipse", margin="0.02" if compact else "0.05",
                         style="filled", fillcolor="white")
            _keep_order(col, names)
        boxes: list[tuple[str, str, str, dict[str, str], str]] = []  # (box, source, neuron, style, text)
        for name, neuron in zip(names, layer.neurons):
            for i, (src, w) in enumerate(zip(columns[-1], neuron.w)):
                color = POSITIVE if w.data >= 0 else NEGATIVE
                share = size(w) / biggest
                style = {"color": color if edge_labels else _hex_alpha(color, 0.08 + 0.85 * share * share),
                         "penwidth": f"{0.4 + 3.6 * share:.2f}"}
                if not edge_labels:
                    edges.append((share, src, name, style))
                    continue
                w_name = _name(w, "label", "w")
                text = f"{w_name} = {fmt(w.data)}" + (f"\\n∂C/∂{w_name} = {fmt(w.grad)}" if has_grads else "")
                boxes.append((f"{name}w{i}", src, name, style, text))
        if boxes:
            # Each label is a small box ON its edge (the edge runs through it), one short rank before the neuron,
            # the boxes in neuron order: a neuron's weights sit together beside it, and the edges cross only on
            # the long unlabelled stretch from the inputs.
            with g.subgraph(name=f"labels{k}") as col:
                col.attr(rank="same")
                for mid, _, _, style, text in boxes:
                    col.node(mid, text, shape="box", style="rounded,filled", fillcolor="white", color=style["color"],
                             fontcolor=style["color"], fontsize="8", margin="0.03,0.01", height="0.2", width="0.2")
                _keep_order(col, [b[0] for b in boxes])
            for mid, src, name, style, _ in boxes:
                g.edge(src, mid, arrowhead="none", minlen="4", **style)
                g.edge(mid, name, **style)
        columns.append(names)
    for _, src, dst, style in sorted(edges, key=lambda e: e[0]):  # the strongest drawn last, on top
        g.edge(src, dst, **style)
    # A graph label (bottom) rather than a node, so the key never sits among the edges.
    measure = "|w|" if strength == "w" else "|∂C/∂w|"
    fades = " and fainter" if compact else ""
    key = "a²₅: neuron 5 of layer 2    " if compact else ""
    g.attr(label=f"{key}blue: w > 0    red: w < 0    thinner{fades} = smaller {measure} (largest {fmt(biggest)})",
           labelloc="b", fontname="Helvetica", fontsize="10")
    return g
