"""Backprop layer by layer, as the recursion on δ, with the numbers of one sample filled in.

    python examples/explain_layers.py [--out DIR]

1. Sigmoid and squared error, the worked example of Jakobsen (2022; README, References): in a 2-2-2 sigmoid
   network, the output neuron it follows gives out₁ = 0.79 for target 1, and the weight w₁ into it (0.92)
   reads a hidden output of 0.92. The weights not stated there are chosen here; the biases are set so that
   those outputs come out.
   Then ∂C/∂w₁ = δ²₁ · a¹₁ = (−0.21 · 0.1659) · 0.92, and one step with learning rate 1 moves w₁ to about 0.952.
2. Tanh then sigmoid with cross-entropy, the two-layer network of Shen (README, References; 2 inputs, 4 tanh,
   1 sigmoid): there δ² = a² − y (the sigmoid's derivative cancels the cross-entropy's denominator).
3. ReLU then a linear output with softmax cross-entropy (3 classes): δ² = softmax(z²) − onehot(k).

Each prints explain_layers(...) and writes its picture (δ on each neuron, ∂C/∂w on each edge) to DIR.
"""

import argparse
import math
from pathlib import Path

from autograd_nn import MLP
from autograd_nn.optim import SGD
from autograd_nn.viz import explain_layers, render


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def worked_example() -> tuple[MLP, list[float], list[float]]:
    """A 2-2-2 sigmoid MLP with hidden output a¹₁ = 0.92, output a²₁ = 0.79 and w₁ = W²[1, 1] = 0.92."""
    model = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    x = [0.35, 0.9]
    hidden, output = model.layers
    for neuron, (w, b) in zip(hidden.neurons, [([0.1, 0.8], None), ([0.4, 0.6], 0.0)]):
        for v, wv in zip(neuron.w, w):
            v.data = wv
        neuron.b.data = b if b is not None else logit(0.92) - sum(wv * xv for wv, xv in zip(w, x))
    a2 = 1.0 / (1.0 + math.exp(-(0.4 * x[0] + 0.6 * x[1])))  # the second hidden output (bias 0)
    for neuron, w in zip(output.neurons, [[0.92, 0.5], [-0.3, 0.7]]):
        for v, wv in zip(neuron.w, w):
            v.data = wv
    output.neurons[0].b.data = logit(0.79) - (0.92 * 0.92 + 0.5 * a2)  # so that out₁ = σ(z²₁) = 0.79
    output.neurons[1].b.data = 0.0
    return model, x, [1.0, 0.0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)

    print("1. Seed 002: sigmoid, squared error\n")
    model, x, y = worked_example()
    e = explain_layers(model, x, y, loss="squared_error")
    print(e)
    w1 = model.layers[1].neurons[0].w[0]
    layer2 = e.layers[1]
    print(f"\n∂C/∂w₁ = δ²₁ · a¹₁ = ({layer2.back[0]:.2f} · {layer2.f_prime[0]:.4f}) · {layer2.a_in[0]:.2f} "
          f"= {layer2.dW[0, 0]:.8f}   (w₁.grad from backward(): {w1.grad:.8f})")
    SGD(model.parameters(), lr=1.0).step()
    print(f"one step with learning rate 1: w₁ = 0.92 − ({w1.grad:.8f}) = {w1.data:.8f}")
    print("picture:", render(e.graph(), out / "explain_layers_worked_example.svg"))

    print("\n2. Seed 003: tanh hidden layer, sigmoid output, cross-entropy\n")
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=3)
    e = explain_layers(model, [1.2, -0.7], [1.0], loss="binary_cross_entropy")
    print(e)
    a2, d2 = e.layers[-1].a[0], e.layers[-1].delta[0]
    print(f"\nδ² = a² − y = {a2:.6f} − 1 = {a2 - 1:.6f}; the graph's δ² = {d2:.6f}")
    print("picture:", render(e.graph(), out / "explain_layers_two_layer.svg"))

    print("\n3. ReLU hidden layer, linear output, softmax cross-entropy over 3 classes\n")
    model = MLP(2, [4, 3], activation="relu", output_activation="linear", seed=4)
    e = explain_layers(model, [0.8, 0.3], 1, loss="softmax_cross_entropy")
    print(e)
    print("picture:", render(e.graph(), out / "explain_layers_softmax.svg"))


if __name__ == "__main__":
    main()
