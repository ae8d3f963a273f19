"""backward_steps and animate_backward: the chain rule one node at a time, and the self-contained page."""

from __future__ import annotations

import re

from hypothesis import given
from viz_helpers import fresh

from autograd_nn import Value
from autograd_nn.engine import topological_order
from autograd_nn.testing.strategies import expressions
from autograd_nn.viz import animate_backward, backward_steps


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
