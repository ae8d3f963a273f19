"""``gradcheck``: every analytic partial derivative of f against central finite differences.

Numeric derivative: ∂f/∂xᵢ ≈ (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε. A partial passes when
|analytic − numeric| ≤ atol + rtol·|numeric|.

Points where f is not differentiable (relu at 0, a kink): if the one-sided differences
(f(x + ε·eᵢ) − f(x)) / ε and (f(x) − f(x − ε·eᵢ)) / ε disagree, the point is a kink and the analytic value
passes when it lies between them (within tolerance), i.e. when it is a valid one-sided derivative or
subgradient. relu'(0) = 0 therefore passes; a derivative outside [left, right] still fails. Such a row has
``"kink": True``; :func:`format_table` marks it ``kink`` rather than ``ok`` and :func:`summary_line` says how
many were accepted by this one-sided rule rather than agreeing with the central difference.

Before a point is called a kink, smaller steps are tried: the step may have crossed a kink or pole near x
(relu or 1/x at x = 1e-7 with ε = 1e-6), where f is differentiable after all. Likewise when a probe x ± ε
leaves f's domain (sqrt at x = 1e-9): smaller central steps, then one-sided ones from the side that stays
inside. A row checked with another step keeps it in ``"step"`` and says why in ``"note"``;
:func:`summary_line` repeats the note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..engine import DomainError, Value, grad


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences. ``rows`` holds the figures, ``str()`` shows the table."""

    def __init__(self, message: str, rows: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.rows = rows


def _as_point(inputs: Any) -> list[float]:
    items = [inputs] if isinstance(inputs, (int, float, Value)) else list(inputs)
    point = []
    for i, x in enumerate(items):
        if isinstance(x, Value):
            x = x.data
        if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
            raise TypeError(f"gradcheck: input {i} must be a number or a Value, got {type(x).__name__} {x!r}")
        point.append(float(x))
    if not point:
        raise ValueError("gradcheck: inputs must hold at least one number or Value")
    return point


def _evaluate(f: Callable[..., Any], point: Sequence[float]) -> tuple[Value, list[Value]]:
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(point)]
    out = f(*xs)
    if type(out) is not Value:
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r} "
                        f"(f was called with {len(xs)} Value argument(s))")
    return out, xs


def _close(a: float, n: float, atol: float, rtol: float) -> bool:
    return abs(a - n) <= atol + rtol * abs(n)


def _row(name: str, value: float, analytic: float, numeric: float, ok: bool, kink: bool,
         step: float, note: str | None, point: tuple[float, ...] | None = None) -> dict[str, Any]:
    abs_err = abs(analytic - numeric)
    rel_err = abs_err / abs(numeric) if numeric != 0 else (0.0 if abs_err == 0 else float("inf"))
    row = {"input": name, "value": value, "analytic": analytic, "numeric": numeric,
           "abs_err": abs_err, "rel_err": rel_err, "ok": ok, "kink": kink, "step": step, "note": note}
    if point is not None:  # a mixed second derivative ∂²f/∂xᵢ∂xⱼ: the values of xᵢ and xⱼ
        row["point"] = point
    return row


def _value_cell(row: dict[str, Any]) -> str:
    return ", ".join(f"{v:.6g}" for v in row.get("point", (row["value"],)))


def _mark(row: dict[str, Any]) -> str:
    if not row["ok"]:
        return "FAIL"
    return "kink" if row.get("kink") else "ok"


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as an aligned text table: ``ok``, ``kink`` (passed by the one-sided rule only) or ``FAIL``."""
    head = ("input", "value", "analytic", "numeric", "abs err", "rel err", "")
    lines = [head] + [(r["input"], _value_cell(r), f"{r['analytic']:.8g}", f"{r['numeric']:.8g}",
                       f"{r['abs_err']:.3g}", f"{r['rel_err']:.3g}", _mark(r)) for r in rows]
    widths = [max(len(line[c]) for line in lines) for c in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


def summary_line(rows: Sequence[dict[str, Any]]) -> str:
    """One line under :func:`format_table`: ``passed: ...`` or ``failed: ...``, naming the partials accepted at a
    kink by the one-sided rule (they do not agree with the central difference: f is not differentiable there)."""
    n = len(rows)
    bad = sum(not r["ok"] for r in rows)
    kinks = [r["input"] for r in rows if r["ok"] and r.get("kink")]
    names = ", ".join(kinks)
    notes = "".join(f"; {r['input']}: {r['note']}" for r in rows if r.get("note"))
    if bad:
        also = f"; {len(kinks)} accepted by the one-sided rule at a kink ({names})" if kinks else ""
        return f"failed: {bad} of {n} derivative(s) disagree with finite differences{also}{notes}"
    if not kinks:
        return f"passed: all {n} derivative(s) agree with finite differences{notes}"
    agree = n - len(kinks)
    return (f"passed: {len(kinks)} of {n} derivative(s) accepted by the one-sided rule at a kink ({names}): "
            "f is not differentiable there, and the analytic value lies between the left and right difference "
            "quotients" + (f"; the other {agree} agree with finite differences" if agree else "") + notes)


Checked = tuple[float, bool, bool, float, "str | None"]  # numeric, ok, kink, the step used, a note on it


def _inside(g: Callable[[float], float], x: float) -> float | DomainError:
    """g(x), or the DomainError saying x is outside f's domain."""
    try:
        return g(x)
    except DomainError as exc:
        return exc


def _smaller_steps(x: float, eps: float) -> list[float]:
    """The steps tried when ε crossed a kink or left the domain: ε/10 … ε/10⁶ and |x|/2 … |x|/1000, largest
    first (a smaller step sees f closer to x; below ε·10⁻⁶ rounding would swamp the difference)."""
    steps = {eps / 10 ** k for k in range(1, 7)}
    if x != 0:
        steps |= {abs(x) / 2, abs(x) / 10, abs(x) / 100, abs(x) / 1000}
    return sorted((h for h in steps if eps * 1e-6 <= h < eps), reverse=True)


def _quotient(f_a: float, f_b: float, a: float, b: float) -> float:
    """(f(a) − f(b)) / (a − b) with the probes as floats hold them: for a small step the rounding of x ± h is
    a sizeable part of h, and a − b (exact for nearby floats) is the step actually taken."""
    return (f_a - f_b) / (a - b)


def _check(analytic: float, g: Callable[[float], float], x: float, eps: float, atol: float,
           rtol: float) -> Checked:
    """Numeric derivative of g at x, whether ``analytic`` agrees with it, whether x is a kink of g at which
    the one-sided rule (module doc) decided, the step the numeric derivative was taken with, and why that
    step if it is not ``eps``."""
    plus, minus = _inside(g, x + eps), _inside(g, x - eps)
    if isinstance(plus, DomainError) or isinstance(minus, DomainError):
        return _outside_domain(analytic, g, x, eps, atol, rtol, plus, minus)
    numeric = (plus - minus) / (2 * eps)
    if _close(analytic, numeric, atol, rtol):
        return numeric, True, False, eps, None
    mid = g(x)
    right, left = (plus - mid) / eps, (mid - minus) / eps
    if _close(left, right, atol, rtol):
        return numeric, False, False, eps, None
    # The one-sided quotients differ: f has a kink in [x − ε, x + ε]. At x itself, or did the step cross one?
    for h in _smaller_steps(x, eps):
        p, m = _inside(g, x + h), _inside(g, x - h)
        if isinstance(p, DomainError) or isinstance(m, DomainError):
            continue
        numeric = _quotient(p, m, x + h, x - h)
        if _close(analytic, numeric, atol, rtol):
            return (numeric, True, False, h,
                    f"the step {eps:g} reaches past a kink or pole of f near {x:g}, where f is differentiable: "
                    f"checked with step {h:g}")
    lo, hi = min(left, right), max(left, right)  # a kink at x: accept any value between the one-sided derivatives
    tol = atol + rtol * max(abs(lo), abs(hi))
    return numeric, lo - tol <= analytic <= hi + tol, True, eps, None


def _outside_domain(analytic: float, g: Callable[[float], float], x: float, eps: float, atol: float, rtol: float,
                    plus: float | DomainError, minus: float | DomainError) -> Checked:
    """A probe x ± ε left f's domain: smaller central steps, then one-sided steps from the side inside."""
    side, error = (f"x + {eps:g} = {x + eps:g}", plus) if isinstance(plus, DomainError) else \
        (f"x − {eps:g} = {x - eps:g}", minus)
    left_domain = f"the finite-difference probe {side} left f's domain ({error})"
    steps = _smaller_steps(x, eps)
    tried: Checked | None = None
    for h in steps:
        p, m = _inside(g, x + h), _inside(g, x - h)
        if isinstance(p, DomainError) or isinstance(m, DomainError):
            continue
        numeric = _quotient(p, m, x + h, x - h)
        tried = tried or (numeric, False, False, h, f"{left_domain}; no smaller central step (down to "
                                                     f"{steps[-1]:g}) agrees either")
        if _close(analytic, numeric, atol, rtol):
            return numeric, True, False, h, f"{left_domain}: checked with the smaller step {h:g}"
    mid = g(x)
    for h in reversed(steps):  # one-sided, from the smallest step: its error is about ½|f''|·h
        for sign, name in ((1.0, "forward"), (-1.0, "backward")):
            moved = _inside(g, x + sign * h)
            if isinstance(moved, DomainError):
                continue
            numeric = _quotient(moved, mid, x + sign * h, x)
            if _close(analytic, numeric, atol, rtol):
                return numeric, True, False, h, f"{left_domain}: checked with the {name} difference of step {h:g}"
            tried = tried or (numeric, False, False, h, f"{left_domain}; no smaller or one-sided step (down to "
                                                         f"{h:g}) agrees either")
    if tried is None:
        smallest = steps[-1] if steps else eps
        raise DomainError(f"{left_domain}, and so do the probes of every smaller step down to {smallest:g}: "
                          "check f at a point farther from the edge of its domain")
    return tried


def gradcheck(f: Callable[..., Value], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4,
              order: int = 1, raise_exception: bool = True) -> bool:
    """Check f's analytic derivatives (``autograd_nn.grad``) against central finite differences.

    ``f(x0, x1, ...)`` takes one Value per input and returns a Value; ``inputs`` are the numbers (or Values)
    to check at. ``order=2`` also checks every second derivative ∂²f/∂xᵢ∂xⱼ, computed with
    ``grad(grad(f, create_graph=True))``, against finite differences of the first derivative.
    Returns True, or on failure raises :class:`GradcheckError` with a table of every checked partial
    (returns False instead with ``raise_exception=False``).
    """
    rows = compare_derivatives(f, inputs, eps=eps, atol=atol, rtol=rtol, order=order)
    if all(r["ok"] for r in rows):
        return True
    if not raise_exception:
        return False
    bad = sum(not r["ok"] for r in rows)
    point = _as_point(inputs)
    raise GradcheckError(f"gradcheck: {bad} of {len(rows)} derivative(s) disagree with finite differences "
                         f"at x = {point} (eps={eps}, atol={atol}, rtol={rtol}):\n{format_table(rows)}", rows)


def compare_derivatives(f: Callable[..., Value], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                        rtol: float = 1e-4, order: int = 1) -> list[dict[str, Any]]:
    """The figures behind :func:`gradcheck`, one row per partial derivative, pass or fail.

    Each row: ``input`` (e.g. ``"∂f/∂x0"`` or ``"∂²f/∂x0∂x1"``), ``value`` (that input's value), ``analytic``,
    ``numeric``, ``abs_err``, ``rel_err``, ``ok`` and ``kink`` (the one-sided differences disagree there, so the
    kink rule decided ``ok``). :func:`format_table` and :func:`summary_line` print them.
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps!r}")
    point = _as_point(inputs)
    n = len(point)
    out, xs = _evaluate(f, point)
    rows: list[dict[str, Any]] = []

    def at(i: int, value: float) -> list[float]:
        moved = list(point)
        moved[i] = value
        return moved

    def f_data(i: int) -> Callable[[float], float]:
        return lambda v: _evaluate(f, at(i, v))[0].data

    try:
        first = grad(out, xs)
        for i in range(n):
            rows.append(_row(f"∂f/∂x{i}", point[i], first[i], *_check(first[i], f_data(i), point[i], eps, atol,
                                                                        rtol)))
        if order == 2:
            out, xs = _evaluate(f, point)
            dys = grad(out, xs, create_graph=True)
            for i in range(n):
                second = grad(dys[i], xs)

                def d_i(j: int, i: int = i) -> Callable[[float], float]:
                    """∂f/∂xᵢ as a function of xⱼ alone (the other inputs at the point)."""
                    def of_xj(v: float) -> float:
                        o, ys = _evaluate(f, at(j, v))
                        return grad(o, ys[i])

                    return of_xj

                for j in range(n):
                    checked = _check(second[j], d_i(j), point[j], eps, atol, rtol)
                    rows.append(_row(f"∂²f/∂x{i}∂x{j}", point[j], second[j], *checked,
                                     point=None if i == j else (point[i], point[j])))
    except DomainError as exc:
        raise DomainError(f"gradcheck at {point} (eps={eps}): {exc}") from exc
    return rows
