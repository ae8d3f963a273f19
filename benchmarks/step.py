"""Time one full-batch training step in micrograd 0.1.0, the plain engine, the Tape and numpy (run by hand).

Workload: moons (100 samples, noise 0.1), MLP 2-16-16-1 (ReLU hidden, linear output), hinge loss + 1e-4·Σp²,
forward + backward + SGD update. Same data, same initial weights, same loss everywhere; the systems are timed
round-robin in one run and the medians compared.  Usage: python benchmarks/step.py [--reps 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from micrograd import engine as mg_engine
from micrograd import nn as mg_nn

from autograd_nn.engine import Value, weighted_sum
from autograd_nn.tape import Tape

SIZES = [2, 16, 16, 1]
ALPHA, LR = 1e-4, 0.05


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    half = n // 2
    t_out, t_in = np.linspace(0, np.pi, n - half), np.linspace(0, np.pi, half)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[np.ones(n - half), -np.ones(half)]
    return X + rng.normal(scale=noise, size=X.shape), y


def initial_weights(seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (nout, nin)), rng.uniform(-1, 1, nout)) for nin, nout in zip(SIZES, SIZES[1:])]


def step_ours(X, y, state):
    params = state
    loss, flat = build_ours_from(X, y, params)
    for p in flat:
        p.grad = 0.0
    loss.backward()
    for p in flat:
        p.data -= LR * p.grad
    return loss.data, [p.grad for p in flat]


def build_ours_from(X, y, params):
    """The workload's loss graph, built by a small MLP over the fused weighted_sum node."""
    losses = []
    for xi, yi in zip(X.tolist(), y.tolist()):
        a = [Value(v) for v in xi]  # inputs as leaves, shared by the first layer's neurons
        for k, layer in enumerate(params):
            z = [weighted_sum(ws, a, b) for ws, b in layer]
            a = [zi.relu() for zi in z] if k < len(params) - 1 else z
        losses.append((1 + -yi * a[0]).relu())
    flat = [p for layer in params for ws, b in layer for p in (*ws, b)]
    loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in flat)
    return loss, flat


def step_tape(tape, flat):
    loss = tape.forward()
    for p in flat:
        p.grad = 0.0
    tape.backward()
    for p in flat:
        p.data -= LR * p.grad
    return loss, [p.grad for p in flat]


# -- micrograd 0.1.0 ----------------------------------------------------------------------------------------
def micrograd_model(weights):
    model = mg_nn.MLP(2, SIZES[1:])
    for layer, (W, B) in zip(model.layers, weights):
        for neuron, row, b in zip(layer.neurons, W, B):
            for p, w in zip(neuron.w, row):
                p.data = float(w)
            neuron.b.data = float(b)
    return model


def step_micrograd(X, y, model):
    inputs = [[mg_engine.Value(v) for v in xi] for xi in X.tolist()]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * s).relu() for yi, s in zip(y.tolist(), scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    loss = data_loss + ALPHA * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return loss.data, [p.grad for p in model.parameters()]


# -- hand-written numpy matrix backprop ---------------------------------------------------------------------
def step_numpy(X, y, Ws):
    acts, zs, a = [X], [], X
    for k, (W, b) in enumerate(Ws):
        z = a @ W.T + b
        zs.append(z)
        a = np.maximum(z, 0.0) if k < len(Ws) - 1 else z
        acts.append(a)
    score = a[:, 0]
    margin = 1.0 - y * score
    n = len(y)
    loss = np.maximum(margin, 0.0).sum() / n + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in Ws)
    delta = ((margin > 0) * -y / n)[:, None]
    grads = [None] * len(Ws)
    for k in range(len(Ws) - 1, -1, -1):
        W, b = Ws[k]
        gW = delta.T @ acts[k] + 2 * ALPHA * W
        gb = delta.sum(0) + 2 * ALPHA * b
        grads[k] = (gW, gb)
        if k:
            delta = (delta @ W) * (zs[k - 1] > 0)
    flat = [g for gW, gb in grads for row, gbi in zip(gW, gb) for g in (*row, gbi)]
    for (W, b), (gW, gb) in zip(Ws, grads):
        W -= LR * gW
        b -= LR * gb
    return float(loss), flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    X, y = moons()
    weights = initial_weights()

    mg_model = micrograd_model(weights)
    ours = [[([Value(float(w)) for w in row], Value(float(b))) for row, b in zip(W, B)] for W, B in weights]
    tape_params = [[([Value(float(w)) for w in row], Value(float(b))) for row, b in zip(W, B)] for W, B in weights]
    tape_root, tape_flat = build_ours_from(X, y, tape_params)
    tape = Tape(tape_root)
    np_state = [(W.copy(), B.copy()) for W, B in weights]

    systems = {
        "micrograd 0.1.0": lambda: step_micrograd(X, y, mg_model),
        "autograd_nn Value": lambda: step_ours(X, y, ours),
        "autograd_nn Tape": lambda: step_tape(tape, tape_flat),
        "numpy by hand": lambda: step_numpy(X, y, np_state),
    }
    times: dict[str, list[float]] = {name: [] for name in systems}
    results: dict[str, list] = {name: [] for name in systems}
    for _ in range(args.reps):  # round-robin: every system sees the same machine load
        for name, step in systems.items():
            inner = 1 if name.startswith(("micrograd", "autograd_nn Value")) else 200
            t0 = time.perf_counter()
            for _ in range(inner):
                out = step()
                results[name].append(out)
            times[name].append((time.perf_counter() - t0) / inner)

    # Check: the first step of every system gives the same loss and gradients (all started from the same weights).
    ref_loss, ref_grads = results["micrograd 0.1.0"][0]
    for name in systems:
        loss, grads = results[name][0]
        err = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip([loss, *grads], [ref_loss, *ref_grads]))
        print(f"check {name:18s} first-step loss {loss:.12f}  max rel diff vs micrograd {err:.1e}")
        assert err < 1e-9, name

    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"\n{'system':18s} {'median step':>12s} {'× faster than micrograd':>24s} {'× numpy time':>13s}")
    for name, t in med.items():
        print(f"{name:18s} {t * 1e3:9.3f} ms {med['micrograd 0.1.0'] / t:24.1f} {t / med['numpy by hand']:13.1f}")


if __name__ == "__main__":
    main()
