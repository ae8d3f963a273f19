"""SGD and Adam against their update formulas written out by hand (PyTorch's conventions)."""

import math

import numpy as np
import pytest

from autograd_nn import Value
from autograd_nn.optim import SGD, Adam, linear_decay

GRADS = [[0.5, -1.0, 2.0], [0.1, 0.3, -0.7], [-0.4, 0.0, 1.5], [1.0, 1.0, 1.0]]
START = [1.0, -2.0, 0.5]


def run(opt_factory):
    ps = [Value(x) for x in START]
    opt = opt_factory(ps)
    trace = []
    for g in GRADS:
        opt.zero_grad()
        assert all(p.grad == 0.0 for p in ps)
        for p, gi in zip(ps, g):
            p.grad = gi
        opt.step()
        trace.append([p.data for p in ps])
    return np.array(trace)


@pytest.mark.parametrize("lr,mu,wd", [(0.1, 0.0, 0.0), (0.05, 0.9, 0.0), (0.1, 0.0, 0.01), (0.2, 0.5, 0.1)])
def test_sgd_matches_formula(lr, mu, wd):
    got = run(lambda ps: SGD(ps, lr=lr, momentum=mu, weight_decay=wd))
    p, buf, expected = np.array(START), None, []
    for g in GRADS:
        g = np.array(g) + wd * p
        buf = g if buf is None else mu * buf + g
        p = p - lr * (buf if mu else g)
        expected.append(p)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("lr,betas,eps,wd", [(1e-3, (0.9, 0.999), 1e-8, 0.0), (0.1, (0.5, 0.9), 1e-6, 0.0),
                                             (0.05, (0.9, 0.99), 1e-8, 0.1)])
def test_adam_matches_formula(lr, betas, eps, wd):
    got = run(lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=wd))
    b1, b2 = betas
    p, m, v, expected = np.array(START), np.zeros(3), np.zeros(3), []
    for t, g in enumerate(GRADS, start=1):
        g = np.array(g) + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        expected.append(p)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


def test_adam_first_step_moves_each_parameter_by_about_lr():
    got = run(lambda ps: Adam(ps, lr=0.01))[0]
    np.testing.assert_allclose(np.abs(got - START), [0.01, 0.01, 0.01], rtol=1e-6)


def test_non_finite_gradient_is_an_error_and_changes_nothing():
    ps = [Value(1.0), Value(2.0)]
    opt = SGD(ps, lr=0.1)
    ps[0].grad, ps[1].grad = 1.0, math.nan
    with pytest.raises(FloatingPointError, match="parameter 1"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0]


@pytest.mark.parametrize("call,exc", [
    (lambda: SGD([], lr=0.1), ValueError), (lambda: SGD([1.0], lr=0.1), TypeError),
    (lambda: SGD([Value(1.0)], lr=0.0), ValueError), (lambda: SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError),
    (lambda: Adam([Value(1.0)], betas=(1.0, 0.9)), ValueError), (lambda: Adam([Value(1.0)], lr=math.nan), ValueError),
])
def test_bad_arguments(call, exc):
    with pytest.raises(exc):
        call()


def test_linear_decay_is_the_micrograd_demo_schedule():
    lr = linear_decay(1.0, 0.1, 100)
    assert [lr(k) for k in (0, 50, 99)] == pytest.approx([1.0 - 0.9 * k / 100 for k in (0, 50, 99)])


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=1e300, momentum=0.9), lambda ps: Adam(ps, lr=1e308)])
def test_an_update_that_would_overflow_changes_nothing_not_even_the_optimizer_state(make):
    ps, fresh = [Value(1.0), Value(-1e308)], [Value(1.0), Value(-1e308)]
    opt, ref = make(ps), make(fresh)
    ps[0].grad, ps[1].grad = 1.0, 1e10  # parameter 1 would go to -inf
    with pytest.raises(FloatingPointError, match=r"the update would make parameter 1 -inf .*parameters left unchanged"):
        opt.step()
    assert [p.data for p in ps] == [1.0, -1e308] and opt.steps == 0
    for o, vs in ((opt, ps), (ref, fresh)):  # the next step is the first step of a fresh optimizer
        o.lr = 1e-3
        vs[0].grad, vs[1].grad = 0.5, -0.25
        o.step()
    assert [p.data for p in ps] == [p.data for p in fresh] and opt.steps == 1


@pytest.mark.parametrize("bad", [math.nan, -0.1, math.inf, "0.1", True])
def test_setting_a_bad_learning_rate_is_refused(bad):
    opt = SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0"):
        opt.lr = bad
    assert opt.lr == 0.1
    opt.lr = 0.0  # a schedule may pause training
    assert opt.lr == 0.0


def test_linear_decay_holds_its_end_and_checks_its_arguments():
    lr = linear_decay(1.0, 0.1, 10)
    assert [lr(k) for k in (10, 11, 1000)] == [pytest.approx(0.1)] * 3
    for args, match in [((1.0, -0.1, 10), "end must be a finite number >= 0"),
                        ((math.nan, 0.1, 10), "start must be a finite number"),
                        ((1.0, 0.1, 0), "steps must be an integer >= 1"),
                        ((1.0, 0.1, 2.5), "steps must be an integer")]:
        with pytest.raises(ValueError, match=match):
            linear_decay(*args)
