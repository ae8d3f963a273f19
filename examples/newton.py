"""Newton's method with second derivatives from grad(create_graph=True).

    python examples/newton.py [--out DIR]

Newton's step for a minimum uses the curvature: x ← x − f′(x) / f″(x) in one variable, and
x ← x − H⁻¹ ∇f(x) in several, where H is the Hessian. Both f′ and f″ (or ∇f and H) come from autograd_nn.grad:
the first call with create_graph=True returns Values that a second call differentiates again.
"""

import argparse
from pathlib import Path

import numpy as np

from autograd_nn import Value, grad


def f(x: Value) -> Value:
    return x ** 4 - 3 * x ** 2 + x  # a double well: minima near -1.30 and 1.13


def rosenbrock(x: Value, y: Value) -> Value:
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2  # minimum at (1, 1), in a curved narrow valley


def newton_1d(x0: float, steps: int = 8) -> list[tuple[float, float, float, float]]:
    rows = []
    x = x0
    for _ in range(steps):
        v = Value(x)
        y = f(v)
        (d1,) = grad(y, [v], create_graph=True)  # f′ as a Value, differentiable again
        (d2,) = grad(d1, [v])                    # f″ as a float
        rows.append((x, y.data, d1.data, d2))
        x = x - d1.data / d2
    return rows


def newton_2d(start: tuple[float, float], steps: int = 8) -> list[tuple[float, float, float]]:
    point = np.array(start, dtype=float)
    rows = []
    for _ in range(steps):
        xs = [Value(p) for p in point]
        z = rosenbrock(*xs)
        gradient = grad(z, xs, create_graph=True)
        hessian = np.array([grad(g, xs) for g in gradient])  # row i: ∂(∂z/∂xᵢ)/∂xⱼ
        rows.append((*point, z.data))
        point = point - np.linalg.solve(hessian, [g.data for g in gradient])
    rows.append((*point, rosenbrock(*[Value(p) for p in point]).data))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)

    print("1-D: minimise f(x) = x⁴ − 3x² + x from x = 2")
    print(f"{'step':>4} {'x':>20} {'f(x)':>12} {'f′(x)':>12} {'f″(x)':>10}")
    rows = newton_1d(2.0)
    for i, (x, y, d1, d2) in enumerate(rows):
        print(f"{i:>4} {x:>20.15f} {y:>12.6f} {d1:>12.3e} {d2:>10.4f}")
    assert abs(rows[-1][2]) < 1e-12 and rows[-1][3] > 0  # a minimum: f′ = 0, f″ > 0

    print("\n2-D: minimise Rosenbrock (1 − x)² + 100(y − x²)² from (-1.2, 1)")
    path = newton_2d((-1.2, 1.0))
    for i, (x, y, z) in enumerate(path):
        print(f"{i:>4} x = {x:>10.6f}  y = {y:>10.6f}  f = {z:.3e}")
    assert abs(path[-1][0] - 1) < 1e-9 and abs(path[-1][1] - 1) < 1e-9

    csv = out_dir / "newton_rosenbrock.csv"
    # plain decimal numbers (repr of a float: the shortest text that reads back to the same float), never
    # numpy's np.float64(...) repr, so csv and float() read the file back exactly
    csv.write_text("step,x,y,f\n" + "".join(f"{i},{float(x)!r},{float(y)!r},{float(z)!r}\n"
                                            for i, (x, y, z) in enumerate(path)))
    print(f"wrote {csv}")


if __name__ == "__main__":
    main()
