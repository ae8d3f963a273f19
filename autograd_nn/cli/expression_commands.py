"""``graph``, ``gradcheck`` and ``explain``: the commands that take an expression and NAME=VALUE pairs."""

from __future__ import annotations

import argparse
import re

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
        written = render(draw_graph(root, show_local_grads=True), path, format=path.suffix[1:].lower())
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
    from ..testing import GradcheckError
    from ..testing import gradcheck as check
    from ..testing.gradcheck import format_table

    expr, leaves, _ = build(options)
    names = list(leaves)

    def f(*xs: Value) -> Value:
        return expr.build(dict(zip(names, xs)))

    point = [leaves[n].data for n in names]
    try:
        check(f, point)
        ok = True
        # gradcheck returns only True on success; to print its table, ask it again with a tolerance nothing
        # meets and keep the rows it reports (every partial passed the real check above).
        try:
            check(f, point, atol=-1.0, rtol=0.0)
            rows = []
        except GradcheckError as exc:
            rows = [dict(r, ok=True) for r in exc.rows]
    except GradcheckError as exc:
        ok, rows = False, exc.rows
    for r in rows:  # gradcheck names inputs x0, x1, ...: show the expression's own names
        r["input"] = re.sub(r"x(\d+)", lambda m: names[int(m.group(1))], r["input"])
    print(f"gradcheck of {options.expr} at " + ", ".join(f"{n}={leaves[n].data:g}" for n in names))
    print(format_table(rows))
    print("all derivatives agree with finite differences" if ok else "FAILED: some derivatives disagree")
    return 0 if ok else 1


def explain(options: argparse.Namespace) -> int:
    expr, leaves, root = build(options, label_nodes=True)
    if options.wrt not in leaves:
        raise UsageError(f"--wrt {options.wrt}: not a variable of {options.expr!r} "
                         f"(its variables: {', '.join(expr.variables)})")
    from ..viz import explain as derive

    print(str(derive(root, leaves[options.wrt])))
    return 0
