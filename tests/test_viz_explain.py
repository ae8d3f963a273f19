"""explain: the chain rule written out, checked on seed 002's worked example and on random expressions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from viz_helpers import fresh

from autograd_nn import Value, sigmoid, weighted_sum
from autograd_nn.testing.strategies import expressions
from autograd_nn.viz import explain


def seed_002() -> tuple[Value, Value]:
    """The documents' output neuron: out = σ(net) = 0.79, target 1, E = ½(target − out)², input 0.92 on w₁."""
    w1, w2 = Value(0.3, label="w1"), Value(-0.4, label="w2")
    b = Value(0.0, label="b")
    y2 = 0.5
    b.data = math.log(0.79 / 0.21) - w1.data * 0.92 - w2.data * y2  # so that σ(net) = 0.79 exactly
    net = weighted_sum([w1, w2], [0.92, y2], b)
    net.label = "net"
    out = sigmoid(net)
    out.label = "out"
    error = 0.5 * (1.0 - out) ** 2
    error.label = "E"
    error.backward()
    return error, w1


def test_seed_002_three_factors_and_product_when_folded() -> None:
    error, w1 = seed_002()
    e = explain(error, w1, fold_unlabelled=True)
    assert str(e) == "∂E/∂w1 = ∂E/∂out · ∂out/∂net · ∂net/∂w1 = (-0.21)(0.1659)(0.92) = -0.03205"
    assert [f[:2] for f in e.paths[0]] == [("E", "out"), ("out", "net"), ("net", "w1")]
    assert [round(f[2], 4) for f in e.paths[0]] == [-0.21, 0.1659, 0.92]
    assert e.total == pytest.approx(-0.21 * 0.1659 * 0.92) == pytest.approx(w1.grad)
    assert r"\frac{\partial E}{\partial \mathrm{out}} \cdot \frac{\partial \mathrm{out}}{\partial \mathrm{net}}" \
        in e.latex()
    assert e._repr_latex_().startswith("$$") and e._repr_latex_().endswith("$$")


def test_by_default_every_op_is_a_factor_named_by_its_sub_expression() -> None:
    error, w1 = seed_002()
    e = explain(error, w1)
    assert len(e.paths[0]) == 5  # E = 0.5·u, u = d², d = 1 − out, out = σ(net), net
    assert [f[:2] for f in e.paths[0]] == [("E", "(1 - out) ** 2"), ("(1 - out) ** 2", "1 - out"), ("1 - out", "out"),
                                           ("out", "net"), ("net", "w1")]
    assert "∂E/∂((1 - out) ** 2) · ∂((1 - out) ** 2)/∂(1 - out) · ∂(1 - out)/∂out · ∂out/∂net" in str(e)
    assert e.total == pytest.approx(w1.grad)
    assert repr(e) == str(e)  # a REPL shows the derivation, not <Explanation object at 0x…>


def test_the_tours_neuron_shows_every_factor() -> None:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    a = (w * x + b).tanh()
    a.backward()
    d_tanh = 1 - a.data ** 2
    assert repr(explain(a, w)) == (
        "∂tanh(w * x + b)/∂w = ∂tanh(w * x + b)/∂(w * x + b) · ∂(w * x + b)/∂(w * x) · ∂(w * x)/∂w = "
        f"({d_tanh:.4g})(1)(2) = {w.grad:.4g}")


def test_two_paths_name_the_product_they_pass_through() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = x * w + x
    y.backward()
    assert str(explain(y, x)).splitlines() == [
        "∂(x * w + x)/∂x = sum over 2 paths of the product of local derivatives:",
        "  path 1: ∂(x * w + x)/∂(x * w) · ∂(x * w)/∂x = (1)(-3) = -3",
        "  path 2: ∂(x * w + x)/∂x = (1) = 1",
        f"∂(x * w + x)/∂x = {x.grad:.4g}"]


def count_paths(node: Value, w: Value) -> int:
    """Paths from w up to node along which backward() passed a gradient (a node with grad 0 passes nothing)."""
    if node is w:
        return 1
    return 0 if node.grad == 0.0 else sum(count_paths(p, w) for p in node.parents)


@given(expressions(max_depth=3, max_leaves=3))
def test_total_equals_grad_on_random_expressions(expr) -> None:  # noqa: ANN001
    out, xs = fresh(expr)
    for w in xs:
        e = explain(out, w)
        assert e.total == pytest.approx(w.grad, rel=1e-9, abs=1e-12)
        assert e.n_paths == count_paths(out, w)
        for path in e.paths:  # each written-out path is a chain from the root down to w
            assert path[-1][1] == w.label
        shown = sum(path_product(p) for p in e.paths)
        if e.n_paths == len(e.paths):
            assert shown == pytest.approx(w.grad, rel=1e-9, abs=1e-12)


def path_product(path) -> float:  # noqa: ANN001
    return math.prod(v for _, _, v in path)


def test_many_paths_are_summarised_with_a_count() -> None:
    x = Value(0.1, label="x")
    t = x
    for _ in range(30):
        t = t * t + t * 0.5
    t.backward()
    e = explain(t, x)
    text = str(e)
    assert e.n_paths == 3 ** 30  # t_k = t·t + t·0.5 reaches t_(k-1) three ways
    assert f"{e.n_paths} in all" in text and "more paths not written out" in text
    assert len(text.splitlines()) <= 10
    assert e.total == pytest.approx(x.grad)
    assert "more paths" in e.latex()


def test_no_dependence_and_bad_arguments() -> None:
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    assert "does not depend" in str(explain(y * 3, x)) and explain(y * 3, x).total == 0.0
    with pytest.raises(TypeError, match="must be Values"):
        explain(x, 1.0)  # type: ignore[arg-type]


def test_paths_through_the_same_nodes_say_which_operand_they_take() -> None:
    x = Value(2.0, label="x")
    e = explain(x * x * x, x)
    lines = str(e).splitlines()
    assert lines[1].endswith("(via the left x of x * x)") and lines[2].endswith("(via the right x of x * x)")
    assert lines[1].split("   (via")[0].split(": ", 1)[1] == lines[2].split("   (via")[0].split(": ", 1)[1]
    assert "via" not in lines[3] and lines[-1] == "∂(x * x * x)/∂x = 12"
    assert r"\text{(via the left x of x * x)}" in e.latex() and r"\text{(via the right x of x * x)}" in e.latex()
    y = Value(3.0, label="y")
    assert "via" not in str(explain(x * y + x, x))  # distinct nodes on each path: nothing to tell apart


def test_an_n_ary_node_using_a_value_twice_names_the_operand_by_number() -> None:
    from autograd_nn import sum_of

    x = Value(2.0, label="x")
    text = str(explain(sum_of([x, x, x * 3.0]), x))
    assert "(via x (operand 1 of 3) of x + x + x * 3)" in text and "(operand 2 of 3)" in text


@given(expressions(max_depth=3, max_leaves=3))
def test_latex_never_contains_pythons_power_operator(expr) -> None:  # noqa: ANN001
    out, xs = fresh(expr)
    for w in xs:
        assert "**" not in explain(out, w).latex()


def test_latex_writes_powers_as_superscripts_and_products_as_cdot() -> None:
    a = Value(0.5, label="a")
    C = 0.5 * (a - 1.0) ** 2
    C.label = "C"
    tex = explain(C, a).latex()
    assert "**" not in tex and r"\mathrm{(a\ -\ 1)}^{2}" in tex
    x = Value(2.0, label="x")
    tex = explain((x * x) ** -1.5 * x, x).latex()
    assert "**" not in tex and "^{-1.5}" in tex and r"\cdot" in tex
