"""The reference documents' hand derivations, reproduced by backward() on Neuron/Layer/MLP.

Hand formulas (numpy): output δᴸ = ∂C/∂aᴸ ⊙ σ'(zᴸ); δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ'(zˡ); ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ; ∂C/∂bˡ = δˡ;
for a sigmoid output with cross-entropy, δᴸ = aᴸ − y.
"""

import math

import numpy as np
import pytest

from autograd_nn import MLP, Neuron, Value, losses
from autograd_nn.optim import SGD


def weights_of(model):
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
            for layer in model.layers]


def grads_of(model):
    return [(np.array([[w.grad for w in n.w] for n in layer.neurons]), np.array([n.b.grad for n in layer.neurons]))
            for layer in model.layers]


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def hand_backprop(model, x, dC_da, last_is_delta=False):
    """Forward with numpy (all-sigmoid network), then the δ recursion; returns [(dW, db)] per layer."""
    a, zs, acts = np.asarray(x, float), [], [np.asarray(x, float)]
    for W, b in weights_of(model):
        z = W @ a + b
        a = sig(z)
        zs.append(z)
        acts.append(a)
    delta = dC_da(acts[-1]) if last_is_delta else dC_da(acts[-1]) * acts[-1] * (1 - acts[-1])
    out = []
    params = weights_of(model)
    for layer in range(len(params) - 1, -1, -1):
        out.append((np.outer(delta, acts[layer]), delta))
        if layer:
            W = params[layer][0]
            delta = (W.T @ delta) * acts[layer] * (1 - acts[layer])  # σ'(z) = a(1 − a)
    return out[::-1], acts[-1]


def test_seed002_worked_example_one_weight():
    # One sigmoid output node: input 0.92 on w₁, output 0.79, target 1, E = ½(target − out)².
    a1 = 0.92
    n = Neuron(1, activation="sigmoid", seed=0)
    n.w[0].data = 0.92
    n.b.data = math.log(0.79 / 0.21) - 0.92 * a1  # so that σ(z) = 0.79
    out = n([a1])
    assert out.data == pytest.approx(0.79, abs=1e-12)
    E = losses.squared_error(out, 1.0)
    E.backward()
    assert n.w[0].grad == pytest.approx(-0.21 * 0.1659 * 0.92, rel=1e-9)
    assert n.w[0].grad == pytest.approx(-0.03205188, abs=1e-8)
    SGD(n.parameters(), lr=1.0).step()
    assert n.w[0].data == pytest.approx(0.95205188, abs=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_delta_rules_match_backward_squared_error(seed):
    rng = np.random.default_rng(seed)
    model = MLP(3, [4, 5, 2], activation="sigmoid", output_activation="sigmoid", seed=seed)
    x, y = rng.normal(size=3), rng.uniform(size=2)
    C = losses.squared_error(model(list(x)), list(y))
    C.backward()
    expected, a = hand_backprop(model, x, lambda a: a - y)  # ∂C/∂a = a − y for C = ½Σ(y − a)²
    assert C.data == pytest.approx(0.5 * np.sum((y - a) ** 2), rel=1e-12)
    for (dW, db), (gW, gb) in zip(expected, grads_of(model)):
        np.testing.assert_allclose(gW, dW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(gb, db, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_sigmoid_cross_entropy_output_delta_is_a_minus_y(seed):
    rng = np.random.default_rng(100 + seed)
    model = MLP(4, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=seed)
    x, y = rng.normal(size=4), rng.integers(0, 2, size=2).astype(float)
    C = losses.binary_cross_entropy(model(list(x)), list(y))
    C.backward()
    expected, _ = hand_backprop(model, x, lambda a: a - y, last_is_delta=True)  # dz = a − y
    for (dW, db), (gW, gb) in zip(expected, grads_of(model)):
        np.testing.assert_allclose(gW, dW, rtol=1e-8, atol=1e-13)
        np.testing.assert_allclose(gb, db, rtol=1e-8, atol=1e-13)


def test_from_logits_gives_the_same_gradients_as_sigmoid_then_cross_entropy():
    x, y = [0.3, -1.2, 0.8], [1.0, 0.0]
    a = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid", seed=7)
    b = MLP(3, [4, 2], activation="sigmoid", output_activation="linear", seed=7)
    losses.binary_cross_entropy(a(x), y).backward()
    losses.binary_cross_entropy(b(x), y, from_logits=True).backward()
    np.testing.assert_allclose([p.grad for p in b.parameters()], [p.grad for p in a.parameters()], rtol=1e-9)


def test_multiple_samples_average_is_the_mean_of_per_sample_gradients():
    model = MLP(2, [3, 1], activation="sigmoid", seed=3)
    xs, ys = [[0.1, 0.2], [0.5, -0.3], [1.0, 0.7]], [0.0, 1.0, 0.5]
    per_sample = []
    for x, y in zip(xs, ys):
        model.zero_grad()
        losses.squared_error(model(x), y).backward()
        per_sample.append([p.grad for p in model.parameters()])
    model.zero_grad()
    losses.mean_loss([losses.squared_error(model(x), y) for x, y in zip(xs, ys)]).backward()
    np.testing.assert_allclose([p.grad for p in model.parameters()], np.mean(per_sample, axis=0), rtol=1e-12)


def test_seed000_network_trains_and_its_loss_decreases():
    X = [[0.2, 0.5, 0.5, 0.3], [0.1, 0.2, 0.15, 0.1], [0.7, 0.9, 0.4, 0.8]]
    Y = [[0.5, 0.4], [0.9, 0.1], [0.3, 0.5]]
    model = MLP(4, [15, 14, 15, 16, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    assert [len(layer.neurons) for layer in model.layers] == [15, 14, 15, 16, 2]
    opt = SGD(model.parameters(), lr=0.2)
    history = []
    for _ in range(60):
        opt.zero_grad()
        total = Value(0.0)
        for x, y in zip(X, Y):
            total = total + losses.squared_error(model(x), y)  # ½ squared error summed over the samples
        total.backward()
        opt.step()
        history.append(total.data)
    assert history[-1] < 0.5 * history[0]
    assert all(b <= a + 1e-12 for a, b in zip(history, history[1:]))  # small lr: monotone descent
