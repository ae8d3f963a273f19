"""The chain rule over a graph of Values: topological order, ``backward()`` and ``grad()``.

For every node v with parents p₁…pₙ, the chain rule says ∂C/∂pᵢ += ∂C/∂v · ∂v/∂pᵢ. Visiting the nodes in
reverse topological order (every node after all the nodes that use it) makes ∂C/∂v complete before it is
passed on. The local derivatives ∂v/∂pᵢ come from the op table (``ops.py``), one rule per op.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

from .errors import DomainError
from .value import Value

_isfinite = math.isfinite


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on (root included), each after all of its parents.

    Iterative depth-first search, so a chain of a million nodes does not hit Python's recursion limit.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    # Each stack entry is (node, expanded?): a node is appended once all the parents it pushed are done.
    # A node is marked when it is expanded, not when it is pushed: marking on push would let a node reached
    # twice (a diamond, e.g. s * (1 - s)) be skipped by its second path and emitted before its parents.
    stack: list[tuple[Value, bool]] = [(root, False)]
    push, pop, add, emit = stack.append, stack.pop, visited.add, order.append
    while stack:
        node, expanded = pop()
        if expanded:
            emit(node)
            continue
        if node in visited:
            continue
        add(node)
        push((node, True))
        for parent in node._prev:
            if parent not in visited:
                push((parent, False))
    return order


def local_derivatives(node: Value, on_values: bool = False) -> tuple[Any, ...]:
    """∂node/∂parentᵢ at the current data (empty for a leaf): floats, or Values with ``on_values=True``.

    On Values the rule records new nodes, so the derivatives can be differentiated again. Raises
    DomainError where a derivative is undefined (e.g. sqrt at 0), naming the op and its operands.
    """
    op = node._op
    if op is None:
        return ()
    if on_values:
        args: Sequence[Any] = node._prev
        out: Any = node
    else:
        args, out = [p.data for p in node._prev], node.data
    try:
        return op.derivative(*args, out)
    except (ArithmeticError, ValueError) as exc:
        why = exc if isinstance(exc, DomainError) else f"undefined at these operands ({exc})"
        raise DomainError(f"derivative of {op.describe(args)}: {why}") from None
    except TypeError as exc:
        if not on_values:
            raise
        local_derivatives(node)  # the rule's own error (e.g. a wrong number of results) if it fails on floats
        raise TypeError(f"derivative of {op.name}: cannot be evaluated on Values, so create_graph=True cannot "
                        f"differentiate it again ({exc}); write it with arithmetic and autograd_nn ops "
                        "(e.g. autograd_nn.exp) instead of math functions") from None


def backward(root: Value) -> None:
    """Backpropagate from ``root``: root.grad = 1, then v.grad = Σ over v's children c of c.grad · ∂c/∂v.

    Leaves accumulate into their existing ``.grad``; intermediate nodes are reset first, so that calling
    backward twice on a graph adds the leaves' gradients twice, as PyTorch does, instead of compounding them.
    """
    order = topological_order(root)
    leaves = []  # with their grads before this pass: an error midway must not leave half-added gradients
    for node in order:
        if node._op is not None:
            node.grad = 0.0
        else:
            leaves.append((node, node.grad))
    try:
        root.grad = 1.0 if root._op is not None else root.grad + 1.0  # a leaf root accumulates like any leaf
        for node in reversed(order):
            op = node._op
            g = node.grad
            # A leaf has nothing to pass on; a zero gradient passes on only zeros (common behind a relu).
            if op is None or g == 0.0:
                continue
            if not _isfinite(g):
                raise DomainError(f"backward: the gradient reached {g} at {node!r} (overflow); "
                                  "the function is too steep here for floats")
            parents = node._prev
            try:
                # local_derivatives(node), inlined: this line runs once per node of every backward pass.
                partials = op.derivative(*[p.data for p in parents], node.data)
            except (ArithmeticError, ValueError):
                local_derivatives(node)  # raises the DomainError that names the op and its operands
                raise
            for parent, d in zip(parents, partials):
                parent.grad += g * d
        for node, _ in leaves:
            if not _isfinite(node.grad):
                raise DomainError(f"backward: the gradient of {node!r} is not finite (overflow)")
    except BaseException:
        for node, before in leaves:
            node.grad = before
        raise


@overload
def grad(output: Value, inputs: Value, create_graph: bool = False) -> Any: ...
@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]: ...


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """∂output/∂x for each x in ``inputs`` (one result for a single Value), leaving every ``.grad`` alone.

    With ``create_graph=False`` the results are floats. With ``create_graph=True`` they are Values whose own
    graphs record how they were computed, so they can be differentiated again::

        x = Value(2.0)
        (dy,) = grad(x ** 3, [x], create_graph=True)    # 3x² = 12
        (d2y,) = grad(dy, [x])                          # 6x  = 12
    """
    if type(output) is not Value:
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__} {output!r}")
    single = type(inputs) is Value
    xs = [inputs] if single else list(inputs)
    for x in xs:
        if type(x) is not Value:
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {x!r}")

    # acc[v] = ∂output/∂v so far: floats, or Values when the derivative itself is to be differentiable.
    acc: dict[Value, Any] = {output: Value(1.0) if create_graph else 1.0}
    for node in reversed(topological_order(output)):
        g = acc.get(node)
        if g is None or node._op is None:
            continue
        # The same rule as backward's; with create_graph it is evaluated on the Values themselves.
        partials = local_derivatives(node, on_values=create_graph)
        for parent, d in zip(node._prev, partials):
            if type(d) is not Value and d == 1.0:
                contribution = g  # skip a needless "× 1" node
            elif type(d) is not Value and d == 0.0:
                continue
            else:
                contribution = g * d
            previous = acc.get(parent)
            acc[parent] = contribution if previous is None else previous + contribution
    zero = 0.0
    results = [acc.get(x, Value(zero) if create_graph else zero) for x in xs]
    return results[0] if single else results
