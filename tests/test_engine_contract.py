"""The engine's error contract at its edges: a finite number or a clear error naming the op, never a NaN, an
inf, a complex number, Python's OverflowError, or a gradient taken from a stale graph."""

from __future__ import annotations

import math
import operator
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import DomainError, Value, define_op, grad, log, relu
from autograd_nn.engine import BUILTIN_OPS, StaleGraphError, exp, maximum
from autograd_nn.engine.ops import power_op

# -- grad() checks finiteness exactly as backward() does ---------------------------------------------------


def test_grad_of_log_at_the_smallest_subnormal_is_an_error_not_inf() -> None:
    x = Value(5e-324)
    for create_graph in (False, True):
        with pytest.raises(DomainError, match=r"derivative of log\(5e-324\): inf is not a finite number"):
            grad(log(x), [x], create_graph=create_graph)
    with pytest.raises(DomainError, match=r"derivative of log\(5e-324\)"):
        log(x).backward()


def test_second_derivative_of_sqrt_at_a_subnormal_is_an_error_not_inf() -> None:
    x = Value(5e-324)
    (d,) = grad(x.sqrt(), [x], create_graph=True)  # 0.5/√x: finite, about 2.2e161
    assert math.isfinite(d.data)
    with pytest.raises(DomainError):
        grad(d, [x])


def test_a_user_derivative_that_returns_nan_is_an_error_in_every_mode() -> None:
    nan_op = define_op("nan_op", lambda x: 2 * x, lambda x, out: math.nan)
    x = Value(1.0)
    for create_graph in (False, True):
        with pytest.raises(DomainError, match=r"derivative of nan_op\(1.0\): nan is not a finite number"):
            grad(nan_op(x), [x], create_graph=create_graph)


# -- huge Python integers ----------------------------------------------------------------------------------

HUGE = 10**400


@pytest.mark.parametrize("make, names", [
    (lambda: Value(HUGE), "Value"),
    (lambda: Value(1) + HUGE, "operand of +"),
    (lambda: HUGE + Value(1), "operand of +"),
    (lambda: Value(1) * -HUGE, "operand of *"),
    (lambda: Value(2) ** HUGE, "Value ** exponent"),
    (lambda: HUGE ** Value(2), "operand of **"),
    (lambda: exp(HUGE), "argument of exp"),
    (lambda: maximum(Value(1.0), HUGE), "operand of maximum"),
])
def test_huge_integers_are_a_domain_error_naming_the_op(make, names) -> None:  # noqa: ANN001
    with pytest.raises(DomainError, match="too large for a float") as info:
        make()
    message = str(info.value)
    assert names in message and "401 digits" in message and len(message) < 200


def test_comparisons_with_huge_integers_are_exact() -> None:
    assert Value(1.0) < HUGE and Value(1.0) > -HUGE and not Value(1.0) >= HUGE


# -- .data is always a finite float --------------------------------------------------------------------------

@pytest.mark.parametrize("bad, error", [
    (math.nan, ValueError), (math.inf, ValueError), (-math.inf, ValueError), (HUGE, DomainError),
    ("1.0", TypeError), (None, TypeError), (1j, TypeError), (True, TypeError), (np.array([1.0]), TypeError),
])
def test_assigning_data_that_is_not_a_finite_real_number_is_refused_at_once(bad, error) -> None:  # noqa: ANN001
    x = Value(2.0)
    with pytest.raises(error, match="Value.data"):
        x.data = bad
    assert x.data == 2.0


def test_assigning_data_converts_ints_and_numpy_scalars_to_float() -> None:
    x = Value(2.0)
    x.data = np.float32(0.5)
    assert type(x.data) is float and x.data == 0.5
    x.data = 3
    assert type(x.data) is float and x.data == 3.0


# -- stale graphs ------------------------------------------------------------------------------------------

def test_changing_a_leaf_then_differentiating_the_old_graph_is_an_error() -> None:
    x = Value(4.0, label="x")
    y = x ** 0.5
    x.data = -4.0
    for differentiate in (lambda: grad(y, [x]), lambda: grad(y, [x], create_graph=True), y.backward):
        with pytest.raises(StaleGraphError, match="'x'.*pow0.5 was computed from it"):
            differentiate()
    assert x.grad == 0.0


def test_a_stale_relu_graph_gives_no_mixed_gradient() -> None:
    x = Value(0.5)
    y = relu(x) * x
    x.data = -1
    with pytest.raises(StaleGraphError):
        y.backward()
    y = relu(x) * x  # rebuilt at the new point: the gradient there
    y.backward()
    assert x.grad == 0.0


def test_a_graph_built_across_an_assignment_is_stale_too() -> None:
    x = Value(1.0, label="x")
    a = x.exp()
    x.data = 2.0
    y = a * x  # a still holds e¹
    with pytest.raises(StaleGraphError):
        grad(y, [x])


def test_assignments_elsewhere_or_before_use_are_fine() -> None:
    x, other = Value(1.0), Value(5.0)
    y = x * x
    other.data = 6.0  # not in y's graph
    assert grad(y, [x]) == [2.0]
    x.data = 3.0  # before the next graph is built from it: a training step's update
    z = x * x
    z.backward()
    assert x.grad == 6.0


def test_the_power_op_cache_is_bounded() -> None:
    rng = random.Random(0)
    for _ in range(3000):
        Value(1.5) ** rng.random()
    assert power_op.cache_info().currsize <= power_op.cache_info().maxsize == 256


# -- nasty operands at every op, reversed op and grad --------------------------------------------------------

NASTY = [0, 0.0, -0.0, 5e-324, -5e-324, 1e308, -1e308, HUGE, -HUGE, True, None, "2", 1j, math.nan, math.inf,
         np.float64(2.5), np.int64(-3), np.float32(1e38), np.bool_(True), np.array([1.0, 2.0]), 1, -2.5, 0.5]
OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


def _as_operand(x: object, wrap: bool) -> object:
    """x as is, or inside a Value where a Value can hold it."""
    if not wrap:
        return x
    try:
        return Value(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return x


def _names_the_op(message: str, *names: str) -> bool:
    return any(name in message for name in names)


def _check(result: object, *names: str) -> None:
    if isinstance(result, np.ndarray):
        assert np.isfinite(result).all()
        return
    data = result.data if isinstance(result, Value) else result
    assert isinstance(data, float) and math.isfinite(data), f"{names}: {result!r}"
    if isinstance(result, Value):
        inputs = [p for p in result.parents]
        for g in grad(result, inputs):
            assert isinstance(g, float) and math.isfinite(g)


@settings(max_examples=400, deadline=None)
@given(op=st.sampled_from(sorted(BUILTIN_OPS)), data=st.data())
def test_every_op_gives_a_finite_number_or_a_clear_error(op: str, data: st.DataObject) -> None:
    table_op = BUILTIN_OPS[op]
    arity = table_op.arity or data.draw(st.sampled_from([3, 5]), label="arity")
    args = [_as_operand(data.draw(st.sampled_from(NASTY)), data.draw(st.booleans())) for _ in range(arity)]
    try:
        result = table_op(*args)
    except (TypeError, ValueError) as exc:  # DomainError is a ValueError
        assert _names_the_op(str(exc), table_op.name, table_op.symbol), str(exc)
        return
    try:
        _check(result, table_op.name)
    except DomainError as exc:  # the gradient is not finite there: an error that names the op
        assert "derivative of" in str(exc) or "gradient" in str(exc)


@settings(max_examples=400, deadline=None)
@given(fn=st.sampled_from(OPERATORS), x=st.sampled_from(NASTY), y=st.sampled_from(NASTY),
       reversed_order=st.booleans())
def test_every_operator_and_its_reverse_gives_a_finite_number_or_a_clear_error(fn, x, y, reversed_order) -> None:  # noqa: ANN001
    left, right = Value(0.5) if isinstance(x, np.ndarray) else _as_operand(x, True), y
    if reversed_order:
        left, right = right, left
    if not isinstance(left, Value) and not isinstance(right, Value):
        left = Value(1.5)
    symbol = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}[fn.__name__]
    try:
        result = fn(left, right)
    except (TypeError, ValueError) as exc:
        assert _names_the_op(str(exc), symbol, "pow", "div", "Value"), str(exc)
        return
    try:
        _check(result, symbol)
    except DomainError as exc:
        assert "derivative of" in str(exc) or "gradient" in str(exc)
