"""draw_graph: a Value's computation graph as a graphviz Digraph, each edge labelled with ∂out/∂in.

Edge labels come from the engine's one derivative rule (``local_derivatives`` / ``Op.derivative``), never a
copy of it. Nodes are named by their position in the topological order, so the same graph always gives the
same DOT text, node for node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..engine import DomainError, Value, local_derivatives, topological_order, walk
from ..engine.ops import WEIGHTED_SUM
from .chain import chain, paths_to_root
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


def chain_total(root: Value, w: Value) -> float:
    """∂root/∂w as the engine's walk computes it (Σ over paths of Π ∂child/∂parent): what w.grad becomes."""
    return chain(root, w, max_paths=0).total


def edge_derivatives(node: Value) -> tuple[float | None, ...]:
    """The local derivative on each input edge of node, from the op table's rule at the current data; None
    where it is undefined (drawn as "undefined"; backward raises there only if a gradient reaches the node)."""
    try:
        return tuple(float(d) for d in local_derivatives(node))
    except DomainError:
        return (None,) * len(node.parents)


def _folded_neurons(order: list[Value]) -> set[Value]:
    """Weighted-sum nodes whose only consumer is an activation: drawn inside it as f(Σw·a+b)."""
    consumers: dict[Value, int] = {}
    for node in order:
        for p in node.parents:
            consumers[p] = consumers.get(p, 0) + 1
    return {p for node in order if node.op is not None and len(node.parents) == 1
            for p in node.parents if p.op is WEIGHTED_SUM and consumers[p] == 1}


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
    if highlight is not None:
        hidden.discard(highlight)
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

    def op_node(name: str, symbol: str, hot: bool) -> None:
        g.node(name, symbol, shape="box" if len(symbol) > 2 else "circle", style="rounded",
               color=HOT if hot else "black", margin="0.04")

    def edge(src: str, dst: str, d: float | None, hot: bool) -> None:
        label = ("undefined" if d is None else fmt(d)) if show_local_grads else ""
        g.edge(src, dst, label=label, color=HOT if hot else "black",
               fontcolor=HOT if hot else "black", penwidth="2" if hot else "1")

    def grad_of(node: Value) -> float | None:
        return node.grad if grads is None else grads.get(node)

    for node in drawn:
        name, hot = names[node], node in on_path
        record(name, node.label or (name if show_names else ""), node.data, grad_of(node), hot, node is focus)
        if node.op is None:
            continue
        op_name = name + "op"
        g.edge(op_name, name, color=HOT if hot else "black")
        derivs = edge_derivatives(node)
        parent = node.parents[0] if len(node.parents) == 1 else None
        if parent is not None and parent in hidden:
            # a = f(z) with z = Σw·a+b folded in: ∂a/∂input = f'(z) · ∂z/∂input, both from the engine's rules.
            op_node(op_name, f"{node.op.symbol}(Σw·a+b)", hot)
            for p, dz in zip(parent.parents, edge_derivatives(parent)):
                da = None if derivs[0] is None or dz is None else derivs[0] * dz
                edge(names[p], op_name, da, hot and p in on_path)
        elif node.op.decompose is not None and collapse == "none":
            _draw_decomposed(g, node, names, on_path, grad_of(node), record, op_node, edge)
        else:
            op_node(op_name, node.op.symbol, hot)
            for p, d in zip(node.parents, derivs):
                edge(names[p], op_name, d, hot and p in on_path)

    if highlight is not None:
        found = chain(root, highlight, max_paths=3)
        g.chain_total = found.total
        w_name = highlight.label or names.get(highlight, "w")
        r_name = root.label or "root"
        if 1 <= found.n_paths <= 3:  # few paths: write the chain rule out, one factor per local derivative
            terms = " + ".join("".join(f"({fmt(d)})" for _, _, d in path) for path in found.paths)
            text = f"∂{r_name}/∂{w_name} = {terms} = {fmt(found.total)}"
        elif found.n_paths == 0 and found.blocked:
            stops = ", ".join(names[n] for n in found.blocked[:3])
            text = f"∂{r_name}/∂{w_name} = 0: no gradient gets past {stops} (grad 0 there)"
        else:
            text = (f"∂{r_name}/∂{w_name} = Σ over {found.n_paths} red paths of Π local derivatives "
                    f"= {fmt(found.total)}")
        g.node("legend", text, shape="note", color=HOT, fontcolor=HOT)
    return g


def _draw_decomposed(g: Graph, node: Value, names: dict[Value, str], on_path: set[Value], grad: float | None,
                     record: Callable[..., None], op_node: Callable[..., None], edge: Callable[..., None]) -> None:
    """Draw a fused op as the simpler ops of its table entry's ``decompose`` (z = b + w₁·a₁ + … as its * and +
    nodes): each inner node with its value, its grad (the engine's walk from node, seeded with node's grad)
    and the local derivative on every edge. The last inner node is node itself, already drawn."""
    assert node.op is not None and node.op.decompose is not None
    inner_root = node.op.decompose(*node.parents)
    inner = [n for n in topological_order(inner_root) if n not in names]
    inner_grads = {n: gr for n, gr, _ in walk(inner_root, seed=grad)} if grad is not None else {}
    shown = {n: names[node] if n is inner_root else f"{names[node]}d{k}" for k, n in enumerate(inner)}
    hot: set[Value] = set()
    for n in inner:  # parents first: an inner node is on a red path when node is and one of its inputs is
        if node in on_path and any(p in on_path or p in hot for p in n.parents):
            hot.add(n)
        name, op_name = shown[n], shown[n] + "op"
        if n is not inner_root:
            record(name, "", n.data, inner_grads.get(n), n in hot, False)
            g.edge(op_name, name, color=HOT if n in hot else "black")
        assert n.op is not None
        op_node(op_name, n.op.symbol, n in hot)
        for p, d in zip(n.parents, edge_derivatives(n)):
            edge(shown.get(p) or names[p], op_name, d, n in hot and (p in hot or p in on_path))
