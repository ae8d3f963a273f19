"""`Value`: one float in a computation graph, with the gradient that backpropagation gives it.

A Value made by an operation remembers that operation (an :class:`~autograd_nn.engine.ops.Op`) and the Values
it was made from (its *parents*). That record is all the chain rule needs: ``backward()`` walks it from the
output back to the leaves. The arithmetic methods below only pick the op; each op's forward and local
derivative live side by side in ``ops.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union

import numpy as np

if TYPE_CHECKING:
    from .ops import Op

Number = Union[int, float]
Operand = Union["Value", int, float]

_isfinite = math.isfinite
svg_display: Any = None  # set by autograd_nn.viz: Value -> SVG text, for notebooks (see Value._repr_svg_)


def as_float(x: Any, what: str) -> float:
    """Return x as a float if it is a real number (int, float, numpy scalar); else raise TypeError naming it.

    ``bool`` is refused although Python counts it as an int: ``Value(True)`` is almost always a mistake.
    """
    if type(x) is float:  # the common case, checked first for speed
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what}: expected a real number (int, float or numpy scalar), "
                        f"got {type(x).__name__} {x!r}")
    return float(x)


class Value:
    """A scalar node: ``data`` (a float), ``grad`` (∂root/∂self after ``root.backward()``), and its history.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad          # dy/dx = 2x + 3
    7.0
    """

    # Slots keep a node small (no per-node __dict__); parents are a tuple and the op is a shared object,
    # so a node holds no closure of its own.
    __slots__ = ("data", "grad", "label", "_op", "_prev")

    data: float
    grad: float
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        data = as_float(data, "Value")
        if not _isfinite(data):
            raise ValueError(f"Value: data must be finite, got {data!r}")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._prev: tuple[Value, ...] = ()

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
        return f"Value(data={_short(self.data)}, grad={_short(self.grad)}{label})"

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
        return self.data < _compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compared(other, ">=")

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
    data = as_float(x, f"operand of {op.symbol}")
    if not _isfinite(data):
        raise ValueError(f"operand of {op.symbol}: must be finite, got {data!r}")
    return make_node(data, None, ())


def _compared(x: Any, symbol: str) -> float:
    return x.data if type(x) is Value else as_float(x, f"Value {symbol} operand")


def _operand(x: Any, op: Op) -> Value:
    return x if type(x) is Value else constant(x, op)


_new = object.__new__


def make_node(data: float, op: Op | None, parents: tuple[Value, ...]) -> Value:
    """Create a Value without the checks of ``Value(...)``: the ops have already made sure data is a finite float.

    This is the hot path of every forward pass, so it sets the slots directly instead of calling __init__.
    """
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node._prev = parents
    return node


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the gradient of every Value in ``values`` to 0 (e.g. a model's parameters between steps)."""
    for v in values:
        v.grad = 0.0


# The op table and the chain rule both need Value, so they are imported after it is defined.
from .autodiff import backward  # noqa: E402
from .ops import ABS, ADD, DIV, MUL, NEG, POW, SUB, power_op  # noqa: E402
