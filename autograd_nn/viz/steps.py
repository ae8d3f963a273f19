"""backward_steps and animate_backward: the chain rule applied one node at a time, as backward() does it.

Each step is one visit of the engine's reverse walk (the very loop backward() runs): a node whose grad
δ = ∂root/∂node is complete (every node that uses it has been visited) sends δ · ∂node/∂parent to each parent.
A node whose grad is 0 sends nothing, as in backward().
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..engine import Value, topological_order, walk
from .graph import COLLAPSE, FOCUS, _folded_neurons, draw_graph, fmt
from .names import node_names
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


STEP_COLOUR = FOCUS  # the node a step is at and the edges that carry its gradient to its inputs
AUTO_NEURONS_FROM = 30  # collapse="auto": graphs with more Values than this show a neuron per step
MAX_NODES = 150  # animate_backward's default limit on the Values drawn in one frame
FIT = 1.6  # a frame up to this many times wider than the window is shrunk to fit it (text at 5/8 size at most)

_PART = re.compile(r'<g id="[^"]*" class="(node|edge)">\s*<title>(.*?)</title>(.*?)</g>', flags=re.S)


def _inline_svg(svg: str, focus: str | None = None) -> str:
    """An SVG from the renderer as a page holds it: no XML prolog, DOCTYPE, comments or namespace declarations
    (the namespace names are URLs even though nothing is fetched), no <title> tooltips (DOT names), no repeated
    font attributes (the page's style sets the font). ``focus``: the DOT name of the step's node; its record
    gets class "node focus", its op node and every edge that carries the step's gradient to an input
    (``<name>op``'s in-edges; with collapse="none", the edges inside its drawn-out op too) the class "step"
    and the step's colour."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    inside = re.compile(rf"{re.escape(focus)}(d\d+)?(op)?") if focus is not None else None

    def part(m: re.Match[str]) -> str:
        kind, title, body = m.group(1), html.unescape(m.group(2)), m.group(3)
        cls = kind
        if inside is not None:
            ends = title.split("->") if kind == "edge" else [title, title]
            if kind == "node" and title == focus:
                cls = "node focus"
            elif inside.fullmatch(ends[-1]) and (kind == "edge" or title != focus):
                cls = f"{kind} step"
                body = body.replace('stroke="black"', f'stroke="{STEP_COLOUR}" stroke-width="2.5"')
                if kind == "edge":
                    body = body.replace('fill="black"', f'fill="{STEP_COLOUR}"')
                    body = body.replace("<text ", f'<text fill="{STEP_COLOUR}" font-weight="bold" ')
        return f'<g class="{cls}">{body.strip()}</g>'

    svg = _PART.sub(part, svg)
    svg = re.sub(r"<title>.*?</title>\s*", "", svg, flags=re.S)
    svg = re.sub(r' font-family="[^"]*"', "", svg)
    return re.sub(r">\s+<", "><", svg).strip()


# What every page stepped through with a slider shares (this step page, the lab's optimizer race): the style of
# its sticky header (title, help, controls, caption) and the controls themselves, as str.format templates.
SLIDER_PAGE_STYLE = """body {{ font-family: sans-serif; margin: 0 1.5em 1.5em; }}
header {{ position: sticky; top: 0; z-index: 1; background: white; padding: 0.6em 0 0.4em;
         border-bottom: 1px solid #ccc; }}
h2 {{ margin: 0 0 0.3em; font-size: 1.2em; }}
.help {{ margin: 0 0 0.4em; font-size: 0.9em; color: #444; }}
"""
# The controls' behaviour: the slider, the buttons and the arrow, Home and End keys call the page's show(k).
SLIDER_SCRIPT = """slider.addEventListener('input', () => show(Number(slider.value)));
document.getElementById('prev').addEventListener('click', () => show(Number(slider.value) - 1));
document.getElementById('next').addEventListener('click', () => show(Number(slider.value) + 1));
document.addEventListener('keydown', e => {{
  if (e.target === slider) return;  // the slider moves itself on arrow keys (and then reports 'input')
  if (e.key === 'ArrowLeft') show(Number(slider.value) - 1);
  else if (e.key === 'ArrowRight') show(Number(slider.value) + 1);
  else if (e.key === 'Home') show(0);
  else if (e.key === 'End') show({last});
  else return;
  e.preventDefault();
}});
"""
SLIDER_CONTROLS = """<div><button id="prev">&larr; previous</button>
<input id="slider" type="range" min="0" max="{last}" value="0" style="width:40%" aria-label="step">
<button id="next">next &rarr;</button> <span id="counter"></span></div>
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
""" + SLIDER_PAGE_STYLE + """\
#caption {{ min-height: 2.6em; max-height: 5.4em; overflow-y: auto; margin: 0.4em 0 0; font-size: 1em; }}
button {{ font-size: 1em; }}
.frame {{ overflow-x: auto; padding-top: 0.5em; }}
.frame svg {{ display: block; }}
.frame text {{ font-family: Helvetica, Arial, sans-serif; }}
.key {{ color: {colour}; font-weight: bold; }}
</style></head><body>
<header>
<h2>{title}</h2>
<p class="help">Backward pass, {unit} per step: the <span class="key">blue</span> node's grad is complete and
it passes grad × local derivative (the edge label) along the <span class="key">blue edges</span> to each input.
Grads shown as ? are not reached yet. Keys: ← → (Home, End).</p>
""" + SLIDER_CONTROLS + """<p id="caption"></p>
</header>
{frames}
<script>
const frames = document.querySelectorAll('.frame');
const slider = document.getElementById('slider');
const header = document.querySelector('header');
function show(i) {{
  i = Math.max(0, Math.min(frames.length - 1, i));
  frames.forEach((f, k) => {{ f.style.display = k === i ? 'block' : 'none'; }});
  slider.value = i;
  document.getElementById('caption').textContent = frames[i].dataset.caption;
  document.getElementById('counter').textContent = 'step ' + (i + 1) + ' of ' + frames.length;
  reveal(frames[i]);
}}
// Scroll the step's node and its op node (where the blue edges end) to the middle of the space below the
// header; when both do not fit, the step's node alone.
function reveal(frame) {{
  const focus = frame.querySelector('.focus');
  if (!focus) return;
  const box = els => {{
    const rs = els.map(e => e.getBoundingClientRect());
    return {{top: Math.min(...rs.map(r => r.top)), bottom: Math.max(...rs.map(r => r.bottom)),
             left: Math.min(...rs.map(r => r.left)), right: Math.max(...rs.map(r => r.right))}};
  }};
  const top = header.getBoundingClientRect().bottom, height = window.innerHeight - top;
  const width = frame.clientWidth, left = frame.getBoundingClientRect().left;
  let b = box([focus, ...frame.querySelectorAll('.node.step')]);
  if (b.bottom - b.top > height - 16 || b.right - b.left > width - 16) b = box([focus]);
  window.scrollBy(0, (b.top + b.bottom) / 2 - (top + height / 2));
  frame.scrollLeft += (b.left + b.right) / 2 - (left + width / 2);
}}
// A graph up to FIT times wider than the window shrinks to its width (text still readable); a wider one keeps
// its size and scrolls sideways.
function fit() {{
  frames.forEach(f => {{
    const svg = f.querySelector('svg');
    const shrink = svg.width.baseVal.value <= {fit} * f.parentElement.clientWidth;
    svg.style.maxWidth = shrink ? '100%' : 'none';
    svg.style.height = 'auto';
  }});
}}
window.addEventListener('resize', () => {{ fit(); reveal(frames[Number(slider.value)]); }});
fit();
""" + SLIDER_SCRIPT + """show(0);
</script></body></html>
"""


@dataclass(frozen=True)
class _Frame:
    node: Value  # the node the frame is at
    caption: str
    grads: dict[Value, float]


def _neuron_caption(index: int, a: Step, z: Step, names: Mapping[Value, str]) -> str:
    """A neuron's activation and its folded weighted sum as one step: grad × f'(z) × ∂z/∂input to each input."""
    (act,) = a.contributions or (None,)
    head = f"step {index + 1}: {names[a.node]} has grad {fmt(a.grad)}"
    if act is None or not z.contributions:
        return f"{head} (a zero grad passes only zeros)"
    sends = "; ".join(f"{fmt(a.grad)} × {fmt(act.local)} × {fmt(c.local)} = {fmt(c.contribution)} to "
                      f"{names[c.parent]}" for c in z.contributions)
    return (f"{head}; through its activation (local derivative {fmt(act.local)}) and weighted sum it sends "
            f"grad × f′(z) × ∂z/∂input to each input: {sends}")


def _frames(root: Value, hidden: set[Value], skip_leaves: bool, names: Mapping[Value, str]) -> list[_Frame]:
    steps = list(backward_steps(root))
    by_node = {s.node: s for s in steps}
    grads: dict[Value, float] = {}

    def apply(step: Step) -> None:
        grads[step.node] = step.grad
        for c in step.contributions:
            grads[c.parent] = grads.get(c.parent, 0.0) + c.contribution

    frames: list[_Frame] = []
    for step in steps:
        if step.node in hidden:  # a folded weighted sum: shown with its activation's step, already applied
            continue
        apply(step)
        if skip_leaves and step.node.is_leaf():  # a leaf passes nothing on: its grad shows where it is filled in
            continue
        folded = step.node.parents[0] if len(step.node.parents) == 1 else None
        if folded is not None and folded in hidden:
            apply(by_node[folded])
            caption = _neuron_caption(len(frames), step, by_node[folded], names)
        else:
            caption = replace(step, index=len(frames)).describe(names)
        frames.append(_Frame(step.node, caption, dict(grads)))
    return frames


def animate_backward(root: Value, path: str | Path, *, collapse: str = "auto", max_nodes: int = MAX_NODES,
                     rankdir: str = "LR", title: str = "autograd_nn: backward, step by step",
                     force_pure: bool = False) -> Path:
    """Write ONE self-contained HTML page (inline SVG frames, a slider, previous/next buttons, arrow keys, no URL).

    Frame k shows the graph after step k: finished and partial grads filled in, the others shown as ?; the
    step's node and the edges that carry its gradient to its inputs are blue. The controls and the caption
    stay at the top of the window while the graph scrolls, and each step scrolls its node into view.

    ``collapse`` (as in draw_graph): "weighted_sum" and "none" give one frame per node, as backward() visits
    them; "neurons" draws each neuron's z and activation as one node and shows it as one step (grad × f′(z) ×
    ∂z/∂input to each input), with no frames for leaves (a leaf passes nothing on; its grad fills in where
    its consumers send it); "auto" (the default) is "neurons" for a graph of more than AUTO_NEURONS_FROM
    Values (a network's cost) and "weighted_sum" below. ``max_nodes`` bounds the Values drawn in one frame.
    Names in the captions and the title show as typed, control characters as visible symbols (see
    render.display_text).
    """
    if not isinstance(root, Value):
        raise TypeError(f"animate_backward: root must be a Value, got {type(root).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"animate_backward: title must be a str, got {type(title).__name__}")
    if collapse not in ("auto", *COLLAPSE):
        raise ValueError(f"animate_backward: collapse must be one of {('auto', *COLLAPSE)}, got {collapse!r}")
    order = topological_order(root)
    if collapse == "auto":
        collapse = "neurons" if len(order) > AUTO_NEURONS_FROM else "weighted_sum"
    hidden = _folded_neurons(order) if collapse == "neurons" else set()
    drawn = len(order) - len(hidden)
    if drawn > max_nodes:
        hint = "" if collapse == "neurons" else "collapse='neurons' (a neuron's z and activation as one node), "
        raise ValueError(f"animate_backward: the graph has {drawn} Values to draw, more than max_nodes={max_nodes}; "
                         f"pass {hint}a larger max_nodes or animate a smaller expression")
    names = {node: display_text(name) for node, name in node_names(root).items()}
    dot_names = {node: f"v{i}" for i, node in enumerate(order)}  # draw_graph's DOT names
    skip_leaves = collapse == "neurons" and not root.is_leaf()
    frames = []
    for frame in _frames(root, hidden, skip_leaves, names):
        g = draw_graph(root, grads=frame.grads, focus=frame.node, collapse=collapse, rankdir=rankdir,
                       max_nodes=max_nodes, show_names=True)
        svg = _inline_svg(svg_text(g, force_pure=force_pure), dot_names[frame.node])
        caption = html.escape(frame.caption, quote=True)
        node = html.escape(names[frame.node], quote=True)
        frames.append(f'<div class="frame" data-caption="{caption}" data-node="{node}" style="display:none">'
                      f"{svg}</div>")
    unit = "one neuron or op" if collapse == "neurons" else "one node"
    page = PAGE.format(title=html.escape(display_text(title, 200)), last=len(frames) - 1, frames="\n".join(frames),
                       unit=unit, colour=STEP_COLOUR, fit=FIT)
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
