"""Named 2-D loss surfaces for :func:`~autograd_nn.lab.race`: each a function of two Values (also of floats and
numpy arrays, so its contours are one array evaluation), with a start, a window, a number of steps and a learning
rate per optimizer at which the project's SGD, momentum and Adam each make visible progress from that start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def rosenbrock(x: Any, y: Any) -> Any:
    """(1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley; the minimum 0 at (1, 1)."""
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def beale(x: Any, y: Any) -> Any:
    """(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: flat plateaus, steep walls; 0 at (3, 0.5)."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2


def saddle(x: Any, y: Any) -> Any:
    """x² − y²: a saddle point at (0, 0), downhill without end along y; a start just off y = 0 shows who escapes."""
    return x * x - y * y


def bowl(x: Any, y: Any) -> Any:
    """½ (x² + 50 y²): an ill-conditioned bowl (curvatures 1 and 50); SGD must take steps below 2/50 and then
    crawls along x, while momentum and Adam do not."""
    return 0.5 * (x * x + 50.0 * y * y)


@dataclass(frozen=True)
class Surface:
    """A named surface: ``f``, its formula, where a race starts, the window drawn (x range, y range), its minima
    (none for the saddle), the default number of steps and the default learning rate of each named optimizer."""

    name: str
    f: Callable[[Any, Any], Any]
    formula: str
    start: tuple[float, float]
    window: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...]
    steps: int
    lr: dict[str, float]


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("rosenbrock", rosenbrock, "(1 − x)² + 100 (y − x²)²", (-1.5, 2.0), ((-2.0, 2.0), (-1.0, 3.0)),
            ((1.0, 1.0),), 500, {"sgd": 1e-3, "momentum": 1e-3, "adam": 0.05}),
    Surface("beale", beale, "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", (1.0, 1.5),
            ((-1.0, 4.5), (-1.5, 2.0)), ((3.0, 0.5),), 200, {"sgd": 5e-3, "momentum": 5e-3, "adam": 0.05}),
    Surface("saddle", saddle, "x² − y²", (-1.5, 0.01), ((-2.0, 2.0), (-2.0, 2.0)), (), 60,
            {"sgd": 0.05, "momentum": 0.05, "adam": 0.05}),
    Surface("bowl", bowl, "½ (x² + 50 y²)", (-4.5, 1.0), ((-5.0, 5.0), (-1.5, 1.5)), ((0.0, 0.0),), 150,
            {"sgd": 0.035, "momentum": 0.01, "adam": 0.3}),
)}
