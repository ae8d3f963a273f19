"""MLP.state_dict / load_state_dict: PyTorch's key names and shapes, bit-exact round trips, named refusals.

numpy only: these run without torch (tests/test_bridge_torch.py checks the same keys against torch itself).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn import MLP
from autograd_nn.nn import ACTIVATIONS

ACTS = sorted(ACTIVATIONS)


@st.composite
def mlps(draw):
    nin = draw(st.integers(1, 4))
    nouts = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    return MLP(nin, nouts, activation=draw(st.sampled_from(ACTS)), output_activation=draw(st.sampled_from(ACTS)),
               seed=draw(st.integers(0, 2**32 - 1)), init=draw(st.sampled_from(["uniform", "xavier", "he"])))


def test_keys_count_activation_modules_as_sequential_does():
    m = MLP(2, [16, 16, 1], activation="relu", seed=0)  # Linear, ReLU, Linear, ReLU, Linear
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [v.shape for v in m.state_dict().values()] == [(16, 2), (16,), (16, 16), (16,), (1, 16), (1,)]


def test_a_linear_activation_adds_no_module():
    assert MLP(3, [4, 4, 2], activation="linear", seed=0).module_indices() == [0, 1, 2]
    assert MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=0).module_indices() == [0, 2, 4]
    assert MLP(3, [4, 2], activation="linear", output_activation="relu", seed=0).module_indices() == [0, 1]
    assert list(MLP(3, [4, 2], activation="linear", output_activation="relu", seed=0).state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias"]


def test_rows_are_neurons_and_columns_their_inputs():
    m = MLP(3, [2, 1], seed=5)
    for n in m.layers[0].neurons:
        n.b.data = 0.25 * len(n.w)
    d = m.state_dict()
    for k, n in enumerate(m.layers[0].neurons):
        assert d["0.weight"][k].tolist() == [w.data for w in n.w]
        assert d["0.bias"][k] == n.b.data
    assert d["0.weight"].dtype == np.float64


@given(mlps(), st.integers(0, 2**32 - 1))
def test_round_trip_is_bit_exact(m, seed):
    rng = np.random.default_rng(seed)
    # awkward numbers: tiny, huge, negative zero, subnormal
    pool = np.array([5e-324, -0.0, 1e300, -1e-300, math.pi, 1 / 3, -7.0])
    d = {k: np.where(rng.random(v.shape) < 0.3, rng.choice(pool, v.shape), rng.normal(0, 10, v.shape))
         for k, v in m.state_dict().items()}
    m.load_state_dict(d)
    back = m.state_dict()
    assert list(back) == list(d)
    for k in d:
        assert back[k].tobytes() == d[k].tobytes(), k
    params = [p.data for p in m.parameters()]
    twin = MLP(m.nin, m.nouts, activation=m.activation, output_activation=m.output_activation, seed=0)
    twin.load_state_dict(back)
    assert np.array([p.data for p in twin.parameters()]).tobytes() == np.array(params).tobytes()


def test_state_dict_is_a_copy():
    m = MLP(2, [2], seed=0)
    d = m.state_dict()
    d["0.weight"][:] = 99.0
    assert all(p.data != 99.0 for p in m.parameters())


def test_loaded_network_computes_with_the_new_numbers():
    m = MLP(2, [1], activation="linear", output_activation="linear", seed=0)
    m.load_state_dict({"0.weight": [[2.0, -3.0]], "0.bias": [0.5]})
    assert m([1.0, 1.0]).data == -0.5


def test_float32_and_integer_arrays_are_accepted_exactly():
    m = MLP(2, [2], seed=0)
    w = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
    m.load_state_dict({"0.weight": w, "0.bias": np.array([1, -2])})
    assert m.state_dict()["0.weight"].tolist() == w.astype(np.float64).tolist()
    assert m.state_dict()["0.bias"].tolist() == [1.0, -2.0]


def _state(m):
    return {k: v.copy() for k, v in m.state_dict().items()}


def test_wrong_shape_names_key_found_and_expected_and_changes_nothing():
    m = MLP(2, [3, 1], activation="relu", seed=0)
    before = [p.data for p in m.parameters()]
    d = _state(m)
    d["0.bias"] = d["0.bias"] + 1.0  # would change the network if anything were written before the check
    d["2.weight"] = np.zeros((1, 4))
    with pytest.raises(ValueError, match=r"'2\.weight' has shape \(1, 4\), expected \(1, 3\)"):
        m.load_state_dict(d)
    d["2.weight"] = np.zeros((3, 1))  # transposed
    with pytest.raises(ValueError, match=r"'2\.weight' has shape \(3, 1\), expected \(1, 3\)"):
        m.load_state_dict(d)
    assert [p.data for p in m.parameters()] == before


def test_missing_and_unexpected_keys_are_named():
    m = MLP(2, [3, 1], activation="relu", seed=0)
    d = _state(m)
    d["1.weight"] = d.pop("2.weight")  # numbered as if "relu" added no module
    with pytest.raises(ValueError, match=r"missing key\(s\) \['2\.weight'\]; unexpected key\(s\) \['1\.weight'\]"):
        m.load_state_dict(d)
    d = _state(m)
    del d["0.bias"]
    with pytest.raises(ValueError, match=r"missing key\(s\) \['0\.bias'\]") as info:
        m.load_state_dict(d)
    assert "unexpected" not in str(info.value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_with_key_and_index(bad):
    m = MLP(2, [3, 1], seed=0)
    before = [p.data for p in m.parameters()]
    d = _state(m)
    d["0.weight"][2, 1] = bad
    with pytest.raises(ValueError, match=rf"'0\.weight'\[2, 1\] = {bad!r} is not finite"):
        m.load_state_dict(d)
    assert [p.data for p in m.parameters()] == before


@pytest.mark.parametrize("value,what", [(np.array([True, False, True]), "bool"),
                                        (np.array([1j, 0, 0]), "complex"),
                                        (np.array(["a", "b", "c"]), "<U1"),
                                        ([[1.0], [1.0, 2.0]], "could not be read")])
def test_values_that_are_not_real_numbers_are_refused(value, what):
    m = MLP(2, [3, 1], seed=0)
    d = _state(m)
    d["0.bias"] = value
    with pytest.raises(TypeError, match=rf"'0\.bias'.*{what}"):
        m.load_state_dict(d)


def test_not_a_mapping():
    with pytest.raises(TypeError, match="expected a mapping"):
        MLP(2, [1], seed=0).load_state_dict([("0.weight", [[1.0, 2.0]])])
