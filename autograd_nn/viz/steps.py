"""backward_steps and animate_backward: the chain rule applied one node at a time, as backward() does it.

Each step is one visit of the engine's reverse walk (the very loop backward() runs): a node whose grad
δ = ∂root/∂node is complete (every node that uses it has been visited) sends δ · ∂node/∂parent to each parent.
A node whose grad is 0 sends nothing, as in backward().
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..engine import Value, topological_order, walk
from .graph import draw_graph, fmt, node_names
from .render import display_text, svg_text


@dataclass(frozen=True)
class Contribution:
    """What one step sends to one parent: grad · local = contribution, added to the parent's grad."""

    parent: Value
    local: float
    contribution: float


@dataclass(frozen=True)
class Step:
    """One node of the backward pass: its finished grad and what it sends to each of its parents."""

    index: int
    node: Value
    grad: float
    contributions: tuple[Contribution, ...]

    def describe(self, names: Mapping[Value, str]) -> str:
        """The step in words, naming nodes by ``names`` (e.g. node_names(root))."""
        head = f"step {self.index + 1}: {names[self.node]} has grad {fmt(self.grad)}"
        if not self.contributions:
            why = "a leaf" if self.node.is_leaf() else "a zero grad passes only zeros"
            return f"{head} ({why}: nothing to pass on)"
        sends = "; ".join(f"{fmt(self.grad)} × {fmt(c.local)} = {fmt(c.contribution)} to {names[c.parent]}"
                          for c in self.contributions)
        return f"{head}; it sends grad × local derivative to each input: {sends}"


def backward_steps(root: Value) -> Iterator[Step]:
    """Yield one Step per node in reverse topological order, starting from root with grad 1.

    Does not touch the Values' own .grad; the grads it shows are the ones root.backward() puts in each .grad,
    and it raises the same DomainError where backward() would.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: root must be a Value, got {type(root).__name__}")
    for i, (node, g, partials) in enumerate(walk(root)):
        sent = () if partials is None else tuple(
            Contribution(parent, float(d), g * float(d)) for parent, d in zip(node.parents, partials))
        yield Step(i, node, g, sent)


def _inline_svg(svg: str) -> str:
    # Inside HTML an <svg> needs no XML prolog, DOCTYPE or namespace declarations; dropping them leaves the
    # page with no URL at all (the namespace names are URLs even though nothing is fetched).
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
.frame svg {{ max-width: 100%; height: auto; }}
#caption {{ min-height: 3em; font-size: 1.05em; }}
button {{ font-size: 1em; }}
</style></head><body>
<h2>{title}</h2>
<p>Backward pass, one node per step: the blue node's grad is complete and it passes grad × local derivative
(the edge label) to each input. Grads shown as ? are not reached yet.</p>
<div><button id="prev">&larr; previous</button>
<input id="slider" type="range" min="0" max="{last}" value="0" style="width:40%">
<button id="next">next &rarr;</button> <span id="counter"></span></div>
<p id="caption"></p>
{frames}
<script>
const frames = document.querySelectorAll('.frame');
const slider = document.getElementById('slider');
function show(i) {{
  i = Math.max(0, Math.min(frames.length - 1, i));
  frames.forEach((f, k) => {{ f.style.display = k === i ? 'block' : 'none'; }});
  slider.value = i;
  document.getElementById('caption').textContent = frames[i].dataset.caption;
  document.getElementById('counter').textContent = 'step ' + (i + 1) + ' of ' + frames.length;
}}
slider.addEventListener('input', () => show(Number(slider.value)));
document.getElementById('prev').addEventListener('click', () => show(Number(slider.value) - 1));
document.getElementById('next').addEventListener('click', () => show(Number(slider.value) + 1));
document.addEventListener('keydown', e => {{
  if (e.key === 'ArrowLeft') show(Number(slider.value) - 1);
  if (e.key === 'ArrowRight') show(Number(slider.value) + 1);
}});
show(0);
</script></body></html>
"""


def animate_backward(root: Value, path: str | Path, *, collapse: str = "weighted_sum", max_nodes: int = 60,
                     rankdir: str = "LR", title: str = "autograd_nn: backward, step by step",
                     force_pure: bool = False) -> Path:
    """Write ONE self-contained HTML page (inline SVG frames, a slider, previous/next buttons, no URL).

    Frame k shows the graph after step k of backward_steps(root): finished and partial grads filled in,
    the others shown as ?. Frame count = step count = number of nodes. Names in the captions and the title
    show as typed, control characters as visible symbols (see render.display_text).
    """
    if not isinstance(root, Value):
        raise TypeError(f"animate_backward: root must be a Value, got {type(root).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"animate_backward: title must be a str, got {type(title).__name__}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(f"animate_backward: the graph has {len(order)} Values, more than max_nodes={max_nodes} "
                         "(one frame per node); pass a larger max_nodes or animate a smaller expression")
    names = {node: display_text(name) for node, name in node_names(root).items()}
    grads: dict[Value, float] = {}
    frames = []
    for step in backward_steps(root):
        grads[step.node] = step.grad
        for c in step.contributions:
            grads[c.parent] = grads.get(c.parent, 0.0) + c.contribution
        g = draw_graph(root, grads=dict(grads), focus=step.node, collapse=collapse, rankdir=rankdir,
                       max_nodes=max_nodes, show_names=True)
        svg = _inline_svg(svg_text(g, force_pure=force_pure))
        caption = html.escape(step.describe(names), quote=True)
        frames.append(f'<div class="frame" data-caption="{caption}" style="display:none">{svg}</div>')
    page = PAGE.format(title=html.escape(display_text(title, 200)), last=len(frames) - 1, frames="\n".join(frames))
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
