"""Vanishing and exploding gradients: the mean |∂C/∂W| of every layer for depths 2-10, sigmoid/tanh/relu and
uniform/xavier/he initial weights, on one batch of moons points.

    python examples/gradient_flow.py [--out DIR]

Prints the table's summary (where the gradient vanishes or explodes) and writes gradient_flow.png. Then it checks
one network by hand: the deep sigmoid network's first-layer figure is the mean of |w.grad| over its weights.
"""

import argparse
from pathlib import Path

from autograd_nn.lab import gradient_flow, layer_gradient_sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)

    result = gradient_flow(depths=(2, 4, 6, 8, 10), activations=("sigmoid", "tanh", "relu"),
                           inits=("uniform", "xavier", "he"))
    print(result.summary())
    print("\nthe deep sigmoid + xavier network, layer by layer:")
    for row in result.network("sigmoid", "xavier", 10):
        print(f"  layer {row.layer:2}: mean |∂C/∂W| = {row.mean_abs_grad:.3e}, mean |δ| = {row.mean_abs_delta:.3e}, "
              f"mean |σ'(z)| = {row.mean_abs_slope:.3f}")
    model = result.models[("sigmoid", "xavier", 10)]
    first = model.layers[0]
    by_hand = sum(abs(w.grad) for n in first.neurons for w in n.w) / sum(len(n.w) for n in first.neurons)
    print(f"\nlayer 1 by hand from .grad: {by_hand:.6e}; layer_gradient_sizes(model)[0] = "
          f"{layer_gradient_sizes(model)[0]:.6e}")
    result.plot(out / "gradient_flow.png")
    print("picture:", out / "gradient_flow.png")


if __name__ == "__main__":
    main()
