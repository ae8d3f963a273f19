"""Where the engine meets Python: ==, bool and the number conversions, pickle, copy, threads, 0 ** y.

Each is a place where a wrong number could pass with no error: a comparison that is identity, a truth value, a
pickled graph whose ops or stamps do not survive the trip, a copy that duplicates the op table, two threads
adding to one .grad. The behaviour asked of each is asserted here; the property tests draw random graphs and MLPs.
"""

import copy
import math
import os
import pickle
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_nn import MLP, Value, grad
from autograd_nn.engine import (
    DomainError,
    StaleGraphError,
    define_op,
    sum_of,
    topological_order,
)
from autograd_nn.testing.strategies import expressions, mlps

ROOT = Path(__file__).resolve().parents[1]

# -- == is identity; bool and the conversions to numbers say to use .data -----------------------------------------


def test_equality_is_identity_so_values_are_dictionary_keys():
    a, b = Value(2.0), Value(2.0)
    assert a == a and a != b and not (a == 2.0) and a != 2.0
    assert {a: 1, b: 2}[b] == 2 and len({a, b}) == 2
    assert a.data == b.data == 2.0  # the numbers compare through .data


@pytest.mark.parametrize("convert, words", [
    (bool, "bool"), (float, "float"), (int, "int"), (round, "round"), (lambda v: round(v, 2), "round"),
    (lambda v: f"{v:.3f}", "format"), (lambda v: format(v, "g"), "format"), (lambda v: math.fsum([v]), "float"),
    (lambda v: math.exp(v), "float"), (lambda v: [0, 1, 2][v], "index"), (lambda v: "yes" if v else "no", "bool"),
])
def test_a_value_is_not_silently_a_number_the_message_says_data(convert, words):
    v = Value(0.0)
    with pytest.raises(TypeError, match=rf"{words}.*\.data"):
        convert(v)


def test_the_conversions_of_data_work_and_the_plain_format_still_prints():
    v = Value(2.5, label="v")
    assert f"{v}" == str(v) == repr(v) and f"{v!r}" == repr(v)
    assert f"{v.data:.3f}" == "2.500" and round(v.data) == 2 and bool(Value(0.0).data) is False


# -- threads: backward's commit into the leaves' .grad is atomic ---------------------------------------------------

THREADS, PASSES = 8, 40  # enough passes that, without the lock, additions are lost in every run


def _shared_model():
    # Weights that are multiples of 1/8 and integer inputs: every partial derivative is a short dyadic number, so
    # any order of adding them gives the same float, and "exactly the sequential sums" is a fair demand.
    m = MLP(3, [6, 6, 2], activation="relu", output_activation="linear", seed=0)
    rng = np.random.default_rng(0)
    for p in m.parameters():
        p.data = float(rng.integers(-16, 17)) / 8
    return m


def _rows(k):
    rng = np.random.default_rng(100 + k)
    return [[float(v) for v in rng.integers(-3, 4, 3)] for _ in range(PASSES)]


def _passes(m, rows):
    for x in rows:
        sum_of(m(x)).backward()


def test_eight_threads_differentiating_over_one_model_lose_no_gradient():
    m = _shared_model()
    work = [_rows(k) for k in range(THREADS)]
    for rows in work:
        _passes(m, rows)
    expected = [p.grad for p in m.parameters()]
    assert sum(g != 0 for g in expected) > len(expected) // 2
    m.zero_grad()
    start = threading.Barrier(THREADS)

    def run(rows):
        start.wait()
        _passes(m, rows)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # a thread switch every few bytecodes: a read-add-write would lose additions
    try:
        threads = [threading.Thread(target=run, args=(rows,)) for rows in work]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(before)
    assert [p.grad for p in m.parameters()] == expected


# -- 0 ** y for a Value y -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("y", [0.5, 1.0, 2.0, 3.7])
def test_zero_to_a_positive_value_power_is_zero_with_its_derivatives(y):
    yv = Value(y)
    x = Value(0.0)
    out = x ** yv
    assert out.data == 0.0
    if y < 1:  # ∂/∂x = y·x^(y−1) is infinite at 0: that derivative is undefined, and named
        for differentiate in (out.backward, lambda: grad(0.0 ** yv, yv)):
            with pytest.raises(DomainError, match=rf"derivative of 0\.0 \*\* {y}: undefined"):
                differentiate()
        assert (x.grad, yv.grad) == (0.0, 0.0)  # an error changes no gradient
        return
    out.backward()
    assert yv.grad == 0.0 and x.grad == (1.0 if y == 1 else 0.0)  # 0^y·log 0 taken as its limit 0
    z = 0.0 ** yv
    assert z.data == 0.0 and grad(z, yv) == 0.0
    (dy,) = grad(Value(0.0) ** yv, [yv], create_graph=True) if y > 1 else (Value(0.0),)
    assert dy.data == 0.0


@pytest.mark.parametrize("base, y", [(0.0, 0.0), (0.0, -1.0), (-1.0, 2.0)])
def test_the_power_with_a_value_exponent_is_refused_where_it_is_undefined(base, y):
    with pytest.raises(DomainError, match=r"\*\*"):
        base ** Value(y)


def test_zero_power_matches_torch_where_both_are_defined():
    torch = pytest.importorskip("torch")
    for y in (1.0, 1.5, 2.0, 3.0):
        t = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (b ** t).backward()
        yv, x = Value(y), Value(0.0)
        (x ** yv).backward()
        assert (yv.grad, x.grad) == (t.grad.item(), b.grad.item())


# -- pickle and copy --------------------------------------------------------------------------------------------

square_plus_one = define_op("square_plus_one", lambda x: x * x + 1.0, lambda x, out: 2.0 * x)  # importable


def _nodes(root):
    return topological_order(root)


def _same_graph(a, b):
    """The two graphs have the same shape, numbers, labels and the very same op objects, node for node."""
    na, nb = _nodes(a), _nodes(b)
    assert len(na) == len(nb)
    assert len({id(n) for n in na} & {id(n) for n in nb}) == 0  # a copy, not the same nodes
    for x, y in zip(na, nb):
        assert x.data == y.data and x.label == y.label and x.grad == y.grad
        assert x.op is y.op
        assert [na.index(p) for p in x.parents] == [nb.index(p) for p in y.parents]


def test_a_graph_pickles_with_its_ops_by_name_and_shared():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    y = (w * x + 0.25).tanh() + (x ** 2).sigmoid() * abs(w) + sum_of([x, w, x]) + x ** w.exp()
    x2, y2 = pickle.loads(pickle.dumps((x, y)))
    _same_graph(y, y2)
    assert y2.op is y.op
    y.backward()
    y2.backward()
    assert x2.grad == x.grad and x2 in _nodes(y2)


def test_an_mlp_pickles_and_copies_and_computes_the_same():
    m = MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    for other in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert all(a.data == b.data for a, b in zip(m.parameters(), other.parameters()))
        assert not set(map(id, m.parameters())) & set(map(id, other.parameters()))
        x = [0.3, -1.2, 0.8]
        ya, yb = m(x), other(x)
        assert [v.data for v in ya] == [v.data for v in yb]
        sum_of(ya).backward()
        sum_of(yb).backward()
        assert [p.grad for p in m.parameters()] == [p.grad for p in other.parameters()]
        m.zero_grad()


def test_a_user_op_that_a_module_holds_pickles_by_reference():
    x = Value(1.5)
    y = square_plus_one(x) * 2.0
    y2 = pickle.loads(pickle.dumps(y))
    assert y2.parents[0].op is square_plus_one and y2.data == y.data


def test_a_user_op_no_module_holds_is_refused_by_name():
    local = define_op("local_cube", lambda x: x ** 3, lambda x, out: 3.0 * x * x)
    y = local(Value(2.0)) + 1.0
    with pytest.raises(pickle.PicklingError, match=r"local_cube.*not a built-in op.*module"):
        pickle.dumps(y)
    y2 = copy.deepcopy(y)  # a copy shares the op: no need to pickle it
    assert y2.parents[0].op is local and y2.data == y.data


def test_a_deep_copy_is_iterative_and_shares_the_ops():
    x = Value(0.001)
    y = x
    for k in range(3000):
        y = (y * 1.0001 + 0.001).tanh() if k % 3 == 0 else y + x
    y2 = copy.deepcopy(y)
    assert y2.op is y.op and y2.data == y.data
    _same_graph(y, y2)
    y.backward()
    y2.backward()
    assert y2.grad == y.grad and topological_order(y2)[0].grad == topological_order(y)[0].grad


def test_a_deep_graph_pickles_and_keeps_its_shared_nodes():
    # Python's pickler recurses into what it meets first: a node lists its ancestors first so that a chain of
    # any depth pickles, and every node is pickled once, so nodes pickled beside the root are the root's own
    x = Value(0.5, label="x")
    y = x
    for _ in range(5000):
        y = y + x
    x2, y2 = pickle.loads(pickle.dumps((x, y)))
    _same_graph(y, y2)
    y2.backward()
    assert x2.grad == 5001.0
    a = Value(2.0)
    h = a * 3.0
    loss = h * h + h
    h2, loss2, a2 = pickle.loads(pickle.dumps([h, loss, a]))
    loss2.backward()
    assert h2.grad == 2 * 6.0 + 1 and a2.grad == 3.0 * h2.grad  # h2 is the loaded loss's own node
    for _ in range(2):  # and the same graph pickles again, just as deep
        assert pickle.loads(pickle.dumps(y)).data == y.data


def test_a_copied_mlp_graph_still_reads_as_layers():
    from autograd_nn import losses
    from autograd_nn.tape import Tape
    from autograd_nn.viz import draw_graph
    m = MLP(2, [3, 1], seed=1)
    cost = losses.mean_loss([losses.squared_error(m([a, b]), t) for a, b, t in [(0.1, 0.2, 1.0), (0.4, -0.3, 0.0)]])
    cost2 = copy.deepcopy(cost)
    assert "matmul-layer" in str(Tape(cost)) and "matmul-layer" in str(Tape(cost2))
    assert len(draw_graph(cost2, collapse="neurons").body) == len(draw_graph(cost, collapse="neurons").body)


def test_an_unpickled_value_is_restamped_so_no_false_stale_graph():
    # Stamps come from a per-process clock; an unpickled Value keeps its graph's order but is not "newer" than
    # the Values made here after it (a false StaleGraphError) nor older than its own parents (a missed one).
    far_ahead = textwrap.dedent("""
        import pickle, sys
        from autograd_nn import Value
        v = Value(1.0)
        for k in range(20000):
            v.data = float(k)          # this process's clock runs far ahead
        x = Value(0.5, label="x")
        y = (x * 3.0).tanh()
        sys.stdout.buffer.write(pickle.dumps((x, y)))
    """)
    out = subprocess.run([sys.executable, "-c", far_ahead], capture_output=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    x, y = pickle.loads(out)
    z = y * Value(2.0) + x  # made here, now: after the unpickled nodes
    Value(7.0).data = 8.0  # an unrelated assignment moves this process's clock
    z.backward()
    assert x.grad == pytest.approx(2.0 * 3.0 * (1 - math.tanh(1.5) ** 2) + 1.0)
    # a stale graph stays stale through a pickle
    a = Value(1.0)
    b = a * 2.0
    a.data = 5.0
    b2 = pickle.loads(pickle.dumps(b))
    with pytest.raises(StaleGraphError):
        b2.backward()


# -- the property test: random graphs and MLPs through pickle, deepcopy and another process -----------------------

def _trip(kind, obj):
    return copy.deepcopy(obj) if kind == "deepcopy" else pickle.loads(pickle.dumps(obj))


@settings(max_examples=40, deadline=None)
@given(e=expressions(max_depth=4, max_leaves=3), kind=st.sampled_from(["pickle", "deepcopy"]))
def test_random_graphs_survive_pickle_and_deepcopy(e, kind):
    inputs, root = e.inputs, e.output
    ins2, root2 = _trip(kind, (inputs, root))
    _same_graph(root, root2)
    for a, b in zip(inputs, ins2):
        a.grad = b.grad = 0.0
    try:
        want = grad(root, inputs)
    except DomainError as exc:
        with pytest.raises(DomainError, match=re.escape(str(exc))):
            grad(root2, ins2)
        return
    assert grad(root2, ins2) == want
    (root2 * Value(1.0)).backward()  # combined with a Value made now: no StaleGraphError
    assert [v.grad for v in ins2] == want


@settings(max_examples=25, deadline=None)
@given(drawn=mlps(max_inputs=3, max_layers=3, max_width=4), kind=st.sampled_from(["pickle", "deepcopy"]))
def test_random_mlps_survive_pickle_and_deepcopy(drawn, kind):
    m, x = drawn
    out = m(x)
    m2, out2 = _trip(kind, (m, out))
    root, root2 = (out, out2) if isinstance(out, Value) else (sum_of(out), sum_of(out2))
    _same_graph(out if isinstance(out, Value) else out[0], out2 if isinstance(out2, Value) else out2[0])
    root.backward()
    root2.backward()
    assert [p.grad for p in m.parameters()] == [p.grad for p in m2.parameters()]
    again = m2(x)  # the copy is a working model
    assert [v.data for v in (again if isinstance(again, list) else [again])] == \
        [v.data for v in (out if isinstance(out, list) else [out])]


# Through another process, both ways: that process's write clock runs far ahead of this one's, and its op table
# is its own; graphs and MLPs drawn here are checked there, and what it sends back is checked here.
_CHILD = textwrap.dedent("""
    import copy, pickle, sys
    from autograd_nn import Value, grad
    from autograd_nn.engine import BUILTIN_OPS, topological_order
    from autograd_nn.engine.ops import power_op
    tick = Value(0.0)
    for k in range(5000):
        tick.data = float(k)  # this process's clock, far from the parent's
    graphs, models = pickle.load(sys.stdin.buffer)
    back = []
    for inputs, root, numbers, ops, want in graphs:
        nodes = topological_order(root)
        assert [n.data for n in nodes] == numbers
        for n, name in zip(nodes, ops):  # every op is this process's own table entry
            assert (n.op is None) if name is None else (n.op is BUILTIN_OPS.get(name) or n.op is power_op(
                float(name[3:])))
        assert grad(root, inputs) == want
        twin = copy.deepcopy((inputs, root))
        assert grad(twin[1], twin[0]) == want
        (root * Value(1.0)).backward()  # with a Value made here: no StaleGraphError
        back.append((inputs, root, [v.grad for v in inputs]))
    trained = []
    for m, x, outputs, grads in models:
        out = m(x)
        out = out if isinstance(out, list) else [out]
        assert [v.data for v in out] == outputs
        sum(out[1:], out[0]).backward()
        assert [p.grad for p in m.parameters()] == grads
        trained.append((m, out))
    sys.stdout.buffer.write(pickle.dumps((back, trained)))
""")


def _op_names(root):
    return [None if n.op is None else n.op.name for n in topological_order(root)]


def test_random_graphs_and_mlps_survive_a_trip_through_another_process():
    graphs, models = [], []

    @settings(max_examples=30, deadline=None, database=None)
    @given(e=expressions(max_depth=4, max_leaves=3), drawn=mlps(max_inputs=3, max_layers=3, max_width=3))
    def collect(e, drawn):
        try:
            want = grad(e.output, e.inputs)
        except DomainError:
            return
        graphs.append((e.inputs, e.output, [n.data for n in topological_order(e.output)], _op_names(e.output),
                       want))
        m, x = drawn
        out = m(x)
        out = out if isinstance(out, list) else [out]
        sum(out[1:], out[0]).backward()
        models.append((m, x, [v.data for v in out], [p.grad for p in m.parameters()]))
        m.zero_grad()

    collect()
    assert len(graphs) >= 10
    sent = pickle.dumps((graphs, models))
    done = subprocess.run([sys.executable, "-c", _CHILD], input=sent, capture_output=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    back, trained = pickle.loads(done.stdout)
    for (_, root, numbers, _, want), (ins2, root2, grads2) in zip(graphs, back):
        assert grads2 == want
        assert [n.data for n in topological_order(root2)] == numbers
        assert [a.op is b.op for a, b in zip(topological_order(root), topological_order(root2))] == \
            [True] * len(numbers)  # the ops are this process's singletons again
        assert [v.grad for v in ins2] == want
        Value(3.0).data = 4.0  # an unrelated assignment here
        assert grad(root2 * Value(2.0), ins2) == [2.0 * g for g in want]  # no StaleGraphError
    for (_, x, outputs, grads), (m2, out2) in zip(models, trained):
        assert [p.grad for p in m2.parameters()] == grads  # the gradients that process computed
        assert [v.data for v in out2] == outputs and out2[0].op is not None
        again = m2(x)
        assert [v.data for v in (again if isinstance(again, list) else [again])] == outputs
