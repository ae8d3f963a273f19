"""backward_steps and animate_backward: the chain rule one node at a time, and the self-contained page."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from viz_helpers import fresh

from autograd_nn import MLP, Value
from autograd_nn.engine import topological_order
from autograd_nn.engine.ops import WEIGHTED_SUM
from autograd_nn.losses import squared_error
from autograd_nn.testing.strategies import expressions
from autograd_nn.viz import animate_backward, backward_steps, node_names
from autograd_nn.viz.steps import STEP_COLOUR


@given(expressions(max_depth=4, max_leaves=3))
def test_steps_visit_each_node_once_in_reverse_topological_order(expr) -> None:  # noqa: ANN001
    out, _ = fresh(expr)
    steps = list(backward_steps(out))
    nodes = [s.node for s in steps]
    assert len(nodes) == len(set(nodes)) == len(topological_order(out))
    position = {n: i for i, n in enumerate(nodes)}
    for n in nodes:
        assert all(position[p] > position[n] for p in n.parents)  # a node's grad is complete before it passes it on
    received: dict[Value, float] = {out: 1.0}
    for s in steps:
        assert s.grad == received.get(s.node, 0.0)
        assert abs(s.grad - s.node.grad) <= 1e-9 * max(1.0, abs(s.node.grad))  # backward() gives the same
        for c in s.contributions:
            assert c.contribution == s.grad * c.local
            received[c.parent] = received.get(c.parent, 0.0) + c.contribution


def test_steps_do_not_change_grads() -> None:
    x = Value(3.0)
    y = x * x
    list(backward_steps(y))
    assert x.grad == 0.0 and y.grad == 0.0


def test_animation_page_has_one_frame_per_step_and_no_url(tmp_path) -> None:  # noqa: ANN001
    a, b = Value(0.5, label="a"), Value(-2.0, label="b")
    out = (a * b + a).tanh()
    out.label = "out"
    n_steps = len(list(backward_steps(out)))
    page = animate_backward(out, tmp_path / "steps.html", force_pure=True).read_text(encoding="utf-8")
    assert page.count('class="frame"') == n_steps == page.count("<svg")
    assert not re.search(r"https?:|//[a-z]|\bsrc=|\bhref=|@import|url\(", page)
    assert 'type="range"' in page and 'id="prev"' in page and 'id="next"' in page
    assert "step 1: out has grad 1" in page  # the first caption: the root starts with grad 1
    assert "grad ?" in page  # later nodes are not filled in on the first frame
    assert a.grad == 0.0  # drawing the steps does not run backward on the Values


FRAME = re.compile(r'<div class="frame" data-caption="([^"]*)" data-node="([^"]*)"[^>]*>(<svg.*?</svg>)</div>', re.S)


def frames_of(page: str) -> list[tuple[str, str, str]]:
    found = [(html.unescape(c), html.unescape(n), svg) for c, n, svg in FRAME.findall(page)]
    assert len(found) == page.count('class="frame"')
    return found


def network_cost(sizes: list[int]) -> Value:
    mlp = MLP(2, sizes, seed=0)
    cost = squared_error(mlp([0.5, -1.0]), 1.0)
    cost.label = "C"
    return cost


def test_each_frame_marks_its_node_and_the_edges_that_carry_its_gradient(tmp_path) -> None:  # noqa: ANN001
    a, b = Value(0.5, label="a"), Value(-2.0, label="b")
    out = (a * b + a).tanh()
    out.label = "out"
    frames = frames_of(animate_backward(out, tmp_path / "s.html", force_pure=True).read_text("utf-8"))
    steps = list(backward_steps(out))
    assert [n for _, n, _ in frames] == [node_names(out)[s.node] for s in steps]
    for (_, _, svg), step in zip(frames, steps):
        ET.fromstring(svg)
        assert svg.count('class="node focus"') == 1
        # an op's in-edges (one per distinct input) and its result edge, in the step's colour; none for a leaf
        want = 0 if step.node.is_leaf() else len(set(step.node.parents)) + 1
        step_edges = re.findall(r'<g class="edge step">(.*?)</g>', svg)
        assert len(step_edges) == want
        assert all(f'stroke="{STEP_COLOUR}"' in e for e in step_edges)
        assert svg.count('class="node step"') == (0 if step.node.is_leaf() else 1)  # its op node
        assert "<title>" not in svg and "font-family" not in svg


def test_a_network_cost_is_one_step_per_neuron_or_op(tmp_path) -> None:  # noqa: ANN001
    cost = network_cost([4, 4, 1])
    order = topological_order(cost)
    assert len(order) == 61  # more than the old limit of 60
    page = animate_backward(cost, tmp_path / "net.html", force_pure=True).read_text("utf-8")  # collapse="auto"
    frames = frames_of(page)
    neurons = [n for n in order if len(n.parents) == 1 and n.parents[0].op is WEIGHTED_SUM]  # a = tanh(z)
    ops = [n for n in order if not n.is_leaf() and n not in {a.parents[0] for a in neurons}]
    assert len(neurons) == 8 and len(frames) == len(ops) == 12  # 8 tanh neurons, the linear output, -, **2, *
    assert len(page) < 1_500_000  # was 6 MB with one frame per Value
    names = node_names(cost)
    out_neuron = neurons[-1]  # a neuron of the second hidden layer
    z = out_neuron.parents[0]
    assert z.op is WEIGHTED_SUM and names[out_neuron] in {n for _, n, _ in frames} and names[z] not in {
        n for _, n, _ in frames}
    (caption, svg), = [(c, svg) for c, n, svg in frames if n == names[out_neuron]]
    # one step: grad × f'(z) × ∂z/∂input to each input, the very numbers backward()'s visit of z sends
    z_step, = [s for s in backward_steps(cost) if s.node is z]
    sent = [float(x) for x in re.findall(r"= (-?[0-9.e+-]+) to ", caption)]
    assert len(sent) == len(z_step.contributions) == 9  # 4 weights, 4 hidden activations, the bias
    assert sent == pytest.approx([c.contribution for c in z_step.contributions], rel=1e-3)
    # its edges: one from each distinct input to the folded op, and the op's result edge
    assert len(re.findall(r'<g class="edge step">', svg)) == len(set(z.parents)) + 1
    cost.backward()
    last = frames[-1][2]
    for w in z.parents[:4]:  # the last frame shows every grad backward() leaves
        assert f"grad {w.grad:.4g}" in html.unescape(last)


def test_weighted_sum_mode_keeps_one_frame_per_node_and_the_limit_counts_drawn_values(tmp_path) -> None:  # noqa: ANN001
    cost = network_cost([2, 1])
    n_values = len(topological_order(cost))
    page = animate_backward(cost, tmp_path / "a.html", collapse="weighted_sum", force_pure=True)
    assert len(frames_of(page.read_text("utf-8"))) == n_values
    with pytest.raises(ValueError, match=r"more than max_nodes=10; pass collapse='neurons'"):
        animate_backward(cost, tmp_path / "b.html", collapse="weighted_sum", max_nodes=10)
    folded = sum(1 for n in topological_order(cost) if len(n.parents) == 1 and n.parents[0].op is WEIGHTED_SUM)
    animate_backward(cost, tmp_path / "c.html", collapse="neurons", max_nodes=n_values - folded, force_pure=True)
    with pytest.raises(ValueError, match=f"has {n_values - folded} Values to draw"):
        animate_backward(cost, tmp_path / "c.html", collapse="neurons", max_nodes=n_values - folded - 1)
    with pytest.raises(ValueError, match="collapse must be one of"):
        animate_backward(cost, tmp_path / "d.html", collapse="layers")
