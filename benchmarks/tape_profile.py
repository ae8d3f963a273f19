"""Where a Tape's training step spends its time: the plan, then every kernel's forward and backward timed alone.

    python benchmarks/tape_profile.py [--workload moons|spiral] [--loss mean_loss|sum] [--calls 1000]

The tape is the one benchmarks/step.py times in its "bound" rows: the workload's loss recorded once with the model
called on floats, the parameters bound to one array and stepped by the library's SGD; a step is
``tape.forward(); tape.gradient(); opt.step()``. Printed: ``print(tape)`` (the plan, one line per kernel), the
step and its three parts (median µs), then per kernel its prepared forward and backward closures, each the median
of ``--calls`` calls in a row (warm caches: together they come to less than the step, which also pays for the
finite checks, the zeroing of gradients, and caches that one step's 0.7 MB of values and gradients do not fit).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import step as bench  # noqa: E402

from autograd_nn.optim import SGD  # noqa: E402
from autograd_nn.tape import Tape  # noqa: E402


def median_us(f: Callable[[], object], calls: int, rounds: int = 5) -> float:
    """The median over ``rounds`` of the mean time of ``calls`` calls of ``f``, in µs."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            f()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=["moons", "spiral"], default="spiral")
    parser.add_argument("--loss", choices=["mean_loss", "sum"], default="mean_loss")
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    w = bench.workloads()[args.workload]
    model = bench.library_model(w, bench.initial_weights(w.sizes))
    tape = Tape(bench.loss_graph(model, w, "floats", args.loss))
    opt = SGD(tape.bind(model.parameters()), lr=bench.LR)

    def step() -> None:
        tape.forward()
        tape.gradient()
        opt.step()

    print(tape)
    for _ in range(100):
        step()
    calls = max(args.calls // 4, 1)
    print(f"step {median_us(step, calls):.1f} µs: forward {median_us(tape.forward, calls):.1f}, "
          f"gradient {median_us(tape.gradient, calls):.1f}, opt.step {median_us(opt.step, calls):.1f}")
    prepared = [kernel.prepare(tape.values, tape.gradients) for kernel in tape.plan.kernels]
    print(f"{'forward':>8s} {'backward':>8s}  kernel (µs, each alone)")
    total_f = total_b = 0.0
    with np.errstate(all="ignore"):
        for kernel, (forward, backward) in zip(tape.plan.kernels, prepared):
            f, b = median_us(forward, args.calls), median_us(backward, args.calls)
            total_f, total_b = total_f + f, total_b + b
            print(f"{f:8.2f} {b:8.2f}  {str(kernel).split('#')[0].strip()[:100]}")
    print(f"{total_f:8.1f} {total_b:8.1f}  all kernels")
    vals = tape.values
    print(f"the forward's finite check over {vals.size} values: "
          f"{median_us(lambda: np.isfinite(vals).all(), args.calls):.2f} µs")


if __name__ == "__main__":
    main()
