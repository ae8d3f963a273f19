"""lab.race: every trajectory is the optimizer stepped by hand; the picture and the page."""

import re

import pytest
from matplotlib.figure import Figure

from autograd_nn import Value
from autograd_nn.lab import SURFACES, race
from autograd_nn.optim import SGD, Adam

BY_HAND = {
    "sgd": lambda params, lr: SGD(params, lr=lr),
    "momentum": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: Adam(params, lr=lr),
}


def _by_hand(f, start, opt_of, steps):
    x, y = Value(start[0]), Value(start[1])
    opt = opt_of([x, y])
    points, values = [(x.data, y.data)], []
    for _ in range(steps):
        out = f(x, y)
        values.append(out.data)
        opt.zero_grad()
        out.backward()
        opt.step()
        points.append((x.data, y.data))
    values.append(f(x, y).data)
    return points, values


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_trajectory_equals_stepping_the_optimizer_by_hand(name):
    surface = SURFACES[name]
    result = race(name, steps=40)
    assert [t.name for t in result.trajectories] == ["sgd", "momentum", "adam"]
    for t in result.trajectories:
        points, values = _by_hand(surface.f, surface.start, lambda p, t=t: BY_HAND[t.name](p, surface.lr[t.name]), 40)
        assert list(t.points) == points and list(t.values) == values, t.name  # bit for bit
        assert t.stopped is None


def test_a_function_of_your_own_with_optimizers_of_your_own():
    def f(x, y):
        return (x - 1.0) ** 2 + 3.0 * (y + 2.0) ** 2 + (x * y).tanh()

    made = {"sgd 0.05": lambda p: SGD(p, lr=0.05), "adam 0.1": lambda p: Adam(p, lr=0.1, betas=(0.8, 0.99))}
    result = race(f, start=(0.5, 0.5), optimizers=made, steps=60)
    for t in result.trajectories:
        assert list(t.points) == _by_hand(f, (0.5, 0.5), made[t.name], 60)[0]
    assert result["adam 0.1"].optimizer == "Adam(lr=0.1)"
    assert result["sgd 0.05"].values[-1] < result["sgd 0.05"].values[0]
    (x0, x1), (y0, y1) = result.window  # the trajectories' extent, padded
    assert all(x0 < x < x1 and y0 < y < y1 for t in result.trajectories for x, y in t.points)


def test_one_learning_rate_or_one_per_optimizer():
    result = race("bowl", optimizers=["sgd", "adam"], steps=5, lr={"adam": 0.01})
    assert [t.optimizer for t in result.trajectories] == ["SGD(lr=0.035)", "Adam(lr=0.01)"]
    result = race("bowl", optimizers=["momentum"], steps=5, lr=0.02)
    assert result.trajectories[0].optimizer == "SGD(lr=0.02, momentum=0.9)"


def test_a_run_that_diverges_stops_and_says_why():
    result = race("rosenbrock", optimizers=["sgd"], steps=100, lr=0.01)
    t = result["sgd"]
    assert t.stopped is not None and "overflow" in t.stopped
    assert len(t.points) == len(t.values) < 101
    assert "could not be computed" in str(result)


def test_str_plot_and_page(tmp_path):
    result = race("saddle", steps=30)
    assert str(result).splitlines()[0] == "race on saddle: f = x² − y², from (-1.5, 0.01), 30 steps"
    fig = result.plot(tmp_path / "race.svg")
    assert isinstance(fig, Figure) and len(fig.axes) >= 2
    assert fig.axes[1].get_yscale() == "symlog"  # f falls without end on a saddle
    assert (tmp_path / "race.svg").read_text().lstrip().startswith("<?xml")
    page = result.animate(tmp_path / "race.html").read_text(encoding="utf-8")
    assert 'type="range"' in page and 'max="30"' in page and "data:image/png;base64," in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched
    assert page.count("<polyline") == 3
    with pytest.raises(ValueError, match="must end in .html"):
        result.animate(tmp_path / "race.png")


@pytest.mark.parametrize("args, kwargs, error, message", [
    (("himmelblau",), {}, ValueError, "unknown surface 'himmelblau'"),
    ((lambda x, y: x * y,), {}, ValueError, r"give start=\(x, y\)"),
    (("bowl",), {"steps": 0}, ValueError, "steps must be an integer from 1"),
    (("bowl",), {"optimizers": ["rmsprop"]}, ValueError, "unknown optimizer 'rmsprop'"),
    (("bowl",), {"optimizers": "sgd"}, ValueError, "must be a non-empty list"),
    (("bowl",), {"start": (1.0,)}, TypeError, "start must be a pair"),
    (("bowl",), {"start": (float("inf"), 0.0)}, ValueError, "start must be finite"),
    ((lambda x, y: 3.0,), {"start": (0.0, 0.0)}, TypeError, "must return a Value"),
    ((lambda x, y: x.log() + y,), {"start": (-1.0, 0.0)}, ValueError, "f is undefined at the start"),
    ((42,), {}, TypeError, "f must be a surface name or a function"),
])
def test_bad_input_is_named(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        race(*args, **kwargs)
