"""∂E/∂w₁ of a worked example (John Jakobsen's “Math Behind Neural Networks”, 2022; README, References):
one sigmoid output at 0.79, target 1, squared error; ∂E/∂w₁ by backward().

    python examples/worked_example.py [--out DIR]

By hand: ∂E/∂out = −(1 − 0.79) = −0.21, ∂out/∂net = 0.79·0.21 = 0.1659, ∂net/∂w₁ = 0.92 (the input on w₁),
so ∂E/∂w₁ = −0.21 · 0.1659 · 0.92. Here one Neuron is set up to give that output and backward() does the rest;
one gradient step with learning rate 1 then moves w₁ from 0.92 to about 0.952.
"""

import argparse
import math
from pathlib import Path

from autograd_nn import Neuron, losses
from autograd_nn.optim import SGD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    parser.parse_args()  # nothing is written: the example prints its numbers

    x = 0.92
    neuron = Neuron(1, activation="sigmoid", seed=0)
    neuron.w[0].data = 0.92
    neuron.b.data = math.log(0.79 / 0.21) - 0.92 * x  # chosen so that out = σ(w₁x + b) = 0.79
    out = neuron([x])
    E = losses.squared_error(out, 1.0)  # ½(target − out)²
    E.backward()
    by_hand = -(1 - 0.79) * (0.79 * (1 - 0.79)) * x
    print(f"out = {out.data:.4f}, E = {E.data:.6f}")
    print(f"∂E/∂out   = {out.grad:+.6f}   (−(target − out) = −0.21)")
    print(f"∂E/∂w₁    = {neuron.w[0].grad:+.8f}  by backward()")
    print(f"            {by_hand:+.8f}  by hand: −0.21 · 0.1659 · 0.92")
    SGD(neuron.parameters(), lr=1.0).step()
    print(f"after one step with lr = 1: w₁ = {neuron.w[0].data:.8f}")


if __name__ == "__main__":
    main()
