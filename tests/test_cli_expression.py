"""The command line's expression parser: what it accepts, what it refuses, and that it never evaluates code."""

import math

import pytest

from autograd_nn import DomainError, Value
from autograd_nn.cli.expression import FUNCTIONS, ExpressionError, parse_assignments, parse_expression
from autograd_nn.engine import BUILTIN_OPS
from autograd_nn.engine.ops import ADD, MUL, SUB, power_op
from autograd_nn.tape import Program


def build(text, **values):
    expr = parse_expression(text)
    leaves = {name: Value(v, label=name) for name, v in values.items()}
    return expr.build(leaves), leaves


def test_neuron_expression_value_and_gradients():
    out, v = build("tanh(w1*x1 + w2*x2 + b)", x1=2, x2=0, w1=-3, w2=1, b=6.88)
    z = -3 * 2 + 1 * 0 + 6.88
    assert out.data == pytest.approx(math.tanh(z))
    out.backward()
    assert v["w1"].grad == pytest.approx((1 - math.tanh(z) ** 2) * 2)
    assert v["x2"].grad == pytest.approx((1 - math.tanh(z) ** 2) * 1)


def test_variables_in_order_of_appearance_and_operators():
    expr = parse_expression("-a ** 2 / (b - 3) + exp(c) * +a")
    assert expr.variables == ("a", "b", "c")
    out, _ = build("-a ** 2 / (b - 3) + exp(c) * +a", a=2.0, b=5.0, c=0.5)
    assert out.data == pytest.approx(-(2.0 ** 2) / 2.0 + math.exp(0.5) * 2.0)


@pytest.mark.parametrize("op", [op for op in BUILTIN_OPS.values() if op.function], ids=lambda op: op.name)
def test_every_public_op_is_callable_by_its_op_name_with_its_arity(op):
    names = [f"v{i}" for i in range(op.arity)]
    numbers = [0.5 + i for i in range(op.arity)]  # inside every function's domain, away from ties and kinks
    out, leaves = build(f"{op.name}({', '.join(names)})", **dict(zip(names, numbers)))
    assert out.op is op and out.data == op(*numbers)
    assert [p.label for p in out.parents] == names


def test_functions_come_from_the_op_table():
    assert FUNCTIONS == {op.name: op for op in BUILTIN_OPS.values() if op.function}
    assert {"abs", "softplus", "maximum", "minimum", "lt", "gt", "eq"} <= set(FUNCTIONS)


def test_new_functions_compose_with_arithmetic():
    out, v = build("maximum(abs(x), y) + lt(x, y) * softplus(y)", x=-2.0, y=1.0)
    assert out.data == pytest.approx(2.0 + 1.0 * math.log1p(math.exp(1.0)))
    out.backward()
    assert v["x"].grad == -1.0  # through abs, the larger operand of maximum; lt contributes 0
    assert v["y"].grad == pytest.approx(1 / (1 + math.exp(-1.0)))  # σ(y), the derivative of softplus


@pytest.mark.parametrize("text, fragment", [
    ("x +", "syntax error"),
    ("foo(x)", "unknown function 'foo'"),
    ("__import__('os').system('true')", "unknown function"),
    ("x.real", "not allowed"),
    ("[x, y]", "not allowed"),
    ("x // 2", "operator not supported"),
    ("log(x, 2)", "log() takes exactly 1 argument, got 2"),
    ("maximum(x)", "maximum() takes exactly 2 arguments, got 1"),
    ("lt(x, y, z)", "lt() takes exactly 2 arguments, got 3"),
    ("exp(x=1)", "takes no keyword arguments"),
    ("maximum(*xs)", "not allowed"),
    ("sum(x, y)", "unknown function 'sum'"),
    ("neg(x)", "unknown function 'neg'"),
    ("exp", "is a function"),
    ("'text' * x", "only numbers"),
    ("lambda: 1", "not allowed"),
])
def test_refused_expressions_name_the_problem_on_one_line(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_missing_variable_is_named():
    expr = parse_expression("x * y + z")
    with pytest.raises(ExpressionError, match="no value given for y, z"):
        expr.build({"x": Value(1.0)})


def test_assignments():
    assert parse_assignments(["x=2", " w = -3.5"]) == {"x": 2.0, "w": -3.5}
    for bad, fragment in [("x", "NAME=NUMBER"), ("1x=2", "NAME=NUMBER"), ("x=abc", "expected a number"),
                          ("x=nan", "finite"), ("x=inf", "finite")]:
        with pytest.raises(ExpressionError, match=fragment):
            parse_assignments([bad])


def test_label_nodes_names_intermediate_values_by_their_sub_expression():
    expr = parse_expression("tanh(w*x + b) + -w")
    w, x, b = Value(2.0, label="w"), Value(3.0, label="x"), Value(1.0, label="b")
    out = expr.build({"w": w, "x": x, "b": b}, label_nodes=True)
    tanh_node, neg_node = out.parents
    assert tanh_node.label == "tanh(w * x + b)" and neg_node.label == "(-w)"
    assert [p.label for p in tanh_node.parents[0].parents] == ["(w * x)", "b"]
    assert (w.label, x.label, b.label) == ("w", "x", "b")  # leaves keep their names
    assert parse_expression("w*x").build({"w": w, "x": x}).label == ""  # off by default


def test_the_parsed_expression_is_a_program_over_its_variables_and_numbers():
    expr = parse_expression("x * (2 * 3) + y ** 2 - 1 / 4")
    assert isinstance(expr.program, Program)
    assert expr.leaves == ("x", 6.0, "y", 0.25)  # a sub-expression of numbers only is one number (Python's)
    assert expr.program.n_inputs == 4
    assert [eq.op for eq in expr.program.equations] == [MUL, power_op(2.0), ADD, SUB]  # x ** 2: the op x ↦ x²
    x, y = Value(1.5, label="x"), Value(-2.0, label="y")
    out = expr.build({"x": x, "y": y})
    floats = expr.program.rebuild([1.5, 6.0, -2.0, 0.25])  # the same program rebuilt on numbers
    assert floats[expr.program.root] == out.data == 1.5 * (2 * 3) + (-2.0) ** 2 - 1 / 4


def test_a_refused_constant_is_raised_where_python_meets_it():
    expr = parse_expression("log(x) + 1/0 + y")
    with pytest.raises(ExpressionError, match="no value given for y"):  # the values are looked at first
        expr.build({"x": Value(2.0)})
    with pytest.raises(DomainError, match=r"log\(-1.0\).*column 1 "):  # log(x) comes before 1/0
        expr.build({"x": Value(-1.0), "y": Value(1.0)})
    with pytest.raises(DomainError, match="divisor must be non-zero.*column 11 "):
        expr.build({"x": Value(2.0), "y": Value(1.0)})
