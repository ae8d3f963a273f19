"""fit(): the micrograd demo reaches 100%, mini-batches, the 1/n average, the backend hook, silence, errors."""

import re

import numpy as np
import pytest

from autograd_nn import MLP, DomainError, data, losses
from autograd_nn.optim import SGD, Adam, linear_decay
from autograd_nn.train import Batch, accuracy, fit, value_backend


def test_micrograd_demo_reaches_full_accuracy_within_100_steps(capsys):
    X, y = data.moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    h = fit(model, X, y, loss="hinge", l2=1e-4, lr=1.0, lr_schedule=linear_decay(1.0, 0.1, 100), epochs=100,
            progress=False)
    assert h.steps == 100 and len(h.loss) == len(h.accuracy) == len(h.lr) == 100
    assert h.first_epoch_reaching(1.0) is not None and h.first_epoch_reaching(1.0) <= 100
    assert h.loss[-1] < 0.1 * h.loss[0]
    assert h.lr[0] == 1.0 and h.lr[-1] == pytest.approx(1.0 - 0.9 * 99 / 100)
    assert capsys.readouterr() == ("", "")  # progress=False is silent


def test_one_full_batch_step_is_sgd_on_the_mean_loss():
    X, y = data.xor(6, seed=2)
    a = MLP(2, [3, 1], seed=5)
    b = MLP(2, [3, 1], seed=5)
    fit(a, X, y, loss="hinge", lr=0.3, l2=0.01, epochs=1, progress=False)
    total = losses.mean_loss([losses.hinge(b(list(x)), 2 * t - 1) for x, t in zip(X, y)])
    total = total + 0.01 * sum((p * p for p in b.parameters()), start=0.0)
    total.backward()
    SGD(b.parameters(), lr=0.3).step()
    np.testing.assert_allclose([p.data for p in a.parameters()], [p.data for p in b.parameters()], rtol=1e-12)


def test_mini_batches_make_ceil_n_over_b_steps_per_epoch_and_are_seeded():
    X, y = data.blobs(30, seed=1, centers=2)
    runs = []
    for _ in range(2):
        model = MLP(2, [4, 1], seed=3)
        h = fit(model, X, y, loss="bce", lr=0.1, epochs=3, batch_size=8, progress=False, seed=9)
        runs.append([p.data for p in model.parameters()])
        assert h.steps == 3 * 4
    assert runs[0] == runs[1]
    other = MLP(2, [4, 1], seed=3)
    fit(other, X, y, loss="bce", lr=0.1, epochs=3, batch_size=8, progress=False, seed=10)
    assert [p.data for p in other.parameters()] != runs[0]


def test_multiclass_cross_entropy_with_adam_learns_blobs():
    X, y = data.blobs(60, noise=0.3, seed=0, centers=3)
    model = MLP(2, [8, 3], seed=0)
    h = fit(model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.05), epochs=30,
            progress=False)
    assert h.accuracy[-1] >= 0.95 and h.loss[-1] < h.loss[0]


def test_custom_loss_and_custom_backend_hook():
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.5, -0.5])
    model = MLP(2, [1], seed=0)
    seen = []

    def backend(m, batch: Batch):
        seen.append(len(batch.X))
        return value_backend(m, batch)

    h = fit(model, X, y, loss=losses.squared_error, metric=None, lr=0.1, epochs=5, backend=backend,
            progress=False)
    assert seen == [2] * 5 and h.accuracy == [] and h.loss[-1] < h.loss[0]


def test_progress_bar_writes_to_stderr(capsys):
    X, y = data.xor(8, seed=0)
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=True)
    assert "fit" in capsys.readouterr().err


def test_diverging_loss_is_reported():
    X, y = data.moons(20, seed=0)
    with pytest.raises((FloatingPointError, ValueError)):
        fit(MLP(2, [8, 1], activation="linear", seed=0), X * 1e80, y, loss="squared_error", lr=1e10, epochs=5,
            progress=False)


@pytest.mark.parametrize("kwargs,match", [
    ({"epochs": 0}, "epochs"), ({"batch_size": 0}, "batch_size"), ({"loss": "nope"}, "unknown loss"),
    ({"metric": "f1"}, "metric"), ({"l2": -1.0}, "l2"), ({"y": [0, 1]}, "rows but y has"),
    ({"X": [[1.0, float("nan")]] * 4}, r"X\[0, 1\] = nan"), ({"loss": losses.hinge}, "named loss"),
])
def test_bad_arguments(kwargs, match):
    args = {"X": data.xor(4, seed=0)[0], "y": data.xor(4, seed=0)[1], **kwargs}
    with pytest.raises(ValueError, match=match):
        fit(MLP(2, [2, 1], seed=0), args.pop("X"), args.pop("y"), progress=False, **args)


# --- the contract: bad input is named, a failed step changes nothing ---------------------------------------------


def params(model):
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("bad,exc,shown", [
    (float("nan"), ValueError, "returned nan"), (-0.5, ValueError, "returned -0.5"),
    (float("inf"), ValueError, "returned inf"), ("0.1", TypeError, "returned str '0.1'"),
    (None, TypeError, "returned NoneType None"), (1j, TypeError, "returned complex 1j"),
])
def test_a_bad_scheduled_lr_names_the_step_and_leaves_the_parameters_as_before_it(bad, exc, shown):
    X, y = data.xor(8, seed=0)
    schedule = lambda k: 0.5 if k < 2 else bad  # noqa: E731 (a schedule that goes wrong at step 2)
    model, reference = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=1)
    with pytest.raises(exc, match=rf"fit: lr_schedule\(2\) {shown} for step 2; .*finite number >= 0"):
        fit(model, X, y, l2=1e-3, lr_schedule=schedule, epochs=5, progress=False)
    fit(reference, X, y, l2=1e-3, lr_schedule=schedule, epochs=2, progress=False)  # the two good steps only
    assert params(model) == params(reference)


def test_linear_decay_holds_its_end_value_past_its_end():
    X, y = data.xor(8, seed=0)
    h = fit(MLP(2, [3, 1], seed=0), X, y, lr_schedule=linear_decay(1.0, 0.1, 3), epochs=6, progress=False)
    assert h.lr == pytest.approx([1.0, 0.7, 0.4, 0.1, 0.1, 0.1])  # before: 0.1, -0.2, -0.5 went on descending


@pytest.mark.parametrize("loss,metric,labels,match", [
    ("hinge", "accuracy", [0, 1, 0.5, 1], r"y\[2\] = 0.5 is not valid: loss='hinge' expects labels 0 or 1"),
    ("hinge", "accuracy", [0, 1, 2, 1], r"y\[2\] = 2 is not valid: loss='hinge' expects labels 0 or 1"),
    ("cross_entropy", "accuracy", [0, 1.5, 1, 0], r"y\[1\] = 1.5 is not valid: .*class indices"),
    ("cross_entropy", None, [0, -1, 1, 0], r"y\[1\] = -1 is not valid: .*class indices"),
    ("bce", "accuracy", [0.0, 1.0, 1.0, 0.25], r"y\[3\] = 0.25 is not valid: loss='bce' expects labels 0 or 1"),
    ("binary_cross_entropy", None, [0.0, 1.5, 1.0, 0.0], r"y\[1\] = 1.5 is not valid: .*between 0 and 1"),
    ("mse", "accuracy", [0.0, 1.0, 0.7, 0.0], r"y\[2\] = 0.7 is not valid: metric='accuracy' compares class"),
    ("hinge", "accuracy", [0, 1, float("nan"), 1], r"y\[2\] = nan; y must hold finite numbers"),
    ("hinge", "accuracy", ["0", "1", "1", "0"], r"y must hold numbers, got <U1 values such as y\[0\] = '0'"),
    ("mse", None, [0.5, 1j, 0.0, 0.0], r"y\[1\] = 1j is complex"),
    ("hinge", "accuracy", [[0, 1], [1, 0], [0, 1], [1, 0]], r"y must be 1-D .* shape \(4, 2\)"),
])
def test_labels_the_loss_would_misread_are_named(loss, metric, labels, match):
    X = data.xor(4, seed=0)[0]
    outputs = 2 if loss == "cross_entropy" else 1
    model = MLP(2, [3, outputs], output_activation="sigmoid" if loss == "binary_cross_entropy" else "linear",
                seed=0)
    before = params(model)
    with pytest.raises((ValueError, TypeError), match=match):
        fit(model, X, labels, loss=loss, metric=metric, epochs=1, progress=False)
    assert params(model) == before


def test_soft_and_whole_float_labels_are_still_accepted():
    X, y = data.xor(8, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y.astype(float), loss="hinge", epochs=1, progress=False)  # 0.0 and 1.0
    h = fit(MLP(2, [3, 1], seed=0), X, 0.25 + 0.5 * y, loss="bce", metric=None, epochs=2, progress=False)
    assert h.accuracy == [] and h.loss[1] < h.loss[0]
    fit(MLP(2, [3, 2], seed=0), X, np.stack([y, 0.5 * y], 1), loss="mse", metric=None, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"y has shape \(8,\), expected \(8, 2\)"):
        fit(MLP(2, [3, 2], seed=0), X, y, loss="mse", metric=None, epochs=1, progress=False)


@pytest.mark.parametrize("X,exc,match", [
    ([[0.5, 1.0], [0.0, 2.0 + 3j]], TypeError, r"X\[1, 1\] = \(2\+3j\) is complex; X must hold real numbers"),
    ([[0.5, 1.0], [0.0, None]], TypeError, r"X\[1, 1\] = None \(NoneType\) is not a real number"),
    ([[0.5, "1.0"], [0.0, 2.0]], TypeError, "X must hold numbers"),
    ([[0.5, 1.0], [0.0]], ValueError, "rows have different lengths"),
    ([[0.5, 1.0, 2.0], [0.0, 2.0, 1.0]], ValueError, "X has 3 columns but the model takes 2 inputs"),
])
def test_bad_X_is_named(X, exc, match):
    with pytest.raises(exc, match=match):
        fit(MLP(2, [1], seed=0), X, [0, 1], epochs=1, progress=False)


def test_the_model_must_fit_the_loss_and_the_labels():
    X, y = data.blobs(6, seed=0, centers=3)
    with pytest.raises(ValueError, match="loss='hinge' needs a model with 1 output, this one has 3"):
        fit(MLP(2, [3], seed=0), X, y % 2, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"y\[\d\] = 2 is not a class of the model's 2 outputs \(0 to 1\)"):
        fit(MLP(2, [2], seed=0), X, y, loss="cross_entropy", epochs=1, progress=False)
    with pytest.raises(ValueError, match="the optimizer holds none of the model's parameters"):
        fit(MLP(2, [1], seed=0), X, y % 2, optimizer=SGD(MLP(2, [1], seed=0).parameters(), 0.1), progress=False)


@pytest.mark.parametrize("loss,shown", [
    (lambda out, y: 0.25, "float 0.25"),
    (lambda out, y: [out, out], "list [Value("),
    (lambda out, y: None, "NoneType None"),
])
def test_a_callable_loss_must_return_a_value(loss, shown):
    X, y = data.xor(4, seed=0)
    with pytest.raises(TypeError, match=r"fit: the loss returned " + re.escape(shown) + ".* must return one Value"):
        fit(MLP(2, [1], seed=0), X, y, loss=loss, metric=None, epochs=1, progress=False)


@pytest.mark.parametrize("lr,exc,good_steps,match", [
    (1e280, DomainError, 2, r"fit: step 2 \(epoch 3\) could not compute the loss .*overflow"),  # forward pass
    (1e290, FloatingPointError, 1, r"fit: step 1 \(epoch 2\): SGD.step: the update would make parameter \d+ -?inf"),
])
def test_an_overflow_names_the_step_and_that_step_changes_nothing(lr, exc, good_steps, match):
    X, y = data.xor(4, seed=0)
    X = X * 1e10
    model, reference = MLP(2, [3, 1], activation="linear", seed=0), MLP(2, [3, 1], activation="linear", seed=0)
    schedule = lambda k: lr if k else 1e-30  # noqa: E731 (a harmless first step, then a huge one)
    with pytest.raises(exc, match=match):
        fit(model, X, y, loss="squared_error", metric=None, lr_schedule=schedule, epochs=3, progress=False)
    fit(reference, X, y, loss="squared_error", metric=None, lr_schedule=schedule, epochs=good_steps, progress=False)
    assert params(model) == params(reference)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"seed": 1.5, "batch_size": 2}, ValueError, "seed must be None or an integer >= 0, got 1.5"),
    ({"lr_schedule": 0.1}, TypeError, "lr_schedule must be a function"),
    ({"y": 3}, TypeError, "y must be a sequence of labels"),
])
def test_more_bad_arguments(kwargs, exc, match):
    X, y = data.xor(4, seed=0)
    args = {"y": y, **kwargs}
    with pytest.raises(exc, match=match):
        fit(MLP(2, [1], seed=0), X, args.pop("y"), progress=False, **args)


def test_accuracy_checks_its_labels_and_loss():
    X, y = data.xor(4, seed=0)
    model = MLP(2, [1], seed=0)
    assert accuracy(model, X, y) in (0.0, 0.25, 0.5, 0.75, 1.0)
    with pytest.raises(ValueError, match=r"accuracy: y\[0\] = 0.5 is not valid"):
        accuracy(model, X, [0.5, 1, 0, 1])
    with pytest.raises(ValueError, match="accuracy: unknown loss 'nope'"):
        accuracy(model, X, y, loss="nope")
