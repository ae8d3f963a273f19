"""(c) backward() itself: topological order and += at fan-out, on a minimal Node class."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from ..engine import Value, grad
from .grading import call, close, smallest

NAME = "c_backward"
TITLE = "backward(): topological order and += at fan-out (a reused node)"
HINT = ("visit every node once, parents before children (a depth-first post-order), then walk that list "
        "backwards from root.grad = 1 and ADD each node's grad × local derivative into its parents' .grad: a "
        "node used twice (x * x, or a + a) gets both contributions")
TASK = """\
The Node class below records each operation's inputs (parents) and its local derivatives ∂self/∂parent.
Write backward(root): set every node's .grad to ∂root/∂node. Two things go wrong most often: the order (a
node's grad must be complete before it is passed on) and a node used more than once (its contributions add up)."""
HINTS = ["build the order with a depth-first search that appends a node after all its parents",
         "root.grad = 1.0 first; use += , never =, for a parent's grad"]
_NODE = '''
import math


class Node:
    """A number with the nodes it was computed from (parents) and ∂self/∂parent for each (local)."""

    def __init__(self, data, parents=(), local=()):
        self.data = data
        self.grad = 0.0
        self.parents = parents
        self.local = local

    def __add__(self, other):
        return Node(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return Node(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return Node(t, (self,), (1 - t * t,))

'''
STUB = _NODE + '''
def backward(root):
    """Set node.grad = ∂root/∂node for every node root depends on."""
    raise NotImplementedError("TODO: backward")
'''
SOLUTION = _NODE + '''
def backward(root):
    """Set node.grad = ∂root/∂node for every node root depends on."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local):
            parent.grad += local * node.grad
'''

# An expression: "x" | "y" | ("add", e, e) | ("mul", e, e) | ("tanh", e) | ("reuse", e) meaning t = e; t * t + t
_EXPR = st.recursive(st.sampled_from(["x", "y"]), lambda inner: st.one_of(
    st.tuples(st.sampled_from(["add", "mul"]), inner, inner), st.tuples(st.sampled_from(["tanh", "reuse"]), inner)),
    max_leaves=6)
_FIXED = [("mul", "x", "x"), ("reuse", ("add", "x", "y")), ("mul", ("tanh", ("mul", "x", "y")), ("add", "x", "x")),
          ("add", ("reuse", ("mul", "x", "y")), ("tanh", "y"))]


def _build(e: Any, leaves: dict[str, Any]) -> Any:
    if isinstance(e, str):
        return leaves[e]
    if e[0] == "tanh":
        return _build(e[1], leaves).tanh()
    if e[0] == "reuse":
        t = _build(e[1], leaves)
        return t * t + t
    a, b = _build(e[1], leaves), _build(e[2], leaves)
    return a + b if e[0] == "add" else a * b


def _shown(e: Any) -> str:
    if isinstance(e, str):
        return e
    if e[0] == "tanh":
        return f"tanh({_shown(e[1])})"
    if e[0] == "reuse":
        return f"(t * t + t with t = {_shown(e[1])})"
    return f"({_shown(e[1])} {'+' if e[0] == 'add' else '*'} {_shown(e[2])})"


def _compare(module: ModuleType, e: Any, x: float = 0.6, y: float = -0.4) -> str | None:
    """None when the student's grads of x and y match the engine's, else the comparison."""
    sx, sy = module.Node(x), module.Node(y)
    root = _build(e, {"x": sx, "y": sy})
    call(module.backward, root)
    vx, vy = Value(x), Value(y)
    gx, gy = grad(_build(e, {"x": vx, "y": vy}), [vx, vy])
    if close(float(sx.grad), gx) and close(float(sy.grad), gy):
        return None
    return (f"f = {_shown(e)} at x = {x}, y = {y}:\n  ∂f/∂x: yours {sx.grad!r}, the engine's {float(gx)!r}\n"
            f"  ∂f/∂y: yours {sy.grad!r}, the engine's {float(gy)!r}")


def grade(module: ModuleType) -> tuple[bool, str, str]:
    for e in _FIXED:
        wrong = _compare(module, e)
        if wrong:
            found = smallest(_EXPR, lambda ex: _compare(module, ex) is not None)
            return False, wrong, "" if found is None else f"f = {_shown(found)}"
    return True, f"backward matches the engine on {len(_FIXED)} graphs with reused nodes", ""
