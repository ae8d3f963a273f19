"""Helpers for the viz tests: read back the DOT text draw_graph wrote, and rebuild a drawn expression fresh."""

from __future__ import annotations

import re

from autograd_nn import Value

_EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?$')
_NODE = re.compile(r'^\s*(\w+) \[(.*)\]$')
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def attrs(text: str) -> dict[str, str]:
    return {k: v[1:-1] if v.startswith('"') else v for k, v in _ATTR.findall(text or "")}


def dot_nodes(source: str) -> dict[str, dict[str, str]]:
    out = {}
    for line in source.splitlines():
        if "->" in line:
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            out[m.group(1)] = attrs(m.group(2))
    return out


def dot_edges(source: str) -> list[tuple[str, str, dict[str, str]]]:
    return [(m.group(1), m.group(2), attrs(m.group(3))) for line in source.splitlines() if (m := _EDGE.match(line))]


def fresh(expr) -> tuple[Value, list[Value]]:  # noqa: ANN001
    """The expression on new input Values with backward() run (a drawn example may be reused by Hypothesis)."""
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(expr.point)]
    out = expr(*xs)
    out.backward()
    return out, xs


def chain(n: int) -> Value:
    """x + x + … + x with n terms, as Python (and the command line) builds it: n - 1 add nodes all using x."""
    x = Value(1.0, label="x")
    r = x
    for _ in range(n - 1):
        r = r + x
    r.backward()
    return r


def slow_dot() -> str:
    """DOT text that takes `dot` minutes and graphviz-pure well over ten seconds: x + x + … + x with 100 terms,
    drawn without draw_graph's fast layout for long edges."""
    from autograd_nn.viz import draw_graph
    from autograd_nn.viz.graph import FAST_LAYOUT

    g = draw_graph(chain(100))
    for key in FAST_LAYOUT:
        g.graph_attr.pop(key)
    return str(g.source)
