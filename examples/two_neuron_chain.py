"""A chain of two sigmoid neurons (from Alex Punnen's “The Maths behind Neural Networks”, 2019-2021; README,
References): x → a¹ = σ(w¹x + b¹) → a² = σ(w²a¹ + b²), cost C = ½(a² − y)².

    python examples/two_neuron_chain.py [--out DIR]

The chain rule written out link by link, beside backward():
δ² = ∂C/∂z² = (a² − y)·σ'(z²), ∂C/∂w² = δ² a¹, ∂C/∂b² = δ²;
δ¹ = w² δ² · σ'(z¹), ∂C/∂w¹ = δ¹ x, ∂C/∂b¹ = δ¹  (σ'(z) = a(1 − a)).
Then gradient descent on this one example, printing the cost as the weights move.
"""

import argparse
from pathlib import Path

from autograd_nn import MLP, losses
from autograd_nn.optim import SGD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    parser.parse_args()  # nothing is written: the example prints its numbers

    model = MLP(1, [1, 1], activation="sigmoid", output_activation="sigmoid", seed=4)
    (n1,), (n2,) = (layer.neurons for layer in model.layers)
    x, y = 1.5, 0.2
    a2 = model([x])
    C = losses.squared_error(a2, y)
    C.backward()

    a1 = n1([x]).data
    d2 = (a2.data - y) * a2.data * (1 - a2.data)
    d1 = n2.w[0].data * d2 * a1 * (1 - a1)
    print(f"x = {x}, y = {y}: a¹ = {a1:.5f}, a² = {a2.data:.5f}, C = {C.data:.6f}")
    for name, by_hand, by_backward in [("∂C/∂w²", d2 * a1, n2.w[0].grad), ("∂C/∂b²", d2, n2.b.grad),
                                       ("∂C/∂w¹", d1 * x, n1.w[0].grad), ("∂C/∂b¹", d1, n1.b.grad)]:
        print(f"{name}: by hand {by_hand:+.10f}   backward() {by_backward:+.10f}")

    opt = SGD(model.parameters(), lr=2.0)
    for step in range(41):
        opt.zero_grad()
        C = losses.squared_error(model([x]), y)
        C.backward()
        opt.step()
        if step % 10 == 0:
            print(f"step {step:2d}: C = {C.data:.6f}, w¹ = {n1.w[0].data:+.4f}, w² = {n2.w[0].data:+.4f}")


if __name__ == "__main__":
    main()
