"""The chain rule as paths: ∂root/∂w = Σ over paths from w up to root of Π ∂child/∂parent along the path.

Read off the engine's one reverse walk: the factors are the local derivatives the walk evaluated, and the total
is the gradient the walk gives w, the very number ``root.backward()`` puts in ``w.grad``. A path runs only
along edges the walk passed a gradient over; a node whose gradient is 0 passes nothing on, so paths through it
are left out, and they add up to 0 anyway (together they contribute ∂root/∂node · ∂node/∂w = 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine import Value, topological_order, walk

Factor = tuple[Value, Value, float]  # (child, parent, ∂child/∂parent)
_Link = tuple[Factor, int, "_Link | None"]  # a factor, the parent's position among the child's operands, the rest


def _unlink(link: _Link | None) -> tuple[list[Factor], list[int]]:
    path, positions = [], []
    while link is not None:
        factor, position, link = link
        path.append(factor)
        positions.append(position)
    return path, positions


@dataclass(frozen=True)
class Chain:
    """∂root/∂w as the walk computed it: ``total``, the first ``paths`` written out, ``n_paths`` in all, and
    ``blocked``: nodes on the way from w whose gradient is 0, where the chain stops (e.g. a relu's input z < 0).
    ``operands`` gives, for each factor of each written path, the parent's position among the child's operands:
    two paths through the same nodes differ there, where a node uses one Value twice (x * x).
    """

    total: float
    paths: list[list[Factor]]
    n_paths: int
    blocked: list[Value]
    operands: list[list[int]] = field(default_factory=list)


def chain(root: Value, w: Value, max_paths: int = 6) -> Chain:
    """The paths from w up to root as (child, parent, ∂child/∂parent) factors, root end first: at most
    ``max_paths`` written out, and how many there are in all (counted, not listed, so a graph with
    exponentially many paths costs nothing extra)."""
    visits = list(walk(root))
    total = 0.0
    partials: dict[Value, tuple[float, ...]] = {}
    for node, g, local in visits:
        if node is w:
            total = float(g)
        if local is not None:
            partials[node] = tuple(float(x) for x in local)
    count: dict[Value, int] = {w: 1}
    # A written path is a linked list (factor, rest of the path to w): extending it by one factor shares the
    # rest, so a long chain costs one link per node instead of a copy of the whole path.
    written: dict[Value, list[_Link | None]] = {w: [None]}
    depends: set[Value] = {w}  # every node that depends on w, whether or not a gradient flows
    blocked: list[Value] = []
    for node, _, _ in reversed(visits):  # parents first
        if node is w or not any(p in depends for p in node.parents):
            continue
        depends.add(node)
        if node not in partials:
            continue
        count[node] = 0
        links: list[_Link | None] = []
        for position, (p, d) in enumerate(zip(node.parents, partials[node])):
            if p in count:
                count[node] += count[p]
                links.extend(((node, p, d), position, rest) for rest in written[p][:max_paths - len(links)])
            elif p in depends and p not in blocked:
                blocked.append(p)
        written[node] = links
    unlinked = [_unlink(link) for link in written.get(root, [])]
    return Chain(total, [path for path, _ in unlinked], count.get(root, 0), blocked,
                 [positions for _, positions in unlinked])


def paths_to_root(root: Value, w: Value) -> set[Value]:
    """The nodes on some path from w up to root (both included; empty when root does not depend on w)."""
    on_path: set[Value] = set()
    for node in topological_order(root):
        if node is w or any(p in on_path for p in node.parents):
            on_path.add(node)
    return on_path if root in on_path else set()
