"""Seeing backprop: computation graphs with every local derivative, network diagrams, a backward
step-through page, and the chain-rule derivation of ∂C/∂w written out.

``render`` and ``svg_text`` here take a Value too (drawn with ``draw_graph`` first); ``value_svg`` is what a
notebook shows for a Value (the top-level package hands it to the engine's display hook on first use).
"""

from __future__ import annotations

from pathlib import Path

from ..engine import Value
from .chain import Chain, chain
from .explain import Explanation, explain
from .explore import Explorer, explore  # ipywidgets is imported when explore() is called
from .graph import GraphTooLarge, chain_total, draw_graph, node_names
from .layers import LayerExplanation, LayerView, explain_layers
from .network import draw_network
from .render import GRAPH_TYPES, Graph, GraphLike, RenderError
from .render import render as _render_graph
from .render import svg_text as _svg_text_graph
from .steps import Contribution, Step, animate_backward, backward_steps


def _as_graph(graph_or_value: GraphLike | Value) -> GraphLike:
    if isinstance(graph_or_value, Value):
        return draw_graph(graph_or_value)
    if isinstance(graph_or_value, GRAPH_TYPES):
        return graph_or_value
    raise TypeError(f"render: expected a Value or a graphviz graph, got {type(graph_or_value).__name__}")


def svg_text(graph_or_value: GraphLike | Value, force_pure: bool = False) -> str:
    """The picture as SVG text (what a notebook displays); a Value is drawn with draw_graph first."""
    return _svg_text_graph(_as_graph(graph_or_value), force_pure)


def render(graph_or_value: GraphLike | Value, path: str | Path, format: str | None = None,
           force_pure: bool = False) -> Path:
    """Write the picture of a graph (or of a Value's computation graph) to path; returns the path.

    The format is the path's suffix (``.svg``, ``.png``, ``.pdf``) unless given; SVG when neither says.
    ``force_pure=True`` uses graphviz-pure even when a system `dot` exists (tests use it).
    """
    return _render_graph(_as_graph(graph_or_value), path, format, force_pure)


def value_svg(v: Value) -> str | None:
    """A Value's graph as SVG for a notebook, or None (the notebook then shows the text repr)."""
    try:
        return _svg_text_graph(draw_graph(v, collapse="neurons"))
    except (GraphTooLarge, RenderError):
        return None


__all__ = [
    "Chain", "Contribution", "Explanation", "Graph", "GraphTooLarge", "RenderError", "Step", "animate_backward",
    "backward_steps", "chain", "chain_total", "draw_graph", "draw_network", "explain", "node_names", "render",
    "svg_text", "value_svg",
    "Explorer", "explore",
    "LayerExplanation", "LayerView", "explain_layers",
]
