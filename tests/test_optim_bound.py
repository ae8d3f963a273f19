"""SGD and Adam over a bound parameter set (``Tape.bind``'s arrays) take the Value path's steps: the same numbers,
the same refusals (FloatingPointError naming the first bad parameter, nothing changed), and clear errors for arrays
they cannot step."""

import math

import numpy as np
import pytest

from autograd_nn import Value, fit
from autograd_nn.data import moons
from autograd_nn.engine import weighted_sum
from autograd_nn.losses import hinge, mean_loss
from autograd_nn.nn import MLP
from autograd_nn.optim import SGD, Adam
from autograd_nn.tape import Tape

X, Y = moons(20, 0.1, seed=0)
STEPS = 20


def taped(seed=3):
    model = MLP(2, [6, 6, 1], activation="relu", seed=seed)
    ps = model.parameters()
    loss = mean_loss([hinge(model(list(x)), 2 * int(t) - 1) for x, t in zip(X, Y)]) + 1e-3 * weighted_sum(ps, ps)
    return ps, Tape(loss)


OPTIMIZERS = {
    "SGD": lambda ps: SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "SGD momentum, weight decay": lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    "Adam, weight decay": lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.95), weight_decay=0.01),
}


def train_both(make, pick=slice(None)):
    """The same model trained twice: Values (tape.backward, then make(params).step()) and bound arrays
    (tape.gradient, then make(bound).step()); yields after each step (values' params, bound, their optimizers)."""
    vps, vtape = taped()
    bps, btape = taped()
    vopt = make(vps[pick])
    bound = btape.bind(bps[pick])
    bopt = make(bound)
    for k in range(STEPS):
        if k == STEPS // 2:  # a schedule changes lr between steps
            vopt.lr = bopt.lr = vopt.lr / 2
        vloss = vtape.forward()
        vopt.zero_grad()
        vtape.backward()
        vopt.step()
        assert btape.forward() == vloss
        btape.gradient()
        bopt.step()
        yield vps, bps, bound, vopt, bopt


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_on_the_bound_arrays_is_the_step_on_the_values(name):
    for k, (vps, bps, bound, vopt, bopt) in enumerate(train_both(OPTIMIZERS[name]), start=1):
        assert bopt.steps == vopt.steps == k
        on_values = np.array([p.data for p in vps])
        index = {p: i for i, p in enumerate(bps)}
        on_arrays = np.empty(len(bps))
        on_arrays[[index[p] for p in bound.params]] = bound.data
        np.testing.assert_allclose(on_arrays, on_values, rtol=1e-15, atol=0)
    assert k == STEPS and bopt.params == [] and bopt.arrays is bound
    start = taped()[0]
    assert max(abs(a.data - b.data) for a, b in zip(vps, start)) > 1e-3  # training moved the parameters
    assert all(p.data == q.data for p, q in zip(bps, start))  # the bound Values wait for write_back
    bound.write_back()
    np.testing.assert_allclose([p.data for p in bps], [p.data for p in vps], rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", ["SGD momentum, weight decay", "Adam, weight decay"])
def test_a_bound_subset_whose_places_are_no_run_steps_as_the_values_do(name):
    # every other parameter: its bound array is a copy the tape copies in, its .grad a gather of the tape's gradients
    for vps, bps, bound, _, _ in train_both(OPTIMIZERS[name], pick=slice(None, None, 2)):
        assert (np.diff(bound.places) != 1).any()
        got = dict(zip(bound.params, bound.data.tolist()))
        for v, b in zip(vps, bps):
            assert math.isclose(got.get(b, b.data), v.data, rel_tol=1e-15, abs_tol=0.0)
    bound.write_back()
    assert [p.data for p in bps] == pytest.approx([p.data for p in vps], rel=1e-15, abs=0)


class Arrays:
    """The smallest bound parameter set: two arrays."""

    def __init__(self, data, grad=None):
        self.data = np.array(data, dtype=float) if isinstance(data, list) else data
        self.grad = np.zeros_like(self.data) if grad is None else grad


def make_both(make, start, grads):
    """An optimizer over Values and one over arrays, each after one step with ``grads``."""
    ps, arrays = [Value(x) for x in start], Arrays(list(start))
    vopt, aopt = make(ps), make(arrays)
    for p, g in zip(ps, grads):
        p.grad = g
    arrays.grad[:] = grads
    vopt.step()
    aopt.step()
    assert arrays.data.tolist() == [p.data for p in ps]
    return ps, vopt, arrays, aopt


def refuse_both(vopt, aopt, ps, arrays, grads, match):
    """Both optimizers refuse a step with these gradients, in the same words; the arrays stay as they were."""
    for p, g in zip(ps, grads):
        p.grad = g
    arrays.grad[:] = grads
    with pytest.raises(FloatingPointError) as on_values:
        vopt.step()
    before = arrays.data.copy()
    with pytest.raises(FloatingPointError, match=match) as on_arrays:
        aopt.step()
    assert str(on_arrays.value) == str(on_values.value)
    assert np.array_equal(arrays.data, before) and aopt.steps == 1


STATEFUL = [lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
            lambda ps: Adam(ps, lr=0.1, weight_decay=0.01)]


@pytest.mark.parametrize("make", STATEFUL + [lambda ps: SGD(ps, lr=0.1)])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("lr", [0.1, 0.0])
def test_a_non_finite_gradient_is_refused_as_on_values_and_changes_nothing(make, bad, lr):
    ps, vopt, arrays, aopt = make_both(make, [1.0, 2.0, -0.5], [0.5, -1.0, 0.25])
    _, _, ref, ref_opt = make_both(make, [1.0, 2.0, -0.5], [0.5, -1.0, 0.25])
    vopt.lr = aopt.lr = lr
    refuse_both(vopt, aopt, ps, arrays, [0.3, bad, bad], "parameter 1 has gradient")
    # the state too: the next step is the one an optimizer that never saw the refused step takes
    for opt, a in ((aopt, arrays), (ref_opt, ref)):
        opt.lr = 0.1
        a.grad[:] = [-0.2, 0.4, 1.0]
        opt.step()
    assert arrays.data.tolist() == ref.data.tolist()


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=1e300, momentum=0.9), lambda ps: Adam(ps, lr=1e308)])
def test_an_update_that_would_overflow_is_refused_as_on_values_and_changes_nothing(make):
    ps, vopt, arrays, aopt = make_both(make, [1.0, -1e308, 0.5], [0.0, 0.0, 0.0])
    _, _, ref, ref_opt = make_both(make, [1.0, -1e308, 0.5], [0.0, 0.0, 0.0])
    refuse_both(vopt, aopt, ps, arrays, [1.0, 1e10, 1e10],  # parameters 1 and 2 would go to -inf
                r"the update would make parameter 1 -inf \(it is -1e\+308, gradient 10000000000\.0, lr 1e\+30[08]\); "
                "parameters left unchanged")
    for opt, a in ((aopt, arrays), (ref_opt, ref)):
        opt.lr = 1e-3
        a.grad[:] = [0.5, -0.25, 0.125]
        opt.step()
    assert arrays.data.tolist() == ref.data.tolist() and aopt.steps == 2


def test_a_sum_that_overflows_alone_is_no_refusal():
    # every new number finite, their sum not: the step is taken (the sum only decides when to look closer)
    arrays = Arrays([1e308, 1e308, -1.0], np.array([0.0, 0.0, 1.0]))
    opt = SGD(arrays, lr=0.5)
    opt.step()
    assert arrays.data.tolist() == [1e308, 1e308, -1.5] and opt.steps == 1


@pytest.mark.parametrize("arrays,exc,match", [
    (Arrays(np.zeros(3, dtype=np.float32)), TypeError, "must be a float64 array, got dtype float32"),
    (Arrays(np.zeros(3, dtype=int)), TypeError, "must be a float64 array, got dtype int"),
    (Arrays(np.zeros((2, 3))), ValueError, r"must be a 1-d array, got shape \(2, 3\)"),
    (Arrays(np.zeros(0)), ValueError, "empty"),
    (Arrays(np.zeros(3), np.zeros(4)), ValueError, r"grad has shape \(4,\), .data \(3,\)"),
    (Arrays(np.zeros(3), [0.0, 0.0, 0.0]), TypeError, "grad must be a numpy array like .data, got list"),
    (Arrays(np.zeros(3), np.zeros(3, dtype=np.float32)), TypeError, "grad must be a float64 array"),
    (Arrays(np.broadcast_to(np.zeros(1), (3,))), ValueError, "read-only"),
])
@pytest.mark.parametrize("make", [lambda a: SGD(a, lr=0.1), lambda a: Adam(a)])
def test_arrays_it_cannot_step_are_refused(make, arrays, exc, match):
    with pytest.raises(exc, match=match):
        make(arrays)


def test_arrays_that_change_shape_after_are_refused_at_the_step():
    arrays = Arrays([1.0, 2.0])
    opt = SGD(arrays, lr=0.1)
    arrays.data, arrays.grad = np.zeros(3), np.zeros(3)
    with pytest.raises(ValueError, match="changed shape"):
        opt.step()


def test_zero_grad_fills_the_gradients_and_the_next_gradient_overwrites_them():
    ps, tape = taped()
    bound = tape.bind(ps)
    opt = SGD(bound, lr=0.1)
    tape.forward()
    first = tape.gradient().copy()
    opt.zero_grad()
    assert not bound.grad.any()
    assert np.array_equal(tape.gradient(), first)  # overwritten, not accumulated


def test_fit_refuses_an_optimizer_over_bound_arrays():
    # fit's backends leave the gradients in the Values' .grad, which such an optimizer never reads
    model = MLP(2, [3, 1], activation="relu", seed=0)
    ps = model.parameters()
    tape = Tape(mean_loss([hinge(model(list(x)), 2 * int(t) - 1) for x, t in zip(X, Y)]))
    start = [p.data for p in ps]
    with pytest.raises(ValueError, match="steps a Tape's bound arrays, not the model's Values"):
        fit(model, X, Y, optimizer=SGD(tape.bind(ps), lr=0.1), epochs=1, progress=False)
    assert [p.data for p in ps] == start


@pytest.mark.parametrize("eps", [0.0, -1e-8, -0.0])
def test_adam_refuses_an_eps_that_is_not_positive_on_both_paths(eps):
    for params in ([Value(1.0)], Arrays([1.0])):
        with pytest.raises(ValueError, match=r"Adam: eps must be a finite number > 0"):
            Adam(params, eps=eps)


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_an_overflowing_second_moment_is_refused_naming_the_parameter_on_both_paths(wd):
    make = lambda ps: Adam(ps, lr=0.1, weight_decay=wd)  # noqa: E731
    ps, vopt, arrays, aopt = make_both(make, [1.0, 2.0, -0.5], [0.5, -1.0, 0.25])
    _, _, ref, ref_opt = make_both(make, [1.0, 2.0, -0.5], [0.5, -1.0, 0.25])
    # g² overflows for |g| > ~1.3e154: v would be inf and the parameter's steps 0 for ever after
    refuse_both(vopt, aopt, ps, arrays, [0.3, 1e200, -1e160],
                r"Adam.step: parameter 1 has gradient 1e\+200, whose square overflows Adam's second moment .*"
                "never move again.*parameters left unchanged")
    assert [p.data for p in ps] == arrays.data.tolist() and vopt.steps == 1
    for opt, a in ((aopt, arrays), (ref_opt, ref)):  # the state too: as if the refused step never happened
        a.grad[:] = [-0.2, 0.4, 1.0]
        opt.step()
    assert arrays.data.tolist() == ref.data.tolist()
    for p in ps:
        p.grad = 1e150  # g² = 1e300, finite: a step, not a refusal
    vopt.step()
    assert all(math.isfinite(p.data) for p in ps) and vopt.steps == 2


def test_adam_with_a_zero_gradient_steps_by_zero():
    ps, arrays = [Value(1.5)], Arrays([1.5])
    for opt in (Adam(ps, eps=1e-12), Adam(arrays, eps=1e-12)):
        opt.step()  # gradient 0: m = v = 0, the step 0/(0 + ε) = 0
    assert ps[0].data == arrays.data[0] == 1.5
