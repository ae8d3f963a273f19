"""``autograd-nn``: the argparse wiring of the sub-commands and the one place errors become exit status 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..engine import DomainError
from . import args as a
from . import lab_commands
from .commands import COMMANDS
from .expression import MAX_LENGTH, ExpressionError, function_list
from .training_commands import MAX_PARAMETERS, MAX_SAMPLES, MAX_TRAINING_WORK

# The functions are read from the op table (expression.FUNCTIONS), never written out here.
EXPR_EPILOG = (f"EXPR uses numbers (ASCII digits: 2, 0.5, 1e-3), variables, + - * / **, unary minus, parentheses and "
               f"the functions {function_list()}; at most {MAX_LENGTH:,} characters. Constants are evaluated as "
               "Python does: whole numbers are exact integers (10**16 + 1 - 10**16 is 1), made floats where they "
               "meet a float, a variable, / or a function. Quote it for the shell. "
               "Each NAME=VALUE gives one variable its value, once.")
TRAIN_EPILOG = (f"Limits, so that a run finishes in minutes: at most {MAX_SAMPLES:,} samples, {MAX_PARAMETERS:,} "
                f"parameters (weights and biases) and {MAX_TRAINING_WORK:,} samples × epochs × parameters. A line "
                "on stderr names each phase (training, drawing, saving) before it starts.")
MAX_MESSAGE = 400  # characters of an argparse message (it repeats bad values whole)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting, so ``main`` owns the exit status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "required" in message and "COMMAND" in message:
            message += f" (one of {', '.join(COMMANDS)}; autograd-nn --help says what each does)"
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + f"… ({len(message):,} characters)"
        raise a.UsageError(message)  # main() writes the one prefix every error gets


class _Formatter(argparse.HelpFormatter):
    """Help that shows every option's default (not the False of a flag, nor a missing one)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        # by identity: a default of 0 (--seed) is shown, though 0 == False
        if "%(default)" in text or not action.option_strings or any(
                action.default is hidden for hidden in (None, False, argparse.SUPPRESS)):
            return text
        return f"{text} (default: %(default)s)".lstrip()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autograd-nn", description="Scalar autograd for learning, teaching and checking "
                     "backpropagation: train a small network, draw graphs, check and explain gradients.")
    parser.add_argument("--version", action="version", version=f"autograd-nn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    shared: dict[str, Any] = {"formatter_class": _Formatter}

    demo = sub.add_parser("demo", help="train an MLP on moons and write its pictures (the main job)",
                          description="Train a 2-16-16-1 ReLU MLP on the moons data set with hinge loss and "
                          "write the loss curve, the decision boundary, the network diagram and the "
                          "computation graph of one neuron's cost into DIR.", **shared)
    demo.add_argument("--out", default="autograd_nn_demo", metavar="DIR", help="output directory")
    demo.add_argument("--epochs", type=a.positive_int, default=60, help="training epochs")
    demo.add_argument("--no-progress", action="store_true",
                      help="hide the progress bar (shown on a terminal) and the line before each phase")

    train = sub.add_parser("train", help="train an MLP on a 2-D toy data set",
                           description="Train an MLP on a 2-D toy data set and write the loss curve and the "
                           "decision boundary into DIR (and the model as JSON with --save). Sizes that could not "
                           "finish in reasonable time are refused: see the limits below.",
                           epilog=TRAIN_EPILOG, **shared)
    train.add_argument("--dataset", choices=a.DATASETS, default="moons", help="the data set")
    train.add_argument("--samples", type=a.positive_int, default=100,
                       help=f"data set size (at least 2, 3 for blobs; at most {MAX_SAMPLES:,})")
    train.add_argument("--layers", type=a.layers, default="16,16", metavar="N,N", help="hidden layer sizes")
    train.add_argument("--activation", choices=a.ACTIVATIONS, default="relu", help="hidden layers' activation")
    train.add_argument("--loss", choices=a.LOSSES, default="hinge",
                       help="cross_entropy for any number of classes, the others for two")
    train.add_argument("--optimizer", choices=a.OPTIMIZERS, default="adam", help="the optimizer")
    train.add_argument("--lr", type=a.positive_float, default=0.05, help="learning rate")
    train.add_argument("--epochs", type=a.positive_int, default=100, help="passes over the data")
    train.add_argument("--batch-size", type=a.positive_int, default=32, help="samples per step")
    train.add_argument("--seed", type=a.seed, default=0, help="seed of the data, the weights and the batches")
    train.add_argument("--out", default="autograd_nn_train", metavar="DIR", help="output directory")
    train.add_argument("--save", metavar="MODEL.json", help="also save the trained model as JSON")
    train.add_argument("--no-progress", action="store_true",
                       help="hide the progress bar (shown on a terminal) and the line before each phase")

    studio = sub.add_parser("studio", help="open a page that trains a network live (Ctrl-C stops it)",
                            description="Serve the studio on 127.0.0.1 (a free port unless --port): a page that "
                            "trains a small network live with this engine, every weight and gradient one click "
                            "away. The address printed carries the token every request needs.", **shared)
    studio.add_argument("--dataset", choices=a.DATASETS, default="moons", help="the first data set")
    studio.add_argument("--samples", type=a.positive_int, default=100, help="its number of points (4 to 1000)")
    studio.add_argument("--layers", type=a.layers, default="16,16", metavar="N,N", help="hidden layer sizes")
    studio.add_argument("--activation", choices=a.ACTIVATIONS, default="tanh", help="hidden layers' activation")
    studio.add_argument("--port", type=a.port, default=0, help="the port (0: a free one)")
    studio.add_argument("--no-browser", action="store_true", help="print the address, open no browser")

    for name, helptext in (("graph", "draw an expression's computation graph with values and gradients"),
                           ("gradcheck", "compare an expression's gradients with finite differences"),
                           ("explain", "print the chain-rule derivation of ∂EXPR/∂NAME")):
        p = sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".",
                           epilog=EXPR_EPILOG, **shared)
        p.add_argument("expr", metavar="EXPR", help='e.g. "tanh(w1*x1 + w2*x2 + b)"')
        p.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a value for every variable, e.g. x1=2")
        if name == "graph":
            p.add_argument("--out", default="graph.svg", metavar="FILE", help="output picture, .svg, .png or .pdf")
        if name == "explain":
            p.add_argument("--wrt", required=True, metavar="NAME", help="the variable to differentiate by")

    ex = sub.add_parser("exercises", help="backprop exercises that grade themselves: init DIR, check DIR",
                        description="init DIR writes the student files (task, hints, TODO; no solutions) and "
                        "DIR/test_exercises.py; check DIR grades them (also: pytest DIR); --solutions prints "
                        "the solutions (with init: writes them instead of the stubs).", **shared)
    ex.add_argument("action", nargs="?", choices=["init", "check"], help="write the files, or grade them")
    ex.add_argument("dir", nargs="?", metavar="DIR", help="the exercises' folder")
    ex.add_argument("--solutions", action="store_true", help="print the solutions (with init: write them)")
    ex.add_argument("--force", action="store_true", help="init: overwrite existing files")
    lab_commands.add_parsers(sub, shared, EXPR_EPILOG.split(" Each NAME=VALUE")[0])
    return parser


def _dash_hint(argv: Sequence[str]) -> str:
    """For an expression command given an item that starts with '-': how to pass an EXPR such as -x*y."""
    if not argv or argv[0] not in ("graph", "gradcheck", "explain"):
        return ""
    dashed = next((item for item in argv[1:] if item.startswith("-") and not item.startswith("--")
                   and item not in ("-h",)), None)
    if dashed is None:
        return ""
    return (f" (an EXPR that starts with '-' goes after '--', options before it: autograd-nn {argv[0]} "
            f"{'--wrt NAME ' if argv[0] == 'explain' else ''}-- {a.quoted(dashed)} NAME=VALUE ...)")


def _option_hint(argv: Sequence[str], extra: Sequence[str]) -> str:
    """For an expression command given an unknown option such as --x: variables take no dashes."""
    if not argv or argv[0] not in ("graph", "gradcheck", "explain"):
        return ""
    known = {"--help", "--out", "--wrt"}
    for item in extra:
        name, _, value = item.lstrip("-").partition("=")
        if item.startswith("--") and item.split("=")[0] not in known and name.isidentifier():
            following = extra[extra.index(item) + 1] if extra.index(item) + 1 < len(extra) else ""
            if not value:  # --x 2 or --x x=2: the number the user meant, if it is there
                value = following.partition("=")[2] if following.startswith(f"{name}=") else \
                    following if a.NUMBER.fullmatch(following) else "NUMBER"
            example = a.quoted(f"{name}={value}", 30).strip("'\"")
            return (f" (a variable's value is given as NAME=VALUE with no dashes, after EXPR: autograd-nn {argv[0]} "
                    f"EXPR {example}{' --wrt NAME' if argv[0] == 'explain' else ''})")
    return ""


def error_prefix(argv: Sequence[str]) -> str:
    """The one prefix of every error line: 'autograd-nn COMMAND: error: ' once a command is named, else
    'autograd-nn: error: '."""
    command = next((item for item in argv if not item.startswith("-")), None)
    return f"autograd-nn {command}: error: " if command in COMMANDS else "autograd-nn: error: "


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a failed gradcheck, 2 bad input)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv:  # the bare command: what it can do, then the one line of the usage error
            print(parser.format_help())
            parser.error("the following arguments are required: COMMAND")
        options, extra = parser.parse_known_args(argv)
        # NAME=VALUE pairs may follow options (explain "x*w" --wrt w x=2 w=3): argparse leaves them over.
        if hasattr(options, "values") and not any(item.startswith("-") for item in extra):
            options.values, extra = [*options.values, *extra], []
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}{_option_hint(argv, extra)}")
        return COMMANDS[options.command](options)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except (a.UsageError, ExpressionError, DomainError) as exc:
        message = " ".join(str(exc).split("\n"))  # one line, whatever the message
        if isinstance(exc, a.UsageError) and ("required: EXPR" in message or "unrecognized arguments" in message):
            message += _dash_hint(argv)  # argparse took an EXPR such as -x*y for an option
        print(error_prefix(argv) + message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograd-nn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout closed early (autograd-nn ... | head): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's final flush is quiet
        return 141
