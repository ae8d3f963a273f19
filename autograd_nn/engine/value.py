"""`Value`: one float in a computation graph, with the gradient that backpropagation gives it.

A Value made by an operation remembers that operation (an entry of the op table, ``ops.py``) and the Values it
was made from (its *parents*). That record is all the chain rule needs: ``backward()`` (``autodiff.py``) walks
it from the output back to the leaves. Reading order for a learner: this file, then ``ops.py``'s ``Op`` and a
few table entries, then ``autodiff.py``; ``docs/reading-the-engine.md`` is the guided tour.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any, Union, overload

from . import autodiff, clock, pickling
from .checks import as_finite, as_float, short
from .errors import DomainError
from .ops import ABS, ADD, DIV, EXP, LOG, MUL, NEG, POW, RELU, SIGMOID, SOFTPLUS, SQRT, SUB, TANH, Op, power_op

Operand = Union["Value", int, float]

svg_display: Any = None  # set by autograd_nn.viz: Value -> SVG text, for notebooks (see Value._repr_svg_)


def write_clock() -> int:
    """How many ``.data`` assignments have happened so far in this process: while it has not moved, no Value's
    number has changed (a Tape uses this to skip re-reading its leaves)."""
    return clock.now()


class Value:
    """A scalar node: ``data`` (a float), ``grad`` (∂root/∂self after ``root.backward()``), and its history.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad          # dy/dx = 2x + 3
    7.0
    """

    # Slots: no per-node __dict__, so a node stays small. _op is a shared table entry and _prev a tuple, so a
    # node holds no closure of its own.
    __slots__ = ("_data", "grad", "label", "_op", "_prev", "_stamp")

    # numpy must not turn array + Value into an array of Values: it defers to Value's reflected operators,
    # which refuse an array operand with a TypeError naming the op.
    __array_ufunc__ = None

    def __init__(self, data: int | float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r}")
        self._data = as_finite(data, "Value")
        self.grad = 0.0
        self.label = label  # a name for pictures, derivations and messages ("" for none)
        self._op: Op | None = None
        self._prev: tuple[Value, ...] = ()
        self._stamp = clock.now()  # see clock.py: the write stamp behind StaleGraphError

    @classmethod
    def _node(cls, data: float, op: Op | None, parents: tuple[Value, ...]) -> Value:
        """The engine's one internal constructor: a node for ``op`` applied to ``parents`` (a leaf when op is None),
        holding ``data``, which the caller has already checked to be a finite float. ``Value(...)`` checks its
        number and label for users; the ops record nodes by the million and need not check them twice."""
        node = object.__new__(cls)
        node._data = data
        node.grad = 0.0
        node.label = ""
        node._op = op
        node._prev = parents
        node._stamp = clock.now()
        return node

    @property
    def data(self) -> float:
        """The number this Value holds (a finite float). Assigning one after the Value was used in a graph makes
        that graph stale: differentiating it then raises StaleGraphError."""
        return self._data

    @data.setter
    def data(self, value: int | float) -> None:
        self._data = as_finite(value, "Value.data")
        self._stamp = clock.tick()

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
        return f"Value(data={number_text(self._data)}, grad={number_text(self.grad)}{label})"

    def _repr_svg_(self) -> str | None:
        # Jupyter shows a Value as its graph. The engine cannot import viz (layering), so autograd_nn.viz
        # registers the drawing function in svg_display when imported; None means "no SVG form".
        return None if svg_display is None else svg_display(self)

    # -- arithmetic: each operator picks its op-table entry, and record() does the rest -------------------
    def __add__(self, other: Operand) -> Value:
        return record(ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        return record(ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        return record(SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return record(SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        return record(MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        return record(MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        return record(DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return record(DIV, other, self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return record(POW, self, other)  # x ** y with y a Value: defined for x > 0
        return record(power_op(as_float(other, "Value ** exponent")), self)  # x ** k, k a fixed number

    def __rpow__(self, other: Operand) -> Value:
        return record(POW, other, self)

    def __neg__(self) -> Value:
        return record(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return record(ABS, self)

    def exp(self) -> Value:
        return record(EXP, self)

    def log(self) -> Value:
        return record(LOG, self)

    def sqrt(self) -> Value:
        return record(SQRT, self)

    def tanh(self) -> Value:
        return record(TANH, self)

    def sigmoid(self) -> Value:
        return record(SIGMOID, self)

    def relu(self) -> Value:
        return record(RELU, self)

    def softplus(self) -> Value:
        return record(SOFTPLUS, self)

    def abs(self) -> Value:
        return record(ABS, self)

    # -- comparisons: of the numbers, giving a bool (``if loss < best:``); not recorded in the graph ---------
    # == and hash stay identity: Values are dictionary keys throughout the engine, so ``Value(2.0) == 2.0`` is
    # False; compare numbers with ``v.data == 2.0``. For a recorded 1.0/0.0 comparison use the lt, gt and eq ops.
    # A Value is no number either: bool(v), float(v), int(v), round(v), format(v, ".3f") and math functions
    # (math.exp(v), math.fsum) raise a TypeError that says to use v.data, since a silent conversion would drop
    # the Value from the graph (math.exp(v) is not differentiated; v.exp() is).
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

    # -- a Value is a node, not a number: each conversion says to read .data ----------------------------------
    def __bool__(self) -> bool:
        raise TypeError(_not_a_number("bool(v)", "if v.data:  or  if v.data != 0:"))

    def __float__(self) -> float:
        raise TypeError(_not_a_number("float(v)", "v.data, and the ops for functions: v.exp(), autograd_nn.log(v)"))

    def __int__(self) -> int:
        raise TypeError(_not_a_number("int(v)", "int(v.data)"))

    def __index__(self) -> int:
        raise TypeError(_not_a_number("using v as an index", "int(v.data)"))

    def __round__(self, ndigits: int | None = None) -> float:
        raise TypeError(_not_a_number("round(v)", "round(v.data)"))

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)  # f"{v}" prints the Value
        raise TypeError(_not_a_number(f"format(v, {spec!r})", f"f'{{v.data:{spec}}}'"))

    # -- pickle and copy: graphs travel whole, ops by reference, stamps restated in this process's clock --------
    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # The stamp is pickled as an age (how many assignments ago): on loading, restamped as now − age, so the
        # graph's order of stamps survives (a stale graph stays stale) and no loaded node is "newer" than the
        # Values made after it (a stamp from another process's clock would be a false StaleGraphError).
        return (_restored, (pickling.ancestors_first(self), self._data, self.grad, self.label, self._op, self._prev,
                            clock.now() - self._stamp))

    def __copy__(self) -> Value:
        twin = Value._node(self._data, self._op, self._prev)  # a new node over the same parents
        twin.grad, twin.label, twin._stamp = self.grad, self.label, self._stamp
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        # Iterative (a chain of any depth) and the op shared, not copied: the copy's nodes are the table's
        # entries, so a Tape, the pictures and `is`-tests read a copied graph as they read the original.
        for node in autodiff.topological_order(self):
            if id(node) not in memo:
                twin = Value._node(node._data, node._op, tuple(memo[id(p)] for p in node._prev))
                twin.grad, twin.label, twin._stamp = node.grad, node.label, node._stamp
                memo[id(node)] = twin
        copied: Value = memo[id(self)]
        return copied

    # An op called with a Value among its arguments (log(v), maximum(v, 2.0), a derivative rule evaluated on
    # Values for create_graph) hands the call to the Value class, as numpy hands ufuncs to __array_ufunc__: the
    # op table knows nothing of Values, and this file knows the table.
    @staticmethod
    def __autograd_op__(op: Op, args: Sequence[Any]) -> Value:
        return record(op, *args)


def _not_a_number(what: str, instead: str) -> str:
    return (f"{what}: a Value is a node of a graph, not a number; write {instead} (v.data is the float it holds; "
            "a silent conversion would drop it from the graph, and == between Values is identity)")


def _restored(ancestors: Any, data: float, grad: float, label: str, op: Op | None, parents: tuple[Value, ...],
              age: int) -> Value:
    """A Value as pickled by Value.__reduce_ex__: its number, gradient, label, op and parents, stamped ``age``
    assignments before this process's clock now (``ancestors`` only set the order of pickling)."""
    node = Value._node(data, op, parents)
    node.grad, node.label, node._stamp = grad, label, clock.now() - age
    return node




def record(op: Op, *operands: Any) -> Value:
    """Apply ``op`` to the operands and record it: the new Value holds out = op(numbers) and remembers op and
    its parents. A plain number among the operands becomes a constant leaf (the 2 in ``x * 2``). Outside the
    op's domain, or on overflow, op.evaluate raises the DomainError naming the op and its operands."""
    if all(map(isinstance, operands, repeat(Value))):  # the common case, checked in one pass in C
        parents = operands
    else:
        parents = tuple(x if isinstance(x, Value) else constant(x, op) for x in operands)
    out = op.evaluate([p._data for p in parents])
    return Value._node(out, op, parents)


def constant(x: Any, op: Op) -> Value:
    """A leaf Value for a plain number used as an operand of ``op``."""
    return Value._node(as_finite(x, f"operand of {op.symbol}"), None, ())


def _compared(x: Any, symbol: str) -> float | int:
    if isinstance(x, Value):
        return x._data
    if type(x) is int:  # compared exactly, however large (1.0 < 10**400 is True)
        return x
    return as_float(x, f"Value {symbol} operand")


def number_text(x: float) -> str:
    """x to 6 significant digits, still reading as a float: 10.0, 0.761594, 1e-08."""
    text = f"{x:.6g}"
    return text if any(c in text for c in ".ein") else text + ".0"


# backward() adds each leaf's gradient to its .grad: a read, an add and a write. Threads differentiating their own
# graphs over shared parameters (one model, many workers) take turns there, so that no addition is lost.
_leaf_commit = threading.Lock()


def backward(root: Value) -> None:
    """Backpropagate from ``root``: root.grad = 1, then v.grad = Σ over v's children c of c.grad · ∂c/∂v.

    The gradients come from the one chain-rule walk (``autodiff.walk``). Leaves accumulate into their existing
    ``.grad``; intermediate nodes get this pass's gradient, so that calling backward twice on a graph adds the
    leaves' gradients twice, as PyTorch does. The leaves are written only once the walk has finished: an error
    midway leaves every leaf's ``.grad`` as it was.
    """
    leaves: list[tuple[Value, float]] = []
    for node, g, _ in autodiff.walk(root):
        if node._op is None:
            leaves.append((node, g))
        else:
            node.grad = g
    with _leaf_commit:
        totals = [node.grad + g for node, g in leaves]
        for (node, _), total in zip(leaves, totals):
            if not math.isfinite(total):
                raise DomainError(f"backward: the gradient of {node!r} would become {total} (overflow)")
        for (node, _), total in zip(leaves, totals):
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
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__} {short(output)}")
    xs: list[Value] = [inputs] if isinstance(inputs, Value) else list(inputs)
    for x in xs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {short(x)}")
    wanted = set(xs)
    found: dict[Value, Any] = {}
    for node, g, _ in autodiff.walk(output, create_graph=create_graph):
        if node in wanted:
            found[node] = g
    results = [found[x] if x in found else (Value(0.0) if create_graph else 0.0) for x in xs]
    return results[0] if isinstance(inputs, Value) else results


def assign(values: Sequence[Value], numbers: Sequence[Any]) -> None:
    """``values[i].data = numbers[i]`` for every i, as one assignment (an optimizer's step): every number is
    checked first, the first one that is not a finite real number is named with its index, and nothing is written
    unless all pass. One tick of the write clock stamps them all."""
    if len(values) != len(numbers):
        raise ValueError(f"assign: {len(values)} Values but {len(numbers)} numbers")
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"assign: values[{i}] is {type(v).__name__}, expected a Value")
    checked = [x if type(x) is float and math.isfinite(x) else as_finite(x, f"assign: numbers[{i}]")
               for i, x in enumerate(numbers)]
    now = clock.tick()
    for v, x in zip(values, checked):
        v._data = x
        v._stamp = now


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the gradient of every Value in ``values`` to 0 (e.g. a model's parameters between steps)."""
    for v in values:
        v.grad = 0.0


def write_stamps(values: Iterable[Value]) -> list[int]:
    """Each Value's write stamp: the :func:`write_clock` at its creation or its last ``.data`` assignment. A Value
    whose stamp is later than a clock time t was assigned after t (a Tape's bound parameters use this to take the
    numbers of the Values assigned since they last looked)."""
    return [v._stamp for v in values]


__all__ = ["Value", "record", "backward", "grad", "constant", "assign", "zero_grad", "write_clock", "number_text",
           "write_stamps"]
