"""Bytes per graph node, measured with tracemalloc: autograd_nn beside micrograd 0.1.0, in one run.

    python benchmarks/node_memory.py [--n 100000]

A node's cost is everything allocated to create it and keep it alive (the object, its parents tuple or set,
per-node closures), divided by the number of nodes; the list holding them is not counted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any


def bytes_per_node(make_value: Callable[[], Any], n: int = 100_000) -> float:
    """Average traced bytes of ``n`` nodes, each returned by one call of ``make_value()`` and kept alive."""
    keep: list[Any] = [None] * n  # allocated before tracing starts, so only the nodes are measured
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            keep[i] = make_value()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / n


def node_makers() -> dict[str, dict[str, Callable[[], Any]]]:
    """For each engine, functions that each make one node: a leaf, a binary op node, a unary op node."""
    import autograd_nn

    makers: dict[str, dict[str, Callable[[], Any]]] = {}
    x, y = autograd_nn.Value(1.5), autograd_nn.Value(-0.5)
    makers["autograd_nn"] = {"leaf Value(1.5)": lambda: autograd_nn.Value(1.5),
                             "x * y": lambda: x * y, "relu(x)": lambda: x.relu()}
    try:
        from micrograd.engine import Value as MValue
    except ImportError:  # micrograd is a test/benchmark dependency only
        return makers
    mx, my = MValue(1.5), MValue(-0.5)
    makers["micrograd 0.1.0"] = {"leaf Value(1.5)": lambda: MValue(1.5),
                                 "x * y": lambda: mx * my, "relu(x)": lambda: mx.relu()}
    return makers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="nodes per measurement")
    args = parser.parse_args(argv)
    results = {engine: {kind: bytes_per_node(make, args.n) for kind, make in kinds.items()}
               for engine, kinds in node_makers().items()}
    kinds = list(next(iter(results.values())))
    engines = list(results)
    print(f"bytes per node (tracemalloc, n={args.n}, Python {sys.version.split()[0]})")
    print(f"{'node':<18}" + "".join(f"{e:>18}" for e in engines) + ("      ratio" if len(engines) == 2 else ""))
    for kind in kinds:
        row = [results[e][kind] for e in engines]
        ratio = f"{row[0] / row[1]:>11.2f}" if len(row) == 2 else ""
        print(f"{kind:<18}" + "".join(f"{v:>18.1f}" for v in row) + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
