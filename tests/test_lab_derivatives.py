"""lab.plot_derivatives: f′ and f″ are grad's at every plotted point, with gaps exactly at the kinks."""

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from autograd_nn import Value, absolute, grad, log, relu, sqrt, step
from autograd_nn.lab import plot_derivatives

EXPRESSIONS = {
    "tanh(x)*x": (lambda x: x.tanh() * x, (-3.0, 3.0)),
    "relu(x) + abs(x - 1)": (lambda x: relu(x) + absolute(x - 1.0), (-2.0, 3.0)),
    "log(x)*x": (lambda x: log(x) * x, (-1.0, 2.0)),
    "sqrt(x)*x + x**3": (lambda x: sqrt(x) * x + x ** 3, (-0.5, 1.5)),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_f_prime_and_f_double_prime_equal_grad_at_every_plotted_point(name):
    expr, interval = EXPRESSIONS[name]
    d = plot_derivatives(expr, interval, points=301, name=name)
    f, d1, d2 = d.values
    plotted = 0
    for i, x in enumerate(d.x):
        if math.isnan(d1[i]):
            continue
        leaf = Value(float(x))
        out = expr(leaf)
        assert f[i] == out.data
        assert d1[i] == grad(out, leaf)  # the float walk: the same number, bit for bit
        assert d2[i] == grad(grad(out, leaf, create_graph=True), leaf)
        plotted += 1
    assert plotted > 150


def test_gaps_exactly_at_relus_and_abss_kinks_found_between_the_sample_points():
    expr, interval = EXPRESSIONS["relu(x) + abs(x - 1)"]
    d = plot_derivatives(expr, interval, points=400)  # neither 0 nor 1 is a sample point
    assert not np.isin([0.0, 1.0], np.linspace(-2.0, 3.0, 400)).any()
    assert [(m.op, m.kind) for m in d.marks] == [("relu", "kink"), ("abs", "kink")]
    assert [m.x for m in d.marks] == pytest.approx([0.0, 1.0], abs=1e-12)
    for k in (1, 2):
        gaps = d.x[np.isnan(d.values[k])]
        assert list(gaps) == [m.x for m in d.marks]
    assert not np.isnan(d.values[0]).any()  # f is continuous at a kink: no gap in f
    # never drawn through: no two neighbouring plotted points of f′ lie on either side of a kink
    for m in d.marks:
        for (a, b), (ya, yb) in zip(zip(d.x, d.x[1:]), zip(d.values[1], d.values[1][1:])):
            assert not (a < m.x < b and not math.isnan(ya) and not math.isnan(yb))


def test_a_kink_on_a_sample_point_is_a_gap_too():
    d = plot_derivatives(lambda x: absolute(x), (-1.0, 1.0), points=201)  # 0 is a sample point
    assert [m.x for m in d.marks] == [0.0]
    assert list(d.x[np.isnan(d.values[1])]) == [0.0]


def test_a_jump_is_a_gap_in_f_too_and_a_domain_edge_ends_f():
    d = plot_derivatives(lambda x: step(x - 0.3) + x * x, (-1.0, 1.0), points=200)
    (m,) = d.marks
    assert (m.op, m.kind) == ("step", "jump") and m.x == pytest.approx(0.3, abs=1e-12)
    assert list(d.x[np.isnan(d.values[0])]) == [m.x]
    d = plot_derivatives(lambda x: log(x), (-1.0, 2.0), order=1, points=100)
    (m,) = d.marks
    assert (m.op, m.kind) == ("log", "domain edge") and 0.0 < m.x < 1e-300
    assert np.isnan(d.values[0][d.x <= 0]).all() and not np.isnan(d.values[0][d.x > 0]).any()
    assert "domain edge of log at x = 0" in str(d)


def test_order_and_plot(tmp_path):
    d = plot_derivatives(lambda x: x ** 4, (-1.0, 1.0), order=4, points=51)
    assert len(d.values) == 5 and np.allclose(d.values[4], 24.0)
    fig = d.plot(tmp_path / "d.pdf")
    assert isinstance(fig, Figure) and len(fig.axes) == 5
    assert (tmp_path / "d.pdf").read_bytes()[:4] == b"%PDF"
    d = plot_derivatives(lambda x: x * 2.0, (0.0, 1.0), order=0, points=3)
    assert len(d.values) == 1 and list(d.values[0]) == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("args, kwargs, error, message", [
    (("x",), {}, TypeError, "expr must be a function of one Value"),
    ((lambda x: x,), {"x": (1.0, 1.0)}, ValueError, "lo < hi"),
    ((lambda x: x,), {"x": 3.0}, TypeError, r"x must be a range \(lo, hi\)"),
    ((lambda x: x,), {"order": 5}, ValueError, "order must be an integer from 0 to 4"),
    ((lambda x: x,), {"points": 1}, ValueError, "points must be an integer from 2"),
    ((lambda x: 2.0,), {}, TypeError, "must return a Value"),
    ((lambda x: log(x),), {"x": (-2.0, -1.0)}, ValueError, "undefined at every point"),
])
def test_bad_input_is_named(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_derivatives(*args, **kwargs)
