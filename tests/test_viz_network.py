"""draw_network laid out: label boxes beside the neuron they feed and never on top of each other, a big network
about as wide as tall with its edges fading by strength, and edges by |w| or by |∂C/∂w|."""

from __future__ import annotations

import importlib

import pytest
from viz_helpers import dot_edges

from autograd_nn import MLP
from autograd_nn.losses import squared_error
from autograd_nn.viz import draw_network

R = importlib.import_module("autograd_nn.viz.render")


def layout(source: str) -> tuple[tuple[float, float], dict[str, tuple[float, float, float, float]]]:
    """graphviz-pure's layout (-Tplain): the picture's size and each node's centre and size, in inches."""
    plain = R._run(R.renderer(True), ["-Tplain"], source, 60.0).decode("utf-8")
    size = (0.0, 0.0)
    nodes = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts[0] == "graph":
            size = (float(parts[2]), float(parts[3]))
        elif parts[0] == "node":
            nodes[parts[1]] = tuple(float(v) for v in parts[2:6])
    return size, nodes


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return abs(a[0] - b[0]) * 2 < a[2] + b[2] and abs(a[1] - b[1]) * 2 < a[3] + b[3]


def test_weight_labels_sit_beside_their_neuron_and_never_stack() -> None:
    mlp = MLP(2, [6, 1], seed=0)  # twelve weights from two inputs: their edges all cross
    cost = squared_error(mlp([0.5, -1.0]), 1.0)
    cost.backward()
    g = draw_network(mlp, inputs=[0.5, -1.0])
    _, nodes = layout(g.source)
    boxes = {name: box for name, box in nodes.items() if "w" in name}
    assert len(boxes) == 18
    for name, box in boxes.items():
        target = nodes[name.split("w")[0]]
        source = next(nodes[s] for s, d, a in dot_edges(g.source) if d == name and a.get("arrowhead") == "none")
        # along the layers (x, rankdir LR) the box is beside the neuron it feeds, far from the input it comes from
        to_target = (target[0] - target[2] / 2) - (box[0] + box[2] / 2)
        from_source = (box[0] - box[2] / 2) - (source[0] + source[2] / 2)
        assert 0 < to_target < from_source / 2, name
    # top to bottom: neuron 1's boxes, then neuron 2's, ... (each neuron's weights together, in input order)
    for k in (1, 2):
        layer = sorted((name for name in boxes if name.startswith(f"L{k}")), key=lambda name: -boxes[name][1])
        assert layer == sorted(layer, key=lambda name: (int(name[3:].split("w")[0]), int(name.split("w")[1])))
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not overlap(boxes[a], boxes[b]), (a, b)


def test_a_big_network_is_about_as_wide_as_tall_and_its_edges_fade_with_the_weight() -> None:
    mlp = MLP(2, [16, 16, 1], seed=0)
    g = draw_network(mlp, inputs=[0.5, -1.0])
    (width, height), nodes = layout(g.source)
    assert 0.6 < width / height < 1.6  # was 541 x 1606 pt
    assert max(box[3] for name, box in nodes.items() if name.startswith("L")) <= 0.7  # small neurons
    edges = [a for _, _, a in dot_edges(g.source) if a.get("style") != "invis"]
    weights = {(f"x{i}" if k == 1 else f"L{k - 1}n{i}", f"L{k}n{j}"): abs(w.data)
               for k, layer in enumerate(mlp.layers, start=1) for j, n in enumerate(layer.neurons)
               for i, w in enumerate(n.w)}
    assert len(edges) == len(weights) == 2 * 16 + 16 * 16 + 16
    drawn = [(weights[s, d], int(a["color"][7:9], 16), float(a["penwidth"]))
             for s, d, a in dot_edges(g.source) if a.get("style") != "invis"]
    assert [w for w, _, _ in drawn] == sorted(w for w, _, _ in drawn)  # the strongest drawn last, on top
    alphas, widths = [a for _, a, _ in drawn], [p for _, _, p in drawn]
    assert alphas == sorted(alphas) and widths == sorted(widths) and alphas[0] < 40 < 200 < alphas[-1]
    assert "fainter" in g.graph_attr.get("label", "") or "fainter" in g.source


def test_edges_can_show_the_gradient_instead_of_the_weight() -> None:
    mlp = MLP(2, [16, 16, 1], seed=1)
    squared_error(mlp([0.5, -1.0]), 1.0).backward()
    src = draw_network(mlp, strength="grad").source
    grads = {(f"x{i}" if k == 1 else f"L{k - 1}n{i}", f"L{k}n{j}"): abs(w.grad)
             for k, layer in enumerate(mlp.layers, start=1) for j, n in enumerate(layer.neurons)
             for i, w in enumerate(n.w)}
    drawn = [(grads[s, d], float(a["penwidth"])) for s, d, a in dot_edges(src) if a.get("style") != "invis"]
    assert [p for _, p in sorted(drawn)] == sorted(p for _, p in drawn)
    assert max(p for _, p in drawn) == pytest.approx(4.0, abs=0.01)  # the largest |∂C/∂w| is the widest
    assert "|∂C/∂w|" in src
    with pytest.raises(ValueError, match="strength must be"):
        draw_network(mlp, strength="size")
