"""draw_graph: a Value's computation graph as a graphviz Digraph, each edge labelled with ∂out/∂in.

Edge labels come from the engine's one derivative rule (``local_derivatives`` / ``Op.derivative``), never a
copy of it. Nodes are named by their position in the topological order, so the same graph always gives the
same DOT text, node for node.

Every graph draw_graph returns can be laid out in seconds: an input an op uses k times is one edge (labelled
``×k``), and a graph whose edges would have to run a long way past other nodes (one Value feeding ops all
along a long chain, as x + x + … + x does) is refused with GraphTooLarge before any renderer runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from ..engine import DomainError, Value, local_derivatives, topological_order, walk
from ..engine.arithmetic import fold_sum
from ..engine.ops import WEIGHTED_SUM
from .chain import Chain, chain, paths_to_root
from .names import named, node_names, operand
from .render import MAX_TEXT, Graph, display_text, dot_label, record_field

COLLAPSE = ("none", "weighted_sum", "neurons")
HOT = "#d62728"      # the highlighted chain
FOCUS = "#1f77b4"    # the node a backward step is at
DIM = "#999999"      # grads not yet filled in
MAX_SYMBOL = 16      # characters of an op's symbol in its node (a user op may have a long one)
MAX_LEGEND = 160     # a written-out chain rule longer than this is summed up instead
MAX_EDGE_SPAN = 20_000  # draw_graph's default max_edge_span: a few seconds of layout at most (see edge_span)
MAX_EDGES = 5_000  # draw_graph's default max_edges: 100 Values each used by 100 ops is 10,000 (a minute)
FAST_LAYOUT_FROM = 1_000  # from this edge span, or this many edges, on, draw_graph asks for FAST_LAYOUT
# Straight edges, one placement pass (nslimit=0), a short crossing search (mclimit) and each node's outputs in
# the order they were drawn (ordering=out, which also lays a chain out as a diagonal with the edges from the
# Value it keeps using fanning out straight to each op): with them a graph of long edges (x + x + … + x,
# 60 terms) is laid out in under a second instead of 90 s (`dot` 2.43) or 6 s (graphviz-pure).
FAST_LAYOUT = {"splines": "line", "nslimit": "0", "mclimit": "0.1", "ordering": "out"}


class GraphTooLarge(ValueError):
    """The graph has more nodes than draw_graph's max_nodes, or its edges run too far (max_edge_span)."""


def fmt(x: float) -> str:
    """A number to 4 significant digits, as every picture shows it."""
    return f"{x:.4g}"


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


def merge_parallel(parents: Sequence[Value], derivs: Sequence[float | None]) -> list[tuple[Value, list[float | None]]]:
    """Each distinct input of an op once, in order of first use, with the local derivative of each use."""
    uses: dict[Value, list[float | None]] = {}
    for p, d in zip(parents, derivs):
        uses.setdefault(p, []).append(d)
    return list(uses.items())


def edge_label(derivs: Sequence[float | None], show_local_grads: bool = True) -> str:
    """The label of one drawn edge, which stands for every use of one input by one op (parallel edges merged).

    The label always reads as what the chain rule adds up over those uses:

    - one use: its local derivative, e.g. ``-3``;
    - k uses with the same local derivative d: ``d ×k``, e.g. ``1 ×60`` for sum_of([x]*60), ``3 ×2`` for x*x at 3;
    - uses with different local derivatives: each value with its count, joined by +, e.g. ``0.5 + -0.5`` for x/x
      at 2, ``1 ×2 + 3``; more than three different values: their sum and the count, ``Σ 12.5 (of 60)``.

    ``undefined`` stands for a local derivative that is undefined at the current data. Without local grads
    only the count shows (``×60``; nothing for a single use).
    """
    k = len(derivs)
    if not show_local_grads:
        return f"×{k}" if k > 1 else ""
    counts: dict[str, int] = {}
    for d in derivs:
        text = "undefined" if d is None else fmt(d)
        counts[text] = counts.get(text, 0) + 1
    if len(counts) > 3:
        known = [d for d in derivs if d is not None]
        total = "undefined" if len(known) < k else fmt(fold_sum(known))
        return f"Σ {total} (of {k})"
    return " + ".join(text if n == 1 else f"{text} ×{n}" for text, n in counts.items())


def edge_span(links: Iterable[tuple[str, str]]) -> tuple[int, str | None, int]:
    """How far the edges of a layered (dot) layout run past other ranks, which is what makes layout slow.

    Nodes get ranks as Graphviz's dot gives them, about: each node one rank after its last input, and a node
    without inputs (a leaf) just before its first consumer. An edge from rank r to rank s passes s - r - 1
    ranks, where dot routes it through as many hidden nodes. Returns the total over all edges, the node whose
    edges pass the most ranks and how many edges leave it.
    """
    succ: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for src, dst in links:
        succ.setdefault(src, []).append(dst)
        succ.setdefault(dst, [])
        waiting[dst] = waiting.get(dst, 0) + 1
        waiting.setdefault(src, 0)
    rank = dict.fromkeys(succ, 0)
    sources = [n for n in succ if waiting[n] == 0]
    ready = list(sources)
    while ready:
        node = ready.pop()
        for dst in succ[node]:
            rank[dst] = max(rank[dst], rank[node] + 1)
            waiting[dst] -= 1
            if waiting[dst] == 0:
                ready.append(dst)
    for node in sources:
        if succ[node]:
            rank[node] = min(rank[dst] for dst in succ[node]) - 1
    passed = {node: sum(rank[dst] - rank[node] - 1 for dst in out) for node, out in succ.items()}
    if not passed:
        return 0, None, 0
    worst = max(passed, key=lambda node: passed[node])
    return sum(passed.values()), worst, len(succ[worst])


def draw_graph(root: Value, *, show_local_grads: bool = True, highlight: Value | None = None,
               rankdir: str = "LR", max_nodes: int = 250, collapse: str = "weighted_sum",
               grads: Mapping[Value, float] | None = None, focus: Value | None = None,
               show_names: bool = False, max_edge_span: int = MAX_EDGE_SPAN, max_edges: int = MAX_EDGES,
               root_name: str | None = None) -> Graph:
    """One record per Value (label, data, grad) and one node per op; each input edge carries ∂out/∂in.

    - ``highlight=w`` colours every path from w to root and adds a legend with Σ over paths Π ∂child/∂parent,
      which equals w.grad after root.backward().
    - ``collapse``: "weighted_sum" (default) draws a fused z = w·a + b as one Σw·a+b node; "none" expands it
      into its * and + nodes; "neurons" also folds each neuron's z into its activation, a = f(Σw·a+b), so a
      whole MLP's cost graph stays readable.
    - ``grads`` (optional) shows these grads instead of each Value's own, "?" for a missing one, and ``focus``
      marks one node: animate_backward draws its frames this way. ``show_names`` heads an unlabelled record
      with its name from node_names (its sub-expression, such as ``w * x + b``, or a number for a constant),
      so that text can refer to it; ``root_name`` names an unlabelled root there (node_names). Drawing changes
      no Value.
    - An input that one op uses several times (x*x, sum_of([x]*60)) is one edge; its label is explained in
      edge_label (``1 ×60``: sixty uses, each with local derivative 1).
    - Labels show as typed, control characters as visible symbols (ESC as ␛), names longer than 40 characters
      cut with "…" (see render.display_text).

    Raises GraphTooLarge when more than ``max_nodes`` Values or ``max_edges`` edges would be drawn, or when
    the edges would pass more than ``max_edge_span`` ranks in all on their way (see edge_span): the layout of
    such a graph takes minutes. A single Value feeding ops all along a long chain (x + x + … + x) does that;
    written as one op (sum_of([x]*60), 60*x) it is one edge. Below those limits a graph with many or long
    edges is drawn with FAST_LAYOUT: a few seconds at most in `dot` and graphviz-pure.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: root must be a Value, got {type(root).__name__}")
    if collapse not in COLLAPSE:
        raise ValueError(f"draw_graph: collapse must be one of {COLLAPSE}, got {collapse!r}")
    if highlight is not None and not isinstance(highlight, Value):
        raise TypeError(f"draw_graph: highlight must be a Value, got {type(highlight).__name__}")
    for arg, value in (("max_nodes", max_nodes), ("max_edge_span", max_edge_span), ("max_edges", max_edges)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"draw_graph: {arg} must be a whole number >= 0, got {value!r}")
    order = topological_order(root)
    hidden = _folded_neurons(order) if collapse == "neurons" else set()
    if highlight is not None:
        hidden.discard(highlight)
    drawn = [n for n in order if n not in hidden]
    if len(drawn) > max_nodes:
        hint = "" if collapse == "neurons" else "collapse='neurons' (a neuron's z and activation as one node), "
        raise GraphTooLarge(f"draw_graph: the graph has {len(drawn)} Values, more than max_nodes={max_nodes}; "
                            f"pass {hint}a larger max_nodes, or draw a smaller part (e.g. one neuron's output)")
    names = {node: f"v{i}" for i, node in enumerate(order)}  # DOT node ids
    shown_names = node_names(root, root_name) if show_names or highlight is not None else {}
    on_path = paths_to_root(root, highlight) if highlight is not None else set()

    # Nodes are white boxes drawn over the edges: an edge that has to pass a node (or the legend) never
    # strikes through its text.
    g = Graph("autograd_nn", graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.5",
                                         "outputorder": "edgesfirst"},
              node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "filled", "fillcolor": "white"},
              edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.6"})
    links: list[tuple[str, str]] = []

    def record(name: str, node_label: str, data: float, grad: float | None, hot: bool, focused: bool) -> None:
        head = f"{record_field(node_label)} | " if node_label else ""
        shown = "?" if grad is None else fmt(grad)
        color = FOCUS if focused else HOT if hot else "black"
        # Fields stack across the rank direction: with rankdir LR a bare "x | y" is a compact vertical box.
        fields = f"{head}data {fmt(data)} | grad {shown}"
        g.node(name, fields if rankdir in ("LR", "RL") else f"{{ {fields} }}", shape="record", color=color,
               penwidth="2" if hot or focused else "1", fontcolor=DIM if grad is None else "black")

    def op_node(name: str, symbol: str, hot: bool) -> None:
        """symbol: display text already (display_text), escaped here."""
        g.node(name, dot_label(symbol, None), shape="box" if len(symbol) > 2 else "circle", style="rounded,filled",
               color=HOT if hot else "black", margin="0.04")

    def result(op_name: str, name: str, hot: bool) -> None:
        links.append((op_name, name))
        g.edge(op_name, name, color=HOT if hot else "black")

    def edge(src: str, dst: str, derivs: list[float | None], hot: bool) -> None:
        links.append((src, dst))
        g.edge(src, dst, label=edge_label(derivs, show_local_grads), color=HOT if hot else "black",
               fontcolor=HOT if hot else "black", penwidth="2" if hot else "1")

    def grad_of(node: Value) -> float | None:
        return node.grad if grads is None else grads.get(node)

    for node in drawn:
        name, hot = names[node], node in on_path
        record(name, node.label or (shown_names[node] if show_names else ""), node.data, grad_of(node), hot,
               node is focus)
        if node.op is None:
            continue
        op_name = name + "op"
        result(op_name, name, hot)
        symbol = display_text(node.op.symbol, MAX_SYMBOL)
        derivs = edge_derivatives(node)
        parent = node.parents[0] if len(node.parents) == 1 else None
        if parent is not None and parent in hidden:
            # a = f(z) with z = Σw·a+b folded in: ∂a/∂input = f'(z) · ∂z/∂input, both from the engine's rules.
            op_node(op_name, f"{symbol}(Σw·a+b)", hot)
            folded = [None if derivs[0] is None or dz is None else derivs[0] * dz for dz in edge_derivatives(parent)]
            for p, ds in merge_parallel(parent.parents, folded):
                edge(names[p], op_name, ds, hot and p in on_path)
        elif node.op.decompose is not None and collapse == "none":
            _draw_decomposed(g, node, names, on_path, grad_of(node), record, op_node, result, edge)
        else:
            op_node(op_name, symbol, hot)
            for p, ds in merge_parallel(node.parents, derivs):
                edge(names[p], op_name, ds, hot and p in on_path)

    if len(links) > max_edges:
        raise GraphTooLarge(f"draw_graph: the graph has {len(links)} edges, more than max_edges={max_edges}, so "
                            "the layout would take minutes; draw a smaller part (e.g. one neuron's output), "
                            "or pass a larger max_edges")
    span, worst, fan_out = edge_span(links)
    if span > max_edge_span:
        who = {names[n]: n for n in drawn}.get(worst or "")
        shown = display_text(who.label, MAX_TEXT) if who is not None and who.label else worst
        raise GraphTooLarge(
            f"draw_graph: the graph's edges would pass {span} ranks on their way to their ops, more than "
            f"max_edge_span={max_edge_span}, so the layout would take minutes (the most from {shown}: {fan_out} "
            "edges to ops spread along the graph); draw a smaller part, write a term used over and over as one "
            "op (sum_of([x]*n) or n*x is one edge), or pass a larger max_edge_span")
    if span >= FAST_LAYOUT_FROM or len(links) >= FAST_LAYOUT_FROM:
        g.graph_attr.update(FAST_LAYOUT)

    if highlight is not None:
        text, g.chain_total = _legend(root, highlight, shown_names, root_name)
        g.node("legend", dot_label(text, None), shape="note", color=HOT, fontcolor=HOT)
    return g


def _legend(root: Value, w: Value, names: Mapping[Value, str], root_name: str | None) -> tuple[str, float]:
    """The chain rule for ∂root/∂w (written out when there are at most three paths and it fits in MAX_LEGEND)
    and its total."""
    found = chain(root, w, max_paths=3)
    return _legend_text(found, w, root, names, root_name), found.total


def _legend_text(found: Chain, w: Value, root: Value, names: Mapping[Value, str], root_name: str | None) -> str:
    written = named(root, root_name)  # the names explain writes after ∂: a formula in parentheses, ∂(x * y)/∂x

    def after_d(node: Value, fallback: str) -> str:
        return display_text(operand(*written[node]) if node in written else (node.label or fallback), MAX_TEXT)

    w_name, r_name = after_d(w, "w"), after_d(root, "root")
    head = f"∂{r_name}/∂{w_name} = "
    if found.n_paths == 0 and found.blocked:
        stops = ", ".join(display_text(names[n], MAX_TEXT) for n in found.blocked[:3])
        return f"{head}0: no gradient gets past {stops} (grad 0 there)"
    if 1 <= found.n_paths <= 3:  # few paths: write the chain rule out, one factor per local derivative
        terms = " + ".join("".join(f"({fmt(d)})" for _, _, d in path) for path in found.paths)
        text = f"{head}{terms} = {fmt(found.total)}"
        if len(text) <= MAX_LEGEND:
            return text
    if found.n_paths == 1:
        factors = len(found.paths[0])
        return f"{head}Π of the {factors} local derivatives on the red path = {fmt(found.total)}"
    return f"{head}Σ over {found.n_paths} red paths of Π local derivatives = {fmt(found.total)}"


def _draw_decomposed(g: Graph, node: Value, names: dict[Value, str], on_path: set[Value], grad: float | None,
                     record: Callable[..., None], op_node: Callable[..., None], result: Callable[..., None],
                     edge: Callable[..., None]) -> None:
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
            result(op_name, name, n in hot)
        assert n.op is not None
        op_node(op_name, display_text(n.op.symbol, MAX_SYMBOL), n in hot)
        for p, ds in merge_parallel(n.parents, edge_derivatives(n)):
            edge(shown.get(p) or names[p], op_name, ds, n in hot and (p in hot or p in on_path))
