"""node_names: one name for every node of a graph, the same in explain, draw_graph and the step-through page.

The rule, node by node in topological order (parents first):

- a Value with a label is named by its label (written in parentheses inside a formula or after ∂ when it is
  not one word, a call or already in parentheses: a label "w x" is ∂(w x));
- a leaf without one is named by its number (4 significant digits), as it would be written in a formula:
  the 0.5 of ``0.5 * u``, the 1 of ``1 - out``;
- an op node without a label is named by its sub-expression, written by the op table (``Op.formula``) over
  its parents' names with the parentheses Python's rules need: ``w * x``, ``w * x + b``, ``tanh(w * x + b)``;
- a sub-expression longer than MAX_NAME characters gets a short name instead: the op's name and a running
  index as a subscript (``mul₁``, ``tanh₂``; a neuron's weighted sum is ``z₁``, ``z₂``, …), so a node built
  on it reads ``tanh(z₁)`` again;
- names are unique: a name already taken by an earlier node (two different nodes both ``x * w``, two
  constants 1, two Values labelled w) gets the next free subscript, the expression in parentheses:
  ``(x * w)₂``, ``1₂``, ``w₂``; so does a name that already ends in a subscript, so that the index reads
  apart from it: the second sample's a²₁ of an MLP (its labels are wˡⱼₖ, bˡⱼ, zˡⱼ, aˡⱼ) is ``(a²₁)₂``.
"""

from __future__ import annotations

import re

from ..engine import Value, topological_order
from ..engine.ops import ATOM, WEIGHTED_SUM
from ..nn import subscript

MAX_NAME = 24  # a longer sub-expression is named by its op and an index instead
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
_NEGATIVE = 3  # a negative number binds like unary minus: (-3) ** 2, x * -3
_LOOSE = 0  # a label of unknown structure (w * x, a b): always in parentheses inside a formula
_WORD = re.compile(r"[\w.′']*")


def _closes_at_end(text: str, start: int) -> bool:
    """The parenthesis opened at text[start] is closed by the last character, and not before."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i == len(text) - 1
    return False


def _label(label: str) -> tuple[str, int]:
    """A label binds like a name when it is one word (a_in, w₁), a call (tanh(z)) or in parentheses ((w * x))."""
    word = _WORD.match(label)
    end = word.end() if word else 0
    one_word = end == len(label) or label[end] == "(" and _closes_at_end(label, end)
    return label, ATOM if one_word else _LOOSE


def _number(x: float) -> tuple[str, int]:
    text = f"{x:.4g}"
    return text, _NEGATIVE if text.startswith("-") else ATOM


def _short_base(node: Value) -> str:
    assert node.op is not None
    return "z" if node.op is WEIGHTED_SUM else node.op.name


def named(root: Value, root_name: str | None = None) -> dict[Value, tuple[str, int]]:
    """Each node's name and how tightly it binds when written inside a larger formula (the op table's
    precedence: ATOM for a label, a number or a short name). See the module doc for the rule.

    ``root_name``: the name of an unlabelled root in place of its sub-expression, as if it were its label
    (explore names f's output "f" this way, without writing a label into the Value)."""
    if not isinstance(root, Value):
        raise TypeError(f"node_names: root must be a Value, got {type(root).__name__}")
    out: dict[Value, tuple[str, int]] = {}
    taken: set[str] = set()
    counters: dict[str, int] = {}
    for node in topological_order(root):
        if node.label:
            text, prec = _label(node.label)
        elif root_name and node is root:
            text, prec = _label(root_name)
        elif node.op is None:
            text, prec = _number(node.data)
        else:
            text, prec = node.op.formula([out[p] for p in node.parents])
            if len(text) > MAX_NAME:
                base = _short_base(node)
                k = counters.get(base, 0) + 1
                while base + subscript(k) in taken:  # a label may already read mul₁
                    k += 1
                counters[base] = k
                text, prec = base + subscript(k), ATOM
        if text in taken:
            atom = text if prec == ATOM and text[-1] not in _SUBSCRIPTS else f"({text})"
            k = counters.get(atom, 1) + 1  # where the last search for this text stopped: linear, not quadratic
            while atom + subscript(k) in taken:
                k += 1
            counters[atom] = k
            text, prec = atom + subscript(k), ATOM
        taken.add(text)
        out[node] = (text, prec)
    return out


def node_names(root: Value, root_name: str | None = None) -> dict[Value, str]:
    """A unique name for every node root depends on: its label, its number (a leaf), or its sub-expression
    (``w * x + b``), shortened to the op and an index (``z₁``, ``mul₂``) when longer than MAX_NAME characters.
    explain, draw_graph and the backward step-through all name nodes by it. ``root_name``: see ``named``."""
    return {node: text for node, (text, _) in named(root, root_name).items()}


def operand(name: str, prec: int) -> str:
    """A name as it is written after ∂: parenthesised when it is a formula, ∂(w * x)/∂w."""
    return name if prec == ATOM else f"({name})"
