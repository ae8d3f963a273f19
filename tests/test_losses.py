"""Losses: values, gradients (gradcheck incl. the stable forms at extreme inputs) and input errors."""

import math

import numpy as np
import pytest

from autograd_nn import Value, losses
from autograd_nn.testing import gradcheck


def test_values_against_formulas():
    assert losses.squared_error([0.5, 2.0], [1.0, 0.0]) == pytest.approx(0.5 * (0.25 + 4.0))
    assert losses.mse([0.5, 2.0], [1.0, 0.0]) == pytest.approx((0.25 + 4.0) / 2)
    assert losses.binary_cross_entropy(0.8, 1.0) == pytest.approx(-math.log(0.8))
    assert losses.binary_cross_entropy(0.8, 0.3) == pytest.approx(-(0.3 * math.log(0.8) + 0.7 * math.log(0.2)))
    expected = -math.log(1 - 1 / (1 + math.exp(-0.4)))
    assert losses.binary_cross_entropy(0.4, 0.0, from_logits=True) == pytest.approx(expected)
    assert losses.hinge(0.3, 1) == pytest.approx(0.7) and losses.hinge(2.0, 1) == 0.0
    assert losses.hinge(0.3, -1) == pytest.approx(1.3)
    z = [1.0, 2.0, 0.5]
    e = np.exp(z)
    np.testing.assert_allclose(losses.softmax(z), e / e.sum())
    assert losses.softmax_cross_entropy(z, 1) == pytest.approx(-math.log(e[1] / e.sum()))
    assert losses.mean_loss([1.0, 2.0, 6.0]) == pytest.approx(3.0)


def test_losses_on_values_return_values_with_correct_gradients():
    a = Value(0.79)
    losses.squared_error(a, 1.0).backward()
    assert a.grad == pytest.approx(-0.21)
    z = Value(0.3)
    losses.binary_cross_entropy(z, 1.0, from_logits=True).backward()
    assert z.grad == pytest.approx(1 / (1 + math.exp(-0.3)) - 1.0)  # dz = a − y


@pytest.mark.parametrize("z", [-1000.0, -800.0, -40.0, 0.0, 40.0, 800.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_from_logits_stable_for_large_z(z, y):
    v = Value(z)
    loss = losses.binary_cross_entropy(v, y, from_logits=True)
    loss.backward()
    expected = max(z, 0) - y * z + math.log1p(math.exp(-abs(z)))
    assert loss.data == pytest.approx(expected, rel=1e-12)
    sigma = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    assert v.grad == pytest.approx(sigma - y, abs=1e-15)
    if abs(z) <= 40:
        assert gradcheck(lambda t: losses.binary_cross_entropy(t, y, from_logits=True), [z], order=2)


@pytest.mark.parametrize("logits", [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0], [1000.0, 999.0, 998.0],
                                    [500.0, -500.0, 250.0, 0.0]])
def test_softmax_cross_entropy_stable_for_huge_logits(logits):
    vs = [Value(z) for z in logits]
    for k in range(len(logits)):
        for v in vs:
            v.grad = 0.0
        loss = losses.softmax_cross_entropy(vs, k)
        loss.backward()
        m = max(logits)
        lse = m + math.log(sum(math.exp(z - m) for z in logits))
        assert loss.data == pytest.approx(lse - logits[k], rel=1e-12, abs=1e-12)
        p = np.exp(np.array(logits) - lse)
        onehot = np.eye(len(logits))[k]
        np.testing.assert_allclose([v.grad for v in vs], p - onehot, atol=1e-12)
        assert gradcheck(lambda *t, k=k: losses.softmax_cross_entropy(list(t), k), logits, eps=1e-4)
    s = losses.softmax(vs)
    assert sum(x.data for x in s) == pytest.approx(1.0) and all(math.isfinite(x.data) for x in s)


@pytest.mark.parametrize("f,args", [
    (lambda *v: losses.squared_error(list(v), [0.3, -1.0]), [0.5, 2.0]),
    (lambda *v: losses.mse(list(v), [0.3, -1.0]), [0.5, 2.0]),
    (lambda *v: losses.binary_cross_entropy(list(v), [1.0, 0.0]), [0.3, 0.9]),
    (lambda *v: losses.binary_cross_entropy(list(v), [0.2, 0.7]), [0.3, 0.9]),
    (lambda *v: losses.binary_cross_entropy(list(v), [1.0, 0.0], from_logits=True), [-3.0, 2.5]),
    (lambda *v: losses.softmax_cross_entropy(list(v), 2), [0.1, -0.4, 1.3]),
    (lambda *v: losses.softmax(list(v))[0] * 2.0 + losses.softmax(list(v))[1], [0.1, -0.4, 1.3]),
    (lambda *v: losses.hinge(list(v), [1, -1]), [0.2, 0.5]),
    (lambda *v: losses.mean_loss([x * x for x in v]), [0.2, 0.5, -1.0]),
])
def test_gradcheck_every_loss(f, args):
    assert gradcheck(f, args, order=2)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: losses.squared_error([1.0, 2.0], [1.0]), ValueError, "length 2 but target has length 1"),
    (lambda: losses.mse([], []), ValueError, "empty"),
    (lambda: losses.binary_cross_entropy(0.5, 2.0), ValueError, r"\[0, 1\]"),
    (lambda: losses.binary_cross_entropy(1.0, 1.0), ValueError, "strictly between 0 and 1"),
    (lambda: losses.binary_cross_entropy(0.0, 0.0), ValueError, "from_logits"),
    (lambda: losses.hinge(0.5, 0), ValueError, "-1 or \\+1"),
    (lambda: losses.softmax_cross_entropy([1.0, 2.0], 2), ValueError, "out of range"),
    (lambda: losses.softmax_cross_entropy([1.0, 2.0], 1.0), TypeError, "integer class index"),
    (lambda: losses.squared_error("ab", [1.0, 2.0]), TypeError, "a Value or a list of them, got str 'ab'"),
    (lambda: losses.mean_loss([]), ValueError, "no losses"),
])
def test_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call,exc,match", [
    # a NaN or infinite plain number: named where it is, not "exp(nan) ... overflow" from inside the graph
    (lambda: losses.softmax([math.nan, 1.0]), ValueError, "softmax: element 0 = nan is not a finite number"),
    (lambda: losses.log_sum_exp([1.0, math.inf]), ValueError, "log_sum_exp: element 1 = inf is not a finite"),
    (lambda: losses.mse([Value(1.0)], [math.nan]), ValueError, "mse target: element 0 = nan is not a finite"),
    # an int beyond any float: was Python's OverflowError
    (lambda: losses.log_sum_exp([10 ** 400, 1.0]), ValueError,
     "element 0 = an integer of 401 digits is too large for a float"),
    (lambda: losses.softmax_cross_entropy([1.0, 2.0], 10 ** 400), ValueError,
     "class index an integer of 401 digits out of range for 2 logits"),
    # iterables that are not lists of numbers: a dict's keys were taken as logits
    (lambda: losses.softmax({1.0: 2.0}), TypeError, "softmax: expected a number, a Value or a list of them, got dict"),
    (lambda: losses.mse({1.0, 2.0}, [1.0, 2.0]), TypeError, "got set"),
    (lambda: losses.hinge(Value(1.0), np.True_), TypeError, "not a number or Value|got bool"),
    (lambda: losses.mse([Value(1.0)], [np.complex128(1)]), TypeError, "element 0 = .*1\\+0j.* is not a number"),
    # mean_loss of things that are not losses: was "can't multiply sequence by non-int"
    (lambda: losses.mean_loss(["a", "b"]), TypeError, "mean_loss: element 0 = 'a' is not a number or Value"),
    (lambda: losses.mean_loss(None), TypeError, "mean_loss: expected a number, a Value or a list of them, got NoneT"),
    (lambda: losses.mean_loss(Value(1.0)), TypeError, "mean_loss: expected a list of losses, got Value"),
])
def test_bad_operands_are_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
