"""The tape keeps the engine's contract: no gradients of an old point, no silently untrained parameter, and eager
code's own error messages in training."""

import math

import numpy as np
import pytest

from autograd_nn.data import moons, spiral
from autograd_nn.engine import DomainError, StaleGraphError, Value
from autograd_nn.nn import MLP
from autograd_nn.tape import Tape, TapeBackend
from autograd_nn.train import fit


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


# -- backward after the leaves changed ------------------------------------------------------------------------

def test_backward_after_a_leaf_changed_without_forward_raises_instead_of_giving_the_old_points_gradients():
    x, w = Value(0.5, label="x"), Value(2.0, label="w")
    tape = Tape((w * x).tanh())
    tape.forward()
    w.data = 0.5  # d/dw tanh(w·x) = x·(1 − tanh²): 0.21 at the old point, 0.47 at the new one
    with pytest.raises(StaleGraphError, match=r"1 leaf changed since the last forward\(\).*'w'.*read as 2\.0.*"
                                              r"Call forward\(\) before backward\(\)"):
        tape.backward()
    assert w.grad == 0.0 and x.grad == 0.0  # nothing written
    tape.forward()
    tape.backward()
    assert close(w.grad, 0.5 * (1 - math.tanh(0.25) ** 2))


def test_backward_right_after_recording_reads_the_recorded_point():
    x = Value(3.0)
    tape = Tape(x * x)
    tape.backward()  # no forward yet: the recorded values are the forward pass
    assert x.grad == 6.0
    x.data = 4.0
    with pytest.raises(StaleGraphError):
        tape.backward()


def test_assignments_that_leave_the_leaves_as_forward_read_them_are_no_error():
    x, other = Value(1.5), Value(7.0)
    tape = Tape(x * x)
    tape.forward()
    other.data = 8.0  # not a leaf of this tape
    x.data = 2.0
    x.data = 1.5  # back to what forward read
    tape.backward()
    assert x.grad == 3.0


# -- a replaced parameter ---------------------------------------------------------------------------------

def test_check_with_parameters_names_a_replaced_parameter():
    model = MLP(2, [3, 1], seed=0)
    tape = Tape(model([0.5, -1.0]))
    tape.check(parameters=model.parameters())
    model.layers[1].neurons[0].w[2] = Value(0.25)
    with pytest.raises(ValueError, match=r"1 parameter is not a leaf of the recorded graph.*parameter 11, "
                                         r"Value\(data=0\.25.*replaced in the model.*Record a new Tape"):
        tape.check(parameters=model.parameters())


def test_the_tape_backend_records_again_when_a_parameter_is_replaced():
    X, y = moons(30, 0.1, seed=1)
    backend = TapeBackend()
    runs = []
    for use in ({}, {"backend": backend}):
        model = MLP(2, [4, 1], activation="relu", seed=3)
        fit(model, X, y, epochs=2, lr=0.05, progress=False, **use)
        fresh = Value(0.3)
        model.layers[0].neurons[1].w[0] = fresh  # e.g. re-initialising one weight between two fits
        history = fit(model, X, y, epochs=3, lr=0.05, progress=False, **use)
        assert fresh.data != 0.3 and fresh.grad != 0.0  # the new Value is trained
        runs.append((history.loss, [p.data for p in model.parameters()]))
    assert backend.recordings == 2
    (loss_a, p_a), (loss_b, p_b) = runs
    assert all(close(a, b) for a, b in zip(loss_a + p_a, loss_b + p_b))


# -- eager's error text in training -----------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["hinge", "bce", "mse", "cross_entropy"])
def test_a_training_run_that_overflows_gives_the_same_domain_error_under_the_tape(loss):
    X, y = moons(20, 0.1, seed=0)
    outs = 2 if loss == "cross_entropy" else 1
    messages = []
    for use in ({}, {"backend": TapeBackend()}):
        model = MLP(2, [8, 8, outs], activation="relu", seed=4)
        for p in model.layers[1].parameters():
            p.data *= 1e160  # the second layer's sums overflow on the first step
        with pytest.raises(DomainError) as info:
            fit(model, X, y.astype(float) if loss == "mse" else y, loss=loss, epochs=2, lr=0.1, l2=1e-4,
                metric=None if loss == "mse" else "accuracy", progress=False, **use)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("fit: step 0 (epoch 1) could not compute the loss and its gradients: ")
    assert "overflow" in messages[0]


def test_of_two_failing_ops_the_tape_reports_the_one_eager_code_meets_first():
    def build(a, b):
        return a.log() * 2 + b.sqrt() * 3

    a, b = Value(1.0), Value(1.0)
    tape = Tape(build(a, b))
    a.data, b.data = -1.0, -4.0
    with pytest.raises(DomainError) as eager:
        build(Value(-1.0), Value(-4.0))
    with pytest.raises(DomainError) as taped:
        tape.forward()
    assert str(taped.value) == str(eager.value) and "log" in str(eager.value)


# -- mini-batches -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["hinge", "bce", "squared_error"])
def test_mini_batches_record_each_batch_shape_once_and_match_eager(loss):
    X, y = moons(40, 0.1, seed=0)
    labels = y.astype(float) if loss == "squared_error" else y
    backend = TapeBackend()
    runs = []
    for use in ({}, {"backend": backend}):
        model = MLP(2, [6, 1], activation="tanh", seed=2)
        history = fit(model, X, labels, loss=loss, epochs=3, batch_size=16, lr=0.05, l2=1e-3, progress=False,
                      metric=None if loss == "squared_error" else "accuracy", **use)
        runs.append((history.loss, history.accuracy, [p.data for p in model.parameters()]))
    assert backend.recordings == 2  # batches of 16 and the last one of 8, each recorded once over 3 epochs
    (loss_a, acc_a, p_a), (loss_b, acc_b, p_b) = runs
    assert acc_a == acc_b
    assert all(close(a, b) for a, b in zip(loss_a + p_a, loss_b + p_b))


def test_cross_entropy_batches_replay_on_one_tape_per_shape_and_match_eager():
    X, y = spiral(34, 0.1, seed=0, classes=3)
    backend = TapeBackend()
    runs = []
    for use in ({}, {"backend": backend}):
        model = MLP(2, [8, 3], activation="relu", seed=1)
        history = fit(model, X, y, loss="cross_entropy", epochs=3, batch_size=8, lr=0.05, progress=False, **use)
        runs.append((history.loss, history.accuracy, [p.data for p in model.parameters()]))
    assert backend.recordings == 2  # batches of 8 and the last of 2, whatever their labels
    (loss_a, acc_a, p_a), (loss_b, acc_b, p_b) = runs
    assert acc_a == acc_b
    assert all(close(a, b) for a, b in zip(loss_a + p_a, loss_b + p_b))


def test_a_callable_loss_is_recorded_per_label_sequence():
    from autograd_nn.losses import squared_error

    X, y = moons(12, 0.1, seed=0)
    backend = TapeBackend()
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    fit(model, X, y.astype(float), loss=lambda o, t: squared_error(o, t), metric=None, epochs=2, batch_size=4,
        lr=0.05, progress=False, backend=backend)
    assert backend.recordings >= 3  # a callable may branch on its label: each label sequence is its own tape


# -- parameters bound to one array ------------------------------------------------------------------------

def moons_loss(model, X, y):
    from autograd_nn.engine import weighted_sum
    from autograd_nn.losses import hinge, mean_loss

    ps = model.parameters()
    return mean_loss([hinge(model(list(x)), 2 * int(t) - 1) for x, t in zip(X, y)]) + 1e-3 * weighted_sum(ps, ps)


def test_sgd_on_a_bound_array_is_sgd_on_the_values():
    X, y = moons(20, 0.1, seed=0)
    eager_model, taped_model = (MLP(2, [5, 5, 1], activation="relu", seed=7) for _ in range(2))
    params = taped_model.parameters()
    tape = Tape(moons_loss(taped_model, X, y))
    bound = tape.bind(params)
    assert np.shares_memory(bound.data, tape.values)  # a view: the tape reads the array itself
    assert sorted(map(id, bound.params)) == sorted(map(id, params))
    for _ in range(4):
        loss = moons_loss(eager_model, X, y)
        eager_model.zero_grad()
        loss.backward()
        for p in eager_model.parameters():
            p.data -= 0.1 * p.grad
        assert close(tape.forward(), loss.data)
        tape.gradient()
        assert all(close(a, b.grad) for a, b in zip(bound.grad_of(params), eager_model.parameters()))
        bound.data -= 0.1 * bound.grad
    assert all(p.grad == 0.0 for p in params)  # gradient() writes no .grad
    before = [p.data for p in params]
    bound.write_back()
    after = [p.data for p in params]
    assert before != after
    assert all(close(a, b.data) for a, b in zip(after, eager_model.parameters()))


def test_a_bound_parameter_assigned_is_taken_and_a_stale_gradient_refused():
    x, w = Value(0.5), Value(2.0)
    tape = Tape(w * x)
    bound = tape.bind([w])
    tape.forward()
    w.data = 3.0
    with pytest.raises(StaleGraphError):
        tape.gradient()
    assert tape.forward() == 1.5 and bound.data[0] == 3.0
    assert tape.gradient()[tape.place(w)] == 0.5
    with pytest.raises(ValueError, match="already has bound parameters"):
        tape.bind([x])


def test_only_leaves_of_the_tape_can_be_bound():
    x = Value(0.5)
    h = x * 2
    tape = Tape(h * h)
    with pytest.raises(ValueError, match="not a leaf of the recorded graph"):
        tape.bind([h])
    with pytest.raises(ValueError, match="listed twice"):
        tape.bind([x, x])


def test_a_plan_of_many_kernels_runs_unprepared_with_eagers_numbers():
    from autograd_nn.tape.runtime import PREPARED_KERNELS

    def chain(x):
        h = x
        for k in range(PREPARED_KERNELS):
            h = (h * 0.9 + 0.01 * k).tanh()
        return h

    x = Value(0.7)
    tape = Tape(chain(x))
    assert len(tape.plan.kernels) > PREPARED_KERNELS  # one-node groups: each prepared as it runs
    fresh = Value(0.3)
    eager_root = chain(fresh)
    eager_root.backward()
    x.data = 0.3
    assert tape.forward() == eager_root.data
    tape.backward()
    assert x.grad == fresh.grad
