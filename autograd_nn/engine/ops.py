"""The op table: every fact about an operation, in one entry that every consumer reads.

An :class:`Op` is a scalar function f(x₁, …, xₙ) with everything the project needs to know about it:

* ``forward(x₁, …, xₙ)`` computes out = f(x₁, …, xₙ) on floats, and ``vector`` on numpy arrays;
* ``derivative(x₁, …, xₙ, out)`` returns the local derivatives (∂out/∂x₁, …, ∂out/∂xₙ);
* ``domain`` says where f is defined (a test code can run, and the words of the error outside it) and ``edge``
  how far operands are from a point where f is undefined or not differentiable (a domain edge or a kink);
* ``template``, ``symbol`` and ``precedence`` say how it is written (formulas, messages, pictures);
* ``decompose`` (for a fused op) rebuilds it from simpler ops, and ``function`` is its name as a public function.

The derivative is written with arithmetic and with ops themselves (``log``, ``step``), so the *same rule*
evaluates on floats (``backward()``), on Values (``grad(..., create_graph=True)``, which makes it
differentiable again), and on numpy arrays (the tape), and it labels the edges of the graph pictures.

An op is also a function: ``log(2.0)`` is a float, ``log(Value(2.0))`` a recorded Value, ``log(array)`` an
array. Adding an operation is one :func:`define_op` call (or one entry below, for a built-in).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import operator
import pickle
import sys
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .arithmetic import fold_sum, fold_weighted
from .checks import as_float
from .errors import DomainError, RedefinedOpWarning

_isfinite = math.isfinite

ATOM = 9  # the precedence of a name, a number or a call: never needs parentheses
# A template is a format string over the operand texts ("{0} * {1}"), or for an n-ary op a function of the
# operands as (text, precedence) pairs that places the parentheses itself.
Template = str | Callable[[Sequence[tuple[str, int]]], str]


@dataclass(frozen=True)
class Domain:
    """Where an op is defined: ``contains(*operands)`` tests it, ``words`` say it in a DomainError."""

    words: str
    contains: Callable[..., bool] | None = None


def _wrap(operand: tuple[str, int], wrap: bool) -> str:
    return f"({operand[0]})" if wrap else operand[0]


def _fmt(x: Any, infix: bool = False) -> str:
    """An operand as it appears in messages: its exact number, e.g. ``(-2.0)``."""
    text = repr(float(x)) if isinstance(x, (int, float, np.integer, np.floating)) else repr(x)
    return f"({text})" if infix and text.startswith("-") else text


class Op:
    """One scalar operation: a name, ``forward`` on floats, ``derivative`` (∂out/∂args), and its other facts.

    ``arity`` is the number of arguments (None: any number, as for :func:`weighted_sum`). ``domain`` says
    where the op is defined; its words complete the message of the :class:`DomainError` raised outside it.
    ``edge(*operands)`` is the distance from the operands to the nearest point where the op is undefined or
    has a kink (None: smooth everywhere); ``sample`` is the interval operands are drawn from in tests.
    ``vector`` is an optional numpy version of ``forward`` (without one, ``forward`` is applied element by
    element). ``template`` shows the op applied to operands, e.g. ``"{0} * {1}"`` (or is a function of the
    operand texts, for an n-ary op); ``precedence`` is how tightly it binds when written (Python's order:
    + - 1, * / 2, unary - 3, ** 4, a call 9); ``symbol`` is its short name in graph pictures.
    ``decompose(*operands)`` rebuilds a fused op from simpler ones (pictures draw its expanded form with it).
    ``function`` is its name as a public function (``autograd_nn.log``).
    """

    __slots__ = ("name", "symbol", "forward", "derivative", "arity", "domain", "edge", "sample", "vector",
                 "template", "precedence", "decompose", "function", "origin", "__weakref__")

    def __init__(self, name: str, forward: Callable[..., float], derivative: Callable[..., Sequence[Any]],
                 *, arity: int | None = 1, domain: Domain | str | None = None,
                 edge: Callable[..., float] | None = None, sample: tuple[float, float] = (-3.0, 3.0),
                 vector: Callable[..., Any] | None = None, template: Template | None = None,
                 precedence: int = ATOM, symbol: str | None = None,
                 decompose: Callable[..., Any] | None = None,
                 function: str | None = None) -> None:
        self.name = name
        self.symbol = symbol or name
        self.forward = forward
        self.derivative = derivative
        self.arity = arity
        self.domain: Domain | None = Domain(domain) if isinstance(domain, str) and domain else \
            domain if isinstance(domain, Domain) else None
        self.edge = edge
        self.sample = sample
        self.vector = vector
        self.template = template
        self.precedence = precedence
        self.decompose = decompose
        self.function = function
        # How another process finds this op again (see __reduce__): set by power_op (its exponent) and by
        # define_op (the module it was defined in); None for a built-in, found by its name in BUILTIN_OPS.
        self.origin: tuple[Any, ...] | None = None

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    # -- an op is one shared object: copies of a graph share it, a pickle names it ---------------------------
    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by reference, never the functions: a built-in op by its name in BUILTIN_OPS, x ** k by its
        exponent (power_op), an op made with define_op by the module attribute that holds it; unpickling
        gives this process's own op object. An op no module holds cannot be found again: refused by name."""
        if BUILTIN_OPS.get(self.name) is self:
            return (_builtin_op, (self.name,))
        if self.origin is not None and self.origin[0] == "power":
            return (power_op, (self.origin[1],))
        module = self.origin[1] if self.origin is not None else None
        holder = sys.modules.get(module) if module else None
        for attr, held in (vars(holder).items() if holder is not None else ()):
            if held is self:
                return (_module_attribute, (module, attr))
        raise pickle.PicklingError(
            f"cannot pickle the op {self.name!r}: it is not a built-in op, and no module holds it "
            f"(defined in {module or 'an unknown module'}); assign it at a module's top level "
            f"({self.name} = define_op(...)) so that a pickle can name it, or copy.deepcopy the graph instead")

    # -- writing the op down ---------------------------------------------------------------------------------
    def formula(self, operands: Sequence[tuple[str, int]]) -> tuple[str, int]:
        """Write the op over operands given as (text, precedence): ``(text, precedence)`` of the result.

        Parentheses only where Python's rules need them to read back the same graph: an operand that binds
        less tightly is wrapped, and so is one of equal precedence on the side that does not group (the
        right of + - * /, since a + (b + c) is not (a + b) + c in floats; the left of **).
        """
        prec = self.precedence
        if callable(self.template):
            return self.template(operands), prec
        if self.template is None or len(operands) != self.arity:
            return f"{self.name}({', '.join(text for text, _ in operands)})", ATOM
        if len(operands) == 1:
            return self.template.format(_wrap(operands[0], operands[0][1] <= prec)), prec
        (left, p_left), (right, p_right) = operands
        left = _wrap((left, p_left), p_left < prec or (p_left == prec and prec == 4))
        right = _wrap((right, p_right), p_right < prec or (p_right == prec and prec != 4))
        return self.template.format(left, right), prec

    def show(self, texts: Sequence[str]) -> str:
        """The op applied to operands already written as text: ``show(["a", "b"])`` → ``"a * b"``."""
        return self.formula([(text, ATOM) for text in texts])[0]

    def describe(self, args: Sequence[Any]) -> str:
        """The op applied to these operands, as text: ``log(-2.0)``, ``1.0 / 0.0``."""
        infix = self.precedence != ATOM
        return self.show([_fmt(a, infix) for a in args])

    def domain_error(self, args: Sequence[Any], cause: BaseException | None = None) -> DomainError:
        """The error for these operands: the op and its operands, then why."""
        if isinstance(cause, OverflowError):
            why = "the result is too large for a float (overflow)"
        elif self.domain is not None and (self.domain.contains is None or not _safely_contains(self, args)):
            why = self.domain.words
        elif cause is not None:
            why = f"undefined here ({cause})"
        else:
            why = "the result is not a finite number (overflow)"
        text = self.describe(args)
        if callable(self.template) and self.symbol not in text:  # a fused op written out: b + w * a
            text = f"{self.name}: {text}"
        return DomainError(f"{text}: {why}")

    # -- applying the op -----------------------------------------------------------------------------------
    def __call__(self, *args: Any) -> Any:
        """Apply the op to plain numbers (a float), numpy arrays (element-wise) or Values (a recorded Value)."""
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"{self.name}: takes {self.arity} argument(s), got {len(args)}")
        if not args:
            raise TypeError(f"{self.name}: needs at least one argument")
        for a in args:
            if type(a) is not float:
                break
        else:  # all plain floats: the walk evaluates derivatives written with ops (relu' = step) on floats
            return self.evaluate(args)
        for kind in set(map(type, args)):  # a Value among them: its class records the op (Value.__autograd_op__)
            recorder = getattr(kind, "__autograd_op__", None)
            if recorder is not None:
                return recorder(self, args)
        if any(isinstance(a, np.ndarray) for a in args):
            return self._on_arrays(args)
        return self.evaluate([as_float(a, f"argument of {self.name}") for a in args])

    def evaluate(self, numbers: Sequence[float]) -> float:
        """out = forward(numbers), checked: a DomainError naming the op and its operands outside the domain or
        when the result is not a finite float (float + and * overflow to inf silently)."""
        try:
            out = self.forward(*numbers)
        except (ArithmeticError, ValueError) as exc:
            raise self.domain_error(numbers, exc) from None
        if not _isfinite(out):
            raise self.domain_error(numbers)
        return out

    def _on_arrays(self, args: Sequence[Any]) -> np.ndarray:
        arrays: list[Any] = []
        for a in args:
            if type(a) is np.ndarray and a.dtype == np.float64:  # the tape's case: used as is, no copy
                arrays.append(a)
            elif not isinstance(a, np.ndarray):
                arrays.append(as_float(a, f"argument of {self.name}"))
            elif a.dtype.kind in "biuf":  # bool arrays are allowed here: numpy masks are 0/1 numbers
                arrays.append(a.astype(float))
            else:
                raise TypeError(f"argument of {self.name}: expected an array of real numbers, got dtype {a.dtype}")
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


def _builtin_op(name: str) -> Op:
    """The built-in op of this name (what a pickled built-in op becomes)."""
    return BUILTIN_OPS[name]


def _module_attribute(module: str, attr: str) -> Op:
    """The op a module holds under ``attr`` (what a pickled user-defined op becomes)."""
    op = getattr(importlib.import_module(module), attr)
    if not isinstance(op, Op):
        raise pickle.UnpicklingError(f"{module}.{attr} is {type(op).__name__}, not the op that was pickled")
    return op


def _safely_contains(op: Op, args: Sequence[Any]) -> bool:
    assert op.domain is not None and op.domain.contains is not None
    try:
        return bool(op.domain.contains(*[float(a) for a in args]))
    except (TypeError, ValueError, ArithmeticError):
        return False


# -- the built-in ops -------------------------------------------------------------------------------------

def _sigmoid(x: float) -> float:
    # Two forms so that exp never overflows: σ(x) = 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) for x < 0.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_vector(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    out: np.ndarray = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out


def _pow_defined(a: float, b: float) -> bool:
    # a ** b with b a Value: defined for a > 0, and at a = 0 for b > 0 (0 ** b = 0). POW's domain and forward.
    return a > 0 or (a == 0 and b > 0)


def _pow_value_exponent(a: float, b: float) -> float:
    if not _pow_defined(a, b):
        raise ValueError("outside the domain")
    return math.pow(a, b) if a > 0 else 0.0


def _step(x: float) -> float:
    return 1.0 if x > 0 else 0.0


def _sum_template(operands: Sequence[tuple[str, int]]) -> str:
    # Left-grouped like the chain of + it stands for: a later term that is itself a sum keeps its parentheses.
    return " + ".join(_wrap(x, x[1] < 1 if i == 0 else x[1] <= 1) for i, x in enumerate(operands))


def _abs_distance(*args: float) -> float:
    return abs(args[0]) if len(args) == 1 else abs(args[0] - args[1])


def _first(x: float, *_: float) -> float:
    return x


def _second(_: float, y: float) -> float:
    return abs(y)


# Comparisons: 1.0 where true, 0.0 where not; flat everywhere (derivative 0), with a jump where a == b.
LT = Op("lt", lambda a, b: 1.0 if a < b else 0.0, lambda a, b, out: (0.0, 0.0), arity=2,
        vector=lambda a, b: (a < b).astype(float), edge=_abs_distance, function="lt")
GT = Op("gt", lambda a, b: 1.0 if a > b else 0.0, lambda a, b, out: (0.0, 0.0), arity=2,
        vector=lambda a, b: (a > b).astype(float), edge=_abs_distance, function="gt")
EQ = Op("eq", lambda a, b: 1.0 if a == b else 0.0, lambda a, b, out: (0.0, 0.0), arity=2,
        vector=lambda a, b: (a == b).astype(float), edge=_abs_distance, function="eq")

# name         forward                      local derivatives ∂out/∂args (args..., out)
ADD = Op("add", operator.add, lambda a, b, out: (1.0, 1.0),
         arity=2, template="{0} + {1}", precedence=1, symbol="+", vector=np.add)
SUB = Op("sub", operator.sub, lambda a, b, out: (1.0, -1.0),
         arity=2, template="{0} - {1}", precedence=1, symbol="-", vector=np.subtract)
MUL = Op("mul", operator.mul, lambda a, b, out: (b, a),
         arity=2, template="{0} * {1}", precedence=2, symbol="*", vector=np.multiply)
DIV = Op("div", operator.truediv, lambda a, b, out: (1.0 / b, -out / b),
         arity=2, template="{0} / {1}", precedence=2, symbol="/", vector=np.divide,
         domain=Domain("the divisor must be non-zero", lambda a, b: b != 0), edge=_second)
LOG = Op("log", math.log, lambda x, out: (1.0 / x,), vector=np.log, sample=(0.1, 10.0), edge=_first,
         domain=Domain("argument must be > 0", lambda x: x > 0), function="log")
# x ** y with y a Value. At x = 0 (y > 0) the value is 0 and ∂/∂y = 0 · log 0, taken as its limit 0 (as PyTorch
# and HIPS autograd do): log(x + eq(x, 0)) is log x for x > 0 and log 1 = 0 at x = 0, on floats, Values and
# arrays alike. ∂/∂x = y·x^(y−1) is 0 there for y > 1, 1 for y = 1, and infinite for y < 1: a DomainError.
POW = Op("pow", _pow_value_exponent, lambda a, b, out: (b * a ** (b - 1.0), out * LOG(a + EQ(a, 0.0))),
         arity=2, template="{0} ** {1}", precedence=4, symbol="**", vector=np.power, sample=(0.2, 3.0),
         domain=Domain("the base must be > 0, or 0 with an exponent > 0, when the exponent is not a constant",
                       _pow_defined), edge=_first)
NEG = Op("neg", operator.neg, lambda x, out: (-1.0,),
         template="-{0}", precedence=3, symbol="-", vector=np.negative)
EXP = Op("exp", math.exp, lambda x, out: (out,), vector=np.exp, sample=(-5.0, 5.0), function="exp")
SQRT = Op("sqrt", math.sqrt, lambda x, out: (0.5 / out,), vector=np.sqrt, sample=(0.1, 10.0), edge=_first,
          domain=Domain("argument must be >= 0", lambda x: x >= 0), function="sqrt")
TANH = Op("tanh", math.tanh, lambda x, out: (1.0 - out * out,), vector=np.tanh, function="tanh")
SIGMOID = Op("sigmoid", _sigmoid, lambda x, out: (out * (1.0 - out),), vector=_sigmoid_vector, symbol="σ",
             function="sigmoid")
# The unit step is relu's derivative; its own derivative is 0 (it is used where it is flat).
STEP = Op("step", _step, lambda x, out: (0.0,), vector=lambda x: (x > 0).astype(float), edge=_abs_distance,
          function="step")
# relu'(0) is taken as 0 (the subgradient PyTorch and micrograd use too).
RELU = Op("relu", lambda x: x if x > 0 else 0.0, lambda x, out: (STEP(x),), vector=lambda x: np.maximum(x, 0.0),
          edge=_abs_distance, function="relu")
# softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^-|x|) so it never overflows; d/dx = σ(x).
SOFTPLUS = Op("softplus", lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))), lambda x, out: (SIGMOID(x),),
              vector=lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
              function="softplus")
# |x|' = sign(x), taken as 0 at the kink x = 0. Python's abs(v) calls it too.
ABS = Op("abs", abs, lambda x, out: (GT(x, 0.0) - LT(x, 0.0),), vector=np.abs, edge=_abs_distance,
         function="absolute")
# At a tie (a == b) the gradient is split in half between a and b (as PyTorch does): maximum(x, x) still has
# derivative 1, and maximum(a, b) and maximum(b, a) give the same gradients.
MAXIMUM = Op("maximum", lambda a, b: a if a >= b else b,
             lambda a, b, out: (GT(a, b) + 0.5 * EQ(a, b), GT(b, a) + 0.5 * EQ(a, b)),
             arity=2, vector=np.maximum, edge=_abs_distance, function="maximum")
MINIMUM = Op("minimum", lambda a, b: a if a <= b else b,
             lambda a, b, out: (LT(a, b) + 0.5 * EQ(a, b), LT(b, a) + 0.5 * EQ(a, b)),
             arity=2, vector=np.minimum, edge=_abs_distance, function="minimum")


def _sum(*terms: Any) -> Any:
    return fold_sum(terms)


# Σ xᵢ as one node, added left to right (arithmetic.fold_sum), exactly as the chain ((x₁ + x₂) + x₃) + … that
# sum() of Values builds. The same fold is its forward on floats, on arrays, and its decomposition on Values.
SUM = Op("sum", _sum, lambda *args: (1.0,) * (len(args) - 1), arity=None, symbol="+",
         template=_sum_template, precedence=1, vector=_sum, decompose=_sum)


# Every live op x ↦ x**k, by exponent: an op the bounded cache below has let go of but a graph still holds is found
# here, so there is one op per exponent as long as any graph uses it (a graph unpickled or rebuilt later shares it).
_power_ops: weakref.WeakValueDictionary[float, Op] = weakref.WeakValueDictionary()


@functools.lru_cache(maxsize=256)  # bounded: x ** random() in a loop must not keep every exponent's op alive
def power_op(k: float) -> Op:
    """The op x ↦ x**k for a fixed number k (one shared Op per exponent); ∂out/∂x = k·x^(k-1)."""
    if not _isfinite(k):
        raise ValueError(f"Value ** {k!r}: the exponent must be finite")
    alive = _power_ops.get(k)
    if alive is not None:
        return alive
    domain: Domain | None
    edge: Callable[..., float] | None
    if k == int(k):
        domain = Domain("the base must be non-zero for a negative exponent", lambda x: x != 0) if k < 0 else None
        edge = _abs_distance if k < 0 else None
    elif k > 0:
        domain, edge = Domain("the base must be >= 0 for a fractional exponent", lambda x: x >= 0), _first
    else:
        domain, edge = Domain("the base must be > 0", lambda x: x > 0), _first
    shown = f"{k:g}"
    # d/dx x⁰ is 0 everywhere, even at x = 0 where the general rule would divide by zero.
    rule = (lambda x, out: (0.0,)) if k == 0 else (lambda x, out: (k * x ** (k - 1.0),))
    op = Op(f"pow{shown}", lambda x: math.pow(x, k), rule, template="{0} ** " + shown,
            precedence=4, symbol="**" + shown, vector=lambda x: np.power(x, k), domain=domain, edge=edge,
            sample=(0.2, 3.0) if edge is _first else (-3.0, 3.0))
    op.origin = ("power", k)
    _power_ops[k] = op
    return op


# -- the fused weighted sum z = w·a + b -------------------------------------------------------------------

def _check_pairs(n_args: int) -> None:
    if n_args % 2 == 0:
        raise TypeError(f"weighted_sum: takes w₁…wₙ, a₁…aₙ, b (an odd number of arguments), got {n_args}")


def _weighted_sum(*args: Any) -> Any:
    # args = (w₁…wₙ, a₁…aₙ, b): z = b + w₁·a₁ + … (arithmetic.fold_weighted), on floats, arrays or Values.
    if len(args) % 2 == 0:
        _check_pairs(len(args))
    n = len(args) // 2
    return fold_weighted(args[:n], args[n:-1], args[-1])


def _weighted_sum_derivative(*args: float) -> tuple[Any, ...]:
    # args = (w₁…wₙ, a₁…aₙ, b, out): ∂z/∂wᵢ = aᵢ, ∂z/∂aᵢ = wᵢ, ∂z/∂b = 1.
    n = (len(args) - 2) // 2
    return args[n:2 * n] + args[:n] + (1.0,)


def _weighted_sum_template(operands: Sequence[tuple[str, int]]) -> str:
    n = len(operands) // 2
    b = operands[-1]
    products = [f"{_wrap(w, w[1] < 2)} * {_wrap(a, a[1] <= 2)}" for w, a in zip(operands[:n], operands[n:2 * n])]
    return " + ".join([_wrap(b, b[1] < 1)] + products)


# The forward on floats, on arrays, and the decomposition on Values (the chain of + and * it stands for) are one
# fold, so the fused node and its decomposition give the same float.
WEIGHTED_SUM = Op("weighted_sum", _weighted_sum, _weighted_sum_derivative, arity=None, symbol="Σw·a+b",
                  template=_weighted_sum_template, precedence=1, vector=_weighted_sum, decompose=_weighted_sum)


def weighted_sum(w: Sequence[Any], a: Sequence[Any], b: Any = 0.0) -> Any:
    """z = w·a + b = b + Σᵢ wᵢ·aᵢ as *one* node with 2n+1 parents, instead of the 2n nodes of ``+`` and ``*``.

    A neuron's pre-activation in one op: smaller graphs, faster backward, and the same gradients.
    """
    if len(w) != len(a):
        raise ValueError(f"weighted_sum: w and a must have the same length, got {len(w)} and {len(a)}")
    return WEIGHTED_SUM(*w, *a, b)


def sum_of(terms: Sequence[Any]) -> Any:
    """x₁ + x₂ + … + xₙ as one n-ary node, added left to right (the same float as Python's chain of +)."""
    terms = list(terms)
    if not terms:
        raise ValueError("sum_of: needs at least one term")
    return terms[0] if len(terms) == 1 else SUM(*terms)


BUILTIN_OPS: dict[str, Op] = {op.name: op for op in (
    ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, STEP, SOFTPLUS, ABS, MAXIMUM, MINIMUM,
    LT, GT, EQ, SUM, WEIGHTED_SUM)}

# The ops that are public functions, by their public name: log(2.0) is a float, log(Value(2.0)) a Value.
FUNCTIONS: dict[str, Op] = {op.function: op for op in BUILTIN_OPS.values() if op.function}
exp, log, sqrt, tanh, sigmoid, relu, step, softplus = EXP, LOG, SQRT, TANH, SIGMOID, RELU, STEP, SOFTPLUS
absolute, maximum, minimum, lt, gt, eq = ABS, MAXIMUM, MINIMUM, LT, GT, EQ


# -- user-defined ops -------------------------------------------------------------------------------------

def define_op(name: str, forward: Callable[..., float], derivative: Callable[..., Any], *,
              arity: int | None = None, domain: Domain | str | None = None,
              edge: Callable[..., float] | None = None, vector: Callable[..., Any] | None = None) -> Op:
    """Make your own scalar operation, recorded in the graph like a built-in one.

    ``forward(x₁, …, xₙ)`` returns a float; ``derivative(x₁, …, xₙ, out)`` returns ∂out/∂xᵢ for each
    argument (a tuple, or one number for a one-argument op). Write the derivative with arithmetic and
    autograd_nn ops (or other ops you defined) and it also works for second derivatives and the tape::

        sin = define_op("sin", math.sin, lambda x, out: cos(x))
        cos = define_op("cos", math.cos, lambda x, out: -sin(x))

    A derivative written with ``math`` functions still serves ``backward()``, but not ``create_graph`` or the
    tape. ``domain`` is the words of the error outside the domain (or a :class:`Domain` with a test too);
    ``edge`` the distance to the nearest kink or domain edge, which the test strategies keep away from.

    Checked here, not at the first ``backward()``: the derivative must take the forward's arguments and then
    ``out`` (a TypeError says so); a built-in op's name is refused (ValueError); a name an earlier call used is
    allowed (re-running a notebook cell) with a :class:`RedefinedOpWarning` naming it, since the two ops print
    alike.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"define_op: name must be an identifier such as 'sin', got {name!r}")
    if name in BUILTIN_OPS or name in FUNCTIONS:
        raise ValueError(f"define_op: {name!r} is the name of a built-in op; give your op a name of its own (two "
                         "ops named alike cannot be told apart in pictures, messages or a saved model)")
    if not callable(forward) or not callable(derivative):
        raise TypeError(f"define_op({name!r}): forward and derivative must be callables")
    if arity is None:
        arity = _positional_arity(forward, name)
    _check_derivative_takes(derivative, arity, name)
    if name in _DEFINED:
        warnings.warn(f"define_op: an op named {name!r} was defined before; the new {name!r} is another op that "
                      "prints the same (use it everywhere in place of the old one, or give it another name)",
                      RedefinedOpWarning, stacklevel=2)
    _DEFINED.add(name)

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

    op = Op(name, checked_forward, tupled_derivative, arity=arity, domain=domain, edge=edge, vector=vector)
    op.origin = ("module", sys._getframe(1).f_globals.get("__name__"))  # where a pickle will look for it
    return op


_DEFINED: set[str] = set()  # the names define_op has given out (names only: an op itself is not kept alive)


def _check_derivative_takes(derivative: Callable[..., Any], arity: int, name: str) -> None:
    """The derivative is called as derivative(x₁, …, xₙ, out): refuse one that cannot take n + 1 arguments."""
    try:
        signature = inspect.signature(derivative)
    except (TypeError, ValueError):  # no signature to read (some builtins): the first backward() will tell
        return
    try:
        signature.bind(*range(arity + 1))
    except TypeError:
        xs = ", ".join(f"x{i}" for i in range(1, arity + 1)) if arity > 1 else "x"
        raise TypeError(f"define_op({name!r}): the derivative must take the forward's {arity} argument(s) and then "
                        f"out, the forward's result: derivative({xs}, out) returning ∂out/∂ of each argument "
                        f"(e.g. lambda {xs}, out: ...); it takes {signature}") from None


def _positional_arity(f: Callable[..., Any], name: str) -> int:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # some builtins (math.sin) have no signature: assume one argument
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        raise ValueError(f"define_op({name!r}): forward takes *args; pass arity= explicitly")
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


__all__ = ["ATOM", "Domain", "Op", "define_op", "power_op", "weighted_sum", "sum_of", "BUILTIN_OPS",
           "FUNCTIONS",
           "WEIGHTED_SUM", "SUM", "ADD", "SUB", "MUL", "DIV", "POW", "NEG", "EXP", "LOG", "SQRT", "TANH",
           "SIGMOID", "RELU", "STEP", "SOFTPLUS", "ABS", "MAXIMUM", "MINIMUM", "LT", "GT", "EQ",
           "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "step", "softplus", "absolute", "maximum", "minimum",
           "lt", "gt", "eq", "DomainError", "as_float"]
