"""One arithmetic: the fused sum and weighted sum, their decompositions, their array forms and an explicit left fold
give the same float, bit for bit, on every Python (sum() of floats is compensated since 3.12: it must not be used)."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import MLP, Value, sum_of, weighted_sum
from autograd_nn.engine.arithmetic import fold_rows, fold_sum, fold_weighted, fold_weighted_rows
from autograd_nn.engine.ops import SUM, WEIGHTED_SUM
from autograd_nn.losses import mean_loss

# Numbers spanning 10^±8 with both signs: sums of them lose bits, so any other order or compensation shows.
wide = st.builds(lambda m, e, s: s * m * 10.0 ** e, st.floats(1.0, 9.999), st.integers(-8, 8), st.sampled_from([-1, 1]))


def _left_fold(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


@settings(max_examples=300, deadline=None)
@given(terms=st.lists(wide, min_size=2, max_size=40))
def test_a_sum_is_one_left_fold_fused_decomposed_and_on_arrays(terms):
    expected = _left_fold(terms)
    xs = [Value(t) for t in terms]
    fused = sum_of(xs)
    assert fused.op is SUM
    assert fold_sum(terms) == SUM(*terms) == fused.data == SUM.decompose(*xs).data == expected
    assert sum(xs).data == expected  # Python's sum() of Values is the chain of + too
    block = np.array([terms, terms[::-1]]).T  # two columns: each folded down its rows
    assert fold_rows(block).tolist() == [expected, _left_fold(terms[::-1])]
    assert SUM(*[np.array([t]) for t in terms]).tolist() == [expected]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(1, 24))
def test_a_weighted_sum_is_one_left_fold_fused_decomposed_and_on_arrays(data, n):
    w = data.draw(st.lists(wide, min_size=n, max_size=n))
    a = data.draw(st.lists(wide, min_size=n, max_size=n))
    b = data.draw(wide)
    expected = b
    for wi, ai in zip(w, a):
        expected = expected + wi * ai
    ws, as_, bv = [Value(x) for x in w], [Value(x) for x in a], Value(b)
    fused = weighted_sum(ws, as_, bv)
    assert fused.op is WEIGHTED_SUM
    chain = bv
    for wi, ai in zip(ws, as_):
        chain = chain + wi * ai  # what a learner writes
    assert fold_weighted(w, a, b) == WEIGHTED_SUM(*w, *a, b) == fused.data == expected
    assert WEIGHTED_SUM.decompose(*ws, *as_, bv).data == chain.data == expected
    rows = fold_weighted_rows(np.array(w)[:, None], np.array(a)[:, None], np.array([b]))
    assert rows.tolist() == [expected]
    assert WEIGHTED_SUM(*[np.array([x]) for x in (*w, *a, b)]).tolist() == [expected]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), x=st.lists(wide, min_size=16, max_size=16))
def test_a_16_input_neuron_equals_its_chain_of_plus_and_times(seed, x):
    model = MLP(16, [1], activation="linear", seed=seed)
    (neuron,) = model.layers[0].neurons
    chain = neuron.b
    for wi, xi in zip(neuron.w, x):
        chain = chain + wi * xi
    assert model(x).data == chain.data


@settings(max_examples=100, deadline=None)
@given(losses=st.lists(wide, min_size=1, max_size=30))
def test_mean_loss_adds_left_to_right(losses):
    assert mean_loss([Value(v) for v in losses]).data == _left_fold(losses) * (1.0 / len(losses))


def test_the_folds_differ_from_compensated_and_pairwise_sums_where_those_would_differ():
    terms = [1.0, 1e100, 1.0, -1e100]
    assert fold_sum(terms) == 0.0 and math.fsum(terms) == 2.0  # a compensated sum would say 2
    assert fold_weighted([1.0, 1.0, 1.0], [1e100, 1.0, -1e100], 1.0) == 0.0
