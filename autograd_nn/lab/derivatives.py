"""plot_derivatives: a function of one variable beside its derivatives, each from the engine's ``grad``.

At every point x the expression is built on a leaf X = Value(x); f′ = grad(f, X, create_graph=True) is a Value
whose own graph records how it was computed, so f″ = grad(f′, X) and so on. Where the op table says an op of f's
graph is at a kink or a domain edge (its ``edge`` distance is 0), the derivatives are undefined: those points
are NaN, so each curve has a gap there and is never drawn through it. The kinks between two sample points are
found from ``edge`` too (a local minimum of the distance, narrowed down), and added as points of their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..engine import DomainError, Value, grad, topological_order
from .figures import new_figure, save

MAX_ORDER = 4
MAX_POINTS = 20_001
PRIMES = ("", "′", "″", "‴", "⁗")
COLOURS = ("black", "tab:blue", "tab:red", "tab:green", "tab:purple")
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Mark:
    """A point where a derivative is undefined: ``x``, the op whose ``edge`` is 0 there and its ``kind``: "kink"
    (f continuous, its slope jumps), "jump" (f itself jumps) or "domain edge" (f undefined on one side or at x)."""

    x: float
    op: str
    kind: str


@dataclass(frozen=True)
class _Point:
    values: list[float]  # f, f′, …: NaN where undefined
    edges: list[tuple[str, float]]  # (op name, edge distance) for each node of f's graph whose op has an edge


def _at(expr: Callable[[Value], Any], x: float, order: int) -> _Point:
    """f and its derivatives at x (NaN where undefined), and the edge distance of every op of f's graph that has
    one."""
    leaf = Value(x, label="x")
    values = [math.nan] * (order + 1)
    try:
        out = expr(leaf)
    except DomainError:
        return _Point(values, [])
    if type(out) is not Value:
        raise TypeError(f"plot_derivatives: expr(x) must return a Value computed from x, got {type(out).__name__} "
                        f"{out!r}")
    values[0] = out.data
    edges = [(node.op.name, float(node.op.edge(*[p.data for p in node.parents])))
             for node in topological_order(out) if node.op is not None and node.op.edge is not None]
    d: Any = out
    for k in range(1, order + 1):
        try:
            d = grad(d, leaf, create_graph=k < order)
        except DomainError:
            break
        values[k] = d.data if type(d) is Value else float(d)
    return _Point(values, edges)


@dataclass(frozen=True)
class Derivatives:
    """plot_derivatives's result: the points ``x`` (sorted; the kinks found are among them), ``values[k]`` the
    k-th derivative at each (``values[0]`` is f; NaN where undefined) and the ``marks``. ``plot()`` draws them;
    ``str()`` says what was found."""

    name: str
    x: np.ndarray
    values: tuple[np.ndarray, ...]
    marks: tuple[Mark, ...]

    @property
    def order(self) -> int:
        return len(self.values) - 1

    def __str__(self) -> str:
        lo, hi = float(self.x[0]), float(self.x[-1])
        lines = [f"{self.name} on [{lo:g}, {hi:g}]: f and {self.order} derivative(s) at {len(self.x)} points, "
                 "each derivative from grad(create_graph=True)"]
        for m in self.marks:
            also = " and f" if m.kind == "jump" else ""
            lines.append(f"  {m.kind} of {m.op} at x = {_shown(m.x, lo, hi)}: the derivatives{also} are undefined "
                         "there (a gap)")
        marked = {m.x for m in self.marks}
        undefined = sum(1 for v, f in zip(self.x, self.values[0]) if math.isnan(f) and float(v) not in marked)
        if undefined:
            lines.append(f"  f is undefined at {undefined} of the points (a gap)")
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None) -> Figure:
        """One panel per function, f on top, sharing the x axis; a dashed line at each mark (labelled in the top
        panel). Saved to ``path`` (.png, .svg, .pdf) when given; returns the Figure."""
        fig = new_figure(8, 2.2 + 2.1 * (self.order + 1))
        axes = fig.subplots(self.order + 1, 1, sharex=True, squeeze=False)[:, 0]
        for k, (ax, ys) in enumerate(zip(axes, self.values)):
            label = "f(x)" if k == 0 else f"f{PRIMES[k]}(x)" if k < len(PRIMES) else f"f⁽{k}⁾(x)"
            ax.plot(self.x, ys, color=COLOURS[k % len(COLOURS)], lw=1.8)
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.axhline(0.0, color="black", lw=0.5, alpha=0.5)
            for m in self.marks:
                ax.axvline(m.x, color="tab:gray" if m.kind != "domain edge" else "tab:orange", ls="--", lw=0.9)
        top = axes[0]
        for m in self.marks:
            where = _shown(m.x, float(self.x[0]), float(self.x[-1]))
            top.annotate(f"{m.kind} of {m.op}, x = {where}", xy=(m.x, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(2, -2), textcoords="offset points", rotation=90, va="top", fontsize=8,
                         color="dimgray")
        top.set_title(f"f(x) = {self.name}", fontsize=12)
        fig.suptitle("each derivative from grad(create_graph=True); a gap where it is undefined", fontsize=9,
                     color="dimgray")
        axes[-1].set_xlabel("x")
        if path is not None:
            save(fig, path, "Derivatives.plot")
        return fig


def _shown(x: float, lo: float, hi: float) -> str:
    """A mark's x for a message or a label: 6 digits, and 0 for a point within a rounding error of 0 (the last
    float where log is defined is 5e-324)."""
    return "0" if abs(x) < 1e-12 * (hi - lo) else f"{x:.6g}"


def _golden_minimum(distance: Callable[[float], float], a: float, b: float) -> float:
    """The x in [a, b] where ``distance`` (an edge distance: |u(x) − c| for a smooth u) is smallest."""
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = distance(c), distance(d)
    for _ in range(200):
        if b - a <= 4 * math.ulp(max(abs(a), abs(b), 1e-300)):
            break
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - _GOLDEN * (b - a)
            fc = distance(c)
        else:
            a, c, fc = c, d, fd
            d = a + _GOLDEN * (b - a)
            fd = distance(d)
        if fc == 0.0:
            return c
        if fd == 0.0:
            return d
    return c if fc <= fd else d


def _ordered(v: float) -> int:
    """The float's place among all floats (an integer, increasing with v; -0.0 and 0.0 both 0)."""
    i = int(np.float64(v).view(np.int64))
    return i if i >= 0 else -(i & 0x7FFF_FFFF_FFFF_FFFF)


def _unordered(i: int) -> float:
    return float(np.int64(i if i >= 0 else (-i) | -0x8000_0000_0000_0000).view(np.float64))


def _boundary(defined: Callable[[float], bool], inside: float, outside: float) -> float:
    """The last float from ``inside`` towards ``outside`` at which f is defined: bisection over the floats
    between them (at most 64 halvings), so an edge at 0 is found as exactly as one at 1."""
    a, b = _ordered(inside), _ordered(outside)
    while abs(b - a) > 1:
        mid = (a + b) // 2
        if defined(_unordered(mid)):
            a = mid
        else:
            b = mid
    return _unordered(a)


def plot_derivatives(expr: Callable[[Value], Any], x: tuple[float, float] = (-3.0, 3.0), order: int = 2, *,
                     points: int = 401, name: str | None = None) -> Derivatives:
    """f, f′, … up to ``order`` at ``points`` evenly spaced points of ``x = (lo, hi)``, the kinks and domain
    edges marked (see the module doc). ``expr`` is a function of one Value returning a Value, such as
    ``lambda x: x.tanh() * x``; ``name`` is its title (the function's name by default). The command line passes
    its parsed expression as such a function (``autograd-nn plot "tanh(x)*x" --range -3 3``).
    """
    who = "plot_derivatives"
    if not callable(expr):
        raise TypeError(f"{who}: expr must be a function of one Value, got {type(expr).__name__} {expr!r}")
    try:
        lo, hi = (float(v) for v in x)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: x must be a range (lo, hi) of two numbers, got {x!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{who}: x = (lo, hi) must be finite with lo < hi, got {x!r}")
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        raise ValueError(f"{who}: order must be an integer from 0 to {MAX_ORDER}, got {order!r}")
    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"{who}: points must be an integer from 2 to {MAX_POINTS:,}, got {points!r}")
    if name is None:
        name = getattr(expr, "__name__", "f")
        name = "f" if name == "<lambda>" else name
    grid = [float(v) for v in np.linspace(lo, hi, points)]
    found = {v: _at(expr, v, order) for v in grid}
    if all(math.isnan(p.values[0]) for p in found.values()):
        raise ValueError(f"{who}: {name} is undefined at every point of [{lo:g}, {hi:g}]")
    marks: dict[float, Mark] = {}

    def defined(v: float) -> bool:
        return not math.isnan(_at(expr, v, 0).values[0])

    # Domain edges: where f stops being defined between two neighbours, the last defined float is a point.
    for left, right in zip(grid, grid[1:]):
        a, b = found[left].values[0], found[right].values[0]
        if math.isnan(a) != math.isnan(b):
            inside, outside = (left, right) if math.isnan(b) else (right, left)
            edge = _boundary(defined, inside, outside)  # marked, not plotted: f may be huge there (log)
            near = _at(expr, edge, 0).edges
            nearest = [op for op, d in near if d == min(dd for _, dd in near)]
            marks[edge] = Mark(edge, nearest[0] if nearest else "f", "domain edge")

    # Kinks: an op whose edge distance is 0 at a point, or has a local minimum between points that narrows to 0.
    shapes = {tuple(op for op, _ in p.edges) for p in found.values() if p.edges}
    if len(shapes) == 1:  # the same graph at every point: node j is the same op application everywhere
        (ops,) = shapes
        scale = max((d for p in found.values() for _, d in p.edges), default=0.0)
        tolerance = 1e-9 * max(scale, 1.0)
        for j, op in enumerate(ops):
            dist = [found[v].edges[j][1] if found[v].edges else math.nan for v in grid]
            for i, v in enumerate(grid):
                if dist[i] == 0.0:
                    marks.setdefault(v, Mark(v, op, "kink"))
                elif 0 < i < len(grid) - 1 and dist[i] <= dist[i - 1] and dist[i] <= dist[i + 1]:
                    def distance(t: float, j: int = j) -> float:
                        p = _at(expr, t, 0)
                        return p.edges[j][1] if len(p.edges) == len(ops) else math.inf
                    where = _golden_minimum(distance, grid[i - 1], grid[i + 1])
                    if distance(where) <= tolerance:
                        marks.setdefault(where, Mark(where, op, "kink"))
    for v, m in list(marks.items()):
        if m.kind == "kink":  # a point of its own, where every curve but a continuous f has a gap
            marks[v] = Mark(v, m.op, _kind(expr, v, lo, hi))
            found.setdefault(v, _at(expr, v, order))

    xs = sorted(found)
    table = np.array([found[v].values for v in xs], dtype=float)
    for row, v in enumerate(xs):
        if v in marks:
            table[row, 1:] = np.nan  # undefined at the mark, whatever convention the op's rule takes there
            if marks[v].kind != "kink":
                table[row, 0] = np.nan
    return Derivatives(name, np.array(xs), tuple(table[:, k].copy() for k in range(order + 1)),
                       tuple(sorted(marks.values(), key=lambda m: m.x)))


def _kind(expr: Callable[[Value], Any], x: float, lo: float, hi: float) -> str:
    """"kink" where f is continuous at x, "jump" where it jumps (or has a pole), "domain edge" where f is
    undefined at x or beside it. Continuous: on each side, f(x ± h) − f(x) is no more than f′ there times h
    (twice, and a rounding error) allows."""
    here = _at(expr, x, 1).values
    if math.isnan(here[0]):
        return "domain edge"
    h = 1e-7 * (hi - lo)
    for side in (x - h, x + h):
        f, slope = _at(expr, side, 1).values
        if math.isnan(f):
            return "domain edge"
        allowed = 2.0 * h * (abs(slope) if not math.isnan(slope) else 0.0) + 1e-9 * (1.0 + abs(here[0]))
        if abs(f - here[0]) > allowed:
            return "jump"
    return "kink"
