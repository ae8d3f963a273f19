"""SGD, momentum and Adam racing on the same surface from the same start: Rosenbrock's valley, Beale's plateaus,
a saddle and an ill-conditioned bowl.

    python examples/optimizer_race.py [--out DIR]

For each surface it prints where every optimizer ended and writes race_NAME.png (the paths over the contours
and f per step); for Rosenbrock also race_rosenbrock.html, a page with a slider over the steps. Every step is
the training loop's: zero_grad(), f(x, y), backward(), step().
"""

import argparse
from pathlib import Path

from autograd_nn.lab import SURFACES, race


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("autograd_nn_examples"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)

    for name in SURFACES:
        result = race(name)
        print(result)
        result.plot(out / f"race_{name}.png")
        print("picture:", out / f"race_{name}.png")
        if name == "rosenbrock":
            print("page:", result.animate(out / "race_rosenbrock.html"))
        print()

    # Your own surface and your own optimizers: any function of two Values, any factory params -> optimizer.
    from autograd_nn.optim import SGD, Adam

    def himmelblau(x, y):
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2  # four minima

    mine = race(himmelblau, start=(-0.5, -0.5), optimizers={"sgd 0.005": lambda p: SGD(p, lr=0.005),
                                                   "adam 0.1": lambda p: Adam(p, lr=0.1)}, steps=150)
    print(mine)
    mine.plot(out / "race_himmelblau.png")
    print("picture:", out / "race_himmelblau.png")


if __name__ == "__main__":
    main()
