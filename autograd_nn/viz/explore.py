"""explore: sliders for a function's inputs; each move reruns forward and backward and redraws the graph.

In a notebook::

    from autograd_nn.viz import explore
    explore(lambda x, w, b: (w * x + b).tanh(), x=(-2, 2), w=(-3, 3), b=(-1, 1, 0.5))

shows one slider per input (``name=(low, high)`` or ``(low, high, start)``; the start defaults to the middle),
the value of f and every ∂f/∂input, the graph (data, grad and the local derivative on each edge, the paths
from the chosen input in red) and explain's chain rule for that input, one factor per op: each unlabelled
Value is named by viz.names (its sub-expression, or its number for a constant), and an unlabelled output of f
"f", in the picture and in explain alike. Nothing is written into the Values f builds or reads (a model's
parameters keep their labels, or none): a view never changes what it shows. ipywidgets is imported when explore
is called (``pip install -e ".[notebook]"``); ``import autograd_nn.viz`` does not need it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from numbers import Real
from typing import Any

from ..engine import DomainError, Value
from ..optional import require
from .explain import explain
from .graph import GraphTooLarge, draw_graph, fmt
from .render import RenderError, svg_text

ROOT_NAME = "f"  # what the picture and explain call an unlabelled output of f, as the summary does


def _widgets() -> Any:
    return require("ipywidgets", "explore")


def _check_range(name: str, spec: Any) -> tuple[float, float, float]:
    ok = isinstance(spec, (tuple, list)) and len(spec) in (2, 3) and all(
        isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in spec)
    if not ok:
        raise ValueError(f"explore: {name}={spec!r}; give each input a range (low, high) or (low, high, start) "
                         "of finite numbers")
    low, high = float(spec[0]), float(spec[1])
    start = float(spec[2]) if len(spec) == 3 else (low + high) / 2
    if not low < high or not low <= start <= high:
        raise ValueError(f"explore: {name}={spec!r}; need low < high and low <= start <= high")
    return low, high, start


class Explorer:
    """The widgets explore() shows, and what they show now.

    ``sliders`` (name → FloatSlider) and ``wrt`` (the input explain writes out) drive it: changing one's value
    recomputes at once. ``graph`` holds the SVG, ``text`` the explanation, ``summary`` f and its gradient,
    ``root`` and ``inputs`` the Values of the last run (``root`` None where f is undefined). ``widget`` is the
    whole box; a notebook displays an Explorer as it.
    """

    def __init__(self, f: Callable[..., Any], ranges: dict[str, tuple[float, float, float]], wrt: str,
                 collapse: str, force_pure: bool) -> None:
        w = _widgets()
        self.f, self.collapse, self.force_pure = f, collapse, force_pure
        self.sliders = {
            name: w.FloatSlider(value=start, min=low, max=high, step=(high - low) / 200, description=name,
                                continuous_update=False, readout_format=".3g")
            for name, (low, high, start) in ranges.items()}
        self.wrt = w.Dropdown(options=list(ranges), value=wrt, description="explain ∂f/∂")
        self.summary = w.HTML()
        self.graph = w.HTML()
        self.text = w.HTML()
        self.root: Value | None = None
        self.inputs: dict[str, Value] = {}
        self.runs = 0
        for control in (*self.sliders.values(), self.wrt):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([w.HBox([w.VBox(list(self.sliders.values())), self.wrt]), self.summary, self.graph,
                              self.text])
        self.update()

    def update(self) -> None:
        """Forward and backward at the sliders' values, then redraw the graph and rewrite the texts."""
        self.runs += 1
        self.inputs = {name: Value(s.value, label=name) for name, s in self.sliders.items()}
        where = ", ".join(f"{name} = {fmt(v.data)}" for name, v in self.inputs.items())
        try:
            root = self.f(**self.inputs)
            if not isinstance(root, Value):
                raise TypeError(f"explore: f must return a Value, got {type(root).__name__} {root!r}")
            root.backward()
        except DomainError as exc:
            self.root = None
            self.summary.value = f"<p>at {html.escape(where)}: f is undefined ({html.escape(str(exc))})</p>"
            self.graph.value = ""
            self.text.value = ""
            return
        self.root = root
        grads = ", ".join(f"∂f/∂{name} = {fmt(v.grad)}" for name, v in self.inputs.items())
        self.summary.value = f"<p>at {html.escape(where)}: f = {fmt(root.data)}; {html.escape(grads)}</p>"
        chosen = self.inputs[self.wrt.value]
        try:
            # show_names: every record headed by the name explain's factors use, so each is found in the picture
            svg = svg_text(draw_graph(root, highlight=chosen, collapse=self.collapse, show_names=True,
                                      root_name=ROOT_NAME), force_pure=self.force_pure)
            svg = svg[svg.index("<svg"):]  # inline: no XML prolog inside HTML; shrink to the cell's width
            self.graph.value = svg.replace("<svg", '<svg style="max-width:100%;height:auto"', 1)
        except (GraphTooLarge, RenderError) as exc:
            self.graph.value = f"<p>(no picture: {html.escape(str(exc))})</p>"
        self.text.value = f"<pre>{html.escape(str(explain(root, chosen, root_name=ROOT_NAME)))}</pre>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def explore(f: Callable[..., Any], *, wrt: str | None = None, collapse: str = "weighted_sum",
            force_pure: bool = False, **ranges: Any) -> Explorer:
    """Sliders for f's inputs; see the module doc. ``f`` is called with one labelled Value per range, by name,
    and returns a Value. ``wrt`` picks the input explained first (the first one by default)."""
    if not callable(f):
        raise TypeError(f"explore: f must be a function, got {type(f).__name__}")
    if not ranges:
        raise ValueError("explore: give at least one input and its range, e.g. explore(f, x=(-2, 2))")
    checked = {name: _check_range(name, spec) for name, spec in ranges.items()}
    if wrt is None:
        wrt = next(iter(checked))
    if wrt not in checked:
        raise ValueError(f"explore: wrt={wrt!r} is not one of the inputs {list(checked)}")
    return Explorer(f, checked, wrt, collapse, force_pure)


__all__ = ["Explorer", "explore"]
