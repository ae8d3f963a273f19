"""``autograd-nn``: the argparse wiring of the sub-commands and the one place errors become exit status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..engine import DomainError
from . import args as a
from .commands import COMMANDS
from .expression import ExpressionError

EXPR_EPILOG = ("EXPR uses numbers, variables, + - * / **, unary minus and the functions exp, log, sqrt, tanh, "
               "sigmoid, relu, step. Quote it for the shell.")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting, so ``main`` owns the exit status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise a.UsageError(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autograd-nn", description="Scalar autograd for learning, teaching and checking "
                     "backpropagation: train a small network, draw graphs, check and explain gradients.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    demo = sub.add_parser("demo", help="train an MLP on moons and write its pictures (the main job)",
                          description="Train a 2-16-16-1 ReLU MLP on the moons data set with hinge loss and "
                          "write the loss curve, the decision boundary, the network diagram and the "
                          "computation graph of one neuron's cost into DIR.")
    demo.add_argument("--out", default="autograd_nn_demo", metavar="DIR",
                      help="output directory (default: ./autograd_nn_demo)")
    demo.add_argument("--epochs", type=a.positive_int, default=60, help="training epochs (default: 60)")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar (shown on a terminal)")

    train = sub.add_parser("train", help="train an MLP on a 2-D toy data set",
                           description="Train an MLP on a 2-D toy data set and write the loss curve and the "
                           "decision boundary into DIR (and the model as JSON with --save).")
    train.add_argument("--dataset", choices=a.DATASETS, default="moons")
    train.add_argument("--samples", type=a.positive_int, default=100, help="data set size (default: 100)")
    train.add_argument("--layers", type=a.layers, default=[16, 16], metavar="N,N",
                       help="hidden layer sizes (default: 16,16)")
    train.add_argument("--activation", choices=a.ACTIVATIONS, default="relu")
    train.add_argument("--loss", choices=a.LOSSES, default="hinge",
                       help="cross_entropy for any number of classes, the others for two (default: hinge)")
    train.add_argument("--optimizer", choices=a.OPTIMIZERS, default="adam")
    train.add_argument("--lr", type=a.positive_float, default=0.05, help="learning rate (default: 0.05)")
    train.add_argument("--epochs", type=a.positive_int, default=100)
    train.add_argument("--batch-size", type=a.positive_int, default=32)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="autograd_nn_train", metavar="DIR",
                       help="output directory (default: ./autograd_nn_train)")
    train.add_argument("--save", metavar="MODEL.json", help="also save the trained model as JSON")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar (shown on a terminal)")

    for name, helptext in (("graph", "draw an expression's computation graph with values and gradients"),
                           ("gradcheck", "compare an expression's gradients with finite differences"),
                           ("explain", "print the chain-rule derivation of ∂EXPR/∂NAME")):
        p = sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".",
                           epilog=EXPR_EPILOG)
        p.add_argument("expr", metavar="EXPR", help='e.g. "tanh(w1*x1 + w2*x2 + b)"')
        p.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a value for every variable, e.g. x1=2")
        if name == "graph":
            p.add_argument("--out", default="graph.svg", metavar="FILE",
                           help="output picture, .svg or .png (default: graph.svg)")
        if name == "explain":
            p.add_argument("--wrt", required=True, metavar="NAME", help="the variable to differentiate by")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a failed gradcheck, 2 bad input)."""
    parser = build_parser()
    try:
        options, extra = parser.parse_known_args(argv)
        # NAME=VALUE pairs may follow options (explain "x*w" --wrt w x=2 w=3): argparse leaves them over.
        if hasattr(options, "values") and not any(item.startswith("-") for item in extra):
            options.values, extra = [*options.values, *extra], []
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return COMMANDS[options.command](options)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except (a.UsageError, ExpressionError, DomainError) as exc:
        print(f"autograd-nn: error: {exc}" if not str(exc).startswith("autograd-nn") else f"{exc}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograd-nn: interrupted", file=sys.stderr)
        return 130
