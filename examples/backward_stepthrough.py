"""A web page that steps through backward() on one neuron's cost, node by node.

    python examples/backward_stepthrough.py [--out DIR]

Writes DIR/backward_stepthrough.html: one self-contained page (inline SVG, no network needed) with a slider
and previous/next buttons (or the arrow keys). Each step takes a node whose grad is complete and passes
grad × local derivative to its inputs; the grads fill in from the cost back to the weights.
"""

import argparse
from pathlib import Path

from autograd_nn import Value, sigmoid, weighted_sum
from autograd_nn.viz import animate_backward, backward_steps, node_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    w = [Value(0.8, label="w1"), Value(-0.5, label="w2")]
    a_in = [Value(1.5, label="a1"), Value(0.4, label="a2")]
    b = Value(-0.4, label="b")
    z = weighted_sum(w, a_in, b)
    z.label = "z"
    a = sigmoid(z)
    a.label = "a"
    cost = 0.5 * (a - 1.0) ** 2
    cost.label = "C"

    names = node_names(cost)  # a label, or the sub-expression of an unlabelled node (the page shows the same names)
    for step in backward_steps(cost):
        sends = ", ".join(f"{c.contribution:+.4g} to {names[c.parent]}" for c in step.contributions)
        print(f"step {step.index + 1:2d}: {names[step.node]:>3} grad {step.grad:+.4g}"
              + (f"   sends {sends}" if sends else ""))
    page = animate_backward(cost, out_dir / "backward_stepthrough.html",
                            title="backward() on C = ½(σ(w·a + b) − 1)², step by step")
    print("wrote", page, "- open it in a browser")


if __name__ == "__main__":
    main()
