"""A learner's numpy backprop, written by hand for the tests, with one switch per typical mistake.

``make(activations, loss, reduction, mistake)`` returns gradients(weights, biases, X, Y) -> (dW, db) in the
contract of check_backprop (one column per sample). mistake=None is the correct pass.
"""

from __future__ import annotations

import numpy as np

MISTAKES = ("transposed_dW", "transposed_recursion", "derivative_missing", "derivative_at_a", "sign_flipped",
            "factor", "bias_missing", "bias_not_summed", "updated_weights", "softmax_delta")


def f(name, z):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    return z


def f_prime(name, z):
    if name == "sigmoid":
        s = f(name, z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0) * 1.0
    return np.ones_like(z)


def output_error(loss, a, Y):
    """∂Cᵢ/∂a for each column (sample), per-sample loss."""
    if loss == "squared_error":
        return a - Y
    if loss == "mse":
        return 2 * (a - Y) / a.shape[0]
    if loss == "binary_cross_entropy":
        return (a - Y) / (a * (1 - a))
    if loss == "hinge":
        return np.where(Y * a < 1, -Y, 0.0)
    raise ValueError(loss)


def make(activations, loss, reduction="mean", mistake=None, eta=0.3):
    def gradients(weights, biases, X, Y):
        m = X.shape[1]
        scale = 1 / m if reduction == "mean" else 1.0
        A, Z = [X], []
        for W, b, act in zip(weights, biases, activations):
            Z.append(W @ A[-1] + b)
            A.append(f(act, Z[-1]))
        L = len(weights)
        if loss == "softmax_cross_entropy":
            logits = Z[-1] if activations[-1] == "linear" else A[-1]
            e = np.exp(logits - logits.max(axis=0))
            p = e / e.sum(axis=0)
            delta = p - Y
            if mistake == "softmax_delta":
                delta = logits - Y
            if activations[-1] != "linear":
                delta = delta * f_prime(activations[-1], Z[-1])
        else:
            err = output_error(loss, A[-1], Y)
            if mistake == "sign_flipped":
                err = -err
            fp = f_prime(activations[-1], Z[-1])
            if mistake == "derivative_missing":
                fp = 1.0
            if mistake == "derivative_at_a":
                fp = f_prime(activations[-1], A[-1])
            delta = err * fp
        delta = delta * scale
        dW, db = [None] * L, [None] * L
        for k in range(L - 1, -1, -1):
            dW[k] = delta @ A[k].T
            db[k] = delta.sum(axis=1, keepdims=True)
            if mistake == "transposed_dW":
                dW[k] = A[k] @ delta.T
            if mistake == "factor":
                dW[k], db[k] = 2 * dW[k], 2 * db[k]
            if mistake == "bias_missing":
                db[k] = np.zeros_like(db[k])
            if mistake == "bias_not_summed":
                db[k] = delta
            W = weights[k]  # the alias: W is weights[k] itself
            if mistake == "updated_weights":
                W -= eta * dW[k]
            if k:
                fp = f_prime(activations[k - 1], Z[k - 1])
                if mistake == "derivative_missing":
                    fp = 1.0
                if mistake == "derivative_at_a":
                    fp = f_prime(activations[k - 1], A[k])
                back = W @ delta if mistake == "transposed_recursion" else W.T @ delta
                delta = back * fp
        return dW, db

    return gradients
