"""The Hypothesis strategies draw valid, finite, readable expressions, with shared sub-expressions, all from the
op table: every op is drawn inside its domain and away from its edges, and every formula reads back."""

import math

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from autograd_nn import DomainError, Value, define_op, grad
from autograd_nn.cli.expression import parse_expression
from autograd_nn.engine import BUILTIN_OPS, Op, topological_order
from autograd_nn.engine.ops import power_op
from autograd_nn.tape import Equation, Program
from autograd_nn.testing import gradcheck
from autograd_nn.testing.strategies import (
    DEFAULT_OPS,
    MARGIN,
    Expression,
    expressions,
    mlps,
    operand_counts,
    operands,
    values,
)

FIND = settings(database=None, max_examples=1000, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name, lo, hi", [("log", 0.1, 10.0), ("sqrt", 0.1, 10.0), ("exp", -5.0, 5.0),
                                          ("tanh", -3.0, 3.0), ("pow", 0.2, 3.0)])
@given(data=st.data())
def test_values_come_from_the_ops_interval(name, lo, hi, data):
    for x in data.draw(operands(name)):
        assert lo <= x <= hi


@pytest.mark.parametrize("name", ["relu", "step", "abs", "div", power_op(-1.0)])
@given(data=st.data())
def test_values_stay_away_from_a_kink_or_divisor_at_zero(name, data):
    assert abs(data.draw(values(name))) >= 0.05  # for div: the divisor, its last operand


@pytest.mark.parametrize("name", ["maximum", "minimum", "lt", "gt", "eq"])
@given(data=st.data())
def test_two_operand_ops_with_a_kink_at_a_tie_are_drawn_away_from_it(name, data):
    a, b = data.draw(operands(name))
    assert abs(a - b) >= 0.05


@given(data=st.data())
def test_a_fractional_power_is_drawn_at_a_positive_base(data):
    (x,) = data.draw(operands(power_op(0.5)))
    assert x >= 0.05


def test_values_rejects_an_unknown_op_name():
    with pytest.raises(ValueError, match="unknown op 'nope'"):
        values("nope")


def test_operand_counts_ask_the_op():
    assert operand_counts("sum") == (2, 3, 4, 5)
    assert operand_counts("weighted_sum") == (3, 5)  # n pairs (w, a) and a bias
    assert operand_counts("maximum") == (2,) and operand_counts("exp") == (1,)
    # An op of any arity whose rule wants operands in pairs: only the even counts.
    pairs = Op("pairs", lambda *v: sum(v[::2]), lambda *v: (1.0, 0.0) * ((len(v) - 1) // 2), arity=None)
    assert operand_counts(pairs) == (2, 4)
    never = Op("never", lambda *v: 0.0, lambda *v: (), arity=None)
    with pytest.raises(ValueError, match="never takes any number of operands but accepts none"):
        operand_counts(never)


def test_every_default_op_is_drawn():
    drawn = set()

    @settings(max_examples=300, database=None)
    @given(expressions())
    def collect(e):
        drawn.update(e.ops)

    collect()
    assert not [op.name for op in DEFAULT_OPS if op not in drawn]


def test_the_default_ops_are_the_whole_table():
    # A new table entry is drawn without an edit; the flat ops with a jump (step, lt, gt, eq) too: they are drawn
    # away from the jump, where gradcheck agrees with their derivative 0 (see tests/test_ops.py).
    assert set(BUILTIN_OPS.values()) <= set(DEFAULT_OPS)


@given(expressions(max_depth=5, max_leaves=4))
def test_every_drawn_node_is_inside_its_domain_and_away_from_its_edges(e):
    for node in topological_order(e.output):
        op, args = node.op, [p.data for p in node.parents]
        if op is None:
            continue
        if op.domain is not None and op.domain.contains is not None:
            assert op.domain.contains(*args), (e, op)
        if op.edge is not None:
            assert op.edge(*args) >= MARGIN, (e, op)


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
    assert len(e.program.equations) == 2  # the smallest DAG: one node used twice by the next, e.g. exp(x0) * exp(x0)


def test_user_ops_are_drawn_together_with_arithmetic():
    cube = define_op("cube", lambda x: x ** 3, lambda x, out: 3 * x * x)
    e = find(expressions(ops=[cube]), lambda e: "cube" in str(e) and "*" in str(e), settings=FIND)
    assert {op.name for op in e.ops} == {"cube", "mul"}
    only = find(expressions(ops=[cube], with_arithmetic=False), lambda e: len(e.program.equations) >= 2, settings=FIND)
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
    equations = tuple(Equation(n + k, ops[name], args) for k, (name, args) in enumerate(steps))
    return Expression(Program(n, equations, n + len(steps) - 1), [0.5] * n)


@pytest.mark.parametrize("steps, text", [
    ((("mul", (0, 1)), ("tanh", (2,)), ("add", (3, 0))), "tanh(x0 * x1) + x0"),
    ((("add", (0, 1)), ("mul", (2, 0))), "(x0 + x1) * x0"),
    ((("sub", (1, 0)), ("sub", (0, 2))), "x0 - (x1 - x0)"),
    ((("add", (0, 1)), ("neg", (2,))), "-(x0 + x1)"),
    ((("mul", (0, 1)), ("pow2", (2,))), "(x0 * x1) ** 2"),
    ((("mul", (0, 1)), ("add", (2, 1))), "x0 * x1 + x1"),
    ((("weighted_sum", (0, 1, 0)),), "x0 + x0 * x1"),  # b + w * a, in the order the fused op adds them
    ((("add", (0, 1)), ("sum", (0, 2, 1))), "x0 + (x0 + x1) + x1"),
    ((("add", (0, 1)), ("add", (1, 2))), "x1 + (x0 + x1)"),
    ((("add", (0, 1)), ("sum", (2, 0))), "x0 + x1 + x0"),
    ((("pow", (0, 1)), ("pow", (2, 0))), "(x0 ** x1) ** x0"),
    ((("pow", (0, 1)), ("pow", (1, 2))), "x1 ** x0 ** x1"),
    ((("mul", (0, 1)), ("neg", (2,))), "-(x0 * x1)"),
    ((("abs", (0,)), ("maximum", (2, 1))), "maximum(abs(x0), x1)"),
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


def _shape(v):
    """The tree a Value stands for: leaves by label, fused ops (sum, weighted_sum) as the ops they stand for."""
    if v.is_leaf():
        return v.label
    if v.op.decompose is not None:
        return _shape(v.op.decompose(*v.parents))
    return (v.op.name, *[_shape(p) for p in v.parents])


@settings(max_examples=300)  # cheap, and a misplaced parenthesis needs a particular nesting to show
@given(expressions(max_depth=4, max_leaves=3))
def test_formulas_read_back_as_the_same_graph(e):
    parsed = parse_expression(str(e))
    again = parsed.build({x.label: Value(x.data, label=x.label) for x in e.inputs})
    assert _shape(again) == _shape(e.output), str(e)
    assert again.data == pytest.approx(e.output.data, rel=1e-12, abs=1e-12)
    # One program record: the parsed expression's Program (inputs: its variables and numbers) writes the formula
    # it was parsed from, as the drawn expression's Program does.
    assert isinstance(parsed.program, Program)
    if all(isinstance(leaf, str) for leaf in parsed.leaves):
        assert parsed.program.formula(list(parsed.leaves)) == str(e)
