"""The order in which a graph of Values is pickled, so that a graph of any depth pickles.

Python's pickler recurses into each object it meets for the first time: a node's parents, theirs, … — a chain of a
few thousand nodes would be a RecursionError. ``Value.__reduce_ex__`` (``value.py``) therefore puts
:func:`ancestors_first` before a node's own fields.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import autodiff

if TYPE_CHECKING:  # for the annotations only
    from .value import Value

# The first node of a graph pickled lists its ancestors in topological order before its own fields: each ancestor
# is then pickled when its parents already are, one level deep. The ancestors it listed ("covered", per thread)
# list nothing themselves, so a graph is listed once (the pickle grows by one reference a node); an end marker
# after the list uncovers them again. The list is only an order of pickling: what each node is, parents included,
# is in its own fields, so sharing is kept throughout.
_covered = threading.local()


def ancestors_first(node: Value) -> tuple[Any, ...] | None:
    """What ``node`` pickles before its own fields: its ancestors in topological order and an end marker, or None
    when a node being pickled already listed it (or its parents are leaves)."""
    covered: dict[int, Value] = getattr(_covered, "nodes", None) or {}
    if covered.get(id(node)) is node:
        return None
    covered.clear()  # no list is being pickled now (all a list reaches is in it): forget a failed pickle's marks
    if all(p._op is None for p in node._prev):
        return None  # leaves and their nodes are one level deep anyway
    order = autodiff.topological_order(node)[:-1]
    covered.update((id(n), n) for n in order)
    _covered.nodes = covered
    return (*order, _Uncover())


def _nothing() -> None:
    return None


class _Uncover:
    """The end of an ancestors list: pickling it means every ancestor listed is pickled, so none stays covered."""

    def __reduce__(self) -> tuple[Any, ...]:
        getattr(_covered, "nodes", {}).clear()
        return (_nothing, ())


__all__ = ["ancestors_first"]
