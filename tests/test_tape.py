"""The tape replays a recorded graph with numpy and must agree with the plain engine on data and gradients."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_nn.engine import DomainError, Value, weighted_sum
from autograd_nn.tape import Tape

UNARY = ["tanh", "relu", "sigmoid", "exp_small", "neg"]
BINARY = ["add", "sub", "mul", "wsum"]


def build(leaves, program):
    """Build an expression over leaves from a list of (op, i, j) instructions; every node stays usable."""
    nodes = list(leaves)
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "tanh":
            nodes.append(a.tanh())
        elif op == "relu":
            nodes.append(a.relu())
        elif op == "sigmoid":
            nodes.append(a.sigmoid())
        elif op == "exp_small":
            nodes.append((a * 0.1).tanh().exp())
        elif op == "neg":
            nodes.append(-a)
        elif op == "add":
            nodes.append(a + b)
        elif op == "sub":
            nodes.append(a - b)
        elif op == "mul":
            nodes.append((a * b).tanh())
        else:
            nodes.append(weighted_sum([a, b], [b, a], 0.5))
    return sum(nodes[len(leaves):], nodes[-1])


def plain(leaf_data, program):
    leaves = [Value(d) for d in leaf_data]
    root = build(leaves, program)
    root.backward()
    return root.data, [leaf.grad for leaf in leaves]


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


programs = st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 50), st.integers(0, 50)),
                    min_size=1, max_size=25)
datas = st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=5)


@given(datas, programs, st.lists(st.floats(-2, 2), min_size=5, max_size=5))
def test_tape_matches_plain_engine_on_random_expressions(data, program, new_data):
    leaves = [Value(d) for d in data]
    tape = Tape(build(leaves, program))
    for replay in (data, new_data[:len(data)]):
        for leaf, d in zip(leaves, replay):
            leaf.data, leaf.grad = d, 0.0
        out = tape.forward()
        tape.backward()
        ref_out, ref_grads = plain(replay, program)
        assert close(out, ref_out)
        for leaf, g in zip(leaves, ref_grads):
            assert close(leaf.grad, g)


def test_tape_backward_accumulates_like_backward():
    x = Value(1.5)
    tape = Tape(x * x)
    tape.forward()
    tape.backward()
    tape.backward()
    assert x.grad == pytest.approx(6.0)


def mlp_loss(params, X, y):
    losses = []
    for xi, yi in zip(X, y):
        a = xi
        for k, layer in enumerate(params):
            z = [weighted_sum(ws, a, b) for ws, b in layer]
            a = [zi.relu() for zi in z] if k < len(params) - 1 else z
        losses.append((1 + -yi * a[0]).relu())
    flat = [p for layer in params for ws, b in layer for p in (*ws, b)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in flat), flat


def test_tape_matches_plain_engine_on_mlp_over_replays():
    rng = random.Random(3)
    sizes = [2, 5, 4, 1]
    W = [[([rng.uniform(-1, 1) for _ in range(i)], rng.uniform(-1, 1)) for _ in range(o)]
         for i, o in zip(sizes, sizes[1:])]
    X = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(8)]
    y = [rng.choice([-1.0, 1.0]) for _ in range(8)]
    params = [[([Value(w) for w in ws], Value(b)) for ws, b in layer] for layer in W]
    root, flat = mlp_loss(params, X, y)
    tape = Tape(root)
    for _ in range(4):
        for p in flat:
            p.grad = 0.0
        out = tape.forward()
        tape.backward()
        ref_params = [[([Value(w.data) for w in ws], Value(b.data)) for ws, b in layer] for layer in params]
        ref_root, ref_flat = mlp_loss(ref_params, [[Value(v.data) for v in xi] for xi in X], y)
        ref_root.backward()
        assert close(out, ref_root.data)
        assert all(close(p.grad, q.grad) for p, q in zip(flat, ref_flat))
        for p in flat:  # an SGD step, then change the inputs too
            p.data -= 0.1 * p.grad
        for xi in X:
            xi[0].data += 0.05


def test_domain_error_during_replay_names_the_op():
    x = Value(2.0)
    tape = Tape(x.log())
    x.data = -1.0
    with pytest.raises(DomainError, match=r"log\(-1.0\)"):
        tape.forward()


def test_changed_graph_is_detected_by_check():
    x = Value(2.0)
    y = x * 3
    tape = Tape(y)
    tape.check()
    y._prev = (x, Value(3.0), Value(1.0))
    with pytest.raises(ValueError, match="graph changed"):
        tape.check()


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value"):
        Tape(1.0)


def test_fit_with_tape_backend_matches_plain_fit():
    from autograd_nn.data import moons
    from autograd_nn.nn import MLP
    from autograd_nn.tape import TapeBackend
    from autograd_nn.train import fit

    X, y = moons(40, 0.1, seed=0)
    runs = []
    for backend in ({}, {"backend": TapeBackend()}):
        model = MLP(2, [6, 1], activation="relu", seed=2)
        history = fit(model, X, y, epochs=5, lr=0.05, l2=1e-3, progress=False, **backend)
        runs.append((history.loss, history.accuracy, [p.data for p in model.parameters()]))
    (loss_a, acc_a, p_a), (loss_b, acc_b, p_b) = runs
    assert acc_a == acc_b
    assert all(close(a, b) for a, b in zip(loss_a + p_a, loss_b + p_b))
    assert loss_a[-1] < loss_a[0]


def test_weighted_sum_node_passes_gradcheck():
    from autograd_nn.testing import gradcheck

    assert gradcheck(lambda *v: weighted_sum(v[:3], v[3:6], v[6]).tanh(), [0.3, -0.2, 0.5, 1.1, -0.7, 0.4, 0.1])


def test_tape_value_reads_a_recorded_node():
    x = Value(1.0)
    h = x * 2
    tape = Tape(h + 1)
    x.data = 3.0
    tape.forward()
    assert tape.value(h) == 6.0
    with pytest.raises(KeyError, match="not part of the recorded graph"):
        tape.value(Value(0.0))


def test_zero_gradient_passes_nothing_even_where_the_derivative_is_undefined():
    # sqrt'(0) is undefined, but the sqrt node's gradient is 0 (it is multiplied by 0): backward() gives x.grad = 1.
    x = Value(0.0)
    tape = Tape(x.sqrt() * 0 + x)
    tape.forward()
    tape.backward()
    assert x.grad == 1.0


def test_undefined_derivative_during_replay_names_the_op():
    x = Value(1.0)
    tape = Tape(x.sqrt() * 3)
    x.data = 0.0
    tape.forward()
    with pytest.raises(DomainError, match=r"derivative of sqrt\(0.0\)"):
        tape.backward()
    assert x.grad == 0.0  # nothing was added


def test_repeated_operands_accumulate_in_every_group_kind():
    # x*x (one group, both rows the same slot), a weighted sum reading one leaf many times, a sum of one term
    # repeated: the scatter must add every repeat.
    x, w = Value(0.7), Value(-1.3)
    root = x * x + weighted_sum([w, w, x], [x, x, w], w) + sum([x.tanh()] * 3)
    plain_x, plain_w = Value(0.7), Value(-1.3)
    ref = plain_x * plain_x + weighted_sum([plain_w, plain_w, plain_x], [plain_x, plain_x, plain_w], plain_w) \
        + sum([plain_x.tanh()] * 3)
    ref.backward()
    tape = Tape(root)
    assert close(tape.forward(), ref.data)
    tape.backward()
    assert close(x.grad, plain_x.grad) and close(w.grad, plain_w.grad)
