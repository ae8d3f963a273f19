"""draw_graph: a Value's computation graph as a graphviz Digraph, each edge labelled with ∂out/∂in.

Edge labels come from the engine's one derivative rule (``local_derivatives`` / ``Op.derivative``), never a
copy of it. Nodes are named by their position in the topological order, so the same graph always gives the
same DOT text, node for node.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..engine import Value, local_derivatives, topological_order
from ..engine.ops import ADD, MUL, WEIGHTED_SUM
from .render import Graph

COLLAPSE = ("none", "weighted_sum", "neurons")
HOT = "#d62728"      # the highlighted chain
FOCUS = "#1f77b4"    # the node a backward step is at
DIM = "#999999"      # grads not yet filled in


class GraphTooLarge(ValueError):
    """The graph has more nodes than draw_graph's max_nodes."""


def fmt(x: float) -> str:
    """A number to 4 significant digits, as every picture shows it."""
    return f"{x:.4g}"


def _escape(text: str) -> str:
    # Record labels give {, }, |, <, > a meaning; a user's label must not change the record's shape.
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text


def node_names(root: Value) -> dict[Value, str]:
    """Each node's label, or "v<i>" (its DOT name: i is its place in the topological order) when it has none."""
    return {node: node.label or f"v{i}" for i, node in enumerate(topological_order(root))}


def paths_to_root(root: Value, w: Value) -> set[Value]:
    """The nodes on some path from w up to root (both included; empty when root does not depend on w)."""
    on_path: set[Value] = set()
    for node in topological_order(root):
        if node is w or any(p in on_path for p in node._prev):
            on_path.add(node)
    return on_path


def chain_total(root: Value, w: Value) -> float:
    """Σ over paths from w to root of Π ∂child/∂parent along the path, accumulated forward in one sweep."""
    reach: dict[Value, float] = {w: 1.0}  # reach[n] = ∂n/∂w
    for node in topological_order(root):
        if node is w:
            continue
        if any(p in reach for p in node._prev):
            reach[node] = sum(float(d) * reach[p] for p, d in zip(node._prev, local_derivatives(node)) if p in reach)
    return reach.get(root, 0.0)


def chain_paths(root: Value, w: Value, max_paths: int) -> tuple[list[list[tuple[Value, Value, float]]], int]:
    """The paths from w up to root as (child, parent, ∂child/∂parent) factors, root end first: at most
    ``max_paths`` of them written out, and how many there are in all (counted, not listed, so a graph with
    exponentially many paths costs nothing extra)."""
    on_path = paths_to_root(root, w)
    count: dict[Value, int] = {w: 1}
    partial: dict[Value, list[list[tuple[Value, Value, float]]]] = {w: [[]]}
    for node in topological_order(root):
        if node not in on_path or node is w:
            continue
        count[node], acc = 0, []
        for p, d in zip(node._prev, local_derivatives(node)):
            if p in on_path:
                count[node] += count[p]
                acc.extend([(node, p, float(d))] + path for path in partial[p][:max_paths])
        partial[node] = acc[:max_paths]
    return partial.get(root, []), count.get(root, 0)


def _folded_neurons(order: list[Value]) -> set[Value]:
    """Weighted-sum nodes whose only consumer is an activation: drawn inside it as f(Σw·a+b)."""
    consumers: dict[Value, int] = {}
    for node in order:
        for p in node._prev:
            consumers[p] = consumers.get(p, 0) + 1
    return {p for node in order if node._op is not None and len(node._prev) == 1
            for p in node._prev if p._op is WEIGHTED_SUM and consumers[p] == 1}


def draw_graph(root: Value, *, show_local_grads: bool = True, highlight: Value | None = None,
               rankdir: str = "LR", max_nodes: int = 250, collapse: str = "weighted_sum",
               grads: Mapping[Value, float] | None = None, focus: Value | None = None,
               show_names: bool = False) -> Graph:
    """One record per Value (label, data, grad) and one node per op; each input edge carries ∂out/∂in.

    - ``highlight=w`` colours every path from w to root and adds a legend with Σ over paths Π ∂child/∂parent,
      which equals w.grad after root.backward().
    - ``collapse``: "weighted_sum" (default) draws a fused z = w·a + b as one Σw·a+b node; "none" expands it
      into its * and + nodes; "neurons" also folds each neuron's z into its activation, a = f(Σw·a+b), so a
      whole MLP's cost graph stays readable.
    - ``grads`` (optional) shows these grads instead of each Value's own, "?" for a missing one, and ``focus``
      marks one node: animate_backward draws its frames this way. ``show_names`` heads an unlabelled record
      with its name v<i> (as node_names gives it), so that text can refer to it.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: root must be a Value, got {type(root).__name__}")
    if collapse not in COLLAPSE:
        raise ValueError(f"draw_graph: collapse must be one of {COLLAPSE}, got {collapse!r}")
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(f"draw_graph: highlight must be a Value, got {type(highlight).__name__}")
    order = topological_order(root)
    hidden = _folded_neurons(order) if collapse == "neurons" else set()
    hidden.discard(highlight)  # type: ignore[arg-type]
    drawn = [n for n in order if n not in hidden]
    if len(drawn) > max_nodes:
        hint = "" if collapse == "neurons" else "collapse='neurons' (a neuron's z and activation as one node), "
        raise GraphTooLarge(f"draw_graph: the graph has {len(drawn)} Values, more than max_nodes={max_nodes}; "
                            f"pass {hint}a larger max_nodes, or draw a smaller part (e.g. one neuron's output)")
    names = {node: f"v{i}" for i, node in enumerate(order)}
    on_path = paths_to_root(root, highlight) if highlight is not None else set()

    g = Graph("autograd_nn", graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.5"},
              node_attr={"fontname": "Helvetica", "fontsize": "11"},
              edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.6"})

    def record(name: str, node_label: str, data: float, grad: float | None, hot: bool, focused: bool) -> None:
        head = f"{_escape(node_label)} | " if node_label else ""
        shown = "?" if grad is None else fmt(grad)
        color = FOCUS if focused else HOT if hot else "black"
        # Fields stack across the rank direction: with rankdir LR a bare "x | y" is a compact vertical box.
        fields = f"{head}data {fmt(data)} | grad {shown}"
        g.node(name, fields if rankdir in ("LR", "RL") else f"{{ {fields} }}", shape="record", color=color,
               penwidth="2" if hot or focused else "1", fontcolor=DIM if grad is None else "black")

    def edge(src: str, dst: str, d: float, hot: bool) -> None:
        g.edge(src, dst, label=fmt(d) if show_local_grads else "", color=HOT if hot else "black",
               fontcolor=HOT if hot else "black", penwidth="2" if hot else "1")

    def grad_of(node: Value) -> float | None:
        return node.grad if grads is None else grads.get(node)

    for node in drawn:
        name, hot = names[node], node in on_path
        record(name, node.label or (name if show_names else ""), node.data, grad_of(node), hot, node is focus)
        if node._op is None:
            continue
        op_name = name + "op"
        g.edge(op_name, name, color=HOT if hot else "black")
        derivs = local_derivatives(node)
        parent = node._prev[0] if len(node._prev) == 1 else None
        if parent is not None and parent in hidden:
            # a = f(z) with z = Σw·a+b folded in: ∂a/∂input = f'(z) · ∂z/∂input, both from the engine's rules.
            g.node(op_name, f"{node._op.symbol}(Σw·a+b)", shape="box", style="rounded", color=HOT if hot else "black")
            for p, dz in zip(parent._prev, local_derivatives(parent)):
                edge(names[p], op_name, float(derivs[0]) * float(dz), hot and p in on_path)
        elif node._op is WEIGHTED_SUM and collapse == "none":
            _expand_weighted_sum(g, node, names, on_path, grad_of(node), edge, record)
        else:
            g.node(op_name, node._op.symbol, shape="box" if len(node._op.symbol) > 2 else "circle",
                   style="rounded", color=HOT if hot else "black", margin="0.04")
            for p, d in zip(node._prev, derivs):
                edge(names[p], op_name, float(d), hot and p in on_path)

    if highlight is not None:
        g.chain_total = chain_total(root, highlight)
        w_name = highlight.label or names.get(highlight, "w")
        r_name = root.label or "root"
        paths, n_paths = chain_paths(root, highlight, 3)
        if 1 <= n_paths <= 3:  # few paths: write the chain rule out, one factor per local derivative
            terms = " + ".join("".join(f"({fmt(d)})" for _, _, d in path) for path in paths)
            text = f"∂{r_name}/∂{w_name} = {terms} = {fmt(g.chain_total)}"
        else:
            text = f"∂{r_name}/∂{w_name} = Σ over {n_paths} red paths of Π local derivatives = {fmt(g.chain_total)}"
        g.node("legend", text, shape="note", color=HOT, fontcolor=HOT)
    return g


def _expand_weighted_sum(g: Graph, node: Value, names: dict[Value, str], on_path: set[Value],
                         grad: float | None, edge, record) -> None:  # noqa: ANN001
    """Draw z = Σ wᵢ·aᵢ + b as its products pᵢ = wᵢ·aᵢ (the * op's rule) summed by + (the + op's rule)."""
    name, hot = names[node], node in on_path
    n = (len(node._prev) - 1) // 2
    w, a, b = node._prev[:n], node._prev[n:2 * n], node._prev[-1]
    g.node(name + "op", "+", shape="circle", color=HOT if hot else "black", margin="0.04")
    for i in range(n):
        p_name, data = f"{name}p{i}", w[i].data * a[i].data
        p_hot = hot and (w[i] in on_path or a[i] in on_path)
        d_sum = float(ADD.derivative(data, node.data - data, node.data)[0])  # ∂z/∂pᵢ
        record(p_name, "", data, None if grad is None else grad * d_sum, p_hot, False)
        g.node(p_name + "op", "*", shape="circle", color=HOT if p_hot else "black", margin="0.04")
        g.edge(p_name + "op", p_name, color=HOT if p_hot else "black")
        dw, da = MUL.derivative(w[i].data, a[i].data, data)
        edge(names[w[i]], p_name + "op", float(dw), p_hot and w[i] in on_path)
        edge(names[a[i]], p_name + "op", float(da), p_hot and a[i] in on_path)
        edge(p_name, name + "op", d_sum, p_hot)
    edge(names[b], name + "op", float(ADD.derivative(node.data - b.data, b.data, node.data)[1]), hot and b in on_path)
