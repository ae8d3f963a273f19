"""Safe parsing of the command line's expressions, e.g. ``"tanh(w1*x1 + w2*x2 + b)"``.

The text is parsed by Python's ``ast`` and walked node by node: numbers, variable names, ``+ - * / **``,
unary minus and calls of the engine's built-in ops are allowed, and nothing else. It is never ``eval``-ed.

The functions come from the op table: every op that is a public function can be called by its op name, with
as many arguments as it takes, e.g. ``abs(x)``, ``softplus(x)``, ``maximum(x, y)``, ``lt(x, y)``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from ..engine import BUILTIN_OPS, Op, Value

# The functions an expression may call: every built-in op that is a public function, by its op name (the name
# formulas are written with, so a printed formula reads back).
FUNCTIONS: dict[str, Op] = {op.name: op for op in BUILTIN_OPS.values() if op.function}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}


class ExpressionError(ValueError):
    """The expression text cannot be used; the message points at the problem."""


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, its syntax tree and the variable names it uses, in order of appearance."""

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def build(self, values: Mapping[str, Value], label_nodes: bool = False) -> Value:
        """Evaluate the expression on Values (one per variable), recording the computation graph.

        ``label_nodes`` labels each intermediate Value with its sub-expression (e.g. "(w * x)"), when short,
        so pictures and derivations name the nodes the way the user wrote them.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ExpressionError(f"no value given for {', '.join(missing)}: add "
                                  + " ".join(f"{name}=NUMBER" for name in missing))
        result = _evaluate(self.tree.body, values, label_nodes)
        if not isinstance(result, Value):
            raise ExpressionError(f"{self.text!r} uses no variable: there is nothing to differentiate")
        return result


def parse_expression(text: str) -> Expression:
    """Parse ``text``, checking that it uses only numbers, variables, + - * / **, unary minus and built-in ops."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset or 1} of {text!r}: {exc.msg}") from None
    variables: list[str] = []
    _check(tree.body, text, variables)
    return Expression(text, tree, tuple(variables))


def _where(node: ast.AST, text: str) -> str:
    """Where a node stands, for a one-line message: ' at column 5 of "x + foo(y)"'."""
    return f" (at column {getattr(node, 'col_offset', 0) + 1} of {text!r})"


def _check(node: ast.AST, text: str, variables: list[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers may appear as constants, not {node.value!r}{_where(node, text)}")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it as {node.id}(...){_where(node, text)}")
        if node.id not in variables:
            variables.append(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"operator not supported (use + - * / **){_where(node, text)}")
        _check(node.left, text, variables)
        _check(node.right, text, variables)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"operator not supported (use + - * / **){_where(node, text)}")
        _check(node.operand, text, variables)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = name if name is not None else ast.unparse(node.func)
            raise ExpressionError(f"unknown function {shown!r}; known: {', '.join(sorted(FUNCTIONS))}"
                                  f"{_where(node, text)}")
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments{_where(node, text)}")
        for arg in node.args:  # first: f(*xs) is refused as not allowed, not counted as one argument
            _check(arg, text, variables)
        arity = FUNCTIONS[name].arity  # None: any number of arguments, at least one
        if len(node.args) != arity if arity is not None else not node.args:
            wanted = f"exactly {arity} argument" if arity is not None else "at least 1 argument"
            plural = "s" if arity is not None and arity != 1 else ""
            raise ExpressionError(f"{name}() takes {wanted}{plural}, got {len(node.args)}{_where(node, text)}")
    else:
        raise ExpressionError(f"not allowed in an expression: {ast.unparse(node)!r}{_where(node, text)}")


MAX_LABEL = 24  # longer sub-expressions stay unlabelled: a picture's record would get too wide


def _evaluate(node: ast.AST, values: Mapping[str, Value], label_nodes: bool) -> Value | float:
    result = _evaluate_node(node, values, label_nodes)
    if label_nodes and isinstance(result, Value) and result.op is not None and not result.label:
        text = ast.unparse(node)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            text = f"({text})"  # so ∂f/∂(w * x) cannot be misread
        if len(text) <= MAX_LABEL:
            result.label = text
    return result


def _evaluate_node(node: ast.AST, values: Mapping[str, Value], label_nodes: bool) -> Value | float:
    if isinstance(node, ast.Constant):
        number = node.value
        assert isinstance(number, (int, float))  # _check allowed no other constant
        return float(number)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values, label_nodes),
                                      _evaluate(node.right, values, label_nodes))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, label_nodes)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # _check allowed nothing else
    return FUNCTIONS[node.func.id](*[_evaluate(arg, values, label_nodes) for arg in node.args])


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["x1=2", "w1=-3"]`` → ``{"x1": 2.0, "w1": -3.0}``, with a message naming any malformed item."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"expected NAME=NUMBER, got {item!r}")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"{name}: expected a number after '=', got {number!r}") from None
        if values[name] != values[name] or abs(values[name]) == float("inf"):
            raise ExpressionError(f"{name}: the value must be finite, got {number!r}")
    return values
