"""draw_graph and draw_network: the DOT they write (counts, labels, local derivatives, highlight, collapse)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from viz_helpers import dot_edges, dot_nodes, fresh

from autograd_nn import MLP, Value, sigmoid, weighted_sum
from autograd_nn.engine import local_derivatives, topological_order
from autograd_nn.testing.strategies import expressions
from autograd_nn.viz import GraphTooLarge, draw_graph, draw_network
from autograd_nn.viz.graph import HOT


def records(src: str) -> dict[str, dict[str, str]]:
    return {k: v for k, v in dot_nodes(src).items() if v.get("shape") == "record"}


def label_value(label: str) -> float:
    """The number an edge label stands for: "-3", "1 ×60" (60 uses, 1 each), "0.5 + -0.5", "Σ 12 (of 60)"."""
    if label.startswith("Σ "):
        return float(label.split()[1])
    total = 0.0
    for term in label.split(" + "):
        value, _, count = term.partition(" ×")
        total += float(value) * (int(count) if count else 1)
    return total


def test_product_graph_counts_and_labels() -> None:
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    z = x * y
    z.label = "z"
    z.backward()
    src = draw_graph(z).source
    nodes, edges = dot_nodes(src), dot_edges(src)
    assert len(records(src)) == 3 and len(nodes) == 4  # x, y, z and one * node
    assert len(edges) == 3  # x -> *, y -> *, * -> z
    labels = {n["label"] for n in records(src).values()}
    assert labels == {"x | data 2 | grad -3", "y | data -3 | grad 2", "z | data -6 | grad 1"}
    names = {v["label"].split(" |")[0]: k for k, v in records(src).items()}
    assert draw_graph(z, rankdir="TB").source.count("{ x | data 2 | grad -3 }") == 1
    into_op = {s: a["label"] for s, d, a in edges if d.endswith("op")}
    assert into_op[names["x"]] == "-3"  # ∂z/∂x = y
    assert into_op[names["y"]] == "2"   # ∂z/∂y = x


def test_same_graph_same_dot_text() -> None:
    def build() -> Value:
        a, b = Value(0.3, label="a"), Value(-1.2)
        out = (a * b + a).tanh() * b
        out.backward()
        return out

    assert draw_graph(build(), highlight=None).source == draw_graph(build()).source
    assert "0x" not in draw_graph(build()).source  # no id()-based names


def test_labels_that_look_like_record_syntax_are_escaped() -> None:
    v = Value(1.0, label="a|b{c}<d>")
    src = draw_graph(v * 2).source
    assert r"a\|b\{c\}\<d\>" in src


def test_local_grads_can_be_hidden() -> None:
    x, y = Value(2.0), Value(3.0)
    src = draw_graph(x * x * y, show_local_grads=False).source
    labels = sorted(a.get("label", "") for _, _, a in dot_edges(src))
    assert labels == ["", "", "", "", "×2"]  # x*x: x is used twice by one op, which still shows; no derivative


def red_chain_value(src: str, w_name: str, root_name: str) -> tuple[float, float]:
    """Σ over red paths of Π edge labels, read back from the DOT text (and the same with |labels|)."""
    ins: dict[str, list[tuple[str, float]]] = {}
    for s, d, a in dot_edges(src):
        if a.get("color") == HOT:
            ins.setdefault(d, []).append((s, label_value(a["label"]) if a.get("label") else 1.0))
    memo: dict[str, tuple[float, float]] = {}

    def val(n: str) -> tuple[float, float]:
        if n == w_name:
            return 1.0, 1.0
        if n not in memo:
            parts = [(f * val(s)[0], abs(f) * val(s)[1]) for s, f in ins.get(n, [])]
            memo[n] = (sum(p[0] for p in parts), sum(p[1] for p in parts))
        return memo[n]

    return val(root_name)


@given(expressions(max_depth=3, max_leaves=2))
def test_highlighted_chain_product_equals_grad(expr) -> None:  # noqa: ANN001
    out, xs = fresh(expr)
    w = xs[0]
    g = draw_graph(out, highlight=w)
    assert g.chain_total == pytest.approx(w.grad, rel=1e-9, abs=1e-12)
    order = topological_order(out)
    names = {n: f"v{i}" for i, n in enumerate(order)}
    if w not in names:
        return
    total, scale = red_chain_value(g.source, names[w], names[out])
    # The labels are rounded to 4 significant digits: allow that much per factor.
    assert abs(total - w.grad) <= 2e-3 * scale + 1e-9
    assert f"= {w.grad:.4g}" in dot_nodes(g.source)["legend"]["label"] or math.isclose(g.chain_total, w.grad)


def neuron_cost() -> tuple[Value, list[Value], list[Value], Value]:
    w = [Value(0.4, label="w1"), Value(-0.7, label="w2")]
    a = [Value(1.5, label="a1"), Value(0.5, label="a2")]
    b = Value(0.1, label="b")
    out = sigmoid(weighted_sum(w, a, b))
    cost = (out - 1.0) ** 2
    cost.backward()
    return cost, w, a, b


def test_weighted_sum_collapsed_by_default_and_expandable() -> None:
    cost, w, a, _ = neuron_cost()
    collapsed = dot_nodes(draw_graph(cost).source)
    assert sum(n.get("label") == "Σw·a+b" for n in collapsed.values()) == 1
    expanded_src = draw_graph(cost, collapse="none").source
    expanded = dot_nodes(expanded_src)
    assert sum(n.get("label") == "*" for n in expanded.values()) == 2
    assert not any(n.get("label") == "Σw·a+b" for n in expanded.values())
    # In the expanded form the edge from wᵢ into its * node reads aᵢ (the * op's own rule).
    names = {n: f"v{i}" for i, n in enumerate(topological_order(cost))}
    for wi, ai in zip(w, a):
        labels = [e[2]["label"] for e in dot_edges(expanded_src) if e[0] == names[wi]]
        assert labels == [f"{ai.data:.4g}"]
    for mode in ("none", "weighted_sum", "neurons"):
        assert draw_graph(cost, highlight=w[1], collapse=mode).chain_total == pytest.approx(w[1].grad)


def test_neurons_collapse_keeps_an_mlp_cost_graph_small_and_correct() -> None:
    mlp = MLP(2, [4, 4, 1], seed=1)
    cost = (mlp([0.5, -0.25]) - 1.0) ** 2
    cost.backward()
    full = draw_graph(cost, max_nodes=10_000)
    small = draw_graph(cost, collapse="neurons")
    assert len(records(small.source)) < len(records(full.source))
    assert len(records(full.source)) - len(records(small.source)) == 8  # one z folded per tanh neuron
    w = mlp.layers[0].neurons[0].w[0]
    assert draw_graph(cost, collapse="neurons", highlight=w).chain_total == pytest.approx(w.grad)
    # the folded edge label is f'(z)·∂z/∂input, both from the engine's rules
    a_node = mlp.layers[0].neurons[0]([0.5, -0.25])
    (z,) = a_node.parents
    expect = local_derivatives(a_node)[0] * local_derivatives(z)[0]
    folded = draw_graph(a_node, collapse="neurons").source
    assert f"{expect:.4g}" in [e[2].get("label") for e in dot_edges(folded)]


def test_too_large_graph_says_how_to_fix_it() -> None:
    x = Value(1.0)
    for _ in range(30):
        x = x * 1.01
    with pytest.raises(GraphTooLarge, match=r"max_nodes=20.*collapse='neurons'"):
        draw_graph(x, max_nodes=20)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="root must be a Value"):
        draw_graph(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="collapse must be one of"):
        draw_graph(Value(1.0), collapse="all")


# -- draw_network -------------------------------------------------------------------------------------------

def weight_labels(src: str) -> list[str]:
    return [n["label"] for k, n in dot_nodes(src).items() if re.fullmatch(r"L\d+n\d+w\d+", k)]


def test_network_columns_colours_widths_and_labels() -> None:
    mlp = MLP(2, [3, 1], seed=3)
    src = draw_network(mlp).source
    edges = [a for _, d, a in dot_edges(src) if a.get("arrowhead") == "none"]  # input -> label box of each weight
    weights = [w for layer in mlp.layers for n in layer.neurons for w in n.w]
    assert len(edges) == len(weights) == 9
    assert weight_labels(src) == [f"{w.label} = {w.data:.4g}" for w in weights]  # no gradient yet: no ∂C/∂w
    for e, w in zip(edges, weights):
        assert e["color"] == ("#1f77b4" if w.data >= 0 else "#d62728")
    widths = sorted((abs(w.data), float(e["penwidth"])) for e, w in zip(edges, weights))
    assert [p for _, p in widths] == sorted(p for _, p in widths)
    nodes = dot_nodes(src)
    assert sum(n.get("shape") == "ellipse" for n in nodes.values()) == 4
    assert "tanh" in nodes["L1n0"]["label"] and "linear" in nodes["L2n0"]["label"]
    assert "b¹₁ = 0" in nodes["L1n0"]["label"]


def test_network_shows_gradients_and_activations() -> None:
    mlp = MLP(2, [2, 1], seed=0)
    out = mlp([1.0, -2.0])
    (out * out).backward()
    src = draw_network(mlp, inputs=[1.0, -2.0]).source
    w = mlp.layers[1].neurons[0].w[1]
    assert w.label == "w²₁₂"  # layer 2, to neuron 1 from neuron 2 of layer 1
    assert dot_nodes(src)["L2n0w1"]["label"] == f"w²₁₂ = {w.data:.4g}\\n∂C/∂w²₁₂ = {w.grad:.4g}"
    assert f"a²₁ = linear(z²₁) = {out.data:.4g}" in dot_nodes(src)["L2n0"]["label"]


def test_network_bad_inputs() -> None:
    with pytest.raises(ValueError, match="must have 2 numbers"):
        draw_network(MLP(2, [1], seed=0), inputs=[1.0])
    with pytest.raises(TypeError, match="expected an autograd_nn.nn.MLP"):
        draw_network(object())


def test_big_network_drops_edge_labels() -> None:
    mlp = MLP(2, [16, 16, 1], seed=0)
    src = draw_network(mlp).source
    assert weight_labels(src) == []
    edges = [a for _, _, a in dot_edges(src) if a.get("style") != "invis"]
    assert len(edges) == sum(len(n.w) for layer in mlp.layers for n in layer.neurons) and not any(
        a.get("label") for a in edges)


def test_legend_writes_out_the_chain_for_one_path_and_counts_many():
    # C = ½(σ(w·a + b) − y)²: one path from w, the legend's factors are the local derivatives along it.
    w, a, b = Value(0.8, label="w"), Value(1.5, label="a"), Value(-0.4, label="b")
    out = (weighted_sum([w], [a], b)).sigmoid()
    C = 0.5 * (out - 1.0) ** 2
    C.label = "C"
    C.backward()
    label = dot_nodes(draw_graph(C, highlight=w).source)["legend"]["label"]
    factors = [float(f) for f in re.findall(r"\(([-0-9.e]+)\)", label)]
    assert label.startswith("∂C/∂w = (") and len(factors) == 5  # *, **2, -, σ, Σw·a+b
    assert math.prod(factors) == pytest.approx(w.grad, rel=1e-3)
    assert label.endswith(f"= {w.grad:.4g}")
    # x used on 4 paths: counted, not written out.
    x = Value(0.3, label="x")
    y = (x * x) * (x * x)
    y.label = "y"
    label = dot_nodes(draw_graph(y, highlight=x).source)["legend"]["label"]
    assert "Σ over 4 red paths" in label
