"""(f) One step of gradient descent over many samples, with the 1/n of “Machine learning on biology S2”."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..nn import MLP
from ..testing.backprop_check import check_backprop
from .grading import not_done, smallest

NAME = "f_gradient_descent"
TITLE = "one gradient-descent step over n samples with the 1/n of “Machine learning on biology S2”"
HINT = ("C = (1/n) Σᵢ ½‖aᴸ⁽ⁱ⁾ − y⁽ⁱ⁾‖²: every gradient carries 1/n; compute all δ with the weights of the "
        "forward pass (copy W before changing it, or update every layer after the backward pass)")
TASK = """\
“Machine learning on biology S2: how does a neural network work mathematically?” trains a sigmoid
network on n samples at once: the weights move by −lr · (1/n) Σᵢ ∂Cᵢ/∂W. Write step(weights, biases, X, y, lr)
for any number of sigmoid layers: Zˡ = Wˡ Aˡ⁻¹ + bˡ, Aˡ = σ(Zˡ), C = (1/n) Σᵢ ½‖aᴸ⁽ⁱ⁾ − y⁽ⁱ⁾‖², one column per
sample. Return the new (weights, biases), lists of arrays in the same shapes, after ONE step.
The grader reads your step as (W − W_new) / lr and checks it with autograd_nn.testing.check_backprop."""
HINTS = ["δᴸ = (Aᴸ − y) ⊙ Aᴸ(1 − Aᴸ) / n, then δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ Aˡ(1 − Aˡ)",
         "if you update a layer inside the backward loop, the next δ must still use the old Wˡ⁺¹"]
STUB = '''
import numpy as np


def step(weights, biases, X, y, lr):
    """(new weights, new biases) after one gradient-descent step on C = (1/n) Σᵢ ½‖aᴸ⁽ⁱ⁾ − y⁽ⁱ⁾‖²."""
    raise NotImplementedError("TODO: step")
'''
SOLUTION = '''
import numpy as np


def step(weights, biases, X, y, lr):
    """(new weights, new biases) after one gradient-descent step on C = (1/n) Σᵢ ½‖aᴸ⁽ⁱ⁾ − y⁽ⁱ⁾‖²."""
    n = X.shape[1]
    A = [X]
    for W, b in zip(weights, biases):
        A.append(1 / (1 + np.exp(-(W @ A[-1] + b))))
    delta = (A[-1] - y) * A[-1] * (1 - A[-1]) / n
    new_w, new_b = [None] * len(weights), [None] * len(weights)
    for k in range(len(weights) - 1, -1, -1):
        new_w[k] = weights[k] - lr * (delta @ A[k].T)
        new_b[k] = biases[k] - lr * delta.sum(axis=1, keepdims=True)
        delta = (weights[k].T @ delta) * A[k] * (1 - A[k])
    return new_w, new_b
'''
LR = 0.2


def _as_gradients(module: ModuleType):
    """The student's step read as a gradients function: ∂C/∂W = (W − W_new) / lr."""
    def gradients(weights: list[Any], biases: list[Any], X: Any, y: Any) -> tuple[list[Any], list[Any]]:
        given_w, given_b = [w.copy() for w in weights], [b.copy() for b in biases]
        new_w, new_b = module.step(weights, biases, X, y, LR)
        return ([(w - np.asarray(nw, dtype=float)) / LR for w, nw in zip(given_w, new_w)],
                [(b - np.asarray(nb, dtype=float).reshape(b.shape)) / LR for b, nb in zip(given_b, new_b)])
    return gradients


def _report(module: ModuleType, n: int, seed: int) -> str | None:
    rng = np.random.default_rng(seed)
    model = MLP(4, [5, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=seed)
    r = check_backprop(_as_gradients(module), model, rng.normal(size=(4, n)), rng.uniform(size=(2, n)))
    not_done(r)
    return None if r.ok else str(r)


def grade(module: ModuleType) -> tuple[bool, str, str]:
    for n, seed in ((3, 0), (1, 1), (6, 2)):
        wrong = _report(module, n, seed)
        if wrong:
            found = smallest(st.tuples(st.integers(1, 6), st.integers(0, 1000)),
                             lambda c: _report(module, *c) is not None)
            return False, wrong, "" if found is None else f"(n samples, seed) = {found}"
    return True, f"step (lr = {LR}) moves the weights by −lr·∂C/∂W on 3, 1 and 6 samples of a 4-5-3-2 net", ""
