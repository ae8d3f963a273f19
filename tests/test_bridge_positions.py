"""from_torch reads every position of a Sequential, also when one module object sits at several.

``named_children()`` yields a module once, so a shared activation or a repeated Linear used to be skipped: the
MLP then computed another function with no error. A shared activation (no parameters) is read at each of
its positions; a Linear at two positions is refused, naming both. The property test builds random
Sequentials with shared and repeated modules and every allowed activation, and asserts from_torch refuses
by module name exactly the ones an MLP cannot be, and computes torch's outputs to 1e-12 for all others.
"""

import os
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

if os.environ.get("CI", "").lower() == "true":
    import torch  # CI installs the [torch] extra: a missing torch is a failure there, never a skip
else:
    torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install -e ".[torch]")')

from autograd_nn.torch_bridge import from_torch  # noqa: E402

nn = torch.nn
TOL = 1e-12
ACTIVATION_MODULES = ("Tanh", "Sigmoid", "ReLU", "Identity")


def _linear(nin, nout, rng):
    lin = nn.utils.skip_init(nn.Linear, nin, nout, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(rng.normal(0.0, 1.0, (nout, nin))))
        lin.bias.copy_(torch.from_numpy(rng.normal(0.0, 1.0, nout)))
    return lin


def _outputs(m, X):
    rows = [m(list(map(float, x))) for x in X]
    return np.array([[o.data for o in (r if isinstance(r, list) else [r])] for r in rows])


def test_a_shared_activation_is_applied_at_every_position():
    act = nn.ReLU()
    first, second = _linear(2, 3, np.random.default_rng(0)), _linear(3, 1, np.random.default_rng(1))
    with torch.no_grad():
        second.bias.fill_(-10.0)  # the output's pre-activation is negative: the last ReLU gives 0
    seq = nn.Sequential(first, act, second, act)
    assert len(list(seq.named_children())) == 3  # the trap: the second ReLU is not yielded
    m = from_torch(seq)
    assert [layer.activation for layer in m.layers] == ["relu", "relu"]
    x = np.array([[-1.407, -2.531], [0.3, 0.9]])
    theirs = seq(torch.from_numpy(x)).detach().numpy()
    assert np.all(theirs == 0.0)
    assert np.abs(_outputs(m, x) - theirs).max() <= TOL


def test_one_linear_at_two_positions_is_refused_by_name():
    lin = _linear(3, 3, np.random.default_rng(2))
    with pytest.raises(ValueError, match=r"module 2 \(Linear\) is the same Linear object as module 0"):
        from_torch(nn.Sequential(lin, nn.Tanh(), lin))
    with pytest.raises(ValueError, match=r"module 1 \(Linear\) is the same Linear object as module 0"):
        from_torch(nn.Sequential(lin, lin))


def test_named_positions_of_an_ordered_dict_sequential_are_used():
    from collections import OrderedDict
    act = nn.Sigmoid()
    lin = _linear(2, 2, np.random.default_rng(3))
    seq = nn.Sequential(OrderedDict([("inp", lin), ("a", act), ("out", _linear(2, 2, np.random.default_rng(4))),
                                     ("b", act)]))
    m = from_torch(seq)
    assert [layer.activation for layer in m.layers] == ["sigmoid", "sigmoid"]
    with pytest.raises(ValueError, match=r"module again \(Linear\) is the same Linear object as module inp"):
        from_torch(nn.Sequential(OrderedDict([("inp", lin), ("again", lin)])))


@st.composite
def sequentials(draw):
    """A Sequential built from a small pool of Linear and activation objects, so that positions repeat objects;
    returns it with what an MLP makes of it: None (it must be refused) or the expected activations."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    width = draw(st.integers(1, 4))
    n_linear = draw(st.integers(1, 4))
    square = draw(st.booleans())  # all widths equal: a repeated Linear chains, so only sharing refuses it
    sizes = [width] * (n_linear + 1) if square else [draw(st.integers(1, 4)) for _ in range(n_linear + 1)]
    ins = [sizes[i] + (1 if i and not square and draw(st.integers(0, 7)) == 0 else 0) for i in range(n_linear)]
    linears = [_linear(ins[i], sizes[i + 1], rng) for i in range(n_linear)]
    valid = ins == sizes[:-1]  # sizes that do not chain are refused
    pool = {kind: getattr(nn, kind)() for kind in ACTIVATION_MODULES}
    modules, acts_per_linear = [], []
    seen_linear = set()
    for i in range(n_linear):
        lin = linears[i]
        if i and draw(st.integers(0, 5)) == 0:
            lin = linears[draw(st.integers(0, i - 1))] if square else lin  # repeat an earlier Linear object
        if id(lin) in seen_linear:
            valid = False
        seen_linear.add(id(lin))
        modules.append(lin)
        n_acts = draw(st.sampled_from([0, 1, 1, 1, 2]))  # two activations in a row are refused
        if n_acts == 2:
            valid = False
        kinds = [draw(st.sampled_from(ACTIVATION_MODULES)) for _ in range(n_acts)]
        for kind in kinds:
            # one shared object per kind (the pool) or a fresh one
            modules.append(pool[kind] if draw(st.booleans()) else getattr(nn, kind)())
        acts_per_linear.append("linear" if not kinds or kinds[0] == "Identity" else kinds[0].lower())
    hidden = acts_per_linear[:-1]
    if len(set(hidden)) > 1:
        valid = False
    return nn.Sequential(*modules), (acts_per_linear if valid else None), sizes[0]


@settings(max_examples=80, deadline=None)
@given(sequentials(), st.integers(0, 2**32 - 1))
def test_from_torch_refuses_by_name_or_computes_torchs_outputs(built, seed):
    seq, expected_acts, nin = built
    names = list(seq._modules)
    try:
        m = from_torch(seq)
    except (TypeError, ValueError) as exc:
        assert expected_acts is None, f"refused a Sequential an MLP can be: {exc}"
        named = re.findall(r"module (\w+)", str(exc))
        assert named and all(n in names for n in named), str(exc)
        return
    assert expected_acts is not None, f"accepted a Sequential an MLP cannot be: {seq}"
    assert [layer.activation for layer in m.layers] == expected_acts
    X = np.random.default_rng(seed).normal(0.0, 2.0, (5, nin))
    theirs = seq(torch.from_numpy(X)).detach().numpy()
    assert np.abs(_outputs(m, X) - theirs).max() <= TOL
