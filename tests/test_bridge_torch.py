"""to_torch / from_torch / torch_loss / torch_optimizer against PyTorch itself.

Random networks and batches give the same outputs, batch loss and every parameter gradient here and in
PyTorch to 1e-12, for each activation and each built-in loss; training moved to PyTorch takes the same next
steps. Without torch these tests skip, except in CI (CI=true), where torch is installed and they must run.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from autograd_nn import MLP, data
from autograd_nn import losses as L
from autograd_nn.nn import ACTIVATIONS
from autograd_nn.optim import SGD, Adam
from autograd_nn.train import LOSSES

if os.environ.get("CI", "").lower() == "true":
    import torch  # CI installs the [torch] extra: a missing torch is a failure there, never a skip
else:
    torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install -e ".[torch]")')

from autograd_nn.torch_bridge import from_torch, gradients, to_torch, torch_loss, torch_optimizer  # noqa: E402

TOL = 1e-12
ACTS = sorted(ACTIVATIONS)
nn = torch.nn


def _value_loss(m, X, y, name):
    """The batch loss as fit(loss=name) builds it on Values: (1/n) Σ loss(model(x), target(label))."""
    fn, target, _ = LOSSES[name]
    return L.mean_loss([fn(m(list(map(float, x))), target(t)) for x, t in zip(X, y)])


def _outputs(m, X):
    rows = [m(list(map(float, x))) for x in X]
    return np.array([[o.data for o in (r if isinstance(r, list) else [r])] for r in rows])


def _problem(rng, loss, act):
    """A random network and batch for `loss`, with `act` as its hidden activation."""
    nin = int(rng.integers(1, 5))
    hidden = [int(h) for h in rng.integers(1, 7, size=rng.integers(0, 3))]
    k = 1 if loss in ("hinge", "bce", "binary_cross_entropy") else int(rng.integers(2, 5))
    out_act = {"binary_cross_entropy": "sigmoid", "cross_entropy": "linear"}.get(loss, act)
    m = MLP(nin, [*hidden, k], activation=act, output_activation=out_act, seed=int(rng.integers(2**32)),
            init=str(rng.choice(["uniform", "xavier", "he"])))
    for p in m.parameters():  # biases too, not just the zeros they start at
        p.data = float(rng.normal(0.0, 0.8))
    n = int(rng.integers(1, 9))
    X = rng.normal(0.0, 1.5, (n, nin))
    y = {"hinge": lambda: rng.integers(0, 2, n),
         "bce": lambda: rng.random(n),
         "binary_cross_entropy": lambda: rng.integers(0, 2, n).astype(float),
         "cross_entropy": lambda: rng.integers(0, k, n),
         }.get(loss, lambda: rng.normal(0.0, 1.0, (n, k)))()
    return m, X, y


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("act", ACTS)
def test_outputs_loss_and_every_gradient_agree(loss, act):
    rng = np.random.default_rng([ACTS.index(act), sorted(LOSSES).index(loss)])
    for _ in range(4):
        m, X, y = _problem(rng, loss, act)
        seq = to_torch(m)
        assert all(p.dtype == torch.float64 for p in seq.parameters())
        out = seq(torch.from_numpy(X))
        assert np.abs(out.detach().numpy() - _outputs(m, X)).max() <= TOL
        here = _value_loss(m, X, y, loss)
        here.backward()
        there = torch_loss(loss)(out, y)
        there.backward()
        assert abs(here.data - there.item()) <= TOL, (here.data, there.item())
        ours = gradients(m)
        theirs = {k: p.grad.numpy() for k, p in seq.named_parameters()}
        assert list(ours) == list(theirs)
        for key in ours:
            assert np.abs(ours[key] - theirs[key]).max() <= TOL, key


def test_the_comparison_sees_a_wrong_gradient():
    m, X, y = _problem(np.random.default_rng(7), "mse", "tanh")
    seq = to_torch(m)
    torch_loss("mse")(seq(torch.from_numpy(X)), y).backward()
    _value_loss(m, X, y, "squared_error").backward()  # ½Σ over k outputs, not the mean: a different gradient
    diff = max(np.abs(g - p.grad.numpy()).max() for g, p in zip(gradients(m).values(), seq.parameters()))
    assert diff > 1e-3


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("out_act", ACTS)
def test_round_trip_through_torch_is_bit_exact(act, out_act):
    m = MLP(3, [5, 4, 2], activation=act, output_activation=out_act, seed=11)
    seq = to_torch(m)
    assert list(seq.state_dict()) == list(m.state_dict())
    for k, v in seq.state_dict().items():
        assert v.numpy().tobytes() == m.state_dict()[k].tobytes()
    back = from_torch(seq)
    assert (back.nin, back.nouts, back.output_activation) == (3, [5, 4, 2], out_act)
    assert back.activation == act
    assert [p.data for p in back.parameters()] == [p.data for p in m.parameters()]


def test_the_keys_are_those_of_a_sequential_written_by_hand():
    torch.manual_seed(0)
    hand = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)).double()
    m = MLP(2, [16, 16, 1], activation="relu", seed=0)
    assert list(m.state_dict()) == list(hand.state_dict())
    m.load_state_dict(hand.state_dict())  # tensors straight from torch's state_dict
    X = np.random.default_rng(3).normal(size=(10, 2))
    assert np.abs(hand(torch.from_numpy(X)).detach().numpy() - _outputs(m, X)).max() <= TOL


def test_the_copies_are_independent_and_torch_rng_is_untouched():
    m = MLP(2, [3, 1], seed=0)
    state = torch.get_rng_state()
    seq = to_torch(m)
    assert torch.equal(state, torch.get_rng_state())
    with torch.no_grad():
        seq[0].weight.add_(1.0)
    assert m.state_dict()["0.weight"].tolist() != seq.state_dict()["0.weight"].tolist()


def test_identity_and_float32_modules_are_read():
    torch.manual_seed(1)
    seq = nn.Sequential(nn.Linear(3, 4), nn.Identity(), nn.Linear(4, 2), nn.Sigmoid())  # float32
    m = from_torch(seq)
    assert (m.activation, m.output_activation, m.nouts) == ("linear", "sigmoid", [4, 2])
    assert m.state_dict()["0.weight"].tolist() == seq[0].weight.detach().double().numpy().tolist()
    assert m.state_dict()["1.bias"].tolist() == seq[2].bias.detach().double().numpy().tolist()
    X = np.random.default_rng(0).normal(size=(5, 3))
    expected = seq.double()(torch.from_numpy(X)).detach().numpy()
    assert np.abs(expected - _outputs(m, X)).max() <= TOL


def test_a_single_linear_layer():
    seq = nn.Sequential(nn.Linear(2, 3))
    m = from_torch(seq)
    assert (m.nouts, m.output_activation) == ([3], "linear")
    assert list(to_torch(m).state_dict()) == ["0.weight", "0.bias"]


class MyReLU(nn.ReLU):
    pass


@pytest.mark.parametrize("build,error,match", [
    (lambda: nn.Linear(2, 1), TypeError, "expected a torch.nn.Sequential.*got Linear"),
    (lambda: nn.Sequential(), ValueError, "no Linear"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 1)), TypeError, "module 1 is Dropout"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU()), TypeError, "module 1 is LeakyReLU"),
    (lambda: nn.Sequential(nn.Linear(2, 3), MyReLU()), TypeError, "module 1 is MyReLU.*not subclasses"),
    (lambda: nn.Sequential(nn.Sequential(nn.Linear(2, 1))), TypeError, "module 0 is Sequential"),
    (lambda: nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), ValueError, "module 0 \\(ReLU\\) comes before any Linear"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), ValueError,
     "module 2 \\(Tanh\\) follows another activation"),
    (lambda: nn.Sequential(nn.Linear(2, 3, bias=False)), ValueError, "module 0 \\(Linear\\) has no bias"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(4, 1)), ValueError,
     "module 2 \\(Linear\\) takes 4 inputs but module 0 \\(Linear\\) gives 3 outputs"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1)), ValueError,
     "different activations \\(module 0: tanh, module 2: relu\\)"),
])
def test_from_torch_refuses_by_name(build, error, match):
    with pytest.raises(error, match=match):
        from_torch(build())


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_from_torch_refuses_non_finite_parameters(bad):
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with torch.no_grad():
        seq[2].weight[0, 1] = bad
    with pytest.raises(ValueError, match=rf"module 2 \(Linear\) weight\[0, 1\] = {bad!r} is not finite"):
        from_torch(seq)


def test_to_torch_and_torch_loss_refuse_what_they_do_not_know():
    with pytest.raises(TypeError, match="expected an MLP"):
        to_torch(nn.Linear(2, 1))
    with pytest.raises(ValueError, match="unknown loss 'huber'"):
        torch_loss("huber")


# ---- training continues step for step --------------------------------------------------------------------

def _step_here(m, opt, X, y, loss):
    value = _value_loss(m, X, y, loss)
    opt.zero_grad()
    value.backward()
    opt.step()
    return value.data


def _step_there(seq, opt, X, y, loss):
    opt.zero_grad()
    value = torch_loss(loss)(seq(torch.from_numpy(X)), y)
    value.backward()
    opt.step()
    return value.item()


OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "sgd-momentum-wd": lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda ps: Adam(ps, lr=0.01),
    "adam-settings": lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-3),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_training_moved_to_torch_takes_the_same_next_steps(name, loss):
    X, y = data.moons(30, noise=0.1, seed=2)
    m = MLP(2, [16, 16, 1], activation="relu", seed=0)
    opt = OPTIMIZERS[name](m.parameters())
    for _ in range(3):
        _step_here(m, opt, X, y, loss)
    seq = to_torch(m)
    topt = torch_optimizer(opt, m, seq)
    for _ in range(3):  # after each step: the same loss before it and the same parameters after it
        here, there = _step_here(m, opt, X, y, loss), _step_there(seq, topt, X, y, loss)
        assert abs(here - there) <= TOL
        for key, v in m.state_dict().items():
            assert np.abs(v - seq.state_dict()[key].numpy()).max() <= TOL, key


@pytest.mark.parametrize("name", ["sgd-momentum-wd", "adam"])
def test_the_optimizer_state_is_what_makes_the_steps_equal(name):
    """A torch optimizer started afresh (no momentum buffer, Adam at step 1) takes a different step."""
    X, y = data.moons(30, noise=0.1, seed=2)
    m = MLP(2, [16, 16, 1], activation="relu", seed=0)
    opt = OPTIMIZERS[name](m.parameters())
    for _ in range(3):
        _step_here(m, opt, X, y, "hinge")
    seq = to_torch(m)
    fresh = torch_optimizer(OPTIMIZERS[name](m.parameters()), m, seq)
    _step_here(m, opt, X, y, "hinge")
    _step_there(seq, fresh, X, y, "hinge")
    diff = max(np.abs(v - seq.state_dict()[k].numpy()).max() for k, v in m.state_dict().items())
    assert diff > 1e-6


def test_torch_optimizer_refuses_a_mismatch():
    m = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="exactly the MLP's parameters"):
        torch_optimizer(SGD(m.parameters()[:3], lr=0.1), m, to_torch(m))
    with pytest.raises(ValueError, match="pass to_torch\\(mlp\\)"):
        torch_optimizer(SGD(m.parameters(), lr=0.1), m, to_torch(MLP(2, [4, 1], seed=0)))
    with pytest.raises(TypeError, match="SGD or Adam"):
        torch_optimizer(object(), m, to_torch(m))


def test_importing_the_package_and_the_bridge_loads_no_torch():
    code = ("import sys, autograd_nn, autograd_nn.nn, autograd_nn.torch_bridge, autograd_nn.testing, autograd_nn.viz; "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith(('torch.', 'ipywidgets'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_torch_optimizer_refuses_an_optimizer_over_bound_arrays():
    from autograd_nn.tape import Tape

    mlp = MLP(2, [3, 1], activation="relu", seed=0)
    tape = Tape(L.mean_loss([L.hinge(mlp([0.5, -1.0]), 1.0)]))
    opt = SGD(tape.bind(mlp.parameters()), lr=0.1)
    with pytest.raises(ValueError, match="steps a Tape's bound arrays"):
        torch_optimizer(opt, mlp, to_torch(mlp))
