"""explain_layers: the δ recursion's matrix formulas, by numpy, against backward() on random networks."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from viz_helpers import dot_edges, dot_nodes

from autograd_nn import MLP, losses
from autograd_nn.nn import subscript as sub
from autograd_nn.nn import superscript as sup
from autograd_nn.viz import explain_layers, render
from autograd_nn.viz.layers import LOSSES

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "explain_layers.py"


def target_for(loss: str, n_out: int, rng: np.random.Generator):  # noqa: ANN201
    if loss == "softmax_cross_entropy":
        return int(rng.integers(n_out))
    if loss == "hinge":
        return [float(v) for v in rng.choice([-1.0, 1.0], n_out)]
    if loss == "binary_cross_entropy":
        return [float(v) for v in rng.uniform(0, 1, n_out)]
    return [float(v) for v in rng.normal(size=n_out)]


def cases():  # noqa: ANN201
    for k, (loss, hidden) in enumerate(itertools.product(sorted(LOSSES), ACTIVATIONS)):
        outputs = ["sigmoid"] if loss == "binary_cross_entropy" else ACTIVATIONS
        for output in outputs:
            yield pytest.param(loss, hidden, output, 1000 + 17 * k + len(output), id=f"{loss}-{hidden}-{output}")


@pytest.mark.parametrize(("loss", "hidden", "output", "seed"), list(cases()))
def test_matrix_formulas_equal_backward_on_random_networks(loss, hidden, output, seed) -> None:  # noqa: ANN001
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4)))]
    if loss == "softmax_cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    nin = int(rng.integers(1, 5))
    model = MLP(nin, sizes, activation=hidden, output_activation=output, seed=seed)
    for p in model.parameters():  # biases too, so no layer is trivially zero
        p.data = float(rng.normal())
    x = [float(v) for v in rng.normal(size=nin)]
    target = target_for(loss, sizes[-1], rng)

    # backward() run here, on a twin of the model: the grads explain_layers' numpy formulas must reproduce.
    twin = MLP(nin, sizes, activation=hidden, output_activation=output, seed=seed)
    for p, q in zip(twin.parameters(), model.parameters()):
        p.data = q.data
    out = twin(x)
    LOSSES[loss](out if isinstance(out, list) else [out], target).backward()

    e = explain_layers(model, x, target, loss=loss)
    assert len(e.layers) == len(sizes)
    for view, layer in zip(e.layers, twin.layers):
        W_grad = np.array([[w.grad for w in n.w] for n in layer.neurons])
        b_grad = np.array([n.b.grad for n in layer.neurons])  # ∂z/∂b = 1, so ∂C/∂b = δ
        np.testing.assert_allclose(view.dW_np, W_grad, rtol=0, atol=1e-12)
        np.testing.assert_allclose(view.db_np, b_grad, rtol=0, atol=1e-12)
        np.testing.assert_allclose(view.delta_np, b_grad, rtol=0, atol=1e-12)
        np.testing.assert_allclose(view.delta, b_grad, rtol=0, atol=1e-12)  # the engine's gradient at z
        np.testing.assert_allclose(view.dW, W_grad, rtol=0, atol=1e-12)  # what backward() left in .grad
    assert e.difference <= 1e-12
    text = str(e)
    assert text.count("equal the graph's δ") == len(sizes) and "DIFFER" not in text


def test_a_loss_of_your_own_reads_grad_a_from_the_graph() -> None:
    model = MLP(3, [3, 2], activation="tanh", seed=5)

    def quartic(pred, target):  # noqa: ANN001, ANN202
        return sum((a - y) ** 4 for a, y in zip(pred, target))

    x, y = [0.3, -1.2, 0.8], [0.5, -0.5]
    e = explain_layers(model, x, y, loss=quartic)
    a = np.array([float(v.data) for v in model(x)])
    np.testing.assert_allclose(e.grad_a, 4 * (a - np.array(y)) ** 3, rtol=1e-12, atol=1e-15)
    assert e.difference <= 1e-12 and "loss quartic" in str(e)


def test_the_loss_functions_themselves_are_accepted() -> None:
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=2)
    by_name = explain_layers(model, [0.5, 0.1], [1.0], loss="binary_cross_entropy")
    by_function = explain_layers(model, [0.5, 0.1], [1.0], loss=losses.binary_cross_entropy)
    assert str(by_name) == str(by_function)
    # seed 003: with a sigmoid output and cross-entropy, δᴸ = a − y
    assert by_name.layers[-1].delta[0] == pytest.approx(by_name.layers[-1].a[0] - 1.0, abs=1e-12)


def test_refuses_what_it_cannot_explain() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        explain_layers(model, [0.0, 1.0], [1.0], loss="nope")
    with pytest.raises(TypeError, match="must be an MLP"):
        explain_layers(model.layers[0], [0.0, 1.0], [1.0])  # type: ignore[arg-type]


def test_text_latex_and_repr() -> None:
    model = MLP(2, [3, 2], activation="relu", output_activation="linear", seed=7)
    e = explain_layers(model, [0.4, -0.9], 1, loss="softmax_cross_entropy")
    assert repr(e) == str(e)
    text = str(e)
    for line in ("δ² = ∇ₐC ⊙ id'(z²)", "δ¹ = ((W²)ᵀ δ²) ⊙ relu'(z¹)", "∂C/∂W¹ = δ¹ (a⁰)ᵀ", "∂C/∂b² = δ²"):
        assert line in text
    tex = e._repr_latex_()
    assert tex.startswith("$$\\begin{aligned}") and tex.endswith("\\end{aligned}$$")
    assert tex.count("{") == tex.count("}") and tex.count(r"\begin{bmatrix}") == tex.count(r"\end{bmatrix}")
    assert r"\delta^{(1)} &= \left(W^{(2)}\right)^T \delta^{(2)} \odot \mathrm{relu}'(z^{(1)})" in tex


def test_picture_has_delta_on_each_neuron_and_dC_dw_on_each_edge(tmp_path) -> None:  # noqa: ANN001
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    e = explain_layers(model, [0.4, -0.9], [1.0, 0.0])
    g = e.graph()
    nodes = dot_nodes(g.source)
    for view in e.layers:
        for j, d in enumerate(view.delta):
            assert f"δ = ∂C/∂z{sup(view.index)}{sub(j + 1)} = {d:.4g}" in nodes[f"L{view.index}n{j}"]["label"]
        for j, i in itertools.product(range(view.W.shape[0]), range(view.W.shape[1])):
            w = f"w{sup(view.index)}{sub(j + 1)}{sub(i + 1)}"  # wˡⱼₖ: to neuron j from neuron k of layer l−1
            assert f"∂C/∂{w} = {view.dW[j, i]:.4g}" in nodes[f"L{view.index}n{j}w{i}"]["label"]
    assert sum(1 for s, d, _ in dot_edges(g.source) if d == "C") == 2
    svg = render(g, tmp_path / "layers.svg", force_pure=True).read_text("utf-8")
    assert "∂C/∂w¹₁₁" in svg and "δ = ∂C/∂z¹₁" in svg


def test_seed_002_numbers_appear_in_the_example_output(tmp_path) -> None:  # noqa: ANN001
    spec = importlib.util.spec_from_file_location("explain_layers_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [str(EXAMPLE), "--out", str(tmp_path)]
    try:
        with contextlib.redirect_stdout(out):
            module.main()
    finally:
        sys.argv = argv
    text = out.getvalue()
    out1, target, a1 = 0.79, 1.0, 0.92  # seed 002: the output, its target and the input on w₁ (= w₁)
    d_out, d_net = -(target - out1), out1 * (1 - out1)
    for number in (d_out, d_net, a1, out1):
        assert f"{number:.4g}" in text
    assert f"[{d_out:.4g}, " in text and f"⊙ [{d_net:.4g}, " in text  # ∇ₐC and σ'(z²) of the first output
    assert f"[[{d_out * d_net * a1:.4g}, " in text  # ∂C/∂W²[1, 1] in the matrix
    assert f"= {d_out * d_net * a1:.8f}" in text and f") = {a1 - d_out * d_net * a1:.8f}" in text  # one step, lr 1
    assert text.count("equal the graph's δ") == 6 and "DIFFER" not in text
    assert len(list(tmp_path.glob("*.svg"))) == 3


def test_the_verdict_is_relative_so_large_weights_still_agree():
    rng = np.random.default_rng(5)
    m = MLP(4, [6, 6, 3], activation="linear", seed=5)
    for p in m.parameters():  # weights ~100: ∂C/∂W ~1e7, its rounding ~1e-9 absolute
        p.data = float(rng.normal()) * 100
    e = explain_layers(m, list(rng.normal(size=4)), list(rng.normal(size=3)), "squared_error")
    assert e.difference > 1e-9  # an absolute tolerance of 1e-9 would call this rounding a disagreement
    assert e.relative_difference <= 1e-15
    assert "DIFFER" not in str(e) and r"\neq" not in e.latex()
    assert str(e).count("the matrix formulas by numpy equal") == 3


def test_a_relative_error_above_the_tolerance_is_a_difference():
    import dataclasses
    m = MLP(2, [3, 1], activation="tanh", seed=1)
    e = explain_layers(m, [0.4, -0.7], [0.3], "squared_error")
    v = e.layers[0]
    bad = dataclasses.replace(v, dW=v.dW * (1 + 1e-6))
    assert v.agree and not bad.agree and bad.relative_difference == pytest.approx(1e-6, rel=1e-3)
    e.layers[0] = bad
    assert "layer 1: the matrix formulas by numpy DIFFER from" in str(e)


@pytest.mark.parametrize("x", [{1.0, 2.0}, frozenset({1.0, 2.0}), "12", {1.0: 0, 2.0: 0}])
def test_explain_layers_refuses_an_unordered_or_text_input(x):
    m = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"explain_layers: x: input must be a list .* got " + type(x).__name__):
        explain_layers(m, x, [1.0])
