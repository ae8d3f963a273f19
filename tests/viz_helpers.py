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
