"""``graph``, ``gradcheck`` and ``explain``: the commands that take an expression and NAME=VALUE pairs."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..engine import Value
from .args import UsageError, output_file
from .expression import Expression, ExpressionError, parse_assignments, parse_expression, shown, variable_name

# gradcheck evaluates the whole expression 2 or 3 times per variable (central and one-sided differences):
# variables × operations is its work. 2,000,000 is a sum of 1,000 variables (about 4 s here).
MAX_GRADCHECK_WORK = 2_000_000
ECHOED = 100  # stdout repeats at most this many characters of EXPR


def build(options: argparse.Namespace, label_nodes: bool = False) -> tuple[Expression, dict[str, Value], Value]:
    """Parse EXPR and NAME=VALUE, check every variable has a value (and no value is unused), build the graph."""
    expr = parse_expression(options.expr)
    numbers = parse_assignments(options.values)
    unused = [name for name in numbers if name not in expr.variables]
    if unused:
        raise ExpressionError(f"{_names(unused)} not used in {shown(expr.text)} "
                              f"(its variables: {_names(expr.variables) or 'none'})")
    leaves = {name: Value(numbers[name], label=name) for name in expr.variables if name in numbers}
    root = expr.build(leaves, label_nodes)
    if label_nodes:
        root.label = "f"  # the name gradcheck's table and explain's derivation use too
    return expr, leaves, root


def _names(names: Sequence[str], most: int = 10) -> str:
    """Names for a one-line message: 'x, y', or the first ``most`` and how many in all."""
    shortened = [name if len(name) <= 30 else name[:29] + "…" for name in names[:most]]
    return ", ".join(shortened) + (f", … ({len(names):,} in all)" if len(names) > most else "")


def _visible(text: str) -> str:
    """text with each character that is not printable (newline, tab, \\v, \\f, \\r, other control and format
    characters) written as Python escapes it, so an echo stays on its one line and shows what was typed."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _echo(text: str) -> str:
    """EXPR as stdout repeats it: whole, or its start and its length; unprintable characters escaped."""
    return _visible(text) if len(text) <= ECHOED else f"{_visible(text[:ECHOED])}… ({len(text):,} characters)"


def graph(options: argparse.Namespace) -> int:
    path = output_file(options.out, (".svg", ".png", ".pdf"))
    _, leaves, root = build(options, label_nodes=True)
    from ..viz import GraphTooLarge, RenderError, draw_graph, render  # after the input checks

    root.backward()
    try:
        written = render(draw_graph(root, show_local_grads=True), path)  # the format follows the suffix
    except GraphTooLarge as exc:  # its advice names API arguments; the command line can only shorten EXPR
        raise UsageError(f"{str(exc).split(';')[0]}: draw a shorter expression") from None
    except RenderError as exc:
        raise UsageError(f"could not render {str(path)!r}: {exc}") from None
    except OSError as exc:  # checked before, but the file system may have changed since
        raise UsageError(f"--out {str(path)!r}: cannot write it: {exc.strerror or exc}") from None
    print(f"{_echo(options.expr)} = {root.data:.6g}")
    for name, leaf in leaves.items():
        print(f"  ∂/∂{name} = {leaf.grad:.6g}")
    print(f"wrote {written}")
    return 0


def gradcheck(options: argparse.Namespace) -> int:
    from ..testing import compare_derivatives, format_table
    from ..testing.gradcheck import summary_line

    expr = parse_expression(options.expr)
    work = len(expr.variables) * expr.operations
    if work > MAX_GRADCHECK_WORK:
        raise UsageError(f"{len(expr.variables):,} variables × {expr.operations:,} operations is too "
                         f"much work (each variable's check evaluates the whole expression 2 or 3 times): at most "
                         f"{MAX_GRADCHECK_WORK:,} variables × operations")
    expr, leaves, _ = build(options)
    names = list(leaves)

    def f(*xs: Value) -> Value:
        return expr.build(dict(zip(names, xs)))

    rows = compare_derivatives(f, [leaves[n].data for n in names])
    for name, row in zip(names, rows):  # one row per input, in order; show the expression's own names
        row["input"] = f"∂f/∂{name}"
    print(f"gradcheck of {_echo(options.expr)} at " + ", ".join(f"{n}={leaves[n].data:g}" for n in names))
    print(format_table(rows))
    print(summary_line(rows))  # names the rows accepted at a kink by the one-sided rule, if any
    return 1 if any(not r["ok"] for r in rows) else 0


def explain(options: argparse.Namespace) -> int:
    expr = parse_expression(options.expr)
    name, sep, number = options.wrt.partition("=")
    if sep and variable_name(name) in expr.variables:  # --wrt x=2: the name and the value given as one
        rest = " ".join(options.values)
        raise UsageError(f"--wrt {shown(options.wrt, limit=30)}: --wrt takes a variable's name only, and the value "
                         f"goes with the others: --wrt {variable_name(name)} {variable_name(name)}={number.strip()}"
                         f"{' ' + rest if rest else ''}")
    wrt = variable_name(options.wrt)
    expr, leaves, root = build(options, label_nodes=True)
    if wrt not in leaves:
        named = options.wrt if options.wrt.isidentifier() and len(options.wrt) <= 30 else shown(options.wrt, limit=30)
        raise UsageError(f"--wrt {named}: not a variable of {shown(options.expr)} "
                         f"(its variables: {_names(expr.variables)})")
    from ..viz import explain as derive

    print(str(derive(root, leaves[wrt])))
    return 0
