"""A hand-written numpy backprop with an in-place alias, diagnosed by check_backprop.

    python examples/check_backprop_alias.py

The learner writes the backward loop the way the training loop of “Machine learning on biology S2”
suggests: remember the layer's matrix in a variable, update it, then send δ down through that variable. But
``W = weights[k]`` is the same array, not a copy, so ``W -= lr * dW`` moves the matrix first and every δ
below the top layer is computed with weights already updated. check_backprop finds it and the step η.
"""

import argparse
from pathlib import Path

import numpy as np

from autograd_nn.nn import MLP
from autograd_nn.testing import check_backprop

LR = 0.2


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def train_step_gradients(weights, biases, X, y):
    """One training step of a sigmoid network that also returns the gradients it used (C = mean of ½‖a − y‖²)."""
    n = X.shape[1]
    activations = [X]
    for W, b in zip(weights, biases):
        activations.append(sigmoid(W @ activations[-1] + b))
    out = activations[-1]
    delta = (out - y) * out * (1 - out) / n
    dW, db = [None] * len(weights), [None] * len(weights)
    for k in reversed(range(len(weights))):
        dW[k] = delta @ activations[k].T
        db[k] = delta.sum(axis=1, keepdims=True)
        W = weights[k]  # meant as "keep the k-th matrix": an alias of it
        W -= LR * dW[k]  # the update, in place: weights[k] moves too
        biases[k] -= LR * db[k]
        a = activations[k]
        delta = (W.T @ delta) * a * (1 - a)  # δ of the layer below, through the moved matrix
    return dW, db


def main():
    model = MLP(4, [5, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 3))  # 3 samples, one per column
    y = rng.uniform(size=(2, 3))
    report = check_backprop(train_step_gradients, model, X, y, loss="squared_error")
    print(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the report into this folder")
    out_dir = parser.parse_args().out
    text = str(main())
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "check_backprop_alias.txt").write_text(text + "\n", encoding="utf-8")
