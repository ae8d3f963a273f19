"""The chain rule over a graph of Values: one reverse walk, and ``backward()`` and ``grad()`` built on it.

For every node v with parents p₁…pₙ, the chain rule says ∂C/∂pᵢ += ∂C/∂v · ∂v/∂pᵢ. Visiting the nodes in
reverse topological order (every node after all the nodes that use it) makes ∂C/∂v complete before it is
passed on. The local derivatives ∂v/∂pᵢ come from the op table (``ops.py``), one rule per op.

:func:`walk` is the only place where this is done. Everything that needs "the gradient at each node" —
``backward()``, ``grad()`` (both modes), the backward step-through, the chain-rule derivations, the tape's
error path — reads it from the walk, so they agree on every graph, edge cases included.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, overload

from . import value as _value
from .errors import DomainError, StaleGraphError
from .value import Value, stamp

_isfinite = math.isfinite

Visit = tuple[Value, Any, "tuple[Any, ...] | None"]
"""What :func:`walk` yields for each node: (node, grad, partials)."""


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on (root included), each after all of its parents.

    Iterative depth-first search, so a chain of a million nodes does not hit Python's recursion limit. The stack
    is two lists, the nodes and how many of each one's parents were looked at: a deep graph stacks no new objects
    that the garbage collector would have to go over again and again (a stack of iterators made a 10⁶-node
    chain 4× slower per node than a 10⁴ one). A node is placed as soon as all its parents are: ``reached`` holds
    the placed nodes and those on the stack, and a node on the stack is never a parent of the node being looked
    at (that would be a cycle), so "every parent reached" means "every parent placed". That test is one C call
    (issuperset), and it places a leaf or a neuron whose weights and inputs were all placed without stacking it.
    """
    if not root._prev:
        return [root]
    order: list[Value] = []
    reached = {root}
    mark, place, placed = reached.add, order.append, reached.issuperset
    nodes, looked = [root], [0]
    while nodes:
        node = nodes[-1]
        parents = node._prev
        i, n = looked[-1], len(parents)
        while i < n:
            parent = parents[i]
            i += 1
            if parent not in reached:
                mark(parent)
                grandparents = parent._prev
                if placed(grandparents):
                    place(parent)
                elif len(grandparents) == 1 and placed(grandparents[0]._prev):  # e.g. relu(z), z placeable:
                    mark(grandparents[0])  # both placed without stacking
                    place(grandparents[0])
                    place(parent)
                else:
                    looked[-1] = i
                    nodes.append(parent)
                    looked.append(0)
                    break
        else:  # every parent of node is placed
            nodes.pop()
            looked.pop()
            place(node)
    return order


def local_derivatives(node: Value, on_values: bool = False) -> tuple[Any, ...]:
    """∂node/∂parentᵢ at the current data (empty for a leaf): floats, or Values with ``on_values=True``.

    On Values the rule records new nodes, so the derivatives can be differentiated again. Raises
    DomainError where a derivative is undefined (e.g. sqrt at 0), naming the op and its operands.
    """
    op = node._op
    if op is None:
        return ()
    args: Sequence[Any]
    out: Any
    if on_values:
        args, out = node._prev, node
    else:
        args, out = [p._data for p in node._prev], node._data
    try:
        return tuple(op.derivative(*args, out))
    except (ArithmeticError, ValueError) as exc:
        raise _derivative_error(node, exc) from None
    except TypeError as exc:
        if not on_values:
            raise
        local_derivatives(node)  # the rule's own error (e.g. a wrong number of results) if it fails on floats
        raise TypeError(f"derivative of {op.name}: cannot be evaluated on Values, so create_graph=True cannot "
                        f"differentiate it again ({exc}); write it with arithmetic and autograd_nn ops "
                        "(e.g. autograd_nn.exp) instead of math functions") from None


def _derivative_error(node: Value, exc: BaseException) -> DomainError:
    op = node._op
    assert op is not None
    why = exc if isinstance(exc, DomainError) else f"undefined at these operands ({exc})"
    return DomainError(f"derivative of {op.describe([p.data for p in node._prev])}: {why}")


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
            if parent is node and not _isfinite(d):
                return DomainError(f"derivative of {child._op.describe([p.data for p in child._prev])}: "
                                   f"{d} is not a finite number" + (" (overflow)" if d == d else ""))
    # Named by what it computes, not by repr(node): the message must not depend on a .grad left by earlier calls.
    where = node._op.describe([p.data for p in node._prev]) if node._op is not None else f"a leaf = {node.data!r}"
    return DomainError(f"backward: the gradient reached {g} at {where} (overflow); "
                       "the function is too steep here for floats")


def check_fresh(order: list[Value]) -> set[Any]:
    """Raise StaleGraphError if a node's ``.data`` was assigned after a node computed from it was made.

    Such a graph mixes two points: the nodes below hold numbers from the old data. Returns the nodes' stamp slots
    (``_t``: a stamp, or (label, stamp)), all consistent, so that the walk does not check them again.
    """
    for node in order:
        t = stamp(node)
        for p in node._prev:
            if stamp(p) > t:
                assert node._op is not None
                what = f"{p.label!r}" if p.label else ("a leaf" if p._op is None else f"the {p._op.name} node")
                raise StaleGraphError(
                    f"stale graph: the .data of {what} (now {p._data!r}) was assigned after "
                    f"{node._op.name} was computed from it, so the graph mixes old and new numbers; "
                    "build the expression again from the new data (with a Tape: call forward())")
    return {node._t for node in order}


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
    if create_graph:
        yield from _walk_on_values(order, root, seed)
        return
    # Every node's gradient starts at 0 (fromkeys is one C call); += below then needs no .get per edge.
    acc: dict[Value, float] = dict.fromkeys(order, 0.0)
    acc[root] = seed
    isfinite, pairs = _isfinite, zip  # locals: this loop runs once per node of every backward pass
    fresh = {_value._clock}  # the write stamps known to be consistent (see check_fresh)
    for node in reversed(order):
        g = acc[node]
        op = node._op
        if op is not None and node._t not in fresh:  # .data was assigned since this node was made
            fresh = check_fresh(order)
        if op is None or g == 0.0:  # a zero gradient passes on only zeros (common behind a relu)
            if not isfinite(g):
                raise _not_finite(order, node, g)
            yield node, g, None
            continue
        if not isfinite(g):
            raise _not_finite(order, node, g)
        parents = node._prev
        # local_derivatives(node), inlined: this runs once per node of every backward pass. A node of one or two
        # parents (relu, tanh, +, *, …: most nodes) passes its gradient on without a list or a loop (the moons
        # step: 4.2 -> 3.7 ms); for more, a list comprehension reads the slots (faster than map(attrgetter)).
        try:
            if len(parents) == 1:
                parent = parents[0]
                partials = tuple(op.derivative(parent._data, node._data))
            elif len(parents) == 2:
                left, right = parents
                partials = tuple(op.derivative(left._data, right._data, node._data))
            else:
                partials = tuple(op.derivative(*[p._data for p in parents], node._data))
        except (ArithmeticError, ValueError) as exc:
            raise _derivative_error(node, exc) from None
        if len(parents) == 1:
            acc[parent] += g * partials[0]
        elif len(parents) == 2:
            acc[left] += g * partials[0]
            acc[right] += g * partials[1]
        else:
            for parent, d in pairs(parents, partials):
                acc[parent] += g * d
        yield node, g, partials


def _walk_on_values(order: list[Value], root: Value, seed: float) -> Iterator[Visit]:
    """The walk with create_graph: Value gradients built alongside the float ones that decide everything."""
    check_fresh(order)
    acc: dict[Value, float] = {root: seed}
    vacc: dict[Value, Value] = {root: Value(seed)}
    for node in reversed(order):
        g = acc.pop(node, 0.0)
        gv = vacc.pop(node, None)
        if not _isfinite(g):
            raise _not_finite(order, node, g)
        if node._op is None or gv is None:
            yield node, gv if gv is not None else Value(0.0), None
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
            if not all(map(_isfinite, contributions)):
                # The float walk raises for this when it reaches the parent; the Value terms would raise
                # earlier, with other words. Leave them out so that the same error comes at the same place.
                yield node, gv, None
                continue
            partials = local_derivatives(node, on_values=True)
        for parent, d in zip(node._prev, partials):
            if type(d) is not Value and d == 0.0:
                continue
            contribution = gv if type(d) is not Value and d == 1.0 else gv * d  # no needless "× 1" node
            previous = vacc.get(parent)
            vacc[parent] = contribution if previous is None else previous + contribution
        yield node, gv, partials


def backward(root: Value) -> None:
    """Backpropagate from ``root``: root.grad = 1, then v.grad = Σ over v's children c of c.grad · ∂c/∂v.

    Leaves accumulate into their existing ``.grad``; intermediate nodes get this pass's gradient, so that
    calling backward twice on a graph adds the leaves' gradients twice, as PyTorch does. The leaves are written
    only once the walk has finished: an error midway leaves every leaf's ``.grad`` as it was.
    """
    leaves: list[tuple[Value, float]] = []
    add_leaf = leaves.append
    for node, g, _ in walk(root):
        if node._op is None:
            add_leaf((node, node.grad + g))
        else:
            node.grad = g
    for node, total in leaves:
        if not _isfinite(total):
            raise DomainError(f"backward: the gradient of {node!r} would become {total} (overflow)")
    for node, total in leaves:
        node.grad = total


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
    xs: list[Value] = [inputs] if isinstance(inputs, Value) else list(inputs)
    for x in xs:
        if type(x) is not Value:
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {x!r}")
    wanted = set(xs)
    found: dict[Value, Any] = {}
    for node, g, _ in walk(output, create_graph=create_graph):
        if node in wanted:
            found[node] = g
    results = [found[x] if x in found else (Value(0.0) if create_graph else 0.0) for x in xs]
    return results[0] if isinstance(inputs, Value) else results
