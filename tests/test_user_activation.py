"""Your own op as an activation: any one-argument op (built-in or define_op) in Neuron, Layer, MLP, fit, the Tape,
explain_layers, save/load and the torch bridge."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_nn import MLP, Layer, Neuron, Value, define_op, grad, losses, softplus
from autograd_nn.data import moons
from autograd_nn.serialize import ModelFileError, load_mlp, save_mlp
from autograd_nn.train import fit

# softsign(x) = x / (1 + |x|), softsign'(x) = 1 / (1 + |x|)²: written with arithmetic, so it works on floats, on
# Values (create_graph) and on arrays (the tape)
softsign = define_op("softsign", lambda x: x / (1.0 + abs(x)), lambda x, out: 1.0 / (1.0 + abs(x)) ** 2)


def test_a_user_op_is_an_activation_of_a_neuron_a_layer_and_an_mlp() -> None:
    x = [0.5, -2.0]
    neuron = Neuron(2, activation=softsign, seed=0)
    z = neuron.b.data + sum(w.data * v for w, v in zip(neuron.w, x))
    out = neuron(x)
    assert out.op is softsign and out.data == pytest.approx(z / (1 + abs(z)), rel=1e-15)
    assert Layer(2, 3, activation=softsign, seed=0)(x)[2].op is softsign
    mlp = MLP(2, [3, 1], activation=softsign, output_activation=softplus, seed=0)
    assert (mlp.activation, mlp.output_activation) == ("softsign", "softplus")
    z_out = mlp(x).parents[0]  # a²₁ = softplus(z²₁), z²₁ = b²₁ + Σₖ w²₁ₖ a¹ₖ: parents w²₁₁…w²₁₃, a¹₁…a¹₃, b²₁
    assert mlp(x).op is softplus and {a.op for a in z_out.parents[3:6]} == {softsign}
    assert MLP(2, [3, 1], activation="softplus").layers[0].activation_op is softplus  # a built-in one by its name


def test_what_is_not_a_one_argument_op_is_refused_by_name() -> None:
    hyp = define_op("hyp2", lambda a, b: math.hypot(a, b), lambda a, b, out: (a / out, b / out))
    with pytest.raises(ValueError, match="<op hyp2> takes 2 arguments; an activation is an op of one argument"):
        MLP(2, [1], activation=hyp)
    with pytest.raises(ValueError, match="unknown activation .*define_op"):
        Neuron(2, activation=lambda v: v)  # a plain function has no derivative in the op table


def test_fit_trains_an_mlp_with_a_user_activation() -> None:
    X, y = moons(40, 0.1, seed=0)
    model = MLP(2, [6, 1], activation=softsign, seed=1)
    history = fit(model, X, y, epochs=15, lr=0.1, progress=False)
    assert history.loss[-1] < history.loss[0]


def test_the_tape_runs_an_mlp_with_a_user_activation_as_the_values_do() -> None:
    from autograd_nn.tape import Tape, TapeBackend

    model = MLP(2, [4, 1], activation=softsign, seed=3)
    rows = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    loss = losses.mean_loss([losses.squared_error(model(r), 1.0) for r in rows])
    tape = Tape(loss)
    expected = grad(loss, model.parameters())
    model.zero_grad()
    assert tape.forward() == pytest.approx(loss.data, rel=1e-13)  # a user op on arrays: within a few ulp
    tape.backward()  # adds ∂loss/∂p to each parameter's .grad, as backward() does
    assert np.allclose([p.grad for p in model.parameters()], expected, rtol=1e-12, atol=1e-15)
    X, y = moons(30, 0.1, seed=0)
    runs = []
    for backend in ({}, {"backend": TapeBackend()}):
        m = MLP(2, [4, 1], activation=softsign, seed=2)
        runs.append(fit(m, X, y, epochs=3, lr=0.05, progress=False, **backend).loss)
    assert np.allclose(runs[0], runs[1], rtol=1e-12)


def test_explain_layers_takes_f_prime_from_the_ops_derivative() -> None:
    from autograd_nn.viz import explain_layers

    model = MLP(2, [3, 1], activation=softsign, seed=0)
    e = explain_layers(model, [0.5, -1.0], 1.0)
    hidden = e.layers[0]
    assert np.allclose(hidden.f_prime, 1.0 / (1.0 + np.abs(hidden.z)) ** 2, rtol=1e-15)
    assert e.difference <= 1e-12
    assert "softsign'(z¹)" in str(e) and r"\mathrm{softsign}" in e.latex()


def test_save_names_a_user_op_and_load_asks_for_it(tmp_path) -> None:  # noqa: ANN001
    model = MLP(2, [3, 1], activation=softsign, output_activation="sigmoid", seed=4)
    path = tmp_path / "m.json"
    save_mlp(model, path)
    with pytest.raises(ModelFileError, match=r"'activation' is 'softsign'.*load_mlp\(path, ops=\[softsign\]\)"):
        load_mlp(path)
    loaded = load_mlp(path, ops=[softsign])
    assert loaded.layers[0].activation_op is softsign
    assert loaded([0.3, -0.4]).data == model([0.3, -0.4]).data
    other = define_op("softsign_v2", lambda x: x, lambda x, out: 1.0)
    with pytest.raises(ModelFileError, match="softsign"):
        load_mlp(path, ops=[other])
    with pytest.raises(TypeError, match="ops must be one-argument Ops"):
        load_mlp(path, ops=[lambda x: x])


def test_the_torch_bridge_refuses_an_activation_torch_has_no_module_for() -> None:
    pytest.importorskip("torch")
    from autograd_nn.torch_bridge import to_torch

    with pytest.raises(ValueError, match="layer 1's activation 'softsign' .*no torch.nn module"):
        to_torch(MLP(2, [3, 1], activation=softsign, seed=0))
    with pytest.raises(ValueError, match="layer 2's activation 'softplus'"):
        to_torch(MLP(2, [3, 1], activation="tanh", output_activation="softplus", seed=0))


def test_a_user_activation_differentiates_twice() -> None:
    x = Value(0.7)
    (first,) = grad(softsign(x), [x], create_graph=True)
    (second,) = grad(first, [x])
    assert second == pytest.approx(-2.0 / (1.0 + 0.7) ** 3, rel=1e-12)
