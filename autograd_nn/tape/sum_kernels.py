"""The kernels of ``sum`` and ``weighted_sum``: blocks of operands, folded by the engine's arithmetic.

Forward calls the engine's folds (``fold_rows``, ``fold_weighted_rows``): the same left fold, and so the same
float, as the op's own forward on floats. Backward is the op's rule as its op-table entry states it: :func:`rule`
evaluates ``op.derivative`` on placeholders and reads off which operand (or which constant) each partial is —
SUM's ∂/∂xᵢ = 1, WEIGHTED_SUM's ∂z/∂wᵢ = aᵢ, ∂z/∂aᵢ = wᵢ, ∂z/∂b = 1 — and a kernel is used only for the rule it
was written for (``plan.compile_plan`` checks it; another rule runs as an :class:`~.kernels.Elementwise` group).
The matrix product of a layer contracts that same rule over the batch: ∂W = Aᵀ·G, ∂A = G·Wᵀ, ∂b = 1ᵀ·G.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.arithmetic import fold_rows, fold_weighted_rows
from ..engine.ops import Op
from .kernels import Kernel, Run
from .layout import Places


class _Operand:
    """A placeholder for operand ``i`` in :func:`rule`."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


def rule(op: Op, arity: int) -> tuple[int | float, ...] | None:
    """The op's local derivatives for ``arity`` operands, when each is one of its operands (its index) or a
    constant (a float), as read from ``op.derivative`` on placeholders; None for a rule that computes anything."""
    marks = [_Operand(i) for i in range(arity)]
    try:
        partials = tuple(op.derivative(*marks, _Operand(arity)))
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    read: list[int | float] = []
    for d in partials:
        if isinstance(d, _Operand) and d.i < arity:
            read.append(d.i)
        elif type(d) is float:
            read.append(d)
        else:
            return None
    return tuple(read) if len(read) == arity else None


def sum_rule(arity: int) -> tuple[float, ...]:
    """The rule the :class:`Sums` kernel is written for: every term's partial is 1."""
    return (1.0,) * arity


def weighted_sum_rule(arity: int) -> tuple[int | float, ...]:
    """The rule the weighted-sum kernels are written for: ∂z/∂wᵢ = aᵢ, ∂z/∂aᵢ = wᵢ, ∂z/∂b = 1 (operands w₁…wₙ,
    a₁…aₙ, b)."""
    n = arity // 2
    return (*range(n, 2 * n), *range(n), 1.0)


class Sums(Kernel):
    """n-ary sums with the same number of terms: the operands are one (terms × nodes) block, folded left to right
    down its rows (``fold_rows``), as the chain of + was. Backward: every term's partial is 1 (SUM's rule), so
    every term gets its node's gradient."""

    __slots__ = ("block",)

    def __init__(self, op: Op, start: int, n_nodes: int, block: np.ndarray | Places) -> None:
        super().__init__(op, start, n_nodes)
        self.block = block if isinstance(block, Places) else Places(block)

    def marked(self, first: list[bool]) -> Sums:
        return Sums(self.op, self.start, self.stop - self.start, self.block.marked(first[0]))

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        read, add = self.block.reader(vals), self.block.adder(grads)
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]

        def forward() -> None:
            fold_rows(read(), out)

        def backward() -> None:
            add(g)
        return forward, backward

    def targets(self) -> list[Places]:
        return [self.block]

    def operands(self) -> str:
        return f"sum {self.block}"

    def note(self) -> str:
        return f"{super().note()} of {self.block.shape[0]} terms"


class WeightedSums(Kernel):
    """Weighted sums z = b + Σᵢ wᵢ·aᵢ that are not a layer: the w's and the a's are two (n × nodes) blocks, b a
    row. Forward is ``fold_weighted_rows`` (b, then each product, in eager's order); backward is WEIGHTED_SUM's
    rule ∂z/∂wᵢ = aᵢ, ∂z/∂aᵢ = wᵢ, ∂z/∂b = 1, on the blocks."""

    __slots__ = ("w", "a", "b")

    def __init__(self, op: Op, start: int, n_nodes: int, w: Any, a: Any, b: Any) -> None:
        super().__init__(op, start, n_nodes)
        self.w, self.a, self.b = (x if isinstance(x, Places) else Places(x) for x in (w, a, b))

    def marked(self, first: list[bool]) -> WeightedSums:
        return type(self)(self.op, self.start, self.stop - self.start,
                          *(x.marked(f) for x, f in zip((self.w, self.a, self.b), first)))

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        w, a, b = (s.reader(vals) for s in (self.w, self.a, self.b))
        add_w, add_a, add_b = (s.adder(grads) for s in (self.w, self.a, self.b))
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]

        def forward() -> None:
            fold_weighted_rows(w(), a(), b(), out)

        def backward() -> None:
            add_w(a() * g)
            add_a(w() * g)
            add_b(g)
        return forward, backward

    def targets(self) -> list[Places]:
        return [self.w, self.a, self.b]

    def operands(self) -> str:
        return f"weighted_sum w={self.w} a={self.a} b={self.b}"

    def note(self) -> str:
        return f"{super().note()} of {self.w.shape[0]} products"


class SquaredSums(WeightedSums):
    """Weighted sums whose w's and a's are the same places, gathered: z = b + Σᵢ pᵢ·pᵢ, an l2 term
    ``weighted_sum(ps, ps)``. The same numbers as :class:`WeightedSums`, with one gather of p instead of two each
    way, and backward's two contributions p·g (as ∂z/∂w, then as ∂z/∂a) added to one gathered copy of the
    gradients, written back once: G + p·g + p·g in that order, as two ``grads[p] += p·g`` would add them."""

    __slots__ = ()

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        index = self.w.index
        b, add_b = self.b.reader(vals), self.b.adder(grads)
        out, g = vals[self.start:self.stop], grads[self.start:self.stop]
        first = self.w.first

        def forward() -> None:
            p = vals[index]
            fold_weighted_rows(p, p, b(), out)

        def backward() -> None:
            pg = vals[index] * g
            if first:  # (inner places) ∂z/∂w assigned, then ∂z/∂a added
                total = pg + pg
            else:
                total = grads[index]
                total += pg  # ∂z/∂w = a = p
                total += pg  # ∂z/∂a = w = p
            grads[index] = total
            add_b(g)
        return forward, backward

    def operands(self) -> str:
        return f"weighted_sum w=a={self.w} b={self.b}"

    @staticmethod
    def fits(w: np.ndarray, a: np.ndarray) -> bool:
        """Whether weighted sums over these blocks are squares of gathered places: w and a the same, no place
        repeated, and no view (a run or a grid is read and added to without a gather anyway)."""
        if w.shape != a.shape or not (w == a).all() or len(np.unique(w)) < w.size:
            return False
        places = Places(w)
        return type(places.index) is not slice and places.grid is None


class MatmulLayer(Kernel):
    """A layer over a batch as matrix products: node (s, u) = b[u] + Σᵢ A[s, i]·W[i, u], outputs sample-major
    (place start + s·U + u). Forward is one ``A @ W + b``; backward is WEIGHTED_SUM's rule contracted over the
    batch: ∂W = Aᵀ·G, ∂A = G·Wᵀ, ∂b = Σₛ G = 1ᵀ·G (the column sums as a product with a row of ones, a BLAS call,
    rather than numpy's slower reduction down the columns). Wᵀ is first copied into a buffer of its own (n·U
    numbers): OpenBLAS multiplies by a transposed operand markedly slower. A first write of ∂W, ∂A or ∂b is
    computed straight into its places. The matrix products add in their own order: the one place where the tape's
    forward values may differ from eager's in the last bits."""

    __slots__ = ("shape", "A", "W", "b")

    def __init__(self, op: Op, start: int, shape: tuple[int, int], A: Any, W: Any, b: Any) -> None:
        super().__init__(op, start, shape[0] * shape[1])
        self.shape = shape
        self.A, self.W, self.b = (x if isinstance(x, Places) else Places(x) for x in (A, W, b))

    def marked(self, first: list[bool]) -> MatmulLayer:
        f_W, f_A, f_b = first  # (the order of targets())
        return MatmulLayer(self.op, self.start, self.shape, self.A.marked(f_A), self.W.marked(f_W),
                           self.b.marked(f_b))

    def prepare(self, vals: np.ndarray, grads: np.ndarray) -> tuple[Run, Run]:
        A, W, b = (s.reader(vals) for s in (self.A, self.W, self.b))
        add_A, add_W, add_b = (s.adder(grads) for s in (self.A, self.W, self.b))
        out = vals[self.start:self.stop].reshape(self.shape)
        G = grads[self.start:self.stop].reshape(self.shape)
        ones = np.ones(self.shape[0])
        Wt = np.empty(self.W.shape[::-1])
        matmul, add, copyto = np.matmul, np.add, np.copyto
        dW, dA, db = (s.view(grads) if s.first else None for s in (self.W, self.A, self.b))

        def forward() -> None:
            matmul(A(), W(), out=out)
            add(out, b(), out=out)

        def backward() -> None:
            if dW is None:
                add_W(matmul(A().T, G))
            else:
                matmul(A().T, G, out=dW)
            copyto(Wt, W().T)
            if dA is None:
                add_A(matmul(G, Wt))
            else:
                matmul(G, Wt, out=dA)
            if db is None:
                add_b(matmul(ones, G))
            else:
                matmul(ones, G, out=db)
        return forward, backward

    def targets(self) -> list[Places]:
        return [self.W, self.A, self.b]

    def operands(self) -> str:
        (n_s, n), (_, n_u) = self.A.shape, self.W.shape
        return f"matmul-layer weighted_sum A={self.A} ({n_s}×{n}) W={self.W} ({n}×{n_u}) b={self.b}"

    def note(self) -> str:
        return f"{self.shape[0]}×{self.shape[1]} grid"


__all__ = ["rule", "sum_rule", "weighted_sum_rule", "Sums", "WeightedSums", "SquaredSums", "MatmulLayer"]
