"""render: DOT to SVG, PNG or PDF with the system `dot` when it is on PATH, else the `graphviz-pure` command.

graphviz-pure (a PyPI dependency) is a dot-compatible renderer, so a machine without system Graphviz renders
too; when neither can be run, RenderError says what to install.

This module knows graphviz graphs only, never a Value: ``autograd_nn.viz.render`` and ``autograd_nn.viz.svg_text``
draw a Value first (draw_graph sits above this module). ``Graph`` is the Digraph that shows itself as SVG.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TypeAlias

import graphviz

GraphLike: TypeAlias = "graphviz.Digraph | graphviz.Graph"
GRAPH_TYPES = (graphviz.Digraph, graphviz.Graph)
FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = "install Graphviz (e.g. `apt-get install graphviz`) or the PyPI package graphviz-pure"


class RenderError(RuntimeError):
    """No Graphviz renderer could be run, or the one that ran failed."""


def renderer(force_pure: bool = False) -> str:
    """The renderer command: the system `dot` on PATH, else `graphviz-pure` (on PATH or beside this Python)."""
    dot = None if force_pure else shutil.which("dot")
    if dot:
        return dot
    pure = shutil.which("graphviz-pure")
    if pure:
        return pure
    beside = Path(sys.executable).with_name("graphviz-pure" + (".exe" if os.name == "nt" else ""))
    if beside.exists():
        return str(beside)
    raise RenderError(f"render: neither the `dot` command nor `graphviz-pure` was found; {INSTALL_HINT}")


def render_source(source: str, format: str = "svg", force_pure: bool = False) -> bytes:
    """Run the renderer on DOT text and return the picture's bytes."""
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    cmd = [renderer(force_pure), f"-T{format}"]
    try:
        done = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"render: could not run {cmd[0]} ({exc}); {INSTALL_HINT}") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", errors="replace").strip()[:500]
        raise RenderError(f"render: {Path(cmd[0]).name} -T{format} failed (exit {done.returncode}): {err}")
    return done.stdout


def _source(graph: GraphLike) -> str:
    if isinstance(graph, GRAPH_TYPES):
        return str(graph.source)
    raise TypeError(f"render: expected a graphviz graph, got {type(graph).__name__}")


def svg_text(graph: GraphLike, force_pure: bool = False) -> str:
    """The picture as SVG text (what a notebook displays)."""
    return render_source(_source(graph), "svg", force_pure).decode("utf-8")


def render(graph: GraphLike, path: str | Path, format: str | None = None, force_pure: bool = False) -> Path:
    """Write the picture of a graphviz graph to path; returns the path.

    The format is the path's suffix (``.svg``, ``.png``, ``.pdf``) unless given; SVG when neither says.
    ``force_pure=True`` uses graphviz-pure even when a system `dot` exists (tests use it).
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if format is None:
        format = suffix if suffix in FORMATS else "svg"
    elif suffix in FORMATS and suffix != format:
        raise ValueError(f"render: {path.name!r} ends in .{suffix} but format={format!r}; "
                         "give a matching suffix or leave format out")
    data = render_source(_source(graph), format, force_pure)
    path.write_bytes(data)
    return path


class Graph(graphviz.Digraph):
    """A graphviz.Digraph that a notebook shows as SVG without system Graphviz (rendered as above).

    ``chain_total`` is, when a Value was highlighted, Σ over paths of the product of the local derivatives
    along it: ∂root/∂w, which equals w.grad after root.backward().
    """

    chain_total: float | None = None

    def _repr_mimebundle_(self, include: object = None, exclude: object = None, **_: object) -> dict[str, str]:
        return {"image/svg+xml": svg_text(self)}
