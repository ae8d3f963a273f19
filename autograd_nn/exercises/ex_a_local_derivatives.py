"""(a) Local derivatives as define_op rules: sigmoid, tanh, log, div and x**k."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from .grading import NotDone, call, op_table, smallest
from .grading import floats as _floats

NAME = "a_local_derivatives"
TITLE = "local derivatives of sigmoid, tanh, log, div and x**k as define_op rules"
HINT = ("each rule gets the inputs and out = f(inputs): σ' = out(1 − out), tanh' = 1 − out², log' = 1/x, "
        "∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = −x/y² = −out/y, ∂(xᵏ)/∂x = k·xᵏ⁻¹")
TASK = """\
Every op of autograd_nn carries its local derivative: define_op(name, forward, derivative) takes a rule
derivative(x₁, …, xₙ, out) -> ∂out/∂xᵢ (one number, or a tuple for two inputs), where out is forward(x…).
Write the five rules below. The grader turns each into an op with define_op and runs gradcheck on it."""
HINTS = ["out is given: the derivatives of σ and tanh are shortest written with it",
         "div has two inputs, so its rule returns a pair (∂/∂x, ∂/∂y)",
         "power_rule(k) returns a rule: a function of (x, out)"]
STUB = '''
def sigmoid_rule(x, out):
    """∂σ(x)/∂x, with out = σ(x) = 1 / (1 + e^(−x))."""
    raise NotImplementedError("TODO: sigmoid_rule")


def tanh_rule(x, out):
    """∂tanh(x)/∂x, with out = tanh(x)."""
    raise NotImplementedError("TODO: tanh_rule")


def log_rule(x, out):
    """∂log(x)/∂x for x > 0."""
    raise NotImplementedError("TODO: log_rule")


def div_rule(x, y, out):
    """(∂(x/y)/∂x, ∂(x/y)/∂y), with out = x / y."""
    raise NotImplementedError("TODO: div_rule")


def power_rule(k):
    """The rule (x, out) -> ∂(x**k)/∂x for a fixed number k."""
    raise NotImplementedError("TODO: power_rule")
'''
SOLUTION = '''
def sigmoid_rule(x, out):
    """∂σ(x)/∂x, with out = σ(x) = 1 / (1 + e^(−x))."""
    return out * (1 - out)


def tanh_rule(x, out):
    """∂tanh(x)/∂x, with out = tanh(x)."""
    return 1 - out * out


def log_rule(x, out):
    """∂log(x)/∂x for x > 0."""
    return 1 / x


def div_rule(x, y, out):
    """(∂(x/y)/∂x, ∂(x/y)/∂y), with out = x / y."""
    return 1 / y, -out / y


def power_rule(k):
    """The rule (x, out) -> ∂(x**k)/∂x for a fixed number k."""
    return lambda x, out: k * x ** (k - 1)
'''

# (rule name, op name, forward, points, strategy of failing points, how a point is written, rule from the module)
_CASES: list[tuple[str, Any, list[list[float]], Any]] = [
    ("sigmoid_rule", lambda x: 1 / (1 + math.exp(-x)), [[0.5], [-2.0], [3.0]],
     _floats(-6, 6).map(lambda x: [x])),
    ("tanh_rule", math.tanh, [[0.5], [-1.5], [2.0]], _floats(-3, 3).map(lambda x: [x])),
    ("log_rule", math.log, [[0.5], [2.0], [7.0]], _floats(0.1, 10).map(lambda x: [x])),
    ("div_rule", lambda x, y: x / y, [[1.0, 2.0], [-3.0, 0.5], [2.5, -4.0]],
     st.tuples(_floats(-5, 5), _floats(0.2, 5)).map(list)),
]


def grade(module: ModuleType) -> tuple[bool, str, str]:
    cases = list(_CASES)
    for k in (2.0, 3.0, 0.5):
        cases.append((f"power_rule({k:g})", lambda x, k=k: x ** k, [[0.7], [1.5], [3.0]],
                      _floats(0.2, 4).map(lambda x: [x])))
    reports = []
    for name, forward, points, strategy in cases:
        if name.startswith("power_rule"):
            k = float(name[len("power_rule("):-1])
            rule = call(module.power_rule, k)
            if not callable(rule):
                raise NotDone(f"power_rule({k:g}) must return a rule (x, out) -> number, got {rule!r}")
        else:
            rule = getattr(module, name)
        op_name = name.split("(")[0].replace("_rule", "")
        for point in points:
            ok, table = op_table(op_name, forward, lambda *a, rule=rule: call(rule, *a), point)
            if not ok:
                def fails(p: list[float], forward: Any = forward, rule: Any = rule, op_name: str = op_name) -> bool:
                    return not op_table(op_name, forward, lambda *a: call(rule, *a), p)[0]

                found = smallest(strategy, fails)
                return False, f"{name} at {point}: gradcheck says\n{table}", "" if found is None else f"at {found}"
        reports.append(f"{name}: gradcheck passes at {points}")
    return True, "\n".join(reports), ""
