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
