"""One neuron's cost graph with the chain ∂C/∂w highlighted, and the derivation written out.

    python examples/neuron_graph.py [--out DIR]

The single neuron of the reference documents (README, References): z = w·a + b, a' = σ(z), and the quadratic
cost C = ½(a' − y)². Every edge of the picture carries its local derivative; the red path from w to C
multiplies out to ∂C/∂w, which is w.grad.
Writes neuron_graph.svg and neuron_graph.png (and the same with the weighted sum expanded) into DIR.
"""

import argparse
from pathlib import Path

from autograd_nn import Value, sigmoid, weighted_sum
from autograd_nn.viz import draw_graph, explain, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    w, a_in, b = Value(0.8, label="w"), Value(1.5, label="a_in"), Value(-0.4, label="b")
    y = 1.0  # the target
    z = weighted_sum([w], [a_in], b)
    z.label = "z"
    a = sigmoid(z)
    a.label = "a"
    cost = 0.5 * (a - y) ** 2
    cost.label = "C"
    cost.backward()

    print(explain(cost, w))
    print(f"w.grad = {w.grad:.4g} (backward)")
    graph = draw_graph(cost, highlight=w)
    for fmt in ("svg", "png"):
        print("wrote", render(graph, out_dir / f"neuron_graph.{fmt}", format=fmt))
    print("wrote", render(draw_graph(cost, highlight=w, collapse="none"), out_dir / "neuron_graph_expanded.png",
                          format="png"))


if __name__ == "__main__":
    main()
