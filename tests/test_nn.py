"""Neuron, Layer, MLP: fused z node, activations, seeds, init, parameter order, input errors."""

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import MLP, Layer, Neuron, Value
from autograd_nn.engine.ops import WEIGHTED_SUM
from autograd_nn.nn import place_label


def test_neuron_z_is_one_fused_node_then_the_activation():
    n = Neuron(3, activation="tanh", seed=1)
    out = n([1.0, 2.0, 3.0])
    z = out.parents[0]
    assert out.op.name == "tanh" and z.op is WEIGHTED_SUM
    assert z.parents == (*n.w, *z.parents[3:6], n.b)
    assert [p.data for p in z.parents[3:6]] == [1.0, 2.0, 3.0]
    assert z.data == pytest.approx(sum(w.data * a for w, a in zip(n.w, [1, 2, 3])) + n.b.data)
    assert out.data == pytest.approx(math.tanh(z.data))


@pytest.mark.parametrize("act,f", [("sigmoid", lambda z: 1 / (1 + math.exp(-z))), ("relu", lambda z: max(z, 0.0)),
                                   ("linear", lambda z: z), ("tanh", math.tanh)])
def test_activations(act, f):
    n = Neuron(2, activation=act, seed=4)
    x = [0.7, -1.3]
    z = sum(w.data * a for w, a in zip(n.w, x)) + n.b.data
    out = n(x)
    assert out.data == pytest.approx(f(z))
    if act == "linear":
        assert out.op is WEIGHTED_SUM


def test_inputs_may_be_values_and_gradients_reach_them():
    n = Neuron(2, activation="linear", seed=0)
    x = [Value(1.5), Value(-2.0)]
    n(x).backward()
    assert [v.grad for v in x] == [w.data for w in n.w]
    assert [w.grad for w in n.w] == [1.5, -2.0] and n.b.grad == 1.0


def test_same_seed_same_network_whatever_the_global_random_state():
    random.seed(1)
    np.random.seed(1)
    a = MLP(3, [4, 4, 1], seed=42)
    random.seed(2)
    np.random.seed(2)
    b = MLP(3, [4, 4, 1], seed=42)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in MLP(3, [4, 4, 1], seed=43).parameters()] != [p.data for p in a.parameters()]


def test_unseeded_networks_differ():
    assert [p.data for p in MLP(3, [4, 1]).parameters()] != [p.data for p in MLP(3, [4, 1]).parameters()]


@pytest.mark.parametrize("init,bound", [("uniform", lambda i, o: 1.0), ("xavier", lambda i, o: math.sqrt(6 / (i + o))),
                                        ("he", lambda i, o: math.sqrt(6 / i))])
def test_init_bounds(init, bound):
    model = MLP(50, [40, 1], seed=0, init=init)
    for layer in model.layers:
        w = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = bound(layer.nin, layer.nout)
        assert np.abs(w).max() <= b
        assert np.abs(w).max() > 0.8 * b  # actually spread over the range, not a narrower one
        assert all(n.b.data == 0.0 for n in layer.neurons)


def test_parameter_order_layer_neuron_weights_then_bias():
    model = MLP(2, [3, 2], seed=0)
    expected = []
    for layer in model.layers:
        for n in layer.neurons:
            expected += [*n.w, n.b]
    assert model.parameters() == expected
    assert len(model.parameters()) == (2 + 1) * 3 + (3 + 1) * 2
    assert model.layers[0].parameters() == expected[:9]
    assert model.layers[0].neurons[1].parameters() == expected[3:6]


def test_outputs_value_or_list_and_layer_always_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), list)


def test_output_activation_and_hidden_activation():
    model = MLP(2, [3, 3, 1], activation="relu", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "sigmoid"]
    assert 0 < model([5.0, -3.0]).data < 1


def test_zero_grad():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("model", [Neuron(3, seed=0), Layer(3, 2, seed=0), MLP(3, [2, 1], seed=0)])
def test_wrong_length_names_expected_and_given(model):
    with pytest.raises(ValueError, match="length 3, got length 2"):
        model([1.0, 2.0])


@pytest.mark.parametrize("bad", ["1.0", None, [1.0, "a", 2.0], [1.0, None, 2.0], [True, 1.0, 2.0], 3.0])
def test_non_number_input_is_a_type_error_naming_it(bad):
    with pytest.raises(TypeError) as info:
        MLP(3, [2, 1], seed=0)(bad)
    assert "MLP" in str(info.value)


@pytest.mark.parametrize("kwargs,match", [({"activation": "softmax"}, "unknown activation"),
                                          ({"init": "zeros"}, "unknown init"),
                                          ({"nouts": []}, "at least one"),
                                          ({"nouts": [3, 0]}, "positive integer")])
def test_bad_construction(kwargs, match):
    args = {"nin": 2, "nouts": [3, 1], **kwargs}
    with pytest.raises(ValueError, match=match):
        MLP(**args)


@given(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 1000),
       st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_mlp_matches_numpy_forward(nin, nouts, seed, xs):
    model = MLP(nin, nouts, activation="tanh", output_activation="linear", seed=seed)
    a = np.array(xs[:nin])
    for i, layer in enumerate(model.layers):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        a = W @ a + b
        if i < len(model.layers) - 1:
            a = np.tanh(a)
    out = model(xs[:nin])
    got = [out.data] if isinstance(out, Value) else [o.data for o in out]
    np.testing.assert_allclose(got, a, rtol=1e-12, atol=1e-12)


def test_parameters_are_named_by_their_place_in_the_documents_notation() -> None:
    mlp = MLP(3, [2, 12, 1], seed=0)
    first, second, last = mlp.layers
    # wˡⱼₖ: layer l, to neuron j of layer l from neuron k of layer l−1 (input k for layer 1); bˡⱼ
    assert [w.label for w in first.neurons[1].w] == ["w¹₂₁", "w¹₂₂", "w¹₂₃"]
    assert first.neurons[1].b.label == "b¹₂"
    assert second.neurons[11].w[1].label == "w²₁₂,₂" and second.neurons[1].w[1].label == "w²₂₂"  # 12 vs 2: a comma
    assert last.neurons[0].b.label == "b³₁"
    assert len({p.label for p in mlp.parameters()}) == len(mlp.parameters())


def test_a_forward_pass_names_each_neurons_z_and_a() -> None:
    mlp = MLP(2, [2, 1], activation="tanh", seed=0)
    out = mlp([0.5, -1.0])
    assert out.label == "a²₁" and out.op is not None and out.op.name == "weighted_sum"  # a linear output: a = z
    hidden = out.parents[2:4]
    assert [(a.label, a.parents[0].label) for a in hidden] == [("a¹₁", "z¹₁"), ("a¹₂", "z¹₂")]
    layer_out = mlp.layers[0]([0.5, -1.0])  # Layer and Neuron record the same names as MLP's fast path
    assert [(a.label, a.parents[0].label) for a in layer_out] == [("a¹₁", "z¹₁"), ("a¹₂", "z¹₂")]


def test_a_layer_or_a_neuron_on_its_own_drops_the_indices_it_does_not_have() -> None:
    layer = Layer(2, 2, seed=0)
    assert [w.label for w in layer.neurons[1].w] == ["w₂₁", "w₂₂"] and layer.neurons[1].b.label == "b₂"
    neuron = Neuron(2, seed=0)
    assert [w.label for w in neuron.w] == ["w₁", "w₂"] and neuron.b.label == "b"
    a = neuron([1.0, 2.0])
    assert (a.label, a.parents[0].label) == ("a", "z")


def test_labels_you_set_win_over_the_place_names() -> None:
    mlp = MLP(2, [2, 1], seed=0)
    mlp.layers[0].neurons[0].w[0].label = "w_in"
    mlp.layers[1].neurons[0].a_label = "score"
    out = mlp([1.0, 2.0])
    assert out.label == "score"
    assert mlp.layers[0].neurons[0].w[0].label == "w_in"
    assert place_label("w", 2, 1, 3) == "w²₁₃" and place_label("z") == "z"
