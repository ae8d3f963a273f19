"""The Tape's training step and its compile time on a grid of sizes, against numpy by hand, PyTorch and JAX.

    python benchmarks/grid.py [--reps 5] [--threads N] [--samples 100,300,1000,3000] [--widths 16,32,64,128]
                              [--before PACKAGE]

The workload is benchmarks/step.py's spiral (3 classes, MLP 2-w-w-3, ReLU, mean softmax cross-entropy +
1e-4·Σp², SGD) at every (samples × width) of the grid. Per cell: the bound Tape step (``forward(); gradient();
opt.step()``), numpy by hand, PyTorch eager f64 and JAX jit f64 (each skipped when not installed), timed
round-robin (medians of ``--reps``), and two one-off times: building the loss graph on Values, and ``Tape(loss)``
(record + passes + layout + compile), whose ratio should stay about constant (linear) and at most 1.
``--before PACKAGE`` adds another copy of the library (an older commit's ``autograd_nn`` copied under another
name, as for step.py): its bound step in the same round-robin, and its ``Tape()`` on the same graph.
"""

from __future__ import annotations

import argparse
import gc
import importlib
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
    before_compile = None
    if BEFORE is not None:
        before_tape = importlib.import_module(f"{BEFORE}.tape").Tape
        before_loss = before_graph(BEFORE, w, weights)
        gc.collect()
        t0 = time.perf_counter()
        before_tape(before_loss)
        before_compile = time.perf_counter() - t0
        del before_loss
    del loss
    systems = {"Tape bound": bench.tape_bound_system(w, weights, "floats", "mean_loss"),
               "numpy": bench.numpy_system(w, weights)}
    if BEFORE is not None:
        systems["Tape before"] = bench.before_system(BEFORE, w, weights, "mean_loss")
    if bench.torch is not None:
        systems["PyTorch"] = bench.torch_system(w, weights)
    if bench.jax is not None:
        systems["JAX jit"] = bench.jax_system(w, weights)
    for step, _ in systems.values():
        step()
    out = bench.round_robin(systems, reps)
    out["build graph"], out["Tape()"] = build, compile_time
    if before_compile is not None:
        out["Tape() before"] = before_compile
    return out


def before_graph(package: str, w: bench.Workload, weights: list) -> object:
    """The same loss graph (floats, mean_loss) built with another copy of the library."""
    nn_, losses_, engine_ = (importlib.import_module(f"{package}.{m}") for m in ("nn", "losses", "engine"))
    model = bench.set_weights(nn_.MLP(w.sizes[0], w.sizes[1:], activation="relu", output_activation="linear"),
                              weights)
    per = [losses_.softmax_cross_entropy(model(list(x)), int(k)) for x, k in zip(w.X.tolist(), w.y.tolist())]
    ps = model.parameters()
    return losses_.mean_loss(per) + bench.ALPHA * engine_.weighted_sum(ps, ps)


BEFORE: str | None = None


def ratio_of(x: float, y: float | None) -> str:
    return f"{x / y:7.2f}" if y else f"{'-':>7s}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--samples", default="100,300,1000,3000")
    parser.add_argument("--widths", default="16,32,64,128")
    parser.add_argument("--before", default=None, metavar="PACKAGE",
                        help="also time the bound Tape and Tape() of this importable copy of the library")
    args = parser.parse_args()
    global BEFORE
    BEFORE = args.before
    bench.load_jax(args.threads)
    if args.threads is not None and bench.threadpool_limits is not None:
        bench.threadpool_limits(args.threads)
    if bench.torch is not None:
        bench.torch.set_num_threads(args.threads or bench.numpy_threads())
    print(f"threads: numpy BLAS {bench.numpy_threads()}, PyTorch "
          f"{bench.torch.get_num_threads() if bench.torch is not None else '-'}, JAX "
          f"{'installed' if bench.jax is not None else 'not installed'}")
    print(f"{'samples×width':>14s} {'Tape':>9s} {'numpy':>9s} {'PyTorch':>9s} {'JAX jit':>9s} {'T/np':>6s} "
          f"{'T/torch':>7s} {'T/jax':>6s} {'build':>8s} {'Tape()':>8s} {'Tape()/build':>12s}"
          + (f" {'before':>9s} {'b/np':>5s} {'b/torch':>7s} {'Tape() before/build':>19s}" if BEFORE else ""))
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
                  f"{t['Tape()'] / t['build graph']:12.2f}"
                  + (f" {ms(t['Tape before'])} {t['Tape before'] / np_t:5.2f} "
                     f"{ratio_of(t['Tape before'], torch_t)} {t['Tape() before'] / t['build graph']:19.2f}"
                     if BEFORE else ""), flush=True)


if __name__ == "__main__":
    main()
