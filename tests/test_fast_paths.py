"""MLP.__call__ records the nodes Neuron.__call__ records, bit for bit, and an op called on floats (as the walk
calls relu's derivative, step) is its forward with the same checks."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import MLP, Value
from autograd_nn.engine import DomainError
from autograd_nn.engine.autodiff import topological_order
from autograd_nn.engine.ops import LOG, RELU, STEP, SUM


def _neuron_by_neuron(model: MLP, x: list) -> list[Value]:
    row = x
    for layer in model.layers:
        row = [n(row) for n in layer.neurons]
    return row


def _shape(root: Value) -> list[tuple]:
    """The graph as (op name, data, parents' positions) per node in topological order."""
    order = topological_order(root)
    pos = {node: i for i, node in enumerate(order)}
    return [(node.op.name if node.op else None, node.data, tuple(pos[p] for p in node.parents)) for node in order]


@settings(max_examples=40, deadline=None)
@given(activation=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]),
       output=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]),
       sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       x=st.lists(st.floats(-3, 3), min_size=2, max_size=2), seed=st.integers(0, 10), values=st.booleans())
def test_mlp_records_what_its_neurons_record(activation, output, sizes, x, seed, values):
    model = MLP(2, sizes, activation=activation, output_activation=output, seed=seed)
    inputs = [Value(v) for v in x] if values else x
    fast = model(inputs)
    fast = fast if isinstance(fast, list) else [fast]
    slow = _neuron_by_neuron(model, [Value(v) for v in x] if not values else inputs)
    assert [v.data for v in fast] == [v.data for v in slow]
    for a, b in zip(fast, slow):
        assert _shape(a) == _shape(b)
        assert a.op is b.op


def test_mlp_overflow_names_weighted_sum():
    model = MLP(2, [1], activation="relu", seed=0)
    model.layers[0].neurons[0].w[0].data = 1e308
    with pytest.raises(DomainError, match="weighted_sum"):
        model([10.0, 0.0])


def test_ops_on_floats():
    assert STEP(0.5) == 1.0 and STEP(-0.5) == 0.0 and RELU(-2.0) == 0.0
    assert type(STEP(2.0)) is float
    assert RELU.derivative(0.3, 0.3) == (1.0,)
    with pytest.raises(DomainError, match=r"log\(-1\.0\)"):
        LOG(-1.0)
    with pytest.raises(DomainError, match="log"):
        LOG(0.0)
    assert LOG(math.e) == 1.0
    with pytest.raises(TypeError, match="sum: needs at least one argument"):
        SUM()
    with pytest.raises(TypeError, match="relu: takes 1 argument"):
        RELU(1.0, 2.0)
