"""Backward time and memory against graph size (run by hand): 10⁴, 10⁵, 10⁶ nodes should cost the same per node.

The graph is a deep chain h ← tanh(h·w + xᵢ) over 100 shared leaves, plus a plain backward of it; the time per
node staying flat shows backward is linear. Bytes per node come from benchmarks/node_memory.py (tracemalloc).
Usage: python benchmarks/scaling.py [--max 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from node_memory import bytes_per_node  # noqa: E402

from autograd_nn.engine import Value, topological_order  # noqa: E402
from autograd_nn.tape import Tape  # noqa: E402


def chain(n_nodes: int) -> Value:
    xs = [Value(0.01 * i) for i in range(100)]
    w = Value(0.9)
    h = Value(0.1)
    for i in range(n_nodes // 3):  # 3 nodes per link: mul, add, tanh
        h = (h * w + xs[i % 100]).tanh()
    return h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max", type=int, default=1_000_000)
    args = parser.parse_args()
    x, y = Value(1.5), Value(-0.5)
    print(f"bytes per node (tracemalloc): leaf {bytes_per_node(lambda: Value(1.5)):.0f}, "
          f"x * y {bytes_per_node(lambda: x * y):.0f}, tanh(x) {bytes_per_node(lambda: x.tanh()):.0f}")
    print(f"{'nodes':>9s} {'backward':>10s} {'µs/node':>8s} {'tape bwd':>10s} {'µs/node':>8s}")
    n = 10_000
    while n <= args.max:
        root = chain(n)
        nodes = len(topological_order(root))
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            root.backward()
            times.append(time.perf_counter() - t0)
        tape = Tape(root)
        tape.forward()
        t0 = time.perf_counter()
        tape.backward()
        t_tape = time.perf_counter() - t0
        t = statistics.median(times)
        print(f"{nodes:9d} {t:9.3f}s {t / nodes * 1e6:8.2f} {t_tape:9.3f}s {t_tape / nodes * 1e6:8.2f}")
        n *= 10


if __name__ == "__main__":
    main()
