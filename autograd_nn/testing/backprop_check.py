"""check_backprop: a learner's hand-written numpy backprop, compared with the engine's and diagnosed.

The contract of the learner's function (the shapes of the documents, one column per sample)::

    gradients(weights, biases, X, y) -> (dW, db)

    weights[l-1]  Wˡ, shape (nˡ, nˡ⁻¹): row j holds neuron j's weights wˡⱼₖ          (l = 1 … L)
    biases[l-1]   bˡ, shape (nˡ, 1): a column
    X             shape (n⁰, m): column i is sample x⁽ⁱ⁾
    y             shape (nᴸ, m): column i is the target y⁽ⁱ⁾ (softmax_cross_entropy: one-hot columns)
    dW[l-1]       ∂C/∂Wˡ, shape (nˡ, nˡ⁻¹);  db[l-1]  ∂C/∂bˡ, shape (nˡ, 1) (or (nˡ,))

with C = (1/m) Σᵢ Cᵢ (``reduction="mean"``, the 1/n of “Machine learning on biology S2”) or Σᵢ Cᵢ
(``"sum"``), Cᵢ the loss of sample i, and zˡ = Wˡ aˡ⁻¹ + bˡ, aˡ = f(zˡ) with the model's activations. The
function gets copies: changing them changes nothing here (but is noticed, and reported).

The true numbers come from the engine: ``layerwise.read_backprop`` runs the samples through the model and reads
δ at each z node and backward()'s ∂C/∂W, ∂C/∂b. When the learner's numbers differ, known mistakes are replayed
on those numbers (numpy, through ``layerwise.delta_recursion``) and the one that gives the learner's numbers is
named, with the formula that was expected.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from ..layerwise import Backprop, delta_recursion, derivative, read_backprop, softmax, sup
from ..nn import MLP

F = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "id"}
F_TEX = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{relu}", "linear": r"\mathrm{id}"}
SHOWN = 6  # entries of a vector written out in a diagnosis
ETAS_SHOWN = 4  # significant digits of a fitted step η
ROUNDING = 1e-12  # a difference below this is shown as such, not as its (platform-dependent) rounding digits


def _num(x: float) -> str:
    return f"{x:.6g}"


def _vec(v: np.ndarray) -> str:
    v = np.asarray(v).reshape(-1)
    items = [_num(float(x)) for x in v[:SHOWN]] + ([f"… ({v.size} in all)"] if v.size > SHOWN else [])
    return "[" + ", ".join(items) + "]"


@dataclass(frozen=True)
class LayerCheck:
    """Layer l: whether the learner's ∂C/∂Wˡ and ∂C/∂bˡ agree with the engine's, and the largest wrong entry
    (``worst``: ("W", (j, k)) or ("b", (j,)), with ``yours`` and ``engine`` there)."""

    index: int
    dW_ok: bool
    db_ok: bool
    dW_error: float
    db_error: float
    worst: tuple[str, tuple[int, ...]] | None = None
    yours: float = 0.0
    engine: float = 0.0

    @property
    def ok(self) -> bool:
        return self.dW_ok and self.db_ok


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake that gives the learner's numbers: ``kind`` (one of KINDS), ``what`` (one line),
    ``expected`` and ``yours`` (the formula backprop uses and the one that fits the learner's numbers),
    ``numbers`` (lines with both, at the first wrong layer, sample 1) and ``hint`` (how to fix it)."""

    kind: str
    what: str
    expected: str
    yours: str
    numbers: list[str]
    hint: str
    expected_tex: str = ""
    yours_tex: str = ""


KINDS = ("transposed_dW", "transposed_recursion", "derivative_missing", "derivative_at_a", "derivative_form_at_z",
         "sign_flipped", "factor", "bias_missing", "bias_not_summed", "updated_weights", "softmax_delta",
         "shape", "raised", "unknown")


@dataclass
class BackpropReport:
    """What check_backprop found. ``ok``: every layer agrees. ``layers``: a LayerCheck per layer (1 … L);
    ``first_wrong``: the first layer that does not, going backward from the output as backprop does (None when
    all agree); ``diagnosis``: the mistake found (None when ok); ``notes``: what else was noticed (the learner's
    function changed its inputs, …). ``str()`` is the report as text; a notebook shows it as HTML or LaTeX."""

    ok: bool
    shape: str
    loss: str
    reduction: str
    samples: int
    rtol: float
    atol: float
    layers: list[LayerCheck] = field(default_factory=list)
    first_wrong: int | None = None
    diagnosis: Diagnosis | None = None
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def _layer_lines(self) -> list[str]:
        lines = []
        for c in reversed(self.layers):
            if c.ok:
                diff = max(c.dW_error, c.db_error)
                shown = "below 1e-12" if diff < ROUNDING else f"{diff:.3g}"
                lines.append(f"  layer {c.index}: ∂C/∂W{sup(c.index)} and ∂C/∂b{sup(c.index)} agree "
                             f"(largest difference {shown})")
                continue
            parts = [f"∂C/∂W{sup(c.index)} {'agrees' if c.dW_ok else 'DIFFERS'}",
                     f"∂C/∂b{sup(c.index)} {'agrees' if c.db_ok else 'DIFFERS'}"]
            lines.append(f"  layer {c.index}: " + ", ".join(parts))
        return lines

    def _worst_line(self) -> str | None:
        if self.first_wrong is None:
            return None
        c = self.layers[self.first_wrong - 1]
        if c.worst is None:
            return None
        what, at = c.worst
        entry = (f"∂C/∂w{sup(c.index)}{_sub(at[0] + 1)}{_sub(at[1] + 1)}" if what == "W"
                 else f"∂C/∂b{sup(c.index)}{_sub(at[0] + 1)}")
        return (f"largest wrong entry in layer {c.index}: {entry} (row {at[0] + 1}"
                + (f", column {at[1] + 1}" if what == "W" else "") + f"): yours {_num(c.yours)}, "
                f"the engine's {_num(c.engine)}")

    def __str__(self) -> str:
        head = (f"check_backprop: a {self.shape} MLP, loss {self.loss} ({self.reduction} over {self.samples} "
                f"sample{'s' if self.samples != 1 else ''}), relative tolerance {self.rtol:g}")
        lines = [head]
        lines += self._layer_lines()
        if self.ok:
            lines.append("PASSED: every layer's ∂C/∂W and ∂C/∂b agree with the engine's.")
        else:
            lines.append("FAILED" + (f" from layer {self.first_wrong} down" if self.first_wrong else "") + ".")
            worst = self._worst_line()
            if worst:
                lines.append(worst)
            d = self.diagnosis
            if d is not None:
                lines.append(f"diagnosis ({d.kind}): {d.what}")
                lines += [f"  expected: {d.expected}"] if d.expected else []
                lines += [f"  yours:    {d.yours}"] if d.yours else []
                lines += [f"  {line}" for line in d.numbers]
                lines.append(f"hint: {d.hint}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        color = "#2ca02c" if self.ok else "#d62728"
        rows = "".join(f"<tr><td>{c.index}</td><td>{'✓' if c.dW_ok else '✗'}</td><td>{'✓' if c.db_ok else '✗'}"
                       f"</td><td>{max(c.dW_error, c.db_error):.3g}</td></tr>" for c in reversed(self.layers))
        parts = [f"<div><p><b style='color:{color}'>{'PASSED' if self.ok else 'FAILED'}</b> "
                 f"check_backprop: a {escape(self.shape)} MLP, loss {escape(self.loss)} ({self.reduction} over "
                 f"{self.samples} samples), rtol {self.rtol:g}</p>"]
        if self.layers:
            parts.append("<table><tr><th>layer</th><th>∂C/∂W</th><th>∂C/∂b</th><th>largest difference</th></tr>"
                         f"{rows}</table>")
        worst = self._worst_line()
        if not self.ok and worst:
            parts.append(f"<p>{escape(worst)}</p>")
        d = self.diagnosis
        if d is not None:
            parts.append(f"<p><b>diagnosis ({escape(d.kind)})</b>: {escape(d.what)}</p><ul>"
                         f"<li>expected: <code>{escape(d.expected)}</code></li>"
                         f"<li>yours: <code>{escape(d.yours)}</code></li>"
                         + "".join(f"<li><code>{escape(n)}</code></li>" for n in d.numbers)
                         + f"</ul><p>hint: {escape(d.hint)}</p>")
        parts += [f"<p>note: {escape(n)}</p>" for n in self.notes]
        return "".join(parts) + "</div>"

    def latex(self) -> str:
        rows = [rf"\text{{check\_backprop: {self.shape} MLP, {self.loss.replace('_', ' ')}: "
                rf"{'PASSED' if self.ok else 'FAILED'}}}"]
        for c in reversed(self.layers):
            rel = "=" if c.ok else r"\neq"
            rows.append(rf"\text{{layer {c.index}: yours}} &{rel} \frac{{\partial C}}{{\partial W^{{({c.index})}}}},"
                        rf"\ \frac{{\partial C}}{{\partial b^{{({c.index})}}}} \text{{ of the engine}}")
        d = self.diagnosis
        if d is not None:
            rows.append(rf"\text{{diagnosis: {d.kind.replace('_', ' ')}}} &")
            expected = d.expected_tex or _tex_text(d.expected)
            yours = d.yours_tex or _tex_text(d.yours)
            rows.append(rf"\text{{expected: }} & {expected}")
            rows.append(rf"\text{{yours: }} & {yours}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"


def _tex_text(text: str) -> str:
    """Plain text inside LaTeX: \\text{…} with its special characters escaped."""
    for c in "\\{}_^#%&$":
        text = text.replace(c, "\\" + c)
    return r"\text{" + text + "}"


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# ---- the learner's call ---------------------------------------------------------------------------------

def _as_columns(X: Any, rows: int, what: str, form: str) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"check_backprop: {what} must be an array of numbers, got {type(X).__name__}") from None
    if arr.ndim == 1 and arr.size == rows:
        arr = arr.reshape(rows, 1)
    if arr.ndim != 2 or arr.shape[0] != rows:
        extra = " (transpose it: .T)" if arr.ndim == 2 and arr.shape[1] == rows else ""
        raise ValueError(f"check_backprop: {what} must have shape {form}, one column per sample, got shape "
                         f"{arr.shape}{extra}")
    if not np.isfinite(arr).all():
        raise ValueError(f"check_backprop: {what} holds NaN or ±inf")
    return arr


@dataclass
class _Answer:
    dW: list[np.ndarray]
    db: list[np.ndarray]
    dW_transposed: list[bool]


def _learner_error(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (in {last.name}, line {last.lineno}: {(last.line or '').strip()})"
    return f"{type(exc).__name__}: {exc}{where}"


def _read_answer(out: Any, bp: Backprop) -> _Answer | str:
    """The learner's (dW, db) in the documents' shapes, or what is wrong with it."""
    L = len(bp.layers)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return f"gradients must return a pair (dW list, db list); it returned {type(out).__name__}"
    dWs, dbs = out
    for what, items in (("dW", dWs), ("db", dbs)):
        if not isinstance(items, (tuple, list)) or len(items) != L:
            got = len(items) if isinstance(items, (tuple, list)) else type(items).__name__
            return f"{what} must be a list of {L} arrays, one per layer (layer 1 first); got {got}"
    answer = _Answer([], [], [])
    m = bp.layers[0].A_in.shape[1]
    for n, dW, db in zip(bp.layers, dWs, dbs):
        k = n.index
        try:
            w = np.asarray(dW, dtype=float)
            b = np.asarray(db, dtype=float)
        except (TypeError, ValueError):
            return f"layer {k}: dW and db must be arrays of numbers"
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            return f"layer {k}: your gradients hold NaN or ±inf"
        expected = n.W.shape
        if w.shape == expected:
            answer.dW_transposed.append(False)
        elif w.shape == expected[::-1]:
            w = w.T
            answer.dW_transposed.append(True)
        else:
            return (f"layer {k}: dW{sup(k)} has shape {w.shape}; ∂C/∂W{sup(k)} has the shape of W{sup(k)}, "
                    f"{expected} = (neurons of layer {k}) × (neurons of layer {k - 1})")
        if b.size == expected[0]:
            b = b.reshape(-1)
        elif b.size == expected[0] * m and m > 1:
            b = b.reshape(expected[0], m) if b.shape[0] == expected[0] else b.reshape(m, expected[0]).T
        else:
            return f"layer {k}: db{sup(k)} has shape {b.shape}; ∂C/∂b{sup(k)} is a column of {expected[0]}"
        answer.dW.append(w)
        answer.db.append(b)
    return answer


# ---- replaying mistakes on the engine's numbers ---------------------------------------------------------

Grads = tuple[list[np.ndarray], list[np.ndarray]]


def _grads(bp: Backprop, deltas: list[np.ndarray]) -> Grads:
    """∂C/∂Wˡ = Δˡ (Aˡ⁻¹)ᵀ and ∂C/∂bˡ = Δˡ 1 from the δ of each layer (one column per sample, C's scale in)."""
    return [d @ n.A_in.T for d, n in zip(deltas, bp.layers)], [d.sum(axis=1) for d in deltas]


def _replay(bp: Backprop, top: np.ndarray | None = None, f_primes: list[np.ndarray] | None = None,
            back: Callable[[int, np.ndarray], np.ndarray] | None = None) -> tuple[list[np.ndarray], Grads]:
    """The recursion on δ from the engine's numbers with some part swapped for a mistake's."""
    top = bp.written_grad_a() if top is None else top
    f_primes = [n.f_prime for n in bp.layers] if f_primes is None else f_primes
    back = (lambda k, d: bp.layers[k - 1].W.T @ d) if back is None else back
    deltas = delta_recursion(top, f_primes, back)
    return deltas, _grads(bp, deltas)


@dataclass(frozen=True)
class _Candidate:
    kind: str
    what: str
    yours: str
    yours_tex: str
    hint: str
    grads: Grads
    deltas: list[np.ndarray] | None = None


def _fprime_at(activation: str, x: np.ndarray) -> np.ndarray:
    """f' evaluated at x (f applied to x first), as a learner's f_prime(a) computes it."""
    fs: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "sigmoid": lambda t: 1.0 / (1.0 + np.exp(-t)), "tanh": np.tanh, "relu": lambda t: np.maximum(t, 0.0),
        "linear": lambda t: t}
    fx = fs[activation](x)
    return derivative(activation, x, fx)


def _expected_formula(k: int, L: int, activation: str) -> tuple[str, str]:
    f, ft = F[activation], F_TEX[activation]
    if k == L:
        return (f"δ{sup(k)} = ∇ₐC ⊙ {f}'(z{sup(k)}),  ∂C/∂W{sup(k)} = Σᵢ δ{sup(k)} (a{sup(k - 1)})ᵀ",
                rf"\delta^{{({k})}} = \nabla_a C \odot {ft}'(z^{{({k})}})")
    return (f"δ{sup(k)} = ((W{sup(k + 1)})ᵀ δ{sup(k + 1)}) ⊙ {f}'(z{sup(k)}),  "
            f"∂C/∂W{sup(k)} = Σᵢ δ{sup(k)} (a{sup(k - 1)})ᵀ",
            rf"\delta^{{({k})}} = \left((W^{{({k + 1})}})^T \delta^{{({k + 1})}}\right) \odot {ft}'(z^{{({k})}})")


def _candidates(bp: Backprop, answer: _Answer) -> list[_Candidate]:
    layers, L, m = bp.layers, len(bp.layers), bp.layers[0].A_in.shape[1]
    true_deltas = [n.Delta for n in layers]
    G = ([n.dW for n in layers], [n.db for n in layers])
    out: list[_Candidate] = []
    acts = ", ".join(sorted({F[n.activation] for n in layers}))

    # The bias-only mistakes first: where a dead layer (relu) makes several mistakes give the same numbers, the
    # one that changes the fewest numbers is named.
    out.append(_Candidate("bias_missing", "the gradient of the bias missing (zero)", "∂C/∂bˡ = 0",
                          r"\partial C / \partial b^{(l)} = 0", "∂C/∂bˡ = Σᵢ δˡ⁽ⁱ⁾: δ summed over the samples "
                          "(delta.sum(axis=1, keepdims=True))", (G[0], [np.zeros_like(b) for b in G[1]])))
    single: list[tuple[int, str]] = [(0, "the first sample's"), (m - 1, "the last sample's")] if m > 1 else []
    for i, one in single:
        out.append(_Candidate("bias_not_summed", f"∂C/∂b not summed over the samples: {one} δ only",
                              f"∂C/∂bˡ = δˡ⁽{i + 1}⁾", rf"\partial C / \partial b^{{(l)}} = \delta^{{(l)({i + 1})}}",
                              "∂C/∂bˡ = Σᵢ δˡ⁽ⁱ⁾: delta.sum(axis=1, keepdims=True)",
                              (G[0], [d[:, i] for d in true_deltas])))
    if all(layers[k - 1].W.shape[0] == layers[k - 1].W.shape[1] for k in range(2, L + 1)) and L > 1:
        d, g = _replay(bp, back=lambda k, x: layers[k - 1].W @ x)
        out.append(_Candidate("transposed_recursion", "W used where Wᵀ belongs in the δ recursion",
                              "δˡ = (Wˡ⁺¹ δˡ⁺¹) ⊙ f'(zˡ)",
                              r"\delta^{(l)} = \left(W^{(l+1)} \delta^{(l+1)}\right) \odot f'(z^{(l)})",
                              "δ travels backwards through the transpose: (Wˡ⁺¹)ᵀ δˡ⁺¹ (W.T @ delta); W @ delta "
                              "only runs because the matrix is square", g, d))
    places: list[tuple[str, list[int]]] = [("every layer", list(range(1, L + 1))), ("the output layer", [L]),
                                           ("the hidden layers", list(range(1, L)))]
    for where, which in places:
        fp = [np.ones_like(n.Z) if n.index in which else n.f_prime for n in layers]
        d, g = _replay(bp, f_primes=fp)
        out.append(_Candidate("derivative_missing", f"the activation's derivative f'(zˡ) left out in {where}",
                              "δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ (no ⊙ f'(zˡ))", r"\delta^{(l)} = (W^{(l+1)})^T \delta^{(l+1)}",
                              f"multiply by the derivative of the activation ({acts}) at z, elementwise, in every "
                              "layer: delta = (W.T @ delta) * f_prime(z)", g, d))
    fp = [_fprime_at(n.activation, n.A) for n in layers]
    d, g = _replay(bp, f_primes=fp)
    out.append(_Candidate("derivative_at_a", "the activation's derivative taken at aˡ instead of zˡ: f'(aˡ) = "
                          "f'(f(zˡ))", "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(aˡ)",
                          r"\delta^{(l)} = \left((W^{(l+1)})^T \delta^{(l+1)}\right) \odot f'(a^{(l)})",
                          "f'(z) needs z (or its a-form: σ'(z) = a(1 − a), tanh'(z) = 1 − a²); passing a to a "
                          "function written for z applies f twice", g, d))
    fp = [derivative(n.activation, n.Z, n.Z) for n in layers]
    d, g = _replay(bp, f_primes=fp)
    out.append(_Candidate("derivative_form_at_z", "the derivative's a-form fed zˡ: zˡ(1 − zˡ) for σ', "
                          "1 − (zˡ)² for tanh'", "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ zˡ ⊙ (1 − zˡ)",
                          r"\delta^{(l)} = \left((W^{(l+1)})^T \delta^{(l+1)}\right) \odot z^{(l)}(1 - z^{(l)})",
                          "σ'(z) = a(1 − a) and tanh'(z) = 1 − a² use a = f(z), not z", g, d))
    out.append(_Candidate("sign_flipped", "the sign of the error flipped: y − a where a − y belongs",
                          "δᴸ = (y − aᴸ) ⊙ f'(zᴸ), every gradient negated",
                          r"\delta^{(L)} = (y - a^{(L)}) \odot f'(z^{(L)})",
                          "∂C/∂a = a − y for ½(y − a)² (the output minus the target); gradient descent then "
                          "subtracts: W -= lr * dW", ([-w for w in G[0]], [-b for b in G[1]]),
                          [-x for x in true_deltas]))
    factors = [(2.0, "2", "a factor 2 too many (½ of ½(y − a)² not cancelled, or 2 written twice)"),
               (0.5, "½", "a factor ½ too few (the 2 of (y − a)²'s derivative left out)")]
    if m > 1:
        factors += [(1.0 / m, f"1/{m}", f"divided by m = {m} twice, or the mean taken where C is the sum"),
                    (float(m), f"{m}", f"the sum over the {m} samples where C is their mean (the 1/m of "
                     "“Machine learning on biology S2” left out)")]
    for c, shown, why in factors:
        out.append(_Candidate("factor", f"every gradient {shown} × the engine's: {why}",
                              f"∂C/∂Wˡ × {shown}", rf"{shown} \times \partial C / \partial W^{{(l)}}",
                              f"C = {'(1/m) Σᵢ' if bp.reduction == 'mean' else 'Σᵢ'} Cᵢ: check the constant "
                              "of ∇ₐC and the 1/m", ([c * w for w in G[0]], [c * b for b in G[1]])))
        out.append(_Candidate("factor", f"∂C/∂b {shown} × the engine's (∂C/∂W right): {why}, in the bias only",
                              f"∂C/∂bˡ × {shown}", rf"{shown} \times \partial C / \partial b^{{(l)}}",
                              "∂C/∂bˡ = Σᵢ δˡ⁽ⁱ⁾ with the same constant as ∂C/∂Wˡ",
                              (G[0], [c * b for b in G[1]])))
    if bp.loss_name == "softmax_cross_entropy":
        a = layers[-1].A
        p = np.stack([softmax(a[:, i]) for i in range(m)], axis=1)
        onehot = np.zeros_like(a)
        for i, t in enumerate(bp.targets):
            onehot[int(t), i] = 1.0
        s = bp.scale
        for top, yours, why in ((s * (a - onehot), "δᴸ = zᴸ − onehot (the logits, no softmax)",
                                 "the softmax left out"),
                                (s * (p - onehot) * p * (1 - p), "δᴸ = (softmax − onehot) ⊙ p(1 − p)",
                                 "an extra elementwise softmax 'derivative' p(1 − p)"),
                                (s * (-onehot / p), "δᴸ = −onehot / p (∂C/∂p, not ∂C/∂z)",
                                 "the gradient with respect to the probabilities, not the logits"),
                                (s * p, "δᴸ = softmax (the onehot not subtracted)", "the target left out")):
            d, g = _replay(bp, top=top)
            out.append(_Candidate("softmax_delta", f"softmax + cross-entropy's δ wrong: {why}", yours, "",
                                  "for C = −log pₖ with p = softmax(zᴸ), ∂C/∂zᴸ = p − onehot(k): the softmax's "
                                  "Jacobian and log's derivative cancel to that", g, d))
    return out


def _agree(yours: np.ndarray, engine: np.ndarray, rtol: float, atol: float) -> bool:
    return yours.shape == engine.shape and bool(np.allclose(yours, engine, rtol=rtol, atol=atol))


def _fits(answer: _Answer, grads: Grads, rtol: float, atol: float) -> bool:
    return all(_agree(w, gw, rtol, atol) and _agree(b, gb, rtol, atol)
               for w, b, gw, gb in zip(answer.dW, answer.db, *grads))


def _fit_updated_weights(bp: Backprop, answer: _Answer, rtol: float,
                         atol: float) -> tuple[float, list[np.ndarray], Grads] | None:
    """δ computed with weights already moved by the learner's own step: Wᵏ − η·∂C/∂Wᵏ carries δᵏ down.

    At layer L − 1 the replay is linear in η (∂C/∂Wᴸ is right there), so η is fitted there in closed form, then
    the whole replay with that η must give every layer's numbers."""
    layers, L = bp.layers, len(bp.layers)
    if L < 2:
        return None
    top, below = layers[-1], layers[-2]
    H_delta = (top.dW.T @ top.Delta) * below.f_prime
    H = np.concatenate([(H_delta @ below.A_in.T).ravel(), H_delta.sum(axis=1)])
    R = np.concatenate([(below.dW - answer.dW[-2]).ravel(), below.db - answer.db[-2]])
    if not np.any(H):
        return None
    eta = float(H @ R / (H @ H))
    if not np.isfinite(eta) or eta == 0.0:
        return None

    def back(k: int, d: np.ndarray) -> np.ndarray:
        moved = layers[k - 1].W - eta * (d @ layers[k - 1].A_in.T)
        result: np.ndarray = moved.T @ d
        return result

    deltas, g = _replay(bp, back=back)
    return (eta, deltas, g) if _fits(answer, g, rtol, atol) else None


def _numbers(bp: Backprop, c: _Candidate, k: int) -> list[str]:
    """The expected and the replayed δᵏ and ∂C/∂Wᵏ's first row, sample 1, at layer k."""
    n = bp.layers[k - 1]
    lines = []
    if c.deltas is not None:
        lines.append(f"at layer {k}, sample 1: the engine's δ{sup(k)} = {_vec(n.Delta[:, 0] / bp.scale)}, "
                     f"this mistake's = {_vec(c.deltas[k - 1][:, 0] / bp.scale)}")
        if k < bp.layers[-1].index:
            above = bp.layers[k]
            lines.append(f"  (W{sup(k + 1)})ᵀ δ{sup(k + 1)} = {_vec((above.W.T @ above.Delta)[:, 0] / bp.scale)}, "
                         f"{F[n.activation]}'(z{sup(k)}) = {_vec(n.f_prime[:, 0])}, z{sup(k)} = {_vec(n.Z[:, 0])}")
    lines.append(f"∂C/∂W{sup(k)}, row 1: the engine's {_vec(n.dW[0])}, this mistake's {_vec(c.grads[0][k - 1][0])}")
    lines.append(f"∂C/∂b{sup(k)}: the engine's {_vec(n.db)}, this mistake's {_vec(c.grads[1][k - 1])}")
    return lines


def _diagnose(bp: Backprop, answer: _Answer, first: int, rtol: float, atol: float) -> Diagnosis:
    L = len(bp.layers)
    n = bp.layers[first - 1]
    expected, expected_tex = _expected_formula(first, L, n.activation)
    G = ([x.dW for x in bp.layers], [x.db for x in bp.layers])
    if any(answer.dW_transposed):
        fixed = _fits(answer, G, rtol, atol)
        k = len(answer.dW_transposed) - answer.dW_transposed[::-1].index(True)
        if fixed:
            return Diagnosis("transposed_dW", f"∂C/∂W{sup(k)} returned transposed: shape "
                             f"{bp.layers[k - 1].W.shape[::-1]} where W{sup(k)} is {bp.layers[k - 1].W.shape}; "
                             "its transpose agrees", "∂C/∂Wˡ = Σᵢ δˡ (aˡ⁻¹)ᵀ, shape (nˡ × nˡ⁻¹)",
                             "aˡ⁻¹ (δˡ)ᵀ, shape (nˡ⁻¹ × nˡ)", [],
                             "dW = delta @ A_prev.T (δ on the left), the shape of W, so that W -= lr * dW works",
                             r"\frac{\partial C}{\partial W^{(l)}} = \delta^{(l)} (a^{(l-1)})^T",
                             r"a^{(l-1)} (\delta^{(l)})^T")
    square_T = all(w.shape[0] == w.shape[1] for w in G[0]) and _fits(
        _Answer([w.T for w in answer.dW], answer.db, answer.dW_transposed), G, rtol, atol)
    if square_T:
        return Diagnosis("transposed_dW", "every ∂C/∂Wˡ returned transposed (the matrices are square, so the "
                         "shape did not show it)", "∂C/∂Wˡ = Σᵢ δˡ (aˡ⁻¹)ᵀ", "aˡ⁻¹ (δˡ)ᵀ",
                         [f"∂C/∂W{sup(first)}, row 1: the engine's {_vec(n.dW[0])}, "
                          f"yours {_vec(answer.dW[first - 1][0])}"],
                         "dW = delta @ A_prev.T (δ on the left, a on the right)",
                         r"\frac{\partial C}{\partial W^{(l)}} = \delta^{(l)} (a^{(l-1)})^T",
                         r"a^{(l-1)} (\delta^{(l)})^T")
    for c in _candidates(bp, answer):
        if _fits(answer, c.grads, rtol, atol) and not _fits(_Answer(*G, []), c.grads, rtol, atol):
            return Diagnosis(c.kind, c.what, expected, c.yours, _numbers(bp, c, first), c.hint, expected_tex,
                             c.yours_tex)
    fitted = _fit_updated_weights(bp, answer, rtol, atol)
    if fitted is not None:
        eta, deltas, g = fitted
        c = _Candidate("updated_weights", "", "", "", "", g, deltas)
        return Diagnosis(
            "updated_weights",
            f"δ computed with weights already updated: Wˡ⁺¹ − η·∂C/∂Wˡ⁺¹ with η = {eta:.{ETAS_SHOWN}g} carries δ "
            "down (an alias such as temp = weights[l], changed in place, then used for the next δ)",
            expected, f"δˡ = ((Wˡ⁺¹ − η ∂C/∂Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(zˡ), η = {eta:.{ETAS_SHOWN}g}",
            _numbers(bp, c, first),
            "compute every δ with the weights of the forward pass: keep a copy (W.copy()) or update all layers "
            "after the backward pass",
            expected_tex, rf"\delta^{{(l)}} = \left((W^{{(l+1)}} - \eta\, \partial C/\partial W^{{(l+1)}})^T "
                          rf"\delta^{{(l+1)}}\right) \odot f'(z^{{(l)}}),\ \eta = {eta:.{ETAS_SHOWN}g}")
    yours = answer.dW[first - 1]
    return Diagnosis("unknown", "no single known mistake gives your numbers (perhaps two at once)", expected,
                     "(see the numbers)",
                     [f"∂C/∂W{sup(first)}, row 1: the engine's {_vec(n.dW[0])}, yours {_vec(yours[0])}",
                      f"∂C/∂b{sup(first)}: the engine's {_vec(n.db)}, yours {_vec(answer.db[first - 1])}",
                      f"the engine's δ{sup(first)} of sample 1: {_vec(n.Delta[:, 0] / bp.scale)}"],
                     "check the top layer first (δᴸ = ∇ₐC ⊙ f'(zᴸ)), then one layer at a time; "
                     "autograd_nn.viz.explain_layers shows every number of one sample", expected_tex)


def _layer_check(k: int, w: np.ndarray, b: np.ndarray, gw: np.ndarray, gb: np.ndarray, rtol: float,
                 atol: float, transposed: bool) -> LayerCheck:
    """Layer k's verdict; a dW of the transposed shape is wrong even when its transpose agrees."""
    w_ok, b_ok = _agree(w, gw, rtol, atol) and not transposed, _agree(b, gb, rtol, atol)
    ew = float(np.abs(w - gw).max()) if w.shape == gw.shape else float("inf")
    eb = float(np.abs(b - gb).max()) if b.shape == gb.shape else float("inf")
    worst: tuple[str, tuple[int, ...]] | None = None
    yours = engine = 0.0
    if not w_ok and not transposed:
        at = np.unravel_index(int(np.argmax(np.abs(w - gw))), w.shape)
        worst, yours, engine = ("W", tuple(int(i) for i in at)), float(w[at]), float(gw[at])
    elif not b_ok and b.shape == gb.shape:
        j = int(np.argmax(np.abs(b - gb)))
        worst, yours, engine = ("b", (j,)), float(b[j]), float(gb[j])
    return LayerCheck(k, w_ok, b_ok, ew, eb, worst, yours, engine)


def check_backprop(gradients: Callable[..., Any], model: MLP, X: Any, y: Any, loss: str = "squared_error",
                   reduction: str = "mean", rtol: float = 1e-6, atol: float = 1e-9) -> BackpropReport:
    """Run the learner's ``gradients(weights, biases, X, y) -> (dW, db)`` (the contract in the module doc) on
    ``model``'s numbers and compare, layer by layer, with the engine's ∂C/∂W and ∂C/∂b.

    ``X``: (n⁰ × m), one column per sample; ``y``: (nᴸ × m) targets, or for ``softmax_cross_entropy`` one-hot
    columns or m class indices. ``loss``: a loss name of ``autograd_nn.layerwise.LOSSES``. ``reduction``:
    "mean" (C = (1/m) Σᵢ Cᵢ) or "sum". Entries agree when |yours − engine| ≤ atol + rtol·|engine|.

    Returns a :class:`BackpropReport` (``ok``, per-layer checks, the first wrong layer, its largest wrong entry
    and a diagnosis); its ``str()`` is the report. Leaves the model's ``.grad`` set to C's gradients.
    """
    if not callable(gradients):
        raise TypeError(f"check_backprop: gradients must be a function (weights, biases, X, y) -> (dW, db), got "
                        f"{type(gradients).__name__}")
    if not isinstance(model, MLP):
        raise TypeError(f"check_backprop: model must be an MLP, got {type(model).__name__}")
    for k, layer in enumerate(model.layers, 1):
        if layer.activation not in F:
            raise ValueError(f"check_backprop: layer {k}'s activation is {layer.activation!r}; the diagnosis knows the "
                             f"mistakes of {', '.join(sorted(F))} layers (explain_layers shows the engine's δ and "
                             "∂C/∂W for any activation)")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"check_backprop: rtol and atol must be ≥ 0, got rtol={rtol!r}, atol={atol!r}")
    nL = model.layers[-1].nout
    Xc = _as_columns(X, model.nin, "X", f"({model.nin} × m) = (inputs × samples)")
    m = Xc.shape[1]
    if loss == "softmax_cross_entropy":
        y_arr = np.asarray(y)
        if y_arr.ndim == 1 and y_arr.size == m and nL > 1 and (m > 1 or y_arr.size != nL):
            labels = [int(t) for t in y_arr]
            if any(t != v or not 0 <= t < nL for t, v in zip(labels, y_arr)):
                raise ValueError(f"check_backprop: class indices must be integers in 0 … {nL - 1}, got {y_arr}")
            Yc = np.eye(nL)[:, labels]
        else:
            Yc = _as_columns(y, nL, "y", f"({nL} × m), one-hot columns")
            if not (np.isin(Yc, (0.0, 1.0)).all() and (Yc.sum(axis=0) == 1).all()):
                raise ValueError("check_backprop: y for softmax_cross_entropy must be one-hot columns (or class "
                                 "indices)")
            labels = [int(i) for i in Yc.argmax(axis=0)]
        targets: list[Any] = labels
    else:
        Yc = _as_columns(y, nL, "y", f"({nL} × m) = (outputs × samples)")
        targets = [list(Yc[:, i]) for i in range(m)]
    if Yc.shape[1] != m:
        raise ValueError(f"check_backprop: X has {m} samples (columns) and y {Yc.shape[1]}")
    bp = read_backprop(model, [list(Xc[:, i]) for i in range(m)], targets, loss, reduction, who="check_backprop")
    shape = "-".join(str(s) for s in [model.nin, *model.nouts])
    report = BackpropReport(False, shape, bp.loss_name, reduction, m, rtol, atol)

    weights = [n.W.copy() for n in bp.layers]
    biases = [n.b.reshape(-1, 1).copy() for n in bp.layers]
    given_w, given_b = [w.copy() for w in weights], [b.copy() for b in biases]
    try:
        out = gradients(weights, biases, Xc.copy(), Yc.copy())
    except Exception as exc:  # the learner's code: its error is the report
        message = _learner_error(exc)
        hint = ("a shape mismatch: with one column per sample, Wˡ is (nˡ × nˡ⁻¹) and δˡ (nˡ × m), so "
                "(Wˡ⁺¹)ᵀ δˡ⁺¹ is (nˡ × m) and ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ is (nˡ × nˡ⁻¹)"
                if "shape" in str(exc) or "align" in str(exc) or "broadcast" in str(exc) else
                "run it on the shapes of the contract (help(autograd_nn.testing.check_backprop))")
        report.diagnosis = Diagnosis("raised", f"your gradients raised {message}", "", "", [], hint)
        return report
    moved = [(k + 1, float(np.abs(w - g).max())) for k, (w, g) in enumerate(zip(weights, given_w))
             if w.shape != g.shape or not np.array_equal(w, g)]
    if moved or any(b.shape != g.shape or not np.array_equal(b, g) for b, g in zip(biases, given_b)):
        report.notes.append("your gradients changed the arrays it was given (in place"
                            + (": " + ", ".join(f"W{sup(k)} by up to {d:.3g}" for k, d in moved) if moved else "")
                            + "); an update inside the backward pass moves the weights the next δ needs")
    answer = _read_answer(out, bp)
    if isinstance(answer, str):
        report.diagnosis = Diagnosis("shape", answer, "", "", [],
                                     "the contract: dW[l-1] has the shape of weights[l-1], db[l-1] of biases[l-1]")
        return report
    report.layers = [_layer_check(n.index, w, b, n.dW, n.db, rtol, atol, t)
                     for n, w, b, t in zip(bp.layers, answer.dW, answer.db, answer.dW_transposed)]
    wrong = [c.index for c in report.layers if not c.ok]
    if not wrong:
        report.ok = True
        return report
    report.first_wrong = max(wrong)
    if any(b.ndim == 2 for b in answer.db):
        k = max(n.index for n, b in zip(bp.layers, answer.db) if b.ndim == 2)
        b = answer.db[k - 1]
        report.diagnosis = Diagnosis("bias_not_summed", f"∂C/∂b{sup(k)} not summed over the samples: shape "
                                     f"{b.shape}, one column per sample", "∂C/∂bˡ = Σᵢ δˡ⁽ⁱ⁾",
                                     "δˡ (one column per sample)",
                                     [f"∂C/∂b{sup(k)}: the engine's {_vec(bp.layers[k - 1].db)}, your columns "
                                      f"summed {_vec(b.sum(axis=1))}"], "delta.sum(axis=1, keepdims=True)")
        return report
    report.diagnosis = _diagnose(bp, answer, report.first_wrong, rtol, atol)
    return report
