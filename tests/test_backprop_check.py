"""check_backprop: a correct hand-written backprop passes, and each typical mistake is diagnosed as its kind,
on networks of every activation and loss; the examples' mistakes are found."""

import runpy
import zlib
from pathlib import Path

import numpy as np
import pytest
from handwritten_backprop import MISTAKES, make

from autograd_nn.nn import MLP
from autograd_nn.testing import check_backprop

ACTIVATIONS = ["sigmoid", "tanh", "relu", "linear"]
LOSS_OUTPUT = {"squared_error": "sigmoid", "mse": "tanh", "binary_cross_entropy": "sigmoid", "hinge": "linear",
               "softmax_cross_entropy": "linear"}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _case(loss, activation, seed, m=4):
    """A random 3-3-3-3 network and m samples where every layer's ∂C/∂W has a non-zero entry (no dead relu layer
    and not every hinge margin met: there every mistake gives the right zeros)."""
    for attempt in range(20):
        model, X, y, acts = _draw(loss, activation, seed + 1000 * attempt, m)
        check_backprop(make(acts, loss), model, X, y, loss=loss)  # sets the engine's .grad
        if all(any(w.grad != 0 for n in layer.neurons for w in n.w) for layer in model.layers):
            return model, X, y, acts
    raise AssertionError("no non-degenerate network found")


def _draw(loss, activation, seed, m):
    rng = np.random.default_rng(seed)
    model = MLP(3, [3, 3, 3], activation=activation, output_activation=LOSS_OUTPUT[loss], seed=seed)
    X = rng.normal(size=(3, m))
    if loss == "softmax_cross_entropy":
        y = rng.integers(0, 3, size=m)
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(3, m)).astype(float)
    elif loss == "hinge":
        y = rng.choice([-1.0, 1.0], size=(3, m))
    else:
        y = rng.uniform(-0.5, 0.5, size=(3, m))
    return model, X, y, [layer.activation for layer in model.layers]


def _no_mistake(mistake, loss, activation):
    """Where the 'mistake' gives the right numbers (so it is no mistake there), or the learner code skips it."""
    out = LOSS_OUTPUT[loss]
    if mistake == "softmax_delta":
        return loss != "softmax_cross_entropy"
    if loss == "softmax_cross_entropy" and mistake == "sign_flipped":
        return True  # the hand-written softmax path has no error term to flip
    if mistake == "derivative_missing":
        return activation == "linear" and (out == "linear" or loss == "softmax_cross_entropy")
    if mistake == "derivative_at_a":  # relu'(a) = relu'(z); id' = 1
        return activation in ("relu", "linear") and (out == "linear" or loss == "softmax_cross_entropy")
    return False


@pytest.mark.parametrize("loss", list(LOSS_OUTPUT))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_correct_backprop_passes(loss, activation):
    model, X, y, acts = _case(loss, activation, seed=3)
    report = check_backprop(make(acts, loss), model, X, y, loss=loss)
    assert report.ok, str(report)
    assert "PASSED" in str(report) and report.diagnosis is None


@pytest.mark.parametrize("loss", list(LOSS_OUTPUT))
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_is_diagnosed_as_its_kind(mistake, loss, activation):
    model, X, y, acts = _case(loss, activation, seed=zlib.crc32(f"{mistake} {loss} {activation}".encode()) % 1000)
    report = check_backprop(make(acts, loss, mistake=mistake, eta=0.3), model, X, y, loss=loss)
    if _no_mistake(mistake, loss, activation):
        assert report.ok, str(report)
        return
    assert not report.ok
    assert report.diagnosis is not None and report.diagnosis.kind == mistake, str(report)
    assert "expected:" in str(report) and "hint:" in str(report)
    if mistake == "updated_weights":
        assert "η = 0.3" in str(report)
        assert report.first_wrong == len(model.layers) - 1  # the top layer is right, the one below is not


def test_the_report_names_the_largest_wrong_entry_with_both_numbers():
    model, X, y, acts = _case("squared_error", "sigmoid", seed=5)
    report = check_backprop(make(acts, "squared_error", mistake="factor"), model, X, y)
    c = report.layers[report.first_wrong - 1]
    j, k = c.worst[1]
    assert c.yours == pytest.approx(2 * model.layers[report.first_wrong - 1].neurons[j].w[k].grad)
    assert f"yours {c.yours:.6g}" in str(report) and f"the engine's {c.engine:.6g}" in str(report)


def test_notebook_forms():
    model, X, y, acts = _case("squared_error", "tanh", seed=6)
    report = check_backprop(make(acts, "squared_error", mistake="transposed_recursion"), model, X, y)
    assert "transposed_recursion" in report._repr_html_() and "FAILED" in report._repr_html_()
    assert report._repr_latex_().startswith("$$\\begin{aligned}") and "W^{(l+1)}" in report._repr_latex_()


def test_the_learner_raising_and_wrong_shapes_are_reported():
    model, X, y, _ = _case("squared_error", "tanh", seed=7)

    def broken(weights, biases, X, y):
        return weights[0] @ X.T, None

    report = check_backprop(broken, model, X, y)
    assert not report.ok and report.diagnosis.kind == "raised" and "ValueError" in report.diagnosis.what
    report = check_backprop(lambda w, b, X, y: (w, b[:1]), model, X, y)
    assert report.diagnosis.kind == "shape" and "3 arrays" in report.diagnosis.what


def test_bad_inputs_are_refused_clearly():
    model, X, y, acts = _case("squared_error", "tanh", seed=8)
    with pytest.raises(ValueError, match=r"X must have shape \(3 × m\)"):
        check_backprop(make(acts, "squared_error"), model, np.ones((4, 2)), y)
    with pytest.raises(TypeError, match="gradients must be a function"):
        check_backprop(None, model, X, y)
    with pytest.raises(ValueError, match="unknown loss"):
        check_backprop(make(acts, "squared_error"), model, X, y, loss="nope")


@pytest.mark.parametrize(("script", "kind"), [("check_backprop_alias.py", "updated_weights"),
                                              ("check_backprop_transpose.py", "transposed_recursion")])
def test_the_examples_are_diagnosed(script, kind):
    report = runpy.run_path(str(EXAMPLES / script))["main"]()
    assert not report.ok and report.diagnosis.kind == kind
    if kind == "updated_weights":
        assert "η = 0.2" in str(report)


def test_the_readme_shows_the_alias_examples_real_report():
    readme = (EXAMPLES.parent / "README.md").read_text()
    report = str(runpy.run_path(str(EXAMPLES / "check_backprop_alias.py"))["main"]())
    assert f"```\n{report}\n```" in readme


def test_a_network_with_an_activation_of_your_own_is_refused_by_name():
    import numpy as np

    from autograd_nn import MLP, define_op
    from autograd_nn.testing import check_backprop

    softsign = define_op("softsign_for_check", lambda x: x / (1.0 + abs(x)), lambda x, out: 1.0 / (1.0 + abs(x)) ** 2)
    model = MLP(2, [3, 1], activation=softsign, seed=0)
    X, y = np.ones((2, 4)), np.ones((1, 4))
    with pytest.raises(ValueError, match="layer 1's activation is 'softsign_for_check'"):
        check_backprop(lambda W, b, X, y: ([w * 0 for w in W], [v * 0 for v in b]), model, X, y,
                       loss="squared_error")
