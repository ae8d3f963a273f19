"""The chain rule over a graph of Values: one topological order and one reverse walk.

For every node v with parents p₁…pₙ the chain rule says ∂C/∂pᵢ += ∂C/∂v · ∂v/∂pᵢ. Visiting the nodes in reverse
topological order (every node before the nodes it was computed from) makes ∂C/∂v complete before it is passed
on. The local derivatives ∂v/∂pᵢ come from the op table (``ops.py``), one rule per op.

:func:`walk` is the only place where this is done. Everything that needs "the gradient at each node" —
``backward()`` and ``grad()`` (``value.py``), the backward step-through, the chain-rule derivations, the tape's
error path — reads it from the walk, so they agree on every graph, edge cases included. The walk needs only
three things of a node: ``_op`` (the op that made it), ``_prev`` (its parents) and ``_data`` (its number).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import filterfalse
from typing import TYPE_CHECKING, Any

from . import clock
from .errors import DomainError, StaleGraphError

if TYPE_CHECKING:  # for the annotations only: the walk works on any node with _op, _prev and _data
    from .value import Value

Visit = tuple["Value", Any, "tuple[Any, ...] | None"]
"""What :func:`walk` yields for each node: (node, grad, partials)."""


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on (root included), each after all of its parents.

    A depth-first search with an explicit stack instead of recursion, so that a chain of a million nodes does
    not reach Python's recursion limit. A node taken from the stack is placed if all its parents are placed (a
    leaf at once); otherwise it goes back, with its unplaced parents above it, to be looked at again once they
    are placed. Parents are pushed last first, so that they are visited first to last, in the order of the
    recursive search (micrograd's ``build_topo``).
    """
    order: list[Value] = []
    placed: set[Value] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in placed:
            continue
        if placed.issuperset(node._prev):
            placed.add(node)
            order.append(node)
        else:
            stack.append(node)
            stack.extend(filterfalse(placed.__contains__, reversed(node._prev)))
    return order


def local_derivatives(node: Value, on_values: bool = False) -> tuple[Any, ...]:
    """∂node/∂parentᵢ at the current numbers (empty for a leaf): floats, or Values with ``on_values=True``.

    The op's rule evaluated on the parents' numbers and the node's own (``derivative(x₁, …, xₙ, out)``). On
    Values the rule records new nodes, so the derivatives can be differentiated again. Raises DomainError where a
    derivative is undefined (e.g. sqrt at 0), naming the op and its operands.
    """
    op = node._op
    if op is None:
        return ()
    args, out = (node._prev, node) if on_values else ([p._data for p in node._prev], node._data)
    try:
        return tuple(op.derivative(*args, out))
    except (ArithmeticError, ValueError) as exc:
        raise _derivative_error(node, exc) from None
    except TypeError as exc:
        if not on_values:
            raise
        raise _not_on_values(node, exc) from None


def _not_on_values(node: Value, exc: TypeError) -> Exception:
    """The error for a derivative rule that runs on floats but not on Values (written with ``math`` functions)."""
    assert node._op is not None
    local_derivatives(node)  # the rule's own error (e.g. a wrong number of results) if it fails on floats too
    return TypeError(f"derivative of {node._op.name}: cannot be evaluated on Values, so create_graph=True cannot "
                     f"differentiate it again ({exc}); write it with arithmetic and autograd_nn ops "
                     "(e.g. autograd_nn.exp) instead of math functions")


def _derivative_error(node: Value, exc: BaseException) -> DomainError:
    op = node._op
    assert op is not None
    why = exc if isinstance(exc, DomainError) else f"undefined at these operands ({exc})"
    return DomainError(f"derivative of {op.describe([p._data for p in node._prev])}: {why}")


def _not_finite(order: list[Value], node: Value, g: float) -> DomainError:
    """The error for a gradient that became ±inf or NaN at node: it names the op whose local derivative made it
    (a slow search, only on this error path), or says that the sum of finite terms overflowed."""
    for child in order:
        if child._op is None or not any(p is node for p in child._prev):
            continue
        try:
            partials = local_derivatives(child)
        except DomainError:
            continue
        for parent, d in zip(child._prev, partials):
            if parent is node and not math.isfinite(d):
                return DomainError(f"derivative of {child._op.describe([p._data for p in child._prev])}: "
                                   f"{d} is not a finite number" + (" (overflow)" if d == d else ""))
    # Named by what it computes, not by repr(node): the message must not depend on a .grad left by earlier calls.
    where = node._op.describe([p._data for p in node._prev]) if node._op is not None else f"a leaf = {node._data!r}"
    return DomainError(f"backward: the gradient reached {g} at {where} (overflow); "
                       "the function is too steep here for floats")


def check_fresh(order: list[Value]) -> None:
    """Raise StaleGraphError if a node's ``.data`` was assigned after a node computed from it was made.

    Such a graph mixes two points: the nodes below hold numbers computed from the old data. Every Value carries
    the write clock's stamp of its creation or last assignment (``clock.py``), so the test is one comparison an
    edge; a node made since the last assignment is fresh, since nothing it reads can be newer.
    """
    now = clock.now()
    for node in order:
        if node._stamp == now:
            continue
        for p in node._prev:
            if p._stamp > node._stamp:
                raise _stale(node, p)


def _stale(node: Value, p: Value) -> StaleGraphError:
    assert node._op is not None
    what = f"{p.label!r}" if p.label else ("a leaf" if p._op is None else f"the {p._op.name} node")
    return StaleGraphError(f"stale graph: the .data of {what} (now {p._data!r}) was assigned after "
                           f"{node._op.name} was computed from it, so the graph mixes old and new numbers; "
                           "build the expression again from the new data (with a Tape: call forward())")


def walk(root: Value, seed: float = 1.0, *, create_graph: bool = False) -> Iterator[Visit]:
    """Apply the chain rule from ``root`` backwards, yielding ``(node, grad, partials)`` for every node.

    Nodes come in reverse topological order, each once its gradient grad = ∂root/∂node (times ``seed``) is
    complete; ``partials`` are the local derivatives ∂node/∂parentᵢ it multiplied grad by and passed on, or
    None when it passed nothing on. The rules, the same for every consumer:

    * a leaf passes nothing on;
    * a node whose gradient is exactly 0 passes nothing on, and its local derivatives are not evaluated (an
      undefined one there, such as sqrt'(0) in ``sqrt(x) * 0``, is no error: zero times anything is zero);
    * otherwise every local derivative is evaluated; an undefined one raises the DomainError that names the op
      and its operands, and a gradient that overflows to ±inf raises a DomainError too;
    * a graph in which a Value's ``.data`` was assigned after a node was computed from it raises
      StaleGraphError (its numbers mix two points).

    With ``create_graph`` the gradients and partials are Values recording how they were computed (so they can
    be differentiated again). Their numbers are the float walk's, and so are every decision and error: the
    floats are computed alongside. Where the float gradient is 0 but its Value still depends on the inputs,
    the Value partials are recorded if they are defined, so that second derivatives are right there too.
    """
    order = topological_order(root)
    check_fresh(order)
    if create_graph:
        yield from _walk_on_values(order, root, seed)
        return
    grads: dict[Value, float] = {node: 0.0 for node in order}
    grads[root] = seed
    for node in reversed(order):
        g = grads[node]
        if not math.isfinite(g):
            raise _not_finite(order, node, g)
        if node._op is None or g == 0.0:  # a leaf, or a zero gradient (common behind a relu): nothing to pass on
            yield node, g, None
            continue
        partials = local_derivatives(node)
        for parent, d in zip(node._prev, partials):
            grads[parent] += g * d  # the chain rule: ∂C/∂parent += ∂C/∂node · ∂node/∂parent
        yield node, g, partials


def _walk_on_values(order: list[Value], root: Value, seed: float) -> Iterator[Visit]:
    """The walk with create_graph: Value gradients built alongside the float ones that decide everything."""
    make = type(root)  # gradients are Values of the root's kind
    acc: dict[Value, float] = {root: seed}
    vacc: dict[Value, Value] = {root: make(seed)}
    for node in reversed(order):
        g = acc.pop(node, 0.0)
        gv = vacc.pop(node, None)
        if not math.isfinite(g):
            raise _not_finite(order, node, g)
        if node._op is None or gv is None:
            yield node, gv if gv is not None else make(0.0), None
            continue
        if g == 0.0:
            # The number is 0, but ∂(grad)/∂input may not be: keep the Value terms where they are defined.
            try:
                partials = local_derivatives(node, on_values=True)
            except DomainError:
                yield node, gv, None
                continue
        else:
            floats = local_derivatives(node)  # the float walk's rule and error, first
            contributions = [g * d for d in floats]
            for parent, c in zip(node._prev, contributions):
                acc[parent] = acc.get(parent, 0.0) + c
            if not all(map(math.isfinite, contributions)):
                # The float walk raises for this when it reaches the parent; the Value terms would raise
                # earlier, with other words. Leave them out so that the same error comes at the same place.
                yield node, gv, None
                continue
            partials = local_derivatives(node, on_values=True)
        for parent, d in zip(node._prev, partials):
            if not isinstance(d, make) and d == 0.0:
                continue
            contribution = gv if not isinstance(d, make) and d == 1.0 else gv * d  # no needless "× 1" node
            previous = vacc.get(parent)
            vacc[parent] = contribution if previous is None else previous + contribution
        yield node, gv, partials


__all__ = ["Visit", "topological_order", "local_derivatives", "check_fresh", "walk"]
