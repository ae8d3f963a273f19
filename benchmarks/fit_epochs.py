"""Epochs per second of mini-batch training: fit() with the Value backend, fit() with TapeBackend, and PyTorch.

    python benchmarks/fit_epochs.py [--reps 5] [--batch-size 32] [--epochs 20]

Workload: moons, 100 samples (noise 0.1), MLP 2-16-16-1 (ReLU hidden, linear output), hinge + 1e-4·Σp²,
SGD lr 0.05, mini-batches of 32 shuffled each epoch (fit's seed), so an epoch is batches of 32, 32, 32 and 4.
TapeBackend records one tape per batch shape (here two: 32 and the last 4) and replays them; the script prints
how many it recorded. PyTorch (optional, the bench extra) runs the same batches in the same order: float64,
nn.Sequential, torch.optim.SGD, set to numpy's BLAS thread count. All start from the same weights; the
parameters after the first epoch are checked to agree (1e-12 relative, to max(1, |p|)), outside the timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from step import (  # noqa: E402
    ALPHA,
    LR,
    initial_weights,
    library_model,
    numpy_threads,
    torch,
    torch_mlp,
    workloads,
)

from autograd_nn.tape import TapeBackend  # noqa: E402
from autograd_nn.train import fit  # noqa: E402


def ours(backend: Any | None) -> tuple[Any, Any]:
    w = workloads()["moons"]
    model = library_model(w, initial_weights(w.sizes))
    labels = (w.y > 0).astype(int)  # fit's hinge takes 0/1 labels
    extra = {} if backend is None else {"backend": backend}

    def run(epochs: int) -> None:
        fit(model, w.X, labels, loss="hinge", lr=LR, l2=ALPHA, epochs=epochs, batch_size=ARGS.batch_size,
            progress=False, seed=0, **extra)

    return run, lambda: [p.data for p in model.parameters()]


def pytorch() -> tuple[Any, Any]:
    w = workloads()["moons"]
    model = torch_mlp(initial_weights(w.sizes))
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=LR)
    X, y = torch.from_numpy(w.X), torch.from_numpy(w.y)
    n, size = len(w.X), ARGS.batch_size
    state = {"rng": np.random.default_rng(0)}  # fit's shuffling: one generator for the whole run

    def run(epochs: int) -> None:
        rng = state["rng"]
        for _ in range(epochs):
            order = torch.from_numpy(rng.permutation(n))
            for lo in range(0, n, size):
                rows = order[lo:lo + size]
                out = model(X[rows])
                loss = torch.relu(1.0 - y[rows] * out[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)
                opt.zero_grad()
                loss.backward()
                opt.step()

    def flat() -> list[float]:
        out: list[float] = []
        for lin in model[::2]:
            for row, b in zip(lin.weight.detach().numpy(), lin.bias.detach().numpy()):
                out += [*row.tolist(), float(b)]
        return out

    return run, flat


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per timed run (the Value backend: 2)")
    ARGS = parser.parse_args()
    tape_backend = TapeBackend()
    systems = {"fit, Value backend": ours(None), "fit, TapeBackend": ours(tape_backend)}
    if torch is not None:
        torch.set_num_threads(numpy_threads())
        systems["PyTorch eager f64"] = pytorch()
    else:
        print("PyTorch is not installed: its row is skipped (pip install -e '.[bench]' for torch==2.13.0)")
    # Check: one epoch each from the same weights gives the same parameters.
    after = {}
    for name, (run, params) in systems.items():
        run(1)
        after[name] = params()
    ref = after["fit, Value backend"]
    for name, ps in after.items():
        err = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(ps, ref))
        print(f"check {name:20s} parameters after one epoch: max rel diff vs the Value backend {err:.1e}")
        assert len(ps) == len(ref) and err < 1e-12, name

    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(ARGS.reps):
        for name, (run, _) in systems.items():
            epochs = 2 if name == "fit, Value backend" else ARGS.epochs
            t0 = time.perf_counter()
            run(epochs)
            times[name].append((time.perf_counter() - t0) / epochs)
    print(f"\nTapeBackend recorded {tape_backend.recordings} tape(s) over "
          f"{1 + ARGS.reps * ARGS.epochs} epochs (batch size {ARGS.batch_size}, 100 samples)")
    print(f"\n{'system':20s} {'epochs/s':>10s} {'ms/epoch':>10s} {'× Value backend':>16s}")
    med = {name: statistics.median(ts) for name, ts in times.items()}
    for name, t in med.items():
        print(f"{name:20s} {1 / t:10.1f} {t * 1e3:10.3f} {med['fit, Value backend'] / t:16.1f}")


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
