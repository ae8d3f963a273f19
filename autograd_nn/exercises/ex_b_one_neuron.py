"""(b) ∂C/∂w of one sigmoid neuron with squared error, by hand, with Jakobsen's numbers."""

from __future__ import annotations

import math
from types import ModuleType

from hypothesis import strategies as st

from ..engine import Value, grad
from .grading import call, close, op_table, smallest
from .grading import floats as _floats

NAME = "b_one_neuron"
TITLE = "∂C/∂w of one sigmoid neuron with squared error (Jakobsen's worked example)"
HINT = ("chain rule through three factors: ∂C/∂out = −(target − out), ∂out/∂net = out(1 − out) for the sigmoid, "
        "∂net/∂wᵢ = xᵢ (and ∂net/∂b = 1)")
TASK = """\
One neuron: net = Σᵢ wᵢ xᵢ + b, out = σ(net), C = ½ (target − out)² (John Jakobsen, “Math Behind Neural
Networks”, works this out for one weight). neuron_gradient returns (∂C/∂w as a list, ∂C/∂b).
seed002_number() returns ∂C/∂w₁ for that document's example: out = 0.79, target = 1 and the input on w₁'s edge
0.92 — the product of the three factors, computed from those three numbers."""
HINTS = ["write the three factors of the chain rule first, then multiply", "∂C/∂b has the same first two factors"]
STUB = '''
import math


def neuron_gradient(x, w, b, target):
    """(∂C/∂w list, ∂C/∂b) for out = σ(Σ wᵢ xᵢ + b), C = ½ (target − out)²."""
    raise NotImplementedError("TODO: neuron_gradient")


def seed002_number():
    """∂C/∂w₁ for out = 0.79, target = 1, input 0.92."""
    raise NotImplementedError("TODO: seed002_number")
'''
SOLUTION = '''
import math


def neuron_gradient(x, w, b, target):
    """(∂C/∂w list, ∂C/∂b) for out = σ(Σ wᵢ xᵢ + b), C = ½ (target − out)²."""
    net = sum(wi * xi for wi, xi in zip(w, x)) + b
    out = 1 / (1 + math.exp(-net))
    common = -(target - out) * out * (1 - out)
    return [common * xi for xi in x], common


def seed002_number():
    """∂C/∂w₁ for out = 0.79, target = 1, input 0.92."""
    out, target, x1 = 0.79, 1.0, 0.92
    return -(target - out) * out * (1 - out) * x1
'''

_X = [0.92, 0.4]


def _engine(x: list[float], w: list[float], b: float, target: float) -> list[float]:
    ws, bv = [Value(v) for v in w], Value(b)
    net = bv
    for wi, xi in zip(ws, x):
        net = net + wi * xi
    cost = 0.5 * (target - net.sigmoid()) ** 2
    return list(grad(cost, ws + [bv]))


def _cost(x: list[float], target: float):
    def f(*p: float) -> float:
        out = 1 / (1 + math.exp(-(sum(wi * xi for wi, xi in zip(p[:-1], x)) + p[-1])))
        return 0.5 * (target - out) ** 2
    return f


def _student(module: ModuleType, x: list[float], target: float):
    def d(*args: float) -> tuple[float, ...]:
        dw, db = call(module.neuron_gradient, list(x), list(args[:len(x)]), args[len(x)], target)
        return (*[float(v) for v in dw], float(db))
    return d


def grade(module: ModuleType) -> tuple[bool, str, str]:
    # Jakobsen's number, by the engine: σ(net) = 0.79 with the input 0.92 on w₁ (b = 0)
    w1 = math.log(0.79 / 0.21) / 0.92
    expected = _engine([0.92], [w1], 0.0, 1.0)[0]
    got = call(module.seed002_number)
    if not isinstance(got, (int, float)) or not close(float(got), expected, rel=1e-3):
        return False, (f"seed002_number() = {got!r}; the engine's ∂C/∂w₁ for out = 0.79, target 1, input 0.92 is "
                       f"{expected:.8g} (= (−0.21)(0.1659)(0.92))"), ""
    for w, b, t in (([0.3, -0.8], 0.1, 1.0), ([1.5, 0.2], -0.4, 0.0), ([-0.7, 0.9], 0.3, 0.5)):
        ok, table = op_table("neuron_cost", _cost(_X, t), _student(module, _X, t), [*w, b], arity=len(w) + 1)
        if not ok:
            def fails(p: tuple[float, float, float, float]) -> bool:
                return not op_table("neuron_cost", _cost(_X, p[3]), _student(module, _X, p[3]), list(p[:3]),
                                    arity=3)[0]

            found = smallest(st.tuples(_floats(-3, 3), _floats(-3, 3),
                                       _floats(-3, 3), _floats(0, 1)), fails)
            return False, (f"neuron_gradient at x = {_X}, w = {w}, b = {b}, target = {t} "
                           f"(rows: w₁, w₂, b; gradcheck):\n{table}"), (
                "" if found is None else f"(w₁, w₂, b, target) = {found}")
    return True, f"seed002_number() = {float(got):.8g}; neuron_gradient passes gradcheck", ""
