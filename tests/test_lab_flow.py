"""lab.gradient_flow: its figures are the networks' own .grad and the walk's δ, and it shows sigmoid's vanishing."""

from functools import reduce
from operator import add

import numpy as np
import pytest
from matplotlib.figure import Figure

from autograd_nn import data, losses
from autograd_nn.lab import flow_network, gradient_flow, layer_gradient_sizes, measure_flow
from autograd_nn.viz import explain_layers


def _mean_abs(values):
    values = [abs(v) for v in values]
    return reduce(add, values) / len(values)


def test_the_figures_are_the_grad_of_the_same_networks_rebuilt_and_run_again():
    X, y = data.moons(6, seed=3)
    result = gradient_flow(depths=(2, 4), activations=("sigmoid", "relu"), inits=("xavier", "he"), X=X, y=y, seed=5)
    assert len(result.rows) == 2 * 2 * (2 + 4)
    for (act, init, depth), model in result.models.items():
        rows = result.network(act, init, depth)
        # the network measured, its .grad left from the batch
        assert [r.mean_abs_grad for r in rows] == [_mean_abs([w.grad for n in layer.neurons for w in n.w])
                                                   for layer in model.layers]
        # the same network built again and run by hand: the same weights, the same .grad, bit for bit
        again = flow_network(depth, act, init, nin=2, width=16, seed=5)
        assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]
        cost = losses.mean_loss([losses.squared_error([again(list(x))], t) for x, t in zip(X, y)])
        again.zero_grad()
        cost.backward()
        assert [p.grad for p in again.parameters()] == [p.grad for p in model.parameters()]
        assert layer_gradient_sizes(again) == [r.mean_abs_grad for r in rows]


def test_delta_is_the_walks_as_explain_layers_reads_it():
    model = flow_network(4, "tanh", "xavier", nin=2, width=5, seed=1)
    x, target = [0.4, -1.3], 0.7
    flows = measure_flow(model, [x], [target])
    e = explain_layers(model, x, [target])
    for f, view in zip(flows, e.layers):
        assert f.mean_abs_delta == pytest.approx(np.mean(np.abs(view.delta)), rel=1e-15)
        assert f.mean_abs_slope == pytest.approx(np.mean(np.abs(view.f_prime)), rel=1e-12)
        assert f.mean_abs_grad == pytest.approx(np.mean(np.abs(view.dW)), rel=1e-15)


def test_saturated_neurons_are_counted_from_f_prime():
    model = flow_network(2, "tanh", "uniform", nin=2, width=4, seed=0)
    X = [[1.0, 1.0], [2.0, -1.0]]
    for w in model.layers[0].neurons[0].w + model.layers[0].neurons[1].w:
        w.data = 40.0  # |z| ≥ 40 for both samples: tanh'(z) ≈ 0
    for n in model.layers[0].neurons[2:]:
        for w in n.w:
            w.data = 0.0  # z = 0: tanh'(0) = 1
    hidden, output = measure_flow(model, X, [0.0, 1.0])
    assert hidden.saturated == 0.5 and output.saturated == 0.0
    assert hidden.mean_abs_slope == pytest.approx(0.5, abs=1e-12)


def test_a_deep_sigmoid_nets_first_layer_gradient_is_orders_of_magnitude_below_its_last_and_relu_he_is_not():
    result = gradient_flow(depths=(3, 10), activations=("sigmoid", "relu"), inits=("uniform", "xavier", "he"))
    for init in ("uniform", "xavier", "he"):
        rows = result.network("sigmoid", init, 10)
        assert rows[0].mean_abs_grad < 1e-3 * rows[-1].mean_abs_grad, init
        assert result.verdict("sigmoid", init, 10) == "vanishes"
        # and it shrinks layer after layer on the way back to the input
        assert rows[0].mean_abs_grad < rows[4].mean_abs_grad < rows[-1].mean_abs_grad
    relu = result.network("relu", "he", 10)
    assert 0.1 < relu[0].mean_abs_grad / relu[-1].mean_abs_grad < 10
    assert result.verdict("relu", "he", 10) == "steady" and result.growth_verdict("relu", "he") == "steady"
    assert result.growth_verdict("relu", "uniform") == "explodes"  # U(-1, 1) weights grow it layer by layer
    text = result.summary()
    assert "sigmoid + xavier: the gradient vanishes towards the input" in text
    assert "relu + he: steady towards the input at every depth" in text
    assert "relu + uniform" in text and "as layers are added it explodes" in text


def test_str_plot_and_save(tmp_path):
    result = gradient_flow(depths=(2, 3), activations=("tanh",), inits=("he",), samples=4)
    text = str(result)
    assert text.splitlines()[0].split() == ["activation", "init", "depth", "layer", "mean", "|∂C/∂W|", "mean", "|δ|",
                                            "mean", "|f'(z)|", "saturated"]
    assert len(text.splitlines()) >= 1 + 5
    fig = result.plot(tmp_path / "flow.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log", "log", "linear"]
    assert (tmp_path / "flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="must end in .png, .svg or .pdf"):
        result.plot(tmp_path / "flow.txt")


@pytest.mark.parametrize("kwargs, message", [
    ({"depths": (3, 2)}, "depths must be increasing"),
    ({"depths": (0,)}, "each depth must be a positive integer"),
    ({"depths": ()}, "depths is empty"),
    ({"activations": ("softsine",)}, "unknown activation 'softsine'"),
    ({"inits": ("orthogonal",)}, "unknown init 'orthogonal'"),
    ({"width": 0}, "width must be a positive integer"),
    ({"X": [[1.0, 2.0]]}, "give both X and y"),
    ({"X": [[1.0, 2.0]], "y": [1.0, 2.0]}, "X has 1 samples but y has 2 targets"),
    ({"X": [[1.0, float("nan")]], "y": [1.0]}, r"X\[0, 1\] = nan is not a finite number"),
    ({"loss": "cosine"}, "unknown loss 'cosine'"),
])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradient_flow(**{"depths": (2,), "activations": ("tanh",), "inits": ("he",), "samples": 2, **kwargs})


def test_layer_gradient_sizes_wants_an_mlp():
    with pytest.raises(TypeError, match="layer_gradient_sizes: model must be an MLP"):
        layer_gradient_sizes([1, 2])
