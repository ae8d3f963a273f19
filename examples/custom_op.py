"""Define your own operation with define_op, then prove its derivative: gradcheck and a Hypothesis property.

    python examples/custom_op.py [--out DIR]

sin and cos are defined through each other (d/dx sin = cos, d/dx cos = −sin), written with the ops
themselves so that second derivatives work too. A deliberately wrong sin (derivative −cos) shows what a
failure looks like: gradcheck's table, and the smallest expression Hypothesis finds.
"""

import argparse
import math
from pathlib import Path

from hypothesis import HealthCheck, find, given, settings
from hypothesis.configuration import set_hypothesis_home_dir

from autograd_nn import Value, define_op, grad
from autograd_nn.testing import GradcheckError, gradcheck
from autograd_nn.testing.strategies import expressions

sin = define_op("sin", math.sin, lambda x, out: cos(x))
cos = define_op("cos", math.cos, lambda x, out: -sin(x))
wrong_sin = define_op("sin", math.sin, lambda x, out: -cos(x))  # the classic sign slip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out_dir = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)
    set_hypothesis_home_dir(out_dir / ".hypothesis")  # Hypothesis keeps its caches there, not in the cwd

    x = Value(0.5, label="x")
    (d1,) = grad(sin(x) * x, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    print(f"d/dx [x sin x] at 0.5 = {d1.data:.6f}   (cos(0.5)·0.5 + sin(0.5) = "
          f"{math.cos(0.5) * 0.5 + math.sin(0.5):.6f})")
    print(f"d²/dx² [x sin x] at 0.5 = {d2:.6f}   (2cos(0.5) − 0.5·sin(0.5) = "
          f"{2 * math.cos(0.5) - 0.5 * math.sin(0.5):.6f})")

    # 1. gradcheck at a few points, first and second derivatives.
    for point in ([0.5], [-1.2], [2.0]):
        assert gradcheck(lambda v: sin(v) * cos(v) + sin(v * v), point, order=2)
    print("gradcheck(order=2): sin and cos pass at 0.5, -1.2, 2.0")

    # 2. A property test: sin and cos inside random expressions (with + - * and shared sub-expressions).
    @settings(max_examples=100, deadline=None, database=None)
    @given(expressions(ops=[sin, cos]))
    def derivatives_match(e):
        assert gradcheck(e, e.inputs, order=2)

    derivatives_match()
    print("expressions(ops=[sin, cos]): 100 random expressions pass, first and second order")

    # 3. The wrong version fails both checks.
    try:
        gradcheck(wrong_sin, [0.5])
    except GradcheckError as exc:
        report = str(exc)
        print("\nwrong sin, gradcheck says:\n" + report)
    smallest = find(expressions(ops=[wrong_sin]), lambda e: not gradcheck(e, e.inputs, raise_exception=False),
                    settings=settings(database=None, suppress_health_check=list(HealthCheck)))
    print(f"\nwrong sin, the smallest failing expression Hypothesis finds: {smallest!r}")
    (out_dir / "custom_op_report.txt").write_text(f"{report}\n\nsmallest failing expression: {smallest!r}\n")
    print(f"wrote {out_dir / 'custom_op_report.txt'}")


if __name__ == "__main__":
    main()
