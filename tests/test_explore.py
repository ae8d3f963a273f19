"""viz.explore: the sliders are driven from Python and what the widgets display must follow.

Skips without ipywidgets, except in CI (CI=true), where the [notebook] extra is installed and these must run.
"""

import html
import math
import os
import re

import pytest

from autograd_nn import Value
from autograd_nn.viz import explore
from autograd_nn.viz.graph import fmt

if os.environ.get("CI", "").lower() == "true":
    import ipywidgets  # CI installs the [notebook] extra: a missing ipywidgets is a failure there, never a skip
else:
    ipywidgets = pytest.importorskip("ipywidgets", reason='ipywidgets is not installed (pip install -e ".[notebook]")')


def neuron(x, w, b):
    return (w * x + b).tanh()


def _svg_texts(svg):
    return [html.unescape(re.sub(r"\s+", " ", t)).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def _expected(x, w, b):
    a = math.tanh(w * x + b)
    d = 1 - a * a
    return a, {"x": d * w, "w": d * x, "b": d}


def test_one_slider_per_input_with_its_range_and_start():
    ex = explore(neuron, x=(-2, 2), w=(-3, 3), b=(-1, 1, 0.5))
    assert list(ex.sliders) == ["x", "w", "b"]
    s = ex.sliders["b"]
    assert isinstance(s, ipywidgets.FloatSlider) and (s.min, s.max, s.value) == (-1.0, 1.0, 0.5)
    assert ex.sliders["w"].value == 0.0  # the middle by default
    assert not s.continuous_update  # recomputes when the slider is let go, not on every pixel
    assert ex.wrt.value == "x" and list(ex.wrt.options) == ["x", "w", "b"]
    assert "application/vnd.jupyter.widget-view+json" in ex._repr_mimebundle_()


def test_moving_a_slider_recomputes_forward_and_backward_and_redraws():
    ex = explore(neuron, x=(-2, 2), w=(-3, 3), b=(-1, 1, 0.5))
    before = (ex.summary.value, ex.graph.value, ex.text.value)
    runs = ex.runs
    ex.sliders["x"].value = 1.5
    ex.sliders["w"].value = -0.8
    assert ex.runs == runs + 2
    after = (ex.summary.value, ex.graph.value, ex.text.value)
    assert all(a != b for a, b in zip(after, before))

    f, grads = _expected(1.5, -0.8, 0.5)
    assert ex.root.data == pytest.approx(f)
    assert f"f = {fmt(f)}" in ex.summary.value
    for name, g in grads.items():
        assert f"∂f/∂{name} = {fmt(g)}" in ex.summary.value
    # the graph shows the new data and grads in its records, and the local derivative on the edges
    texts = _svg_texts(ex.graph.value)
    assert ex.graph.value.startswith("<svg")
    assert "data 1.5" in texts and "data -0.8" in texts and f"grad {fmt(grads['x'])}" in texts
    assert fmt(1 - f * f) in texts  # ∂tanh/∂z on the edge into tanh
    # explain writes out the chain rule for x, whose total is ∂f/∂x
    assert "∂f/∂x" in ex.text.value and ex.text.value.removesuffix("</pre>").endswith(fmt(grads["x"]))
    # one factor per op, each named as a record in the picture is
    named = set(re.findall(r"∂\(?([^/·=∂]+?)\)?/∂", ex.text.value))  # ∂f/∂(w * x): the name inside
    assert len(named) >= 3 and named <= set(texts), (named, texts)
    assert f"({fmt(1 - f * f)})" in ex.text.value and "(-0.8)" in ex.text.value


def test_choosing_another_input_to_explain():
    ex = explore(neuron, x=(-2, 2, 1.0), w=(-3, 3, 2.0), b=(-1, 1, 0.5))
    ex.wrt.value = "w"
    _, grads = _expected(1.0, 2.0, 0.5)
    assert "∂f/∂w" in ex.text.value and fmt(grads["w"]) in ex.text.value
    assert any(t.startswith("∂f/∂w") for t in _svg_texts(ex.graph.value))  # the legend of the red path


def test_where_f_is_undefined_it_says_so_and_recovers():
    ex = explore(lambda x: x.log() * x, x=(-1, 2, 1.0))
    ex.sliders["x"].value = -0.5
    assert ex.root is None and "undefined" in ex.summary.value and "log" in ex.summary.value
    assert ex.graph.value == "" and ex.text.value == ""
    ex.sliders["x"].value = 2.0
    assert ex.root.data == pytest.approx(2 * math.log(2)) and ex.graph.value.startswith("<svg")


def test_explore_refuses_what_it_cannot_show():
    with pytest.raises(ValueError, match="at least one input"):
        explore(neuron)
    with pytest.raises(ValueError, match=r"x=\(2, -2\)"):
        explore(lambda x: x, x=(2, -2))
    with pytest.raises(ValueError, match="give each input a range"):
        explore(lambda x: x, x=3)
    with pytest.raises(ValueError, match="wrt='y'"):
        explore(lambda x: x, x=(0, 1), wrt="y")
    with pytest.raises(TypeError, match="f must return a Value"):
        explore(lambda x: 1.0, x=(0, 1))


def test_inputs_are_labelled_values():
    seen = []

    def f(x, y):
        seen.append((x, y))
        return x * y

    explore(f, x=(0, 1), y=(0, 2))
    x, y = seen[-1]
    assert type(x) is Value and (x.label, y.label) == ("x", "y") and (x.data, y.data) == (0.5, 1.0)


def test_exploring_a_model_writes_no_label_into_its_values():
    from autograd_nn import MLP
    from autograd_nn.engine import topological_order
    m = MLP(2, [3, 1], seed=4)
    m.parameters()[0].label = "w_first"  # a label the user gave stays as it is
    before = [p.label for p in m.parameters()]
    ex = explore(lambda x: m([x, 0.5]), x=(-2, 2))
    ex.sliders["x"].value = 1.25
    ex.sliders["x"].value = -0.75
    assert [p.label for p in m.parameters()] == before
    # every label is the one the model's own forward pass gives (wˡⱼₖ, bˡⱼ, zˡⱼ, aˡⱼ) or the input's: none from explore
    plain = m([Value(-0.75, label="x"), 0.5])
    assert [n.label for n in topological_order(ex.root)] == [n.label for n in topological_order(plain)]
    # the picture still heads each record with the name explain's factors use; the output keeps the model's own
    # name for it, a²₁ (explore calls only an unlabelled output f)
    texts = _svg_texts(ex.graph.value)
    named = set(re.findall(r"∂\(?([^/·=∂]+?)\)?/∂", ex.text.value))
    # (the pattern drops a call's closing parenthesis with the one a formula is written in: tanh(z₁ is tanh(z₁))
    assert "a²₁" in named and all(n in texts or n + ")" in texts for n in named), (named, texts)
    assert "w_first" in texts
