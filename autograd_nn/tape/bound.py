"""Bound parameters: leaves of a Tape whose numbers live in one float64 array that an optimizer steps.

A :class:`Bound` is made by ``Tape.bind`` and uses the tape's public methods only (``place``, ``values``,
``gradients``). Its promises:

* ``data`` is the parameters' numbers (a view of the tape's value array when their places are one run, else an
  array copied in at every forward); step it in place (``bound.data -= lr * bound.grad``); it cannot be rebound;
* ``gradient()`` after ``data`` changed since the last ``forward()`` raises StaleGraphError: the gradient would
  belong to neither point (an optimizer step between them, without a forward);
* an assignment to a bound Value's ``.data`` wins: the next forward takes that number into the array, whatever it
  is (even the number the Value held before), as the engine's write stamps show which Values were assigned;
* ``write_back()`` assigns the array's numbers to the Values (e.g. once, after training).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ..engine import StaleGraphError, Value, assign, write_clock, write_stamps


class Tape(Protocol):
    """What a Bound uses of its tape (``runtime.Tape``'s public methods)."""

    @property
    def values(self) -> np.ndarray: ...
    @property
    def gradients(self) -> np.ndarray: ...
    def place(self, node: Value) -> int: ...


def _stamps(values: Sequence[Value]) -> np.ndarray:
    """The Values' write stamps (the write clock at their creation or last ``.data`` assignment)."""
    return np.array(write_stamps(values), dtype=np.int64)


class Bound:
    """Parameters of a :class:`autograd_nn.tape.runtime.Tape` whose numbers live in one float64 array.

    ``params[k]``'s number is ``data[k]`` and its gradient (after ``tape.gradient()``) ``grad[k]``; both are views
    of the tape's arrays when the parameters' places form one run (a layer's W and b are placed side by side), so
    ``data -= lr * grad`` is a whole SGD step. The order is the tape's places (layer by layer, W column by column);
    use :meth:`grad_of` for another order. While bound, the Values' ``.data`` are not updated: :meth:`write_back`
    does it.
    """

    def __init__(self, tape: Tape, parameters: Sequence[Value]) -> None:
        given = np.array([tape.place(p) for p in parameters], dtype=np.intp)
        order = np.argsort(given, kind="stable")
        self.places = given[order]
        self.params: list[Value] = [parameters[i] for i in order.tolist()]
        self._tape = tape
        lo, n = int(self.places[0]), len(self.places)
        self._run = bool((self.places == np.arange(lo, lo + n)).all())
        values = tape.values
        self._data: np.ndarray = values[lo:lo + n] if self._run else values[self.places].copy()
        self._data[:] = [p.data for p in self.params]
        self._taken = write_clock()  # assignments to the Values up to this clock are in the array
        self._at_forward = self._data.copy()  # the numbers of the last forward

    @property
    def data(self) -> np.ndarray:
        """The parameters' numbers, in the order of ``params``: step them in place (``bound.data -= lr * grad``,
        ``bound.data[:] = …``); the array cannot be replaced by another."""
        return self._data

    @data.setter
    def data(self, array: np.ndarray) -> None:
        if array is not self._data:  # (data -= x assigns the same array back: that is an in-place step)
            raise AttributeError("Bound.data cannot be rebound: it is the array the tape reads. Step it in place "
                                 "(bound.data -= lr * bound.grad, or bound.data[:] = numbers)")

    @property
    def grad(self) -> np.ndarray:
        """The parameters' gradients from the last ``tape.gradient()``, in the order of ``params``."""
        grads = self._tape.gradients
        lo = int(self.places[0])
        return grads[lo:lo + len(self.places)] if self._run else grads[self.places]

    def grad_of(self, parameters: Sequence[Value]) -> np.ndarray:
        """The gradients of ``parameters`` (bound ones, in any order) from the last ``tape.gradient()``."""
        place = self._tape.place
        return self._tape.gradients[[place(p) for p in parameters]]

    def write_back(self) -> None:
        """Assign every parameter's ``.data`` from the array (checked, as any assignment: all or none)."""
        assign(self.params, self._data.tolist())
        self._taken = write_clock()

    def before_forward(self) -> None:
        """Called by the tape's forward: take the numbers of Values assigned since the last look into the array,
        copy the array in (when it is no view of the tape's), and remember the numbers forward uses."""
        if write_clock() != self._taken:
            assigned = _stamps(self.params) > self._taken
            self._taken = write_clock()
            if assigned.any():
                self._data[assigned] = [p.data for p, a in zip(self.params, assigned.tolist()) if a]
        if not self._run:
            self._tape.values[self.places] = self._data
        np.copyto(self._at_forward, self._data)

    def check_unchanged(self) -> None:
        """Called by the tape's gradient: raise StaleGraphError if the numbers changed since the last forward (the
        array stepped, or a bound Value assigned)."""
        changed = self._data != self._at_forward
        if write_clock() != self._taken:
            changed |= _stamps(self.params) > self._taken
        if changed.any():
            k = int(np.flatnonzero(changed)[0])
            raise StaleGraphError(
                f"Tape.gradient: {int(changed.sum())} bound parameter(s) changed since the last forward() (e.g. "
                f"{self.params[k]!r}, which forward() used as {float(self._at_forward[k])!r}; its array number is "
                f"now {float(self._data[k])!r}); the gradient would belong to neither point. Call forward() after "
                "a step, before gradient()")


__all__ = ["Bound"]
