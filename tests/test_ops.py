"""Every op's first and second derivatives against finite differences, via autograd_nn.testing.gradcheck.

Operands come from autograd_nn.testing.strategies.values(op): each op's valid domain, away from kinks.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import Value, define_op, weighted_sum
from autograd_nn.engine import BUILTIN_OPS
from autograd_nn.engine.ops import power_op
from autograd_nn.testing import gradcheck
from autograd_nn.testing.strategies import expressions, values

# Every one-argument op of the table (step is flat with a jump: checked away from 0 like relu).
UNARY = sorted(name for name, op in BUILTIN_OPS.items() if op.arity == 1)


def test_the_op_table_is_fully_covered():
    assert {"neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu"} <= set(UNARY)
    assert set(BUILTIN_OPS) - set(UNARY) == {"add", "sub", "mul", "div", "pow", "weighted_sum"}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_op_first_and_second_derivatives(name, data):
    op = BUILTIN_OPS[name]
    x = data.draw(values(op), label="x")
    assert gradcheck(op, [x], order=2)


@pytest.mark.parametrize("name", ["add", "sub", "mul"])
@given(a=values(), b=values())
def test_binary_arithmetic(name, a, b):
    assert gradcheck(BUILTIN_OPS[name], [a, b], order=2)


@given(a=values(), b=values("div"))
def test_div(a, b):
    assert gradcheck(lambda x, y: x / y, [a, b], order=2)


@given(a=values("pow"), b=st.floats(-2.0, 2.0))
def test_pow_of_two_values(a, b):
    assert gradcheck(lambda x, y: x ** y, [a, b], order=2)


@given(k=st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1.5]), x=values("pow"))
def test_pow_by_constant(k, x):
    assert gradcheck(power_op(k), [x], order=2)


@given(k=st.sampled_from([2.0, 3.0, -1.0]), x=values("div"))
def test_integer_pow_of_negative_base(k, x):
    assert gradcheck(lambda v: v ** k, [-abs(x)], order=2)


@given(c=values("div"), x=values())
def test_reverse_forms_with_numbers(c, x):
    for f in (lambda v: c + v, lambda v: c - v, lambda v: c * v, lambda v: c / (v * v + 1.0), lambda v: 2.0 ** v,
              lambda v: v + c, lambda v: v - c, lambda v: v * c, lambda v: v / c, lambda v: -v):
        assert gradcheck(f, [x], order=2)


@given(n=st.integers(1, 4), data=st.data())
def test_weighted_sum(n, data):
    point = data.draw(st.lists(values(), min_size=2 * n + 1, max_size=2 * n + 1))
    assert gradcheck(lambda *v: weighted_sum(v[:n], v[n:2 * n], v[-1]), point, order=2)


@given(expressions(max_depth=4, max_leaves=3))
def test_random_composite_expressions(e):
    assert gradcheck(e, e.inputs, order=2)


# Written with ops, so the Value path of create_graph differentiates the derivative itself.
sin = define_op("sin", math.sin, lambda x, out: cos(x))
cos = define_op("cos", math.cos, lambda x, out: -sin(x))


@given(expressions(ops=[sin, cos]))
def test_custom_ops_in_random_expressions(e):
    assert gradcheck(e, e.inputs, order=2)


def test_second_derivative_of_cube_is_6x():
    from autograd_nn import grad
    x = Value(1.7)
    (dy,) = grad(x ** 3, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert dy.data == pytest.approx(3 * 1.7 ** 2)
    assert d2y == pytest.approx(6 * 1.7)
