"""The Tape's training step and its compile time on a grid of sizes, against numpy by hand, PyTorch and JAX.

    python benchmarks/grid.py [--reps 5] [--threads N] [--samples 100,300,1000,3000] [--widths 16,32,64,128]

The workload is benchmarks/step.py's spiral (3 classes, MLP 2-w-w-3, ReLU, mean softmax cross-entropy +
1e-4·Σp², SGD) at every (samples × width) of the grid. Per cell: the bound Tape step (``forward(); gradient();
opt.step()``), numpy by hand, PyTorch eager f64 and JAX jit f64 (each skipped when not installed), timed
round-robin (medians of ``--reps``), and two one-off times: building the loss graph on Values, and ``Tape(loss)``
(record + passes + layout + compile), whose ratio should stay about constant (linear) and at most 1.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import step as bench  # noqa: E402

from autograd_nn import data  # noqa: E402
from autograd_nn.tape import Tape  # noqa: E402


def cell(n: int, width: int, reps: int) -> dict[str, float]:
    X, y = data.spiral(n, 0.1, seed=0, classes=3)
    w = bench.Workload(f"spiral {n}×{width}", [2, width, width, 3], X, y.astype(int), "cross_entropy", False)
    weights = bench.initial_weights(w.sizes)
    model = bench.library_model(w, weights)
    gc.collect()
    t0 = time.perf_counter()
    loss = bench.loss_graph(model, w, "floats", "mean_loss")
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    Tape(loss)
    compile_time = time.perf_counter() - t0
    del loss
    systems = {"Tape bound": bench.tape_bound_system(w, weights, "floats", "mean_loss"),
               "numpy": bench.numpy_system(w, weights)}
    if bench.torch is not None:
        systems["PyTorch"] = bench.torch_system(w, weights)
    if bench.jax is not None:
        systems["JAX jit"] = bench.jax_system(w, weights)
    for step, _ in systems.values():
        step()
    out = bench.round_robin(systems, reps)
    out["build graph"], out["Tape()"] = build, compile_time
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--samples", default="100,300,1000,3000")
    parser.add_argument("--widths", default="16,32,64,128")
    args = parser.parse_args()
    bench.load_jax(args.threads)
    if args.threads is not None and bench.threadpool_limits is not None:
        bench.threadpool_limits(args.threads)
    if bench.torch is not None:
        bench.torch.set_num_threads(args.threads or bench.numpy_threads())
    print(f"threads: numpy BLAS {bench.numpy_threads()}, PyTorch "
          f"{bench.torch.get_num_threads() if bench.torch is not None else '-'}, JAX "
          f"{'installed' if bench.jax is not None else 'not installed'}")
    print(f"{'samples×width':>14s} {'Tape':>9s} {'numpy':>9s} {'PyTorch':>9s} {'JAX jit':>9s} {'T/np':>6s} "
          f"{'T/torch':>7s} {'T/jax':>6s} {'build':>8s} {'Tape()':>8s} {'Tape()/build':>12s}")
    for n in map(int, args.samples.split(",")):
        for width in map(int, args.widths.split(",")):
            t = cell(n, width, args.reps)
            tape, np_t, torch_t, jax_t = t["Tape bound"], t["numpy"], t.get("PyTorch"), t.get("JAX jit")

            def ms(x: float | None) -> str:
                return f"{x * 1e3:7.3f}ms" if x is not None else f"{'-':>9s}"

            def ratio(x: float | None, width: int = 6, tape: float = tape) -> str:
                return f"{tape / x:{width}.2f}" if x else f"{'-':>{width}s}"
            print(f"{n:>8d}×{width:<5d} {ms(tape)} {ms(np_t)} {ms(torch_t)} {ms(jax_t)} {ratio(np_t)} "
                  f"{ratio(torch_t, 7)} {ratio(jax_t)} {t['build graph']:7.3f}s {t['Tape()']:7.3f}s "
                  f"{t['Tape()'] / t['build graph']:12.2f}", flush=True)


if __name__ == "__main__":
    main()
