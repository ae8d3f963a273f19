"""Time one full-batch training step in micrograd 0.1.0, the plain engine, the Tape and numpy (run by hand).

Workload: moons (100 samples, noise 0.1), MLP 2-16-16-1 (ReLU hidden, linear output), hinge loss + 1e-4·Σp²,
forward + backward + SGD update. Same data, same initial weights, same loss everywhere; the systems are timed
round-robin in one run and the medians compared. autograd_nn runs its own MLP, hinge and mean_loss; the tape is
recorded once before timing. A timed step is only forward, backward and update: the gradients are collected for
the agreement check on the first step, outside the timing.  Usage: python benchmarks/step.py [--reps 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from micrograd import engine as mg_engine
from micrograd import nn as mg_nn

from autograd_nn.engine import Value
from autograd_nn.losses import hinge, mean_loss
from autograd_nn.nn import MLP
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


def set_weights(model, weights):
    """Give a model (autograd_nn's or micrograd's: both have layers → neurons → w, b) the shared weights."""
    for layer, (W, B) in zip(model.layers, weights):
        for neuron, row, b in zip(layer.neurons, W, B):
            for p, w in zip(neuron.w, row):
                p.data = float(w)
            neuron.b.data = float(b)
    return model


def library_model(weights: list[tuple[np.ndarray, np.ndarray]]) -> MLP:
    """autograd_nn's own MLP (fused weighted-sum neurons), set to the shared initial weights."""
    return set_weights(MLP(SIZES[0], SIZES[1:], activation="relu", output_activation="linear"), weights)


def loss_graph(model: MLP, X: np.ndarray, y: np.ndarray) -> Value:
    """The workload's loss with the library's pieces: mean hinge over the batch + α·Σp² (the same sum as micrograd)."""
    inputs = [[Value(v) for v in xi] for xi in X.tolist()]
    data_loss = mean_loss([hinge(model(x), yi) for x, yi in zip(inputs, y.tolist())])
    return data_loss + ALPHA * sum(p * p for p in model.parameters())


def step_ours(X, y, model):
    loss = loss_graph(model, X, y)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return loss.data


def step_tape(tape, params):
    loss = tape.forward()  # reads the parameters' current .data
    for p in params:
        p.grad = 0.0
    tape.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss


# -- micrograd 0.1.0 ----------------------------------------------------------------------------------------
def micrograd_model(weights):
    return set_weights(mg_nn.MLP(2, SIZES[1:]), weights)  # ReLU hidden layers, linear output (micrograd's default)


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
    return loss.data


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
    for (W, b), (gW, gb) in zip(Ws, grads):
        W -= LR * gW
        b -= LR * gb
    Ws.last_grads = grads  # for the check only: keeping a reference costs nothing
    return float(loss)


class NumpyState(list):
    """[(W, b), …] per layer, plus the last step's gradients for the check."""

    last_grads: list = []


def flat_grads(name: str, state) -> list[float]:
    """The gradients of the step just taken, flattened in micrograd's parameter order (check only, not timed)."""
    if name == "numpy by hand":
        return [g for gW, gb in state.last_grads for row, gbi in zip(gW, gb) for g in (*row, gbi)]
    return [p.grad for p in state]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    X, y = moons()
    weights = initial_weights()

    mg_model = micrograd_model(weights)
    ours = library_model(weights)
    tape_model = library_model(weights)
    tape_params = tape_model.parameters()
    tape = Tape(loss_graph(tape_model, X, y))  # recorded once, before timing (as fit's TapeBackend does)
    np_state = NumpyState((W.copy(), B.copy()) for W, B in weights)

    systems = {
        "micrograd 0.1.0": (lambda: step_micrograd(X, y, mg_model), mg_model.parameters()),
        "autograd_nn Value": (lambda: step_ours(X, y, ours), ours.parameters()),
        "autograd_nn Tape": (lambda: step_tape(tape, tape_params), tape_params),
        "numpy by hand": (lambda: step_numpy(X, y, np_state), np_state),
    }
    # Check: the first step of every system gives the same loss and gradients (all start from the same weights).
    first = {name: (step(), flat_grads(name, state)) for name, (step, state) in systems.items()}
    ref_loss, ref_grads = first["micrograd 0.1.0"]
    for name, (loss, grads) in first.items():
        err = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip([loss, *grads], [ref_loss, *ref_grads]))
        print(f"check {name:18s} first-step loss {loss:.12f}  max rel diff vs micrograd {err:.1e}")
        assert len(grads) == len(ref_grads) and err < 1e-9, name

    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(args.reps):  # round-robin: every system sees the same machine load
        for name, (step, _) in systems.items():
            inner = 1 if name.startswith(("micrograd", "autograd_nn Value")) else 200
            t0 = time.perf_counter()
            for _ in range(inner):
                step()
            times[name].append((time.perf_counter() - t0) / inner)

    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"\n{'system':18s} {'median step':>12s} {'× faster than micrograd':>24s} {'× numpy time':>13s}")
    for name, t in med.items():
        print(f"{name:18s} {t * 1e3:9.3f} ms {med['micrograd 0.1.0'] / t:24.1f} {t / med['numpy by hand']:13.1f}")


if __name__ == "__main__":
    main()
