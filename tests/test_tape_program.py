"""The tape's passes one by one: the recorded program, sums folded (never regrouped), groups, layers as matrix
products, the layout, and the program as printed."""

import re

import numpy as np
import pytest

from autograd_nn.engine import Value, sum_of, weighted_sum
from autograd_nn.tape import (
    Elementwise,
    Equation,
    LayerGroup,
    MatmulLayer,
    Places,
    Program,
    Sums,
    Tape,
    WeightedSums,
    batch,
    compile_plan,
    first_writes,
    float_forms,
    fold_sums,
    lay_out,
    record,
    rewrite_layers,
)


def ops_of(program):
    return [eq.op.name for eq in program.equations]


def layer_batch(n_samples, sizes, l2=True):
    """A relu MLP over a batch as weighted sums, its hinge-style loss summed with sum(), + an l2 term."""
    params, layers = [], []
    for nin, nout in zip(sizes, sizes[1:]):
        layer = [([Value(0.1 * (i - u)) for i in range(nin)], Value(0.05 * u)) for u in range(nout)]
        layers.append(layer)
        params += [p for w, b in layer for p in (*w, b)]
    losses = []
    for s in range(n_samples):
        a = [Value(0.01 * s + 0.1 * i) for i in range(sizes[0])]
        for k, layer in enumerate(layers):
            z = [weighted_sum(w, a, b) for w, b in layer]
            a = [zi.relu() for zi in z] if k < len(layers) - 1 else z
        losses.append((1 - (-1) ** s * a[0]).relu())
    loss = sum(losses) * (1 / n_samples)
    return loss + 1e-4 * weighted_sum(params, params) if l2 else loss


# -- record -----------------------------------------------------------------------------------------------

def test_record_is_one_equation_per_node_over_slots_leaves_first():
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    root = (x * y + z + x).relu()
    program = record(root)
    assert len(program.leaves) == 3 and set(program.leaves) == {x, y, z}
    assert ops_of(program) == ["mul", "add", "add", "relu"]
    assert [eq.out for eq in program.equations] == [3, 4, 5, 6] and program.root == 6
    assert program.nodes[program.root] is root
    for eq in program.equations:  # every argument is defined before it is used
        assert all(a < eq.out for a in eq.args)
        assert [program.nodes[a] for a in eq.args] == list(program.nodes[eq.out].parents)
    leaf = {v: i for i, v in enumerate(program.leaves)}
    assert program.equations[0] == Equation(3, program.equations[0].op, (leaf[x], leaf[y]))


def test_a_program_prints_one_line_per_equation():
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    program = record((x * y + z + x).relu())
    lines = str(program).splitlines()
    assert lines[0] == "{ lambda s0 s1 s2 ; (3 inputs)"
    assert [line.split()[2] for line in lines[1:-1]] == ["mul", "add", "add", "relu"]
    assert re.fullmatch(r"  s3 = mul s\d s\d", lines[1])
    assert lines[-1] == "  in s6 }"
    assert repr(program) == "<Program: 3 inputs, 4 equations, root s6>"


def test_a_long_program_prints_its_first_and_last_equations():
    h = Value(0.5)
    for _ in range(100):
        h = (h * 0.9).tanh()
    text = str(record(h))
    assert "… 162 more equations" in text
    assert text.count("\n") == 1 + 30 + 1 + 8
    assert "lambda s0 s1 s2 … s100 ; (101 inputs)" in text


# -- fold_sums --------------------------------------------------------------------------------------------

def test_fold_sums_turns_sums_chain_into_one_sum_in_the_same_order():
    xs = [Value(float(i)) for i in range(5)]
    program = record(sum(xs))
    assert ops_of(program) == ["add"] * 5  # 0 + x0, + x1, …
    folded = fold_sums(program)
    assert ops_of(folded) == ["sum"]
    (eq,) = folded.equations
    assert [folded.nodes[a] for a in eq.args][1:] == xs  # the constant 0 first, then x0 … x4 in order
    assert folded.nodes[folded.root] is program.nodes[program.root]


@pytest.mark.parametrize("build, ops", [
    (lambda a, b, c, d: a + (b + (c + d)), ["add", "add", "add"]),  # only left operands fold: nothing here
    (lambda a, b, c, d: (a + b) + (c + d), ["add", "sum"]),  # the left pair folds, the right one stays
    (lambda a, b, c, d: (lambda s: (s + c) * s)(a + b), ["add", "add", "mul"]),  # a + b is used twice: kept
    (lambda a, b, c, d: sum_of([a, b, c]) + d, ["sum", "add"]),  # a user's sum is kept as written
    (lambda a, b, c, d: (a - b) + c + d, ["sub", "sum"]),
])
def test_fold_sums_never_regroups(build, ops):
    leaves = [Value(float(i)) for i in range(4)]
    assert sorted(ops_of(fold_sums(record(build(*leaves))))) == sorted(ops)


def test_a_folded_sum_is_shown_by_the_tape_and_its_inner_terms_have_no_slot():
    xs = [Value(float(i)) for i in range(5)]
    tape = Tape(sum(xs[1:], xs[0]).tanh())
    assert ops_of(tape.program) == ["add"] * 4 + ["tanh"]  # the recorded program: as built
    (sums, tanh) = tape.plan.kernels
    assert isinstance(sums, Sums) and sums.block.shape == (5, 1)
    assert "sum p0:5" in str(tape) and "# 1 node of 5 terms" in str(tape)


# -- batch, rewrite_layers --------------------------------------------------------------------------------

def test_batch_groups_independent_equations_of_one_op_and_arity_by_level():
    xs = [Value(float(i)) for i in range(4)]
    hs = [x.tanh() for x in xs]  # level 1: one group of 4
    root = sum_of([h * x for h, x in zip(hs, xs)]) + sum_of(hs[:3])  # level 2: mul ×4; level 3: sums of 4 and 3
    groups = batch(fold_sums(record(root)))
    shape = [(g.level, g.op.name, len(g.equations), len(g.equations[0].args)) for g in groups]
    assert [level for level, *_ in shape] == sorted(level for level, *_ in shape)
    assert sorted(shape) == [(1, "tanh", 4, 1), (2, "mul", 4, 2), (2, "sum", 1, 3), (3, "sum", 1, 4), (4, "add", 1, 2)]


def test_a_batch_of_neurons_is_rewritten_as_a_layer():
    groups = rewrite_layers(batch(fold_sums(record(layer_batch(6, [3, 4, 2, 1])))))
    layers = [g for g in groups if isinstance(g, LayerGroup)]
    assert [(g.level, g.shape) for g in layers] == [(1, (6, 4)), (3, (6, 2)), (5, (6, 1))]
    assert all(len(g.unit_rows) == len(g.sample_rows) == n for g, n in zip(layers, [3, 4, 2]))
    l2 = [g for g in groups if g.op.name == "weighted_sum" and not isinstance(g, LayerGroup)]
    assert len(l2) == 1 and len(l2[0].equations) == 1  # Σ p·p: one node, no grid


def test_weighted_sums_that_share_nothing_are_not_a_layer_and_add_in_eagers_order():
    # Every node its own weights and inputs: no matrix product, and the products are added as eager adds them.
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((8, 7)) * 10.0 ** rng.integers(-8, 8, (8, 7))).tolist()
    leaves = [[Value(x) for x in row] for row in data]
    zs = [weighted_sum(row[:3], row[3:6], row[6]) for row in leaves]
    tape = Tape(sum_of(zs))
    assert [type(k) for k in tape.plan.kernels] == [WeightedSums, Sums]
    tape.forward()
    assert [tape.value(z) for z in zs] == [z.data for z in zs]


def test_weighted_sums_are_a_layer_only_if_every_pair_is_a_weight_and_an_input():
    def groups(pairs):
        return rewrite_layers(batch(record(sum_of([weighted_sum(*pair) for pair in pairs]))))

    w = Value(0.5)
    xs, ys, bs = ([Value(float(i)) for i in range(4)] for _ in range(3))
    # w shared by all four nodes and each x its own: a layer of one sample and four units.
    (layer, _) = groups([([w, x], [x, w], b) for x, b in zip(xs, bs)])
    assert isinstance(layer, LayerGroup) and layer.shape == (1, 4)
    root = sum_of([weighted_sum([w, x], [x, w], b) for x, b in zip(xs, bs)])
    tape = Tape(root)
    assert tape.forward() == pytest.approx(root.data, rel=1e-12)
    tape.backward()
    assert [w.grad, *(x.grad for x in xs)] == pytest.approx([2 * sum(x.data for x in xs)] + [2 * w.data] * 4)
    # The second pair is two factors of each node's own: neither is shared, so no matrix product.
    assert not any(isinstance(g, LayerGroup) for g in groups([([w, y], [x, x], b) for x, y, b in zip(xs, ys, bs)]))


# -- lay_out and the kernels ------------------------------------------------------------------------------

def test_a_layer_reads_its_blocks_as_slices():
    tape = Tape(layer_batch(10, [2, 4, 4, 1]))
    layers = [k for k in tape.plan.kernels if isinstance(k, MatmulLayer)]
    assert [k.shape for k in layers] == [(10, 4), (10, 4), (10, 1)]
    for k in layers:  # the weights, biases and inputs are placed where their layer reads them: no gathers
        assert all(type(block.index) is slice for block in (k.A, k.W, k.b)), k
    relu = [k for k in tape.plan.kernels if k.op.name == "relu"]
    assert all(type(k.rows[0].index) is slice for k in relu)  # relu over a layer, and the next layer over relu


def test_a_placement_is_a_permutation_and_leaves_come_first():
    program = fold_sums(record(layer_batch(5, [2, 3, 1])))
    layout = lay_out(program, rewrite_layers(batch(program)))
    place = layout.place
    assert sorted(place.tolist()) == list(range(layout.size))
    assert sorted(place[:len(program.leaves)].tolist()) == list(range(len(program.leaves)))
    plan = compile_plan(layout, program.root, program.n_inputs)
    assert place[program.root] == plan.root and plan.size == layout.size


def test_places_read_runs_as_views_and_add_every_repeat():
    arr = np.arange(20.0)
    backwards = Places(np.arange(15, 5, -1))
    assert type(backwards.index) is slice and str(backwards) == "p15:5:-1"
    assert np.shares_memory(backwards.reader(arr)(), arr)
    block = Places(np.arange(0, 12, 2).reshape(3, 2))  # a strided run, as a block: still a view
    assert np.shares_memory(block.reader(arr)(), arr) and block.reader(arr)().tolist() == [[0, 2], [4, 6], [8, 10]]
    block.adder(arr)(np.array([100.0, 1000.0]))
    assert arr[[0, 2, 4, 10]].tolist() == [100.0, 1002.0, 104.0, 1010.0]
    repeated = Places(np.array([3, 3, 7]))
    assert repeated.repeats and str(repeated) == "p[3 3 7]"
    repeated.adder(arr)(np.array([1.0, 2.0, 4.0]))
    assert (arr[3], arr[7]) == (6.0, 11.0)


# -- the plan, printed ------------------------------------------------------------------------------------

def test_the_printed_plan_of_a_batch_is_one_line_per_group_with_place_ranges_and_sizes():
    tape = Tape(layer_batch(20, [2, 4, 4, 1]))
    text = str(tape)
    assert repr(tape) == text
    lines = text.splitlines()
    assert lines[0].startswith("{ lambda p0:") and lines[-1] == f"  in p{tape.plan.root} }}"
    assert len(lines) == len(tape.plan.kernels) + 2
    assert text.count("matmul-layer weighted_sum") == 3
    assert "# 20×4 grid" in text and "# 20×1 grid" in text and "# 80 nodes" in text
    assert re.search(r"= relu p\d+:\d+ +# 80 nodes", text)
    for line in lines[1:-1]:  # every output range holds as many slots as the group has nodes
        out, note = re.match(r"  (p\d+(?::\d+)?) = .*# (.*)$", line).groups()
        start, _, stop = out[1:].partition(":")
        width = int(stop) - int(start) if stop else 1
        grid = re.match(r"(\d+)×(\d+) grid", note)
        assert width == (int(grid[1]) * int(grid[2]) if grid else int(note.split()[0])), line


def test_the_moons_step_prints_every_group_on_a_screen():
    tape = Tape(layer_batch(100, [2, 16, 16, 1]))
    text = str(tape)
    assert "more groups" not in text and len(text.splitlines()) < 40
    assert "# 100×16 grid" in text and "# 1600 nodes" in text


def test_a_long_plan_is_shortened():
    h = Value(0.5)
    for _ in range(100):
        h = (h * 0.9).tanh()
    text = str(Tape(h))
    assert "… 162 more groups" in text and len(text.splitlines()) == 1 + 30 + 1 + 8 + 1


def test_kernel_kinds():
    x, w = Value(0.3), Value(-0.7)
    tape = Tape(x * x + weighted_sum([w, x], [x, w], 1.0) + sum_of([x, w, x]))
    kinds = {type(k) for k in tape.plan.kernels}
    assert {Elementwise, WeightedSums, Sums} <= kinds and MatmulLayer not in kinds
    assert isinstance(tape.program, Program)


def test_a_block_with_constant_steps_is_a_view_for_reading_and_adding():
    where = np.array([[10, 13, 16, 19], [9, 12, 15, 18]])  # e.g. the terms of 4 sums, the second term first
    slots = Places(where)
    arr = np.arange(30.0)
    view = slots.view(arr)
    assert view is not None and np.shares_memory(view, arr)
    assert (view == arr[where]).all() and (slots.reader(arr)() == arr[where]).all()
    slots.adder(arr)(np.full((2, 4), 100.0))
    assert (arr[where] == where + 100.0).all() and arr[11] == 11.0
    assert Places(np.array([[1, 2], [2, 4]])).view(arr) is None  # not a grid, and a repeat: gathered


# -- first_writes: a gradient's first write is assigned -----------------------------------------------------

class _Compiled:
    """A root's plan compiled by the passes, with or without first_writes, run over arrays of its own."""

    def __init__(self, root, with_first_writes):
        program = fold_sums(record(root))
        layout = lay_out(program, rewrite_layers(batch(program, float_forms(program))))
        plan = compile_plan(layout, program.root, program.n_inputs)
        self.plan = first_writes(plan) if with_first_writes else plan
        self.vals, self.grads = np.empty(plan.size), np.zeros(plan.size)
        self.vals[layout.place] = [v.data for v in program.nodes]

    def forward(self):
        self.plan.forward(self.vals, self.grads)
        return float(self.vals[self.plan.root])

    def gradient(self):
        for run in self.plan.zeroed:
            self.grads[run] = 0.0
        self.grads[self.plan.root] = 1.0
        self.plan.backward(self.vals, self.grads)
        self.grads[:self.plan.n_leaves] += 0.0
        return self.grads


def without_first_writes(build):
    """``build()`` compiled without the first_writes pass: every gradient added up from a zero."""
    return _Compiled(build(), with_first_writes=False)


def test_first_writes_assign_where_no_kernel_wrote_before_and_zero_the_rest():
    tape = Tape(layer_batch(10, [2, 4, 4, 1]))
    plan = tape.plan
    layers = [k for k in plan.kernels if isinstance(k, MatmulLayer)]
    relus = [k for k in plan.kernels if k.op.name == "relu" and k.stop - k.start > 1]
    assert [k.A.first for k in layers] == [True, True, True]  # the inputs, then the relus' outputs: read once
    assert any(k.W.first for k in layers)  # the weights of a layer placed after the l2 term: it adds its part later
    assert all(k.rows[0].first for k in relus)  # a layer's outputs: read by their relu only
    assert plan.assigns_leaves
    written = np.zeros(plan.size, dtype=bool)
    written[plan.root] = True
    zeroed = np.zeros(plan.size, dtype=bool)
    for run in plan.zeroed:
        zeroed[run] = True
    for kernel in reversed(plan.kernels):  # replay the backward pass's writes
        for block in kernel.targets():
            at = block.flat(plan.size)
            if block.first:
                assert not written[at].any() and not block.repeats
            else:
                assert (zeroed[at] | written[at]).all()  # every slot it adds to holds a number already
            written[at] = True
    assert zeroed[plan.root] and (zeroed | written).all()
    # The same numbers as adding every gradient to a zero, and again on a second call (nothing left over).
    plain = without_first_writes(lambda: layer_batch(10, [2, 4, 4, 1]))
    assert all(not b.first for k in plain.plan.kernels for b in k.targets())
    assert plain.plan.zeroed == (slice(None),)
    assert tape.forward() == plain.forward()
    expected = plain.gradient().copy()
    for _ in range(2):
        got = tape.gradient()
        assert (got == expected).all()
        assert got[:plan.n_leaves].tobytes() == expected[:plan.n_leaves].tobytes()  # bit for bit, signs of 0 too


def test_a_slot_with_two_readers_is_assigned_by_the_first_write_and_added_to_by_the_second():
    xs = [Value(0.25 * i - 3.0) for i in range(12)]
    ys = [Value(1.5 - 0.125 * i) for i in range(12)]

    def build(xs, ys):
        hs = [x * 3.0 for x in xs]
        return sum_of([h * y for h, y in zip(hs, ys)]) + sum_of(hs), hs  # every h gets two contributions

    root, hs = build(xs, ys)
    tape = Tape(root)
    h_blocks = [b for k in tape.plan.kernels for b in k.targets() if tape.place(hs[0]) in b.flat(tape.plan.size)]
    assert sorted(b.first for b in h_blocks) == [False, True]
    fresh_xs, fresh_ys = [Value(x.data) for x in xs], [Value(y.data) for y in ys]
    eager_root, _ = build(fresh_xs, fresh_ys)
    eager_root.backward()
    assert tape.forward() == eager_root.data
    tape.backward()
    assert [v.grad for v in xs + ys] == [v.grad for v in fresh_xs + fresh_ys]  # two terms each: exactly eager's


@pytest.mark.parametrize("n", [1, 20])  # one node (on floats), or a group (on arrays)
def test_a_leaf_whose_first_write_is_minus_zero_gets_eagers_plus_zero(n):
    import math

    def build(xs, ys):
        return -sum_of([x * y for x, y in zip(xs, ys)]) if n > 1 else -(xs[0] * ys[0])

    xs, ys = [Value(0.5 + i) for i in range(n)], [Value(0.0) for _ in range(n)]
    tape = Tape(build(xs, ys))
    assert tape.plan.assigns_leaves
    fresh = [Value(0.5 + i) for i in range(n)]
    build(fresh, [Value(0.0) for _ in range(n)]).backward()
    assert [math.copysign(1.0, x.grad) for x in fresh] == [1.0] * n  # 0.0 + (−1)·0.0 = +0.0
    tape.forward()
    grads = tape.gradient()
    got = [float(grads[tape.place(x)]) for x in xs]
    assert got == [0.0] * n and [math.copysign(1.0, g) for g in got] == [1.0] * n  # y·g = −0.0, made +0.0


# -- the kernels' ways of adding: left to right, whatever the shape -----------------------------------------

@pytest.mark.parametrize("n_nodes", [5, 150])  # below and above ACCUMULATE_BELOW: accumulate down, or row by row
def test_many_sums_of_a_few_terms_add_left_to_right(n_nodes):
    from autograd_nn.engine.arithmetic import ACCUMULATE_BELOW

    rng = np.random.default_rng(1)
    data = (rng.standard_normal((n_nodes, 4)) * 10.0 ** rng.integers(-12, 12, (n_nodes, 4))).tolist()
    leaves = [[Value(x) for x in row] for row in data]
    zs = [sum_of(row) for row in leaves]
    tape = Tape(sum_of([z * 2.0 for z in zs]))
    (sums,) = [k for k in tape.plan.kernels if isinstance(k, Sums) and k.stop - k.start == n_nodes]
    assert sums.block.shape == (4, n_nodes) and (n_nodes >= ACCUMULATE_BELOW) == (n_nodes == 150)
    tape.forward()
    assert [tape.value(z) for z in zs] == [z.data for z in zs]  # every node: exactly eager's float


def test_sum_of_squares_of_gathered_parameters_is_one_gather_each_way_with_the_plain_kernels_numbers(monkeypatch):
    from autograd_nn.tape import SquaredSums

    rng = np.random.default_rng(2)
    order = rng.permutation(40).tolist()

    def build(ps):
        shuffled = [ps[i] for i in order]  # the l2 term reads the parameters in another order than the others
        # (the graph's order places the parameters as the first operand of the last + reads them: in order)
        return sum_of([p * (1.0 + 0.1 * i) for i, p in enumerate(ps)]) + 1e-3 * weighted_sum(shuffled, shuffled, 0.5)

    point = rng.uniform(-2, 2, 40).tolist()
    ps = [Value(x) for x in point]
    tape = Tape(build(ps))
    (squares,) = [k for k in tape.plan.kernels if isinstance(k, SquaredSums)]
    assert type(squares.w.index) is not slice and "weighted_sum w=a=p[" in str(tape)
    with monkeypatch.context() as m:
        m.setattr(SquaredSums, "fits", staticmethod(lambda w, a: False))
        plain = Tape(build(ps))
    assert not any(isinstance(k, SquaredSums) for k in plain.plan.kernels)
    for x in (point, [2 * v for v in point]):
        for p, v in zip(ps, x):
            p.data = v
        assert tape.forward() == plain.forward() == build([Value(v) for v in x]).data  # eager's order: exact
        assert tape.gradient()[:40].tobytes() == plain.gradient()[:40].tobytes()


@pytest.mark.parametrize("first", [True, False])
def test_a_product_of_a_gathered_row_with_itself_is_one_gather_each_way_with_the_plain_kernels_numbers(
        monkeypatch, first):
    rng = np.random.default_rng(3)
    some = rng.permutation(30)[:15].tolist()  # 15 of the 30 hs: slots in no constant step, whatever the order

    def build(xs):
        hs = [x - 1.0 for x in xs]
        squares = [hs[i] * hs[i] for i in some]
        # hs[:10] read by another kernel first (hs placed as it reads them: the squares gather theirs), whose
        # backward runs after the squares' (theirs then writes first); or also by a kernel after the squares', whose
        # backward runs before theirs (as the walk visits it before them: the root's last operand)
        readers = sum_of([h + 0.5 for h in hs[:10]]) + sum_of(squares)
        return readers if first else readers + sum_of([h - 0.5 for h in hs[:10]])

    point = rng.uniform(-2, 2, 30).tolist()
    xs = [Value(x) for x in point]
    tape = Tape(build(xs))
    (square,) = [k for k in tape.plan.kernels if isinstance(k, Elementwise) and k.one_gather()]
    assert type(square.rows[0].index) is not slice and square.rows[0].first == first
    with monkeypatch.context() as m:
        m.setattr(Elementwise, "one_gather", lambda self: False)
        plain = Tape(build(xs))
    assert tape.forward() == plain.forward() == build([Value(v) for v in point]).data
    assert tape.gradient().tobytes() == plain.gradient().tobytes()
