"""A hand-written numpy backprop with a transpose mistake, diagnosed by check_backprop.

    python examples/check_backprop_transpose.py

On a 3-3-3 tanh network every matrix is square, so ``W @ delta`` runs where ``W.T @ delta`` belongs: numpy
raises nothing and the numbers are silently wrong below the top layer. check_backprop names the mistake.
"""

import argparse
from pathlib import Path

import numpy as np

from autograd_nn.nn import MLP
from autograd_nn.testing import check_backprop


def gradients(weights, biases, X, y):
    """∂C/∂W, ∂C/∂b for tanh layers, C = mean over the samples of ½‖a − y‖² (one column per sample)."""
    n = X.shape[1]
    A = [X]
    for W, b in zip(weights, biases):
        A.append(np.tanh(W @ A[-1] + b))
    delta = (A[-1] - y) * (1 - A[-1] ** 2) / n
    dW, db = [], []
    for k in reversed(range(len(weights))):
        dW.insert(0, delta @ A[k].T)
        db.insert(0, delta.sum(axis=1, keepdims=True))
        delta = (weights[k] @ delta) * (1 - A[k] ** 2)  # the mistake: weights[k].T belongs here
    return dW, db


def main():
    model = MLP(3, [3, 3], activation="tanh", output_activation="tanh", seed=1)
    rng = np.random.default_rng(1)
    report = check_backprop(gradients, model, rng.normal(size=(3, 4)), rng.uniform(-0.5, 0.5, size=(3, 4)))
    print(report)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the report into this folder")
    out_dir = parser.parse_args().out
    text = str(main())
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "check_backprop_transpose.txt").write_text(text + "\n", encoding="utf-8")
