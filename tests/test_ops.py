"""Every op of the table: its forward against an independent formula, its first and second derivatives against
finite differences (autograd_nn.testing.gradcheck), and the documented facts of each op.

Operands come from autograd_nn.testing.strategies (operands(op), values(op), expressions(ops=[op])): each op's
sample, inside its domain and away from its edges (kinks, jumps), all read from the op table.
"""

import functools
import math
import operator

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd_nn.engine as engine
from autograd_nn import Value, grad
from autograd_nn.engine import BUILTIN_OPS, FUNCTIONS, eq, gt, lt, maximum, minimum, sum_of
from autograd_nn.engine.ops import power_op
from autograd_nn.testing import gradcheck
from autograd_nn.testing.strategies import expressions, operands, values


def _weighted_sum(*v):
    n = len(v) // 2
    return v[-1] + sum(w * a for w, a in zip(v[:n], v[n:2 * n]))


# What each op computes, written independently of ops.py (from math and Python's own operators). A new op in the
# table fails test_the_op_table_is_fully_covered until it has an entry here.
REFERENCE = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv, "pow": math.pow,
    "neg": operator.neg, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)), "relu": lambda x: max(x, 0.0),
    "step": lambda x: 1.0 if x > 0 else 0.0, "softplus": lambda x: math.log(1.0 + math.exp(x)), "abs": math.fabs,
    "maximum": max, "minimum": min, "lt": lambda a, b: float(a < b), "gt": lambda a, b: float(a > b),
    "eq": lambda a, b: float(a == b), "sum": lambda *t: functools.reduce(operator.add, t),
    "weighted_sum": _weighted_sum,
}
TABLE = list(BUILTIN_OPS.values())
# x ** k for a fixed k: each exponent's op has its own domain, edge and sample.
POWERS = [power_op(k) for k in (-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0)]


def _name(op):
    return op.name


def test_the_op_table_is_fully_covered():
    missing = sorted(set(BUILTIN_OPS) - set(REFERENCE))
    assert not missing, f"ops without a reference formula in tests/test_ops.py: {missing}"
    assert not set(REFERENCE) - set(BUILTIN_OPS), "REFERENCE names an op the table no longer has"


@pytest.mark.parametrize("op", TABLE, ids=_name)
@given(data=st.data())
def test_forward_matches_the_reference_on_floats_values_and_arrays(op, data):
    args = data.draw(operands(op), label="operands")
    out = op(*args)
    assert out == pytest.approx(REFERENCE[op.name](*args), rel=1e-12, abs=1e-12)
    node = op(*[Value(a) for a in args])
    assert node.op is op and node.data == out
    np.testing.assert_allclose(op(*[np.array([a, a]) for a in args]), [out, out], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", TABLE + POWERS, ids=_name)
@given(data=st.data())
def test_first_and_second_derivatives(op, data):
    args = data.draw(operands(op), label="operands")
    assert gradcheck(op, args, order=2)


@pytest.mark.parametrize("op", TABLE, ids=_name)
@given(data=st.data())
def test_first_and_second_derivatives_in_random_expressions(op, data):
    e = data.draw(expressions(ops=[op]), label="expression")
    assume(op in e.ops)
    assert gradcheck(e, e.inputs, order=2)


@given(a=values("pow"), b=st.floats(-2.0, 2.0))
def test_pow_of_two_values_with_any_exponent(a, b):
    # The table samples pow's operands from (0.2, 3); negative exponents are checked here.
    assert gradcheck(lambda x, y: x ** y, [a, b], order=2)


@given(c=values("div"), x=values())
def test_reverse_forms_with_numbers(c, x):
    for f in (lambda v: c + v, lambda v: c - v, lambda v: c * v, lambda v: c / (v * v + 1.0), lambda v: 2.0 ** v,
              lambda v: v + c, lambda v: v - c, lambda v: v * c, lambda v: v / c, lambda v: -v):
        assert gradcheck(f, [x], order=2)


@given(expressions(max_depth=4, max_leaves=3))
def test_random_composite_expressions(e):
    assert gradcheck(e, e.inputs, order=2)


def test_second_derivative_of_cube_is_6x():
    x = Value(1.7)
    (dy,) = grad(x ** 3, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert dy.data == pytest.approx(3 * 1.7 ** 2)
    assert d2y == pytest.approx(6 * 1.7)


# -- the documented facts of the ops ----------------------------------------------------------------------------


@pytest.mark.parametrize("f, winner", [(maximum, 0), (minimum, 1)])
def test_maximum_and_minimum_split_the_gradient_at_a_tie(f, winner):
    x = Value(0.7)
    assert f(x, x).data == 0.7 and grad(f(x, x), x) == 1.0
    a, b = Value(0.7), Value(0.7)
    assert grad(f(a, b), [a, b]) == [0.5, 0.5] == grad(f(b, a), [a, b])
    # Away from a tie the whole gradient goes to the operand that is chosen.
    big, small = Value(2.0), Value(-1.0)
    expected = [1.0, 0.0] if winner == 0 else [0.0, 1.0]
    assert grad(f(big, small), [big, small]) == expected == grad(f(small, big), [big, small])
    assert f(big, small).data == (2.0 if winner == 0 else -1.0)


@pytest.mark.parametrize("x, data, slope", [(-2.0, 2.0, -1.0), (0.0, 0.0, 0.0), (3.0, 3.0, 1.0)])
def test_abs_is_python_abs_with_derivative_0_at_its_kink(x, data, slope):
    v = Value(x)
    y = abs(v)
    assert isinstance(y, Value) and y.op is BUILTIN_OPS["abs"]
    assert y.data == data and v.abs().data == data
    y.backward()
    assert v.grad == slope


@pytest.mark.parametrize("a, b, expected", [(1.0, 2.0, (1.0, 0.0, 0.0)), (2.0, 1.0, (0.0, 1.0, 0.0)),
                                            (2.0, 2.0, (0.0, 0.0, 1.0))])
def test_comparison_ops_give_one_or_zero_and_zero_gradients(a, b, expected):
    for f, want in zip((lt, gt, eq), expected):
        x, y = Value(a), Value(b)
        out = f(x, y)
        assert isinstance(out, Value) and out.data == want
        assert type(f(a, b)) is float and f(a, b) == want
        out.backward()
        assert (x.grad, y.grad) == (0.0, 0.0)
        (dx,) = grad(out, [x], create_graph=True)
        assert grad(dx, x) == 0.0


def test_sum_of_adds_left_to_right_like_a_chain_of_plus():
    terms = [0.1, 0.2, 0.3, 1e16, -1e16]
    xs = [Value(t) for t in terms]
    total = sum_of(xs)
    assert total.op is BUILTIN_OPS["sum"] and total.parents == tuple(xs)
    assert total.data == (((0.1 + 0.2) + 0.3) + 1e16) - 1e16  # the chain's rounding, not math.fsum's
    assert grad(total, xs) == [1.0] * 5
    assert sum_of([xs[0]]) is xs[0]
    with pytest.raises(ValueError, match="at least one term"):
        sum_of([])


@pytest.mark.parametrize("x, y", [(Value(1.0), Value(2.0)), (Value(1.0), 2), (1.0, Value(2.0))])
def test_python_comparisons_of_values_are_bools_of_their_data(x, y):
    results = (x < y, x <= y, x > y, x >= y)
    assert all(type(r) is bool for r in results)
    assert results == (True, True, False, False)
    best = Value(1.0)
    for loss in (Value(0.5), Value(2.0), Value(0.25), Value(0.75)):
        if loss < best:
            best = loss
    assert best.data == 0.25
    assert Value(2.0) <= 2.0 and Value(2.0) >= Value(2.0) and not Value(2.0) < 2.0


@pytest.mark.parametrize("other", ["a", None, [1.0], True, 1j])
def test_python_comparisons_refuse_non_numbers(other):
    v = Value(1.0)
    for compare in (operator.lt, operator.le, operator.gt, operator.ge):
        with pytest.raises(TypeError):
            compare(v, other)
        with pytest.raises(TypeError):
            compare(other, v)


METHODS = {"exp": "exp", "log": "log", "sqrt": "sqrt", "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu",
           "softplus": "softplus", "abs": "abs"}  # Value method -> the op it records


@pytest.mark.parametrize("method", sorted(METHODS))
@given(data=st.data())
def test_value_has_a_method_for_the_documented_one_argument_ops(method, data):
    op = BUILTIN_OPS[METHODS[method]]
    (x,) = data.draw(operands(op))
    out = getattr(Value(x), method)()
    assert isinstance(out, Value) and out.op is op and out.data == op(x)


def test_the_documented_functions_are_in_the_table():
    assert {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "step", "softplus", "absolute", "maximum", "minimum",
            "lt", "gt", "eq"} <= set(FUNCTIONS)


@pytest.mark.parametrize("op", [op for op in TABLE if op.function], ids=_name)
def test_the_engine_exports_a_function_for_every_op_with_a_function_name(op):
    assert getattr(engine, op.function) is op and FUNCTIONS[op.function] is op
    assert op.function in engine.__all__
