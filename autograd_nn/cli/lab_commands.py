"""``flow``, ``race`` and ``plot``: the lab's three pictures (autograd_nn.lab) from the command line.

Each checks its options and its ``--out`` file (.png, .svg or .pdf, as ``graph`` does) before any work, prints
what the picture shows in words and writes it.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from . import args as a
from .expression import ExpressionError, parse_expression, shown

# the lab (matplotlib) is imported inside the commands: it is slow to load
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
INITS = ("uniform", "xavier", "he")
SURFACES = ("rosenbrock", "beale", "saddle", "bowl")
OPTIMIZERS = ("sgd", "momentum", "adam")
PICTURES = (".png", ".svg", ".pdf")
MAX_DEPTH = 50
MAX_WIDTH = 64
MAX_SAMPLES = 1_000
# samples × weights summed over every network: about 1 µs each here, so at most about a minute and a half
MAX_FLOW_WORK = 100_000_000
MAX_RACE_STEPS = 20_000
MAX_ORDER = 4
MAX_POINTS = 5_001


def number(text: str) -> float:
    """A finite number, with a sign if wanted (a start, a range's end)."""
    if not a.NUMBER.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a number such as -1.5 or 2 (ASCII digits, optional sign, "
                                         f"decimal point and exponent), got {a.quoted(text)}")
    x = float(text)
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {a.quoted(text)}")
    return x


def names(allowed: tuple[str, ...]) -> Any:
    """A converter of "a,b" into a list of names from ``allowed``, each once."""
    def convert(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",")]
        bad = [t for t in items if t not in allowed]
        if not text.strip() or bad:
            raise argparse.ArgumentTypeError(f"expected comma-separated names from {', '.join(allowed)}, got "
                                             f"{a.quoted(text)}")
        if len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(f"each name once, got {a.quoted(text)}")
        return items
    return convert


def _order(text: str) -> int:
    n = a.whole_number(text, 0)
    if n > MAX_ORDER:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_ORDER}, got {a.quoted(text)}")
    return n


def add_parsers(sub: Any, shared: dict[str, Any], expr_epilog: str) -> None:
    """Add flow, race and plot to the sub-command parsers (``expr_epilog``: what an EXPR may use)."""
    flow = sub.add_parser("flow", help="draw how the gradient's size changes layer by layer (vanishing, exploding)",
                          description="Build MLPs of each depth × activation × init, run backward() on one batch of "
                          "moons points and draw the mean |∂C/∂W| of every layer and the share of saturated "
                          "neurons; print where the gradient vanishes or explodes.", **shared)
    flow.add_argument("--depths", type=a.layers, default="2,4,6,8,10", metavar="N,N",
                      help=f"numbers of layers, increasing (at most {MAX_DEPTH})")
    flow.add_argument("--activations", type=names(ACTIVATIONS), default="sigmoid,tanh,relu", metavar="NAME,NAME",
                      help=f"hidden activations, from {', '.join(ACTIVATIONS)}")
    flow.add_argument("--inits", type=names(INITS), default="uniform,xavier,he", metavar="NAME,NAME",
                      help=f"initial weights, from {', '.join(INITS)}")
    flow.add_argument("--width", type=a.positive_int, default=16,
                      help=f"neurons per hidden layer (at most {MAX_WIDTH})")
    flow.add_argument("--samples", type=a.positive_int, default=32, help=f"the batch (at most {MAX_SAMPLES:,})")
    flow.add_argument("--seed", type=a.seed, default=0, help="seed of the data and the weights")
    flow.add_argument("--out", default="flow.png", metavar="FILE", help="output picture, .png, .svg or .pdf")

    race = sub.add_parser("race", help="race SGD, momentum and Adam on a 2-D surface from one start",
                          description="Step each optimizer from the same start on a named surface and draw the "
                          "trajectories over its contours (and, with --html, a page with a slider over the steps).",
                          **shared)
    race.add_argument("--function", choices=SURFACES, default="rosenbrock", help="the surface")
    race.add_argument("--start", type=number, nargs=2, metavar=("X", "Y"), help="the start (default: the surface's)")
    race.add_argument("--steps", type=a.positive_int,
                      help=f"steps (default: the surface's; at most {MAX_RACE_STEPS:,})")
    race.add_argument("--optimizers", type=names(OPTIMIZERS), default="sgd,momentum,adam", metavar="NAME,NAME",
                      help=f"from {', '.join(OPTIMIZERS)} (momentum: SGD with μ = 0.9)")
    race.add_argument("--lr", type=a.positive_float, help="one learning rate for all (default: the surface's own)")
    race.add_argument("--out", default="race.png", metavar="FILE", help="output picture, .png, .svg or .pdf")
    race.add_argument("--html", metavar="FILE.html", help="also write the self-contained page with a slider")

    plot = sub.add_parser("plot", help="draw f(x), f′(x) and f″(x) with the kinks and domain edges marked",
                          description="Draw an expression of one variable and its derivatives (from "
                          "grad(create_graph=True)), with a gap wherever one is undefined.", epilog=expr_epilog,
                          **shared)
    plot.add_argument("expr", metavar="EXPR", help='an expression of one variable, e.g. "tanh(x)*x"')
    plot.add_argument("--range", type=number, nargs=2, default=[-3.0, 3.0], metavar=("LO", "HI"),
                      help="the interval of x")
    plot.add_argument("--order", type=_order, default=2, help=f"the highest derivative drawn (0 to {MAX_ORDER})")
    plot.add_argument("--points", type=a.positive_int, default=401, help=f"sample points (2 to {MAX_POINTS:,})")
    plot.add_argument("--out", default="plot.png", metavar="FILE", help="output picture, .png, .svg or .pdf")


def _refused(exc: Exception) -> a.UsageError:
    return a.UsageError(str(exc))


def flow(options: argparse.Namespace) -> int:
    depths = options.depths
    if depths != sorted(set(depths)):
        raise a.UsageError(f"--depths {','.join(map(str, depths))}: give increasing depths, each once")
    if depths[-1] > MAX_DEPTH:
        raise a.UsageError(f"--depths: at most {MAX_DEPTH} layers, got {depths[-1]}")
    if options.width > MAX_WIDTH:
        raise a.UsageError(f"--width {options.width}: at most {MAX_WIDTH}")
    if options.samples > MAX_SAMPLES:
        raise a.UsageError(f"--samples {options.samples:,}: at most {MAX_SAMPLES:,}")
    w = options.width
    weights = sum(2 * w + (d - 2) * w * w + w if d > 1 else 2 for d in depths)
    work = options.samples * weights * len(options.activations) * len(options.inits)
    if work > MAX_FLOW_WORK:
        raise a.UsageError(f"flow: {options.samples:,} samples × {weights:,} weights × {len(options.activations)} "
                           f"activations × {len(options.inits)} inits = {work:,}: at most {MAX_FLOW_WORK:,} (about "
                           "1 µs each); use fewer samples, depths or a smaller width")
    path = a.output_file(options.out, PICTURES)
    from ..lab import gradient_flow

    try:
        result = gradient_flow(depths, options.activations, options.inits, width=w, samples=options.samples,
                               seed=options.seed)
    except ValueError as exc:
        raise _refused(exc) from None
    print(result.summary())
    result.plot(path)
    print(f"wrote {path}")
    return 0


def race(options: argparse.Namespace) -> int:
    if options.steps is not None and options.steps > MAX_RACE_STEPS:
        raise a.UsageError(f"--steps {options.steps:,}: at most {MAX_RACE_STEPS:,}")
    path = a.output_file(options.out, PICTURES)
    page = a.output_file(options.html, (".html",), "--html") if options.html else None
    from ..lab import race as run_race

    try:
        result = run_race(options.function, tuple(options.start) if options.start else None, options.optimizers,
                          options.steps, lr=options.lr)
    except ValueError as exc:
        raise _refused(exc) from None
    print(result)
    result.plot(path)
    print(f"wrote {path}")
    if page is not None:
        result.animate(page)
        print(f"wrote {page}")
    return 0


def plot(options: argparse.Namespace) -> int:
    lo, hi = options.range
    if not lo < hi:
        raise a.UsageError(f"--range {lo:g} {hi:g}: LO must be below HI")
    if not 2 <= options.points <= MAX_POINTS:
        raise a.UsageError(f"--points {options.points:,}: from 2 to {MAX_POINTS:,}")
    expr = parse_expression(options.expr)
    if len(expr.variables) != 1:
        found = ", ".join(expr.variables) if expr.variables else "none"
        raise ExpressionError(f"plot: EXPR must use exactly one variable (the x axis), {shown(expr.text)} uses "
                              f"{found}")
    path = a.output_file(options.out, PICTURES)
    (name,) = expr.variables
    from ..lab import plot_derivatives

    try:
        result = plot_derivatives(lambda v: expr.build({name: v}), (lo, hi), options.order, points=options.points,
                                  name=expr.text if len(expr.text) <= 60 else expr.text[:59] + "…")
    except ValueError as exc:
        raise _refused(exc) from None
    print(result)
    result.plot(path)
    print(f"wrote {path}")
    return 0
