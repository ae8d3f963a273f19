"""One arithmetic: the only two ways this project adds numbers up.

A sum Σᵢ xᵢ and a neuron's weighted sum zʲ = bʲ + Σₖ wʲₖ·aₖ are *left folds*: ((x₁ + x₂) + x₃) + …, one rounded
``+`` after another, exactly as the chain of ``+`` and ``*`` a learner writes (or Python's ``sum()`` of Values)
would compute them. Every place whose numbers must agree to the last bit calls these two functions: the fused
``sum`` and ``weighted_sum`` ops and their decompositions, the MLP's forward pass, the losses, the PyTorch
comparison and the Tape's array kernels.

Why not ``sum()``, ``math.fsum`` or ``np.sum``: each adds in another order or with compensation (``sum()`` of
floats is compensated since Python 3.12, ``np.sum`` adds pairwise), so its result can differ in the last bit from
the chain of ``+`` it stands for, and "fused = decomposed", "Tape = eager" would then hold only by luck.

The folds are generic: the same function adds floats, numpy arrays (element by element, each element folded in
the same order as a float would be), PyTorch tensors, and Values (where it records the chain of ``+`` nodes).
``functools.reduce`` with ``operator.add`` is that left fold, run by the interpreter in C.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import reduce
from operator import add, mul
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def fold_sum(terms: Iterable[T]) -> T:
    """x₁ + x₂ + … + xₙ, added left to right: ((x₁ + x₂) + x₃) + …  At least one term."""
    items = iter(terms)
    try:
        first = next(items)
    except StopIteration:
        raise ValueError("fold_sum: needs at least one term") from None
    return reduce(add, items, first)


def fold_weighted(w: Sequence[Any], a: Sequence[Any], b: Any) -> Any:
    """b + w₁·a₁ + w₂·a₂ + … + wₙ·aₙ, added left to right: ((b + w₁·a₁) + w₂·a₂) + …

    Each product is rounded, then added: the numbers of the chain ``b + w[0]*a[0] + w[1]*a[1] + …``.
    """
    if len(w) != len(a):
        raise ValueError(f"weighted sum: w and a must have the same length, got {len(w)} and {len(a)}")
    return reduce(add, map(mul, w, a), b)


ACCUMULATE_BELOW = 100
"""A block of fewer columns than this is folded by one ``np.add.accumulate`` down its rows (a loop inside numpy,
strictly in order: the same left fold), rather than one ``np.add`` per row (a Python loop over the rows), which
is the faster form for many columns of a few rows."""


def fold_rows(block: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`fold_sum` down the rows of a (terms × n) array, element by element: out[j] = ((t₀ⱼ + t₁ⱼ) + t₂ⱼ) + …

    The same float in every column as ``fold_sum`` of that column's numbers. ``out`` (shape (n,)) receives the
    result when given. Many columns: the rows are added one at a time into ``out``; fewer than
    :data:`ACCUMULATE_BELOW` columns (one sum of many terms): one ``np.add.accumulate`` down the rows, which adds
    in the same order.
    """
    if block.ndim == 0 or len(block) == 0:
        raise ValueError(f"fold_rows: needs at least one row, got an array of shape {block.shape}")
    if block.ndim == 2 and len(block) > 2 and block.shape[1] < ACCUMULATE_BELOW:
        folded = np.add.accumulate(block, axis=0)[-1]
        if out is None:
            return np.asarray(folded, dtype=float)
        np.copyto(out, folded)
        return out
    if out is None:
        out = np.array(block[0], dtype=float)
    else:
        np.copyto(out, block[0])
    for row in block[1:]:
        np.add(out, row, out=out)
    return out


def fold_weighted_rows(w: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`fold_weighted` column by column: out[j] = ((b[j] + w₀ⱼ·a₀ⱼ) + w₁ⱼ·a₁ⱼ) + …

    ``w`` and ``a`` are (n × nodes) arrays (or broadcast to one another row by row), ``b`` a row of the nodes'
    biases. The same float in every column as ``fold_weighted`` of that column's numbers.
    """
    if len(w) != len(a):
        raise ValueError(f"fold_weighted_rows: w and a must have the same number of rows, got {len(w)} and {len(a)}")
    if len(w) and np.ndim(w) == 2 and np.ndim(a) == 2:  # (n × nodes) blocks: every product at once, then the fold
        terms = np.multiply(w, a)
        terms[0] += b  # b + w₀·a₀ (+ is commutative: the same float as b + w₀·a₀ in that order)
        return fold_rows(terms, out)
    if out is None:
        out = np.array(np.broadcast_to(b, np.broadcast_shapes(np.shape(b), np.shape(w[0] * a[0]) if len(w) else ())),
                       dtype=float)
    else:
        np.copyto(out, b)
    for wk, ak in zip(w, a):
        np.add(out, wk * ak, out=out)
    return out


__all__ = ["fold_sum", "fold_weighted", "fold_rows", "fold_weighted_rows", "ACCUMULATE_BELOW"]
