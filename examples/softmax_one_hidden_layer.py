"""One hidden layer and softmax for K classes (from Jyotir Sai's “Deriving Neural Networks”; README, References):
sigmoid hidden units, K outputs turned into probabilities by softmax, trained with the cross-entropy of the true class.

    python examples/softmax_one_hidden_layer.py [--out DIR]

Hidden units Z_m = σ(α₀ₘ + αₘᵀX), outputs T_k = β₀ₖ + βₖᵀZ, probabilities softmax(T)_k. For one sample the
gradient of −log softmax(T)_y with respect to T is softmax(T) − onehot(y): checked against backward(), then
the network is fitted to three Gaussian blobs.
"""

import argparse
from pathlib import Path

import numpy as np

from autograd_nn import MLP, data, losses
from autograd_nn.optim import Adam
from autograd_nn.plots import plot_loss_curve
from autograd_nn.train import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    K = 3
    model = MLP(2, [5, K], activation="sigmoid", output_activation="linear", seed=1)
    x, label = [0.4, -1.1], 2
    T = model(x)
    loss = losses.softmax_cross_entropy(T, label)
    loss.backward()
    probabilities = np.array([p.data for p in losses.softmax(T)])
    print(f"softmax(T) = {np.round(probabilities, 4).tolist()}, class {label}, loss {loss.data:.4f}")
    print(f"∂loss/∂T by hand   {np.round(probabilities - np.eye(K)[label], 6).tolist()}")
    print(f"∂loss/∂T backward  {np.round([t.grad for t in T], 6).tolist()}")

    X, y = data.blobs(90, noise=0.6, seed=2, centers=K)
    model = MLP(2, [5, K], activation="sigmoid", output_activation="linear", seed=1)
    history = fit(model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=0.05), epochs=60,
                  progress=False)
    print(f"3 blobs, 90 points: loss {history.loss[0]:.3f} → {history.loss[-1]:.3f}, "
          f"accuracy {history.accuracy[0]:.0%} → {history.accuracy[-1]:.0%}")
    print("wrote", plot_loss_curve(history.loss, out_dir / "softmax_one_hidden_layer_loss.png",
                                   accuracy=history.accuracy, title="one hidden layer, softmax output"))


if __name__ == "__main__":
    main()
