"""A function beside its first and second derivatives, each from grad(create_graph=True), with the kinks and
domain edges the op table knows marked and left as gaps.

    python examples/derivatives.py [--out DIR]

tanh(x)·x is smooth; relu(x) + |x − 1| has kinks at 0 and 1 (f′ jumps: a gap, never a line drawn through);
x·log(x) stops at log's domain edge x = 0; step(x − 0.3) + x² jumps. Each prints what was found and writes
derivatives_N.png.
"""

import argparse
from pathlib import Path

from autograd_nn import Value, absolute, grad, log, relu, step
from autograd_nn.lab import plot_derivatives

CASES = [
    ("tanh(x)*x", lambda x: x.tanh() * x, (-3.0, 3.0)),
    ("relu(x) + abs(x - 1)", lambda x: relu(x) + absolute(x - 1.0), (-2.0, 3.0)),
    ("x*log(x)", lambda x: x * log(x), (-1.0, 2.0)),
    ("step(x - 0.3) + x**2", lambda x: step(x - 0.3) + x ** 2, (-1.0, 1.0)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)

    for i, (name, expr, interval) in enumerate(CASES, 1):
        d = plot_derivatives(expr, interval, order=2, name=name)
        print(d)
        # one plotted point, checked against grad directly
        k = [i for i, v in enumerate(d.values[1]) if v == v][len(d.x) // 3]  # a point where f′ is drawn
        leaf = Value(float(d.x[k]))
        print(f"  at x = {d.x[k]:.4g}: f′ = {d.values[1][k]:.6g}, grad(f, x) = {grad(expr(leaf), leaf):.6g}")
        d.plot(out / f"derivatives_{i}.png")
        print("  picture:", out / f"derivatives_{i}.png")


if __name__ == "__main__":
    main()
