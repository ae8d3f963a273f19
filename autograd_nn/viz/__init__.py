"""Seeing backprop: computation graphs with every local derivative, network diagrams, a backward
step-through page, and the chain-rule derivation of ∂C/∂w written out.

Importing this package also lets a notebook show a ``Value`` as its graph (SVG): the engine cannot import
viz, so viz registers its drawing function with the engine's display hook.
"""

from ..engine import value as _value
from .explain import Explanation, explain
from .graph import Graph, GraphTooLarge, chain_total, draw_graph, node_names
from .network import draw_network
from .render import RenderError, render, svg_text
from .steps import Contribution, Step, animate_backward, backward_steps


def _value_svg(v: _value.Value) -> str | None:
    try:
        return svg_text(draw_graph(v, collapse="neurons"))
    except (GraphTooLarge, RenderError):
        return None  # the notebook falls back to the text repr


_value.svg_display = _value_svg

__all__ = [
    "Contribution", "Explanation", "Graph", "GraphTooLarge", "RenderError", "Step", "animate_backward",
    "backward_steps", "chain_total", "draw_graph", "draw_network", "explain", "node_names", "render", "svg_text",
]
