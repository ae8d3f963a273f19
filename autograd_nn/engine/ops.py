"""The op table: every operation's forward and its local derivatives, side by side.

An :class:`Op` is a scalar function f(x₁, …, xₙ) written twice, and only twice:

* ``forward(x₁, …, xₙ)`` computes out = f(x₁, …, xₙ) on floats;
* ``derivative(x₁, …, xₙ, out)`` returns the local derivatives (∂out/∂x₁, …, ∂out/∂xₙ).

The derivative is written with arithmetic and with ops themselves (``log``, ``step``), so the *same rule*
evaluates on floats (``backward()``), on Values (``grad(..., create_graph=True)``, which makes it
differentiable again), and on numpy arrays (the tape), and it labels the edges of the graph pictures.

An op is also a function: ``log(2.0)`` is a float, ``log(Value(2.0))`` a recorded Value, ``log(array)`` an
array. Adding an operation is one :func:`define_op` call (or one entry below, for a built-in).
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import DomainError
from .value import Value, as_float, constant, make_node

_isfinite = math.isfinite


def _fmt(x: Any, infix: bool = False) -> str:
    """An operand as it appears in messages: its exact number (a Value shows its data), e.g. ``(-2.0)``."""
    if type(x) is Value:
        x = x.data
    text = repr(float(x)) if isinstance(x, (int, float, np.integer, np.floating)) else repr(x)
    return f"({text})" if infix and text.startswith("-") else text


class Op:
    """One scalar operation: a name, ``forward`` on floats, ``derivative`` (∂out/∂args), and display rules.

    ``arity`` is the number of arguments (None: any number, as for :func:`weighted_sum`). ``domain`` says in
    words where the op is defined; it completes the message of the :class:`DomainError` raised outside it.
    ``vector`` is an optional numpy version of ``forward`` (the tape and array calls use it; without one,
    ``forward`` is applied element by element). ``template`` shows the op applied to operands, e.g.
    ``"{0} * {1}"`` or ``"log({0})"``; ``symbol`` is its short name in graph pictures.
    """

    __slots__ = ("name", "symbol", "forward", "derivative", "arity", "domain", "vector", "template")

    def __init__(self, name: str, forward: Callable[..., float], derivative: Callable[..., Sequence[Any]],
                 *, arity: int | None = 1, domain: str = "", vector: Callable[..., Any] | None = None,
                 template: str | None = None, symbol: str | None = None) -> None:
        self.name = name
        self.symbol = symbol or name
        self.forward = forward
        self.derivative = derivative
        self.arity = arity
        self.domain = domain
        self.vector = vector
        self.template = template

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def describe(self, args: Sequence[Any]) -> str:
        """The op applied to these operands, as text: ``log(-2)``, ``1 / 0``."""
        if self.template is not None and len(args) == self.arity:
            infix = not self.template.startswith(self.name)
            return self.template.format(*[_fmt(a, infix) for a in args])
        return f"{self.name}({', '.join(_fmt(a) for a in args)})"

    def domain_error(self, args: Sequence[Any], cause: BaseException | None = None) -> DomainError:
        """The error for these operands: the op and its operands, then why."""
        if isinstance(cause, OverflowError):
            why = "the result is too large for a float (overflow)"
        elif self.domain:
            why = self.domain
        elif cause is not None:
            why = f"undefined here ({cause})"
        else:
            why = "the result is not a finite number"
        return DomainError(f"{self.describe(args)}: {why}")

    # -- applying the op -----------------------------------------------------------------------------------
    def apply(self, *parents: Value) -> Value:
        """Record this op on Values: compute out from the parents' data and return the new node."""
        args = [p.data for p in parents]
        try:
            out = self.forward(*args)
        except (ArithmeticError, ValueError) as exc:
            raise self.domain_error(args, exc) from None
        if not _isfinite(out):  # float + and * overflow to inf silently
            raise self.domain_error(args)
        return make_node(out, self, parents)

    def __call__(self, *args: Any) -> Any:
        """Apply the op to Values (recorded), numpy arrays (element-wise) or plain numbers (a float)."""
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"{self.name}: takes {self.arity} argument(s), got {len(args)}")
        for a in args:  # a plain loop, not any(...): this runs for every neuron of every forward pass
            if type(a) is not Value:
                break
        else:
            return self.apply(*args)
        if any(type(a) is Value for a in args):
            return self.apply(*[a if type(a) is Value else constant(a, self) for a in args])
        if any(isinstance(a, np.ndarray) for a in args):
            return self._on_arrays(args)
        args = [as_float(a, f"argument of {self.name}") for a in args]
        try:
            out = self.forward(*args)
        except (ArithmeticError, ValueError) as exc:
            raise self.domain_error(args, exc) from None
        if not _isfinite(out):
            raise self.domain_error(args)
        return out

    def _on_arrays(self, args: Sequence[Any]) -> np.ndarray:
        arrays = [np.asarray(a, dtype=float) for a in args]
        with np.errstate(all="ignore"):
            if self.vector is not None:
                out = np.asarray(self.vector(*arrays), dtype=float)
            else:
                out = np.vectorize(self.forward, otypes=[float])(*arrays)
        if not np.isfinite(out).all():
            # Re-run the first bad element on floats, which raises the precise DomainError.
            bad = tuple(np.argwhere(~np.isfinite(out))[0]) if out.ndim else ()
            self(*[float(np.broadcast_to(a, out.shape)[bad]) for a in arrays])
            raise self.domain_error([np.broadcast_to(a, out.shape)[bad] for a in arrays])
        return out


# -- the built-in ops -------------------------------------------------------------------------------------

def _sigmoid(x: float) -> float:
    # Two forms so that exp never overflows: σ(x) = 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) for x < 0.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_vector(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow_positive_base(a: float, b: float) -> float:
    if a <= 0:
        raise ValueError("base must be > 0")
    return math.pow(a, b)


def _step(x: float) -> float:
    return 1.0 if x > 0 else 0.0


# name         forward                      local derivatives ∂out/∂args (args..., out)
ADD = Op("add", operator.add, lambda a, b, out: (1.0, 1.0),
         arity=2, template="{0} + {1}", symbol="+", vector=np.add)
SUB = Op("sub", operator.sub, lambda a, b, out: (1.0, -1.0),
         arity=2, template="{0} - {1}", symbol="-", vector=np.subtract)
MUL = Op("mul", operator.mul, lambda a, b, out: (b, a),
         arity=2, template="{0} * {1}", symbol="*", vector=np.multiply)
DIV = Op("div", operator.truediv, lambda a, b, out: (1.0 / b, -out / b),
         arity=2, template="{0} / {1}", symbol="/", vector=np.divide, domain="the divisor must be non-zero")
POW = Op("pow", _pow_positive_base, lambda a, b, out: (b * a ** (b - 1.0), out * LOG(a)),
         arity=2, template="{0} ** {1}", symbol="**", vector=np.power,
         domain="the base must be > 0 when the exponent is a Value")
NEG = Op("neg", operator.neg, lambda x, out: (-1.0,),
         template="-{0}", symbol="-", vector=np.negative)
EXP = Op("exp", math.exp, lambda x, out: (out,), vector=np.exp)
LOG = Op("log", math.log, lambda x, out: (1.0 / x,), vector=np.log, domain="argument must be > 0")
SQRT = Op("sqrt", math.sqrt, lambda x, out: (0.5 / out,), vector=np.sqrt, domain="argument must be >= 0")
TANH = Op("tanh", math.tanh, lambda x, out: (1.0 - out * out,), vector=np.tanh)
SIGMOID = Op("sigmoid", _sigmoid, lambda x, out: (out * (1.0 - out),), vector=_sigmoid_vector, symbol="σ")
# The unit step is relu's derivative; its own derivative is 0 (it is used where it is flat).
STEP = Op("step", _step, lambda x, out: (0.0,), vector=lambda x: (x > 0).astype(float))
RELU = Op("relu", lambda x: x if x > 0 else 0.0, lambda x, out: (STEP(x),), vector=lambda x: np.maximum(x, 0.0))
# softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^-|x|) so it never overflows; d/dx = σ(x).
SOFTPLUS = Op("softplus", lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))), lambda x, out: (SIGMOID(x),),
              vector=lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))))

# Short names for the ops as functions: log(2.0) is a float, log(Value(2.0)) a Value.
exp, log, sqrt, tanh, sigmoid, relu, step = EXP, LOG, SQRT, TANH, SIGMOID, RELU, STEP

_power_ops: dict[float, Op] = {}


def power_op(k: float) -> Op:
    """The op x ↦ x**k for a fixed number k (one shared Op per exponent); ∂out/∂x = k·x^(k-1)."""
    op = _power_ops.get(k)
    if op is None:
        if not _isfinite(k):
            raise ValueError(f"Value ** {k!r}: the exponent must be finite")
        if k == int(k):
            domain = "the base must be non-zero for a negative exponent"
        else:
            domain = "the base must be >= 0 for a fractional exponent" if k > 0 else "the base must be > 0"
        shown = f"{k:g}"
        # d/dx x⁰ is 0 everywhere, even at x = 0 where the general rule would divide by zero.
        rule = (lambda x, out: (0.0,)) if k == 0 else (lambda x, out: (k * x ** (k - 1.0),))
        op = Op(f"pow{shown}", lambda x: math.pow(x, k), rule,
                template="{0} ** " + shown, symbol="**" + shown, vector=lambda x: np.power(x, k), domain=domain)
        _power_ops[k] = op
    return op


# -- the fused weighted sum z = w·a + b -------------------------------------------------------------------

def _weighted_sum(*args: float) -> float:
    n = len(args) // 2
    return sum(map(operator.mul, args[:n], args[n:-1]), args[-1])


def _weighted_sum_derivative(*args: float) -> tuple[Any, ...]:
    # args = (w₁…wₙ, a₁…aₙ, b, out): ∂z/∂wᵢ = aᵢ, ∂z/∂aᵢ = wᵢ, ∂z/∂b = 1.
    n = (len(args) - 2) // 2
    return args[n:2 * n] + args[:n] + (1.0,)


def _weighted_sum_vector(*args: Any) -> Any:
    # On arrays, for speed: when every wᵢ is a row (1, U) (one per unit) and every aᵢ a column (S, 1) (one per
    # sample), as the tape lays out a layer over a batch, z for all (sample, unit) pairs is one matrix product.
    n = len(args) // 2
    w, a = args[:n], args[n:-1]
    # One set of shapes per side rather than a test per operand: this runs once per layer on every replay.
    w_shapes, a_shapes = {getattr(x, "shape", None) for x in w}, {getattr(x, "shape", None) for x in a}
    if n and len(w_shapes) == len(a_shapes) == 1:
        (w_shape,), (a_shape,) = w_shapes, a_shapes
        if w_shape is not None and a_shape is not None and len(w_shape) == len(a_shape) == 2 \
                and w_shape[0] == 1 and a_shape[1] == 1:
            return np.concatenate(a, axis=1) @ np.concatenate(w, axis=0) + args[-1]
    return _weighted_sum(*args)


WEIGHTED_SUM = Op("weighted_sum", _weighted_sum, _weighted_sum_derivative, arity=None, symbol="Σw·a+b",
                  vector=_weighted_sum_vector)


def weighted_sum(w: Sequence[Any], a: Sequence[Any], b: Any = 0.0) -> Any:
    """z = Σᵢ wᵢ·aᵢ + b as *one* node with 2n+1 parents, instead of the 2n nodes of ``+`` and ``*``.

    A neuron's pre-activation in one op: smaller graphs, faster backward, and the same gradients.
    """
    if len(w) != len(a):
        raise ValueError(f"weighted_sum: w and a must have the same length, got {len(w)} and {len(a)}")
    return WEIGHTED_SUM(*w, *a, b)


BUILTIN_OPS: dict[str, Op] = {op.name: op for op in (ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, SQRT, TANH,
                                                       SIGMOID, RELU, STEP, WEIGHTED_SUM, SOFTPLUS)}


# -- user-defined ops -------------------------------------------------------------------------------------

def define_op(name: str, forward: Callable[..., float], derivative: Callable[..., Any], *,
              arity: int | None = None, domain: str = "", vector: Callable[..., Any] | None = None) -> Op:
    """Make your own scalar operation, recorded in the graph like a built-in one.

    ``forward(x₁, …, xₙ)`` returns a float; ``derivative(x₁, …, xₙ, out)`` returns ∂out/∂xᵢ for each
    argument (a tuple, or one number for a one-argument op). Write the derivative with arithmetic and
    autograd_nn ops (or other ops you defined) and it also works for second derivatives and the tape::

        sin = define_op("sin", math.sin, lambda x, out: cos(x))
        cos = define_op("cos", math.cos, lambda x, out: -sin(x))

    A derivative written with ``math`` functions still serves ``backward()``, but not ``create_graph``.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"define_op: name must be an identifier such as 'sin', got {name!r}")
    if not callable(forward) or not callable(derivative):
        raise TypeError(f"define_op({name!r}): forward and derivative must be callables")
    if arity is None:
        arity = _positional_arity(forward, name)

    def checked_forward(*args: float) -> float:
        out = forward(*args)
        if isinstance(out, (bool, np.bool_)) or not isinstance(out, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: forward must return a real number, got {type(out).__name__} {out!r}")
        return float(out)

    def tupled_derivative(*args: Any) -> tuple[Any, ...]:
        d = derivative(*args)
        d = tuple(d) if isinstance(d, (tuple, list)) else (d,)
        if len(d) != len(args) - 1:
            raise TypeError(f"{name}: derivative must return {len(args) - 1} value(s), one per argument, "
                            f"got {len(d)}")
        return d

    return Op(name, checked_forward, tupled_derivative, arity=arity, domain=domain, vector=vector)


def _positional_arity(f: Callable[..., Any], name: str) -> int:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # some builtins (math.sin) have no signature: assume one argument
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        raise ValueError(f"define_op({name!r}): forward takes *args; pass arity= explicitly")
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


__all__ = ["Op", "define_op", "power_op", "weighted_sum", "BUILTIN_OPS", "WEIGHTED_SUM",
           "ADD", "SUB", "MUL", "DIV", "POW", "NEG", "EXP", "LOG", "SQRT", "TANH", "SIGMOID", "RELU", "STEP",
           "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "step", "DomainError", "as_float"]
