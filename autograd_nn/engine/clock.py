"""The write clock: it counts assignments to a Value's ``.data``.

Every Value is stamped with the clock's time when it is made and when its ``.data`` is assigned. Making nodes
only reads the clock, so a graph is consistent exactly when no node is stamped later than a node computed from it
(``autodiff.check_fresh``): a graph differentiated after one of its leaves changed raises StaleGraphError instead
of mixing two points.
"""

_now = 0


def now() -> int:
    """The clock's time: how many ``.data`` assignments have happened so far in this process."""
    return _now


def tick() -> int:
    """Count one assignment (of one Value, or of many at once) and return the new time."""
    global _now
    _now += 1
    return _now
