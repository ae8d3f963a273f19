"""compare_with_torch: the engine's values, first and second derivatives against PyTorch's, as gradcheck rows.

Skips without torch, except in CI (CI=true), where the [torch] extra is installed and these must run.
"""

import math
import os

import numpy as np
import pytest

from autograd_nn import Value, define_op
from autograd_nn.engine import FUNCTIONS
from autograd_nn.testing import compare_with_torch, format_comparison, format_table
from autograd_nn.testing.torch_compare import TORCH_COUNTERPARTS, ops

if os.environ.get("CI", "").lower() == "true":
    import torch  # CI installs the [torch] extra: a missing torch is a failure there, never a skip
else:
    torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install -e ".[torch]")')

TOL = 1e-12


def _largest_difference(rows):
    return max(r["abs_err"] for r in rows)


def test_every_public_op_of_the_table_has_a_torch_counterpart():
    assert sorted(FUNCTIONS) == sorted(TORCH_COUNTERPARTS)
    assert set(vars(ops)) == set(FUNCTIONS) | {"weighted_sum", "sum_of"}


def test_ops_dispatch_by_type():
    assert ops.tanh(0.5) == math.tanh(0.5)                       # a float: the engine's function on floats
    v = ops.tanh(Value(0.5))
    assert type(v) is Value and v.op.name == "tanh"             # a Value: a recorded node
    t = ops.tanh(torch.tensor(0.5, dtype=torch.float64, requires_grad=True))
    assert isinstance(t, torch.Tensor) and t.grad_fn is not None  # a tensor: PyTorch's
    assert isinstance(ops.maximum(1.0, torch.tensor(2.0, dtype=torch.float64)), torch.Tensor)
    assert isinstance(ops.weighted_sum([1.0], [torch.tensor(2.0, dtype=torch.float64)], 0.5), torch.Tensor)
    assert type(ops.sum_of([Value(1.0), 2.0])) is Value


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_op_agrees_with_torch_to_second_order(name):
    op = FUNCTIONS[name]
    rng = np.random.default_rng(sorted(FUNCTIONS).index(name))
    lo, hi = op.sample
    fn = getattr(ops, name)
    for _ in range(20):
        point = [float(v) for v in rng.uniform(lo, hi, op.arity or 1)]
        # times a second input so the second derivatives are not all zero; +0.3 keeps log's argument inside
        rows = compare_with_torch(lambda *xs: fn(*xs[:-1]) * xs[-1] + xs[0] * xs[-1], [*point, 0.3 + rng.random()],
                                  order=2)
        assert all(r["ok"] for r in rows), format_comparison(rows)
        assert _largest_difference(rows) <= TOL, format_comparison(rows)


def test_kinks_and_ties_follow_the_same_conventions():
    rows = compare_with_torch(lambda x, y: ops.relu(x) + ops.absolute(x) + ops.maximum(x, y) + ops.minimum(y, x),
                              [0.0, 0.0])
    assert [r["analytic"] for r in rows] == [r["numeric"] for r in rows] == [0.0, 1.0, 1.0]


def test_composite_functions():
    def neuron(w1, w2, b, a1, a2):
        z = ops.weighted_sum([w1, w2], [a1, a2], b)
        return 0.5 * (ops.sigmoid(z) - 1.0) ** 2

    def cross_entropy(z0, z1, z2):  # log-sum-exp − z₁, written out
        m = ops.maximum(ops.maximum(z0, z1), z2)
        return ops.log(ops.sum_of([ops.exp(z0 - m), ops.exp(z1 - m), ops.exp(z2 - m)])) + m - z1

    def mixed(x, y):
        return (x * y - y / (1 + x ** 2)).tanh() + ops.sqrt(x ** 2 + 1) * ops.softplus(-3 * y) + abs(x - y) ** 1.5

    rng = np.random.default_rng(5)
    for f, n in [(neuron, 5), (cross_entropy, 3), (mixed, 2)]:
        for _ in range(10):
            rows = compare_with_torch(f, rng.normal(0, 2, n).tolist(), order=2)
            assert all(r["ok"] for r in rows), format_comparison(rows)
            assert _largest_difference(rows) <= TOL, format_comparison(rows)


def test_softplus_is_exact_far_out():
    # torch.nn.functional.softplus returns x itself past 20; log(1 + eˣ) is 2e-9 more at 20.
    rows = compare_with_torch(lambda x: ops.softplus(x), [20.0])
    assert rows[0]["analytic"] > 20.0 and rows[0]["abs_err"] <= TOL


def test_a_wrong_derivative_shows_as_fail_with_torch_as_the_reference():
    bad_sin = define_op("bad_sin_torch_compare", math.sin, lambda x, out: -math.cos(x))  # sign slip
    rows = compare_with_torch(lambda x, y: (bad_sin(x) if isinstance(x, Value) else torch.sin(x)) * y, [0.5, 2.0])
    assert [r["ok"] for r in rows] == [True, False, True]
    assert rows[1]["numeric"] == pytest.approx(2 * math.cos(0.5)) and rows[1]["analytic"] == pytest.approx(
        -2 * math.cos(0.5))
    text = format_comparison(rows)
    assert text.splitlines()[0].split() == ["input", "value", "engine", "torch", "abs", "err", "rel", "err"]
    assert "FAIL" in text.splitlines()[2]
    # the same rows print with gradcheck's table too: only the two headings differ
    assert format_table(rows).splitlines()[1:] == text.splitlines()[1:]


def test_constant_functions_have_zero_derivatives_on_both_sides():
    rows = compare_with_torch(lambda x, y: ops.step(x) + ops.lt(x, y) * 2.0 + 0.0 * y, [0.5, 1.0], order=2)
    assert [r["numeric"] for r in rows] == [3.0] + [0.0] * 6 and all(r["ok"] for r in rows)


def test_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        compare_with_torch(lambda x: x, [1.0], order=3)
    with pytest.raises(TypeError, match="must return a Value"):
        compare_with_torch(lambda x: 1.0, [1.0])
    plain = define_op("plain_torch_compare", math.sin, lambda x, out: math.cos(x))
    with pytest.raises(TypeError, match="f failed on tensors .*torch_compare.ops"):
        compare_with_torch(lambda x: plain(x), [1.0])
    with pytest.raises(TypeError, match="input 1 must be a number"):
        compare_with_torch(lambda x, y: x, [1.0, "2"])
