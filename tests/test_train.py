"""fit(): the micrograd demo reaches 100%, mini-batches, the 1/n average, the backend hook, silence, errors."""

import numpy as np
import pytest

from autograd_nn import MLP, data, losses
from autograd_nn.optim import SGD, Adam, linear_decay
from autograd_nn.train import Batch, fit, value_backend


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
    ({"X": [[1.0, float("nan")]] * 4}, "NaN"), ({"loss": losses.hinge}, "named loss"),
])
def test_bad_arguments(kwargs, match):
    args = {"X": data.xor(4, seed=0)[0], "y": data.xor(4, seed=0)[1], **kwargs}
    with pytest.raises(ValueError, match=match):
        fit(MLP(2, [2, 1], seed=0), args.pop("X"), args.pop("y"), progress=False, **args)
