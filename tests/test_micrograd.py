"""Agreement with micrograd 0.1.0 (the reference scalar engine) on data and gradients, for the ops it has."""

import pytest
from hypothesis import given

from autograd_nn.engine.ops import power_op
from autograd_nn.testing.strategies import expressions

micrograd = pytest.importorskip("micrograd.engine")

# The ops micrograd 0.1.0 has, as functions on its Values (its relu, and ** by a number only).
MICROGRAD = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "neg": lambda a: -a, "relu": lambda a: a.relu(), "pow2": lambda a: a ** 2, "pow3": lambda a: a ** 3,
    "pow-1": lambda a: a ** -1,
}
SHARED_OPS = ["add", "sub", "mul", "div", "neg", "relu", power_op(2.0), power_op(3.0), power_op(-1.0)]


def _on_micrograd(e):
    xs = [micrograd.Value(x) for x in e.point]
    nodes = list(xs)
    for eq in e.program.equations:
        nodes.append(MICROGRAD[eq.op.name](*[nodes[k] for k in eq.args]))
    return xs, nodes[e.program.root]


@given(expressions(ops=SHARED_OPS, max_depth=5, max_leaves=3, with_arithmetic=False))
def test_same_data_and_gradients_as_micrograd(e):
    xs, out = _on_micrograd(e)
    out.backward()
    e.output.backward()
    assert e.output.data == pytest.approx(out.data, rel=1e-12, abs=1e-12)
    for mine, theirs in zip(e.inputs, xs):
        assert mine.grad == pytest.approx(theirs.grad, rel=1e-9, abs=1e-9), str(e)

