"""The Hypothesis strategies draw valid, finite, readable expressions, with shared sub-expressions."""

import math

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from autograd_nn import DomainError, Value, define_op, grad
from autograd_nn.engine import BUILTIN_OPS, topological_order
from autograd_nn.engine.ops import power_op
from autograd_nn.testing import gradcheck
from autograd_nn.testing.strategies import Expression, _Step, expressions, mlps, values

FIND = settings(database=None, max_examples=1000, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "step"])
@given(data=st.data())
def test_values_lie_in_the_op_domain_away_from_kinks(name, data):
    op = BUILTIN_OPS[name]
    x = data.draw(values(op))
    assert math.isfinite(op(x))
    if name in ("log", "sqrt"):
        assert x >= 0.1
    if name in ("relu", "step"):
        assert abs(x) >= 0.05


@given(x=values("div"))
def test_values_for_a_divisor_are_away_from_zero(x):
    assert abs(x) >= 0.05


def test_values_rejects_an_unknown_op_name():
    with pytest.raises(ValueError, match="unknown op 'nope'"):
        values("nope")


@given(expressions(max_depth=5, max_leaves=4))
def test_drawn_expressions_evaluate_and_differentiate_without_domain_errors(e):
    try:
        again = e(*[Value(x) for x in e.point])
        again.backward()
        first = grad(e.output, e.inputs, create_graph=True)
        for d in first:
            if isinstance(d, Value):
                grad(d, e.inputs)
    except DomainError as exc:  # pragma: no cover - the assertion below reports it
        pytest.fail(f"{e!r} raised {exc}")
    assert again.data == e.output.data and math.isfinite(again.data)
    assert all(math.isfinite(v.data) and abs(v.data) <= 1e4 for v in topological_order(e.output))


def test_expressions_share_sub_expressions():
    def shared(e):
        children = {}
        for node in topological_order(e.output):
            for p in node.parents:
                if not p.is_leaf():
                    children[id(p)] = children.get(id(p), 0) + 1
        return any(n > 1 for n in children.values())

    e = find(expressions(), shared, settings=FIND)
    assert len(e.steps) == 2  # the smallest DAG: one node used twice by the next, e.g. exp(x0) * exp(x0)


def test_user_ops_are_drawn_together_with_arithmetic():
    cube = define_op("cube", lambda x: x ** 3, lambda x, out: 3 * x * x)
    e = find(expressions(ops=[cube]), lambda e: "cube" in str(e) and "*" in str(e), settings=FIND)
    assert {op.name for op in e.ops} == {"cube", "mul"}
    only = find(expressions(ops=[cube], with_arithmetic=False), lambda e: len(e.steps) >= 2, settings=FIND)
    assert {op.name for op in only.ops} == {"cube"}


def test_depth_is_bounded():
    @given(expressions(max_depth=2))
    def check(e):
        depth = {}
        for node in topological_order(e.output):
            depth[node] = 1 + max((depth[p] for p in node.parents), default=-1) if node.parents else 0
        assert depth[e.output] <= 2

    check()


def _expr(n, *steps):
    ops = {**BUILTIN_OPS, "pow2": power_op(2.0)}
    return Expression(n, [_Step(ops[name], args) for name, args in steps], [0.5] * n)


@pytest.mark.parametrize("steps, text", [
    ((("mul", (0, 1)), ("tanh", (2,)), ("add", (3, 0))), "tanh(x0 * x1) + x0"),
    ((("add", (0, 1)), ("mul", (2, 0))), "(x0 + x1) * x0"),
    ((("sub", (1, 0)), ("sub", (0, 2))), "x0 - (x1 - x0)"),
    ((("add", (0, 1)), ("neg", (2,))), "-(x0 + x1)"),
    ((("mul", (0, 1)), ("pow2", (2,))), "(x0 * x1) ** 2"),
    ((("mul", (0, 1)), ("add", (2, 1))), "x0 * x1 + x1"),
    ((("weighted_sum", (0, 1, 0)),), "x0 * x1 + x0"),
])
def test_formulas_read_like_python(steps, text):
    e = _expr(2, *steps)
    assert str(e) == text
    assert repr(e) == f"<{text} at x0=0.5, x1=0.5>"


def test_expression_is_callable_and_shares_nodes():
    e = _expr(1, ("exp", (0,)), ("mul", (1, 1)))
    x = Value(0.3)
    y = e(x)
    assert y.parents[0] is y.parents[1]
    assert y.data == pytest.approx(math.exp(0.6))
    with pytest.raises(TypeError, match="takes 1 input"):
        e(x, x)


def test_expressions_reject_bad_arguments():
    with pytest.raises(ValueError, match="ops must not be empty"):
        expressions(ops=[])
    with pytest.raises(ValueError, match="max_depth and max_leaves must be >= 1"):
        expressions(max_depth=0)


def test_mlps_draw_small_networks_with_matching_inputs():
    nn = pytest.importorskip("autograd_nn.nn")

    @settings(max_examples=20)
    @given(mlps(max_inputs=3, max_layers=2, max_width=3))
    def check(drawn):
        mlp, x = drawn
        assert isinstance(mlp, nn.MLP) and len(x) == mlp.nin <= 3
        assert len(mlp.layers) <= 2 and mlp.nouts[-1] == 1
        out = mlp(x)
        assert isinstance(out, Value) and math.isfinite(out.data)
        assert gradcheck(lambda *xs: mlp(list(xs)), x)  # the network's input gradients, end to end

    check()
