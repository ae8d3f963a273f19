"""node_names: one naming rule (label, number, sub-expression, short name) used by explain and draw_graph."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from viz_helpers import dot_nodes, fresh

from autograd_nn import MLP, Value, losses, weighted_sum
from autograd_nn.engine import BUILTIN_OPS, topological_order
from autograd_nn.testing.strategies import expressions
from autograd_nn.viz import draw_graph, explain, node_names
from autograd_nn.viz import graph as graph_module
from autograd_nn.viz.explain import latex_name
from autograd_nn.viz.names import MAX_NAME

SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
NAMESPACE = {op.name: op for op in BUILTIN_OPS.values()} | {"abs": abs}


def leaves_exact(node: Value) -> bool:
    """Every leaf under node is labelled or written exactly by its 4-digit number."""
    return all(n.label or n.op is not None or float(f"{n.data:.4g}") == n.data for n in topological_order(node))


@given(expressions(max_depth=3, max_leaves=3))
def test_names_are_unique_and_a_sub_expression_reads_back_as_the_node(expr) -> None:  # noqa: ANN001
    out, xs = fresh(expr)
    names = node_names(out)
    assert len(set(names.values())) == len(names) == len(topological_order(out))
    values = {x.label: x.data for x in xs}
    for node, name in names.items():
        if node.label:
            assert name == node.label or name[len(node.label):].strip(SUBSCRIPTS) == ""
            continue
        if any(ch in SUBSCRIPTS for ch in name) or not leaves_exact(node):
            continue  # a short name (z₁) or a disambiguated one, or a constant shown to 4 digits
        assert len(name) <= MAX_NAME
        # The name is the Python expression that computes the node: eval it on the inputs' numbers.
        assert eval(name, dict(NAMESPACE), dict(values)) == pytest.approx(node.data, rel=1e-9, abs=1e-12), name


def test_same_text_for_different_nodes_is_disambiguated() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    p, q = x * w, x * w  # two nodes, one text
    y = p + q
    names = node_names(y)
    assert {names[p], names[q]} == {"x * w", "(x * w)₂"}
    assert names[y] == f"{names[p]} + {names[q]}" or names[y] == f"{names[p]} + ({names[q]})"
    twin = Value(1.0, label="w")  # two Values labelled alike
    assert sorted(node_names(w * twin).values()) == sorted(["w", "w₂", "w * w₂"]) or \
        sorted(node_names(w * twin).values()) == sorted(["w", "w₂", "w₂ * w"])


def test_long_sub_expressions_get_a_short_name_and_the_next_node_builds_on_it() -> None:
    x = [Value(v, label=f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0], 1)]
    hidden = [weighted_sum([Value(0.5 * j - i) for i in range(3)], x, Value(0.1 * j)).tanh() for j in range(2)]
    out = weighted_sum([Value(0.3), Value(-0.7)], hidden, Value(0.2))
    C = losses.squared_error(out, 1.0)
    names = node_names(C)
    zs = [n for n in topological_order(C) if n.op is not None and n.op.name == "weighted_sum"]
    assert [names[z] for z in zs] == ["z₁", "z₂", "z₃"]  # b + w₁·a₁ + … is longer than MAX_NAME
    tanh_of = {names[n.parents[0]]: name for n, name in names.items() if n.op is not None and n.op.name == "tanh"}
    assert tanh_of == {"z₁": "tanh(z₁)", "z₂": "tanh(z₂)"}
    assert all(len(name) <= MAX_NAME for node, name in names.items() if not node.label)


def test_an_mlp_names_its_nodes_by_their_place() -> None:
    model = MLP(3, [2, 1], activation="tanh", seed=1)
    C = losses.squared_error(model([0.5, -1.0, 2.0]), 1.0)
    names = set(node_names(C).values())
    # wˡⱼₖ: layer l, to neuron j from neuron k of layer l−1 (input k for layer 1); bˡⱼ; zˡⱼ and aˡⱼ per neuron
    assert {"w¹₁₁", "w¹₁₃", "w¹₂₁", "w¹₂₃", "b¹₁", "b¹₂", "w²₁₂", "b²₁"} <= names
    assert {"z¹₁", "a¹₁", "z¹₂", "a¹₂", "a²₁"} <= names  # the linear output neuron's output is a²₁


def test_the_same_place_in_two_samples_gets_an_index_that_reads_apart() -> None:
    model = MLP(2, [2, 1], activation="relu", seed=0)
    C = losses.mean_loss([losses.squared_error(model(x), 1.0) for x in ([0.5, -1.0], [1.5, 2.0])])
    names = node_names(C)
    outputs = [n for n in names if n.label == "a²₁"]
    assert sorted(names[n] for n in outputs) == ["(a²₁)₂", "a²₁"]
    assert len(set(names.values())) == len(names)


def test_a_label_that_looks_like_a_short_name_is_not_reused() -> None:
    a = [Value(float(i), label=f"a{i}") for i in range(5)]
    w = [Value(0.5) for _ in a]
    z = weighted_sum(w, a, Value(1.0, label="z₁"))
    names = node_names(z)
    assert names[z] == "z₂" and len(set(names.values())) == len(names)


def test_draw_graph_headers_and_legend_use_the_same_names() -> None:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    a = (w * x + b).tanh()
    a.backward()
    names = node_names(a)
    order = topological_order(a)
    nodes = dot_nodes(draw_graph(a, show_names=True).source)
    for i, node in enumerate(order):
        header = nodes[f"v{i}"]["label"].split(" | ")[0]
        assert header == graph_module.record_field(names[node]), (header, names[node])
    # w reached through an unlabelled node: the legend's factors are the same as explain's, one per op.
    legend = dot_nodes(draw_graph(a, highlight=w).source)["legend"]["label"]
    factors = [float(f) for f in re.findall(r"\(([-0-9.e]+)\)", legend)]
    assert factors == [round(d, 4 - 1 - math.floor(math.log10(abs(d)))) for _, _, d in explain(a, w).paths[0]]


def mathtext_glyphs(tex: str) -> list[tuple[str, float]]:
    """What matplotlib's mathtext draws for $tex$: each glyph's character and its baseline."""
    from matplotlib.mathtext import MathTextParser

    parsed = MathTextParser("path").parse(f"${tex}$")
    return [(chr(g[2]), float(g[-1])) for g in parsed.glyphs]


@pytest.mark.parametrize("label", ["a_in", "x&y", "n#2", "50%", "a_{b}", "c$", "p q"])
def test_latex_of_a_label_renders_as_typed(label) -> None:  # noqa: ANN001
    glyphs = mathtext_glyphs(latex_name(label))
    assert "".join(ch for ch, _ in glyphs) == label.replace(" ", "")  # mathtext draws no glyph for a space
    assert len({y for _, y in glyphs}) == 1  # one baseline: no subscript, no superscript


def test_explanation_latex_with_awkward_labels_renders() -> None:
    a_in, q = Value(1.5, label="a_in"), Value(2.0, label="q&#")
    z = a_in * q
    z.label = "z_1"
    z.backward()
    tex = explain(z, a_in).latex()
    glyphs = "".join(ch for ch, _ in mathtext_glyphs(tex))
    assert "z_1" in glyphs and "a_in" in glyphs
    # a short name's index is a real subscript: z₁ is z with a lowered 1
    (z_glyph, z_y), (one, one_y) = mathtext_glyphs(latex_name("z₁"))
    assert (z_glyph, one) == ("z", "1") and one_y != z_y


def test_one_function_importable_from_viz_graph_and_names() -> None:
    from autograd_nn.viz import names
    from autograd_nn.viz.graph import node_names as from_graph

    assert node_names is from_graph is names.node_names


def test_an_unlabelled_negative_leaf_is_written_in_parentheses_after_the_partial() -> None:
    w, x = Value(-0.75), Value(2.0, label="x")
    y = w * x
    y.label = "y"
    y.backward()
    assert str(explain(y, w)) == f"∂y/∂(-0.75) = ∂y/∂(-0.75) = ({x.data:.4g}) = {w.grad:.4g}"
    square = w ** 2
    assert node_names(square) == {w: "-0.75", square: "(-0.75) ** 2"}


@pytest.mark.parametrize(("name", "layer", "index"),
                         [("w²₁₃", "2", "13"), ("b¹₄", "1", "4"), ("a¹⁰₁₂,₃", "10", "12,3")])
def test_a_place_name_is_written_with_a_superscript_layer_and_subscript_indices(name, layer, index) -> None:  # noqa: ANN001
    glyphs = mathtext_glyphs(latex_name(name))
    letter, *rest = glyphs
    raised = "".join(ch for ch, y in rest if y > letter[1])  # mathtext's y grows upward
    lowered = "".join(ch for ch, y in rest if y < letter[1])
    assert (letter[0], raised, lowered) == (name[0], layer, index)


def test_an_mlp_explanation_names_the_factors_by_place() -> None:
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    C = losses.squared_error(model([0.5, -1.0]), 1.0)
    C.backward()
    w = model.layers[0].neurons[1].w[0]  # w¹₂₁: to neuron 2 of layer 1 from input 1
    text = str(explain(C, w))
    assert text.startswith("∂") and "/∂w¹₂₁" in text.splitlines()[0]
    assert "∂a²₁/∂a¹₂ · ∂a¹₂/∂z¹₂ · ∂z¹₂/∂w¹₂₁" in text
