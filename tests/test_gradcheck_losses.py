"""gradcheck passes on every loss (first and second order) at random valid points, away from hinge's kink."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_nn.testing import gradcheck
from autograd_nn.testing.strategies import values

losses = pytest.importorskip("autograd_nn.losses")

probabilities = st.floats(0.05, 0.95)
labels = st.sampled_from([0.0, 1.0])


@given(p=values(), t=values())
def test_squared_error(p, t):
    assert gradcheck(lambda v: losses.squared_error(v, t), [p], order=2)


@given(ps=st.lists(values(), min_size=1, max_size=4), data=st.data())
def test_mse_and_mean_loss(ps, data):
    ts = data.draw(st.lists(values(), min_size=len(ps), max_size=len(ps)))
    assert gradcheck(lambda *v: losses.mse(list(v), ts), ps, order=2)
    assert gradcheck(lambda *v: losses.mean_loss([x * x for x in v]), ps, order=2)


@given(p=probabilities, t=labels)
def test_binary_cross_entropy_on_probabilities(p, t):
    assert gradcheck(lambda v: losses.binary_cross_entropy(v, t), [p], order=2)


@given(z=values(), t=labels)
def test_binary_cross_entropy_from_logits(z, t):
    assert gradcheck(lambda v: losses.binary_cross_entropy(v, t, from_logits=True), [z], order=2)


@given(logits=st.lists(values(), min_size=2, max_size=4), data=st.data())
def test_softmax_and_softmax_cross_entropy(logits, data):
    k = data.draw(st.integers(0, len(logits) - 1))
    weights = [1.0 + i for i in range(len(logits))]
    assert gradcheck(lambda *v: losses.softmax_cross_entropy(list(v), k), logits, order=2)
    assert gradcheck(lambda *v: sum(w * s for w, s in zip(weights, losses.softmax(list(v)))), logits, order=2)


@given(s=values(), t=st.sampled_from([-1.0, 1.0]))
def test_hinge_away_from_its_kink(s, t):
    assume(abs(1 - s * t) >= 0.05)
    assert gradcheck(lambda v: losses.hinge(v, t), [s], order=2)


def test_hinge_at_its_kink_passes_by_the_kink_rule():
    assert gradcheck(lambda v: losses.hinge(v, 1.0), [1.0])
