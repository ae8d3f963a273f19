"""explain: the chain-rule derivation of ∂root/∂w, one factor per local derivative, summed over paths.

As the documents do it by hand: ∂E/∂w₁ = ∂E/∂out · ∂out/∂net · ∂net/∂w₁ = (−0.21)(0.1659)(0.92). The factors
are the local derivatives the engine's reverse walk evaluated and the total is the gradient it gives w (see
``chain``); a graph with many paths is summarised by a count. Every node is named by ``node_names`` (its
label, or its sub-expression such as ``w * x + b``), the names draw_graph and the step-through page show.
"""

from __future__ import annotations

import re

from ..engine import Value
from .chain import chain
from .graph import fmt
from .names import named, operand

MAX_PATHS_SHOWN = 6
MAX_FACTORS_SHOWN = 10  # a longer path shows its first and last factors around an ellipsis

Factor = tuple[str, str, float]  # (child name, parent name, ∂child/∂parent)

_LATEX_SPECIAL = {"\\": r"\backslash ", "_": r"\_", "%": r"\%", "$": r"\$", "{": r"\{", "}": r"\}",
                  " ": r"\ ", "~": r"\sim ", "^": r"\hat{}",
                  "&": r"}\text{\&}\mathrm{", "#": r"}\text{\#}\mathrm{"}
_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# A name by its place in a network (nn.place_label): a letter, the layer in superscript, the indices in subscript.
_PLACE = re.compile(f"([A-Za-z])([{_SUPERSCRIPT_DIGITS}]+)([{_SUBSCRIPT_DIGITS},]*)")


def _digits(text: str, digits: str) -> str:
    return "".join(str(digits.index(d)) if d in digits else d for d in text)


def latex_name(name: str) -> str:
    """A node's name as LaTeX that shows it as typed: ``a_in`` is \\mathrm{a\\_in} (not a with subscript i),
    ``&`` and ``#`` are escaped, a single letter stays a maths letter (w), a trailing subscript index
    (z₁, (x * w)₂) is a real subscript, and a network's place names are written as the documents write them
    (w²₁₃ is w^{2}_{13}, (a²₁)₂ is (a^{2}_{1})_{2})."""
    place = _PLACE.fullmatch(name)
    if place:
        letter, layer, at = place.groups()
        return f"{letter}^{{{_digits(layer, _SUPERSCRIPT_DIGITS)}}}" + (
            f"_{{{_digits(at, _SUBSCRIPT_DIGITS)}}}" if at else "")
    match = re.search(f"[{_SUBSCRIPT_DIGITS}]+$", name)
    index = ""
    if match and match.start() > 0:
        name, digits = name[:match.start()], match.group()
        index = "_{" + _digits(digits, _SUBSCRIPT_DIGITS) + "}"
        if name.startswith("(") and name.endswith(")") and _PLACE.fullmatch(name[1:-1]):
            return rf"\left({latex_name(name[1:-1])}\right)" + index
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name + index
    return (r"\mathrm{" + _latex_formula(name) + "}").replace(r"\mathrm{}", "") + index


def _latex_formula(text: str) -> str:
    """The inside of \\mathrm{...} for a name: Python's ``a ** 2`` as a superscript, ``*`` as ·, the rest escaped."""
    out = []
    while True:
        power = re.search(r"\s*\*\*\s*(\([^()]*\)|-?[\w.]+)", text)
        if power is None:
            break
        exponent = power.group(1)
        exponent = exponent[1:-1] if exponent.startswith("(") else exponent  # a superscript needs no parentheses
        out.append(_latex_plain(text[:power.start()]) + "}^{" + _latex_plain(exponent) + r"}\mathrm{")
        text = text[power.end():]
    return "".join(out) + _latex_plain(text)


def _latex_plain(text: str) -> str:
    marked = text.replace(" * ", "\0")  # a product: · with the spaces around it kept
    return "".join(r"\cdot " if ch == "*" else _LATEX_SPECIAL.get(ch, ch) for ch in marked).replace("\0", r"\ \cdot\ ")


class Explanation:
    """A derivation of ∂root/∂w: the paths written out (at most MAX_PATHS_SHOWN), their count and the total.

    ``str()`` and ``repr()`` are plain text, ``latex()`` LaTeX, and a notebook shows it as maths
    (``_repr_latex_``). ``formulas`` are the names that are sub-expressions, written in parentheses after ∂.
    """

    def __init__(self, root_name: str, w_name: str, paths: list[list[Factor]], n_paths: int, total: float,
                 blocked: list[str] | None = None, formulas: frozenset[str] = frozenset(),
                 via: list[str] | None = None) -> None:
        self.root_name, self.w_name = root_name, w_name
        self.paths, self.n_paths, self.total = paths, n_paths, total
        self.blocked = blocked or []  # nodes with grad 0 where every path from w stops
        self.formulas = formulas
        # per path, which operand it takes where a node uses one Value twice ("" if nowhere): paths through
        # the same nodes (x * x * x) read the same otherwise
        self.via = via or [""] * len(paths)

    def _d(self, name: str) -> str:
        return f"({name})" if name in self.formulas else name

    def _tex(self, name: str) -> str:
        return rf"\left({latex_name(name)}\right)" if name in self.formulas else latex_name(name)

    def __repr__(self) -> str:
        return str(self)

    @staticmethod
    def product(path: list[Factor]) -> float:
        prod = 1.0
        for _, _, v in path:
            prod *= v
        return prod

    @staticmethod
    def _shorten(items: list[str], sep: str, ellipsis: str) -> str:
        if len(items) <= MAX_FACTORS_SHOWN:
            return sep.join(items)
        half = MAX_FACTORS_SHOWN // 2
        return sep.join(items[:half] + [ellipsis.format(len(items) - 2 * half)] + items[-half:])

    def __str__(self) -> str:
        root, w = self._d(self.root_name), self._d(self.w_name)
        head = f"∂{root}/∂{w}"
        if self.n_paths == 0 and self.blocked:
            stops = ", ".join(f"∂{root}/∂{self._d(b)} = 0" for b in self.blocked[:3])
            return f"{head} = 0   ({stops}: a zero gradient passes nothing on to {self.w_name})"
        if self.n_paths == 0:
            return f"{head} = 0   ({self.root_name} does not depend on {self.w_name})"
        lines = []
        for path, via in zip(self.paths, self.via):
            syms = self._shorten([f"∂{self._d(c)}/∂{self._d(p)}" for c, p, _ in path], " · ",
                                "… {} more factors …") or "1"
            nums = self._shorten([f"({fmt(v)})" for _, _, v in path], "", "(… {} more …)") or "(1)"
            lines.append(f"{syms} = {nums} = {fmt(self.product(path))}" + (f"   (via {via})" if via else ""))
        if self.n_paths == 1:
            return f"{head} = {lines[0]}"
        out = [f"{head} = sum over {self.n_paths} paths of the product of local derivatives:"]
        out += [f"  path {i + 1}: {line}" for i, line in enumerate(lines)]
        if self.n_paths > len(self.paths):
            out.append(f"  ... {self.n_paths - len(self.paths)} more paths not written out ({self.n_paths} in all)")
        out.append(f"{head} = {fmt(self.total)}")
        return "\n".join(out)

    def latex(self) -> str:
        def d(c: str, p: str) -> str:
            return rf"\frac{{\partial {self._tex(c)}}}{{\partial {self._tex(p)}}}"

        head = d(self.root_name, self.w_name)
        terms = []
        for path, via in zip(self.paths, self.via):
            syms = self._shorten([d(c, p) for c, p, _ in path], r" \cdot ", r"\cdots") or "1"
            nums = self._shorten([f"({fmt(v)})" for _, _, v in path], "", r"(\dots)") or "(1)"
            terms.append(f"{syms} = {nums}" + (rf"\ \text{{(via {_latex_text(via)})}}" if via else ""))
        if self.n_paths <= 1:
            return f"{head} = " + (f"{terms[0]} = " if terms else "") + fmt(self.total)
        rest = self.n_paths - len(self.paths)
        more = rf" + \dots \text{{ ({rest} more paths)}}" if rest else ""
        return f"{head} = " + " + ".join(f"\\left[{t}\\right]" for t in terms) + more + f" = {fmt(self.total)}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"


def _latex_text(text: str) -> str:
    """Plain words for \\text{...}: LaTeX's special characters escaped."""
    return "".join({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "%": r"\%", "$": r"\$", "&": r"\&",
                    "#": r"\#", "^": r"\^{}", "~": r"\~{}"}.get(ch, ch) for ch in text)


def _operand(name: str, position: int, count: int) -> str:
    """'the left x' or 'the right x' for a binary op's operand; 'x (operand 2 of 3)' otherwise."""
    return f"the {('left', 'right')[position]} {name}" if count == 2 else f"{name} (operand {position + 1} of {count})"


def _via(path: list[tuple[Value, Value, float]], positions: list[int], names: dict[Value, str]) -> str:
    """Where a path takes one of several uses of a Value by one node: 'the left x of x * x'; '' if nowhere."""
    parts = [f"{_operand(names[p], k, len(child.parents))} of {names[child]}"
             for (child, p, _), k in zip(path, positions) if sum(q is p for q in child.parents) > 1]
    return ", ".join(parts)


def fold(path: list[Factor], shown: set[str]) -> list[Factor]:
    """Merge the factors through unshown (unlabelled) nodes, e.g. ∂E/∂n3 · ∂n3/∂n2 · ∂n2/∂out → ∂E/∂out."""
    out: list[Factor] = []
    child, value = "", 1.0
    for c, p, v in path:
        child, value = child or c, value * v
        if p in shown:
            out.append((child, p, value))
            child, value = "", 1.0
    return out


def explain(root: Value, w: Value, max_paths: int = MAX_PATHS_SHOWN, fold_unlabelled: bool = False,
            root_name: str | None = None) -> Explanation:
    """The chain rule from w to root, path by path, one factor per local derivative; the total equals w.grad
    after root.backward(). Nodes are named by ``node_names``: a label, or the sub-expression (``w * x + b``).

    ``fold_unlabelled=True`` multiplies the factors through Values without a label together, so the derivation
    reads in the names the user gave only (∂E/∂out · ∂out/∂net · ∂net/∂w₁), as the documents write it.
    ``root_name`` names an unlabelled root (node_names); no Value is changed.
    """
    if not isinstance(root, Value) or not isinstance(w, Value):
        raise TypeError("explain: root and w must be Values")
    written = named(root, root_name)
    names = {n: text for n, (text, _) in written.items()}
    formulas = frozenset(text for text, prec in written.values() if operand(text, prec) != text)
    w_name = names.get(w) or w.label or "w"
    found = chain(root, w, max_paths)
    paths = [[(names[child], names[p], d) for child, p, d in path] for path in found.paths]
    via = [_via(path, positions, names) for path, positions in zip(found.paths, found.operands)]
    if fold_unlabelled:
        shown = {n.label for n in written if n.label} | {names[root], w_name}
        paths = [fold(p, shown) for p in paths]
    blocked = [names[n] for n in found.blocked]
    return Explanation(names[root], w_name, paths, found.n_paths, found.total, blocked, formulas, via)
