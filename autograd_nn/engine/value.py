"""`Value`: one float in a computation graph, with the gradient that backpropagation gives it.

A Value made by an operation remembers that operation (an :class:`~autograd_nn.engine.ops.Op`) and the Values
it was made from (its *parents*). That record is all the chain rule needs: ``backward()`` walks it from the
output back to the leaves. The arithmetic methods below only pick the op; each op's forward and local
derivative live side by side in ``ops.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from .errors import DomainError

if TYPE_CHECKING:
    from .ops import Op

Number = Union[int, float]
Operand = Union["Value", int, float]

_isfinite = math.isfinite
svg_display: Any = None  # set by autograd_nn.viz: Value -> SVG text, for notebooks (see Value._repr_svg_)


def as_float(x: Any, what: str) -> float:
    """Return x as a float if it is a real number (int, float, numpy scalar); else raise TypeError naming it.

    ``bool`` is refused although Python counts it as an int: ``Value(True)`` is almost always a mistake. An
    integer too large for a float (10**400) is a DomainError, not Python's OverflowError.
    """
    if type(x) is float:  # the common case, checked first for speed
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        shown = repr(x) if len(repr(x)) <= 60 else repr(x)[:57] + "..."
        raise TypeError(f"{what}: expected a real number (int, float or numpy scalar), "
                        f"got {type(x).__name__} {shown}")
    try:
        return float(x)
    except OverflowError:
        raise DomainError(f"{what}: {_describe_int(int(x))} is too large for a float (at most about 1.8e308)") \
            from None


def _describe_int(n: int) -> str:
    """A huge integer in a message without printing all its digits: 'an integer of 401 digits'."""
    digits = len(str(abs(n))) if n.bit_length() < 10_000 else int(n.bit_length() * math.log10(2)) + 1
    return f"{'-' if n < 0 else ''}an integer of {digits} digits" if digits > 20 else str(n)


def as_finite(x: Any, what: str) -> float:
    """as_float, and refuse NaN and ±inf: the only numbers a Value may hold."""
    data = as_float(x, what)
    if not _isfinite(data):
        raise ValueError(f"{what}: must be finite, got {data!r}")
    return data


# The write clock: bumped by every assignment to a Value's .data. Each Value is stamped with the clock at its
# creation or its last assignment, so a graph is consistent exactly when no node is stamped later than a node
# computed from it (see autodiff.check_fresh). Creating nodes does not bump it: the hot path only reads it.
_clock = 0


def stamp(node: Value) -> int:
    """A Value's write stamp. The slot ``_t`` holds the stamp, or (label, stamp) for a labelled Value: the label
    shares the stamp's slot so that a node takes five slots (72 bytes a leaf), and few Values have a label."""
    t = node._t
    return t[1] if isinstance(t, tuple) else t


def write_clock() -> int:
    """How many ``.data`` assignments have happened so far (in this process): if it has not moved, no Value's
    number has changed, which lets a Tape skip re-reading its leaves."""
    return _clock


class Value:
    """A scalar node: ``data`` (a float), ``grad`` (∂root/∂self after ``root.backward()``), and its history.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad          # dy/dx = 2x + 3
    7.0
    """

    # Slots keep a node small (no per-node __dict__); parents are a tuple and the op is a shared object,
    # so a node holds no closure of its own. _data is read through the data property; _t is the write stamp,
    # or (label, stamp) when the Value has a label (see stamp(); .label reads and writes it).
    __slots__ = ("_data", "grad", "_op", "_prev", "_t")

    # numpy must not turn array + Value into an array of Values: it defers to Value's reflected operators,
    # which refuse an array operand with a TypeError naming the op.
    __array_ufunc__ = None

    _data: float
    grad: float
    _t: int | tuple[str, int]

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r}")
        self._data = as_finite(data, "Value")
        self.grad = 0.0
        self._op: Op | None = None
        self._prev: tuple[Value, ...] = ()
        self._t = (label, _clock) if label else _clock

    # -- the number it holds: reading is a plain attribute read (attrgetter, in C); writing is checked ------
    if TYPE_CHECKING:
        @property
        def data(self) -> float: ...
        @data.setter
        def data(self, value: Number) -> None: ...
    else:
        def _set_data(self, value: Number) -> None:
            global _clock
            self._data = as_finite(value, "Value.data")
            _clock += 1
            t = self._t
            self._t = (t[0], _clock) if isinstance(t, tuple) else _clock

        data = property(attrgetter("_data"), _set_data, doc="The number this Value holds (a finite float). "
                        "Assigning one after the Value was used in a graph makes that graph stale: "
                        "differentiating it then raises StaleGraphError.")

    @property
    def label(self) -> str:
        """A name for pictures, derivations and messages ("" for none)."""
        t = self._t
        return t[0] if isinstance(t, tuple) else ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value.label must be a str, got {type(label).__name__} {label!r}")
        t = stamp(self)
        self._t = (label, t) if label else t

    # -- the record of how this Value was made ----------------------------------------------------------
    @property
    def op(self) -> Op | None:
        """The operation that made this Value, or None for a leaf (a parameter, an input, a constant)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in the op's argument order (empty for a leaf)."""
        return self._prev

    def is_leaf(self) -> bool:
        return self._op is None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_short(self._data)}, grad={_short(self.grad)}{label})"

    def _repr_svg_(self) -> str | None:
        # Jupyter shows a Value as its graph. The engine cannot import viz (layering), so autograd_nn.viz
        # registers the drawing function in svg_display when imported; None means "no SVG form".
        return None if svg_display is None else svg_display(self)

    # -- arithmetic: each method only chooses the op (see ops.py) ----------------------------------------
    def __add__(self, other: Operand) -> Value:
        return ADD.apply(self, _operand(other, ADD))

    def __radd__(self, other: Operand) -> Value:
        return ADD.apply(_operand(other, ADD), self)

    def __sub__(self, other: Operand) -> Value:
        return SUB.apply(self, _operand(other, SUB))

    def __rsub__(self, other: Operand) -> Value:
        return SUB.apply(_operand(other, SUB), self)

    def __mul__(self, other: Operand) -> Value:
        return MUL.apply(self, _operand(other, MUL))

    def __rmul__(self, other: Operand) -> Value:
        return MUL.apply(_operand(other, MUL), self)

    def __truediv__(self, other: Operand) -> Value:
        return DIV.apply(self, _operand(other, DIV))

    def __rtruediv__(self, other: Operand) -> Value:
        return DIV.apply(_operand(other, DIV), self)

    def __pow__(self, other: Operand) -> Value:
        if type(other) is Value:
            return POW.apply(self, other)  # x ** y with y a Value: defined for x > 0
        return power_op(as_float(other, "Value ** exponent")).apply(self)

    def __rpow__(self, other: Operand) -> Value:
        return POW.apply(_operand(other, POW), self)

    def __neg__(self) -> Value:
        return NEG.apply(self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return ABS.apply(self)

    # x.exp(), x.log(), x.sqrt(), x.tanh(), x.sigmoid(), x.relu(), x.softplus(), x.abs(): one per op-table entry
    # with a method name, attached by ops.py. Declared here so that type checkers know them.
    if TYPE_CHECKING:
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def softplus(self) -> Value: ...
        def abs(self) -> Value: ...

    # -- comparisons: of the data, giving a bool (``if loss < best:``); not recorded in the graph --------------
    # == and hash stay identity: Values are dictionary keys throughout the engine. For a recorded 1.0/0.0
    # comparison use the lt, gt and eq ops.
    def __lt__(self, other: Operand) -> bool:
        return self._data < _compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self._data <= _compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self._data > _compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self._data >= _compared(other, ">=")

    # -- gradients --------------------------------------------------------------------------------------
    def backward(self) -> None:
        """Set ``self.grad = 1`` and add ∂self/∂v to ``v.grad`` for every Value v this one depends on.

        Leaves *accumulate* across calls (as in PyTorch: call :meth:`zero_grad` or ``zero_grad(params)``
        between steps); the grads of intermediate nodes are recomputed by each call.
        """
        backward(self)

    def zero_grad(self) -> None:
        """Reset this Value's gradient to 0."""
        self.grad = 0.0


def _short(x: float) -> str:
    """x to 6 significant digits, still reading as a float: 10.0, 0.761594, 1e-08."""
    text = f"{x:.6g}"
    return text if any(c in text for c in ".ein") else text + ".0"


def constant(x: Any, op: Op) -> Value:
    """A leaf Value for a plain number used as an operand of ``op`` (e.g. the 2 in ``x * 2``)."""
    if type(x) is float and _isfinite(x):  # the common case, before any error message is prepared
        return make_node(x, None, ())
    return make_node(as_finite(x, f"operand of {op.symbol}"), None, ())


def _compared(x: Any, symbol: str) -> float | int:
    if type(x) is Value:
        return x._data
    if type(x) is int:  # compared exactly, however large (1.0 < 10**400 is True)
        return x
    return as_float(x, f"Value {symbol} operand")


def _operand(x: Any, op: Op) -> Value:
    return x if type(x) is Value else constant(x, op)


_new = object.__new__


def make_node(data: float, op: Op | None, parents: tuple[Value, ...]) -> Value:
    """Create a Value without the checks of ``Value(...)``: the ops have already made sure data is a finite float.

    This is the hot path of every forward pass, so it sets the slots directly instead of calling __init__.
    """
    node = _new(Value)
    node._data = data
    node.grad = 0.0
    node._op = op
    node._prev = parents
    node._t = _clock
    return node


def assign(values: Sequence[Value], numbers: Sequence[Any]) -> None:
    """``values[i].data = numbers[i]`` for every i, as one assignment (an optimizer's step): every number is checked
    first, the first one that is not a finite real number is named with its index, and nothing is written unless
    all pass. One tick of the write clock stamps them all. About four times faster than assigning ``.data`` one
    by one, whose checks and clock tick run per Value."""
    global _clock
    if len(values) != len(numbers):
        raise ValueError(f"assign: {len(values)} Values but {len(numbers)} numbers")
    if set(map(type, values)) - {Value}:  # map(type, …) runs in C: the check costs little per Value
        i, v = next((i, v) for i, v in enumerate(values) if type(v) is not Value)
        raise TypeError(f"assign: values[{i}] is {type(v).__name__}, expected a Value")
    if set(map(type, numbers)) - {float} or not all(map(_isfinite, numbers)):
        numbers = [as_finite(x, f"assign: numbers[{i}]") for i, x in enumerate(numbers)]  # names the first bad one
    _clock += 1
    t = _clock
    for v, x in zip(values, numbers):
        v._data = x
        tag = v._t
        v._t = (tag[0], t) if isinstance(tag, tuple) else t


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the gradient of every Value in ``values`` to 0 (e.g. a model's parameters between steps)."""
    for v in values:
        v.grad = 0.0


# The op table and the chain rule both need Value, so they are imported after it is defined.
from .autodiff import backward  # noqa: E402
from .ops import ABS, ADD, DIV, MUL, NEG, POW, SUB, power_op  # noqa: E402
