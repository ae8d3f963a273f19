"""compare_with_torch: one function run on Values here and on float64 tensors in PyTorch, derivatives side by side.

Write f once with ``+ - * / **``, the methods tensors and Values share (``x.tanh()``, ``x.exp()``, ``x.log()``,
``x.sqrt()``, ``x.sigmoid()``, ``x.relu()``, ``abs(x)``), and the functions of :data:`ops`, which call the
engine's op for numbers and Values and PyTorch's counterpart for tensors::

    from autograd_nn.testing import compare_with_torch, format_comparison
    from autograd_nn.testing.torch_compare import ops

    rows = compare_with_torch(lambda x, w: ops.tanh(w * x + 1) * ops.softplus(x), [0.5, -1.5])
    print(format_comparison(rows))

The rows are gradcheck's (``format_table`` prints them): ``analytic`` is the engine's derivative and
``numeric`` holds PyTorch's, the reference. The first row, ``f``, compares the two values of f itself.
torch is imported when compare_with_torch is called, never when this module is.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from ..engine import FUNCTIONS, DomainError, Value, grad, sum_of, weighted_sum
from ..engine.arithmetic import fold_sum, fold_weighted
from ..optional import require
from .gradcheck import format_table


def _is_tensor(x: Any) -> bool:
    torch = sys.modules.get("torch")  # a tensor can only exist once torch is imported: never import it here
    return torch is not None and isinstance(x, torch.Tensor)


def _torch() -> Any:
    return require("torch", "compare_with_torch")


def _as_tensor(x: Any, like: Any) -> Any:
    return x if _is_tensor(x) else _torch().as_tensor(float(x), dtype=like.dtype)


def _first_tensor(args: Sequence[Any]) -> Any:
    return next(a for a in args if _is_tensor(a))


# name -> the PyTorch counterpart of the engine's function of that name, called when an argument is a tensor
def _torch_unary(name: str) -> Callable[[Any], Any]:
    def on_tensor(x: Any) -> Any:
        return getattr(_torch(), name)(x)
    return on_tensor


def _compare(op: str) -> Callable[[Any, Any], Any]:
    def on_tensors(a: Any, b: Any) -> Any:
        t = _first_tensor([a, b])
        result = getattr(_as_tensor(a, t), op)(_as_tensor(b, t))
        return result.to(t.dtype)  # 0 or 1, with no gradient (the engine's derivative of lt/gt/eq is 0)
    return on_tensors


def _binary(name: str) -> Callable[[Any, Any], Any]:
    def on_tensors(a: Any, b: Any) -> Any:
        t = _first_tensor([a, b])
        return getattr(_torch(), name)(_as_tensor(a, t), _as_tensor(b, t))  # ties: half to each, as the engine
    return on_tensors


TORCH_COUNTERPARTS: dict[str, Callable[..., Any]] = {
    "exp": _torch_unary("exp"), "log": _torch_unary("log"), "sqrt": _torch_unary("sqrt"),
    "tanh": _torch_unary("tanh"), "sigmoid": _torch_unary("sigmoid"), "relu": _torch_unary("relu"),
    "absolute": _torch_unary("abs"),
    # log(1 + eˣ) exactly: torch.nn.functional.softplus returns x itself above its threshold (20 by default)
    "softplus": lambda x: _torch().logaddexp(x, _torch().zeros_like(x)),
    "step": lambda x: (x > 0).to(x.dtype),
    "lt": _compare("lt"), "gt": _compare("gt"), "eq": _compare("eq"),
    "maximum": _binary("maximum"), "minimum": _binary("minimum"),
}


def _dispatch(name: str, engine_fn: Callable[..., Any]) -> Callable[..., Any]:
    on_tensor = TORCH_COUNTERPARTS[name]

    def fn(*args: Any) -> Any:
        if any(_is_tensor(a) for a in args):
            return on_tensor(*args)
        return engine_fn(*args)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"The engine's {name} for numbers and Values; PyTorch's for tensors."
    return fn


def _weighted_sum(w: Sequence[Any], a: Sequence[Any], b: Any = 0.0) -> Any:
    """b + Σ wᵢ·aᵢ: the engine's fused node for Values, the same sum (same order) on tensors."""
    if any(_is_tensor(x) for x in (*w, *a, b)):
        if len(w) != len(a):
            raise ValueError(f"weighted_sum: w and a must have the same length, got {len(w)} and {len(a)}")
        return fold_weighted(w, a, b)
    return weighted_sum(w, a, b)


def _sum_of(terms: Sequence[Any]) -> Any:
    """x₁ + x₂ + … left to right: the engine's n-ary node for Values, the same sum on tensors."""
    terms = list(terms)
    if terms and any(_is_tensor(t) for t in terms):
        return fold_sum(terms)
    return sum_of(terms)


#: The engine's public functions (one per op-table entry with a function name) plus weighted_sum and sum_of,
#: each dispatching by type: PyTorch for tensors, the engine otherwise.
ops = SimpleNamespace(weighted_sum=_weighted_sum, sum_of=_sum_of,
                      **{name: _dispatch(name, FUNCTIONS[name]) for name in FUNCTIONS if name in TORCH_COUNTERPARTS})


def _point(inputs: Any) -> list[float]:
    items = [inputs] if isinstance(inputs, (int, float, Value)) else list(inputs)
    point = []
    for i, x in enumerate(items):
        x = x.data if isinstance(x, Value) else x
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise TypeError(f"compare_with_torch: input {i} must be a number or a Value, got {type(x).__name__}")
        point.append(float(x))
    if not point:
        raise ValueError("compare_with_torch: inputs must hold at least one number")
    return point


def _row(name: str, value: float, ours: float, reference: float, atol: float, rtol: float) -> dict[str, Any]:
    abs_err = abs(ours - reference)
    rel_err = abs_err / abs(reference) if reference != 0 else (0.0 if abs_err == 0 else math.inf)
    ok = abs_err <= atol + rtol * abs(reference)  # False when either side is NaN
    return {"input": name, "value": value, "analytic": ours, "numeric": reference, "abs_err": abs_err,
            "rel_err": rel_err, "ok": bool(ok), "kink": False, "reference": "torch"}


def _torch_grads(torch: Any, out: Any, ts: list[Any], create_graph: bool = False) -> list[Any]:
    if not out.requires_grad:  # f does not depend on any input through a differentiable path
        return [torch.zeros((), dtype=torch.float64) for _ in ts]
    # retain_graph: the second derivatives walk back through this graph once per input
    found = torch.autograd.grad(out, ts, allow_unused=True, create_graph=create_graph, retain_graph=True)
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in found]


def compare_with_torch(f: Callable[..., Any], inputs: Any, atol: float = 1e-10, rtol: float = 1e-10,
                       order: int = 1) -> list[dict[str, Any]]:
    """Run ``f`` on Values (labelled x0, x1, …) and on float64 tensors, compare f and every derivative.

    Returns gradcheck's rows (see :func:`autograd_nn.testing.compare_derivatives`): ``analytic`` is the
    engine's figure, ``numeric`` PyTorch's (the reference), ``ok`` when |engine − torch| ≤ atol + rtol·|torch|.
    Row ``f`` compares the values, rows ``∂f/∂x0`` … the first derivatives, and with ``order=2`` rows
    ``∂²f/∂x0∂x1`` … every second derivative (``grad(create_graph=True)`` here, ``torch.autograd.grad`` there).
    """
    if order not in (1, 2):
        raise ValueError(f"compare_with_torch: order must be 1 or 2, got {order!r}")
    torch = _torch()
    point = _point(inputs)
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(point)]
    try:
        out = f(*xs)
    except DomainError as exc:
        raise DomainError(f"compare_with_torch at {point}: {exc}") from exc
    if type(out) is not Value:
        raise TypeError(f"compare_with_torch: f must return a Value when called with Values, got "
                        f"{type(out).__name__} {out!r}")
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    try:
        t_out = f(*ts)
    except Exception as exc:
        raise TypeError(f"compare_with_torch: f failed on tensors ({type(exc).__name__}: {exc}); write it with "
                        "+ - * / **, methods tensors share with Values, and autograd_nn.testing.torch_compare.ops") \
            from exc
    if not _is_tensor(t_out) or t_out.dim() != 0:
        raise TypeError(f"compare_with_torch: f must return one scalar tensor when called with tensors, got "
                        f"{type(t_out).__name__}")
    rows = [_row("f", out.data, out.data, float(t_out.item()), atol, rtol)]
    ours = grad(out, xs, create_graph=order == 2)
    theirs = _torch_grads(torch, t_out, ts, create_graph=order == 2)
    for i in range(len(xs)):
        g = ours[i].data if isinstance(ours[i], Value) else float(ours[i])
        rows.append(_row(f"∂f/∂x{i}", point[i], g, float(theirs[i].item()), atol, rtol))
    if order == 2:
        for i in range(len(xs)):
            second = grad(ours[i], xs) if isinstance(ours[i], Value) else [0.0] * len(xs)
            t_second = _torch_grads(torch, theirs[i], ts)
            for j in range(len(xs)):
                rows.append(_row(f"∂²f/∂x{i}∂x{j}", point[j], float(second[j]), float(t_second[j].item()),
                                 atol, rtol))
    return rows


def format_comparison(rows: Sequence[dict[str, Any]]) -> str:
    """gradcheck's table, its columns headed ``engine`` and ``torch`` (same widths, so it stays aligned)."""
    text = format_table(rows)
    head, _, rest = text.partition("\n")
    head = head.replace("analytic", "engine".ljust(len("analytic")), 1).replace("numeric", "torch".ljust(7), 1)
    return f"{head}\n{rest}" if rest else head


__all__ = ["TORCH_COUNTERPARTS", "compare_with_torch", "format_comparison", "ops"]
