"""race: the project's optimizers stepping on one 2-D surface f(x, y) from one start.

Every optimizer gets its own two leaves x and y at the start and takes ``steps`` steps, each exactly the loop a
user writes: ``opt.zero_grad(); C = f(x, y); C.backward(); opt.step()``. So a trajectory is the optimizer's own
arithmetic (autograd_nn.optim: SGD, SGD with momentum, Adam) on the engine's gradients, nothing re-derived.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from ..engine import DomainError, Value
from ..optim import SGD, Adam, Optimizer
from ..viz.render import display_text
from ..viz.steps import SLIDER_CONTROLS, SLIDER_PAGE_STYLE, SLIDER_SCRIPT
from .figures import new_figure, save
from .surfaces import SURFACES, Surface

MOMENTUM = 0.9  # the "momentum" optimizer: SGD with μ = 0.9
OPTIMIZERS: dict[str, Callable[[list[Value], float], Optimizer]] = {
    "sgd": lambda params, lr: SGD(params, lr=lr),
    "momentum": lambda params, lr: SGD(params, lr=lr, momentum=MOMENTUM),
    "adam": lambda params, lr: Adam(params, lr=lr),
}
DEFAULT_LR = {"sgd": 0.01, "momentum": 0.01, "adam": 0.05}  # for a function that is not a named surface
COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown", "tab:pink", "tab:cyan")
DEFAULT_STEPS = 200
MAX_STEPS = 100_000
GRID = 200  # the contours are drawn from GRID × GRID values of f


@dataclass(frozen=True)
class Trajectory:
    """One optimizer's run: ``points`` (x, y) from the start (steps + 1 of them, fewer if it stopped), ``values``
    f at each point, and ``stopped``: why it stopped early (a step refused, f undefined), or None."""

    name: str
    optimizer: str
    points: tuple[tuple[float, float], ...]
    values: tuple[float, ...]
    stopped: str | None = None

    @property
    def final(self) -> tuple[float, float]:
        return self.points[-1]


def _describe(opt: Optimizer) -> str:
    if isinstance(opt, SGD):
        return f"SGD(lr={opt.lr:g}" + (f", momentum={opt.momentum:g}" if opt.momentum else "") + ")"
    if isinstance(opt, Adam):
        return f"Adam(lr={opt.lr:g})"
    return f"{type(opt).__name__}(lr={opt.lr:g})"


def _evaluate(f: Callable[[Value, Value], Any], x: Value, y: Value) -> Value:
    out = f(x, y)
    if type(out) is not Value:
        raise TypeError(f"race: f(x, y) must return a Value computed from x and y, got {type(out).__name__} {out!r}")
    return out


def run(f: Callable[[Value, Value], Any], start: tuple[float, float], make: Callable[[list[Value]], Optimizer],
        steps: int, name: str = "") -> Trajectory:
    """One trajectory: x, y = Value(start); then ``steps`` times zero_grad(), C = f(x, y), backward(), step().
    Stops early, saying why, when f is undefined at a point (a DomainError) or a step is refused (a
    FloatingPointError: the update would not be finite)."""
    x, y = Value(float(start[0]), label="x"), Value(float(start[1]), label="y")
    opt = make([x, y])
    if not isinstance(opt, Optimizer):
        raise TypeError(f"race: the optimizer factory for {name!r} must return an autograd_nn.optim optimizer, "
                        f"got {type(opt).__name__}")
    points, values = [(x.data, y.data)], []
    stopped = None
    for k in range(steps):
        try:
            out = _evaluate(f, x, y)
        except DomainError as exc:
            if k == 0:
                raise ValueError(f"race: f is undefined at the start {start} ({exc})") from None
            stopped = f"f could not be computed at step {k} ({exc})"
            break
        values.append(out.data)
        opt.zero_grad()
        try:
            out.backward()
            opt.step()
        except (DomainError, FloatingPointError) as exc:
            stopped = f"step {k + 1} refused ({exc})"
            break
        points.append((x.data, y.data))
    else:
        try:
            values.append(_evaluate(f, x, y).data)
        except DomainError as exc:
            stopped = f"f could not be computed at the last point ({exc})"
    if len(values) < len(points):
        points = points[:len(values)]
    return Trajectory(name, _describe(opt), tuple(points), tuple(values), stopped)


@dataclass(frozen=True)
class Race:
    """race's result: the surface (``name``, ``formula``, ``f``), the ``start``, the ``window`` drawn and one
    Trajectory per optimizer. ``plot()`` draws them over the contours, ``animate(path)`` writes a page with a
    slider over the steps; ``str()`` says where each one ended."""

    name: str
    formula: str
    f: Callable[[Any, Any], Any]
    start: tuple[float, float]
    steps: int
    trajectories: tuple[Trajectory, ...]
    window: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...] = ()

    def __str__(self) -> str:
        lines = [f"race on {self.name}: f = {self.formula}, from {self.start}, {self.steps} steps"]
        for t in self.trajectories:
            (x, y), v = t.final, t.values[-1]
            end = f"ends at ({x:.6g}, {y:.6g}) with f = {v:.6g} after {len(t.points) - 1} steps"
            lines.append(f"  {t.name} [{t.optimizer}]: {end}" + (f"; {t.stopped}" if t.stopped else ""))
        return "\n".join(lines)

    def __getitem__(self, name: str) -> Trajectory:
        for t in self.trajectories:
            if t.name == name:
                return t
        raise KeyError(f"Race: no optimizer {name!r}; the race has {[t.name for t in self.trajectories]}")

    def surface(self, resolution: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X, Y, Z) over the window: Z = f on a resolution × resolution grid, NaN where f is undefined."""
        (x0, x1), (y0, y1) = self.window
        gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        return gx, gy, _values_on(self.f, gx, gy)

    def _draw_contours(self, ax: Any) -> None:
        gx, gy, z = self.surface()
        levels = _levels(z)
        ax.contourf(gx, gy, z, levels=levels, cmap="Greys_r", alpha=0.35)
        ax.contour(gx, gy, z, levels=levels, colors="#444444", linewidths=0.5, alpha=0.8)
        for mx, my in self.minima:
            ax.plot([mx], [my], marker="*", color="gold", markeredgecolor="black", markersize=14, zorder=5)
        ax.plot([self.start[0]], [self.start[1]], marker="o", color="white", markeredgecolor="black",
                markersize=7, zorder=5)
        (x0, x1), (y0, y1) = self.window
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x")
        ax.set_ylabel("y")

    def plot(self, path: str | Path | None = None) -> Figure:
        """Left: the trajectories over f's contours (the start a white dot, a minimum a star); right: f at each
        step (log scale when f stays positive, symmetric log when it goes far below 0). Saved to ``path`` (.png,
        .svg, .pdf) when given; returns the Figure."""
        fig = new_figure(12, 5.2)
        surface, curve = fig.subplots(1, 2, width_ratios=[1.25, 1])
        self._draw_contours(surface)
        for t, c in zip(self.trajectories, COLOURS * len(self.trajectories)):
            xs, ys = zip(*t.points)
            surface.plot(xs, ys, color=c, lw=1.6, marker="o", markersize=2, label=f"{t.name}: {t.optimizer}")
            surface.plot([xs[-1]], [ys[-1]], marker="X", color=c, markeredgecolor="black", markersize=9, zorder=6)
            curve.plot(range(len(t.values)), t.values, color=c, lw=1.6, label=t.name)
        surface.legend(fontsize=8, loc="best")
        surface.set_title(f"{self.name}: f = {self.formula}")
        values = [v for t in self.trajectories for v in t.values]
        if min(values) > 0:
            curve.set_yscale("log")
        elif max(map(abs, values)) > 100.0:  # f falls without end (a saddle): sign and size both show
            curve.set_yscale("symlog", linthresh=1.0)
        curve.set_xlabel("step")
        curve.set_ylabel("f(x, y)")
        curve.set_title(f"f along each trajectory ({self.steps} steps from {self.start})")
        curve.grid(alpha=0.3, which="both")
        curve.legend(fontsize=8)
        if path is not None:
            save(fig, path, "Race.plot")
        return fig

    def animate(self, path: str | Path, title: str | None = None) -> Path:
        """Write ONE self-contained HTML page (the contours as an inline PNG, the trajectories as inline SVG, no
        URL): a slider, previous/next buttons and the arrow keys (Home, End) move every optimizer to step k and
        the caption gives each one's (x, y) and f there."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"Race.animate: the file name {str(path)!r} must end in .html")
        heading = display_text(title if title is not None else f"Optimizers racing on {self.name}", 200)
        path.write_text(_page(self, heading), encoding="utf-8")
        return path


def _values_on(f: Callable[[Any, Any], Any], gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """f on the grid: one call on the arrays when f takes arrays (arithmetic and the engine's ops do), else one
    call per point; NaN where f is undefined (a blank in the contours)."""
    try:
        with np.errstate(all="ignore"):
            z = np.asarray(f(gx, gy), dtype=float)
        if z.shape == gx.shape:
            return np.where(np.isfinite(z), z, np.nan)
    except (ArithmeticError, ValueError, TypeError):
        pass
    z = np.full(gx.shape, np.nan)
    for index in np.ndindex(gx.shape):
        try:
            out = f(Value(float(gx[index])), Value(float(gy[index])))
            z[index] = out.data if type(out) is Value else float(out)
        except (ArithmeticError, ValueError):
            continue
    return z


def _levels(z: np.ndarray) -> np.ndarray:
    """Contour levels: log-spaced when f is positive over the window (valleys show), else evenly spaced."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.linspace(0.0, 1.0, 2)
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return np.linspace(lo - 1.0, hi + 1.0, 3)
    if lo >= 0.0:
        floor = max(lo, hi * 1e-6, 1e-12)
        if floor > lo:  # the lowest contour at the minimum, then evenly spaced in log
            return np.concatenate([[lo], np.geomspace(floor * 1.0001, hi, 28)])
        return np.geomspace(floor, hi, 28)
    return np.linspace(lo, hi, 28)


def _window(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    out = []
    for lo, hi in ((min(xs), max(xs)), (min(ys), max(ys))):
        pad = max(0.15 * (hi - lo), 0.5)
        out.append((lo - pad, hi + pad))
    return out[0], out[1]


def _optimizers(optimizers: Sequence[str] | Mapping[str, Callable[[list[Value]], Optimizer]],
                lr: float | Mapping[str, float] | None, surface: Surface | None
                ) -> list[tuple[str, Callable[[list[Value]], Optimizer]]]:
    made: list[tuple[str, Callable[[list[Value]], Optimizer]]] = []
    if isinstance(optimizers, Mapping):
        if lr is not None:
            raise ValueError("race: lr= is for named optimizers; a factory sets its own learning rate")
        for name, make in optimizers.items():
            if not callable(make):
                raise TypeError(f"race: optimizers[{name!r}] must be a function params -> optimizer, "
                                f"got {type(make).__name__}")
            made.append((str(name), make))
        return made
    if isinstance(optimizers, (str, bytes)) or not isinstance(optimizers, Sequence) or not optimizers:
        raise ValueError(f"race: optimizers must be a non-empty list of names from {list(OPTIMIZERS)} or a "
                         f"mapping name -> function(params) -> optimizer, got {optimizers!r}")
    rates = surface.lr if surface is not None else DEFAULT_LR
    for name in optimizers:
        if name not in OPTIMIZERS:
            raise ValueError(f"race: unknown optimizer {name!r}; expected one of {list(OPTIMIZERS)}")
        rate = lr.get(name, rates[name]) if isinstance(lr, Mapping) else rates[name] if lr is None else lr
        made.append((name, _bound(OPTIMIZERS[name], rate)))
    return made


def _bound(build: Callable[[list[Value], float], Optimizer], rate: float) -> Callable[[list[Value]], Optimizer]:
    return lambda params: build(params, rate)


def _start(start: Any) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise TypeError(f"race: start must be a pair of numbers (x, y), got {start!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"race: start must be finite, got {start!r}")
    return x, y


def race(f: str | Callable[[Value, Value], Any] = "rosenbrock", start: tuple[float, float] | None = None,
         optimizers: Sequence[str] | Mapping[str, Callable[[list[Value]], Optimizer]] = ("sgd", "momentum", "adam"),
         steps: int | None = None, *, lr: float | Mapping[str, float] | None = None,
         window: tuple[tuple[float, float], tuple[float, float]] | None = None) -> Race:
    """Race optimizers on f from one start (see the module doc).

    ``f``: a surface's name ("rosenbrock", "beale", "saddle", "bowl": see ``surfaces.SURFACES``) or a function of
    two Values returning a Value. ``start``: (x, y) and ``steps``: a named surface has its own (else ``steps`` is
DEFAULT_STEPS). ``optimizers``: names from
    OPTIMIZERS ("sgd", "momentum": SGD with μ = 0.9, "adam"), each at the surface's learning rate, or ``lr``
    (one number for all, or a mapping name -> rate); or a mapping label -> function(params) -> optimizer, e.g.
    ``{"sgd 0.01": lambda p: SGD(p, lr=0.01)}``. ``window``: ((x0, x1), (y0, y1)) drawn; by default the named
    surface's, or the trajectories' extent.
    """
    if isinstance(f, str):
        if f not in SURFACES:
            raise ValueError(f"race: unknown surface {f!r}; expected one of {list(SURFACES)} or a function of "
                             "two Values")
        surface: Surface | None = SURFACES[f]
    elif callable(f):
        surface = next((s for s in SURFACES.values() if s.f is f), None)
    else:
        raise TypeError(f"race: f must be a surface name or a function of two Values, got {type(f).__name__}")
    if start is None:
        if surface is None:
            raise ValueError("race: give start=(x, y) for a function of your own")
        start = surface.start
    begin = _start(start)
    if steps is None:
        steps = surface.steps if surface is not None else DEFAULT_STEPS
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"race: steps must be an integer from 1 to {MAX_STEPS:,}, got {steps!r}")
    fn = surface.f if surface is not None else f
    assert callable(fn)
    trajectories = tuple(run(fn, begin, make, int(steps), name) for name, make in _optimizers(optimizers, lr, surface))
    if window is None:
        window = surface.window if surface is not None else _window([p for t in trajectories for p in t.points])
    name = surface.name if surface is not None else getattr(f, "__name__", "f")
    formula = surface.formula if surface is not None else name + "(x, y)"
    return Race(name, formula, fn, begin, int(steps), trajectories, window, surface.minima if surface else ())


# -- the page ---------------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 760, 600  # the picture, in pixels
AXES = (0.09, 0.08, 0.88, 0.86)  # the axes' left, bottom, width, height as parts of the picture

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
""" + SLIDER_PAGE_STYLE + """\
button {{ font-size: 1em; }}
#caption {{ margin: 0.4em 0 0; font-size: 0.95em; }}
#caption li {{ list-style: none; }}
.swatch {{ display: inline-block; width: 1.6em; height: 0.35em; vertical-align: middle; margin-right: 0.4em; }}
.picture {{ position: relative; width: {width}px; height: {height}px; margin-top: 0.6em; }}
.picture img, .picture svg {{ position: absolute; left: 0; top: 0; }}
</style></head><body>
<header>
<h2>{title}</h2>
<p class="help">f = {formula}, from ({x0}, {y0}). Each optimizer takes the same steps a training loop does
(zero_grad, f(x, y), backward, step); the line is its path so far, the dot where it is at step k.
Keys: &larr; &rarr; (Home, End).</p>
""" + SLIDER_CONTROLS + """<ul id="caption"></ul>
</header>
<div class="picture"><img alt="contours of f" width="{width}" height="{height}" src="data:image/png;base64,{png}">
<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<defs><clipPath id="axes"><rect x="{ax}" y="{ay}" width="{aw}" height="{ah}"/></clipPath></defs>
<g clip-path="url(#axes)">{paths}</g></svg></div>
<script>
const runs = {runs};
const slider = document.getElementById('slider');
const last = {last};
function show(k) {{
  k = Math.max(0, Math.min(last, k));
  slider.value = k;
  const items = [];
  runs.forEach((r, i) => {{
    const j = Math.min(k, r.px.length - 1);
    document.getElementById('path' + i).setAttribute('points', r.px.slice(0, j + 1).map(p => p.join(',')).join(' '));
    const dot = document.getElementById('dot' + i);
    dot.setAttribute('cx', r.px[j][0]);
    dot.setAttribute('cy', r.px[j][1]);
    const at = r.xy[j];
    let text = r.name + ' [' + r.optimizer + ']: (' + at[0] + ', ' + at[1] + '), f = ' + r.f[j];
    if (j < k) text += ' (stopped at step ' + j + (r.stopped ? ': ' + r.stopped : '') + ')';
    items.push('<li><span class="swatch" style="background:' + r.colour + '"></span>' + escape(text) + '</li>');
  }});
  document.getElementById('caption').innerHTML = items.join('');
  document.getElementById('counter').textContent = 'step ' + k + ' of ' + last;
}}
function escape(s) {{
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}}
""" + SLIDER_SCRIPT + """show(0);
</script></body></html>
"""


def _background(r: Race) -> str:
    """The contours (start, minima, axes) as a base64 PNG whose axes fill AXES of WIDTH × HEIGHT pixels."""
    fig = Figure(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
    ax = fig.add_axes(AXES)
    r._draw_contours(ax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _page(r: Race, title: str) -> str:
    (x0, x1), (y0, y1) = r.window
    left, bottom, w, h = AXES
    ax, aw, ah = left * WIDTH, w * WIDTH, h * HEIGHT
    ay = HEIGHT - (bottom + h) * HEIGHT

    def pixel(p: tuple[float, float]) -> list[float]:
        # clamped far outside the window, so that a run that left it still draws (clipped) and SVG gets numbers
        px = ax + (p[0] - x0) / (x1 - x0) * aw
        py = ay + (1.0 - (p[1] - y0) / (y1 - y0)) * ah
        return [round(min(max(px, -1e5), 1e5), 2), round(min(max(py, -1e5), 1e5), 2)]

    runs, paths = [], []
    for i, (t, c) in enumerate(zip(r.trajectories, COLOURS * len(r.trajectories))):
        colour = to_hex(c)
        runs.append({"name": t.name, "optimizer": t.optimizer, "colour": colour, "stopped": t.stopped or "",
                     "px": [pixel(p) for p in t.points], "xy": [[f"{p[0]:.5g}", f"{p[1]:.5g}"] for p in t.points],
                     "f": [f"{v:.5g}" for v in t.values]})
        paths.append(f'<polyline id="path{i}" fill="none" stroke="{colour}" stroke-width="2" points=""/>'
                     f'<circle id="dot{i}" r="5" fill="{colour}" stroke="black" stroke-width="1"/>')
    data = json.dumps(runs).replace("</", "<\\/")  # no "</script>" inside the script
    return PAGE.format(title=html.escape(title), formula=html.escape(r.formula), x0=f"{r.start[0]:g}",
                       y0=f"{r.start[1]:g}", last=r.steps, width=WIDTH, height=HEIGHT, png=_background(r),
                       ax=f"{ax:.2f}", ay=f"{ay:.2f}", aw=f"{aw:.2f}", ah=f"{ah:.2f}", paths="".join(paths), runs=data)
