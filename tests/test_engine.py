"""The engine: Value construction, arithmetic forms, domain errors, graph shapes, accumulation, grad, define_op."""

import math

import numpy as np
import pytest
from hypothesis import given

from autograd_nn import DomainError, Value, define_op, exp, grad, log, sqrt, zero_grad
from autograd_nn.engine import topological_order
from autograd_nn.testing import gradcheck
from autograd_nn.testing.strategies import values

# -- construction ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", [3, 2.5, np.float32(1.5), np.float64(-2.0), np.int64(7)])
def test_real_numbers_are_stored_as_float(x):
    v = Value(x, label="v")
    assert type(v.data) is float and v.data == float(x)
    assert v.grad == 0.0 and v.label == "v" and v.is_leaf() and v.parents == () and v.op is None


@pytest.mark.parametrize("bad, shown", [("1.0", "str '1.0'"), (1j, "complex 1j"), (None, "NoneType None"),
                                        ([1.0], r"list \[1.0\]"), (True, "bool True"),
                                        (np.bool_(False), "bool np.False_")])
def test_non_numbers_raise_type_error_naming_type_and_value(bad, shown):
    with pytest.raises(TypeError, match=rf"Value: expected a real number .*got {shown}"):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_nan_and_infinite_data_raise_value_error_naming_the_value(bad):
    with pytest.raises(ValueError, match=rf"Value: must be finite, got {float(bad)!r}"):
        Value(bad)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int 3"):
        Value(1.0, label=3)


def test_non_number_operand_is_named():
    with pytest.raises(TypeError, match=r"operand of \+: expected a real number .*got str 'a'"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="got NoneType None"):
        None * Value(1.0)
    with pytest.raises(ValueError, match="operand of \\*: must be finite, got nan"):
        Value(1.0) * math.nan


# -- operations with Values or numbers on either side ---------------------------------------------------


def test_every_operator_form_computes_the_right_data():
    x, y = Value(3.0), Value(2.0)
    cases = {
        "x + y": (x + y, 5.0), "x + 1": (x + 1, 4.0), "1 + x": (1 + x, 4.0),
        "x - y": (x - y, 1.0), "x - 1": (x - 1, 2.0), "1 - x": (1 - x, -2.0),
        "x * y": (x * y, 6.0), "x * 2": (x * 2, 6.0), "2 * x": (2 * x, 6.0),
        "x / y": (x / y, 1.5), "x / 2": (x / 2, 1.5), "6 / x": (6 / x, 2.0),
        "x ** y": (x ** y, 9.0), "x ** 2": (x ** 2, 9.0), "2 ** x": (2 ** x, 8.0), "-x": (-x, -3.0),
        "+x": (+x, 3.0), "exp": (x.exp(), math.exp(3)), "log": (x.log(), math.log(3)),
        "sqrt": (x.sqrt(), math.sqrt(3)), "tanh": (x.tanh(), math.tanh(3)),
        "sigmoid": ((-x).sigmoid(), 1 / (1 + math.exp(3))), "relu": ((-x).relu(), 0.0),
    }
    for name, (v, expected) in cases.items():
        assert isinstance(v, Value), name
        assert v.data == pytest.approx(expected, rel=1e-15), name


def test_ops_as_functions_on_numbers_values_and_arrays():
    assert log(math.e) == pytest.approx(1.0) and type(log(2)) is float
    assert isinstance(exp(Value(0.0)), Value)
    np.testing.assert_allclose(sqrt(np.array([1.0, 4.0])), [1.0, 2.0])
    with pytest.raises(DomainError, match=r"log\(-1.0\): argument must be > 0"):
        log(np.array([1.0, -1.0]))


def test_sigmoid_is_stable_far_from_zero():
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(800.0).sigmoid().data == 1.0


# -- domain errors: forward and backward ------------------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda: Value(-2.0).log(), r"log\(-2.0\): argument must be > 0"),
    (lambda: Value(0.0).log(), r"log\(0.0\): argument must be > 0"),
    (lambda: Value(1.0) / 0, r"1.0 / 0.0: the divisor must be non-zero"),
    (lambda: 1 / Value(0.0), r"1.0 / 0.0: the divisor must be non-zero"),
    (lambda: Value(-2.0) ** 0.5, r"\(-2.0\) \*\* 0.5: the base must be >= 0 for a fractional exponent"),
    (lambda: Value(-2.0) ** Value(2.0), r"\(-2.0\) \*\* 2.0: the base must be > 0, or 0 with an exponent > 0, "
                                         "when the exponent is not a constant"),
    (lambda: (-2.0) ** Value(0.5), r"\(-2.0\) \*\* 0.5: the base must be > 0"),
    (lambda: Value(0.0) ** -1, r"0.0 \*\* -1: the base must be non-zero for a negative exponent"),
    (lambda: Value(-4.0).sqrt(), r"sqrt\(-4.0\): argument must be >= 0"),
    (lambda: Value(1000.0).exp(), r"exp\(1000.0\): the result is too large for a float \(overflow\)"),
    (lambda: Value(1e300) * 1e300, r"1e\+300 \* 1e\+300: the result is not a finite number"),
])
def test_domain_errors_name_the_op_and_operands(make, message):
    with pytest.raises(DomainError, match=message) as info:
        make()
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("make, message", [
    (lambda x: x ** 0.5, r"derivative of 0.0 \*\* 0.5"),
    (lambda x: x.sqrt(), r"derivative of sqrt\(0.0\)"),
])
def test_backward_domain_errors_name_the_op(make, message):
    x = Value(0.0)
    y = make(x)
    with pytest.raises(DomainError, match=message):
        y.backward()
    with pytest.raises(DomainError, match=message):
        grad(y, [x])
    with pytest.raises(DomainError, match=message):
        grad(y, [x], create_graph=True)


def test_gradient_overflow_in_backward_is_an_error_not_inf():
    x = Value(1e-310)
    with pytest.raises(DomainError, match="overflow"):
        x.log().backward()
    assert x.grad == 0.0  # not the inf that overflowed


def test_exponent_must_be_finite():
    with pytest.raises(ValueError, match="exponent must be finite"):
        Value(2.0) ** math.inf


# -- graph shapes that break naive engines ----------------------------------------------------------------


@given(x=values())
def test_x_times_x_and_x_plus_x(x):
    a = Value(x)
    (a * a).backward()
    assert a.grad == pytest.approx(2 * x)
    b = Value(x)
    (b + b).backward()
    assert b.grad == 2.0


def test_diamond_through_a_shared_node():
    # s is used by both s and (1 - s): d/dx s(1-s) = s'(1 - 2s), which is 0 at x = 0.
    x = Value(0.0)
    s = x.sigmoid()
    (s * (1 - s)).backward()
    assert x.grad == 0.0
    x = Value(0.7)
    s = x.sigmoid()
    (s * (1 - s)).backward()
    sv = 1 / (1 + math.exp(-0.7))
    assert x.grad == pytest.approx(sv * (1 - sv) * (1 - 2 * sv))


def test_node_reused_across_branches():
    x, y = Value(0.5), Value(-1.5)
    h = (x * y).tanh()
    out = h * x + (h + y) ** 2 - h.exp() / (x * x + 1)
    assert gradcheck(lambda a, b: (lambda h: h * a + (h + b) ** 2 - h.exp() / (a * a + 1))((a * b).tanh()),
                     [0.5, -1.5], order=2)
    out.backward()
    gx, gy = grad(out, [x, y])
    assert (x.grad, y.grad) == (pytest.approx(gx, rel=1e-12), pytest.approx(gy, rel=1e-12))


def test_topological_order_puts_every_node_after_its_parents_once():
    x = Value(1.0)
    a = x * 2
    b = a + x
    c = a * b + a.exp()
    order = topological_order(c)
    assert len(order) == len(set(map(id, order)))
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        assert all(position[id(p)] < position[id(v)] for p in v.parents)
    assert order[-1] is c


def test_deep_chain_of_a_million_nodes():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0 and y.data == pytest.approx(2.0)


def test_sum_of_a_hundred_thousand_terms():
    xs = [Value(float(i % 7)) for i in range(100_000)]
    total = sum(x * x for x in xs)
    total.backward()
    assert total.data == sum(float(i % 7) ** 2 for i in range(100_000))
    assert all(x.grad == 2 * x.data for x in xs)
    assert grad(total, xs[:3]) == [0.0, 2.0, 4.0]


# -- accumulation -------------------------------------------------------------------------------------------


def test_gradients_accumulate_across_backward_calls_on_leaves_only():
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward()
    assert (x.grad, h.grad) == (12.0, 3.0)
    y.backward()
    assert (x.grad, h.grad) == (24.0, 3.0)  # leaves add up; intermediate grads are recomputed, not doubled
    x.zero_grad()
    y.backward()
    assert x.grad == 12.0
    leaf = Value(3.0)
    leaf.backward()
    leaf.backward()
    assert leaf.grad == 2.0  # d leaf/d leaf = 1, accumulated like any leaf
    w = Value(1.0)
    w.grad = 5.0
    zero_grad([x, w])
    assert (x.grad, w.grad) == (0.0, 0.0)


# -- grad() -------------------------------------------------------------------------------------------------


def test_grad_leaves_dot_grad_alone():
    x, y = Value(2.0), Value(3.0)
    out = x * y + x
    assert grad(out, [x, y]) == [4.0, 2.0]
    assert grad(out, x) == 4.0
    assert (x.grad, y.grad, out.grad) == (0.0, 0.0, 0.0)


def test_grad_of_an_unrelated_input_is_zero():
    x, z = Value(2.0), Value(5.0)
    assert grad(x * x, [z]) == [0.0]
    (dz,) = grad(x * x, [z], create_graph=True)
    assert isinstance(dz, Value) and dz.data == 0.0


def test_hessian_by_two_nested_calls():
    x, y = Value(0.3), Value(-0.8)
    f = x * x * y + (x * y).tanh()
    dx, dy = grad(f, [x, y], create_graph=True)
    hessian = [grad(dx, [x, y]), grad(dy, [x, y])]
    t = math.tanh(0.3 * -0.8)
    s2 = 1 - t * t  # sech²(xy)
    d2 = -2 * t * s2  # d/du sech²(u)
    expected = [[2 * -0.8 + d2 * 0.64, 2 * 0.3 + s2 + d2 * 0.3 * -0.8],
                [2 * 0.3 + s2 + d2 * 0.3 * -0.8, d2 * 0.09]]
    np.testing.assert_allclose(hessian, expected, rtol=1e-12)


def test_third_derivative():
    x = Value(0.4)
    (d1,) = grad(x.exp() * x, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert d3 == pytest.approx(math.exp(0.4) * (0.4 + 3))


def test_grad_rejects_non_values():
    with pytest.raises(TypeError, match="output must be a Value, got float 1.0"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match="inputs must be Values, got int 3"):
        grad(Value(1.0), [3])


# -- define_op ------------------------------------------------------------------------------------------------

sin = define_op("sin", math.sin, lambda x, out: cos(x))
cos = define_op("cos", math.cos, lambda x, out: -sin(x))


def test_custom_op_is_recorded_and_differentiated():
    x = Value(0.6)
    y = sin(x) * x
    assert y.parents[0].op is sin and sin.name == "sin" and sin.arity == 1
    y.backward()
    assert x.grad == pytest.approx(math.cos(0.6) * 0.6 + math.sin(0.6))
    assert sin(0.6) == math.sin(0.6)  # plain numbers give a float


def test_second_derivative_through_custom_ops_written_with_ops():
    x = Value(0.6)
    (d1,) = grad(sin(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert d1.data == pytest.approx(math.cos(0.6)) and d2 == pytest.approx(-math.sin(0.6))


def test_two_argument_custom_op():
    hypot = define_op("hypot", lambda a, b: math.hypot(a, b), lambda a, b, out: (a / out, b / out))
    assert hypot.arity == 2
    assert gradcheck(hypot, [3.0, -4.0], order=2)
    with pytest.raises(TypeError, match="hypot: takes 2 argument"):
        hypot(Value(1.0))


def test_wrong_length_derivative_is_named():
    bad = define_op("bad", lambda a, b: a * b, lambda a, b, out: (b,))
    y = bad(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match=r"bad: derivative must return 2 value\(s\), one per argument, got 1"):
        y.backward()
    with pytest.raises(TypeError, match=r"bad: derivative must return 2 value\(s\)"):
        grad(y, [y.parents[0]], create_graph=True)


def test_non_number_forward_is_named():
    bad = define_op("bad", lambda x: "oops", lambda x, out: 1.0)
    with pytest.raises(TypeError, match="bad: forward must return a real number, got str 'oops'"):
        bad(Value(1.0))
    nan_op = define_op("nan_op", lambda x: math.nan, lambda x, out: 1.0, domain="only defined on the moon")
    with pytest.raises(DomainError, match=r"nan_op\(1.0\): only defined on the moon"):
        nan_op(Value(1.0))


def test_math_based_derivative_works_for_backward_but_create_graph_says_why_not():
    msin = define_op("msin", math.sin, lambda x, out: math.cos(x))
    x = Value(1.0)
    y = msin(x)
    y.backward()
    assert x.grad == pytest.approx(math.cos(1.0))
    with pytest.raises(TypeError, match="derivative of msin: cannot be evaluated on Values"):
        grad(y, [x], create_graph=True)


def test_define_op_rejects_bad_definitions():
    with pytest.raises(ValueError, match="name must be an identifier"):
        define_op("my op", math.sin, math.cos)
    with pytest.raises(TypeError, match="must be callables"):
        define_op("f", math.sin, 3)
    with pytest.raises(ValueError, match="forward takes \\*args; pass arity="):
        define_op("f", lambda *a: 0.0, lambda *a: 0.0)


def test_a_backward_that_fails_midway_leaves_every_leaf_grad_as_it_was():
    # The root (a product) is processed first and adds to y; then sqrt'(0) is undefined and backward raises.
    x, y = Value(0.0), Value(2.0)
    y.grad = 1.0
    f = (x.sqrt() + 1) * y
    with pytest.raises(DomainError, match=r"sqrt\(0.0\)"):
        f.backward()
    assert (x.grad, y.grad) == (0.0, 1.0)


def test_define_op_checks_the_derivatives_signature_when_the_op_is_made() -> None:
    with pytest.raises(TypeError, match=r"define_op\('sq'\): the derivative must take the forward's 1 argument\(s\) "
                                        r"and then out.*derivative\(x, out\)"):
        define_op("sq", lambda x: x * x, lambda x: 2 * x)  # forgot out
    with pytest.raises(TypeError, match=r"derivative\(x1, x2, out\)"):
        define_op("hyp", lambda a, b: math.hypot(a, b), lambda a, out: (a / out, 0.0))
    square = define_op("sq_ok", lambda x: x * x, lambda x, out: 2 * x)  # the right signature: made, and it works
    x = Value(3.0)
    square(x).backward()
    assert x.grad == 6.0


@pytest.mark.parametrize("name", ["tanh", "weighted_sum", "absolute", "relu"])
def test_define_op_refuses_a_built_in_name(name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' is the name of a built-in op"):
        define_op(name, lambda x: x, lambda x, out: 1.0)


def test_define_op_warns_when_a_name_is_used_again() -> None:
    from autograd_nn.engine import RedefinedOpWarning

    first = define_op("twice_named", lambda x: 2 * x, lambda x, out: 2.0)
    with pytest.warns(RedefinedOpWarning, match="an op named 'twice_named' was defined before"):
        second = define_op("twice_named", lambda x: 3 * x, lambda x, out: 3.0)
    assert first(1.0) == 2.0 and second(1.0) == 3.0  # two ops; the later one did not change the first
