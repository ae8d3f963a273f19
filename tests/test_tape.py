"""The tape computes what eager code computes: the same values and gradients (to 1e-12 relative), the same side of
every kink, and the same errors, over replays with changed leaf data."""

import math
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_nn.engine import DomainError, Value, define_op, grad, sum_of, topological_order, weighted_sum
from autograd_nn.engine.ops import ADD
from autograd_nn.losses import hinge, mean_loss
from autograd_nn.nn import MLP
from autograd_nn.tape import MatmulLayer, Tape
from autograd_nn.testing.strategies import expressions


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def eager(build, point, labels=None):
    """What eager code gives at ``point``: ("forward", message), ("backward", message) or (value, gradients).

    The gradients of backward() and of grad() must be the same numbers (both are the engine's one walk)."""
    xs = [Value(p, label=label) for p, label in zip(point, labels or [""] * len(point))]
    try:
        out = build(xs)
    except DomainError as exc:
        return "forward", str(exc)
    try:
        out.backward()
    except DomainError as exc:
        return "backward", str(exc)
    grads = [x.grad for x in xs]
    assert grad(out, xs) == grads
    return out.data, grads


def on_tape(tape, leaves, point):
    """The same as :func:`eager`, by replaying ``tape`` with ``leaves`` set to ``point``."""
    for leaf, p in zip(leaves, point):
        leaf.data, leaf.grad = p, 0.0
    try:
        out = tape.forward()
    except DomainError as exc:
        return "forward", str(exc)
    try:
        tape.backward()
    except DomainError as exc:
        return "backward", str(exc)
    return out, [leaf.grad for leaf in leaves]


def every_step_counts(e):
    """Whether the output of expression ``e`` depends on every step (eager code computing a dead step may fail
    where the tape, which records only what the output depends on, does not)."""
    return sum(not v.is_leaf() for v in topological_order(e.output)) == len(e.program.equations)


def assert_same(got, expected):
    if isinstance(expected[0], str):
        assert got[0] == expected[0], (got, expected)
        # A backward error is eager's own (the walk over the same graph). Of several forward errors eager meets the
        # first it builds, the tape the first in topological order: the same kind of error, maybe another node.
        if expected[0] == "backward":
            assert got[1] == expected[1]
        return
    assert not isinstance(got[0], str), (got, expected)
    assert close(got[0], expected[0]), (got, expected)
    assert len(got[1]) == len(expected[1])
    for a, b in zip(got[1], expected[1]):
        assert close(a, b), (got, expected)


# New leaf data for a replay: on a grid, and often exactly at a domain edge or kink (0, ±1), where errors happen.
moved_points = st.lists(st.sampled_from([0.0, 1.0, -1.0]) | st.integers(-300, 300).map(lambda k: k / 100),
                        min_size=3, max_size=3)


@given(expressions(), moved_points)
def test_random_expressions_agree_with_eager_over_replays(e, moved):
    assume(every_step_counts(e))
    tape = Tape(e.output)
    assert set(tape.leaves) <= set(e.inputs)
    labels = [x.label for x in e.inputs]
    for point in (e.point, moved[:e.n_inputs]):
        assert_same(on_tape(tape, e.inputs, point), eager(lambda xs: e(*xs), point, labels))


@given(expressions(ops=["sqrt", "log", "div", "pow", "relu", "abs", "maximum", "step"]), moved_points)
def test_at_domain_edges_and_kinks_the_tape_fails_and_chooses_as_eager_does(e, moved):
    # The same expressions replayed where they are undefined (log(0), sqrt'(0), 1/0, 0 ** y) or at a kink.
    assume(every_step_counts(e))
    tape = Tape(e.output)
    labels = [x.label for x in e.inputs]
    for point in (moved[:e.n_inputs], e.point):
        assert_same(on_tape(tape, e.inputs, point), eager(lambda xs: e(*xs), point, labels))


@given(expressions(max_depth=3), st.integers(2, 5), st.lists(st.booleans(), min_size=3, max_size=3), moved_points)
def test_copies_of_an_expression_are_batched_and_agree_with_eager(e, copies, shared, moved):
    # The expression applied to several input sets (some inputs shared by every copy) and summed: every op is then
    # a group of `copies` nodes, read with slices, gathers and repeats.
    assume(every_step_counts(e))
    n = e.n_inputs
    own = [i for i in range(n) if not shared[i]]

    def inputs_of(xs, k):  # xs: the shared inputs, then every copy's own ones
        it = iter(xs[n + k * len(own):])
        return [next(it) if i in own else xs[i] for i in range(n)]

    def build(xs):
        return sum(e(*inputs_of(xs, k)) for k in range(copies))

    def points(base):
        return list(base) + [base[i] + 0.01 * (k + 1) for k in range(copies) for i in own]

    leaves = [Value(p) for p in points(e.point)]
    try:
        root = build(leaves)
    except DomainError:
        assume(False)  # a copy moved off the expression's domain
    tape = Tape(root)
    # A layer-shaped group (weighted sums with shared weights) adds in the matrix product's order: see test_mlp_*.
    assume(not any(isinstance(k, MatmulLayer) for k in tape.plan.kernels))
    assert max(k.stop - k.start for k in tape.plan.kernels) >= copies
    for base in (e.point, moved[:n]):
        assert_same(on_tape(tape, leaves, points(base)), eager(build, points(base)))


SIZES = (2, 4, 4, 1)
N_PARAMS = sum((nin + 1) * nout for nin, nout in zip(SIZES, SIZES[1:]))


def mlp_loss(xs, labels):
    """The mean hinge loss of a relu MLP over a batch, + 1e-3·Σp², built with weighted sums (one per neuron).

    xs: the parameters (per layer, per unit: its weights, then its bias), then the inputs (per sample)."""
    it = iter(xs)
    layers = [[([next(it) for _ in range(nin)], next(it)) for _ in range(nout)] for nin, nout in zip(SIZES, SIZES[1:])]
    losses = []
    for t in labels:
        a = [next(it) for _ in range(SIZES[0])]
        for k, layer in enumerate(layers):
            z = [weighted_sum(w, a, b) for w, b in layer]
            a = [zi.relu() for zi in z] if k < len(layers) - 1 else z
        losses.append(hinge(a[0], t))
    params = xs[:N_PARAMS]
    return mean_loss(losses) + 1e-3 * weighted_sum(params, params)


def test_mlp_over_a_batch_uses_matrix_products_and_agrees_with_eager_over_replays():
    rng = random.Random(3)
    labels = [rng.choice([-1.0, 1.0]) for _ in range(20)]
    point = [rng.uniform(-1, 1) for _ in range(N_PARAMS + 20 * SIZES[0])]
    leaves = [Value(p) for p in point]
    tape = Tape(mlp_loss(leaves, labels))
    assert sum(isinstance(k, MatmulLayer) for k in tape.plan.kernels) == 3
    assert "matmul-layer weighted_sum" in str(tape)
    for _ in range(4):
        expected = eager(lambda xs: mlp_loss(xs, labels), point)
        got = on_tape(tape, leaves, point)
        assert_same(got, expected)
        point = [p - 0.1 * g for p, g in zip(point[:N_PARAMS], got[1])] + [x + 0.05 for x in point[N_PARAMS:]]


def test_fit_with_the_tape_backend_matches_plain_fit():
    from autograd_nn.data import moons
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


# -- sums: folded, never regrouped ------------------------------------------------------------------------

WILD = [1e16, 1.0, -1e16, 3.0, 1e-3, -2.5e15, 7.0, 0.1, 2.5e15, -1.0]  # every grouping rounds differently


@pytest.mark.parametrize("build", [
    lambda xs: sum(xs),
    lambda xs: sum_of(xs),
    lambda xs: xs[0] + (xs[1] + (xs[2] + xs[3])),
    lambda xs: (xs[0] + xs[1]) + (xs[2] + xs[3]) + xs[4],
    lambda xs: sum(xs[:5]) + sum(xs[5:]),
    lambda xs: sum(xs[3:]) * (xs[0] + xs[1] + xs[2]),
    lambda xs: (xs[0] + xs[1]) * (xs[0] + xs[1] + xs[2]),  # an inner add used twice is not folded
], ids=["sum()", "sum_of", "right-nested", "pairs", "two sums", "product of sums", "shared inner add"])
def test_sums_give_eagers_float_exactly_whatever_the_grouping(build):
    leaves = [Value(x) for x in WILD]
    tape = Tape(build(leaves))
    expected = eager(build, WILD)
    got = on_tape(tape, leaves, WILD)
    assert got[0] == expected[0]  # exactly: not one term regrouped
    assert got[1] == pytest.approx(expected[1], rel=1e-12)
    moved = [x * 1.5 for x in reversed(WILD)]
    assert on_tape(tape, leaves, moved)[0] == eager(build, moved)[0]


def test_a_long_sum_adds_left_to_right_like_the_chain_of_plus():
    rng = random.Random(0)
    data = [rng.uniform(-1, 1) * 10 ** rng.randint(-8, 8) for _ in range(1000)]
    leaves = [Value(x) for x in data]
    tape = Tape(sum(leaves))
    total = 0
    for x in data:
        total = total + x
    assert tape.forward() == total  # np.sum would add pairwise: another float


def test_relu_of_a_right_nested_sum_stays_on_eagers_side_of_the_kink():
    # y + z rounds to -1.0, so x + (y + z) is exactly 0 and relu'(0) = 0. Regrouped, ((x + y) + z) would be 1e-17 > 0.
    def build(xs):
        return (xs[0] + (xs[1] + xs[2])).relu()

    point = [1.0, -1.0, 1e-17]
    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    assert on_tape(tape, leaves, point) == eager(build, point) == (0.0, [0.0, 0.0, 0.0])


def test_log_of_a_right_nested_sum_is_defined_where_eager_says_so():
    # b + c is exactly 0, so a + (b + c) = 1e-17 and the log is -39.1; ((a + b) + c) would be log(0.0).
    def build(xs):
        return (xs[0] + (xs[1] + xs[2])).log()

    point = [1e-17, 1.0, -1.0]
    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    got = on_tape(tape, leaves, point)
    assert got == eager(build, point)
    assert got[0] == pytest.approx(-39.1439465808987)


# -- the error path: the engine decides -------------------------------------------------------------------

def test_a_zero_gradient_passes_nothing_on_even_where_the_derivative_is_undefined():
    # sqrt'(0) is undefined, but the sqrt node's gradient is 0 (times 0): eager gives x.grad = 1, so does the tape.
    def build(xs):
        return xs[0].sqrt() * 0 + xs[0]

    x = Value(0.0)
    tape = Tape(build([x]))
    assert on_tape(tape, [x], [0.0]) == eager(build, [0.0]) == (0.0, [1.0])
    assert on_tape(tape, [x], [4.0]) == eager(build, [4.0]) == (4.0, [1.0])  # the fast path again


def test_an_undefined_derivative_is_eagers_error_and_leaves_every_grad_as_it_was():
    def build(xs):
        return xs[0].sqrt() * 3 + xs[1]

    x, y = Value(1.0), Value(2.0)
    tape = Tape(build([x, y]))
    x.data = 0.0
    tape.forward()
    x.grad, y.grad = 0.5, 0.25
    with pytest.raises(DomainError, match=r"derivative of sqrt\(0.0\)") as info:
        tape.backward()
    assert (x.grad, y.grad) == (0.5, 0.25)
    assert ("backward", str(info.value)) == eager(build, [0.0, 2.0])


@pytest.mark.parametrize("build, recorded, moved", [
    (lambda xs: xs[0].log(), [2.0], [-1.0]),
    (lambda xs: xs[0] ** xs[1], [2.0, 2.0], [-1.0, 2.0]),  # numpy's power gives 1.0 here; eager raises
    (lambda xs: xs[0] ** xs[1], [2.0, 2.0], [0.0, 0.0]),  # numpy's 0 ** 0 is 1.0; eager raises (a jump at 0)
    (lambda xs: xs[0].exp() * 2, [1.0], [800.0]),  # overflow
    (lambda xs: 1 / xs[0], [1.0], [0.0]),
    (lambda xs: (xs[0] ** -0.5).relu(), [1.0], [0.0]),
], ids=["log", "pow negative base", "pow base 0 exponent 0", "exp overflow", "div by 0", "negative power of 0"])
def test_a_forward_domain_error_is_eagers_error(build, recorded, moved):
    leaves = [Value(p) for p in recorded]
    tape = Tape(build(leaves))
    assert on_tape(tape, leaves, moved) == eager(build, moved)
    assert on_tape(tape, leaves, moved)[0] == "forward"
    assert_same(on_tape(tape, leaves, recorded), eager(build, recorded))  # and it replays again afterwards


def test_an_overflowing_gradient_is_eagers_error():
    def build(xs):
        return xs[0].sqrt() * 1e300  # finite, but d/dx = 1e300 · 0.5 / 1e-160 overflows

    x = Value(4.0)
    tape = Tape(build([x]))
    got = on_tape(tape, [x], [1e-320])
    assert got == eager(build, [1e-320])
    assert got[0] == "backward" and "overflow" in got[1]


def test_a_layer_whose_matrix_product_overflows_gets_eagers_values():
    # z = b + w₁a₁ + w₂a₂ with b = -1e308 and both products 1e308: eager adds b first and stays finite; a matrix
    # product adds the products first and overflows. The error path then computes the values eager computes.
    def build(xs):
        w, b, a = [xs[0:2], xs[2:4]], xs[4:6], [xs[6:8], xs[8:10]]  # w and b per unit, a per sample
        return sum(weighted_sum(w[u], a[s], b[u]) for s in range(2) for u in range(2))

    point = [1e308, 1e308, 1.0, 1.0, -1e308, 0.0, 1.0, 1.0, 0.5, 0.25]
    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    assert any(isinstance(k, MatmulLayer) for k in tape.plan.kernels)
    got, expected = on_tape(tape, leaves, point), eager(build, point)
    assert got[0] == expected[0] == 0.75e308
    assert got[1] == pytest.approx(expected[1], rel=1e-12)


# -- user-defined ops -------------------------------------------------------------------------------------

def test_a_user_op_whose_derivative_uses_math_is_refused_when_recorded():
    my_sin = define_op("my_sin", math.sin, lambda x, out: math.cos(x))
    x = Value(0.3)
    root = my_sin(x) * 2
    with pytest.raises(TypeError, match=r"derivative of op 'my_sin' cannot be evaluated on numpy arrays"):
        Tape(root)
    root.backward()  # eager code still can
    assert x.grad == pytest.approx(2 * math.cos(0.3))


def test_a_user_op_whose_derivative_branches_on_its_argument_is_refused_when_recorded():
    my_abs = define_op("my_abs", abs, lambda x, out: 1.0 if x > 0 else -1.0)
    with pytest.raises(TypeError, match=r"'my_abs'.*numpy arrays.*if on x"):
        Tape(my_abs(Value(0.3)) + my_abs(Value(-0.2)))


def test_a_user_op_with_a_broken_vector_is_refused_when_recorded():
    my_exp = define_op("my_exp", math.exp, lambda x, out: out, vector=lambda x: math.exp(x))
    with pytest.raises(TypeError, match=r"forward \(its vector\) of op 'my_exp'"):
        Tape(my_exp(Value(0.3)))


def test_user_ops_written_with_ops_replay_like_eager():
    sin = define_op("sin", math.sin, lambda x, out: cos(x))
    cos = define_op("cos", math.cos, lambda x, out: -sin(x))

    def build(xs):
        return sum(sin(x) * cos(x * 2) for x in xs)

    point = [0.1, -0.7, 1.3]
    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    assert_same(on_tape(tape, leaves, point), eager(build, point))
    assert_same(on_tape(tape, leaves, [2.0, 0.0, -3.0]), eager(build, [2.0, 0.0, -3.0]))


# -- repeated operands, and the public API ----------------------------------------------------------------

def test_repeated_operands_accumulate_in_every_group_kind():
    # x * x (both rows the same slot), a weighted sum reading one leaf many times, a sum of one term repeated, and a
    # group of several x * x reading one slot from every node.
    def build(xs):
        x, w = xs
        squares = sum(x * x for _ in range(4))
        return x * x + weighted_sum([w, w, x], [x, x, w], w) + sum([x.tanh()] * 3) + squares + sum_of([w, w])

    point = [0.7, -1.3]
    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    assert_same(on_tape(tape, leaves, point), eager(build, point))
    assert_same(on_tape(tape, leaves, [-0.2, 0.9]), eager(build, [-0.2, 0.9]))


def test_backward_accumulates_like_backward():
    x = Value(1.5)
    tape = Tape(x * x)
    tape.forward()
    tape.backward()
    tape.backward()
    assert x.grad == 6.0


def test_value_reads_a_recorded_node_after_forward():
    x = Value(1.0)
    h = x * 2
    inner = x + 1.0
    tape = Tape(inner + h + 3.0)  # inner is folded into a sum: it has no slot of its own
    x.data = 3.0
    assert tape.forward() == 13.0
    assert tape.value(h) == 6.0
    with pytest.raises(KeyError, match="not part of the recorded graph"):
        tape.value(Value(0.0))
    with pytest.raises(KeyError, match="inner term of a sum"):
        tape.value(inner)


def test_a_tape_keeps_its_root_its_leaves_and_its_size():
    x = Value(2.0)
    y = x * 3
    tape = Tape(y)
    assert (tape.root, tape.n_nodes, tape.leaves) == (y, 3, tape.program.leaves)
    tape.check([x])  # x is a leaf of the recorded graph


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value"):
        Tape(1.0)


def test_the_add_op_is_the_one_folded():
    # fold_sums keys on the op table's ADD: a sum's equation stands for adds in the recorded program.
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    tape = Tape(x + y + z)
    assert [eq.op for eq in tape.program.equations] == [ADD, ADD]
    assert [k.op.name for k in tape.plan.kernels] == ["sum"]


# -- the kernels' fast paths keep eager's numbers and eager's errors --------------------------------------

def test_add_and_sub_pass_gradients_on_exactly_through_views_gathers_and_first_writes():
    # ∂(a ± b) = (1, ±1): every leaf's gradient is the sum of ±g terms, which the tape passes on without a product.
    rng = random.Random(5)
    n = 40
    point = [rng.uniform(-3, 3) for _ in range(3 * n)]
    some = rng.sample(range(n), 25)

    def build(xs):
        a, b, c = xs[:n], xs[n:2 * n], xs[2 * n:]
        diffs = [a[i] - b[i] for i in range(n)]  # rows as views; their gradients assigned (first writes)
        picked = [diffs[i] - c[i] for i in some]  # rows gathered
        return sum_of([d * (0.5 + 0.01 * k) for k, d in enumerate(picked)]) + sum_of([(b[i] + c[i]) * 2.0
                                                                                      for i in range(n)])

    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    assert on_tape(tape, leaves, point) == eager(build, point)  # exactly
    moved = [p * 1.25 for p in point]
    assert on_tape(tape, leaves, moved) == eager(build, moved)


@pytest.mark.parametrize("spelling", ["weighted_sum", "sum"])
def test_an_overflowing_sum_of_squares_is_eagers_error(spelling):
    # Squares of slots read in another order than they are placed in: SquaredSums (weighted_sum(hs, hs)) or one
    # gathered row times itself (sum(h * h ...)), whose fast paths go to the error path like any kernel's.
    from autograd_nn.tape import Elementwise, SquaredSums

    rng = random.Random(6)
    some = rng.sample(range(30), 20)

    def build(xs):
        hs = [x - 1.0 for x in xs]
        picked = [hs[i] for i in some]
        l2 = weighted_sum(picked, picked) if spelling == "weighted_sum" else sum(h * h for h in picked)
        # every h in the graph, placed in the order of the adds (the graph's order: the adds first, then the l2
        # term, lays the hs out in the adds' order): the picked ones are gathered
        return sum_of([h + 0.5 for h in hs]) + 1e-3 * l2

    point = [rng.uniform(-1, 1) for _ in range(30)]
    leaves = [Value(p) for p in point]
    tape = Tape(build(leaves))
    kind = SquaredSums if spelling == "weighted_sum" else Elementwise
    assert any(isinstance(k, kind) and (kind is SquaredSums or k.one_gather()) for k in tape.plan.kernels)
    assert_same(on_tape(tape, leaves, point), eager(build, point))
    moved = list(point)
    moved[some[7]] = 1e200
    got = on_tape(tape, leaves, moved)
    assert got == eager(build, moved) and got[0] == "forward" and "overflow" in got[1]
    assert_same(on_tape(tape, leaves, point), eager(build, point))  # and it replays again afterwards


def test_zero_to_a_value_power_replays_as_eager():
    # 0 ** y for y > 0 is 0 with ∂/∂y = 0 (and ∂/∂x = 0 for y > 1): the tape's numpy replay gives eager's numbers
    def build(xs):
        return xs[0] ** xs[1] + xs[1]

    leaves = [Value(0.0), Value(2.5)]
    tape = Tape(build(leaves))
    assert_same(on_tape(tape, leaves, [0.0, 2.5]), eager(build, [0.0, 2.5]))
    assert_same(on_tape(tape, leaves, [0.0, 1.5]), eager(build, [0.0, 1.5]))
    assert on_tape(tape, leaves, [0.0, 0.5]) == eager(build, [0.0, 0.5])  # ∂/∂x infinite: the same DomainError
