"""A two-layer network's matrix backward rules (from Marshall Shen's “The math of neural networks”; README,
References): 2 inputs, 4 tanh hidden units, 1 sigmoid output, cross-entropy cost.

    python examples/matrix_backward_two_layer.py [--out DIR]

First the backward rules for one sample, by hand (numpy) beside backward():
dz² = a² − y, dW² = dz² (a¹)ᵀ, db² = dz², dz¹ = (W²)ᵀ dz² ⊙ (1 − (a¹)²), dW¹ = dz¹ xᵀ, db¹ = dz¹.
Then the network learns XOR-labelled points with the mean cost J = (1/m) Σ cross-entropy.
"""

import argparse
from pathlib import Path

import numpy as np

from autograd_nn import MLP, data, losses
from autograd_nn.plots import plot_loss_curve
from autograd_nn.train import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=3)
    x, y = np.array([0.6, -0.4]), 1.0
    cost = losses.binary_cross_entropy(model(list(x)), y)
    cost.backward()

    (W1, b1), (W2, b2) = [(np.array([[w.data for w in n.w] for n in layer.neurons]),
                           np.array([n.b.data for n in layer.neurons])) for layer in model.layers]
    a1 = np.tanh(W1 @ x + b1)
    a2 = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
    dz2 = a2 - y
    dz1 = (W2.T @ dz2) * (1 - a1 ** 2)
    rows = [("dW²", np.outer(dz2, a1), [[w.grad for w in n.w] for n in model.layers[1].neurons]),
            ("db²", dz2, [n.b.grad for n in model.layers[1].neurons]),
            ("dW¹", np.outer(dz1, x), [[w.grad for w in n.w] for n in model.layers[0].neurons]),
            ("db¹", dz1, [n.b.grad for n in model.layers[0].neurons])]
    print(f"one sample x = {x.tolist()}, y = {y}: a² = {a2[0]:.4f}, dz² = a² − y = {dz2[0]:+.4f}")
    for name, by_hand, by_backward in rows:
        gap = np.max(np.abs(np.asarray(by_hand) - np.asarray(by_backward)))
        print(f"{name}: by hand {np.round(by_hand, 4).ravel().tolist()}")
        print(f"     backward {np.round(by_backward, 4).ravel().tolist()}  (max difference {gap:.1e})")

    X, labels = data.xor(80, seed=1)
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=3)
    history = fit(model, X, labels, loss="binary_cross_entropy", lr=1.0, epochs=150, progress=False)
    print(f"XOR, 80 points: J from {history.loss[0]:.3f} to {history.loss[-1]:.3f} in 150 steps, "
          f"accuracy {history.accuracy[-1]:.0%}")
    print("wrote", plot_loss_curve(history.loss, out_dir / "matrix_backward_two_layer_cost.png",
                                   title="2-4-1 tanh/sigmoid network on XOR"))


if __name__ == "__main__":
    main()
