"""(d) The δ recursion of a two-layer network in numpy (after Shen and Punnen)."""

from __future__ import annotations

from types import ModuleType

import numpy as np
from hypothesis import strategies as st

from ..nn import MLP
from ..testing.backprop_check import check_backprop
from .grading import not_done, smallest

NAME = "d_two_layer"
TITLE = "the δ recursion of a two-layer network in numpy (tanh, then sigmoid; cross-entropy)"
HINT = ("δ² = a² − y (sigmoid with cross-entropy), δ¹ = ((W²)ᵀ δ²) ⊙ (1 − (a¹)²); ∂C/∂Wˡ = (1/m) δˡ (aˡ⁻¹)ᵀ and "
        "∂C/∂bˡ = (1/m) Σ over the samples (columns) of δˡ")
TASK = """\
The network of Marshall Shen's “The math of neural networks”: Z¹ = W¹ X + b¹, A¹ = tanh(Z¹),
Z² = W² A¹ + b², A² = σ(Z²), and C = −(1/m) Σᵢ [y log a² + (1 − y) log(1 − a²)]. One column per sample:
X is (2 × m), y (1 × m); W¹ is (3 × 2), b¹ (3 × 1), W² (1 × 3), b² (1 × 1).
gradients(weights, biases, X, y) returns ([dW¹, dW²], [db¹, db²]) in the shapes of the weights and biases.
The grader compares them with the engine's through autograd_nn.testing.check_backprop."""
HINTS = ["forward first, keeping Z¹, A¹, A²", "the 1/m goes into every gradient; sum db over axis=1"]
STUB = '''
import numpy as np


def gradients(weights, biases, X, y):
    """([∂C/∂W¹, ∂C/∂W²], [∂C/∂b¹, ∂C/∂b²]) for the network above."""
    W1, W2 = weights
    b1, b2 = biases
    raise NotImplementedError("TODO: gradients")
'''
SOLUTION = '''
import numpy as np


def gradients(weights, biases, X, y):
    """([∂C/∂W¹, ∂C/∂W²], [∂C/∂b¹, ∂C/∂b²]) for the network above."""
    W1, W2 = weights
    b1, b2 = biases
    m = X.shape[1]
    A1 = np.tanh(W1 @ X + b1)
    A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
    d2 = A2 - y
    d1 = (W2.T @ d2) * (1 - A1 ** 2)
    return [d1 @ X.T / m, d2 @ A1.T / m], [d1.sum(axis=1, keepdims=True) / m, d2.sum(axis=1, keepdims=True) / m]
'''


def _case(m: int, seed: int) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=seed)
    return model, rng.normal(size=(2, m)), rng.integers(0, 2, size=(1, m)).astype(float)


def _report(module: ModuleType, m: int, seed: int) -> str | None:
    model, X, y = _case(m, seed)
    r = check_backprop(module.gradients, model, X, y, loss="binary_cross_entropy")
    not_done(r)
    return None if r.ok else str(r)


def grade(module: ModuleType) -> tuple[bool, str, str]:
    for m, seed in ((1, 0), (4, 1), (7, 2)):
        wrong = _report(module, m, seed)
        if wrong:
            found = smallest(st.tuples(st.integers(1, 6), st.integers(0, 1000)),
                             lambda c: _report(module, *c) is not None)
            return False, wrong, "" if found is None else f"(m samples, seed) = {found}"
    return True, "check_backprop agrees on 1, 4 and 7 samples", ""
