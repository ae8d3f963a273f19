"""``graph``, ``gradcheck`` and ``explain``: the commands that take an expression and NAME=VALUE pairs."""

from __future__ import annotations

import argparse

from ..engine import Value
from .args import UsageError, output_file
from .expression import Expression, ExpressionError, parse_assignments, parse_expression


def build(options: argparse.Namespace, label_nodes: bool = False) -> tuple[Expression, dict[str, Value], Value]:
    """Parse EXPR and NAME=VALUE, check every variable has a value (and no value is unused), build the graph."""
    expr = parse_expression(options.expr)
    numbers = parse_assignments(options.values)
    unused = [name for name in numbers if name not in expr.variables]
    if unused:
        raise ExpressionError(f"{', '.join(unused)} not used in {options.expr!r} "
                              f"(its variables: {', '.join(expr.variables) or 'none'})")
    leaves = {name: Value(numbers[name], label=name) for name in expr.variables if name in numbers}
    root = expr.build(leaves, label_nodes)
    if label_nodes:
        root.label = "f"  # the name gradcheck's table and explain's derivation use too
    return expr, leaves, root


def graph(options: argparse.Namespace) -> int:
    path = output_file(options.out, (".svg", ".png"))
    _, leaves, root = build(options, label_nodes=True)
    from ..viz import GraphTooLarge, RenderError, draw_graph, render  # after the input checks

    root.backward()
    try:
        written = render(draw_graph(root, show_local_grads=True), path)  # the format follows the suffix
    except GraphTooLarge as exc:  # its advice names API arguments; the command line can only shorten EXPR
        raise UsageError(f"{str(exc).split(';')[0]}: draw a shorter expression") from None
    except RenderError as exc:
        raise UsageError(f"could not render {str(path)!r}: {exc}") from None
    print(f"{options.expr} = {root.data:.6g}")
    for name, leaf in leaves.items():
        print(f"  ∂/∂{name} = {leaf.grad:.6g}")
    print(f"wrote {written}")
    return 0


def gradcheck(options: argparse.Namespace) -> int:
    from ..testing import compare_derivatives, format_table

    expr, leaves, _ = build(options)
    names = list(leaves)

    def f(*xs: Value) -> Value:
        return expr.build(dict(zip(names, xs)))

    rows = compare_derivatives(f, [leaves[n].data for n in names])
    for name, row in zip(names, rows):  # one row per input, in order; show the expression's own names
        row["input"] = f"∂f/∂{name}"
    bad = sum(not r["ok"] for r in rows)
    print(f"gradcheck of {options.expr} at " + ", ".join(f"{n}={leaves[n].data:g}" for n in names))
    print(format_table(rows))
    if bad:
        print(f"failed: {bad} of {len(rows)} derivative(s) disagree with finite differences")
        return 1
    print(f"passed: all {len(rows)} derivative(s) agree with finite differences")
    return 0


def explain(options: argparse.Namespace) -> int:
    expr, leaves, root = build(options, label_nodes=True)
    if options.wrt not in leaves:
        raise UsageError(f"--wrt {options.wrt}: not a variable of {options.expr!r} "
                         f"(its variables: {', '.join(expr.variables)})")
    from ..viz import explain as derive

    print(str(derive(root, leaves[options.wrt])))
    return 0
